"""``AstriaPanel``: the state behind JupyterLab's Astria panel, one object per Jupyter server.

It holds the three things the panel shows, each from the package's own parts:

- the client, from ``connect()`` (``ASTRIA_API_KEY``, else the sandbox ``connect()`` picks);
  the key stays in it and is never part of what this object returns;
- a ``TuneHistory`` store (one SQLite file per API and account under the server's data dir):
  the list, its search and its keyset pages are read from it, with no request;
- a ``TuneWatch`` per unfinished tune, which follows it through the client's wait policy (the
  one polling loop); its latest record overlays the stored one.

Request budget: the store is synced (``TuneHistory.sync``: one list request, plus one re-fetch
per unfinished tune) at most every :attr:`list_interval` seconds, lazily when the panel asks
and the copy is older than that; a forced refresh is allowed once per poll ``min_interval``.
Between syncs, training tunes cost only what their watches' waits cost. The browser may poll
this object as often as it likes: it is served cached state.

Pictures: the page never gets an image URL of the API or the sandbox (the browser may not
reach either: Binder, JupyterHub, a remote server). :meth:`tune_image` and
:meth:`prompt_image` download a tune's or a prompt's image with the client (the key stays
here) and answer a small JPEG (``imaging.make_thumbnail``), kept in bounded in-memory caches.

No sandbox runs in this process: with no key and no live sandbox, the first use of the client
starts the default sandbox as a process of its own (``connect.start_sandbox_process``, as
``scripts/lab`` does), and :meth:`close` stops the one it started.

Methods block (HTTP, SQLite); the handlers call them in an executor, never on the event loop.
No tornado in here.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from astria_widgets.client.costs import balance_mc, usd
from astria_widgets.client.errors import AstriaError
from astria_widgets.client.status import utcnow
from astria_widgets.history import MAX_ID
from astria_widgets.server import views
from astria_widgets.server.errors import PanelImageError, PanelInputError, PanelNotFound

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient
    from astria_widgets.client.watch import TuneWatch
    from astria_widgets.connect import SandboxProcess
    from astria_widgets.history import TuneHistory
    from astria_widgets.imaging.thumbnails import LRUCache

log = logging.getLogger(__name__)

# The store is re-listed at most every LIST_EVERY x the client's minimum poll interval
# (60 s against the real API's 5 s floor, 12 s against a local sandbox's 1 s).
LIST_EVERY = 12
# Unfinished tunes followed at once, newest first (older ones show their stored state).
MAX_WATCHES = 10
MAX_PAGE = 100
PROMPTS_SHOWN = 50
# Picture sizes the image routes answer (longest side, px): list and detail thumbnails (2x the
# 40-72 px they are shown at), and the larger view a click on a prompt's image opens.
IMAGE_SIZES = {"thumb": 128, "large": 768}
THUMBS_KEPT = 2000  # ~4 KiB each: ~8 MiB at most
LARGE_KEPT = 40  # ~60 KiB each
PROMPTS_REMEMBERED = 500  # prompts whose image URLs the detail answers left here
SANDBOX_RETRY_SECONDS = 60.0  # after a failed sandbox start, the next try waits this long


def _default_client() -> AstriaClient:
    from astria_widgets.connect import connect

    return connect(quiet=True, start_sandbox=False)  # never a sandbox in this process


def _default_sandbox() -> SandboxProcess:
    from astria_widgets.connect import start_sandbox_process

    return start_sandbox_process()


def _default_watch(client: AstriaClient, tune_id: int) -> TuneWatch:
    from astria_widgets.client.watch import TuneWatch

    return TuneWatch(client, tune_id, prompts=False)  # the list shows the tune alone


def _int_param(name: str, value: Any, low: int, high: int | None = None) -> int:
    """``value`` as an int in [low, high]; a ``PanelInputError`` naming ``name`` otherwise."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PanelInputError(f"{name} must be a whole number, not {value!r}") from None
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise PanelInputError(f"{name} must be {bound}, not {number}")
    return number


