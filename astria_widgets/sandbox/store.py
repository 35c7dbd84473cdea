"""SQLite state of the sandbox: users, tunes, prompts, packs, likes and pending callbacks.

One connection guarded by one lock (operations are short; Werkzeug threads queue on it).
Every value is a bound parameter; SQL text is only ever assembled from constant fragments.
Rows come back as plain dicts; the ``attrs`` column holds the JSON of every field that is not
needed for querying. Planned lifecycle times are epoch seconds (floats).

Ids: gallery tunes keep their real ids (up to 4,665,564); user tunes start above
``TUNE_ID_BASE`` and prompts above ``PROMPT_ID_BASE`` so the two never collide and ids stay
increasing with creation order (which keyset pagination relies on).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TUNE_ID_BASE = 5_000_000
PROMPT_ID_BASE = 20_000_000
PACK_ID_BASE = 1_000
SQLITE_INTEGERS = range(-(2**63), 2**63)  # what an INTEGER column can hold

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, api_key TEXT UNIQUE NOT NULL, name TEXT, email TEXT,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tunes (
    id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT NOT NULL, name TEXT, branch TEXT,
    model_type TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL, start_at REAL,
    eta REAL, finish_at REAL, outcome TEXT NOT NULL, error TEXT, attrs TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tunes_user ON tunes(user_id, id);
CREATE TABLE IF NOT EXISTS prompts (
    id INTEGER PRIMARY KEY, user_id INTEGER, tune_id INTEGER NOT NULL, text TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, start_at REAL, finish_at REAL,
    outcome TEXT NOT NULL, user_error TEXT, num_images INTEGER NOT NULL,
    pack_id INTEGER, base_pack_id INTEGER, order_id INTEGER, orig_prompt_id INTEGER,
    attrs TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS prompts_user ON prompts(user_id, id);
CREATE INDEX IF NOT EXISTS prompts_tune ON prompts(tune_id, id);
CREATE INDEX IF NOT EXISTS prompts_pack ON prompts(pack_id);
CREATE TABLE IF NOT EXISTS likes (
    user_id INTEGER NOT NULL, prompt_id INTEGER NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (user_id, prompt_id));
CREATE INDEX IF NOT EXISTS likes_prompt ON likes(prompt_id);
CREATE TABLE IF NOT EXISTS packs (
    id INTEGER PRIMARY KEY, user_id INTEGER, slug TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, attrs TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, due REAL NOT NULL, kind TEXT NOT NULL,
    object_id INTEGER NOT NULL, url TEXT NOT NULL, extra TEXT, sent INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks(sent, due);
CREATE TABLE IF NOT EXISTS workspaces (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT NOT NULL, slug TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, attrs TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS workspaces_user ON workspaces(user_id, id);
CREATE INDEX IF NOT EXISTS prompts_workspace
    ON prompts(user_id, json_extract(attrs, '$.workspace_id'), id);
CREATE INDEX IF NOT EXISTS tunes_workspace
    ON tunes(user_id, json_extract(attrs, '$.workspace_id'), id);
"""

TUNE_COLUMNS = (
    "id", "user_id", "title", "name", "branch", "model_type", "created_at", "updated_at",
    "start_at", "eta", "finish_at", "outcome", "error", "attrs",
)
PROMPT_COLUMNS = (
    "id", "user_id", "tune_id", "text", "created_at", "updated_at", "start_at", "finish_at",
    "outcome", "user_error", "num_images", "pack_id", "base_pack_id", "order_id",
    "orig_prompt_id", "attrs",
)
PACK_COLUMNS = ("id", "user_id", "slug", "title", "created_at", "updated_at", "attrs")
WORKSPACE_COLUMNS = ("id", "user_id", "title", "slug", "created_at", "updated_at", "attrs")
WORKSPACE_ID_BASE = 100


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )


