"""``GenerationRun``: the handle of a studio submit, one prompt per sweep cell, on a PromptsWatch.

``GenerationRun.start(...)`` checks everything first (the tune plan and state, every parameter,
the sweep, every image input read once: each cell as ``client.generate`` would check it) and
raises :class:`InputError` before anything is sent; then it returns at once while the
prompts are created and followed in the watch's one thread
(:class:`~astria_widgets.client.watch.PromptsWatch`, which waits through
``client.wait_for_prompts`` and downloads the images of finished prompts). The kernel stays
free. Views ``subscribe`` and read ``status``, ``cells``, ``images`` and ``cost_mc``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from astria_widgets.client.costs import image_cost_mc, prompts_cost_mc, spend_problem
from astria_widgets.client.downloads import (
    DownloadCounts,
    Output,
    destination,
    outputs_of,
    save_fetched,
)
from astria_widgets.client.errors import InputError
from astria_widgets.client.generate import read_prompt_files
from astria_widgets.client.prompt_params import param_problems, problem_list
from astria_widgets.client.references import PromptPlan, plan_prompt
from astria_widgets.client.status import prompt_status
from astria_widgets.client.sweep import SweepCell, SweepPlan, plan_sweep

if TYPE_CHECKING:
    from astria_widgets.client.api import AstriaClient
    from astria_widgets.client.watch import PromptsWaiter, PromptsWatch, WatchedImage

logger = logging.getLogger(__name__)
Record = dict[str, Any]


def _ready_cells(client: AstriaClient, tunes: list[Record], text: str,
                 params: Mapping[str, Any], grid: SweepPlan
                 ) -> list[tuple[PromptPlan, dict[str, Any]]]:
    """Each cell's ``client.prepare_prompt`` result, or :class:`InputError` listing every
    problem of every cell (nothing sent). Image inputs are read once, not once per cell;
    a problem of a swept value names ``sweep[param]``."""
    problems: list[str] = []
    fixed, found = read_prompt_files(params)
    problems.extend(found)
    swept: dict[str, list[dict[str, Any]]] = {}
    for name, values in ((grid.row_param, grid.row_values), (grid.col_param, grid.col_values)):
        if name is None:
            continue
        swept[name] = []
        for value in values:
            read, found = read_prompt_files({name: value})
            problems.extend(f"sweep[{name}]: {p.split(': ', 1)[-1]}" for p in found)
            swept[name].append(read)
    ready: list[tuple[PromptPlan, dict[str, Any]]] = []
    if not problems:
        for cell in grid.cells:
            cell_params = dict(fixed)
            for name, index in ((grid.row_param, cell.row), (grid.col_param, cell.col)):
                if name is not None:
                    cell_params.update(swept[name][index])
            try:
                ready.append(client.prepare_prompt(tunes, text, **cell_params))
            except InputError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise InputError(list(dict.fromkeys(problems)), context="generate")
    return ready


def spend_estimate(client: AstriaClient,
                   ready: list[tuple[PromptPlan, dict[str, Any]]]) -> float | None:
    """A run's price estimate in millicents when the client has a ``max_spend`` (``None``
    without one); raises :class:`InputError` (``max_spend: ...``) when the run would pass it
    or cannot be priced. Shared by every run that creates prompts (studio, compare)."""
    if client.max_spend is None:
        return None
    images = sum(int(p.get("num_images") or 1) for _plan, p in ready)
    each = image_cost_mc(client.list_prompts(limit=50))
    estimate = None if each is None else each * images
    problem = spend_problem(estimate, client.max_spend, client.spent_mc,
                            f"this run of {len(ready)} prompts ({images} images)")
    if problem:
        raise InputError(problem, context="generate")
    return estimate


class BackgroundDownload:
    """A download running in its own daemon thread: ``progress``, ``done``, ``result``,
    ``error``, ``counts`` (a :class:`~.downloads.DownloadCounts`: files saved now and files
    already there), ``wait()``. ``on_change(job)`` is called in that thread after each file
    and at the end (a raising callback is logged, never ends the download)."""

    def __init__(self, on_change: Callable[[BackgroundDownload], Any] | None = None) -> None:
        self.progress: tuple[int, int] = (0, 0)
        self.counts = DownloadCounts()
        self.result: list[Path] | Path | None = None
        self.error: BaseException | None = None
        self._on_change = on_change
        self._finished = False  # set before the last on_change, so views see the end
        self._done = threading.Event()

    @property
    def done(self) -> bool:
        """True once the download finished or failed."""
        return self._finished

    def start(self, job: Callable[[Callable[[int, int], None]], Any]) -> None:
        """Run ``job(progress)`` in a daemon thread."""
        threading.Thread(target=self._run, args=(job,), name="astria-download",
                         daemon=True).start()

    def _run(self, job: Callable[[Callable[[int, int], None]], Any]) -> None:
        try:
            self.result = job(self._progress)
        except Exception as exc:  # noqa: BLE001 - kept as .error, re-raised by wait()
            self.error = exc
        finally:
            self._finished = True
            self._changed()  # views show the end before wait() returns
            self._done.set()

    def _progress(self, done: int, total: int) -> None:
        self.progress = (done, total)
        self._changed()

    def _changed(self) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(self)
        except Exception:  # noqa: BLE001
            logger.exception("a download subscriber raised")

    def wait(self, timeout: float | None = None) -> list[Path] | Path:
        """The saved paths once finished (re-raises the error); ``TimeoutError`` if not yet."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"the download is still running after {timeout} s")
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class GenerationRun:
    """One submit: the planned grid, the prompts as they are created and finish, the images.

    Use :meth:`start` (it validates, then returns the running handle). ``status`` is the
    watch's: ``creating``, ``pending``, ``done``, ``failed`` (all settled, some failed),
    ``error`` (``.error`` says why) or ``stopped``.
    """

    def __init__(self, client: AstriaClient, tunes: list[Record], plan: PromptPlan,
                 text: str, sweep: SweepPlan, *, timeout: float | None = None,
                 ready: list[tuple[PromptPlan, dict[str, Any]]] | None = None,
                 watch: PromptsWatch | None = None) -> None:
        from astria_widgets.client.watch import PromptsWatch

        self.client = client
        self.tunes = tunes
        self.plan = plan
        self.text = text
        self.sweep = sweep
        #: per cell: where it runs and the parameters as sent (images read), checked up front
        self._ready = ready
        #: the run's price estimate in millicents when the client has a max_spend
        self.estimate_mc: float | None = None
        self._created: dict[int, Record] = {}  # cell index -> its prompt, as created
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.watch: PromptsWatch = watch or PromptsWatch(client, plan.tune_id, timeout=timeout,
                                                         fetch_images=True)

    @classmethod
    def start(cls, client: AstriaClient, tunes: list[Record], text: str,
              params: Mapping[str, Any] | None = None,
              sweep: Mapping[str, Any] | None = None, *,
              timeout: float | None = None) -> GenerationRun:
        """Check the inputs, start creating one prompt per sweep cell, return at once.

        ``tunes`` are tune records (see :meth:`AstriaClient.plan_prompt`). Raises
        :class:`InputError` listing every problem before anything is sent.
        """
        return cls.prepare(client, tunes, text, params, sweep, timeout=timeout).begin()

    @classmethod
    def prepare(cls, client: AstriaClient, tunes: list[Record], text: str,
                params: Mapping[str, Any] | None = None,
                sweep: Mapping[str, Any] | None = None, *,
                timeout: float | None = None) -> GenerationRun:
        """Check the inputs and plan the run without starting it (views subscribe, then
        :meth:`begin`, so that no change is missed). Raises :class:`InputError`.

        Every cell is checked as :meth:`AstriaClient.generate` would check it (the tunes'
        state, the parameters, every image read), so no prompt is created when any would fail.
        """
        params = {k: v for k, v in (params or {}).items() if v is not None}
        problems = problem_list(param_problems(params))
        if not isinstance(text, str) or not text.strip():
            problems.append("text: the prompt text is empty")
        plan = None
        try:
            plan = plan_prompt(tunes, text or "")
        except ValueError as exc:
            problems.append(f"tune: {exc}")
        grid = None
        try:
            grid = plan_sweep(sweep, params)
        except InputError as exc:
            problems.extend(exc.problems)
        if problems or plan is None or grid is None:
            raise InputError(problems, context="generate")
        ready = _ready_cells(client, tunes, text, params, grid)
        estimate = spend_estimate(client, ready)
        run = cls(client, tunes, plan, text, grid, timeout=timeout, ready=ready)
        run.estimate_mc = estimate
        return run

    def begin(self) -> GenerationRun:
        """Start creating and following the prompts (in the watch's thread); return at once."""
        if self.estimate_mc is not None:
            self.client.spent_mc += self.estimate_mc  # what max_spend has left counts it
        self.watch.start(create=self._create_all)
        return self

    def _create_all(self) -> list[Record]:
        """Create every cell's prompt through the client's executor (at most
        ``client.concurrency`` requests in flight, paused by 429s; each create keeps the
        transport's rules, so an uncertain one is looked for before it is sent again). The
        first failure stops further creates and is raised once those in flight returned."""
        halt = threading.Event()

        def create(index: int) -> Record | None:
            if self._stopping.is_set() or halt.is_set():
                return None
            cell = self.sweep.cells[index]
            if self._ready is None:
                return self.client.generate(self.tunes, self.text, **cell.params)
            plan, params = self._ready[index]
            return self.client.create_prompt(plan.tune_id, plan.text, **params)

        def created(index: int, _item: int, record: Record | None,
                    error: BaseException | None) -> None:
            if error is not None:
                halt.set()
            elif record is not None:
                with self._lock:
                    self._created[index] = record

        results = self.client.run_all(create, range(len(self.sweep.cells)), stop=halt,
                                      on_result=created)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        with self._lock:
            return [self._created[i] for i in sorted(self._created)]

    # -- plain data (a history records it; rebuild reads it back) ----------------------------
    def describe(self) -> dict[str, Any]:
        """The run as plain JSON-ready data: tunes, text, plan and grid (each cell's row,
        column, label and its JSON-ready parameters). :meth:`rebuild` reads it back."""
        grid = self.sweep
        return {
            "tunes": [dict(t) for t in self.tunes],
            "text": self.text,
            "plan": {"tune_id": self.plan.tune_id, "text": self.plan.text,
                     "kinds": list(self.plan.kinds)},
            "sweep": {"row_param": grid.row_param, "row_values": list(grid.row_values),
                      "col_param": grid.col_param, "col_values": list(grid.col_values),
                      "cells": [{"row": c.row, "col": c.col, "label": c.label,
                                 "params": {k: v for k, v in c.params.items()
                                            if isinstance(v, (str, int, float, bool))}}
                                for c in grid.cells]},
        }

    @classmethod
    def rebuild(cls, client: AstriaClient, data: Mapping[str, Any],
                prompts: Mapping[int, Record], *, images: Iterable[WatchedImage] = (),
                waiter: PromptsWaiter | None = None,
                timeout: float | None = None) -> GenerationRun:
        """A run rebuilt from :meth:`describe`'s ``data`` and each created cell's latest
        prompt record (by cell index), holding ``images`` already; sends nothing (no create,
        no request). :meth:`resume` then follows the unsettled prompts (through ``waiter``
        when given: one ``client.wait_for_prompts`` over the batch by default)."""
        from astria_widgets.client.watch import PromptsWatch

        raw = data["sweep"]
        cells = tuple(SweepCell(int(c["row"]), int(c["col"]), dict(c.get("params") or {}),
                                str(c.get("label") or "")) for c in raw["cells"])
        grid = SweepPlan(raw.get("row_param"), tuple(raw.get("row_values") or ()),
                         raw.get("col_param"), tuple(raw.get("col_values") or ()), cells)
        plan = PromptPlan(int(data["plan"]["tune_id"]), str(data["plan"]["text"]),
                          tuple(data["plan"].get("kinds") or ()))
        created = {int(i): dict(p) for i, p in prompts.items() if 0 <= int(i) < len(cells)}
        order = [created[i] for i in sorted(created)]
        images = list(images)
        held = {i.prompt_id for i in images}
        # a finished prompt whose images are not held is read again by the waiter (its
        # images are then fetched like a live run's), not downloaded blindly up front
        known = [p for p in order if prompt_status(p) != "done" or int(p["id"]) in held]
        watch = PromptsWatch(client, plan.tune_id, [int(p["id"]) for p in order],
                             timeout=timeout, fetch_images=True, records=known, images=images,
                             waiter=waiter)
        run = cls(client, list(data.get("tunes") or []), plan, str(data.get("text") or ""),
                  grid, timeout=timeout, watch=watch)
        run._created.update(created)
        return run

    def resume(self) -> GenerationRun:
        """Follow a rebuilt run's unsettled prompts (in the watch's thread); return at once."""
        self.watch.start()
        return self

    # -- state -------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """See the class docstring."""
        return self.watch.status

    @property
    def done(self) -> bool:
        """True once everything settled, or the run stopped or failed."""
        return self.watch.done

    @property
    def error(self) -> BaseException | None:
        """What ended the run early (a refused create, an API error, a timeout)."""
        return self.watch.error

    @property
    def prompts(self) -> list[Record]:
        """The latest record of each prompt made so far, in cell order."""
        latest = {int(p["id"]): p for p in self.watch.prompts}
        with self._lock:
            created = [self._created[i] for i in sorted(self._created)]
        return [latest.get(int(p["id"]), p) for p in created]

    @property
    def cells(self) -> list[tuple[SweepCell, Record | None]]:
        """Every grid cell with its prompt record (``None`` until it was created)."""
        latest = {int(p["id"]): p for p in self.watch.prompts}
        with self._lock:
            created = dict(self._created)
        return [(cell, latest.get(int(created[i]["id"]), created[i]) if i in created else None)
                for i, cell in enumerate(self.sweep.cells)]

    @property
    def images(self) -> dict[int, list[WatchedImage]]:
        """Downloaded images by prompt id, in image order."""
        found: dict[int, list[WatchedImage]] = {}
        for image in self.watch.images:
            found.setdefault(image.prompt_id, []).append(image)
        for images in found.values():
            images.sort(key=lambda i: i.index)
        return found

    @property
    def cost_mc(self) -> int | None:
        """What the prompts cost, in millicents, where the API states it (``None`` if not)."""
        return prompts_cost_mc(self.prompts)

    # -- control -----------------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> list[Record]:
        """Block until every prompt settled; return the prompts (re-raises ``.error``)."""
        self.watch.wait(timeout)
        return self.prompts

    def stop(self) -> None:
        """Stop creating and following (prompts already sent go on in the service)."""
        self._stopping.set()
        self.watch.stop()

    def subscribe(self, callback: Callable[[GenerationRun], Any]) -> Callable[[], None]:
        """``callback(run)`` after every change, in the watch thread; returns unsubscribe."""
        return self.watch.subscribe(lambda _watch: callback(self))

    def like(self, prompt_id: int) -> None:
        """Like one of the run's prompts."""
        self.client.like_prompt(prompt_id)

    def download(self, dest: str | Path, *, zip: bool = False,
                 progress: Callable[[int, int], Any] | None = None,
                 counts: DownloadCounts | None = None) -> list[Path] | Path:
        """Save every finished image of the run; blocks. ``counts`` is told how many files
        were saved and how many were already there.

        Into a folder, the images the grid holds already are written from memory (no second
        download) and the others are fetched through the client's executor (at most
        ``client.concurrency`` at once); into a zip, ``client.download``.
        """
        done = [p for p in self.prompts if p.get("images")]
        report = progress or (lambda *_: None)
        if zip:
            return self.client.download(done, dest, zip=zip, progress=report, counts=counts)
        try:
            target = destination(dest, zip=False)
        except InputError as exc:
            raise InputError(exc.problems, context="download") from None
        counts = counts if counts is not None else DownloadCounts()
        held = {(i.prompt_id, i.index): i.data for i in self.watch.images if i.data is not None}
        outputs = outputs_of(done)
        saved: dict[Output, Path] = {}
        lock = threading.RLock()  # the counts and the progress, from the executor's threads

        def keep(item: Output, path: Path) -> None:
            with lock:
                saved[item] = path
                report(len(saved), len(outputs))

        missing = []
        for item in outputs:
            data = held.get((item.prompt_id, item.index))
            if data is None:
                missing.append(item)
            else:
                keep(item, save_fetched(item, data, target, counts))

        def fetch(item: Output) -> None:
            data = self.client.fetch_bytes(item.url)
            with lock:
                keep(item, save_fetched(item, data, target, counts))

        failures = [r for r in self.client.run_all(fetch, missing) if isinstance(r, Exception)]
        if failures:
            raise failures[0]
        return [saved[item] for item in outputs]

    def start_download(self, dest: str | Path, *, zip: bool = False,
                       on_change: Callable[[BackgroundDownload], Any] | None = None
                       ) -> BackgroundDownload:
        """:meth:`download` in a daemon thread (the kernel stays free); returns at once."""
        job = BackgroundDownload(on_change)
        job.start(lambda progress: self.download(dest, zip=zip, progress=progress,
                                                 counts=job.counts))
        return job

    def contact_sheet(self, tile: int = 256) -> bytes:
        """The grid as one labelled PNG (first image of each prompt), for a saved notebook."""
        from astria_widgets.imaging.contact_sheet import contact_sheet

        plan = self.sweep
        rows, cols = plan.shape
        images = self.images
        cells: list[list[bytes | None]] = [[None] * cols for _ in range(rows)]
        captions = [[""] * cols for _ in range(rows)]
        for cell, prompt in self.cells:
            shown = images.get(int(prompt["id"]), []) if prompt is not None else []
            cells[cell.row][cell.col] = shown[0].data if shown else None
            captions[cell.row][cell.col] = f"#{prompt['id']}" if prompt is not None else ""
        return contact_sheet(
            cells, tile=tile, captions=captions,
            row_labels=[f"{plan.row_param} = {v}" for v in plan.row_values],
            col_labels=[f"{plan.col_param} = {v}" for v in plan.col_values])

    def __repr__(self) -> str:
        rows, cols = self.sweep.shape
        return (f"GenerationRun(tune={self.plan.tune_id}, prompts={len(self.sweep.cells)} "
                f"({rows}x{cols}), status={self.status!r})")
