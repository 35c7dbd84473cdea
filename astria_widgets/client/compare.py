"""Compare tunes (or presets) side by side: the same texts and seeds on each, likes tallied.

``CompareRun.prepare(client, [tune_a, tune_b], texts=[...], seeds=[1, 2, 3])`` plans one
column per tune (or, with ``variants=[{"cfg_scale": 5}, {"cfg_scale": 9}]``, one per variant of
each tune) and one row per (text, seed). Every cell is planned for its tune
(:func:`~astria_widgets.client.references.plan_prompt`, through ``client.prepare_prompt``) and
checked before anything is sent, as :meth:`GenerationRun.prepare` checks a sweep; problems name
their parameter (``texts[1]``, ``seeds[0]``, ``variants[2].cfg_scale``, ``tunes[0]``).

:meth:`CompareRun.begin` starts one :class:`~astria_widgets.client.generation.GenerationRun`
per base tune (the tune the prompts are created under: two LoRAs on Flux1.dev share one), so
the creates go through ``client.run_all`` and each base tune is followed by one batched wait.
Likes given in the grid (:meth:`CompareRun.like`) are tallied per column: ``tally()`` is a
DataFrame (column, liked, total, share) and :func:`tally_text` reads "tune A: 7 of 10 liked".
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astria_widgets.client.checks import record_id
from astria_widgets.client.costs import prompts_cost_mc
from astria_widgets.client.errors import InputError
from astria_widgets.client.generation import GenerationRun, spend_estimate
from astria_widgets.client.prompt_params import param_problems, problem_list
from astria_widgets.client.references import PromptPlan
from astria_widgets.client.sweep import SweepCell, SweepPlan, repeated_values, value_label

if TYPE_CHECKING:
    import pandas as pd

    from astria_widgets.client.api import AstriaClient
    from astria_widgets.client.watch import PromptsWaiter
    from astria_widgets.client.watch_base import WatchedImage

Record = dict[str, Any]
MAX_CELLS = 200
"""The most prompts one comparison creates (a typo in ``seeds`` should not order thousands)."""


@dataclass(frozen=True)
class CompareColumn:
    """One column: a tune and the parameters of its variant (``{}`` without variants)."""

    label: str
    tune: Record = field(hash=False)
    params: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class CompareRow:
    """One row: a text and the seed every column uses for it."""

    text: str
    seed: int | None
    label: str


@dataclass(frozen=True)
class CompareCell:
    """A grid cell: its place, its prompt (``None`` until created) and whether it is liked."""

    row: int
    col: int
    prompt: Record | None = field(hash=False)
    liked: bool = False


@dataclass(frozen=True)
class Tally:
    """The likes of one column."""

    column: str
    liked: int
    total: int

    @property
    def share(self) -> float:
        """``liked / total`` (0 for an empty column)."""
        return self.liked / self.total if self.total else 0.0


def tally_text(tally: Tally) -> str:
    """One column's tally as a line, e.g. ``tune A: 7 of 10 liked``."""
    return f"{tally.column}: {tally.liked} of {tally.total} liked"


def tally_frame(tallies: Sequence[Tally]) -> pd.DataFrame:
    """The tallies as a DataFrame: column (str), liked, total (int64), share (float64)."""
    import pandas as pd

    return pd.DataFrame({
        "column": pd.Series([t.column for t in tallies], dtype="string"),
        "liked": pd.Series([t.liked for t in tallies], dtype="int64"),
        "total": pd.Series([t.total for t in tallies], dtype="int64"),
        "share": pd.Series([t.share for t in tallies], dtype="float64"),
    })


def count_tallies(labels: Sequence[str], rows: int, liked: set[int]) -> list[Tally]:
    """Each column's tally, cells numbered row-major (``index = row * columns + col``)."""
    cols = len(labels)
    return [Tally(label, sum(1 for r in range(rows) if r * cols + c in liked), rows)
            for c, label in enumerate(labels)]


def cell_label(columns: Sequence[str], rows: Sequence[str], index: int) -> str:
    """The label of cell ``index`` (row-major) of a grid: ``column · row``."""
    cols = len(columns)
    return f"{columns[index % cols]} · {rows[index // cols]}"


