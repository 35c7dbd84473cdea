"""The one watch model: plain objects that follow a tune (or a batch of prompts) in a thread.

A :class:`TuneWatch` follows one tune and its prompts; a :class:`PromptsWatch` follows many
prompts of one tune. Each runs ONE daemon thread that optionally creates the work first (a
``create`` callable given to ``start``), then waits through the client's waits
(``client.wait_for_tune`` / ``client.wait_for_prompts``, i.e. the one polling loop of
:mod:`~astria_widgets.client.waiting`); there is no polling loop here. States come from
:mod:`~astria_widgets.client.status`.

Views (the ``TuneProgress`` widget, ``SubmitHandle``, the ``watch`` command, the studio)
``subscribe(callback)``: ``callback(watch)`` runs in the watch thread after every change and
reads the public attributes. A callback that raises is logged and never ends the watch.
Nothing here imports ipywidgets, prints or displays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from astria_widgets.client.checks import record_id
from astria_widgets.client.status import (
    PROMPT_TERMINAL,
    TUNE_TERMINAL,
    prompt_status,
    tune_is_stalled,
    tune_status,
)
from astria_widgets.client.watch_base import WatchBase, WatchedImage

if TYPE_CHECKING:
    from typing import Protocol

    from astria_widgets.client.api import AstriaClient

    class TuneSource(Protocol):
        """Where a :class:`TuneWatch` gets its records: the client itself by default (its
        ``list_prompts``, ``wait_for_tune`` and ``wait_for_prompts``), or a history's follower."""

        def list_prompts(self, tune_id: int) -> list[Record]:
            """The tune's prompts."""

        def wait_for_tune(self, tune_id: int, *, timeout: float | None = None,
                          on_update: Callable[[Record], Any] | None = None,
                          stop: Any = None) -> Record:
            """Wait for the tune to settle; return its final record."""

        def wait_for_prompts(self, tune_id: int, prompt_ids: Iterable[int], *,
                             timeout: float | None = None,
                             on_update: Callable[[Record], Any] | None = None,
                             stop: Any = None) -> Any:
            """Wait for the prompts to settle."""

logger = logging.getLogger(__name__)

Record = dict[str, Any]
Callback = Callable[[Any], Any]
PromptsWaiter = Callable[..., Any]
"""``waiter(tune_id, prompt_ids, *, on_update, stop, timeout)``: how a :class:`PromptsWatch`
waits (default ``client.wait_for_prompts``; a history's follower reads records instead)."""

__all__ = ["PromptsWaiter", "PromptsWatch", "TuneWatch", "WatchBase", "WatchedImage"]


