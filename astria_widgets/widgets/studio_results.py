"""The studio's results: a labelled grid of a run's prompts, a full-size viewer, Download all.

:class:`StudioResults` renders a :class:`~astria_widgets.client.generation.GenerationRun`: one
row per value of the first swept parameter and one column per value of the second, each cell
showing its prompt's first image as its preview (``WatchedImage.preview``: a JPEG of the cell's
size made in the watch's fetch thread; the browser never gets a full image in the grid) and its
state, with buttons to view it at full size (all its
images, its seed and parameters), like it, or use it as the next input image. The full
image crosses to the browser only when View opens it (and the previous viewer's images are
closed); its bytes stay in the kernel for Download all and "Use as input". It subscribes to
the run (updates arrive in the run's thread and only set widget traits) and owns no rule:
states come from ``client.status``, costs from the run. Its only requests (a like, Download
all) run in a worker thread, never in the kernel's.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import TYPE_CHECKING, Any

import ipywidgets as w
from ipywidgets.widgets.widget_string import HTMLStyle

from astria_widgets.client.background import in_background
from astria_widgets.client.prompt_params import PARAMS
from astria_widgets.client.status import prompt_status
from astria_widgets.imaging.thumbnails import PREVIEW_SIDE
from astria_widgets.widgets.fallback import StaticFallback
from astria_widgets.widgets.fallback_html import Section, run_section, run_status_text
from astria_widgets.widgets.formatting import error_html, image_format, short_error

if TYPE_CHECKING:
    from astria_widgets.client.background import BackgroundDownload
    from astria_widgets.client.generation import GenerationRun

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())
THUMB = PREVIEW_SIDE  # a cell is as big as the preview the watch makes
_NO_PREVIEW = "<small>(no preview: View shows it)</small>"
_DONE: Future[None] = Future()
_DONE.set_result(None)
UseAsInput = Callable[[str, bytes], Any]


def shown_params(prompt: dict[str, Any]) -> list[tuple[str, Any]]:
    """The documented parameters a prompt record echoes back (seed first), for the viewer."""
    names = ["seed"] + [n for n in PARAMS if n != "seed"]
    return [(n, prompt[n]) for n in names if prompt.get(n) not in (None, "", [], False)]


def _guarded(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001 - a click never dumps a traceback into the notebook
        logger.exception("studio result action failed")


def _header(param: str | None, value: Any, axis: str) -> w.HTML:
    label = w.HTML(f"<b>{html.escape(f'{param} = {value}')}</b>")
    label.add_class(f"astria-studio-{axis}-label")
    return label


class CellLook:
    """The layouts and styles every cell of one grid shares: one widget model each, not one
    per cell (a 100-cell grid sends about 800 models to the browser instead of 2,100)."""

    def __init__(self) -> None:
        self.image = w.Layout(width=f"{THUMB}px", height=f"{THUMB}px")
        self.text = w.Layout()
        self.text_style = HTMLStyle()
        self.button = w.Layout(width="auto")
        self.button_style = w.ButtonStyle()
        self.buttons = w.Layout()
        self.box = w.Layout(border="1px solid #ddd", padding="4px", align_items="center")


class ResultCell:
    """The widgets of one grid cell (``look``: the grid's shared layouts and styles)."""

    def __init__(self, label: str, on_view: Callable[[], None], on_like: Callable[[], None],
                 on_use: Callable[[], None], look: CellLook | None = None) -> None:
        look = look or CellLook()
        self.image = w.Image(format="jpeg", layout=look.image)
        self.image.add_class("astria-studio-cell-image")
        self.caption = w.HTML(f"<small>{html.escape(label)}</small>", layout=look.text,
                              style=look.text_style)
        self.caption.add_class("astria-studio-cell-label")
        self.state = w.HTML("<small>waiting...</small>", layout=look.text,
                            style=look.text_style)
        self.state.add_class("astria-studio-cell-state")

        def button(text: str, icon: str, css: str, action: Callable[[], None]) -> w.Button:
            b = w.Button(description=text, icon=icon, disabled=True, layout=look.button,
                         style=look.button_style)
            b.add_class(css)
            b.on_click(lambda _b: _guarded(action))
            return b

        self.view = button("View", "search-plus", "astria-studio-view", on_view)
        self.like = button("Like", "heart", "astria-studio-like", on_like)
        self.use = button("Use as input", "arrow-up", "astria-studio-use", on_use)
        self.buttons = w.HBox([self.view, self.like, self.use], layout=look.buttons)
        self.box = w.VBox([self.image, self.caption, self.state, self.buttons],
                          layout=look.box)
        self.box.add_class("astria-studio-cell")
        self.shown: tuple[int, int] | None = None  # (prompt id, image count) displayed

    def close(self) -> None:
        """Close the cell's own widgets (not the shared look): they leave the browser."""
        for widget in (self.box, self.buttons, self.image, self.caption, self.state,
                       self.view, self.like, self.use):
            widget.close()


class StudioResults(StaticFallback, w.VBox):
    """The results of the latest run (see the module docstring).

    Its output also carries a static copy of the grid (status line and thumbnails) for saved
    notebooks (:mod:`astria_widgets.widgets.fallback`).
    """

    static_kind = "studio-results"

    def __init__(self, on_use_as_input: UseAsInput | None = None,
                 on_change: Callable[[GenerationRun], Any] | None = None,
                 on_liked: Callable[[int], Any] | None = None) -> None:
        self._run: GenerationRun | None = None
        self._on_liked = on_liked  # told each prompt id liked (the studio records it)
        self._lock = threading.RLock()  # renders come from the run's thread and the kernel's
        self._unsubscribe: Callable[[], None] | None = None
        #: the grid's cells (row-major) and its row/column headers
        self.cells: list[ResultCell] = []
        self.row_labels: list[w.HTML] = []
        self.col_labels: list[w.HTML] = []
        self._on_use_as_input = on_use_as_input
        self._on_change = on_change
        self.status = w.HTML()
        self.status.add_class("astria-studio-status")
        self.grid = w.GridBox()
        self.grid.add_class("astria-studio-grid")
        self.viewer = w.VBox()
        self.viewer.add_class("astria-studio-viewer")
        self.folder = w.Text(value="astria-downloads", description="Folder",
                             style={"description_width": "60px"}, layout=w.Layout(width="300px"))
        self.folder.add_class("astria-studio-folder")
        self.download_button = w.Button(description="Download all", icon="download",
                                        disabled=True)
        self.download_button.add_class("astria-studio-download")
        self.download_button.on_click(self._on_download_click)
        self.message = w.HTML()
        self.message.add_class("astria-studio-results-message")
        #: the latest "Download all" (``.wait()`` gives the paths)
        self.download: BackgroundDownload | None = None
        self._likes: dict[int, Future[None]] = {}  # cell index -> its like request
        #: cell index -> its View / "Use as input" fetch (a resumed run's full images)
        self._fetches: dict[int, Future[None]] = {}
        self._look = CellLook()  # one set of layouts and styles for every cell
        super().__init__(children=[
            self.status, self.grid,
            w.HBox([self.folder, self.download_button], layout=w.Layout(align_items="center")),
            self.message, self.viewer,
        ])
        self.add_class("astria-studio-results")

    @property
    def run(self) -> GenerationRun | None:
        """The run shown."""
        return self._run

    def show(self, run: GenerationRun) -> None:
        """Render ``run`` from now on (the previous run is let go, not stopped)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._run = run
        self._likes = {}
        plan = run.sweep
        old_cells, old_children = self.cells, self.grid.children
        self.cells = [
            ResultCell(cell.label or "result", lambda i=i: self._view(i), lambda i=i: self._like(i),
                       lambda i=i: self._use(i), self._look)
            for i, cell in enumerate(plan.cells)]
        rows, cols = plan.shape
        children: list[w.Widget] = []
        headers = plan.col_param is not None
        self.col_labels = [_header(plan.col_param, v, "col") for v in plan.col_values]
        self.row_labels = [_header(plan.row_param, v, "row") for v in plan.row_values]
        if headers:
            children.append(w.HTML(""))
            children.extend(self.col_labels)
        for r in range(rows):
            if self.row_labels:
                children.append(self.row_labels[r])
            children.extend(c.box for c in self.cells[r * cols:(r + 1) * cols])
        label_col = "max-content " if plan.row_param is not None else ""
        self.grid.layout = w.Layout(
            grid_template_columns=f"{label_col}repeat({cols}, max-content)",
            grid_gap="6px", align_items="center")
        self.grid.children = tuple(children)
        for old in old_cells:  # the previous run's grid leaves the browser's widget state
            old.close()
        for widget in old_children:  # its headers and corner (a closed box is left alone)
            widget.close()
        for widget in self.viewer.children:
            widget.close()
        self.viewer.children = ()
        self.message.value = ""
        self._unsubscribe = run.subscribe(self._on_run_change)
        self._render()

    # -- rendering ---------------------------------------------------------------------------
    def _on_run_change(self, run: GenerationRun) -> None:
        if run is not self._run:
            return
        try:
            self._render()
            if self._on_change is not None:
                self._on_change(run)
        except Exception:  # noqa: BLE001 - a view never breaks the run
            logger.exception("studio results update failed")
        if run.done:  # the finished grid, once (see widgets/fallback.py: when copies update)
            self.refresh_static(now=True)

    def static_sections(self) -> list[Section]:
        """The grid of the run shown, for the static copy."""
        if self._run is None:
            return [Section(title="Prompt studio results", status="no run yet")]
        return [run_section(self._run)]

    def _render(self) -> None:
        with self._lock:
            self._render_locked()

    def _render_locked(self) -> None:
        run = self._run
        if run is None:
            return
        images = run.images
        cells = run.cells
        for index, (widgets, (_cell, prompt)) in enumerate(zip(self.cells, cells,
                                                                strict=True)):
            if prompt is None:
                widgets.state.value = "<small>creating...</small>"
                continue
            state = prompt_status(prompt)
            pid = int(prompt["id"])
            got = [i for i in images.get(pid, []) if i.data or i.preview]
            if state == "failed":
                note = error_html(str(prompt.get("user_error") or "failed"))
            elif state == "pending":
                note = f"<small>#{pid} generating...</small>"
            else:
                count = len(prompt.get("images") or [])
                note = (f"<small>#{pid} · seed {prompt.get('seed')} · "
                        f"{count} image{'s' if count != 1 else ''}</small>")
            if got and got[0].preview is None:
                note += "<br>" + _NO_PREVIEW
            widgets.state.value = note
            if got and widgets.shown != (pid, len(got)):
                # the preview made in the fetch thread: the grid never gets the full bytes
                widgets.image.value = got[0].preview or b""
                widgets.shown = (pid, len(got))
            widgets.view.disabled = widgets.use.disabled = not got
            widgets.like.disabled = (state != "done" or widgets.like.description == "Liked"
                                     or not self._likes.get(index, _DONE).done())
        text = run_status_text(run)
        if run.error is not None:
            self.status.value = html.escape(text) + "<br>" + error_html(short_error(run.error))
        else:
            self.status.value = html.escape(text)
        self.download_button.disabled = not any(p and p.get("images") for _c, p in cells)

    # -- actions -----------------------------------------------------------------------------
    def _prompt(self, index: int) -> dict[str, Any] | None:
        cells = self._run.cells if self._run is not None else []
        return cells[index][1] if index < len(cells) else None

    def _view(self, index: int) -> None:
        """Show a cell's full images: at once when the kernel holds them, else (a resumed
        run holds previews only) fetched in a worker thread first."""
        prompt, run = self._prompt(index), self._run
        if prompt is None or run is None:
            return
        pid = int(prompt["id"])
        if all(i.data for i in run.images.get(pid, [])):
            self._show_full(prompt, [i.data for i in run.images.get(pid, []) if i.data])
            return
        self.message.value = html.escape(f"Fetching the images of #{pid}...")

        def fetch() -> None:
            try:
                found = run.full_images(pid)
            except Exception as exc:  # noqa: BLE001 - shown, never a traceback
                self.message.value = error_html(f"Could not fetch #{pid}: {short_error(exc)}")
                return
            self.message.value = ""
            self._show_full(prompt, found)

        self._fetches[index] = in_background(fetch, "astria-view")

    def _show_full(self, prompt: dict[str, Any], images: list[bytes]) -> None:
        full = []
        for data in images:
            widget = w.Image(value=data, format=image_format(data) or "png")
            widget.add_class("astria-studio-full-image")
            full.append(widget)
        params = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
                         for k, v in shown_params(prompt))
        info = w.HTML(f"<b>Prompt #{prompt['id']}</b>: {html.escape(str(prompt.get('text')))}"
                      f"<table>{params}</table>")
        info.add_class("astria-studio-viewer-info")
        old = self.viewer.children
        self.viewer.children = (info, *full)
        for widget in old:  # the previous full images leave the browser's widget state
            widget.close()

    def _like(self, index: int) -> None:
        """Like a cell's prompt in a worker thread (the button returns at once)."""
        prompt, run = self._prompt(index), self._run
        if prompt is None or run is None:
            return
        button = self.cells[index].like
        button.disabled = True

        def like() -> None:
            try:
                run.like(int(prompt["id"]))
            except Exception as exc:  # noqa: BLE001 - shown, never a traceback
                self.message.value = error_html(f"Could not like #{prompt['id']}: "
                                                f"{short_error(exc)}")
                button.disabled = False
                return
            button.description, button.disabled = "Liked", True
            if self._on_liked is not None:
                self._on_liked(int(prompt["id"]))

        self._likes[index] = in_background(like, "astria-like")

    def wait_likes(self, timeout: float | None = None) -> bool:
        """Block until every like sent has its answer; False if ``timeout`` ran out first."""
        _done, pending = wait(list(self._likes.values()), timeout=timeout)
        return not pending

    def _use(self, index: int) -> None:
        prompt = self._prompt(index)
        if prompt is None or self._run is None or self._on_use_as_input is None:
            return
        run, use = self._run, self._on_use_as_input
        pid = int(prompt["id"])

        def take() -> None:
            try:
                found = run.full_images(pid)  # held, or fetched once (a resumed run)
            except Exception as exc:  # noqa: BLE001 - shown, never a traceback
                self.message.value = error_html(f"Could not fetch #{pid}: {short_error(exc)}")
                return
            if found:
                name = f"prompt-{pid}-01.png"
                use(name, found[0])
                self.message.value = html.escape(f"{name} is now the input image.")

        if all(i.data for i in run.images.get(pid, [])):
            take()  # held already: no request
        else:
            self._fetches[index] = in_background(take, "astria-use")

    def _on_download_click(self, _button: w.Button) -> None:
        if self._run is None:
            return
        folder = self.folder.value.strip() or "astria-downloads"
        self.download_button.disabled = True
        self.message.value = html.escape(f"Downloading to {folder}...")
        self.download = self._run.start_download(
            folder, on_change=lambda job: self._on_download_change(job, folder))

    def _on_download_change(self, job: BackgroundDownload, folder: str) -> None:
        if not job.done:
            done, total = job.progress
            self.message.value = html.escape(f"Downloading to {folder}: {done} of {total}")
            return
        if job.error is not None:
            self.message.value = error_html(f"Download failed: {short_error(job.error)}")
        else:
            saved, present = job.counts.saved, job.counts.present  # a re-run saves nothing
            self.message.value = html.escape(f"Saved {saved} files to {folder}, {present} "
                                             "already there.")
        self.download_button.disabled = False
