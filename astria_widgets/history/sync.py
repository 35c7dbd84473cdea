"""One sync of a :class:`~astria_widgets.history.TuneHistory`: listing, gaps, re-fetching.

The rules and their costs are the package docstring's (:mod:`astria_widgets.history`); this
module holds the run itself (:class:`SyncRun`, handed the history's connection and lock), what
it reports (:class:`SyncResult`) and the two kinds of record it syncs (:data:`TUNES`,
:data:`PROMPTS`).
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from astria_widgets.client.errors import NotFoundError
from astria_widgets.client.status import prompt_is_terminal, tune_is_terminal

PAGE_SIZE = 120
"""Records per listed page (the API's largest)."""

Progress = Callable[[str, int, "int | None"], None]
"""``progress(stage, done, total)``: stage ``"list"`` (records listed so far, total unknown),
``"gap"`` (records listed while filling a gap left by an interrupted sync) or ``"refresh"``
(unfinished records re-fetched out of ``total``)."""


@dataclass(frozen=True)
class SyncResult:
    """What one sync did. ``requests`` counts the API calls it made."""

    kind: str  # "tunes" or "prompts"
    new: int  # records not stored before
    updated: int  # stored records that came back different
    refreshed: int  # unfinished records re-fetched one by one
    deleted: int  # records removed (404 on re-fetch, or missing from a full listing)
    requests: int  # API calls made (list pages + single-record fetches)
    total: int  # records stored after the sync
    unfinished: int  # stored records not yet in a terminal state

    def __str__(self) -> str:
        return (
            f"{self.kind}: {self.new} new, {self.updated} updated, {self.refreshed} re-fetched, "
            f"{self.deleted} deleted; {self.total} stored ({self.unfinished} unfinished); "
            f"{self.requests} request{'' if self.requests == 1 else 's'}"
        )


@dataclass(frozen=True)
class Kind:
    """What a sync of one kind of record needs: its table, how to list a page below an id,
    how to read one record, and when a record will not change any more."""

    table: str
    list_page: Callable[[Any, int | None], list[dict[str, Any]]]
    get_one: Callable[[Any, int], dict[str, Any]]
    terminal: Callable[[dict[str, Any]], bool]


TUNES = Kind(
    "tunes",
    lambda client, before: client.list_tunes(limit=PAGE_SIZE, before_id=before),
    lambda client, record_id: client.get_tune(record_id),
    tune_is_terminal,
)
PROMPTS = Kind(
    "prompts",
    lambda client, before: client.list_prompts(None, limit=PAGE_SIZE, before_id=before),
    lambda client, record_id: client.get_prompt(None, record_id),
    prompt_is_terminal,
)


def record_key(record: Any) -> int | None:
    """A listed record's integer ``id`` (None for anything else: it is not stored)."""
    if not isinstance(record, dict):
        return None
    value = record.get("id")
    return value if type(value) is int else None


def dumps(record: dict[str, Any]) -> str:
    """A record as the canonical JSON text stored (sorted keys, compact)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def now_text() -> str:
    """The current UTC time as stored (ISO-8601, milliseconds)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


class SyncRun:
    """One sync of one kind of record: listing, gap filling, re-fetching, counting.

    The owning ``TuneHistory`` hands over its connection and the lock that guards it.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        lock: threading.RLock,
        kind: Kind,
        client: Any,
        progress: Progress,
    ) -> None:
        self.db = db
        self.lock = lock
        self.kind = kind
        self.client = client
        self.progress = progress
        self.requests = self.new = self.updated = self.refreshed = self.deleted = 0
        self.listed = 0
        self.seen: set[int] = set()
        with self.lock:
            table = kind.table
            # only listed records: one a run stored says nothing of the ids below it
            self.known: set[int] = {
                r[0] for r in self.db.execute(f"SELECT id FROM {table} WHERE listed = 1")
            }
            self.unfinished = [
                r[0]
                for r in self.db.execute(
                    f"SELECT id FROM {table} WHERE terminal = 0 ORDER BY id DESC"
                )
            ]
            self.known_max: int | None = max(self.known) if self.known else None

    def run(self, full: bool) -> None:
        """List new records (or everything with ``full``), fill gaps, re-fetch unfinished."""
        if full:
            self._page_down(before=None, until=None, stop_at_known=False, stage="list")
            self._drop_unlisted()
            return
        self._page_down(before=None, until=self.known_max, stop_at_known=True, stage="list")
        with self.lock:
            gaps = self.db.execute(
                "SELECT rowid, before_id, until_id FROM gaps WHERE kind = ? "
                "ORDER BY before_id DESC",
                (self.kind.table,),
            ).fetchall()
        for rowid, before, until in gaps:
            self._page_down(before, until, stop_at_known=False, stage="gap", gap_rowid=rowid)
        self._refresh_unfinished()

    def _page_down(
        self,
        before: int | None,
        until: int | None,
        *,
        stop_at_known: bool,
        stage: str,
        gap_rowid: int | None = None,
    ) -> None:
        """Page newest-first from ``before`` until a known tune, ``until``, or the end.

        Each page is committed with a gap row saying where to resume if the sync stops here.
        """
        cursor = before
        while True:
            page = self.kind.list_page(self.client, cursor)
            self.requests += 1
            rows = [
                (rid, record)
                for record in page or []
                if (rid := record_key(record)) is not None and (cursor is None or rid < cursor)
            ]
            ids = [rid for rid, _ in rows]
            reached = bool(ids) and (
                (stop_at_known and any(rid in self.known for rid in ids))
                or (until is not None and min(ids) <= until)
            )
            done = reached or not ids or len(page) < PAGE_SIZE
            with self.lock, self.db:
                self._store(rows)  # known ones too: they are fresh
                if done:
                    if gap_rowid is not None:
                        self.db.execute("DELETE FROM gaps WHERE rowid = ?", (gap_rowid,))
                else:
                    gap_rowid = self._mark_gap(gap_rowid, min(ids), until)
            self.listed += len(rows)
            self.progress(stage, self.listed, None)
            if done:
                return
            cursor = min(ids)

    def _mark_gap(self, rowid: int | None, before: int, until: int | None) -> int:
        if rowid is None:
            cur = self.db.execute(
                "INSERT INTO gaps (kind, before_id, until_id) VALUES (?, ?, ?)",
                (self.kind.table, before, until),
            )
            return int(cur.lastrowid)
        self.db.execute("UPDATE gaps SET before_id = ? WHERE rowid = ?", (before, rowid))
        return rowid

    def _store(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
        rows = list(rows)
        if not rows:
            return
        table = self.kind.table
        known_ids = [rid for rid, _ in rows if rid in self.known]
        stored: dict[int, str] = {}
        for start in range(0, len(known_ids), 500):
            chunk = known_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            stored.update(
                self.db.execute(f"SELECT id, json FROM {table} WHERE id IN ({marks})", chunk)
            )
        synced = now_text()
        values = []  # (id, record, text, synced)
        for rid, record in rows:
            text = dumps(record)
            if rid in stored:
                if stored[rid] != text:
                    self.updated += 1
            elif rid not in self.seen:
                self.new += 1
            self.seen.add(rid)
            self.known.add(rid)
            values.append((rid, record, text, synced))
        write_records(self.db, self.kind, [r for _rid, r, _text, _s in values])

    def _refresh_unfinished(self) -> None:
        stale = [rid for rid in self.unfinished if rid not in self.seen]
        for done, rid in enumerate(stale, start=1):
            try:
                record = self.kind.get_one(self.client, rid)
            except NotFoundError:
                record = None
            self.requests += 1
            with self.lock, self.db:
                if record is None or record_key(record) != rid:
                    self.db.execute(f"DELETE FROM {self.kind.table} WHERE id = ?", (rid,))
                    self.known.discard(rid)
                    self.deleted += 1
                else:
                    self._store([(rid, record)])
                    self.refreshed += 1
            self.progress("refresh", done, len(stale))

    def _drop_unlisted(self) -> None:
        gone = sorted(self.known - self.seen)
        with self.lock, self.db:
            self.db.executemany(
                f"DELETE FROM {self.kind.table} WHERE id = ?", [(rid,) for rid in gone]
            )
            self.db.execute("DELETE FROM gaps WHERE kind = ?", (self.kind.table,))
        self.known -= set(gone)
        self.deleted += len(gone)

    def result(self) -> SyncResult:
        """The counts of this run and of the stored records."""
        with self.lock:
            total, unfinished = self.db.execute(
                f"SELECT COUNT(*), COALESCE(SUM(terminal = 0), 0) FROM {self.kind.table}"
            ).fetchone()
        return SyncResult(
            kind=self.kind.table,
            new=self.new,
            updated=self.updated,
            refreshed=self.refreshed,
            deleted=self.deleted,
            requests=self.requests,
            total=int(total),
            unfinished=int(unfinished),
        )


def write_records(db: sqlite3.Connection, kind: Kind, records: Iterable[dict[str, Any]],
                  *, listed: bool = True) -> None:
    """Upsert records (each with an integer ``id``) into ``kind``'s table; the caller holds
    the lock and the transaction. ``listed=False`` (a record a run stored, not one a listing
    returned) keeps a stored row's listed mark, so a sync still lists the ids below it."""
    synced = now_text()
    mark = 1 if listed else 0
    keep = "excluded.listed" if listed else "listed"
    if kind.table == "tunes":
        db.executemany(
            "INSERT INTO tunes (id, json, terminal, updated_at, synced_at, listed) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, "
            "terminal = excluded.terminal, updated_at = excluded.updated_at, "
            f"synced_at = excluded.synced_at, listed = MAX(listed, {keep})",
            [(r["id"], dumps(r), int(kind.terminal(r)), _text(r.get("updated_at")), synced, mark)
             for r in records],
        )
        return
    db.executemany(
        "INSERT INTO prompts (id, tune_id, json, terminal, updated_at, synced_at, listed) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
        "tune_id = excluded.tune_id, json = excluded.json, "
        "terminal = excluded.terminal, updated_at = excluded.updated_at, "
        f"synced_at = excluded.synced_at, listed = MAX(listed, {keep})",
        [(r["id"], r.get("tune_id") if type(r.get("tune_id")) is int else None, dumps(r),
          int(kind.terminal(r)), _text(r.get("updated_at")), synced, mark)
         for r in records],
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
