"""``RunsView``: the runs recorded in a history, reopened or resumed without typing a cell.

The app page's "Runs" tab (and a widget of its own): a table of
:func:`~astria_widgets.history.runs_frame.runs_dataframe` (kind, when, label, prompts, done,
cost, likes; newest first) with Refresh; a run picked and Open shows its grid below
(:meth:`CompareView.open_run <astria_widgets.widgets.compare.CompareView.open_run>`, the same
as ``PromptStudio.open_run``: the history only, no request); "Resume unfinished" runs
:func:`~astria_widgets.widgets.resume.resume` in a worker thread and shows the resumed views.
Listing and opening read the SQLite history on the kernel's thread; anything that may call
the API runs in :func:`~astria_widgets.client.background.in_background`. Problems are one
line in the view, never a traceback. Its output carries a static copy of the list.
"""

from __future__ import annotations

import html
import logging
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from astria_widgets.client.background import in_background
from astria_widgets.client.costs import usd
from astria_widgets.client.errors import InputError
from astria_widgets.widgets.compare import CompareView
from astria_widgets.widgets.fallback import StaticFallback
from astria_widgets.widgets.fallback_html import Section
from astria_widgets.widgets.formatting import error_html, short_error

if TYPE_CHECKING:
    import pandas as pd

    from astria_widgets.client import AstriaClient
    from astria_widgets.history import TuneHistory
    from astria_widgets.widgets.resume import ResumedRuns

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: The table's columns, in order.
COLUMNS = ("Kind", "When", "Label", "Prompts", "Done", "Cost", "Likes")
#: The kinds of run whose grid Open can show.
GRID_KINDS = ("sweep", "compare")


def _value(value: Any) -> Any:
    """A frame cell as plain Python (``<NA>`` -> None)."""
    try:
        import pandas as pd

        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return value


def run_cells(row: Any) -> tuple[str, ...]:
    """One run of ``runs_dataframe`` as the table's text cells (see ``COLUMNS``)."""
    when = _value(row["created_at"])
    unfinished = _value(row["unfinished"]) or 0
    done = "done" if _value(row["done"]) else f"{unfinished} left"
    return (str(row["kind"]), when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else "—",
            str(_value(row["label"]) or ""), str(_value(row["prompts"]) or 0), done,
            usd(_value(row["cost_mc"]), missing="—"), str(_value(row["likes"]) or 0))


def table_html(frame: pd.DataFrame) -> str:
    """The runs as an HTML table (escaped; "No runs recorded yet." when there are none)."""
    if frame.empty:
        return "<i>No runs recorded yet: a sweep, a comparison or a tune appears here.</i>"
    head = "".join(f"<th style='text-align: left; padding: 2px 8px'>{c}</th>" for c in COLUMNS)
    rows = []
    for _index, row in frame.iterrows():
        cells = "".join(f"<td style='padding: 2px 8px'>{html.escape(c)}</td>"
                        for c in run_cells(row))
        rows.append(f"<tr class='astria-runs-row'>{cells}</tr>")
    return f"<table class='astria-runs-table'><tr>{head}</tr>{''.join(rows)}</table>"


