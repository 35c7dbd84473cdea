"""``TuneHistory``: a local SQLite copy of an account's tunes (and prompts), synced incrementally.

Fetching a long history page by page is the slow part of looking at it, so the history keeps
every tune it has seen in a SQLite file that survives restarts -- one row per tune: ``id``,
the record as JSON, a ``terminal`` flag (trained, failed or expired: it will not change state
any more) and the record's ``updated_at`` -- and ``sync()`` fetches only what changed:

1. keyset pages of ``GET /tunes`` newest first (``limit=120``, ``before_id``), stopping at
   the first page that holds an already known tune (everything below it is known);
2. a re-fetch (``GET /tunes/:id``) of each tune that was stored unfinished and was not on a
   page just fetched; a 404 removes it (it was deleted).

A first sync of N tunes costs ``ceil(N/120)`` requests (one more when N is a multiple of 120,
to see the empty page); a re-sync with nothing new costs 1 + one per unfinished tune.

Every page is written in its own transaction together with a *gap* marker ("tunes between
these ids may be missing"), so an interrupted sync resumes where it stopped instead of
leaving a hole: the next sync pages through each recorded gap. ``sync(full=True)`` lists
everything again and also drops tunes that were deleted on the server.

``sync_prompts()`` does the same for the account's prompts (``GET /prompts``; pending prompts
are re-fetched with ``GET /prompts/:id``). ``tunes_dataframe(history)`` and
``prompts_dataframe(history)`` read the stored records without any request.

One file holds one account: the base URL is recorded at the first sync, and syncing it from
another API (or mixing the sandbox and the real service) raises ``ValueError``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from astria_widgets.client.errors import NotFoundError
from astria_widgets.client.status import prompt_is_terminal, tune_is_terminal

PAGE_SIZE = 120
MAX_ID = 2**63 - 1  # the largest id a history can hold (an SQLite INTEGER); none is larger


class HistoryFileError(ValueError):
    """The history file cannot be used: a folder, not a history database, or not writable.

    The message names the file and says why.
    """

Progress = Callable[[str, int, "int | None"], None]
"""``progress(stage, done, total)``: stage ``"list"`` (records listed so far, total unknown),
``"gap"`` (records listed while filling a gap left by an interrupted sync) or ``"refresh"``
(unfinished records re-fetched out of ``total``)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tunes (
    id INTEGER PRIMARY KEY,
    json TEXT NOT NULL,
    terminal INTEGER NOT NULL,
    updated_at TEXT,
    synced_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS prompts (
    id INTEGER PRIMARY KEY,
    tune_id INTEGER,
    json TEXT NOT NULL,
    terminal INTEGER NOT NULL,
    updated_at TEXT,
    synced_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS prompts_tune ON prompts (tune_id);
CREATE INDEX IF NOT EXISTS tunes_unfinished ON tunes (terminal) WHERE terminal = 0;
CREATE INDEX IF NOT EXISTS prompts_unfinished ON prompts (terminal) WHERE terminal = 0;
CREATE TABLE IF NOT EXISTS gaps (
    kind TEXT NOT NULL,
    before_id INTEGER NOT NULL,
    until_id INTEGER
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


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
class _Kind:
    table: str
    list_page: Callable[[Any, int | None], list[dict[str, Any]]]
    get_one: Callable[[Any, int], dict[str, Any]]
    terminal: Callable[[dict[str, Any]], bool]


_TUNES = _Kind(
    "tunes",
    lambda client, before: client.list_tunes(limit=PAGE_SIZE, before_id=before),
    lambda client, record_id: client.get_tune(record_id),
    tune_is_terminal,
)
_PROMPTS = _Kind(
    "prompts",
    lambda client, before: client.list_prompts(None, limit=PAGE_SIZE, before_id=before),
    lambda client, record_id: client.get_prompt(None, record_id),
    prompt_is_terminal,
)


def _record_id(record: Any) -> int | None:
    if not isinstance(record, dict):
        return None
    value = record.get("id")
    return value if type(value) is int else None


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def _held_id(value: Any) -> int | None:
    """The tune id ``value`` stands for by the one id rule (``client.checks.record_id``), or None
    when it is no id a history could hold: ``True`` is not tune 1, ``5.7`` not tune 5."""
    from astria_widgets.client.checks import record_id
    from astria_widgets.client.errors import InputError

    try:
        number = record_id(value, "tune_id")
    except InputError:
        return None
    return number if _storable(number) else None


class TuneHistory:
    """A local, persistent copy of an account's tunes, synced incrementally.

    ``path``: the SQLite file (created with its folder when missing). ``client``: the
    ``AstriaClient`` to sync from; when None, ``connect()`` is called at the first sync (reading
    stored records never needs a client).
    """

    def __init__(self, path: str | os.PathLike[str], client: Any = None) -> None:
        self.path = _usable_path(path)
        self._client = client
        self._lock = threading.RLock()
        self._sync_lock = threading.Lock()
        self._db = _open(self.path)

    # -- reading ----------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        """Every stored tune, newest first (no request)."""
        return self._load("SELECT json FROM tunes ORDER BY id DESC")

    def prompt_records(self, tune_id: int | None = None) -> list[dict[str, Any]]:
        """Stored prompts, newest first; only those of ``tune_id`` when given (no request).

        ``tune_id`` is read by the one id rule (``client.checks.record_id``): a value that is no
        id a history holds (``True``, ``5.7``, ``0``, ``10**30``) has no prompts; it is never
        read as tune 1 or 5.
        """
        if tune_id is None:
            return self._load("SELECT json FROM prompts ORDER BY id DESC")
        tid = _held_id(tune_id)
        if tid is None:
            return []
        return self._load("SELECT json FROM prompts WHERE tune_id = ? ORDER BY id DESC", (tid,))

    def get(self, tune_id: int) -> dict[str, Any] | None:
        """The stored record of one tune, or None (``tune_id`` read as in
        :meth:`prompt_records`: ``get(True)`` is None, not tune 1)."""
        tid = _held_id(tune_id)
        if tid is None:
            return None
        rows = self._load("SELECT json FROM tunes WHERE id = ?", (tid,))
        return rows[0] if rows else None

    def unfinished_ids(self) -> list[int]:
        """Ids of stored tunes not yet trained, failed or expired, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM tunes WHERE terminal = 0 ORDER BY id DESC"
            ).fetchall()
        return [row[0] for row in rows]

    @property
    def last_sync(self) -> _dt.datetime | None:
        """When the last successful tune sync ended (UTC), or None."""
        value = self._meta("tunes_synced_at")
        return _dt.datetime.fromisoformat(value) if value else None

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM tunes").fetchone()[0])

    def __contains__(self, tune_id: object) -> bool:
        if type(tune_id) is not int or not _storable(tune_id):
            return False
        with self._lock:
            row = self._db.execute("SELECT 1 FROM tunes WHERE id = ?", (tune_id,)).fetchone()
        return row is not None

    def __repr__(self) -> str:
        return f"TuneHistory({str(self.path)!r}, tunes={len(self)})"

    def _load(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        if not rows:
            return []
        return json.loads("[" + ",".join(row[0] for row in rows) + "]")  # one parse, not N

    def _meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- syncing ----------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The client syncs use (``connect()``'s on first use when none was given)."""
        if self._client is None:
            from astria_widgets.connect import connect

            self._client = connect()
        return self._client

    @property
    def attached_client(self) -> Any:
        """The client already attached (given, or connected at a sync), else None.

        Unlike :attr:`client` it never calls ``connect()``.
        """
        return self._client

    def sync(self, progress: Progress | None = None, *, full: bool = False) -> SyncResult:
        """Fetch new and changed tunes; see the module docstring for the rules and costs.

        ``progress(stage, done, total)`` is called as records arrive. ``full=True`` lists
        every tune again and removes stored tunes the server no longer lists.
        """
        return self._sync(_TUNES, progress, full)

    def sync_prompts(self, progress: Progress | None = None, *, full: bool = False) -> SyncResult:
        """Fetch new and changed prompts of the account (``GET /prompts``), like :meth:`sync`."""
        return self._sync(_PROMPTS, progress, full)

    def _sync(self, kind: _Kind, progress: Progress | None, full: bool) -> SyncResult:
        client = self.client
        with self._sync_lock:
            try:
                self._check_origin(client)
                run = _SyncRun(self._db, self._lock, kind, client, progress or _no_progress)
                run.run(full)
                with self._lock, self._db:
                    self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                     (f"{kind.table}_synced_at", _now()))
            except sqlite3.Error as exc:  # read-only, disk full...: what was stored stays
                raise HistoryFileError(f"{self.path}: cannot write the history ({exc})") from exc
            return run.result()

    def _check_origin(self, client: Any) -> None:
        base = str(getattr(client, "base_url", "")).rstrip("/")
        sandbox = "1" if getattr(client, "is_sandbox", False) else "0"
        stored_base, stored_sandbox = self._meta("base_url"), self._meta("sandbox")
        if stored_base is None:
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [("base_url", base), ("sandbox", sandbox)],
                )
            return
        # a sandbox may come back on another port; the real API may not change under a file
        if stored_sandbox != sandbox or (sandbox == "0" and stored_base != base):
            raise ValueError(
                f"{self.path} holds the history of {stored_base}"
                f"{' (sandbox)' if stored_sandbox == '1' else ''}; use another file for {base}"
            )

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> TuneHistory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _no_progress(stage: str, done: int, total: int | None) -> None:
    pass


def _storable(record_id: Any) -> bool:
    """Whether ``record_id`` is an id a history could hold (1 to :data:`MAX_ID`)."""
    try:
        return 1 <= int(record_id) <= MAX_ID
    except (TypeError, ValueError, OverflowError):
        return False


def _usable_path(path: str | os.PathLike[str]) -> Path:
    """``path`` expanded, with its folder made; :class:`HistoryFileError` when it cannot be a
    history file (empty, a folder, a NUL, a parent that is a file...)."""
    text = os.fspath(path)
    if not str(text).strip():
        raise HistoryFileError("the history file path is empty")
    try:
        resolved = Path(text).expanduser()
        if resolved.is_dir():
            raise HistoryFileError(f"{resolved} is a folder, not a history file")
        resolved.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:  # ValueError: a NUL, an unencodable name
        if isinstance(exc, HistoryFileError):
            raise
        raise HistoryFileError(f"{text!r}: cannot make a history file there ({exc})") from None
    return resolved


def _open(path: Path) -> sqlite3.Connection:
    """The history database at ``path`` (created when missing), its schema in place.

    A file that is not a SQLite database, or one that cannot be written, is a
    :class:`HistoryFileError`; the file is left as it was.
    """
    try:
        db = sqlite3.connect(path, check_same_thread=False)
    except sqlite3.Error as exc:
        raise HistoryFileError(f"{path}: cannot open it as a history file ({exc})") from exc
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
    except sqlite3.DatabaseError as exc:
        db.close()
        if "readonly" in str(exc).replace("read-only", "readonly"):
            raise HistoryFileError(f"{path} is read-only; a history file must be writable"
                                   ) from exc
        if "not a database" in str(exc):
            raise HistoryFileError(f"{path} is not a history file (not a SQLite database)"
                                   ) from exc
        raise HistoryFileError(f"{path}: cannot use it as a history file ({exc})") from exc
    return db


class _SyncRun:
    """One sync of one kind of record: listing, gap filling, re-fetching, counting.

    The owning ``TuneHistory`` hands over its connection and the lock that guards it.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        lock: threading.RLock,
        kind: _Kind,
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
            self.known: set[int] = {r[0] for r in self.db.execute(f"SELECT id FROM {table}")}
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
                if (rid := _record_id(record)) is not None and (cursor is None or rid < cursor)
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
        synced = _now()
        values = []
        for rid, record in rows:
            text = _dumps(record)
            if rid in stored:
                if stored[rid] != text:
                    self.updated += 1
            elif rid not in self.seen:
                self.new += 1
            self.seen.add(rid)
            self.known.add(rid)
            values.append((rid, record, text, synced))
        if table == "tunes":
            self.db.executemany(
                "INSERT INTO tunes (id, json, terminal, updated_at, synced_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, "
                "terminal = excluded.terminal, updated_at = excluded.updated_at, "
                "synced_at = excluded.synced_at",
                [
                    (rid, text, int(self.kind.terminal(r)), _text(r.get("updated_at")), s)
                    for rid, r, text, s in values
                ],
            )
        else:
            self.db.executemany(
                "INSERT INTO prompts (id, tune_id, json, terminal, updated_at, synced_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "tune_id = excluded.tune_id, json = excluded.json, "
                "terminal = excluded.terminal, updated_at = excluded.updated_at, "
                "synced_at = excluded.synced_at",
                [
                    (
                        rid,
                        r.get("tune_id") if type(r.get("tune_id")) is int else None,
                        text,
                        int(self.kind.terminal(r)),
                        _text(r.get("updated_at")),
                        s,
                    )
                    for rid, r, text, s in values
                ],
            )

    def _refresh_unfinished(self) -> None:
        stale = [rid for rid in self.unfinished if rid not in self.seen]
        for done, rid in enumerate(stale, start=1):
            try:
                record = self.kind.get_one(self.client, rid)
            except NotFoundError:
                record = None
            self.requests += 1
            with self.lock, self.db:
                if record is None or _record_id(record) != rid:
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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
