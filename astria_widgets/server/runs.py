"""The panel's "Recent runs": the runs recorded in the account's history, read from the file.

Reading sends no API request: the history (``history.paths.default_history`` of the panel's
client) is the file the kernels record their runs in (sweeps, comparisons...), so the list
shows runs made by any notebook. A click in the panel inserts the cell that reopens one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from astria_widgets.history.paths import default_history
from astria_widgets.history.runs_frame import run_row
from astria_widgets.server.views import run_view

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

MAX_RUNS = 100


def recent_runs(client: AstriaClient, count: int) -> dict[str, Any]:
    """``{"runs": [...]}``: the newest ``count`` runs recorded in ``client``'s history."""
    history = default_history(client)
    return {"runs": [run_view(run_row(run)) for run in history.runs.all(limit=count)]}
