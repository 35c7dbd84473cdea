"""What both watches of :mod:`~astria_widgets.client.watch` share: the thread, the stop and done
events, the state lock, the subscribers (:class:`WatchBase`), and :class:`WatchedImage`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from astria_widgets.client.errors import AstriaError, WaitTimeout

if TYPE_CHECKING:
    from astria_widgets.client.api import AstriaClient

logger = logging.getLogger(__name__)

Record = dict[str, Any]
Callback = Callable[[Any], Any]


@dataclass(frozen=True)
class WatchedImage:
    """One generated image a watch downloaded (``data``, the full bytes: what Download and
    "Use as input" keep) or failed to (``error``). ``preview`` is what a view shows it as
    small: a JPEG of ``imaging.thumbnails.PREVIEW_SIDE`` px made in the fetch thread as the
    image arrived (``imaging.thumbnails.preview_jpeg``), ``None`` when the bytes are no
    picture (a video, a broken file) or none came."""

    prompt_id: int
    index: int  # 1-based position among the prompt's images
    count: int  # how many images the prompt has
    url: str
    data: bytes | None
    error: BaseException | None = None
    preview: bytes | None = None


class WatchBase:
    """What both watches share: the thread, stop and done events, state lock, subscribers."""

    _kind = "watch"

    def __init__(self, client: AstriaClient, *, timeout: float | None = None,
                 fetch_images: bool = False) -> None:
        self.client = client
        self.timeout = timeout
        self.fetch_images = fetch_images
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._subscribers: list[Callback] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._stopped = False
        self._finished = False  # set before the last notification, so views see it
        self._images: list[WatchedImage] = []
        # images are fetched beside the polls, as wide as client.concurrency (its gate bounds
        # every request in flight); the watch ends once they are all in
        self._fetch_pool: ThreadPoolExecutor | None = None
        self._fetches: list[Future[None]] = []

    # -- public state ------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True once the thread has finished (settled, stopped, timed out or failed)."""
        return self._finished

    @property
    def stopped(self) -> bool:
        """True when :meth:`stop` ended the watch before everything settled."""
        return self._stopped

    @property
    def error(self) -> BaseException | None:
        """The exception that ended the watch (a failed create, an API error, a timeout)."""
        return self._error

    @property
    def images(self) -> list[WatchedImage]:
        """Downloaded images of finished prompts, in arrival order (``fetch_images=True``)."""
        with self._lock:
            return list(self._images)

    @property
    def started(self) -> bool:
        """True once :meth:`start` was called."""
        return self._thread is not None

    # -- control -----------------------------------------------------------------------------
    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(watch)`` after every change (in the watch thread); return an
        unsubscribe function. A raising callback is logged, never ends the watch."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def stop(self) -> None:
        """End the watch soon (the work goes on in the service)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Block until the thread finished or ``timeout`` passed; True when finished."""
        return self._done.wait(timeout)

    def _launch(self, name: str, job: Callable[[], None]) -> None:
        if self._thread is not None:
            raise RuntimeError(f"this {type(self).__name__} was already started")
        self._thread = threading.Thread(target=self._run, args=(job,), name=name, daemon=True)
        self._thread.start()

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception as exc:  # noqa: BLE001 - kept as .error, re-raised by wait()
            logger.debug("%s ended with %s: %s", self._kind, type(exc).__name__, exc,
                         exc_info=not isinstance(exc, AstriaError))
            with self._lock:
                self._error = exc
                self._on_error(exc)
        finally:
            self._finish_downloads()
            if self._stop.is_set() and self._error is None and not self._settled():
                self._stopped = True
                self._on_stopped()
            self._finished = True
            self._notify()  # views render the end before wait() returns
            self._done.set()

    def _notify(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(self)
            except Exception:  # noqa: BLE001 - a view's bug never kills the watch
                logger.exception("a %s subscriber raised", self._kind)

    def _wait_done(self, timeout: float | None, what: str, last: Any) -> None:
        if not self._done.wait(timeout):
            raise WaitTimeout(
                f"{what} still running after {timeout:g} s (the watch goes on; call wait() "
                "again)", last_record=last)
        if self._error is not None:
            raise self._error

    def _remaining(self, started: float) -> float | None:
        if self.timeout is None:
            return None
        return max(0.0, self.timeout - (time.monotonic() - started))

    def _queue_download(self, prompt: Record) -> None:
        """Fetch the images of a finished prompt beside the polls (see :meth:`_download`)."""
        with self._lock:
            if self._fetch_pool is None:
                self._fetch_pool = ThreadPoolExecutor(
                    max_workers=self.client.concurrency, thread_name_prefix="astria-image")
            self._fetches.append(self._fetch_pool.submit(self._download, prompt))

    def _finish_downloads(self) -> None:
        """Wait for the queued image fetches (dropped when the watch was stopped)."""
        with self._lock:
            pool, self._fetch_pool = self._fetch_pool, None
            fetches, self._fetches = self._fetches, []
        if pool is None:
            return
        if not self._stop.is_set():
            wait_futures(fetches)
        pool.shutdown(wait=not self._stop.is_set(), cancel_futures=True)

    def _download(self, prompt: Record) -> None:
        """Fetch the images of a finished prompt through the client (``fetch_images``) and
        make each one's preview here, in the fetch thread (never in the kernel's)."""
        from astria_widgets.imaging.thumbnails import preview_jpeg

        urls = [u for u in prompt.get("images") or [] if isinstance(u, str)]
        for index, url in enumerate(urls, start=1):
            if self._stop.is_set():
                return
            try:
                data = self.client.fetch_bytes(url)
                image = WatchedImage(int(prompt["id"]), index, len(urls), url, data,
                                     preview=preview_jpeg(data))
            except Exception as exc:  # noqa: BLE001 - one missing image must not end the watch
                logger.warning("could not download %s: %s: %s", url, type(exc).__name__, exc)
                image = WatchedImage(int(prompt["id"]), index, len(urls), url, None, exc)
            with self._lock:
                self._images.append(image)
            self._notify()

    # hooks
    def _settled(self) -> bool:
        raise NotImplementedError

    def _on_error(self, exc: BaseException) -> None:
        """Called under the lock when the job raised."""

    def _on_stopped(self) -> None:
        """Called when a stop ended the watch before everything settled."""


