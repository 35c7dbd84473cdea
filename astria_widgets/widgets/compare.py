"""``CompareView`` / ``compare(...)``: tunes (or presets) side by side, likes tallied per column.

The view renders a live :class:`~astria_widgets.client.compare.CompareRun` or a comparison
reopened from the history (:class:`~astria_widgets.history.compare_runs.StoredCompare`): a
header per column (the tune, or the tune and its variant), a header per row (the text and its
seed), each cell's first image, its state and cost, a Like button, and the tally line ("Anna
(#12): 7 of 10 liked"). Likes are sent in a worker thread; a reopened grid sends nothing (its
Like buttons show the recorded likes, disabled).

``compare([tune_a, tune_b], texts=[...], seeds=[1, 2, 3])`` checks everything, records the run
in the history (kind ``compare``) and returns the view at once (``.run``, ``.run_id``,
``.tally()``). ``CompareView.open_run(run_id)`` rebuilds a recorded grid from the history only.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, wait
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from astria_widgets.client.background import in_background
from astria_widgets.client.compare import CompareRun, tally_text
from astria_widgets.client.costs import usd
from astria_widgets.client.status import prompt_status
from astria_widgets.history.compare_runs import StoredCompare, open_stored, record_compare
from astria_widgets.imaging.thumbnails import PREVIEW_SIDE
from astria_widgets.widgets.fallback import StaticFallback
from astria_widgets.widgets.fallback_html import Section, Tile
from astria_widgets.widgets.formatting import error_html, image_format, short_error

if TYPE_CHECKING:
    import pandas as pd

    from astria_widgets.client import AstriaClient
    from astria_widgets.history import TuneHistory

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())
THUMB = PREVIEW_SIDE  # a cell is as big as the preview the watch makes
Grid = CompareRun | StoredCompare


def _history(source: Any, client: Any = None) -> TuneHistory:
    """A history given as a ``TuneHistory`` or a path; else the client's account's default."""
    from astria_widgets.history.runs_frame import history_of

    return history_of(source if source is not None else client)


class CompareCellView:
    """The widgets of one cell."""

    def __init__(self, label: str, on_like: Callable[[], None]) -> None:
        self.image = w.Image(format="png", layout=w.Layout(width=f"{THUMB}px",
                                                           height=f"{THUMB}px"))
        self.image.add_class("astria-compare-cell-image")
        self.caption = w.HTML(f"<small>{html.escape(label)}</small>")
        self.caption.add_class("astria-compare-cell-label")
        self.state = w.HTML("<small>waiting...</small>")
        self.state.add_class("astria-compare-cell-state")
        self.like = w.Button(description="Like", icon="heart", disabled=True,
                             layout=w.Layout(width="auto"))
        self.like.add_class("astria-compare-like")
        self.like.on_click(lambda _b: on_like())
        self.box = w.VBox([self.image, self.caption, self.state, self.like],
                          layout=w.Layout(border="1px solid #ddd", padding="4px",
                                          align_items="center"))
        self.box.add_class("astria-compare-cell")
        self.shown: int | None = None  # the prompt id whose thumbnail is displayed


class CompareView(StaticFallback, w.VBox):
    """The comparison grid (see the module docstring). ``run`` is what it shows.

    Its output also carries a static copy (headers, thumbnails, states, the tally) for saved
    notebooks and exports (:mod:`astria_widgets.widgets.fallback`)."""

    static_kind = "compare"

    def __init__(self, run: Grid, *, run_id: str | None = None) -> None:
        self.run = run
        self.run_id = run_id
        #: what keeps the history current (a live run recorded by :func:`start_compare`)
        self.recorder: Any = None
        self._lock = threading.RLock()
        self._likes: dict[int, Future[None]] = {}
        rows, cols = run.shape
        self.title = w.HTML(f"<h3 style='margin: 0'>Compare: "
                            f"{html.escape(' vs '.join(run.column_labels))}</h3>")
        self.status = w.HTML()
        self.status.add_class("astria-compare-status")
        self.col_labels = [w.HTML(f"<b>{html.escape(label)}</b>") for label in run.column_labels]
        for label in self.col_labels:
            label.add_class("astria-compare-col-label")
        self.row_labels = [w.HTML(f"<b>{html.escape(label)}</b>") for label in run.row_labels]
        for label in self.row_labels:
            label.add_class("astria-compare-row-label")
        self.cells = [CompareCellView(run.label(i), lambda i=i: self._like(i))
                      for i in range(rows * cols)]
        children: list[w.Widget] = [w.HTML(""), *self.col_labels]
        for r in range(rows):
            children.append(self.row_labels[r])
            children.extend(c.box for c in self.cells[r * cols:(r + 1) * cols])
        self.grid = w.GridBox(children, layout=w.Layout(
            grid_template_columns=f"max-content repeat({cols}, max-content)",
            grid_gap="6px", align_items="center"))
        self.grid.add_class("astria-compare-grid")
        self.tally_line = w.HTML()
        self.tally_line.add_class("astria-compare-tally")
        self.message = w.HTML()
        self.message.add_class("astria-compare-message")
        super().__init__(children=[self.title, self.status, self.tally_line, self.grid,
                                   self.message])
        self.add_class("astria-compare")
        if isinstance(run, CompareRun):
            run.subscribe(lambda _run: self._render_safely())
        self._render()

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def open_run(cls, run_id: str, history: Any = None) -> CompareView:
        """A recorded comparison (or sweep grid) from the history alone: no request.

        ``history``: a ``TuneHistory`` or a history file path (default: the account's).
        """
        source = _history(history)
        try:
            grid = open_stored(source, run_id)
        finally:
            if source is not history and history is not None:
                source.close()  # opened here from a path: nothing else holds it
        return cls(grid, run_id=grid.run_id)

    @property
    def reopened(self) -> bool:
        """True when the grid comes from the history (nothing can be sent from it)."""
        return isinstance(self.run, StoredCompare)

    def tally(self) -> pd.DataFrame:
        """The likes per column as a DataFrame (column, liked, total, share)."""
        return self.run.tally()

    # -- rendering ---------------------------------------------------------------------------
    def _render_safely(self) -> None:
        try:
            self._render()
            self.refresh_static(now=self.run.done)
        except Exception:  # noqa: BLE001 - a view never breaks the run
            logger.exception("compare view update failed")

    def static_sections(self) -> list[Section]:
        """The grid as the static copy shows it: headers, each cell's thumbnail and state."""
        run = self.run
        tiles = []
        for index, (view, cell) in enumerate(zip(self.cells, run.cells, strict=True)):
            state = html.unescape(view.state.value.replace("<small>", "").replace(
                "</small>", ""))
            tiles.append(Tile(run.label(index), run.thumbnail(index) if cell.prompt else None,
                              f"{state} · {view.like.description}",
                              bool(cell.prompt) and prompt_status(cell.prompt) == "failed"))
        return [Section(
            title="Compare: " + " vs ".join(run.column_labels),
            status=html.unescape(self.status.value.split("<br>")[0]),
            lines=tuple(tally_text(t) for t in run.tallies()), tiles=tuple(tiles),
            columns=len(run.column_labels), row_labels=tuple(run.row_labels),
            col_labels=tuple(run.column_labels))]

    def _render(self) -> None:
        with self._lock:
            self._render_locked()

    def _render_locked(self) -> None:
        run = self.run
        cells = run.cells
        for index, (view, cell) in enumerate(zip(self.cells, cells, strict=True)):
            prompt = cell.prompt
            view.like.description = "Liked" if cell.liked else "Like"
            if prompt is None:  # a resumed comparison never re-sends a create
                view.state.value = ("<small>not sent</small>" if run.done
                                    else "<small>creating...</small>")
                view.like.disabled = True
                continue
            state = prompt_status(prompt)
            pid = int(prompt["id"])
            if state == "failed":
                view.state.value = error_html(str(prompt.get("user_error") or "failed"))
            elif state == "pending":
                view.state.value = f"<small>#{pid} generating...</small>"
            else:
                view.state.value = (f"<small>#{pid} · seed {prompt.get('seed')} · "
                                    f"{usd(prompt.get('cost_mc'), missing='—')}</small>")
            if view.shown != pid:
                data = run.thumbnail(index)
                if data:
                    # a preview made in the fetch thread, or the stored copy of one
                    view.image.format = image_format(data) or "jpeg"
                    view.image.value = data
                    view.shown = pid
            busy = not self._likes.get(index, _DONE).done()
            view.like.disabled = self.reopened or state != "done" or busy
        done = sum(1 for c in cells if c.prompt is not None
                   and prompt_status(c.prompt) != "pending")
        state = "reopened from the history" if self.reopened else f"status {run.status}"
        self.status.value = html.escape(
            f"{done} of {len(cells)} prompts finished · {state} · cost "
            f"{usd(run.cost_mc, missing='—')}")
        if run.error is not None:
            self.status.value += "<br>" + error_html(short_error(run.error))
        self.tally_line.value = "<b>Likes:</b> " + html.escape(
            " · ".join(tally_text(t) for t in run.tallies()))

    # -- likes -------------------------------------------------------------------------------
    def _like(self, index: int) -> None:
        """Like (or take back) a cell in a worker thread; the click returns at once."""
        run = self.run
        if not isinstance(run, CompareRun):
            return
        view = self.cells[index]
        view.like.disabled = True
        liked = index in run.liked

        def send() -> None:
            try:
                (run.unlike if liked else run.like)(index)
            except Exception as exc:  # noqa: BLE001 - shown, never a traceback
                self.message.value = error_html(f"Could not like: {short_error(exc)}")
            self._render_safely()

        self._likes[index] = in_background(send, "astria-compare-like")

    def wait_likes(self, timeout: float | None = None) -> bool:
        """Block until every like sent has its answer; False if ``timeout`` ran out first."""
        _done, pending = wait(list(self._likes.values()), timeout=timeout)
        return not pending

    def __repr__(self) -> str:
        rows, cols = self.run.shape
        return f"CompareView(run_id={self.run_id!r}, columns={cols}, rows={rows})"


_DONE: Future[None] = Future()
_DONE.set_result(None)


def start_compare(client: AstriaClient, tunes: Sequence[Any], texts: Sequence[str],
                  seeds: Sequence[int] | None = None, *,
                  variants: Sequence[Mapping[str, Any]] | None = None,
                  history: Any = None, timeout: float | None = None,
                  **params: Any) -> CompareView:
    """Check, record (kind ``compare``) and start a comparison; the view, at once (a history
    that cannot be written is logged and the run goes on, with ``run_id`` None).

    Raises :class:`~astria_widgets.client.errors.InputError` naming each parameter at fault
    before anything is sent."""
    run = CompareRun.prepare(client, tunes, texts, seeds, variants=variants, timeout=timeout,
                             **params)
    try:
        recorder = record_compare(_history(history, client), run)
    except Exception:  # noqa: BLE001 - recording never breaks a run (history/recorder.py)
        logger.warning("could not record the comparison in the history", exc_info=True)
        recorder = None
    view = CompareView(run, run_id=recorder.run_id if recorder else None)  # before it starts
    view.recorder = recorder
    run.begin()
    return view


def compare(tunes: Sequence[Any], texts: Sequence[str], seeds: Sequence[int] | None = None, *,
            variants: Sequence[Mapping[str, Any]] | None = None,
            client: AstriaClient | None = None, history: Any = None,
            timeout: float | None = None, **params: Any) -> CompareView:
    """Run the same texts and seeds on each tune (or each variant of one tune) and show them
    side by side; returns the :class:`CompareView` at once (``.run.wait()``, ``.tally()``).

    ``client`` defaults to ``connect()``; ``history`` (a ``TuneHistory`` or a path) to the
    account's default history, where the run is recorded."""
    if client is None:
        from astria_widgets.connect import default_client

        client = default_client()
    return start_compare(client, tunes, texts, seeds, variants=variants, history=history,
                         timeout=timeout, **params)
