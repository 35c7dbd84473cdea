"""TuneBrowser: the tune history as a filterable, paged table with a detail pane.

The whole history lives in one DataFrame (``tunes_dataframe``); filters are vectorised masks
(:mod:`.browser_filters`, set in the :mod:`.browser_controls` bar) and only the current page
is rendered, into a fixed pool of row widgets that is reused from page to page. Choosing a row
(its id button, or :meth:`select`) shows the tune in a :class:`~.browser_detail.TuneDetail`
pane, which loads thumbnails and prompts through the client in a worker thread.

A client source (``TuneBrowser()`` or ``TuneBrowser(client)``) is paged in a daemon worker
thread that only sets widget traits: the cell returns at once and shows "Loading tunes…" with
the count so far, and the table appears when the history is in. Lists, DataFrames and a
``TuneHistory`` load synchronously. Scripts and tests drive it without a browser::

    b = TuneBrowser(client)
    b.wait_loaded(60)
    b.set_filter(status="trained", search="portrait")
    b.page = 2
    b.select(int(b.filtered.index[0]))
    b.detail.wait(10)
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd
import traitlets
from ipywidgets.widgets.widget_string import HTMLStyle

from astria_widgets.widgets import browser_filters as filters
from astria_widgets.widgets import browser_render as render
from astria_widgets.widgets.browser_controls import FilterBar
from astria_widgets.widgets.browser_detail import TuneDetail, close_tree
from astria_widgets.widgets.browser_source import frame_of, is_remote, resolve_source
from astria_widgets.widgets.fallback import StaticFallback
from astria_widgets.widgets.fallback_html import Section, browser_sections

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

_KEEP: Any = object()  # set_filter: "leave this filter as it is"
_ROW_COLUMNS = (*(c for c, _h, _w in render.ROW_COLUMNS), "expiring_soon")  # + the mark
_ID_WIDTH = "92px"


def _layout(**kwargs: Any) -> widgets.Layout:
    return widgets.Layout(**kwargs)


class TuneBrowser(StaticFallback, widgets.VBox):
    """Filterable, paged view of a tune history with a detail pane for the chosen tune.

    ``source``: a list of tune records, an ``AstriaClient``, a ``TuneHistory``, a DataFrame from
    ``tunes_dataframe``, or ``None`` (``connect()``). Images and prompts need a client: the
    source itself, a history's client, or ``client=``. A client source loads in a worker
    thread (see :meth:`wait_loaded`); the other sources are loaded when the constructor returns.

    Traits: ``page`` (1-based), ``n_pages``, ``n_matching``, ``selected_id`` (``None`` when no
    tune is chosen), ``load_state`` (``loading``, ``ready`` or ``error``), ``n_loaded`` (tunes
    fetched so far). Properties: ``filtered`` (the current filtered frame, newest first),
    ``frame`` (every tune), ``filters`` (a :class:`~.browser_filters.TuneFilter`).

    Its output also carries a static copy (the page, the chosen tune and a few of its
    generated images) for saved notebooks (:mod:`astria_widgets.widgets.fallback`), made when
    it is displayed and when the tunes are in; :meth:`refresh_static` (``now=True``) saves the
    current page and selection into it.
    """

    page = traitlets.Int(1)
    n_pages = traitlets.Int(1)
    n_matching = traitlets.Int(0)
    selected_id = traitlets.Int(None, allow_none=True)
    load_state = traitlets.Unicode("ready")
    n_loaded = traitlets.Int(0)
    static_kind = "tune-browser"
    static_traits = ("load_state",)  # the copy follows the load, not every click
    static_thumbnails = 6  # generated images of the chosen tune in the static copy

    def __init__(self, source: Any = None, *, client: AstriaClient | None = None,
                 page_size: int = 25) -> None:
        if not isinstance(page_size, int) or not 1 <= page_size <= 500:
            raise ValueError(f"page_size must be an int from 1 to 500; got {page_size!r}")
        self._source, self._client = resolve_source(source, client)
        self._page_size = page_size
        self._lock = threading.RLock()
        self._load_stop = threading.Event()
        self._loaded = threading.Event()
        self._load_error: BaseException | None = None
        self._worker: threading.Thread | None = None
        remote = is_remote(self._source)
        frame = frame_of([] if remote else self._source)  # the full empty schema until loaded
        assert frame is not None
        self._frame = filters.prepare_frame(frame)
        self._filter = filters.TuneFilter()
        self._filtered = self._frame
        self._page_ids: list[int] = []

        self.detail = TuneDetail()
        self._controls = FilterBar(on_change=self.set_filter, on_reset=self.clear_filters)
        self._build_table()
        self._build_loading()
        pager = widgets.HBox([self._prev, self._pager, self._next],
                             layout=_layout(align_items="center"))
        pager.add_class("astria-browser-pager")
        # the table keeps its natural width; the detail pane takes the rest beside it, or
        # wraps below when the notebook is too narrow for both
        left = widgets.VBox([self._table, pager], layout=_layout(flex="0 1 auto",
                                                                 overflow="auto"))
        self._main = widgets.HBox([left, self.detail], layout=_layout(
            flex_flow="row wrap", align_items="flex-start"))
        super().__init__(children=[self._loading_row, self._controls, self._main])
        self.add_class("astria-tune-browser")

        self.observe(self._on_page_change, "page")
        self.observe(self._on_selected_change, "selected_id")
        self._controls.set_choices(self._frame)
        self._apply(self._filter)
        if remote:
            self._start_load(first=True)
        else:
            self._loaded.set()

    # ------------------------------------------------------------------ public API
    @property
    def frame(self) -> pd.DataFrame:
        """Every tune of the source, newest first."""
        return self._frame

    @property
    def filtered(self) -> pd.DataFrame:
        """The tunes passing the current filters, newest first."""
        return self._filtered

    @property
    def filters(self) -> filters.TuneFilter:
        """The current filter state."""
        return self._filter

    @property
    def expiring_box(self) -> widgets.Checkbox:
        """The "expiring soon (7 days)" checkbox of the filter bar."""
        return self._controls.expiring_box

    @property
    def page_size(self) -> int:
        """Rows per page."""
        return self._page_size

    @property
    def client(self) -> AstriaClient | None:
        """The client used for images and prompts (``None``: fields only)."""
        return self._client

    @property
    def page_rows_html(self) -> list[str]:
        """The HTML of each row shown on the current page, in order."""
        return [cells.value for _button, cells in self._slots[:len(self.page_ids)]]

    @property
    def page_ids(self) -> list[int]:
        """Tune ids of the rows on the current page, top to bottom."""
        return list(self._page_ids)

    @property
    def loaded(self) -> bool:
        """True once the tunes are in (``load_state`` is ``ready``)."""
        return self.load_state == "ready"

    @property
    def load_running(self) -> bool:
        """True while the background thread paging through a client source is running."""
        worker = self._worker
        return worker is not None and worker.is_alive()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Block until the (re)load ends; True when the tunes are in, False if ``timeout`` ran out.

        Raises the error the load ended with (e.g. ``AuthenticationError``); the browser shows
        it too, with a *Retry* button. Returns True at once for list, DataFrame and history
        sources, False when the browser was closed before the tunes came. Once the load has
        ended its worker thread has ended too (:attr:`load_running` is False).
        """
        with self._lock:
            done, worker = self._loaded, self._worker
        if not done.wait(timeout):
            return False
        if worker is not None and worker is not threading.current_thread():
            worker.join()  # it ends right after setting ``done``
        if self._load_error is not None:
            raise self._load_error
        return self.load_state == "ready"  # False when closed before the tunes came

    def set_filter(self, *, status: Any = _KEEP, branch: Any = _KEEP, name: Any = _KEEP,
                   since: Any = _KEEP, until: Any = _KEEP, search: Any = _KEEP,
                   expiring_soon: Any = _KEEP) -> None:
        """Change some filters (``None`` clears one; the others stay) and go to page 1.

        ``status``/``branch``/``name``: a value or a list of accepted values. ``since``/``until``:
        a date, datetime or ISO string bounding ``created_at`` (a date-only ``until`` includes
        that day). ``search``: text found in titles (case-insensitive), or a tune id.
        ``expiring_soon``: True keeps only the trained tunes whose storage ends within 7 days.
        """
        given = {"status": status, "branch": branch, "name": name, "since": since,
                 "until": until, "search": search, "expiring_soon": expiring_soon}
        with self._lock:
            self._apply(self._filter.updated(**{k: v for k, v in given.items()
                                                if v is not _KEEP}))

    def clear_filters(self) -> None:
        """Show every tune again (page 1)."""
        with self._lock:
            self._apply(filters.TuneFilter())

    def select(self, tune_id: int | None) -> None:
        """Show tune ``tune_id`` in the detail pane (``None`` clears it); ``KeyError`` if unknown.

        The tune need not be on the current page or pass the filters. The id is read by the
        one id rule (``client.api.record_id``): ``True`` or ``5.7`` is an ``InputError`` naming
        ``tune_id`` and the selection stays.
        """
        from astria_widgets.client.api import record_id

        if tune_id is not None:
            tune_id = record_id(tune_id, "tune_id")
        with self._lock:
            if tune_id is not None and tune_id not in self._frame.index:
                if self.load_state == "loading" and self._frame.empty:
                    raise KeyError(f"no tune {tune_id} yet: the tunes are still loading "
                                   "(call wait_loaded() first)")
                raise KeyError(f"no tune {tune_id} in this browser ({len(self._frame):,} tunes)")
            self.selected_id = tune_id

    def refresh(self) -> None:
        """Reload the source, keeping filters, page and selection where possible.

        A client source reloads in the worker thread (the current table stays until the new
        one is in; :meth:`wait_loaded` blocks); the other sources reload at once.
        """
        if is_remote(self._source):
            self._start_load(first=False)
            return
        frame = frame_of(self._source)
        assert frame is not None
        self._set_frame(frame)

    def close(self) -> None:
        """Stop any load in flight and close every child widget."""
        if hasattr(self, "_load_stop"):
            self._load_stop.set()
        if hasattr(self, "detail"):  # absent when __init__ failed early
            self.detail.close()
        for child in self.children:
            close_tree(child)
        for pair in getattr(self, "_slots", ()):  # rows of the pool not on the last page
            for widget in pair:
                widget.close()
        super().close()

    def __repr__(self) -> str:
        if self.load_state != "ready" and self._frame.empty:
            what = ("loading" if self.load_state == "loading" else "load failed")
            return f"TuneBrowser({what}, {self.n_loaded:,} tunes so far)"
        chosen = f", selected=#{self.selected_id}" if self.selected_id is not None else ""
        total = len(self._frame)
        matched = "" if self.n_matching == total else f", {self.n_matching:,} match"
        return (f"TuneBrowser({total:,} tunes{matched}, page {self.page:,} of "
                f"{self.n_pages:,}{chosen})")

    def static_sections(self) -> list[Section]:
        """The page as text, the chosen tune's fields and images, for the static copy."""
        import html

        with self._lock:
            if self.load_state != "ready":
                what = "could not load the tunes" if self.load_state == "error" else \
                    f"loading tunes, {self.n_loaded:,} so far"
                err = self._load_error
                error = f"{type(err).__name__}: {err}" if err is not None else ""
                return browser_sections(what, [], None, error=error)
            pager = html.unescape(render.pager_text(self.page, self.n_pages, self.n_matching,
                                                    len(self._frame)))
            rows = [{"id": i, **self._frame.loc[i].to_dict()} for i in self._page_ids]
            chosen = self.selected_id
            selected = ({"id": chosen, **self._frame.loc[chosen].to_dict()}
                        if chosen is not None and chosen in self._frame.index else None)
        pictures = [image.value for images in self.detail.prompt_thumbnails.values()
                    for image in images][:self.static_thumbnails]
        return browser_sections(pager, rows, selected, pictures if selected else ())

    # ------------------------------------------------------------------ building
    def _build_table(self) -> None:
        self._prev = widgets.Button(description="Prev", icon="chevron-left",
                                    layout=_layout(width="auto"))
        self._prev.add_class("astria-browser-prev")
        self._prev.on_click(lambda _b: self._go(-1))
        self._next = widgets.Button(description="Next", icon="chevron-right",
                                    layout=_layout(width="auto"))
        self._next.add_class("astria-browser-next")
        self._next.on_click(lambda _b: self._go(+1))
        self._pager = widgets.HTML("", layout=_layout(margin="0 8px"))
        self._pager.add_class("astria-browser-page")

        # One grid, two cells per row (id button, HTML cells); the row widgets are made once
        # and share their layout and style models, and a page only rewrites their values.
        self._header = [widgets.HTML("<b>id</b>"), widgets.HTML(render.header_html())]
        button_layout = _layout(width=_ID_WIDTH, height="26px", margin="1px 0")
        button_style = widgets.ButtonStyle()
        cell_layout = _layout(margin="0")
        cell_style = HTMLStyle()
        self._slots: list[tuple[widgets.Button, widgets.HTML]] = []
        for index in range(self._page_size):
            button = widgets.Button(layout=button_layout, style=button_style)
            button.add_class("astria-browser-row-button")
            button.on_click(lambda _b, i=index: self._on_row_click(i))
            cells = widgets.HTML("", layout=cell_layout, style=cell_style)
            cells.add_class("astria-browser-row")
            self._slots.append((button, cells))
        self._grid = widgets.GridBox(self._header, layout=_layout(
            grid_template_columns=f"{_ID_WIDTH} auto", align_items="center",
            grid_gap="0 4px"))
        self._grid.add_class("astria-browser-grid")
        self._empty = widgets.HTML("")
        self._empty.add_class("astria-browser-empty")
        self._table = widgets.VBox([self._grid, self._empty])
        self._table.add_class("astria-browser-table")

    def _build_loading(self) -> None:
        self._loading = widgets.HTML("")
        self._loading.add_class("astria-browser-loading")
        self._retry = widgets.Button(description="Retry", icon="refresh",
                                     layout=_layout(width="auto", display="none"))
        self._retry.add_class("astria-browser-retry")
        self._retry.on_click(lambda _b: self.refresh())
        self._loading_row = widgets.HBox([self._loading, self._retry], layout=_layout(
            align_items="center", display="none"))
        self._loading_row.add_class("astria-browser-loading-row")

    # ------------------------------------------------------------------ loading
    def _start_load(self, *, first: bool) -> None:
        """Page through the client in a daemon thread that only sets widget traits."""
        with self._lock:
            self._load_stop.set()  # a load still running is superseded
            self._load_stop = stop = threading.Event()
            self._loaded = done = threading.Event()
            self._load_error = None
            self.n_loaded = 0
            self.load_state = "loading"
            self._show_loading(0)
            self._retry.layout.display = "none"
            self._loading_row.layout.display = "flex"
            if first:  # nothing to show yet: the table appears when the tunes are in
                self._controls.layout.display = "none"
                self._main.layout.display = "none"
            # set with its ``done`` event, so wait_loaded() never pairs one with another's
            self._worker = threading.Thread(target=self._load, args=(stop, done),
                                            name="astria-browser-load", daemon=True)
            self._worker.start()

    def _show_loading(self, count: int) -> None:
        so_far = f" {count:,} so far" if count else ""
        self._loading.value = (
            '<span style="color:#6b7280"><i class="fa fa-spinner fa-spin"></i> '
            f"Loading tunes…{so_far}</span>")

    def _on_load_progress(self, stop: threading.Event, count: int) -> None:
        with self._lock:
            if not stop.is_set():
                self.n_loaded = count
                self._show_loading(count)

    def _load(self, stop: threading.Event, done: threading.Event) -> None:
        try:
            frame = frame_of(self._source, stop=stop,
                             on_progress=lambda n: self._on_load_progress(stop, n))
            with self._lock:
                if frame is None or stop.is_set():
                    return
                self._set_frame(frame)
                self.load_state = "ready"
                self._loading_row.layout.display = "none"
                self._controls.layout.display = ""
                self._main.layout.display = ""
        except Exception as exc:  # never a traceback in the notebook: say it in the widget
            with self._lock:
                if stop.is_set():
                    return
                self._load_error = exc
                self.load_state = "error"
                self._loading.value = render.note_html(
                    f"Could not load the tunes: {type(exc).__name__}: {exc}", error=True)
                self._retry.layout.display = ""
        finally:
            done.set()

    def _set_frame(self, frame: pd.DataFrame) -> None:
        """Show a new frame, keeping filters, page and selection where they still apply."""
        with self._lock:
            self._frame = filters.prepare_frame(frame)
            self._controls.set_choices(self._frame)
            keep = self.page
            self._apply(self._filter)
            self.page = min(keep, self.n_pages)
            if self.selected_id is not None and self.selected_id not in self._frame.index:
                self.selected_id = None
            elif self.selected_id is not None:
                self._show_detail(self.selected_id)

    # ------------------------------------------------------------------ state -> view
    def _apply(self, flt: filters.TuneFilter) -> None:
        self._filter = flt
        self._filtered = filters.apply_filter(self._frame, flt)
        self.n_matching = len(self._filtered)
        self.n_pages = filters.page_count(self.n_matching, self._page_size)
        self._controls.show(flt)
        if self.page != 1:
            self.page = 1  # the observer renders
        else:
            self._render_page()

    def _render_page(self) -> None:
        rows = filters.page_slice(self._filtered, self.page, self._page_size)
        present = [c for c in _ROW_COLUMNS if c in rows.columns]
        records = rows[present].to_dict("records")
        self._page_ids = [int(i) for i in rows.index]
        for slot, record in enumerate(records):
            button, cells = self._slots[slot]
            tune_id = self._page_ids[slot]
            button.description = str(tune_id)
            button.tooltip = f"Show tune {tune_id}"
            button.button_style = "info" if tune_id == self.selected_id else ""
            cells.value = render.row_html(record)
        if len(self._grid.children) != 2 * (len(records) + 1):  # only a short page changes it
            self._grid.children = [*self._header,
                                   *(w for pair in self._slots[:len(records)] for w in pair)]
        if self._frame.empty:
            self._empty.value = render.note_html("No tunes yet.")
        elif self._filtered.empty:
            self._empty.value = render.note_html("No tunes match these filters.")
        else:
            self._empty.value = ""
        self._pager.value = render.pager_text(self.page, self.n_pages, self.n_matching,
                                              len(self._frame))
        self._prev.disabled = self.page <= 1
        self._next.disabled = self.page >= self.n_pages

    def _show_detail(self, tune_id: int) -> None:
        row = self._frame.loc[tune_id]
        self.detail.show(tune_id, row.to_dict(), self._client)

    # ------------------------------------------------------------------ handlers
    @traitlets.validate("page")
    def _valid_page(self, proposal: dict[str, Any]) -> int:
        return min(max(int(proposal["value"]), 1), self.n_pages)

    @traitlets.validate("selected_id")
    def _valid_selected_id(self, proposal: dict[str, Any]) -> int | None:
        tune_id = proposal["value"]
        if tune_id is not None and tune_id not in self._frame.index:
            raise traitlets.TraitError(f"no tune {tune_id} in this browser")
        return tune_id

    def _on_page_change(self, change: dict[str, Any]) -> None:
        with self._lock:
            self._render_page()

    def _on_selected_change(self, change: dict[str, Any]) -> None:
        tune_id = change["new"]
        for button, _cells in self._slots:
            button.button_style = "info" if button.description == str(tune_id) else ""
        if tune_id is None:
            self.detail.clear()
        else:
            self._show_detail(tune_id)

    def _on_row_click(self, slot: int) -> None:
        if slot < len(self._page_ids):
            self.selected_id = self._page_ids[slot]

    def _go(self, step: int) -> None:
        self.page = min(max(self.page + step, 1), self.n_pages)