class AstriaPanel:
    """The panel's state: client, history store and watches (see the module docstring).

    ``data_dir``: where the history files go. ``client_factory`` (default
    ``connect(start_sandbox=False)``) and ``watch_factory`` (default ``TuneWatch``) are called
    on first use; when the client factory raises ``connect.NoSandboxRunning``,
    ``sandbox_factory`` (default ``connect.start_sandbox_process``) starts the sandbox process
    and the client factory is called again. ``clock`` gives the current UTC time for the
    status rules.
    """

    def __init__(
        self,
        data_dir: str | Path,
        *,
        client_factory: Callable[[], AstriaClient] = _default_client,
        watch_factory: Callable[[AstriaClient, int], TuneWatch] = _default_watch,
        sandbox_factory: Callable[[], SandboxProcess] = _default_sandbox,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._client_factory = client_factory
        self._watch_factory = watch_factory
        self._sandbox_factory = sandbox_factory
        self._clock = clock
        self._sandbox: SandboxProcess | None = None
        self._sandbox_failed: tuple[float, Exception] | None = None
        self._thumbs: LRUCache | None = None  # made on first use (no Pillow at server start)
        self._large: LRUCache | None = None
        self._prompt_urls: OrderedDict[tuple[int, int], list[Any]] = OrderedDict()
        self._lock = threading.RLock()
        self._first_sync = threading.Lock()
        self._client: AstriaClient | None = None
        self._history: TuneHistory | None = None
        self._account: dict[str, Any] | None = None
        self._account_at = 0.0
        self._records: list[dict[str, Any]] = []
        self._synced_at: float | None = None  # time.monotonic() of the last sync's end
        self._sync_thread: threading.Thread | None = None
        self._sync_error: str | None = None
        self._watches: dict[int, TuneWatch] = {}
        self._unsubscribe: dict[int, Callable[[], None]] = {}
        self._live: dict[int, dict[str, Any]] = {}  # latest record a watch saw, by tune id
        self._closed = False

    # -- the client and the store ------------------------------------------------------------
    @property
    def client(self) -> AstriaClient:
        """The client (made by ``client_factory`` on first use; see the class docstring for
        the sandbox it may start as a process)."""
        from astria_widgets.connect import NoSandboxRunning

        with self._lock:
            if self._client is None:
                try:
                    self._client = self._client_factory()
                except NoSandboxRunning:
                    self._start_sandbox()
                    self._client = self._client_factory()
            return self._client

    def _start_sandbox(self) -> None:
        """Start the sandbox process (under ``self._lock``); a failure is remembered for
        ``SANDBOX_RETRY_SECONDS`` so a polling panel does not start one every few seconds."""
        failed = self._sandbox_failed
        if failed is not None and time.monotonic() - failed[0] < SANDBOX_RETRY_SECONDS:
            raise failed[1]
        if self._closed:
            raise RuntimeError("the Astria panel is closed")
        try:
            self._sandbox = self._sandbox_factory()
        except Exception as error:
            self._sandbox_failed = (time.monotonic(), error)
            raise
        self._sandbox_failed = None
        log.info("Astria panel: started the local sandbox as process %s", self._sandbox.pid)

    @property
    def sandbox_process(self) -> SandboxProcess | None:
        """The sandbox process this panel started, or None (a key, or a sandbox reused)."""
        with self._lock:
            return self._sandbox

    @property
    def list_interval(self) -> float:
        """Seconds between two syncs of the store (``LIST_EVERY`` x the poll floor)."""
        return LIST_EVERY * self.client.poll.min_interval

    def _account_record(self) -> dict[str, Any]:
        with self._lock:
            fresh = time.monotonic() - self._account_at < self.list_interval
            if self._account is not None and fresh:
                return self._account
        account = self.client.account()
        with self._lock:
            self._account, self._account_at = account, time.monotonic()
        return account

    def _store(self) -> TuneHistory:
        with self._lock:
            if self._history is not None:
                return self._history
        from astria_widgets.history import TuneHistory

        account = self._account_record()
        origin = f"{self.client.base_url}|{account.get('id')}"
        digest = hashlib.sha256(origin.encode()).hexdigest()[:16]
        history = TuneHistory(self.data_dir / f"tunes-{digest}.sqlite", client=self.client)
        with self._lock:
            if self._history is None:
                self._history = history
                self._records = history.records()
            else:
                history.close()
            return self._history

    # -- syncing ----------------------------------------------------------------------------
    def _sync(self) -> None:
        history = self._store()
        try:
            history.sync()
        except Exception as error:  # noqa: BLE001 - kept and shown in the panel's status
            with self._lock:
                self._sync_error = str(error)
            raise
        records = history.records()
        with self._lock:
            self._records = records
            self._synced_at = time.monotonic()
            self._sync_error = None
        self._follow(history.unfinished_ids()[:MAX_WATCHES])

    def _sync_in_background(self) -> None:
        def run() -> None:
            try:
                self._sync()
            except Exception:  # noqa: BLE001 - already in _sync_error for the panel
                log.warning("Astria panel: sync failed: %s", self._sync_error)

        with self._lock:
            if self._closed or (self._sync_thread and self._sync_thread.is_alive()):
                return
            self._sync_thread = threading.Thread(target=run, name="astria-panel-sync",
                                                 daemon=True)
            self._sync_thread.start()

    def refresh(self, *, force: bool = False) -> None:
        """Make the store fresh enough: the first call syncs (blocking), later ones in the
        background once the copy is older than ``list_interval`` (``force``: older than the
        poll floor)."""
        with self._lock:
            synced_at = self._synced_at
        if synced_at is None:
            with self._first_sync:  # concurrent first requests share one sync
                if self._synced_at is None:
                    self._sync()
            return
        age = time.monotonic() - synced_at
        limit = self.client.poll.min_interval if force else self.list_interval
        if age >= limit:
            self._sync_in_background()

    # -- watches ----------------------------------------------------------------------------
    def _follow(self, tune_ids: list[int]) -> None:
        for tune_id in tune_ids:
            with self._lock:
                if self._closed or tune_id in self._watches:
                    continue
                watch = self._watch_factory(self.client, tune_id)
                self._watches[tune_id] = watch
                self._unsubscribe[tune_id] = watch.subscribe(self._on_watch)
            watch.start()

    def _on_watch(self, watch: TuneWatch) -> None:
        record, tune_id = watch.tune, watch.tune_id
        with self._lock:
            if record is not None and tune_id is not None:
                self._live[tune_id] = dict(record)
            if watch.done and tune_id is not None and self._watches.get(tune_id) is watch:
                del self._watches[tune_id]  # a later sync may follow it again if unfinished
                self._unsubscribe.pop(tune_id, lambda: None)()
                if watch.error is not None:  # ended early: the store's record is the truth
                    self._live.pop(tune_id, None)

    def _current(self, record: dict[str, Any]) -> dict[str, Any]:
        live = self._live.get(record.get("id"))  # type: ignore[arg-type]
        return live if live is not None else record

    @property
    def watching(self) -> list[int]:
        """Ids of the tunes followed right now."""
        with self._lock:
            return sorted(self._watches, reverse=True)

    # -- what the handlers serve ------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Which API and account, the balance (in millicents, and as the text shown), and how
        fresh the list is."""
        client = self.client
        account = self._account_record()
        balance = balance_mc(account)
        with self._lock:
            synced = self._synced_at
            error = self._sync_error
            training = len(self._watches)
        with self._lock:
            started = self._sandbox is not None and self._sandbox.running
        return {
            "api": "sandbox" if client.is_sandbox else "astria",
            "sandbox_started": started,
            "account": {key: account.get(key) for key in ("id", "name", "email")},
            "balance_mc": balance,
            "balance": None if balance is None else usd(balance),
            "refresh_seconds": client.poll.min_interval,
            "list_interval": self.list_interval,
            "synced_seconds_ago": None if synced is None else time.monotonic() - synced,
            "sync_error": error,
            "watching": training,
        }

    def tunes(self, *, before_id: Any = None, limit: Any = 20, search: str = "",
              refresh: bool = False) -> dict[str, Any]:
        """A page of tunes newest first, filtered by ``search``, below ``before_id``.

        Returns ``{"tunes": [...], "next_before_id": id or None}``; the page is read from the
        store (see :meth:`refresh` for when it is synced).
        """
        count = _int_param("limit", limit, 1, MAX_PAGE)
        below = None if before_id in (None, "") else _int_param("before_id", before_id, 1,
                                                                MAX_ID)
        self.refresh(force=refresh)
        now = self._clock()
        with self._lock:
            records = [self._current(r) for r in self._records]
        page: list[dict[str, Any]] = []
        more = False
        for record in records:
            rid = record.get("id")
            if below is not None and isinstance(rid, int) and rid >= below:
                continue
            if not views.matches(record, search):
                continue
            if len(page) == count:
                more = True
                break
            page.append(record)
        return {
            "tunes": [views.tune_summary(r, now) for r in page],
            "next_before_id": page[-1].get("id") if more and page else None,
        }

    def runs(self, *, limit: Any = 20) -> dict[str, Any]:
        """The newest runs recorded in the account's history (``server/runs.py``)."""
        from astria_widgets.server.runs import MAX_RUNS, recent_runs

        return recent_runs(self.client, _int_param("limit", limit, 1, MAX_RUNS))

    def tune(self, tune_id: Any) -> dict[str, Any]:
        """One tune with its fields and prompts (one request for the prompts; the record from
        its watch or the store, else one request)."""
        tid = _int_param("tune id", tune_id, 1, MAX_ID)  # no larger id exists: a 400
        record = self._record(tid)
        prompts = self.client.list_prompts(tid, limit=PROMPTS_SHOWN)
        with self._lock:
            for prompt in prompts:
                pid, images = prompt.get("id"), prompt.get("images")
                if isinstance(pid, int) and isinstance(images, list) and images:
                    self._prompt_urls[(tid, pid)] = list(images)
                    self._prompt_urls.move_to_end((tid, pid))
            while len(self._prompt_urls) > PROMPTS_REMEMBERED:
                self._prompt_urls.popitem(last=False)
        return views.tune_detail(record, prompts, self._clock())

    def _record(self, tid: int, *, fresh: bool = False) -> dict[str, Any]:
        """The tune's record: its watch's, else the store's, else (or when ``fresh``) the
        API's."""
        record = None
        if not fresh:
            with self._lock:
                record = self._live.get(tid)
                history = self._history
            if record is None and history is not None:
                record = history.get(tid)
        return record if record is not None else self.client.get_tune(tid)

    # -- pictures ---------------------------------------------------------------------------
    def tune_image(self, tune_id: Any, index: Any, size: Any = "thumb") -> bytes:
        """JPEG bytes of the tune's training image ``index`` (``orig_images``), at ``size``
        (``"thumb"`` or ``"large"``: :data:`IMAGE_SIZES`)."""
        tid = _int_param("tune id", tune_id, 1, MAX_ID)
        n = _int_param("image index", index, 0, MAX_ID)

        def url(fresh: bool) -> Any:
            return _nth(self._record(tid, fresh=fresh).get("orig_images"), n,
                        f"tune {tid} has no image {n}")

        return self._picture(f"tune {tid} image {n}", size, url)

    def prompt_image(self, tune_id: Any, prompt_id: Any, index: Any,
                     size: Any = "thumb") -> bytes:
        """JPEG bytes of image ``index`` of the tune's prompt, at ``size`` (as
        :meth:`tune_image`); its URL is the one the last detail answer saw, else the API's."""
        tid = _int_param("tune id", tune_id, 1, MAX_ID)
        pid = _int_param("prompt id", prompt_id, 1, MAX_ID)
        n = _int_param("image index", index, 0, MAX_ID)

        def url(fresh: bool) -> Any:
            with self._lock:
                images = None if fresh else self._prompt_urls.get((tid, pid))
            if images is None or n >= len(images):
                images = self.client.get_prompt(tid, pid).get("images")
            return _nth(images, n, f"prompt {pid} of tune {tid} has no image {n}")

        return self._picture(f"prompt {pid} image {n}", size, url)

    def _picture(self, what: str, size: Any, url_of: Callable[[bool], Any]) -> bytes:
        """The cached picture ``what`` at ``size``, else downloaded from ``url_of(False)``
        (once more from ``url_of(True)``, a fresh record's, when that URL failed and the
        fresh one differs: signed URLs expire) and made small."""
        if size not in IMAGE_SIZES:
            raise PanelInputError(f"size must be one of {', '.join(IMAGE_SIZES)}, not {size!r}")
        from astria_widgets.client.checks import is_http_url
        from astria_widgets.imaging.thumbnails import LRUCache, make_thumbnail

        pixels = IMAGE_SIZES[size]
        with self._lock:
            if self._thumbs is None or self._large is None:
                self._thumbs, self._large = LRUCache(THUMBS_KEPT), LRUCache(LARGE_KEPT)
            cache = self._thumbs if size == "thumb" else self._large
        key = (what, pixels)
        cached = cache.get(key)
        if cached is not None:
            return cached

        url = url_of(False)
        try:
            data = self.client.fetch_bytes(url) if is_http_url(url) else None
        except AstriaError as error:
            fresh = url_of(True)
            if fresh == url or not is_http_url(fresh):
                raise PanelImageError(f"{what} could not be downloaded "
                                      f"({_why(error)})") from None
            try:
                data = self.client.fetch_bytes(fresh)
            except AstriaError as again:
                raise PanelImageError(f"{what} could not be downloaded "
                                      f"({_why(again)})") from None
        if data is None:
            raise PanelNotFound(f"{what} is not a web address")
        try:
            picture = make_thumbnail(data, pixels)
        except Exception:  # noqa: BLE001 - whatever the decoder says: not a picture we can show
            raise PanelImageError(f"{what} is not a picture the panel can show") from None
        cache.put(key, picture)
        return picture

    def close(self) -> None:
        """Stop every watch (the tunes go on in the service), close the store and stop the
        sandbox process this panel started."""
        with self._lock:
            self._closed = True
            watches = list(self._watches.values())
            unsubscribes = list(self._unsubscribe.values())
            self._watches.clear()
            self._unsubscribe.clear()
            history, self._history = self._history, None
        for unsubscribe in unsubscribes:
            unsubscribe()
        for watch in watches:
            watch.stop()
        if history is not None:
            history.close()
        with self._lock:
            started, self._sandbox = self._sandbox, None
        if started is not None:  # the one this panel started ends with the Jupyter server
            started.stop()


def _nth(images: Any, index: int, missing: str) -> Any:
    """``images[index]`` of a record's image list, or ``PanelNotFound(missing)``."""
    if not isinstance(images, list) or index >= len(images):
        raise PanelNotFound(missing)
    return images[index]


def _why(error: AstriaError) -> str:
    """A download failure in a few words, without its URL (the page never gets one)."""
    status = getattr(error, "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__
