"""``AstriaApp``: the page ``astria-widgets app`` serves through Voilà.

The tune form, the prompt studio, the tune browser and the recorded runs (``RunsView``: open a
past run's grid, resume the unfinished ones) as the tabs of one ``ipywidgets.Tab``,
all on one client (``connect()``: ``ASTRIA_API_KEY``, else the local sandbox), under a line
saying which API the page talks to. Core ipywidgets and the anywidget uploader only, so any
widget manager renders it (Voilà, JupyterLab, Notebook 7).

When the user comes back to the studio or the browser after the form submitted a tune (or
its status changed), that tab reloads its tunes, so a tune made in the first tab can be
picked in the others; otherwise switching tabs costs no request. The Runs tab lists the
history again each time it is shown (the SQLite file only, no request).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from astria_widgets.widgets.browser import TuneBrowser
from astria_widgets.widgets.form import TuneForm
from astria_widgets.widgets.runs_view import RunsView
from astria_widgets.widgets.studio import PromptStudio

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

#: The tabs' titles, in order: the form, the studio, the browser, the recorded runs.
TAB_TITLES = ("New tune", "Generate", "History", "Runs")
RUNS_TAB = 3


def api_line(client: AstriaClient) -> str:
    """One line of HTML saying which API ``client`` talks to (never its key or URL)."""
    if client.is_sandbox:
        text = ("the local sandbox: simulated and free (set ASTRIA_API_KEY to use your "
                "Astria account)")
    else:
        text = "the Astria API with your ASTRIA_API_KEY: tunes and prompts are billed"
    return f"<b>Astria</b> &middot; {html.escape(text)}"


class AstriaApp(w.VBox):
    """The form, the studio, the browser and the runs as tabs (see the module docstring).

    ``AstriaApp(client=None)``: ``client`` defaults to ``connect(quiet=True)``. The parts are
    ``.form`` (``TuneForm``), ``.studio`` (``PromptStudio``), ``.browser`` (``TuneBrowser``),
    ``.runs`` (``RunsView``) and ``.tabs`` (the ``ipywidgets.Tab``; titles in ``TAB_TITLES``).
    """

    def __init__(self, client: AstriaClient | None = None) -> None:
        if client is None:
            from astria_widgets.connect import connect

            client = connect(quiet=True)
        self.client = client
        self.form = TuneForm(client)
        self.studio = PromptStudio(client)
        self.browser = TuneBrowser(client)
        self.runs = RunsView(client)
        self.tabs = w.Tab(children=[self.form, self.studio, self.browser, self.runs],
                          titles=TAB_TITLES)
        self.tabs.add_class("astria-app-tabs")
        self.header = w.HTML(api_line(client))
        self.header.add_class("astria-app-header")
        # what each tab last saw of the form's submission: (handle, status) or None
        self._seen: dict[int, Any] = {1: None, 2: None}
        self.tabs.observe(self._on_tab, names="selected_index")
        super().__init__(children=[self.header, self.tabs])
        self.add_class("astria-app")

    def _submission(self) -> tuple[int, str] | None:
        handle = self.form.handle
        return None if handle is None else (id(handle), handle.status)

    def _on_tab(self, change: dict[str, Any]) -> None:
        index = change["new"]
        if index == RUNS_TAB:
            self.runs.refresh()  # the history file only: what the other tabs recorded
            return
        if index not in self._seen:
            return
        now = self._submission()
        if now == self._seen[index]:
            return
        self._seen[index] = now
        if index == 1:
            self.studio.reload_button.click()  # your tunes, newest first
        else:
            self.browser.refresh()
