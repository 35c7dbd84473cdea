"""Recording runs as they go, from what their creates and watches already fetched (no request).

:func:`record_generation` (a studio sweep, ``%astria generate``), :func:`record_tune_watch` (a
tune the form submits) and :func:`record_pack_order` subscribe to the run's watch and write,
in the watch's thread, the run, its items (a sweep's prompts with their grid place), the
latest records and the kernel-made thumbnails of the images downloaded. A live run holds the
run's lease (see :mod:`astria_widgets.history.runs`) while it polls, so another kernel that
resumes it follows the history instead of polling too. Recording never breaks a run: a
history that cannot be written is logged once and the run goes on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from astria_widgets.history.runs import RunItem
from astria_widgets.history.sync import dumps

if TYPE_CHECKING:
    from astria_widgets.client.generation import GenerationRun
    from astria_widgets.client.watch import TuneWatch, WatchedImage
    from astria_widgets.history import TuneHistory

logger = logging.getLogger(__name__)

LEASE_TTL = 20.0
"""Seconds a lease lasts without a heartbeat (renewed every third of it while polling)."""

PROCESS_OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
"""This process's lease owner id: host, pid (a dead pid on this host frees its leases at
once) and a random part."""


def owner_is_gone(owner: str) -> bool:
    """True when ``owner`` names a process of this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process: alive
        return False
    return False


class Heartbeat:
    """Holds ``run_id``'s lease for this process until :meth:`stop` (renewed in a thread)."""

    def __init__(self, history: TuneHistory, run_id: str, ttl: float = LEASE_TTL, *,
                 owner: str = PROCESS_OWNER) -> None:
        self.history, self.run_id, self.ttl, self.owner = history, run_id, ttl, owner
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def take(self) -> bool:
        """Take the lease now; when taken, keep renewing it in a daemon thread."""
        if not self.history.runs.take_lease(self.run_id, self.owner, self.ttl,
                                            steal_if=owner_is_gone):
            return False
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="astria-lease", daemon=True)
            self._thread.start()
        return True

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.history.runs.take_lease(self.run_id, self.owner, self.ttl)
            except Exception:  # noqa: BLE001 - a busy file: the next beat tries again
                logger.debug("lease renewal failed", exc_info=True)

    def stop(self) -> None:
        """Stop renewing and give the lease up."""
        self._stop.set()
        try:
            self.history.runs.release_lease(self.run_id, self.owner)
        except Exception:  # noqa: BLE001
            logger.debug("lease release failed", exc_info=True)


class Writer:
    """Writes what changed since the last call (records by content, thumbnails once)."""

    def __init__(self, history: TuneHistory, run_id: str,
                 active: Callable[[], bool] = lambda: True) -> None:
        self.history, self.run_id, self.active = history, run_id, active
        self.items: set[tuple[str, int]] = set()
        self.written: dict[tuple[str, int], str] = {}
        self.thumbs: set[tuple[int, int]] = set()
        self.failed = False
        self.lock = threading.Lock()

    def seed(self, prompts: Mapping[int, Any], thumbs: Mapping[int, list[bytes]]) -> None:
        """What the history holds already (a resumed run): not written again."""
        self.written.update((("prompt", pid), dumps(p)) for pid, p in prompts.items())
        self.thumbs.update((pid, n) for pid, got in thumbs.items() for n in range(len(got)))

    def items_added(self, items: list[RunItem]) -> None:
        """Add the items not added before."""
        new = [i for i in items if (i.kind, i.object_id) not in self.items]
        if new:
            self.history.runs.add_items(self.run_id, new)
            self.items.update((i.kind, i.object_id) for i in new)

    def records(self, prompts: list[dict[str, Any]], tunes: list[dict[str, Any]]) -> None:
        """Store the records that changed."""
        changed: dict[str, list[dict[str, Any]]] = {"prompt": [], "tune": []}
        for kind, records in (("prompt", prompts), ("tune", tunes)):
            for record in records:
                text = dumps(record)
                if self.written.get((kind, int(record["id"]))) != text:
                    self.written[(kind, int(record["id"]))] = text
                    changed[kind].append(record)
        self.history.runs.save_records(changed["prompt"], changed["tune"])

    def images(self, images: list[WatchedImage]) -> None:
        """Store the preview of each image not stored yet: the JPEG the watch made in its
        fetch thread (``WatchedImage.preview``), the grid's picture, so a resumed or reopened
        grid shows what the live one showed. An image with no preview (no picture) stores
        nothing."""
        for image in images:
            key = (image.prompt_id, image.index - 1)
            if image.preview is None or key in self.thumbs:
                continue
            self.thumbs.add(key)
            self.history.runs.save_thumbnail(image.prompt_id, image.index - 1, image.preview)

    def guarded(self, job: Callable[[], None]) -> None:
        """Run ``job`` under the lock when active; a failure is logged once, never raised."""
        if not self.active():
            return
        try:
            with self.lock:
                job()
        except Exception:  # noqa: BLE001 - recording never breaks a run
            if not self.failed:
                logger.warning("could not record run %s in %s", self.run_id,
                               self.history.path, exc_info=True)
            self.failed = True