def _decode(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    data = dict(row)
    if "attrs" in data:
        data["attrs"] = json.loads(data["attrs"])
    return data


def _encode(record: dict[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
    return tuple(
        json.dumps(record.get("attrs") or {}) if c == "attrs" else record.get(c) for c in columns
    )


class Query:
    """A WHERE clause built from constant fragments and bound values."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.values: list[Any] = []

    def add(self, clause: str, *values: Any) -> Query:
        """Append ``clause`` (with ``?`` placeholders) and its bound values."""
        self.clauses.append(clause)
        self.values.extend(values)
        return self

    def where(self) -> str:
        """The ``WHERE ...`` text (empty when there are no clauses)."""
        return (" WHERE " + " AND ".join(self.clauses)) if self.clauses else ""


class Store:
    """Thread-safe SQLite store; all methods take and return plain dicts."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection (the store is unusable afterwards)."""
        with self._lock:
            self._db.close()

    # -- low level -------------------------------------------------------------------------

    def _one(self, sql: str, values: Iterable[Any] = ()) -> dict[str, Any] | None:
        with self._lock:
            return _decode(self._db.execute(sql, tuple(values)).fetchone())

    def _all(self, sql: str, values: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(sql, tuple(values)).fetchall()
        return [_decode(r) for r in rows]  # type: ignore[misc]

    def _scalar(self, sql: str, values: Iterable[Any] = ()) -> Any:
        with self._lock:
            row = self._db.execute(sql, tuple(values)).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one transaction (rolled back on any error)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _next_id(self, table: str, base: int) -> int:
        current = self._db.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0]
        return max(current or 0, base) + 1

    # -- meta ------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A value of the key/value ``meta`` table."""
        value = self._scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the key/value ``meta`` table."""
        with self._lock:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def next_sequence(self, key: str, start: int = 1) -> int:
        """Increment and return a named counter (used for order ids)."""
        with self._lock:
            value = int(self.get_meta(key, str(start - 1)) or 0) + 1
            self.set_meta(key, str(value))
            return value

    # -- users -----------------------------------------------------------------------------

    def user_by_key(self, api_key: str) -> dict[str, Any] | None:
        """The account owning ``api_key``, or None."""
        return self._one("SELECT * FROM users WHERE api_key = ?", (api_key,))

    def ensure_user(self, api_key: str, name: str, email: str, now: float) -> dict[str, Any]:
        """Return the account of ``api_key``, creating it when missing."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO users (api_key, name, email, created_at) "
                "VALUES (?, ?, ?, ?)",
                (api_key, name, email, now),
            )
            user = self.user_by_key(api_key)
        assert user is not None
        return user

    # -- tunes -----------------------------------------------------------------------------

    def insert_tune(self, record: dict[str, Any]) -> int:
        """Insert a tune; assigns and returns a fresh id unless ``record['id']`` is set."""
        return self._insert("tunes", TUNE_COLUMNS, TUNE_ID_BASE, record)

    def get_tune(self, tune_id: int) -> dict[str, Any] | None:
        """One tune by id (any owner)."""
        return self._by_id("tunes", tune_id)

    def get_tunes(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Several tunes by id."""
        ids = [i for i in dict.fromkeys(ids) if i in SQLITE_INTEGERS]
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = self._all(f"SELECT * FROM tunes WHERE id IN ({marks})", ids)
        return {r["id"]: r for r in rows}

    def find_tune_by_title(self, user_id: int, title: str) -> dict[str, Any] | None:
        """The newest tune of ``user_id`` with exactly this title (idempotency)."""
        return self._one(
            "SELECT * FROM tunes WHERE user_id = ? AND title = ? ORDER BY id DESC LIMIT 1",
            (user_id, title),
        )

    def list_tunes(self, query: Query, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """Tunes matching ``query``, newest (highest id) first."""
        return self._list("tunes", query, limit, offset)

    def update_tune(self, tune_id: int, fields: dict[str, Any]) -> None:
        """Update columns of a tune (``attrs`` replaced as a whole)."""
        self._update("tunes", TUNE_COLUMNS, tune_id, fields)

    def delete_tune(self, tune_id: int) -> list[int]:
        """Delete a tune and the prompts under it; returns the deleted prompt ids."""
        with self._transaction() as db:
            rows = db.execute("SELECT id FROM prompts WHERE tune_id = ?", (tune_id,)).fetchall()
            db.execute("DELETE FROM prompts WHERE tune_id = ?", (tune_id,))
            db.execute(
                "DELETE FROM likes WHERE prompt_id IN "
                "(SELECT prompt_id FROM likes EXCEPT SELECT id FROM prompts)"
            )
            db.execute("DELETE FROM tunes WHERE id = ?", (tune_id,))
        return [r[0] for r in rows]

    # -- prompts ---------------------------------------------------------------------------

    def insert_prompt(self, record: dict[str, Any]) -> int:
        """Insert a prompt; assigns and returns a fresh id unless ``record['id']`` is set."""
        return self._insert("prompts", PROMPT_COLUMNS, PROMPT_ID_BASE, record)

    def insert_built(self, build: Callable[[int, int], dict[str, Any]]) -> dict[str, Any]:
        """Insert objects whose content depends on their ids, in one transaction.

        ``build(next_tune_id, next_prompt_id)`` runs under the store lock and returns
        ``{"tune": record | None, "prompts": [records with ids], "callbacks": [rows]}``;
        prompt ids must be ``next_prompt_id``, ``next_prompt_id + 1``...
        """
        with self._lock:
            built = build(self._next_id("tunes", TUNE_ID_BASE),
                          self._next_id("prompts", PROMPT_ID_BASE))
            with self._transaction():
                if built.get("tune") is not None:
                    self.insert_tune(built["tune"])
                for prompt in built.get("prompts", []):
                    self.insert_prompt(prompt)
                self.add_callbacks(built.get("callbacks", []))
        return built

    def get_prompt(self, prompt_id: int) -> dict[str, Any] | None:
        """One prompt by id (any owner)."""
        return self._by_id("prompts", prompt_id)

    def list_prompts(self, query: Query, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """Prompts matching ``query``, newest first."""
        return self._list("prompts", query, limit, offset)

    def update_prompt(self, prompt_id: int, fields: dict[str, Any]) -> None:
        """Update columns of a prompt."""
        self._update("prompts", PROMPT_COLUMNS, prompt_id, fields)

    def delete_prompt(self, prompt_id: int) -> None:
        """Delete a prompt and its likes."""
        with self._lock:
            self._db.execute("DELETE FROM likes WHERE prompt_id = ?", (prompt_id,))
            self._db.execute("DELETE FROM prompts WHERE id = ?", (prompt_id,))

    def prompt_cost_total(self, user_id: int) -> int:
        """Sum of ``cost_mc`` over a user's prompts (for the account balance)."""
        return int(self._scalar(
            "SELECT COALESCE(SUM(json_extract(attrs, '$.cost_mc')), 0) FROM prompts "
            "WHERE user_id = ?", (user_id,)) or 0)

    # -- likes -----------------------------------------------------------------------------

    def like(self, user_id: int, prompt_ids: Iterable[int], now: float) -> None:
        """Like prompts (liking twice is a no-op)."""
        with self._lock:
            self._db.executemany(
                "INSERT OR IGNORE INTO likes (user_id, prompt_id, created_at) VALUES (?, ?, ?)",
                [(user_id, pid, now) for pid in prompt_ids],
            )

    def unlike(self, user_id: int, prompt_id: int) -> None:
        """Remove a like (absent likes are ignored)."""
        with self._lock:
            self._db.execute(
                "DELETE FROM likes WHERE user_id = ? AND prompt_id = ?", (user_id, prompt_id)
            )

    def like_info(
        self, user_id: int, prompt_ids: Sequence[int]
    ) -> tuple[set[int], dict[int, int]]:
        """(ids the user liked, like counts by id) for the given prompts."""
        if not prompt_ids:
            return set(), {}
        marks = ", ".join("?" for _ in prompt_ids)
        with self._lock:
            liked = {
                r[0]
                for r in self._db.execute(
                    f"SELECT prompt_id FROM likes WHERE user_id = ? AND prompt_id IN ({marks})",
                    (user_id, *prompt_ids),
                )
            }
            counts = {
                r[0]: r[1]
                for r in self._db.execute(
                    f"SELECT prompt_id, COUNT(*) FROM likes WHERE prompt_id IN ({marks}) "
                    "GROUP BY prompt_id",
                    tuple(prompt_ids),
                )
            }
        return liked, counts

    # -- packs -----------------------------------------------------------------------------

    def insert_pack(self, record: dict[str, Any]) -> int:
        """Insert a pack; assigns and returns a fresh id unless ``record['id']`` is set."""
        return self._insert("packs", PACK_COLUMNS, PACK_ID_BASE, record)

    def get_pack(self, pack_id: int | None = None, slug: str | None = None) -> dict | None:
        """A pack by id or by slug."""
        if pack_id is not None:
            return self._by_id("packs", pack_id)
        return self._one("SELECT * FROM packs WHERE slug = ?", (slug,))

    def list_packs(self, query: Query, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """Packs matching ``query``, newest first."""
        return self._list("packs", query, limit, offset)

    def update_pack(self, pack_id: int, fields: dict[str, Any]) -> None:
        """Update columns of a pack."""
        self._update("packs", PACK_COLUMNS, pack_id, fields)

    def pack_templates(self, pack_id: int) -> list[dict[str, Any]]:
        """Template prompts of a pack, oldest first."""
        return self._all("SELECT * FROM prompts WHERE pack_id = ? ORDER BY id", (pack_id,))

    # -- workspaces ------------------------------------------------------------------------

    def insert_workspace(self, record: dict[str, Any]) -> int:
        """Insert a workspace; assigns and returns a fresh id."""
        return self._insert("workspaces", WORKSPACE_COLUMNS, WORKSPACE_ID_BASE, record)

    def get_workspace(self, workspace_id: int) -> dict[str, Any] | None:
        """One workspace by id (any owner)."""
        return self._by_id("workspaces", workspace_id)

    def list_workspaces(self, user_id: int) -> list[dict[str, Any]]:
        """The workspaces of a user, oldest first."""
        return self._all("SELECT * FROM workspaces WHERE user_id = ? ORDER BY id", (user_id,))

    def update_workspace(self, workspace_id: int, fields: dict[str, Any]) -> None:
        """Update columns of a workspace."""
        self._update("workspaces", WORKSPACE_COLUMNS, workspace_id, fields)

    # -- callbacks -------------------------------------------------------------------------

    def add_callbacks(self, rows: Iterable[tuple[float, str, int, str, str | None]]) -> None:
        """Schedule callbacks: rows of (due, kind, object_id, url, extra_json)."""
        rows = list(rows)
        if rows:
            with self._lock:
                self._db.executemany(
                    "INSERT INTO callbacks (due, kind, object_id, url, extra) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )

    def take_due_callbacks(self, now: float) -> list[dict[str, Any]]:
        """Claim every unsent callback due by ``now`` (marks them sent)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM callbacks WHERE sent = 0 AND due <= ? ORDER BY due, id", (now,)
            ).fetchall()
            if rows:
                self._db.executemany(
                    "UPDATE callbacks SET sent = 1 WHERE id = ?", [(r["id"],) for r in rows]
                )
        return [dict(r) for r in rows]

    # -- bulk ------------------------------------------------------------------------------

    def bulk_insert(
        self, tunes: Sequence[tuple[Any, ...]], prompts: Sequence[tuple[Any, ...]]
    ) -> None:
        """Insert pre-encoded rows (column order of TUNE_/PROMPT_COLUMNS) in one transaction."""
        with self._transaction() as db:
            db.executemany(_insert_sql("tunes", TUNE_COLUMNS), tunes)
            db.executemany(_insert_sql("prompts", PROMPT_COLUMNS), prompts)

    def max_id(self, table: str) -> int:
        """Largest id in ``tunes``, ``prompts`` or ``packs`` (0 when empty)."""
        if table not in {"tunes", "prompts", "packs"}:
            raise ValueError(table)
        return int(self._scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}") or 0)

    def _by_id(self, table: str, row_id: int) -> dict[str, Any] | None:
        if row_id not in SQLITE_INTEGERS:  # SQLite could not even bind it; no row has it
            return None
        return self._one(f"SELECT * FROM {table} WHERE id = ?", (row_id,))

    def _list(self, table: str, query: Query, limit: int, offset: int) -> list[dict[str, Any]]:
        return self._all(
            f"SELECT * FROM {table}{query.where()} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*query.values, limit, offset],
        )

    def _insert(
        self, table: str, columns: Sequence[str], base: int, record: dict[str, Any]
    ) -> int:
        with self._lock:
            record = dict(record)
            record["id"] = record.get("id") or self._next_id(table, base)
            self._db.execute(_insert_sql(table, columns), _encode(record, columns))
            return int(record["id"])

    def _update(self, table: str, columns: Sequence[str], row_id: int, fields: dict) -> None:
        names = [c for c in fields if c in columns and c != "id"]
        if not names:
            return
        values = [json.dumps(fields[c]) if c == "attrs" else fields[c] for c in names]
        sets = ", ".join(f"{c} = ?" for c in names)
        with self._lock:
            self._db.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*values, row_id))
