"""``astria-widgets sync [--path FILE] [--prompts] [--full]``: sync a ``TuneHistory`` file.

Fetches only what changed since the last sync (see ``astria_widgets.history``), showing a
tqdm bar per stage on stderr and a one-line summary per record kind on stdout. The client
comes from ``connect()`` (the real API with ``ASTRIA_API_KEY``, else the local sandbox).
Default file: ``history.sqlite3`` in the sandbox folder for the sandbox, else
``~/.astria-widgets/history.sqlite3``. Exit status 0 on success, 1 on an API error, 2 when the
file cannot be used (a folder, not a history file, read-only: checked before connecting when
``--path`` is given) or belongs to another API, or on a bad argument.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from astria_widgets.commands.arguments import PathFormatter, path_text
from astria_widgets.history.paths import (
    HISTORY_FILE,
    REAL_API_DIR,
    default_history_path,
    sandbox_history_path,
)

HELP = "sync the local tune history (SQLite) with the account, fetching only what changed"

_STAGES = {"list": "listing", "gap": "resuming", "refresh": "re-fetching unfinished"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="astria-widgets sync", description=HELP,
                                     formatter_class=PathFormatter)
    parser.add_argument("--path", type=path_text, default=None,
                        help="the history file (default: "
                             f"{sandbox_history_path()} with the local sandbox, "
                             f"{REAL_API_DIR / HISTORY_FILE} with the real API)")
    parser.add_argument("--prompts", action="store_true",
                        help="also sync the account's prompts")
    parser.add_argument("--full", action="store_true",
                        help="list everything again and drop records deleted on the server")
    return parser


def default_path(client: Any) -> Path:
    """Where the history lives when ``--path`` is not given (the history layer's rule)."""
    return default_history_path(client)


class _Bars:
    """One tqdm bar per sync stage, fed by ``TuneHistory`` progress callbacks.

    Listing pages newest-first cannot know how many records remain (the API gives no count),
    so those bars count up with a rate; re-fetching unfinished records knows its total and
    shows a percentage and an ETA. Counts stay exact integers ("1440 tunes", "3/3"; tqdm's
    unit_scale would print "3.00/3.00"), rates read "350.12 tunes/s".
    """

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.stage: str | None = None
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(
                total=total, unit=f" {self.unit}s", file=sys.stderr,
                desc=f"{_STAGES.get(stage, stage)} {self.unit}s", leave=True, dynamic_ncols=True,
            )  # fmt: skip
        if total is not None and self.bar.total != total:
            self.bar.total = total
            self.bar.refresh()
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.stage = None


def main(argv: list[str] | None = None) -> int:
    """Sync the history file; returns the exit status."""
    args = _parser().parse_args(argv)
    from astria_widgets.client import AstriaError
    from astria_widgets.connect import connect
    from astria_widgets.history import HistoryFileError, TuneHistory

    # A --path given is opened (so checked) before connecting: the history connects at its
    # first sync. The default path depends on the API, so that one connects first.
    client = None if args.path is not None else connect(quiet=False)
    path = Path(args.path).expanduser() if client is None else default_path(client)
    option = "--path: " if args.path is not None else ""
    try:
        history = TuneHistory(path, client)
    except HistoryFileError as exc:
        print(f"astria-widgets sync: {option}{exc}", file=sys.stderr)
        return 2
    with history:
        try:
            kinds = [("tune", history.sync)]
            if args.prompts:
                kinds.append(("prompt", history.sync_prompts))
            for unit, sync in kinds:
                bars = _Bars(unit)
                try:
                    result = sync(bars, full=args.full)
                finally:
                    bars.close()
                print(result)
        except AstriaError as exc:
            print(f"astria-widgets sync: {exc}", file=sys.stderr)
            return 1
        except HistoryFileError as exc:
            print(f"astria-widgets sync: {option}{exc}", file=sys.stderr)
            return 2
        except ValueError as exc:
            print(f"astria-widgets sync: {exc}", file=sys.stderr)
            return 2
    print(f"history: {path}")
    return 0