def tune_name(tune: Mapping[str, Any]) -> str:
    """A tune as a column header reads it: its title and id, e.g. ``Anna (#12)``."""
    title = str(tune.get("title") or "").strip()
    return f"{title} (#{tune.get('id')})" if title else f"#{tune.get('id')}"


def column_label(tune: Mapping[str, Any], variant: Mapping[str, Any]) -> str:
    """``Anna (#12)``, or with a variant ``Anna (#12) · cfg_scale 5``."""
    parts = [value_label(k, v) for k, v in variant.items()]
    return " · ".join([tune_name(tune), *parts])


def row_label(text: str, seed: int | None) -> str:
    """``portrait · seed 3`` (a long text shortened)."""
    shown = text if len(text) <= 40 else text[:39] + "…"
    return shown if seed is None else f"{shown} · seed {seed}"


def _text_problems(texts: Any) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Sequence) or not texts:
        return ["texts: give a list of one or more prompt texts"]
    problems = [f"texts[{i}]: must be non-empty text, not {t!r}"
                for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    problems += [f"texts: {r} is given twice" for r in repeated_values(
        [t.strip() for t in texts if isinstance(t, str)])]
    return problems


def _seed_problems(seeds: Any) -> list[str]:
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        return ["seeds: give a list of one or more seeds (whole numbers)"]
    problems = [f"seeds[{i}]: {m}" for i, s in enumerate(seeds)
                for m in param_problems({"seed": s}).get("seed", [])]
    problems += [f"seeds: {r} is given twice" for r in repeated_values(list(seeds))]
    return problems


def _variant_problems(variants: Any) -> list[str]:
    if not isinstance(variants, Sequence) or isinstance(variants, (str, bytes)) or not variants:
        return ["variants: give a list of parameter sets, e.g. [{'cfg_scale': 5}, "
                "{'cfg_scale': 9}]"]
    problems = []
    for i, variant in enumerate(variants):
        if not isinstance(variant, Mapping):
            problems.append(f"variants[{i}]: must be a dict of prompt parameters, not "
                            f"{type(variant).__name__}")
            continue
        if "seed" in variant:
            problems.append(f"variants[{i}].seed: the seeds are the rows; give them as seeds=")
        problems += [f"variants[{i}].{p}" for p in problem_list(param_problems(
            {k: v for k, v in variant.items() if k != "seed"}))]
    return problems


def plan_compare(tunes: Sequence[Record], texts: Sequence[str], seeds: Sequence[int | None],
                 variants: Sequence[Mapping[str, Any]] | None = None
                 ) -> tuple[list[CompareColumn], list[CompareRow]]:
    """The columns (each tune, times each variant) and rows (each text, times each seed);
    pure. Raises :class:`InputError` naming each parameter at fault."""
    problems = _text_problems(texts) + _seed_problems(seeds)
    if variants is not None:
        problems += _variant_problems(variants)
    sets = [dict(v) for v in (variants or [{}]) if isinstance(v, Mapping)]
    ids = [str(t.get("id")) for t in tunes]
    if len(tunes) * max(len(sets), 1) < 2:
        problems.append("tunes: give at least two tunes, or one tune and two variants=")
    problems += [f"tunes: tune {r} is given twice" for r in repeated_values(ids)]
    if problems:
        raise InputError(list(dict.fromkeys(problems)), context="compare")
    columns = [CompareColumn(column_label(t, v), dict(t), v) for t in tunes for v in sets]
    rows = [CompareRow(t.strip(), s, row_label(t.strip(), s)) for t in texts for s in seeds]
    if len(columns) * len(rows) > MAX_CELLS:
        raise InputError(f"texts: {len(columns)} columns x {len(rows)} rows is "
                         f"{len(columns) * len(rows)} prompts, more than {MAX_CELLS}; compare "
                         "fewer texts, seeds or tunes", context="compare")
    return columns, rows


class CompareRun:
    """A running (or prepared) comparison; see the module docstring.

    ``columns``, ``rows``, ``cells`` (row-major), ``images``, ``cost_mc``, ``status`` (as a
    :class:`GenerationRun`'s, over every base tune), ``like``/``unlike``, ``tally()``.
    """

    def __init__(self, client: AstriaClient, columns: list[CompareColumn],
                 rows: list[CompareRow], ready: list[tuple[PromptPlan, dict[str, Any]]], *,
                 timeout: float | None = None, estimate_mc: float | None = None,
                 rebuilt: Sequence[tuple[GenerationRun, list[int]]] = ()) -> None:
        self.client = client
        self.columns = columns
        self.rows = rows
        self.estimate_mc = estimate_mc
        self._lock = threading.Lock()
        self._liked: set[int] = set()
        self._subscribers: list[Callable[[CompareRun], Any]] = []
        #: one GenerationRun per base tune, and the grid index of each of its cells
        self.runs: list[GenerationRun] = []
        self._places: list[list[int]] = []
        groups: dict[int, list[int]] = {}
        for index, (plan, _params) in enumerate(ready):
            groups.setdefault(plan.tune_id, []).append(index)
        cols = len(columns)
        for indexes in groups.values():
            cells = tuple(SweepCell(i // cols, i % cols, ready[i][1], self.label(i))
                          for i in indexes)
            first = ready[indexes[0]][0]
            grid = SweepPlan(None, (), None, (), cells)
            self.runs.append(GenerationRun(
                client, [columns[indexes[0] % cols].tune], first, first.text, grid,
                timeout=timeout, ready=[ready[i] for i in indexes]))
            self._places.append(indexes)
        for run, indexes in rebuilt:  # a comparison rebuilt from the history (rebuild)
            self.runs.append(run)
            self._places.append(list(indexes))

    @classmethod
    def prepare(cls, client: AstriaClient, tunes: Sequence[Any], texts: Sequence[str],
                seeds: Sequence[int] | None = None, *,
                variants: Sequence[Mapping[str, Any]] | None = None,
                timeout: float | None = None, **params: Any) -> CompareRun:
        """Check and plan without sending a create (views subscribe, then :meth:`begin`).

        ``tunes`` are ids or records (ids are fetched); ``seeds`` default to one random seed
        shared by every column; ``params`` apply to every cell (a variant's override them).
        Raises :class:`InputError` listing every problem before any prompt is created.
        """
        if not isinstance(tunes, Sequence) or isinstance(tunes, (str, bytes)) or not tunes:
            raise InputError("tunes: give a list of tunes (ids or records)", context="compare")
        params = {k: v for k, v in params.items() if v is not None}
        problems = problem_list(param_problems(params))
        if "seed" in params:
            problems.append("seed: the seeds are the rows; give them as seeds=[...]")
        records: list[Record] = []
        for i, tune in enumerate(tunes):
            try:
                if isinstance(tune, Mapping):
                    record_id(tune.get("id"), f"tunes[{i}]['id']")
                    records.append(dict(tune))
                else:
                    records.append(client.get_tune(record_id(tune, f"tunes[{i}]")))
            except InputError as exc:
                problems.extend(exc.problems)
        seeds = [random.randrange(1, 2**31)] if seeds is None else seeds
        try:
            columns, rows = plan_compare(records, texts, seeds, variants)
        except InputError as exc:
            problems.extend(exc.problems)
        if problems:
            raise InputError(list(dict.fromkeys(problems)), context="compare")
        ready: list[tuple[PromptPlan, dict[str, Any]]] = []
        for row in rows:
            for column in columns:
                cell = {**params, **column.params, "seed": row.seed}
                try:
                    ready.append(client.prepare_prompt(column.tune, row.text, **cell))
                except InputError as exc:
                    problems.extend(exc.problems)
        if problems:
            raise InputError(list(dict.fromkeys(problems)), context="compare")
        estimate = spend_estimate(client, records, ready)
        return cls(client, columns, rows, ready, timeout=timeout,
                   estimate_mc=None if estimate is None else estimate.mc)

    @classmethod
    def rebuild(cls, client: AstriaClient, data: Mapping[str, Any],
                prompts: Mapping[int, Record], *, tunes: Mapping[int, Record] | None = None,
                images: Sequence[WatchedImage] = (), liked: Sequence[int] = (),
                waiter: Callable[[int], PromptsWaiter | None] | None = None,
                timeout: float | None = None) -> CompareRun:
        """A comparison rebuilt from its recorded plan (``data``: the history's parameters:
        columns, tunes, variants, texts, seeds) and each created cell's latest prompt record
        (by row-major cell index), holding ``images`` and the ``liked`` cells already; sends
        nothing. Its cells are grouped by the base tune their prompts were created under, one
        :meth:`GenerationRun.rebuild` each (``waiter(base_tune_id)`` follows it: one batched
        wait per base tune); :meth:`resume` follows them. A cell never created stays empty."""
        ids = [int(t) for t in data["tunes"]]
        labels = [str(label) for label in data["columns"]]
        variants = [dict(v) for v in data.get("variants") or [{}] * len(labels)]  # per column
        rows = [CompareRow(str(t), s, row_label(str(t), s))
                for t in data["texts"] for s in data["seeds"]]
        if not rows or not ids or len(labels) % len(ids) or len(variants) != len(labels):
            raise ValueError("the recorded columns, tunes, variants, texts and seeds disagree")
        known, per = dict(tunes or {}), len(labels) // len(ids)
        columns = [CompareColumn(label, dict(known.get(ids[n // per]) or {"id": ids[n // per]}),
                                 variants[n]) for n, label in enumerate(labels)]
        cols = len(columns)
        groups: dict[int, list[int]] = {}
        for index in sorted(int(i) for i in prompts if 0 <= int(i) < cols * len(rows)):
            base = prompts[index].get("tune_id") or columns[index % cols].tune["id"]
            groups.setdefault(int(base), []).append(index)
        rebuilt = []
        for base, indexes in groups.items():
            first = rows[indexes[0] // cols].text
            plain = {"tunes": [columns[indexes[0] % cols].tune], "text": first,
                     "plan": {"tune_id": base, "text": first, "kinds": []},
                     "sweep": {"cells": [{"row": i // cols, "col": i % cols,
                                          "label": cell_label(labels, [r.label for r in rows],
                                                              i)} for i in indexes]}}
            held = {int(prompts[i]["id"]) for i in indexes}
            rebuilt.append((GenerationRun.rebuild(
                client, plain, {n: prompts[i] for n, i in enumerate(indexes)},
                images=[i for i in images if i.prompt_id in held],
                waiter=waiter(base) if waiter is not None else None, timeout=timeout),
                indexes))
        run = cls(client, columns, rows, [], timeout=timeout, rebuilt=rebuilt)
        run._liked.update(int(i) for i in liked)
        return run

    def resume(self) -> CompareRun:
        """Follow a rebuilt comparison's unsettled prompts (each base tune's watch thread)."""
        for run in self.runs:
            run.resume()
        return self

    def begin(self) -> CompareRun:
        """Start every base tune's run (creates through ``client.run_all``); return at once."""
        for run in self.runs:
            run.begin()
        return self

    # -- the grid ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return len(self.rows), len(self.columns)

    @property
    def column_labels(self) -> list[str]:
        """The column headers."""
        return [c.label for c in self.columns]

    @property
    def row_labels(self) -> list[str]:
        """The row headers."""
        return [r.label for r in self.rows]

    def label(self, index: int) -> str:
        """A cell's label: ``column · row``."""
        return cell_label(self.column_labels, self.row_labels, index)

    @property
    def cells(self) -> list[CompareCell]:
        """Every cell, row-major, with its latest prompt record and like."""
        found: dict[int, Record | None] = {}
        for run, places in zip(self.runs, self._places, strict=True):
            for index, (_cell, prompt) in zip(places, run.cells, strict=True):
                found[index] = prompt
        cols = len(self.columns)
        with self._lock:
            liked = set(self._liked)
        return [CompareCell(i // cols, i % cols, found.get(i), i in liked)
                for i in range(len(self.rows) * cols)]

    @property
    def prompts(self) -> list[Record]:
        """The prompts created so far, row-major."""
        return [c.prompt for c in self.cells if c.prompt is not None]

    @property
    def images(self) -> dict[int, list[WatchedImage]]:
        """Downloaded images by prompt id, in image order."""
        found: dict[int, list[WatchedImage]] = {}
        for run in self.runs:
            found.update(run.images)
        return found

    def thumbnail(self, index: int) -> bytes | None:
        """The preview of a cell's first image (``WatchedImage.preview``: the JPEG the watch
        made in its fetch thread), ``None`` until there is one or when it is no picture."""
        prompt = self.cells[index].prompt
        shown = self.images.get(int(prompt["id"]), []) if prompt is not None else []
        return next((i.preview for i in shown if i.preview), None)

    @property
    def cost_mc(self) -> int | None:
        """What the prompts cost, in millicents, where the API states it."""
        return prompts_cost_mc(self.prompts)

    def column_cost_mc(self, col: int) -> int | None:
        """What one column's prompts cost, in millicents."""
        return prompts_cost_mc(c.prompt for c in self.cells if c.col == col and c.prompt)

    # -- state -------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """``creating``, ``pending``, ``done``, ``failed``, ``error`` or ``stopped``."""
        statuses = [run.status for run in self.runs]
        for state in ("error", "stopped", "creating", "pending", "failed"):
            if state in statuses:
                return state
        return "done"

    @property
    def done(self) -> bool:
        """True once every base tune's run ended."""
        return all(run.done for run in self.runs)

    @property
    def error(self) -> BaseException | None:
        """The first error that ended a base tune's run early."""
        return next((run.error for run in self.runs if run.error is not None), None)

    def wait(self, timeout: float | None = None) -> list[Record]:
        """Block until every prompt settled; return the prompts row-major."""
        for run in self.runs:
            run.wait(timeout)
        return self.prompts

    def stop(self) -> None:
        """Stop creating and following (prompts sent go on in the service)."""
        for run in self.runs:
            run.stop()

    def subscribe(self, callback: Callable[[CompareRun], Any]) -> Callable[[], None]:
        """``callback(run)`` after every change (in a watch thread, or the liker's);
        returns unsubscribe."""
        with self._lock:
            self._subscribers.append(callback)
        stops = [run.subscribe(lambda _run: callback(self)) for run in self.runs]

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)
            for stop in stops:
                stop()

        return unsubscribe

    def _notify(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback(self)

    # -- likes -------------------------------------------------------------------------------
    @property
    def liked(self) -> set[int]:
        """The grid indexes liked (row-major)."""
        with self._lock:
            return set(self._liked)

    def _cell_prompt_id(self, index: int) -> int:
        cells = self.cells
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cells):
            raise InputError(f"index: {index!r} is not a cell of this {len(self.rows)}x"
                             f"{len(self.columns)} grid", context="like")
        prompt = cells[index].prompt
        if prompt is None:
            raise InputError(f"index: cell {index} has no prompt yet", context="like")
        return int(prompt["id"])

    def like(self, index: int) -> None:
        """Like the prompt of cell ``index`` (row-major) and count it in its column's tally."""
        self.client.like_prompt(self._cell_prompt_id(index))
        with self._lock:
            self._liked.add(index)
        self._notify()

    def unlike(self, index: int) -> None:
        """Take the like of cell ``index`` back."""
        self.client.unlike_prompt(self._cell_prompt_id(index))
        with self._lock:
            self._liked.discard(index)
        self._notify()

    def tallies(self) -> list[Tally]:
        """Each column's likes."""
        return count_tallies(self.column_labels, len(self.rows), self.liked)

    def tally(self) -> pd.DataFrame:
        """The tallies as a DataFrame (column, liked, total, share)."""
        return tally_frame(self.tallies())

    def __repr__(self) -> str:
        rows, cols = self.shape
        return (f"CompareRun(columns={cols}, rows={rows}, base_tunes={len(self.runs)}, "
                f"status={self.status!r})")
