"""The TuneBrowser's filter bar: search, status, branch, class, dates, "expiring soon", reset.

:class:`FilterBar` only shows a :class:`~.browser_filters.TuneFilter` (:meth:`FilterBar.show`)
and the choices a frame offers (:meth:`FilterBar.set_choices`), and forwards what the user
changes to the browser (``on_change(changes)``, the keyword arguments of
``TuneBrowser.set_filter``); a change it cannot take (``ValueError``, e.g. "from" after "to")
is said in the bar and the results stay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from astria_widgets.widgets import browser_filters as filters
from astria_widgets.widgets import browser_render as render

ANY = ""  # the "no filter" value of the dropdowns


def _layout(**kwargs: Any) -> widgets.Layout:
    return widgets.Layout(**kwargs)


class FilterBar(widgets.HBox):
    """The filter controls (DOM classes ``astria-browser-filters``, ``-search``, ``-status``,
    ``-branch``, ``-name``, ``-since``, ``-until``, ``-expiring``, ``-reset``, ``-error``)."""

    def __init__(self, on_change: Callable[..., Any], on_reset: Callable[[], Any]) -> None:
        self._on_change = on_change
        self._syncing = False

        def dropdown(kind: str, placeholder: str) -> widgets.Dropdown:
            box = widgets.Dropdown(options=[(placeholder, ANY)], value=ANY,
                                   layout=_layout(width="150px"))
            box.add_class(f"astria-browser-{kind}")
            box.observe(lambda change: self._on_control(kind, change["new"]), "value")
            return box

        self.search = widgets.Text(placeholder="Search titles or #id",
                                   layout=_layout(width="200px"), continuous_update=True)
        self.search.add_class("astria-browser-search")
        self.search.observe(lambda c: self._on_control("search", c["new"]), "value")
        self.choices = {"status": dropdown("status", "any status"),
                        "branch": dropdown("branch", "any branch"),
                        "name": dropdown("name", "any class")}
        self.since = widgets.DatePicker(description="from", layout=_layout(width="190px"))
        self.since.style.description_width = "36px"
        self.since.add_class("astria-browser-since")
        self.since.observe(lambda c: self._on_control("since", c["new"]), "value")
        self.until = widgets.DatePicker(description="to", layout=_layout(width="190px"))
        self.until.style.description_width = "36px"
        self.until.add_class("astria-browser-until")
        self.until.observe(lambda c: self._on_control("until", c["new"]), "value")
        self.expiring_box = widgets.Checkbox(description="expiring soon (7 days)", indent=False,
                                             layout=_layout(width="auto"))
        self.expiring_box.add_class("astria-browser-expiring")
        self.expiring_box.observe(lambda c: self._on_control("expiring_soon", c["new"]),
                                  "value")
        self.reset = widgets.Button(description="Clear filters", icon="times",
                                    layout=_layout(width="auto"))
        self.reset.add_class("astria-browser-reset")
        self.reset.on_click(lambda _b: on_reset())
        self.error = widgets.HTML("")
        self.error.add_class("astria-browser-error")
        dates = widgets.HBox([self.since, self.until, self.reset],  # wrap as one group
                             layout=_layout(align_items="center"))
        super().__init__(
            [self.search, *self.choices.values(), self.expiring_box, dates, self.error],
            layout=_layout(flex_flow="row wrap", align_items="center"))
        self.add_class("astria-browser-filters")

    def set_choices(self, frame: pd.DataFrame) -> None:
        """Offer the statuses, branches and classes of ``frame``, each with its count."""
        for kind, box in self.choices.items():
            placeholder = box.options[0][0] if box.options else "any"
            options = [(placeholder, ANY)] + [
                (f"{value} ({count:,})", value)
                for value, count in filters.choice_counts(frame, kind)]
            self._quietly(lambda b=box, o=options: setattr(b, "options", o))

    def show(self, flt: filters.TuneFilter) -> None:
        """Make every control show ``flt`` (observers held off while writing)."""

        def write() -> None:
            for kind, box in self.choices.items():
                choice = getattr(flt, kind)
                value = ANY if choice is None else choice
                if value not in [v for _l, v in box.options]:
                    label = value if isinstance(value, str) else ", ".join(value)
                    box.options = [*box.options, (label, value)]
                box.value = value
            if self.search.value.strip() != flt.search:  # never eat a space being typed
                self.search.value = flt.search
            self.since.value = None if flt.since is None else flt.since.date()
            self.until.value = None if flt.until is None else flt.until.date()
            self.expiring_box.value = flt.expiring_soon
            self.error.value = ""

        self._quietly(write)

    def _quietly(self, write: Callable[[], Any]) -> None:
        self._syncing = True
        try:
            write()
        finally:
            self._syncing = False

    def _on_control(self, kind: str, value: Any) -> None:
        if self._syncing:
            return
        if kind in self.choices and value == ANY:
            value = None
        changes = {kind: value}
        if kind in ("since", "until"):  # both pickers as the user left them
            changes = {"since": self.since.value, "until": self.until.value}
        try:
            self._on_change(**changes)
        except ValueError as exc:  # e.g. "from" after "to": say so, keep the old results
            self.error.value = render.note_html(str(exc), error=True)
