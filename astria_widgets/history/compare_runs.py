"""Comparisons in the history: recorded as they run, reopened from the file alone.

:class:`CompareRecorder` records a :class:`~astria_widgets.client.compare.CompareRun` as a run
of kind ``compare`` (its columns, rows, texts and seeds as parameters; one item per prompt with
its row, column and their labels; the prompt records as the watches fetched them, each with the
grid's like; a thumbnail of each first image). It subscribes to the run, so recording costs no
request.

:func:`open_stored` reads such a run back as a :class:`StoredCompare`: the same grid (labels,
likes, costs, thumbnails, tallies) with no client and no request, in any process.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from astria_widgets.client.compare import (
    CompareCell,
    CompareRun,
    Tally,
    cell_label,
    count_tallies,
    tally_frame,
)
from astria_widgets.client.costs import prompts_cost_mc
from astria_widgets.client.errors import InputError
from astria_widgets.client.status import prompt_status
from astria_widgets.history.recorder import Heartbeat
from astria_widgets.history.runs import RunItem, StoredRun

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from astria_widgets.history import TuneHistory

logger = logging.getLogger(__name__)
Record = dict[str, Any]


def compare_params(run: CompareRun) -> dict[str, Any]:
    """What the history keeps of a comparison's plan (JSON): labels, texts, seeds, variants."""
    return {
        "columns": run.column_labels,
        "rows": run.row_labels,
        "tunes": [int(c.tune["id"]) for c in run.columns],
        "variants": [c.params for c in run.columns],
        "texts": list(dict.fromkeys(r.text for r in run.rows)),
        "seeds": list(dict.fromkeys(r.seed for r in run.rows)),
    }


