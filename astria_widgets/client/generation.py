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

from astria_widgets.client.background import BackgroundDownload
from astria_widgets.client.costs import MC_PER_USD, prompts_cost_mc, usd
from astria_widgets.client.downloads import (
    DownloadCounts,
    Output,
    destination,
    outputs_of,
    save_fetched,
)
from astria_widgets.client.errors import InputError
from astria_widgets.client.generate import read_prompt_files
from astria_widgets.client.pricing import (
    Estimate,
    RunBudget,
    SpendLimit,
    limited,
    limits_of,
    price_prompts,
    spend_refusal,
)
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


def cell_models(tunes: list[Record], ready: list[tuple[PromptPlan, dict[str, Any]]]
                ) -> list[tuple[tuple[int | None, ...], dict[str, Any]]]:
    """Each cell as :mod:`.pricing` prices it: the tune it runs on, then that tune's base
    (when the records say), and its parameters."""
    bases = {int(t["id"]): t.get("base_tune_id") for t in tunes if t.get("id") is not None}
    return [((plan.tune_id, bases.get(plan.tune_id)), params) for plan, params in ready]


def spend_estimate(client: AstriaClient, tunes: list[Record],
                   ready: list[tuple[PromptPlan, dict[str, Any]]], *,
                   limit: SpendLimit | None = None,
                   recent: list[Record] | None = None) -> Estimate | None:
    """A run's price before sending (:mod:`.pricing`) when a ``max_spend`` holds it (the
    client's or ``limit``), else ``None``; raises :class:`InputError` (``max_spend: ...``)
    when the run would pass what is left or cannot be priced. Shared by every run that
    creates prompts (the studio's sweeps, comparisons)."""
    limits = limits_of(client, limit)
    if not limited(limits):
        return None
    estimate = price_prompts(client, cell_models(tunes, ready), recent)
    problem = spend_refusal(limits, estimate)
    if problem:
        raise InputError(problem, context="generate")
    return estimate


