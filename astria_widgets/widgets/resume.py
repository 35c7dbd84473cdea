"""``resume()``: after a restart, the unfinished runs of the history, each with its widget again.

A sweep gets a :class:`~astria_widgets.widgets.studio_results.StudioResults` grid over its
rebuilt ``GenerationRun``, a comparison its :class:`~astria_widgets.widgets.compare.CompareView`
over its rebuilt ``CompareRun`` (likes and tally included), a training its
:class:`~astria_widgets.widgets.progress.TuneProgress`. The rebuilding and the lease (one
kernel polls a run, any other follows the history) are the history layer's
(:mod:`astria_widgets.history.resume`); this module only lays the views out.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from astria_widgets.history.resume import Resumed, resume_runs, unfinished_summary
from astria_widgets.widgets.compare import CompareView
from astria_widgets.widgets.progress import TuneProgress
from astria_widgets.widgets.studio_results import StudioResults

if TYPE_CHECKING:
    from astria_widgets.history import TuneHistory


class ResumedRuns(w.VBox):
    """The resumed runs: a summary line, then one titled view per run. ``resumed`` holds
    each run's :class:`~astria_widgets.history.resume.Resumed` (``.run`` / ``.compare`` /
    ``.watch``);
    ``views`` the widgets, in the same order; ``summary`` the unfinished work found."""

    def __init__(self, resumed: list[Resumed], summary: str) -> None:
        self.resumed = resumed
        self.summary = summary
        self.views: list[w.Widget] = []
        header = w.HTML(f"<b>Resumed:</b> {html.escape(summary)}")
        header.add_class("astria-resume-summary")
        children: list[w.Widget] = [header]
        for item in resumed:
            label = item.stored.info.label or item.run_id
            title = w.HTML(f"<b>{html.escape(item.kind)}</b> · {html.escape(str(label))} "
                           f"<small>({html.escape(item.run_id[:8])})</small>")
            if item.run is not None:
                view: w.Widget = StudioResults()
                view.show(item.run)
            elif item.compare is not None:
                view = CompareView(item.compare, run_id=item.run_id)
                view.recorder = item.recorder
            else:
                view = TuneProgress(watch=item.watch, title=str(label))
            self.views.append(view)
            children += [title, view]
        super().__init__(children=children)
        self.add_class("astria-resume")

    def wait(self, timeout: float | None = None) -> None:
        """Block until every resumed run settled (``TimeoutError`` style of each wait)."""
        for item in self.resumed:
            if item.run is not None:
                item.run.wait(timeout)
            elif item.compare is not None:
                item.compare.wait(timeout)
            elif item.watch is not None:
                item.watch.wait(timeout)

    def stop(self) -> None:
        """Stop following every run (the work goes on in the service)."""
        for item in self.resumed:
            if item.run is not None:
                item.run.stop()
            elif item.compare is not None:
                item.compare.stop()
            elif item.watch is not None:
                item.watch.stop()

    def __repr__(self) -> str:
        return f"ResumedRuns({self.summary!r})"


def resume(client: Any = None, history: TuneHistory | str | None = None) -> ResumedRuns:
    """Reattach a watch and its widget to every unfinished run of the history; return the
    views at once. ``client`` defaults to ``connect()``, ``history`` to the client's
    account's default history. Sends no create; a run another kernel polls is followed
    through the history (no request)."""
    from astria_widgets.history import TuneHistory
    from astria_widgets.history.paths import default_history

    if client is None:
        from astria_widgets.connect import connect

        client = connect()
    if history is None:
        history = default_history(client)
    elif not isinstance(history, TuneHistory):
        history = TuneHistory(history, client)
    summary = str(unfinished_summary(history))
    return ResumedRuns(resume_runs(history, client), summary)