def sweep_items(run: GenerationRun) -> list[RunItem]:
    """The items of a sweep: its tunes, then each created cell's prompt with its place."""
    grid = run.sweep
    items = [RunItem("tune", int(t["id"])) for t in run.tunes if isinstance(t.get("id"), int)]
    for cell, prompt in run.cells:
        if prompt is None:
            continue
        row_label = (f"{grid.row_param} = {grid.row_values[cell.row]}"
                     if grid.row_param is not None else None)
        col_label = (f"{grid.col_param} = {grid.col_values[cell.col]}"
                     if grid.col_param is not None else None)
        items.append(RunItem("prompt", int(prompt["id"]), cell.row, cell.col, row_label,
                             col_label))
    return items


def follow_generation(run: GenerationRun, history: TuneHistory, run_id: str, *,
                      active: Callable[[], bool] = lambda: True,
                      seeded: Writer | None = None) -> Writer:
    """Keep ``run_id`` up to date from ``run`` (subscribed; written now too, in case the run
    changed before). Returns the writer."""
    writer = seeded or Writer(history, run_id, active)

    def write() -> None:
        writer.items_added(sweep_items(run))
        writer.records([p for _c, p in run.cells if p is not None],
                       [t for t in run.tunes if isinstance(t.get("id"), int)])
        writer.images(run.watch.images)

    run.subscribe(lambda _run: writer.guarded(write))
    writer.guarded(write)
    return writer


def record_generation(run: GenerationRun, history: TuneHistory | None = None, *,
                      kind: str = "sweep", label: str | None = None,
                      params: Mapping[str, Any] | None = None) -> str | None:
    """Record a studio run (before or after ``begin()``); returns its run id, or None when
    the history cannot be written (logged; the run goes on). ``history``: the client's
    account's default history when None. The lease is held until the run is done."""
    try:
        history = history if history is not None else _default(run.client)
        data = {**run.describe(), **dict(params or {})}
        run_id = history.runs.record(kind, data, label=label or run.text[:80])
    except Exception:  # noqa: BLE001 - recording never breaks a run
        logger.warning("could not record the run in the history", exc_info=True)
        return None
    beat = Heartbeat(history, run_id)
    beat.take()
    follow_generation(run, history, run_id)
    run.subscribe(lambda r: beat.stop() if r.done else None)
    return run_id


def record_tune_watch(watch: TuneWatch, history: TuneHistory | None = None, *,
                      params: Mapping[str, Any] | None = None, label: str | None = None,
                      kind: str = "training") -> Callable[[], str | None]:
    """Record a tune's training once its watch knows the tune (a failed create records
    nothing), then its latest tune and prompt records as the watch fetches them. Returns a
    function giving the run id (None until known)."""
    state: dict[str, Any] = {"run_id": None, "writer": None}
    lock = threading.Lock()

    def on_change(changed: TuneWatch) -> None:
        tune = changed.tune
        if tune is None or changed.tune_id is None:
            return
        try:
            with lock:
                if state["writer"] is None:
                    target = history if history is not None else _default(changed.client)
                    values = {k: v for k, v in dict(params or {}).items() if _plain(v)}
                    run_id = target.runs.record(kind, {"tune_id": changed.tune_id, **values},
                                                label=label or str(tune.get("title") or ""))
                    state["run_id"], state["writer"] = run_id, Writer(target, run_id)
                    state["beat"] = Heartbeat(target, run_id)
                    state["beat"].take()  # a resume elsewhere follows this watch's polls
        except Exception:  # noqa: BLE001 - recording never breaks a watch
            logger.warning("could not record the tune in the history", exc_info=True)
            return
        writer: Writer = state["writer"]

        def write() -> None:
            prompts = changed.prompts
            writer.items_added([RunItem("tune", int(changed.tune_id or 0))] +
                               [RunItem("prompt", int(p["id"])) for p in prompts])
            writer.records(prompts, [tune])
            writer.images(changed.images)

        writer.guarded(write)
        if changed.done:
            state["beat"].stop()

    watch.subscribe(on_change)
    on_change(watch)
    return lambda: state["run_id"]


def record_pack_order(client: Any, pack: Mapping[str, Any], answer: Mapping[str, Any],
                      prompts: list[dict[str, Any]], *, new_tune: bool,
                      history: TuneHistory | None = None) -> str | None:
    """Record a pack order from what its create and its listing returned (no request):
    the new tune (``new_tune``: the answer is a tune) and the order's prompts."""
    try:
        target = history if history is not None else _default(client)
        tune = dict(answer) if new_tune and isinstance(answer.get("id"), int) else None
        run_id = target.runs.record("pack", {"pack_id": pack.get("id"),
                                             "pack": pack.get("title") or pack.get("slug"),
                                             "tune_id": tune["id"] if tune else None},
                                    label=str(pack.get("title") or pack.get("slug") or ""))
        items = [RunItem("tune", int(tune["id"]))] if tune else []
        items += [RunItem("prompt", int(p["id"])) for p in prompts
                  if isinstance(p.get("id"), int)]
        target.runs.add_items(run_id, items)
        target.runs.save_records(prompts=prompts, tunes=[tune] if tune else [])
    except Exception:  # noqa: BLE001 - recording never breaks an order
        logger.warning("could not record the pack order in the history", exc_info=True)
        return None
    return run_id


def _plain(value: Any) -> bool:
    """A JSON scalar, or a list of them (image bytes, files and the like are not recorded)."""
    scalar = (str, int, float, bool, type(None))
    return isinstance(value, scalar) or (
        isinstance(value, list) and all(isinstance(v, scalar) for v in value))


def _default(client: Any) -> TuneHistory:
    from astria_widgets.history.paths import default_history

    return default_history(client)
