"""Resume the unfinished runs of a history after a restart: rebuild each, follow it once.

:func:`resume_runs` reads the history's unfinished runs and rebuilds each with no request: a
sweep becomes a ``GenerationRun`` rebuilt from its recorded plain data, its stored prompt
records and thumbnails (``GenerationRun.rebuild``); a comparison a ``CompareRun`` (one
``GenerationRun`` per base tune, ``CompareRun.rebuild``), its likes and its recorder again
(:class:`~astria_widgets.history.compare_runs.CompareRecorder`); a training or a pack order
becomes a ``TuneWatch`` on the stored tune. A sweep follows its unsettled prompts through a
:class:`LeasedWaiter`: the process holding the run's lease polls (ONE
``client.wait_for_prompts`` over the batch) and writes the records and thumbnails to the
history; any other process follows by reading the history (no HTTP) and takes over when the
lease expires or its holder's process is gone. A comparison's waiters (one per base tune)
share the run's lease, given up once every base tune is done. :func:`unfinished_summary`
says what is left ("1 tune training, 37 prompts rendering, from 2 runs").
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astria_widgets.client.errors import WaitTimeout
from astria_widgets.client.status import prompt_is_terminal, prompt_status
from astria_widgets.client.watch_base import WatchedImage
from astria_widgets.history.recorder import (
    LEASE_TTL,
    PROCESS_OWNER,
    Heartbeat,
    Writer,
    follow_generation,
)
from astria_widgets.history.runs import RunItem, StoredRun
from astria_widgets.history.sync import dumps

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from astria_widgets.client.compare import CompareRun
    from astria_widgets.client.generation import GenerationRun
    from astria_widgets.client.watch import PromptsWatch, TuneWatch
    from astria_widgets.history import TuneHistory
    from astria_widgets.history.compare_runs import CompareRecorder
    from astria_widgets.history.tune_follow import LeasedTuneSource

logger = logging.getLogger(__name__)

FOLLOW_EVERY = 1.0
"""Seconds between two reads of the history while another process polls."""



@dataclass
class Resumed:
    """One resumed run: ``run`` (a sweep's ``GenerationRun``), ``compare`` (a comparison's
    ``CompareRun``, ``recorder`` keeping its history) or ``watch`` (a tune's ``TuneWatch``),
    the stored run it came from and its followers (a sweep's ``waiter``, a comparison's
    ``waiters``, one per base tune, a tune's ``source``)."""

    stored: StoredRun
    run: GenerationRun | None = None
    watch: TuneWatch | None = None
    waiter: LeasedWaiter | None = None
    source: LeasedTuneSource | None = None
    compare: CompareRun | None = None
    waiters: list[LeasedWaiter] = field(default_factory=list)
    recorder: CompareRecorder | None = None

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.stored.run_id

    @property
    def kind(self) -> str:
        """The run's kind."""
        return self.stored.kind


@dataclass(frozen=True)
class WorkSummary:
    """What is unfinished: tunes training, prompts rendering, the runs they belong to."""

    tunes: int = 0
    prompts: int = 0
    runs: int = 0
    run_ids: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        if not self.runs:
            return "no unfinished runs"
        parts = []
        if self.tunes:
            parts.append(f"{self.tunes} tune{'s' if self.tunes != 1 else ''} training")
        if self.prompts:
            parts.append(f"{self.prompts} prompt{'s' if self.prompts != 1 else ''} rendering")
        return f"{', '.join(parts)}, from {self.runs} run{'s' if self.runs != 1 else ''}"


def unfinished_summary(history: TuneHistory) -> WorkSummary:
    """Count the unfinished work of ``history`` (reads the file only)."""
    runs = history.runs.unfinished()
    tunes = {t for r in runs for t in r.unfinished_tune_ids}
    prompts = {p for r in runs for p in r.unfinished_prompt_ids}
    return WorkSummary(len(tunes), len(prompts), len(runs), tuple(r.run_id for r in runs))


class LeasedWaiter:
    """A ``PromptsWatch`` waiter (see ``client.watch.PromptsWaiter``) for a run two processes
    may resume: it polls only while it holds the run's lease, else it reads the history.

    ``watch`` must be set (:meth:`attach`) before the watch starts: the follower hands it the
    stored thumbnails, so a finished prompt's images are never downloaded by a follower.
    """

    def __init__(self, history: TuneHistory, run_id: str, client: Any, *,
                 every: float = FOLLOW_EVERY, owner: str = PROCESS_OWNER,
                 ttl: float = LEASE_TTL) -> None:
        self.history, self.run_id, self.client, self.every = history, run_id, client, every
        #: True once this process polled the run (it then writes the records and thumbnails)
        self.owner = False
        self._beat = Heartbeat(history, run_id, ttl, owner=owner)
        #: how many times this process read the history / polled the API as owner
        self.reads = 0
        self.polls = 0
        self._watch: PromptsWatch | None = None
        self._delivered: dict[int, str] = {}
        self._imaged: set[int] = set()

    def attach(self, watch: PromptsWatch) -> None:
        """The watch whose images a follower fills from the history."""
        self._watch = watch

    def __call__(self, tune_id: int, prompt_ids: list[int], *,
                 on_update: Callable[[dict[str, Any]], Any] | None = None,
                 stop: threading.Event | None = None, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        latest: dict[int, dict[str, Any]] = {}
        report = on_update or (lambda _record: None)

        def update(record: dict[str, Any]) -> None:
            latest[int(record["id"])] = record
            report(record)

        try:
            while True:
                owner = self._beat.take()
                # what the history holds first (no request); an owner takes done prompts
                # without stored thumbnails too (its watch fetches their images)
                if self._follow(prompt_ids, update, complete=owner):
                    return
                if owner:
                    self.owner = True
                    pending = [p for p in prompt_ids
                               if p not in latest or not prompt_is_terminal(latest[p])]
                    self.polls += 1
                    left = None if deadline is None else max(0.0, deadline - time.monotonic())
                    self.client.wait_for_prompts(tune_id, pending, on_update=update, stop=stop,
                                                 timeout=left)
                    return
                if stop is not None and stop.wait(self.every):
                    return
                if stop is None:
                    time.sleep(self.every)
                if deadline is not None and time.monotonic() > deadline:
                    raise WaitTimeout(f"{len(prompt_ids)} prompts of run {self.run_id} still "
                                      f"running after {timeout:g} s")
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Give the lease up (once the run is done: its images are in)."""
        self._beat.stop()

    def _follow(self, prompt_ids: list[int], update: Callable[[dict[str, Any]], Any], *,
                complete: bool = False) -> bool:
        """Deliver what the history holds that changed; True once every prompt settled.

        A finished prompt is held back until its thumbnails are stored, unless ``complete``."""
        self.reads += 1
        stored = self.history.runs.get(self.run_id)
        if stored is None:
            return True
        thumbs = self.history.runs.thumbnails(prompt_ids)
        settled = True
        for pid in prompt_ids:
            record = stored.prompts.get(pid)
            if record is None or not prompt_is_terminal(record):
                settled = False
                if record is None:
                    continue
            if prompt_status(record) == "done":
                urls = [u for u in record.get("images") or [] if isinstance(u, str)]
                got = thumbs.get(pid, [])
                if len(got) < len(urls) and not complete:  # the owner is making them
                    settled = False
                    continue
                if self._watch is not None and pid not in self._imaged and len(got) >= len(urls):
                    self._imaged.add(pid)
                    for n, url in enumerate(urls):
                        self._watch.add_image(WatchedImage(pid, n + 1, len(urls), url, None,
                                                           preview=got[n]))
            text = dumps(record)
            if self._delivered.get(pid) != text:
                self._delivered[pid] = text
                update(record)
        return settled


def rebuild_sweep(stored: StoredRun, history: TuneHistory, client: Any, *,
                  every: float = FOLLOW_EVERY, owner: str = PROCESS_OWNER,
                  ttl: float = LEASE_TTL) -> Resumed:
    """A recorded sweep rebuilt (no request) with a :class:`LeasedWaiter`, not started."""
    from astria_widgets.client.generation import GenerationRun

    by_cell: dict[int, dict[str, Any]] = {}
    cells = stored.info.params["sweep"]["cells"]
    index = {(int(c["row"]), int(c["col"])): i for i, c in enumerate(cells)}
    for item in stored.items:
        if item.kind == "prompt" and item.object_id in stored.prompts:
            cell = index.get((item.row or 0, item.col or 0))
            if cell is not None:
                by_cell[cell] = stored.prompts[item.object_id]
    thumbs = history.runs.thumbnails(stored.prompt_ids)
    images = _held_images(stored, thumbs)
    waiter = LeasedWaiter(history, stored.run_id, client, every=every, owner=owner, ttl=ttl)
    run = GenerationRun.rebuild(client, stored.info.params, by_cell, images=images,
                                waiter=waiter)
    waiter.attach(run.watch)
    writer = Writer(history, stored.run_id, active=lambda: waiter.owner)
    writer.seed(stored.prompts, thumbs)
    writer.items.update((i.kind, i.object_id) for i in stored.items)
    follow_generation(run, history, stored.run_id, seeded=writer)
    run.subscribe(lambda r: waiter.release() if r.done else None)
    return Resumed(stored, run=run, waiter=waiter)


def rebuild_compare(stored: StoredRun, history: TuneHistory, client: Any, *,
                    every: float = FOLLOW_EVERY, owner: str = PROCESS_OWNER,
                    ttl: float = LEASE_TTL) -> Resumed:
    """A recorded comparison rebuilt (no request): a ``CompareRun`` whose base tunes are each
    followed by a :class:`LeasedWaiter` under the run's one lease (given up once the whole
    comparison is done), its likes and a recorder writing while this process polls; not
    started."""
    from astria_widgets.client.compare import CompareRun
    from astria_widgets.history.compare_runs import CompareRecorder

    params = stored.info.params
    cols = len(params["columns"])
    by_cell: dict[int, dict[str, Any]] = {}
    liked = []
    for item in stored.items:
        record = stored.prompts.get(item.object_id)
        if item.kind == "prompt" and record is not None and item.row is not None \
                and item.col is not None and item.col < cols:
            by_cell[item.row * cols + item.col] = record
            if record.get("liked"):
                liked.append(item.row * cols + item.col)
    thumbs = history.runs.thumbnails(stored.prompt_ids)
    tunes = {int(t): history.get(int(t)) for t in params["tunes"]}
    waiters: list[LeasedWaiter] = []

    def waiter(_base: int) -> LeasedWaiter:
        waiters.append(LeasedWaiter(history, stored.run_id, client, every=every, owner=owner,
                                    ttl=ttl))
        return waiters[-1]

    run = CompareRun.rebuild(client, params, by_cell, images=_held_images(stored, thumbs),
                             tunes={k: v for k, v in tunes.items() if v}, liked=liked,
                             waiter=waiter)
    for part, follower in zip(run.runs, waiters, strict=True):
        follower.attach(part.watch)
    recorder = CompareRecorder(history, run, active=lambda: any(w.owner for w in waiters))
    recorder.resume(stored, thumbs)
    done = [False]

    def release(changed: CompareRun) -> None:
        if changed.done and not done[0]:
            done[0] = True
            for follower in waiters:
                follower.release()

    run.subscribe(release)
    return Resumed(stored, compare=run, waiters=waiters, recorder=recorder)


def _held_images(stored: StoredRun, thumbs: dict[int, list[bytes]]) -> list[WatchedImage]:
    """The stored previews of the finished prompts holding one per image, as images (the
    full images are fetched when asked for: View, Download all, Use as input,
    ``GenerationRun.full_images``)."""
    images = []
    for pid, got in thumbs.items():
        record = stored.prompts.get(pid) or {}
        urls = [u for u in record.get("images") or [] if isinstance(u, str)]
        if prompt_status(record) == "done" and len(got) >= len(urls):
            images += [WatchedImage(pid, n + 1, len(urls), url, None, preview=got[n])
                       for n, url in enumerate(urls)]
    return images


def rebuild_tune(stored: StoredRun, history: TuneHistory, client: Any, *,
                 every: float = FOLLOW_EVERY, owner: str = PROCESS_OWNER,
                 ttl: float = LEASE_TTL) -> Resumed | None:
    """A recorded training (or pack order) as a ``TuneWatch`` on its stored tune, fed by a
    :class:`~astria_widgets.history.tune_follow.LeasedTuneSource` (one process polls), not
    started; None when its tunes are all settled."""
    from astria_widgets.client.watch import TuneWatch
    from astria_widgets.history.tune_follow import LeasedTuneSource

    open_ids = stored.unfinished_tune_ids
    if not open_ids:
        return None
    record = stored.tunes.get(open_ids[0])
    source = LeasedTuneSource(history, stored.run_id, client, every=every, owner=owner,
                              ttl=ttl)
    watch = TuneWatch(client, record if record is not None else open_ids[0],
                      fetch_images=True, source=source)
    writer = Writer(history, stored.run_id, active=lambda: source.owner)
    writer.items.update((i.kind, i.object_id) for i in stored.items)

    def write(changed: TuneWatch) -> None:
        tune = changed.tune
        writer.guarded(lambda: writer.items_added(
            [RunItem("prompt", int(p["id"])) for p in changed.prompts]))
        writer.guarded(lambda: writer.records(changed.prompts, [tune] if tune else []))
        if changed.done:
            source.release()

    watch.subscribe(write)
    return Resumed(stored, watch=watch, source=source)


def resume_runs(history: TuneHistory, client: Any, *, start: bool = True,
                every: float = FOLLOW_EVERY, owner: str = PROCESS_OWNER,
                ttl: float = LEASE_TTL) -> list[Resumed]:
    """Rebuild every unfinished run of ``history`` and (``start``) follow each: a sweep
    through its lease (one batched wait by its owner, history reads elsewhere), a
    comparison likewise (one batched wait per base tune), a tune
    through its ``TuneWatch``. Sends no create. ``owner`` names this follower in the lease
    (this process by default), ``ttl`` how long a lease lasts unrenewed."""
    resumed: list[Resumed] = []
    for stored in history.runs.unfinished():
        try:
            if stored.kind in ("sweep", "compare") and "sweep" in stored.info.params:
                item = rebuild_sweep(stored, history, client, every=every, owner=owner,
                                     ttl=ttl)
            elif stored.kind == "compare" and "columns" in stored.info.params:
                item = rebuild_compare(stored, history, client, every=every, owner=owner,
                                       ttl=ttl)
            elif stored.unfinished_tune_ids:
                item = rebuild_tune(stored, history, client, every=every, owner=owner,
                                    ttl=ttl)
            else:
                continue
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            logger.warning("run %s cannot be resumed: %s", stored.run_id, exc)
            continue
        if item is None:
            continue
        if start:
            if item.run is not None:
                item.run.resume()
            elif item.compare is not None:
                item.compare.resume()
            elif item.watch is not None:
                item.watch.start()
        resumed.append(item)
    return resumed