class CompareRecorder:
    """Keeps a comparison's history current from its own updates (no request).

    ``CompareRecorder(history, run).start()`` records the run and subscribes; ``run_id``
    names it. ``sync()`` writes what changed (called after every change of the run).
    """

    def __init__(self, history: TuneHistory, run: CompareRun, *, label: str | None = None,
                 active: Callable[[], bool] | None = None) -> None:
        self.history = history
        self.run = run
        self.label = label or " vs ".join(run.column_labels)
        self.run_id: str | None = None
        #: whether this process writes the records and thumbnails (a resumed run: only while
        #: it polls; a follower writes its own likes only)
        self.active = active or (lambda: True)
        self._lock = threading.Lock()
        self._items: set[int] = set()
        self._saved: dict[int, tuple[str, int, bool]] = {}  # id -> (status, images, liked)
        self._thumbs: set[tuple[int, int]] = set()
        self._unsubscribe: Any = None
        self._beat: Heartbeat | None = None

    def start(self) -> str:
        """Record the run, hold its lease while it runs (a resume elsewhere follows the
        history) and follow it; returns the run id."""
        store = self.history.runs
        self.run_id = store.record("compare", compare_params(self.run), label=self.label)
        store.save_records(tunes=[c.tune for c in self.run.columns])
        self._beat = Heartbeat(self.history, self.run_id)
        self._beat.take()
        self._follow()
        return self.run_id

    def resume(self, stored: StoredRun, thumbnails: dict[int, list[bytes]]) -> str:
        """Follow a comparison rebuilt from ``stored`` (no new run recorded): what the history
        holds (items, records, likes, ``thumbnails``) is not written again."""
        self.run_id = stored.run_id
        cols = len(self.run.column_labels)
        for item in stored.items:
            if item.kind == "prompt" and item.row is not None and item.col is not None:
                self._items.add(item.row * cols + item.col)
                record = stored.prompts.get(item.object_id)
                if record is not None:
                    self._saved[item.object_id] = _key(record, bool(record.get("liked")))
        self._thumbs.update((pid, n) for pid, got in thumbnails.items()
                            for n in range(len(got)))
        self._follow()
        return self.run_id

    def _follow(self) -> None:
        self._unsubscribe = self.run.subscribe(lambda _run: self.sync())
        self.sync()

    def stop(self) -> None:
        """Stop following the run (what was recorded stays)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._release()

    def _release(self) -> None:
        if self._beat is not None:
            self._beat.stop()
            self._beat = None

    def sync(self) -> None:
        """Write new items, changed records, new likes and new thumbnails."""
        try:
            with self._lock:
                self._sync_locked()
                if self.run.done:
                    self._release()
        except Exception:  # noqa: BLE001 - a history problem never breaks the run
            logger.exception("recording comparison %s failed", self.run_id)

    def _sync_locked(self) -> None:
        if self.run_id is None:
            return
        store = self.history.runs
        run = self.run
        rows, cols = run.row_labels, run.column_labels
        cells = run.cells
        new = [c for i, c in enumerate(cells) if c.prompt is not None and i not in self._items]
        if new:
            store.add_items(self.run_id, [
                RunItem("prompt", int(c.prompt["id"]), c.row, c.col, rows[c.row], cols[c.col],
                        cols[c.col]) for c in new if c.prompt is not None])
            self._items.update(c.row * len(cols) + c.col for c in new)
        active = self.active()
        changed: list[Record] = []
        for cell in cells:
            prompt = cell.prompt
            if prompt is None:
                continue
            pid, key = int(prompt["id"]), _key(prompt, cell.liked)
            saved = self._saved.get(pid)
            if saved == key:
                continue
            if active:
                changed.append({**prompt, "liked": cell.liked})
                self._saved[pid] = key
            elif saved is not None and saved[2] != cell.liked:  # a follower's own like
                store.set_liked(pid, cell.liked)
                self._saved[pid] = (*saved[:2], cell.liked)
        store.save_records(prompts=changed)
        if active:
            self._save_thumbnails(cells)

    def _save_thumbnails(self, cells: list[CompareCell]) -> None:
        """The preview of every image downloaded (``WatchedImage.preview``, made in the fetch
        thread, stored as it is): a resumed follower waits for them all."""
        images = self.run.images
        for cell in cells:
            pid = int(cell.prompt["id"]) if cell.prompt is not None else None
            for image in images.get(pid, []) if pid is not None else []:
                place = (pid, image.index - 1)  # n from 0, as recorder.py
                if image.preview and place not in self._thumbs:
                    self.history.runs.save_thumbnail(pid, place[1], image.preview)
                    self._thumbs.add(place)


def _key(prompt: Record, liked: bool) -> tuple[str, int, bool]:
    """What a change of a recorded cell is: its status, image count and like."""
    return prompt_status(prompt), len(prompt.get("images") or []), liked


def record_compare(history: TuneHistory, run: CompareRun) -> CompareRecorder:
    """Record ``run`` in ``history`` (kind ``compare``) and keep it current; returns the
    recorder (``.run_id``)."""
    recorder = CompareRecorder(history, run)
    recorder.start()
    return recorder


class StoredCompare:
    """A comparison read back from the history: the grid a :class:`CompareRun` shows
    (``column_labels``, ``row_labels``, ``cells``, ``thumbnail``, costs, tallies), no client.
    ``status`` is ``reopened``; nothing can be sent from it."""

    status = "reopened"
    done = True
    error = None

    def __init__(self, stored: StoredRun, thumbnails: dict[int, list[bytes]]) -> None:
        self.stored = stored
        self.run_id = stored.run_id
        params = stored.info.params
        items = [i for i in stored.items if i.kind == "prompt"]
        self.column_labels: list[str] = list(params.get("columns") or [
            str(label) for _c, label in sorted({(i.col, i.col_label) for i in items
                                                if i.col is not None})])
        self.row_labels: list[str] = list(params.get("rows") or [
            str(label) for _r, label in sorted({(i.row, i.row_label) for i in items
                                                if i.row is not None})])
        cols = len(self.column_labels)
        self._prompts: dict[int, Record] = {}
        for item in items:
            if item.row is not None and item.col is not None and \
                    item.object_id in stored.prompts:
                self._prompts[item.row * cols + item.col] = stored.prompts[item.object_id]
        self._thumbnails = thumbnails

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return len(self.row_labels), len(self.column_labels)

    def label(self, index: int) -> str:
        """A cell's label: ``column · row``."""
        return cell_label(self.column_labels, self.row_labels, index)

    @property
    def cells(self) -> list[CompareCell]:
        """Every cell, row-major, with its stored prompt record and like."""
        cols = len(self.column_labels)
        return [CompareCell(i // cols, i % cols, self._prompts.get(i),
                            bool((self._prompts.get(i) or {}).get("liked")))
                for i in range(len(self.row_labels) * cols)]

    @property
    def prompts(self) -> list[Record]:
        """The stored prompts, row-major."""
        return [c.prompt for c in self.cells if c.prompt is not None]

    @property
    def liked(self) -> set[int]:
        """The liked cells (row-major indexes)."""
        return {i for i, c in enumerate(self.cells) if c.liked}

    def thumbnail(self, index: int) -> bytes | None:
        """The stored thumbnail of a cell's first image (``None`` when none was stored)."""
        prompt = self._prompts.get(index)
        found = self._thumbnails.get(int(prompt["id"]), []) if prompt is not None else []
        return found[0] if found else None

    @property
    def cost_mc(self) -> int | None:
        """What the stored prompts cost, in millicents."""
        return prompts_cost_mc(self.prompts)

    def column_cost_mc(self, col: int) -> int | None:
        """What one column's stored prompts cost, in millicents."""
        return prompts_cost_mc(c.prompt for c in self.cells if c.col == col and c.prompt)

    def tallies(self) -> list[Tally]:
        """Each column's likes, as recorded."""
        return count_tallies(self.column_labels, len(self.row_labels), self.liked)

    def tally(self) -> pd.DataFrame:
        """The tallies as a DataFrame (column, liked, total, share)."""
        return tally_frame(self.tallies())

    def __repr__(self) -> str:
        rows, cols = self.shape
        return f"StoredCompare(run_id={self.run_id!r}, columns={cols}, rows={rows})"


def open_stored(history: TuneHistory, run_id: str) -> StoredCompare:
    """A recorded grid run (``compare``, or a ``sweep`` with rows and columns) read back from
    ``history`` alone; :class:`InputError` naming ``run_id`` when it is not text or the
    history holds no such run."""
    if not isinstance(run_id, str) or not run_id.strip():
        raise InputError(f"run_id: give a run id as text (runs_dataframe() lists them), not "
                         f"{run_id!r}", context="open_run")
    stored = history.runs.get(run_id.strip())
    if stored is None:
        raise InputError(f"run_id: no run {run_id!r} in the history {history.path} "
                         "(runs_dataframe() lists its runs)", context="open_run")
    return StoredCompare(stored, history.runs.thumbnails(stored.prompt_ids))