class TuneWatch(WatchBase):
    """Follows one tune, then its prompts, in one daemon thread.

    ``tune`` is an id or a record of an existing tune, or ``None`` when ``start(create)``
    makes it. ``prompts=False`` follows the tune alone. ``timeout`` (seconds) bounds the
    whole watch (it then ends with ``.error`` a ``WaitTimeout``). ``fetch_images=True``
    downloads the images of finished prompts into :attr:`images` (for a gallery).

    ``status``: ``waiting`` before start, ``submitting`` / ``uploading`` while ``create``
    runs, then the tune's status (``queued``, ``training``, ``trained``, ``failed``,
    ``expired``), or ``error`` when the create or the watch itself failed before a tune
    record was known. ``stopped`` tells a stop apart; the status stays the tune's.
    """

    _kind = "tune watch"

    def __init__(self, client: AstriaClient, tune: int | Record | None = None, *,
                 prompts: bool = True, timeout: float | None = None,
                 fetch_images: bool = False, source: TuneSource | None = None) -> None:
        super().__init__(client, timeout=timeout, fetch_images=fetch_images)
        self.follow_prompts = prompts
        #: where the records come from: the client's waits, or a history's follower
        self._source: TuneSource = source or client
        self._tune: Record | None = None
        self._tune_id: int | None = None
        self._prompts: dict[int, Record] = {}
        self._status = "waiting"
        self._upload: tuple[int, int] | None = None
        self._upload_step = -1
        if isinstance(tune, dict):
            self._tune, self._tune_id = dict(tune), record_id(tune.get("id"), "tune['id']")
            self._status = tune_status(tune)
        elif tune is not None:
            self._tune_id = record_id(tune, "tune")

    # -- public state ------------------------------------------------------------------------
    @property
    def tune_id(self) -> int | None:
        """The tune followed (``None`` until ``create`` returned it)."""
        return self._tune_id

    @property
    def tune(self) -> Record | None:
        """The last tune record seen."""
        with self._lock:
            return self._tune

    @property
    def prompts(self) -> list[Record]:
        """The last record seen of each of the tune's prompts, oldest first."""
        with self._lock:
            return [self._prompts[k] for k in sorted(self._prompts)]

    @property
    def status(self) -> str:
        """See the class docstring."""
        return self._status

    @property
    def upload(self) -> tuple[int, int] | None:
        """``(bytes sent, total)`` of the create's upload, once it reported any."""
        return self._upload

    @property
    def stalled(self) -> bool:
        """True while the tune is unfinished well past its ``eta`` (the wait's own rule)."""
        record = self.tune
        return bool(record) and tune_is_stalled(
            record, self.client.transport.server_now(),
            stall_factor=self.client.poll.stall_factor)

    # -- control -----------------------------------------------------------------------------
    def start(self, create: Callable[[Callable[[int, int], None]], Record] | None = None
              ) -> TuneWatch:
        """Start the thread and return at once.

        ``create(on_upload)`` (optional) makes the tune in the thread and returns its record;
        ``on_upload(sent, total)`` reports upload bytes. Without it, ``tune`` must be given.
        """
        if create is None and self._tune_id is None:
            raise ValueError("TuneWatch.start() needs a tune (id or record) or a create callable")
        name = f"astria-watch-{self._tune_id if self._tune_id is not None else 'new'}"
        if create is not None and self._thread is None:
            self._status = "submitting"
        self._launch(name, lambda: self._job(create))
        return self

    def wait(self, timeout: float | None = None) -> Record:
        """Block until the watch ends; return the final tune record.

        Raises ``WaitTimeout`` when ``timeout`` seconds pass first (the watch goes on) and
        re-raises what ended the watch early (``.error``).
        """
        what = f"tune {self._tune_id}" if self._tune_id is not None else "the tune's creation"
        self._wait_done(timeout, what, self.tune)
        record = self.tune
        if record is None:  # pragma: no cover - finished without error implies a record
            raise RuntimeError("the watch ended without a tune record")
        return record

    # -- the thread --------------------------------------------------------------------------
    def _job(self, create: Callable[[Callable[[int, int], None]], Record] | None) -> None:
        begun = time.monotonic()
        if create is not None:
            self._notify()  # "submitting"
            self._set_tune(create(self._on_upload))
        if self._stop.is_set():
            return
        source = self._source
        if self.follow_prompts:
            self._set_prompts(source.list_prompts(self._tune_id))
        record = source.wait_for_tune(self._tune_id, timeout=self._remaining(begun),
                                      on_update=self._set_tune, stop=self._stop)
        self._set_tune(record)
        if self._stop.is_set() or not self.follow_prompts or tune_status(record) != "trained":
            return
        self._set_prompts(source.list_prompts(self._tune_id))
        for prompt in self.prompts:
            if prompt_status(prompt) in PROMPT_TERMINAL:
                self._prompt_settled(prompt)
        pending = [int(p["id"]) for p in self.prompts if prompt_status(p) == "pending"]
        if pending:
            source.wait_for_prompts(self._tune_id, pending, timeout=self._remaining(begun),
                                    on_update=self._on_prompt, stop=self._stop)

    def _settled(self) -> bool:
        record = self.tune
        if record is None:
            return False
        status = tune_status(record)
        if status != "trained" or not self.follow_prompts:
            return status in TUNE_TERMINAL
        return all(prompt_status(p) in PROMPT_TERMINAL for p in self.prompts)

    def _on_upload(self, sent: int, total: int) -> None:
        step = 100 if total <= 0 else min(100, int(100 * sent / total))
        with self._lock:
            self._upload = (sent, total)
            self._status = "uploading"
            if step == self._upload_step:
                return  # notify on whole percents only
            self._upload_step = step
        self._notify()

    def _set_tune(self, record: Record) -> None:
        with self._lock:
            self._tune, self._tune_id = record, int(record["id"])
            self._status = tune_status(record, self.client.transport.server_now())
        self._notify()

    def _set_prompts(self, records: Iterable[Record]) -> None:
        with self._lock:
            for record in records:
                self._prompts[int(record["id"])] = record
        self._notify()

    def _on_prompt(self, record: Record) -> None:
        with self._lock:
            self._prompts[int(record["id"])] = record
        self._notify()
        if prompt_status(record) in PROMPT_TERMINAL:
            self._prompt_settled(record)

    def _prompt_settled(self, record: Record) -> None:
        if self.fetch_images and prompt_status(record) == "done":
            self._download(record)

    def _on_error(self, exc: BaseException) -> None:
        if self._tune is None:
            self._status = "error"

    def __repr__(self) -> str:
        parts = [f"tune={self._tune_id}", f"status={self._status!r}"]
        if self._prompts:
            parts.append(f"prompts={len(self._prompts)}")
        if self._stopped:
            parts.append("stopped=True")
        if self._error is not None:
            parts.append(f"error={type(self._error).__name__}")
        return f"TuneWatch({', '.join(parts)})"