class RunsView(StaticFallback, w.VBox):
    """The recorded runs (see the module docstring).

    ``RunsView(client=None, history=None)``: ``client`` defaults to ``default_client()``,
    ``history`` (a ``TuneHistory`` or a file path) to the client's account's default. Parts:
    ``table`` (HTML), ``picker`` (a ``Select`` of run ids), ``refresh_button``,
    ``open_button``, ``resume_button``, ``message``, ``opened`` (the box of the grid opened:
    ``.view``), ``resumed`` (the box of the resumed runs: ``.resumed_runs``, while running
    ``.resuming``, a ``Future``). ``frame`` is the last listing.
    """

    static_kind = "runs"

    def __init__(self, client: AstriaClient | None = None,
                 history: TuneHistory | str | None = None) -> None:
        if client is None:
            from astria_widgets.connect import default_client

            client = default_client()
        self.client = client
        self._history_source = history
        self._history: TuneHistory | None = None
        self.frame: pd.DataFrame | None = None
        self.view: CompareView | None = None
        self.resumed_runs: ResumedRuns | None = None
        self.resuming: Future[Any] | None = None
        self.title = w.HTML("<b>Runs</b> <small>recorded in this account's history; open one "
                            "to see its grid again (nothing is sent)</small>")
        self.table = w.HTML()
        self.table.add_class("astria-runs-list")
        self.picker = w.Select(options=[], rows=6, description="Run",
                               layout=w.Layout(width="auto", min_width="420px"))
        self.picker.add_class("astria-runs-picker")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.add_class("astria-runs-refresh")
        self.open_button = w.Button(description="Open", icon="folder-open",
                                    button_style="primary")
        self.open_button.add_class("astria-runs-open")
        self.resume_button = w.Button(description="Resume unfinished", icon="play")
        self.resume_button.add_class("astria-runs-resume")
        self.message = w.HTML()
        self.message.add_class("astria-runs-message")
        self.opened = w.VBox()
        self.opened.add_class("astria-runs-opened")
        self.resumed = w.VBox()
        self.resumed.add_class("astria-runs-resumed")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.open_button.on_click(lambda _b: self.open_selected())
        self.resume_button.on_click(lambda _b: self.resume_unfinished())
        buttons = w.HBox([self.refresh_button, self.open_button, self.resume_button])
        super().__init__(children=[self.title, self.table, self.picker, buttons, self.message,
                                   self.opened, self.resumed])
        self.add_class("astria-runs")
        self.refresh()

    # -- the history -------------------------------------------------------------------------
    @property
    def history(self) -> TuneHistory:
        """The history listed (opened on first use; the account's default when none given)."""
        if self._history is None:
            from astria_widgets.history.runs_frame import history_of

            source = self._history_source
            self._history = history_of(source if source is not None else self.client)
        return self._history

    def refresh(self) -> None:
        """List the runs again (the history only, no request); the run picked stays picked."""
        from astria_widgets.history.runs_frame import runs_dataframe

        try:
            frame = runs_dataframe(self.history)
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            self.message.value = error_html(f"Could not read the history: {short_error(exc)}")
            return
        self.frame = frame
        self.table.value = table_html(frame)
        kept = self.picker.value
        options = [(" · ".join(run_cells(row)[:3]) + f" ({row['run_id'][:8]})",
                    str(row["run_id"])) for _i, row in frame.iterrows()]
        self.picker.options = options
        ids = [value for _label, value in options]
        self.picker.value = kept if kept in ids else (ids[0] if ids else None)
        self.refresh_static()

    # -- open --------------------------------------------------------------------------------
    def open_selected(self) -> CompareView | None:
        """Show the picked run's grid below the list, rebuilt from the history (no request);
        the view, or None with the reason in ``message``."""
        run_id = self.picker.value
        if not run_id:
            self.message.value = error_html("Pick a run first (Refresh lists the new ones).")
            return None
        kind = self._kind(run_id)
        if kind is not None and kind not in GRID_KINDS:
            self.message.value = error_html(
                f"Run {run_id[:8]} is a {kind}: it has no grid to reopen (the History tab "
                "shows its tune).")
            return None
        try:
            view = CompareView.open_run(run_id, self.history)
        except InputError as exc:
            self.message.value = error_html(f"Could not open run {run_id[:8]}: "
                                            f"{short_error(exc)}")
            return None
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            self.message.value = error_html(
                f"Could not open run {run_id[:8]}: its record in the history is damaged "
                f"({short_error(exc)})")
            return None
        if view.run.shape[0] * view.run.shape[1] == 0:
            self.message.value = error_html(f"Run {run_id[:8]} has no grid to reopen.")
            return None
        self.view = view
        self.opened.children = (view,)
        self.message.value = html.escape(f"Opened run {run_id[:8]} from the history.")
        return view

    def _kind(self, run_id: str) -> str | None:
        if self.frame is None:
            return None
        found = self.frame.loc[self.frame["run_id"] == run_id, "kind"]
        return None if found.empty else str(found.iloc[0])

    # -- resume ------------------------------------------------------------------------------
    def resume_unfinished(self) -> Future[Any]:
        """Resume every unfinished run in a worker thread (it may call the API); its views
        appear below when rebuilt. The ``Future`` (also ``resuming``) ends with them."""
        self.resume_button.disabled = True
        self.message.value = "Resuming the unfinished runs..."

        def job() -> ResumedRuns | None:
            from astria_widgets.widgets.resume import resume

            try:
                runs = resume(self.client, self.history)
            except Exception as exc:  # noqa: BLE001 - shown, never a traceback
                self.message.value = error_html(f"Could not resume: {short_error(exc)}")
                return None
            finally:
                self.resume_button.disabled = False
            if self.resumed_runs is not None:
                self.resumed_runs.stop()  # the new views follow the same runs
            self.resumed_runs = runs
            self.resumed.children = (runs,)
            self.message.value = html.escape(f"Resumed: {runs.summary}")
            return runs

        self.resuming = in_background(job, "astria-runs-resume")
        return self.resuming

    # -- static copy -------------------------------------------------------------------------
    def static_sections(self) -> list[Section]:
        """The list as the static copy shows it: one line per run."""
        frame = self.frame
        if frame is None or frame.empty:
            return [Section(title="Runs", status="no runs recorded")]
        lines = tuple(" · ".join(run_cells(row)) for _i, row in frame.iterrows())
        return [Section(title="Runs", status=f"{len(frame)} runs recorded", lines=lines)]

    def __repr__(self) -> str:
        count = 0 if self.frame is None else len(self.frame)
        return f"RunsView(runs={count})"