class GenerationRun:
    """One submit: the planned grid, the prompts as they are created and finish, the images.

    Use :meth:`start` (it validates, then returns the running handle). ``status`` is the
    watch's: ``creating``, ``pending``, ``done``, ``failed`` (all settled, some failed),
    ``error`` (``.error`` says why) or ``stopped``.
    """

    def __init__(self, client: AstriaClient, tunes: list[Record], plan: PromptPlan,
                 text: str, sweep: SweepPlan, *, timeout: float | None = None,
                 ready: list[tuple[PromptPlan, dict[str, Any]]] | None = None,
                 watch: PromptsWatch | None = None,
                 limit: SpendLimit | None = None) -> None:
        from astria_widgets.client.watch import PromptsWatch

        self.client = client
        self.tunes = tunes
        self.plan = plan
        self.text = text
        self.sweep = sweep
        #: per cell: where it runs and the parameters as sent (images read), checked up front
        self._ready = ready
        #: the limits its creates are held to: the client's max_spend and a widget's
        self.limits = limits_of(client, limit)
        #: the run's price before sending (:mod:`.pricing`), when the client has a max_spend
        self.estimate: Estimate | None = None
        #: prompts not sent because the cost reported so far reached max_spend
        self.not_sent = 0
        self._stopped_at: float | None = None  # the max_spend (dollars) that stopped it
        self._created: dict[int, Record] = {}  # cell index -> its prompt, as created
        #: full images fetched on demand for images held as previews only (a resumed run)
        self._fetched: dict[tuple[int, int], bytes] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.watch: PromptsWatch = watch or PromptsWatch(client, plan.tune_id, timeout=timeout,
                                                         fetch_images=True)

    @classmethod
    def start(cls, client: AstriaClient, tunes: list[Record], text: str,
              params: Mapping[str, Any] | None = None,
              sweep: Mapping[str, Any] | None = None, *,
              timeout: float | None = None, limit: SpendLimit | None = None) -> GenerationRun:
        """Check the inputs, start creating one prompt per sweep cell, return at once.

        ``tunes`` are tune records (see :meth:`AstriaClient.plan_prompt`); ``limit`` a
        widget's own max_spend (the client's holds too). Raises :class:`InputError` listing
        every problem before anything is sent.
        """
        return cls.prepare(client, tunes, text, params, sweep, timeout=timeout,
                           limit=limit).begin()

    @classmethod
    def prepare(cls, client: AstriaClient, tunes: list[Record], text: str,
                params: Mapping[str, Any] | None = None,
                sweep: Mapping[str, Any] | None = None, *,
                timeout: float | None = None, limit: SpendLimit | None = None,
                recent: list[Record] | None = None) -> GenerationRun:
        """Check the inputs and plan the run without starting it (views subscribe, then
        :meth:`begin`, so that no change is missed). Raises :class:`InputError`.

        Every cell is checked as :meth:`AstriaClient.generate` would check it (the tunes'
        state, the parameters, every image read), so no prompt is created when any would fail.
        Under a max_spend (the client's or ``limit``, a widget's) the run is priced first
        (:mod:`.pricing`; ``recent``: the account's recent prompts when the caller holds them,
        else fetched if a cell has no catalogue price) and refused over what is left.
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
        estimate = spend_estimate(client, tunes, ready, limit=limit, recent=recent)
        run = cls(client, tunes, plan, text, grid, timeout=timeout, ready=ready, limit=limit)
        run.estimate = estimate
        return run

    @property
    def estimate_mc(self) -> float | None:
        """The run's estimate in millicents (``None`` without a max_spend or a price)."""
        return None if self.estimate is None else self.estimate.mc

    def begin(self) -> GenerationRun:
        """Start creating and following the prompts (in the watch's thread); return at once."""
        self.watch.start(create=self._create_all)
        return self

    @property
    def spend_note(self) -> str:
        """``"stopped at max_spend $1.00: 37 of 100 prompts not sent"`` once max_spend
        stopped the run's creates, else ``""``."""
        if self._stopped_at is None:
            return ""
        return (f"stopped at max_spend {usd(self._stopped_at * MC_PER_USD)}: {self.not_sent} "
                f"of {len(self.sweep.cells)} prompts not sent")

    @property
    def status_text(self) -> str:
        """The status word, and why creating stopped early when max_spend did it."""
        return f"{self.status} · {self.spend_note}" if self.spend_note else self.status

    def _create_all(self) -> list[Record]:
        """Create every cell's prompt through the client's executor (at most
        ``client.concurrency`` requests in flight, paused by 429s; each create keeps the
        transport's rules, so an uncertain one is looked for before it is sent again). The
        first failure stops further creates and is raised once those in flight returned.

        Under ``client.max_spend`` a create is sent only while what this client spent before,
        the ``cost_mc`` the creates returned so far and the estimates of those in flight leave
        room for its own estimate; the rest are counted in :attr:`not_sent`."""
        halt = threading.Event()
        budget = RunBudget(self.limits, self.estimate, len(self.sweep.cells))

        def create(index: int) -> Record | None:
            if self._stopping.is_set() or halt.is_set() or not budget.take(index):
                return None
            cell = self.sweep.cells[index]
            try:
                if self._ready is None:
                    return self.client.generate(self.tunes, self.text, **cell.params)
                plan, params = self._ready[index]
                return self.client.create_prompt(plan.tune_id, plan.text, **params)
            except BaseException:
                budget.returned(index, None)
                raise

        def created(index: int, _item: int, record: Record | None,
                    error: BaseException | None) -> None:
            if error is not None:
                halt.set()
            elif record is not None:
                budget.returned(index, record)
                with self._lock:
                    self._created[index] = record

        results = self.client.run_all(create, range(len(self.sweep.cells)), stop=halt,
                                      on_result=created)
        if budget.refused:
            self.not_sent = len(self.sweep.cells) - budget.sent
            self._stopped_at = budget.stopped_at
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

    def full_images(self, prompt_id: int) -> list[bytes]:
        """A prompt's images as full bytes, in image order: those the watch downloaded, and
        (a resumed or reopened run holds only the previews its history stored) the others
        fetched now through the client, once. Blocks: call it off the kernel's thread."""
        found = []
        for image in self.images.get(int(prompt_id), []):
            data = image.data or self._fetched.get((image.prompt_id, image.index))
            if data is None and image.error is None and image.url:
                data = self.client.fetch_bytes(image.url)
                self._fetched[(image.prompt_id, image.index)] = data
            if data is not None:
                found.append(data)
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
        held = {(i.prompt_id, i.index): i.data or self._fetched.get((i.prompt_id, i.index))
                for i in self.watch.images}
        held = {key: data for key, data in held.items() if data is not None}
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
            cells[cell.row][cell.col] = (shown[0].data or shown[0].preview) if shown else None
            captions[cell.row][cell.col] = f"#{prompt['id']}" if prompt is not None else ""
        return contact_sheet(
            cells, tile=tile, captions=captions,
            row_labels=[f"{plan.row_param} = {v}" for v in plan.row_values],
            col_labels=[f"{plan.col_param} = {v}" for v in plan.col_values])

    def __repr__(self) -> str:
        rows, cols = self.sweep.shape
        return (f"GenerationRun(tune={self.plan.tune_id}, prompts={len(self.sweep.cells)} "
                f"({rows}x{cols}), status={self.status!r})")
