"""Runs: what the kit started (a training, a sweep, a pack order, a comparison) and its items.

Stored in the history's SQLite file beside the tunes and prompts (tables ``runs``,
``run_items``, ``thumbnails`` and ``leases``, created idempotently when a file is opened). A
run is written from the records its creates returned and the records its watch already
fetched, so recording costs no request. Reading a run back (:meth:`RunStore.get`) gives its
items with the stored prompt and tune records and the kernel-made thumbnails, enough to
rebuild a grid with no request.

A *lease* (``leases`` table: run id, owner, expiry) says which process polls an unfinished
run: :meth:`RunStore.take_lease` succeeds for the current owner or when the lease has
expired, so two kernels resuming the same run make the requests of one; the other follows
the history.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from astria_widgets.client.checks import record_id
from astria_widgets.client.errors import InputError
from astria_widgets.client.status import prompt_is_terminal, tune_is_terminal
from astria_widgets.history.sync import PROMPTS, TUNES, now_text, write_records

RUN_KINDS = ("training", "sweep", "pack", "compare")
TUNES_ARE_WORK = ("training", "pack")
"""The kinds whose tunes are work the run waits for (a training, a pack's new tune); in a
sweep or a comparison a tune is what the prompts ran on: a LoRA still training when the sweep
was sent is recorded as it was then, and never keeps the run unfinished."""
ITEM_KINDS = ("tune", "prompt")

RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at TEXT NOT NULL,
    label TEXT
);
CREATE TABLE IF NOT EXISTS run_items (
    run_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    object_id INTEGER NOT NULL,
    row INTEGER,
    col INTEGER,
    row_label TEXT,
    col_label TEXT,
    grp TEXT,
    PRIMARY KEY (run_id, kind, object_id)
);
CREATE INDEX IF NOT EXISTS run_items_object ON run_items (kind, object_id);
CREATE TABLE IF NOT EXISTS thumbnails (
    prompt_id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    jpeg BLOB NOT NULL,
    PRIMARY KEY (prompt_id, n)
);
CREATE TABLE IF NOT EXISTS leases (
    run_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""

Record = dict[str, Any]


@dataclass(frozen=True)
class RunItem:
    """One object of a run: a ``tune`` or a ``prompt`` id, with its grid place for a sweep
    (``row``/``col`` and their labels) and its column or group name for a comparison."""

    kind: str
    object_id: int
    row: int | None = None
    col: int | None = None
    row_label: str | None = None
    col_label: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class RunInfo:
    """A run as listed: id, kind, parameters (JSON-decoded), creation time, label."""

    run_id: str
    kind: str
    params: dict[str, Any]
    created_at: str
    label: str | None


@dataclass(frozen=True)
class StoredRun:
    """A run read back: its :class:`RunInfo`, items in order, and the stored records
    (``prompts`` / ``tunes`` by id; an item whose record was never stored is absent)."""

    info: RunInfo
    items: tuple[RunItem, ...]
    prompts: dict[int, Record] = field(default_factory=dict)
    tunes: dict[int, Record] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.info.run_id

    @property
    def kind(self) -> str:
        """``training``, ``sweep``, ``pack`` or ``compare``."""
        return self.info.kind

    @property
    def prompt_ids(self) -> list[int]:
        """The run's prompt ids in item order."""
        return [i.object_id for i in self.items if i.kind == "prompt"]

    @property
    def tune_ids(self) -> list[int]:
        """The run's tune ids in item order."""
        return [i.object_id for i in self.items if i.kind == "tune"]

    @property
    def unfinished_prompt_ids(self) -> list[int]:
        """Prompts not yet settled (or with no stored record), in item order."""
        return [p for p in self.prompt_ids
                if p not in self.prompts or not prompt_is_terminal(self.prompts[p])]

    @property
    def unfinished_tune_ids(self) -> list[int]:
        """Tunes not yet trained, failed or expired (or with no stored record), in a run
        whose tunes are work (:data:`TUNES_ARE_WORK`); none in a sweep or a comparison."""
        if self.info.kind not in TUNES_ARE_WORK:
            return []
        return [t for t in self.tune_ids
                if t not in self.tunes or not tune_is_terminal(self.tunes[t])]

    @property
    def done(self) -> bool:
        """True when every item settled (a run that lost items it planned is done too)."""
        return not self.unfinished_prompt_ids and not self.unfinished_tune_ids


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class RunStore:
    """The runs of one history file (``TuneHistory.runs``); shares the history's
    connection and lock. Every method is one short transaction and sends no request."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock

    # -- writing ------------------------------------------------------------------------------
    def record(self, kind: str, params: Mapping[str, Any] | None = None, *,
               label: str | None = None, run_id: str | None = None) -> str:
        """Record a new run; returns its id (a new uuid4 hex unless ``run_id`` is given).

        ``kind``: one of :data:`RUN_KINDS`. ``params``: anything JSON can hold (other values
        are stored as their repr). Recording the same ``run_id`` again keeps the first.
        """
        problems = []
        if not isinstance(kind, str) or kind not in RUN_KINDS:
            problems.append(f"kind: {kind!r} is not a run kind ({', '.join(RUN_KINDS)})")
        if params is not None and not isinstance(params, Mapping):
            problems.append(f"params: expected a mapping of names to values, got "
                            f"{type(params).__name__}")
        if label is not None and not isinstance(label, str):
            problems.append(f"label: expected text, got {type(label).__name__}")
        if run_id is not None and (not isinstance(run_id, str) or not run_id.strip()):
            problems.append(f"run_id: expected a non-empty text, got {run_id!r}")
        if problems:
            raise InputError(problems, context="record a run")
        rid = run_id or uuid.uuid4().hex
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO runs (run_id, kind, params, created_at, label) "
                "VALUES (?, ?, ?, ?, ?)",
                (rid, kind, _json(dict(params or {})), now_text(), label))
        return rid

    def add_items(self, run_id: str, items: Iterable[RunItem]) -> None:
        """Add items to a run, after those it holds (an item added again keeps its place)."""
        items = list(items)
        problems = []
        for n, item in enumerate(items):
            if not isinstance(item, RunItem):
                problems.append(f"items[{n}]: expected a RunItem, got {type(item).__name__}")
                continue
            if item.kind not in ITEM_KINDS:
                problems.append(f"items[{n}].kind: {item.kind!r} is not an item kind "
                                "(tune, prompt)")
            try:
                record_id(item.object_id, f"items[{n}].object_id")
            except InputError as exc:
                problems.extend(exc.problems)
            for name in ("row", "col"):
                value = getattr(item, name)
                if value is not None and (type(value) is not int or value < 0):
                    problems.append(f"items[{n}].{name}: expected a grid index (0 or more), "
                                    f"got {value!r}")
        if problems:
            raise InputError(problems, context="add run items")
        with self._lock, self._db:
            start = self._db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM run_items "
                                     "WHERE run_id = ?", (run_id,)).fetchone()[0]
            self._db.executemany(
                "INSERT OR IGNORE INTO run_items (run_id, position, kind, object_id, row, col, "
                "row_label, col_label, grp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, start + n, i.kind, int(i.object_id), i.row, i.col,
                  _text_or_none(i.row_label), _text_or_none(i.col_label),
                  _text_or_none(i.group)) for n, i in enumerate(items)])

    def save_records(self, prompts: Iterable[Record] = (), tunes: Iterable[Record] = ()) -> None:
        """Store the latest prompt and tune records (as a watch fetched them): no request."""
        prompts = [p for p in prompts if isinstance(p, dict) and type(p.get("id")) is int]
        tunes = [t for t in tunes if isinstance(t, dict) and type(t.get("id")) is int]
        if not prompts and not tunes:
            return
        with self._lock, self._db:
            write_records(self._db, PROMPTS, prompts, listed=False)
            write_records(self._db, TUNES, tunes, listed=False)

    def save_thumbnail(self, prompt_id: int, n: int, jpeg: bytes) -> None:
        """Store the kernel-made thumbnail of image ``n`` of a prompt (replacing one stored)."""
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO thumbnails VALUES (?, ?, ?)",
                             (int(prompt_id), int(n), bytes(jpeg)))

    def set_liked(self, prompt_id: int, liked: bool) -> None:
        """Mark a stored prompt record liked or not (after the like was sent)."""
        with self._lock, self._db:
            row = self._db.execute("SELECT json FROM prompts WHERE id = ?",
                                   (int(prompt_id),)).fetchone()
            if row is None:
                return
            record = json.loads(row[0])
            record["liked"] = bool(liked)
            write_records(self._db, PROMPTS, [record], listed=False)

    # -- reading ------------------------------------------------------------------------------
    def thumbnails(self, prompt_ids: Iterable[int]) -> dict[int, list[bytes]]:
        """Stored thumbnails by prompt id, in image order (prompts without any are absent)."""
        ids = [int(p) for p in prompt_ids]
        found: dict[int, list[bytes]] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for pid, _n, jpeg in self._db.execute(
                        f"SELECT prompt_id, n, jpeg FROM thumbnails WHERE prompt_id IN ({marks}) "
                        "ORDER BY prompt_id, n", chunk):
                    found.setdefault(pid, []).append(bytes(jpeg))
        return found

    def list(self, kind: str | None = None, limit: int | None = None) -> list[RunInfo]:
        """Recorded runs, newest first; only those of ``kind`` when given."""
        sql = "SELECT run_id, kind, params, created_at, label FROM runs"
        args: list[Any] = []
        if kind is not None:
            sql += " WHERE kind = ?"
            args.append(kind)
        sql += " ORDER BY created_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [RunInfo(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in rows]

    def get(self, run_id: str) -> StoredRun | None:
        """One run with its items and stored records, or None when no such run."""
        with self._lock:
            row = self._db.execute("SELECT run_id, kind, params, created_at, label FROM runs "
                                   "WHERE run_id = ?", (str(run_id),)).fetchone()
            if row is None:
                return None
            items = tuple(RunItem(*r) for r in self._db.execute(
                "SELECT kind, object_id, row, col, row_label, col_label, grp FROM run_items "
                "WHERE run_id = ? ORDER BY position", (str(run_id),)))
            prompts = self._records("prompts", [i.object_id for i in items if i.kind == "prompt"])
            tunes = self._records("tunes", [i.object_id for i in items if i.kind == "tune"])
        return StoredRun(RunInfo(row[0], row[1], json.loads(row[2]), row[3], row[4]), items,
                         prompts, tunes)

    def all(self, kind: str | None = None, limit: int | None = None) -> list[StoredRun]:
        """:meth:`get` of every listed run (see :meth:`list`), newest first."""
        found = (self.get(info.run_id) for info in self.list(kind, limit))
        return [run for run in found if run is not None]

    def unfinished(self) -> list[StoredRun]:
        """The runs with a prompt or tune not yet settled, newest first."""
        with self._lock:
            ids = [r[0] for r in self._db.execute(
                "SELECT DISTINCT i.run_id FROM run_items i "
                "LEFT JOIN prompts p ON i.kind = 'prompt' AND p.id = i.object_id "
                "LEFT JOIN tunes t ON i.kind = 'tune' AND t.id = i.object_id "
                "WHERE COALESCE(p.terminal, t.terminal, 0) = 0")]
        runs = [self.get(rid) for rid in ids]
        done = [r for r in runs if r is not None and not r.done]
        return sorted(done, key=lambda r: r.info.created_at, reverse=True)

    def run_of(self, kind: str, object_id: int) -> str | None:
        """The id of the (latest) run holding an object, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT i.run_id FROM run_items i JOIN runs r ON r.run_id = i.run_id "
                "WHERE i.kind = ? AND i.object_id = ? ORDER BY r.created_at DESC LIMIT 1",
                (kind, int(object_id))).fetchone()
        return row[0] if row else None

    def _records(self, table: str, ids: list[int]) -> dict[int, Record]:
        found: dict[int, Record] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for rid, text in self._db.execute(
                    f"SELECT id, json FROM {table} WHERE id IN ({marks})", chunk):
                found[rid] = json.loads(text)
        return found

    # -- leases -------------------------------------------------------------------------------
    def take_lease(self, run_id: str, owner: str, ttl: float = 30.0, *,
                   steal_if: Callable[[str], bool] | None = None) -> bool:
        """Take or renew the lease of ``run_id`` for ``owner`` for ``ttl`` seconds.

        True when ``owner`` holds it now (it was free, expired, already its own, or
        ``steal_if(holder)`` says its holder is gone); False when another owner holds an
        unexpired lease. Atomic across processes.
        """
        now = time.time()
        with self._lock:
            self._db.commit()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT owner, expires_at FROM leases WHERE run_id = ?",
                                       (run_id,)).fetchone()
                mine = (row is None or row[0] == owner or row[1] <= now
                        or (steal_if is not None and steal_if(row[0])))
                if mine:
                    self._db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?)",
                                     (run_id, owner, now + ttl))
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
        return mine

    def release_lease(self, run_id: str, owner: str) -> None:
        """Give the lease up (only when ``owner`` holds it)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM leases WHERE run_id = ? AND owner = ?", (run_id, owner))

    def lease_owner(self, run_id: str) -> str | None:
        """Who holds an unexpired lease of ``run_id``, or None."""
        with self._lock:
            row = self._db.execute("SELECT owner FROM leases WHERE run_id = ? AND expires_at > ?",
                                   (run_id, time.time())).fetchone()
        return row[0] if row else None
