"""The default history file of an account, and one open ``TuneHistory`` per file per process.

The rule (one home): ``history.sqlite3`` in the sandbox folder for the local sandbox
(``ASTRIA_SANDBOX_DIR`` or its default), else ``~/.astria-widgets/history.sqlite3`` for the
real API; ``ASTRIA_HISTORY`` (a file path), when set, overrides both. ``astria-widgets
sync``, the run recorder, ``resume()`` and ``runs_dataframe()`` all use it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from astria_widgets.history import TuneHistory

HISTORY_FILE = "history.sqlite3"
REAL_API_DIR = Path.home() / ".astria-widgets"

_OPEN: dict[Path, TuneHistory] = {}
_OPEN_LOCK = threading.Lock()


def sandbox_history_path() -> Path:
    """The history file of the local sandbox."""
    from astria_widgets.connect import sandbox_dir

    return sandbox_dir() / HISTORY_FILE


def default_history_path(client: Any) -> Path:
    """Where the history of ``client``'s account lives (see the module docstring)."""
    override = os.environ.get("ASTRIA_HISTORY", "").strip()
    if override:
        return Path(override).expanduser()
    if getattr(client, "is_sandbox", False):
        return sandbox_history_path()
    return REAL_API_DIR / HISTORY_FILE


def default_history(client: Any = None) -> TuneHistory:
    """The ``TuneHistory`` of ``client``'s account (``connect()``'s when None), opened once
    per process and file and shared (its client is the first one given)."""
    from astria_widgets.history import TuneHistory

    if client is None:
        from astria_widgets.connect import connect

        client = connect()
    path = default_history_path(client).expanduser()
    with _OPEN_LOCK:
        history = _OPEN.get(path)
        if history is None:
            history = _OPEN[path] = TuneHistory(path, client)
        return history
