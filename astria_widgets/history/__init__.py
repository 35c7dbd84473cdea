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
from pathlib import Path
from typing import Any

from astria_widgets.history.runs import (
    RUNS_SCHEMA,
    RunInfo,
    RunItem,
    RunStore,
    StoredRun,
)
from astria_widgets.history.sync import (
    PAGE_SIZE,
    PROMPTS,
    TUNES,
    Kind,
    Progress,
    SyncResult,
    SyncRun,
    now_text,
)

__all__ = ["MAX_ID", "PAGE_SIZE", "HistoryFileError", "Progress", "RunInfo", "RunItem",
           "RunStore", "StoredRun", "SyncResult", "TuneHistory"]

MAX_ID = 2**63 - 1  # the largest id a history can hold (an SQLite INTEGER); none is larger


class HistoryFileError(ValueError):
    """The history file cannot be used: a folder, not a history database, or not writable.

    The message names the file and says why.
    """


_SCHEMA = """
CREATE TABLE IF NOT EXISTS tunes (
    id INTEGER PRIMARY KEY,
    json TEXT NOT NULL,
    terminal INTEGER NOT NULL,
    updated_at TEXT,
    synced_at TEXT NOT NULL,
    listed INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS prompts (
    id INTEGER PRIMARY KEY,
    tune_id INTEGER,
    json TEXT NOT NULL,
    terminal INTEGER NOT NULL,
    updated_at TEXT,
    synced_at TEXT NOT NULL,
    listed INTEGER NOT NULL DEFAULT 1
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
        #: the runs recorded in this file (``runs``, ``run_items``, ``thumbnails``, ``leases``)
        self.runs = RunStore(self._db, self._lock)

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
        return self._sync(TUNES, progress, full)

    def sync_prompts(self, progress: Progress | None = None, *, full: bool = False) -> SyncResult:
        """Fetch new and changed prompts of the account (``GET /prompts``), like :meth:`sync`."""
        return self._sync(PROMPTS, progress, full)

    def _sync(self, kind: Kind, progress: Progress | None, full: bool) -> SyncResult:
        client = self.client
        with self._sync_lock:
            try:
                self._check_origin(client)
                run = SyncRun(self._db, self._lock, kind, client, progress or _no_progress)
                run.run(full)
                with self._lock, self._db:
                    self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                     (f"{kind.table}_synced_at", now_text()))
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


def _add_listed_column(db: sqlite3.Connection) -> None:
    """Files made before runs were recorded lack ``listed`` (1: the row came from a listing,
    0: a run stored it); add it, every old row being a listed one."""
    for table in ("tunes", "prompts"):
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if "listed" not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN listed INTEGER NOT NULL DEFAULT 1")
    db.commit()


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
        _add_listed_column(db)
        db.executescript(RUNS_SCHEMA)
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