class PromptsWatch(WatchBase):
    """Follows many prompts of one tune (a studio's batch) in one daemon thread.

    ``prompt_ids`` are the prompts to follow, or ``start(create)`` makes them
    (``create()`` returns the prompt records). Every poll is one listing of the tune's
    prompts (``client.wait_for_prompts``). ``prompts`` keeps ``prompt_ids`` order.

    ``status``: ``pending`` (created or given, not all settled), ``creating`` while
    ``create`` runs, ``done`` when every prompt has its images, ``failed`` when every
    prompt settled and at least one failed, ``error`` when the create or the watch failed
    (``.error``), ``stopped`` after :meth:`stop`.
    """

    _kind = "prompts watch"

    def __init__(self, client: AstriaClient, tune_id: int, prompt_ids: Iterable[int] = (), *,
                 timeout: float | None = None, fetch_images: bool = False,
                 records: Iterable[Record] = (), images: Iterable[WatchedImage] = (),
                 waiter: PromptsWaiter | None = None) -> None:
        super().__init__(client, timeout=timeout, fetch_images=fetch_images)
        self.tune_id = record_id(tune_id, "tune_id")
        self._ids: list[int] = [record_id(p, f"prompt_ids[{i}]")
                                for i, p in enumerate(prompt_ids)]
        #: the records known already (a run rebuilt from a history): not fetched again
        self._records: dict[int, Record] = {int(r["id"]): r for r in records}
        self._images.extend(images)
        #: prompts whose images are held already: never downloaded
        self._held: set[int] = {i.prompt_id for i in self._images}
        self._waiter: PromptsWaiter = waiter or client.wait_for_prompts
        self._status = "pending"

    @property
    def prompt_ids(self) -> list[int]:
        """The prompts followed, in the order given (or created)."""
        with self._lock:
            return list(self._ids)

    @property
    def prompts(self) -> list[Record]:
        """The last record seen of each prompt, in :attr:`prompt_ids` order (seen ones only)."""
        with self._lock:
            return [self._records[p] for p in self._ids if p in self._records]

    @property
    def status(self) -> str:
        """See the class docstring."""
        return self._status

    def start(self, create: Callable[[], list[Record]] | None = None) -> PromptsWatch:
        """Start the thread and return at once; ``create()`` (optional) makes the prompts."""
        if create is None and not self._ids:
            raise ValueError("PromptsWatch.start() needs prompt_ids or a create callable")
        if create is not None and self._thread is None:
            self._status = "creating"
        self._launch(f"astria-prompts-{self.tune_id}", lambda: self._job(create))
        return self

    def wait(self, timeout: float | None = None) -> list[Record]:
        """Block until every prompt settled (or the watch ended); return the records.

        Raises ``WaitTimeout`` when ``timeout`` passes first and re-raises ``.error``.
        """
        self._wait_done(timeout, f"{len(self._ids)} prompts of tune {self.tune_id}",
                        None)
        return self.prompts

    def _job(self, create: Callable[[], list[Record]] | None) -> None:
        begun = time.monotonic()
        if create is not None:
            self._notify()  # "creating"
            created = list(create())
            with self._lock:
                self._ids = [int(r["id"]) for r in created]
                self._records.update((int(r["id"]), r) for r in created)
                self._status = "pending"
            self._notify()
        if self._stop.is_set():
            return
        for record in self.prompts:
            if prompt_status(record) == "done" and self.fetch_images and not self._has_images(
                    int(record["id"])):
                self._queue_download(record)
        if self._final_status() == "pending":  # a rebuilt run may have settled already
            self._waiter(self.tune_id, self.prompt_ids, on_update=self._on_prompt,
                         stop=self._stop, timeout=self._remaining(begun))
        with self._lock:
            self._status = self._final_status()

    def _final_status(self) -> str:
        statuses = [prompt_status(r) for r in self.prompts]
        if len(statuses) < len(self._ids) or "pending" in statuses:
            return "pending"
        return "failed" if "failed" in statuses else "done"

    def _on_prompt(self, record: Record) -> None:
        pid = int(record["id"])
        with self._lock:
            before = self._records.get(pid)
            self._records[pid] = record
        self._notify()
        newly_done = prompt_status(record) == "done" and (
            before is None or prompt_status(before) != "done")
        if self.fetch_images and newly_done and not self._has_images(pid):
            self._queue_download(record)

    def add_image(self, image: WatchedImage) -> None:
        """Hold an image obtained elsewhere (a thumbnail a history stored): its prompt's
        images are then never downloaded. Call it before that prompt's done record arrives."""
        with self._lock:
            self._held.add(image.prompt_id)
            self._images.append(image)
        self._notify()

    def _has_images(self, prompt_id: int) -> bool:
        with self._lock:
            return prompt_id in self._held

    def _settled(self) -> bool:
        return self._final_status() != "pending"

    def _on_error(self, exc: BaseException) -> None:
        self._status = "error"

    def _on_stopped(self) -> None:
        self._status = "stopped"

    def __repr__(self) -> str:
        return (f"PromptsWatch(tune={self.tune_id}, prompts={len(self._ids)}, "
                f"status={self._status!r})")
