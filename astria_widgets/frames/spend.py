"""``spend_dataframe``: where the money went -- one row per charge (training, image, video).

Columns and dtypes: :data:`SPEND_COLUMNS` (``time``, ``kind``, ``tune_id``, ``prompt_id``,
``model``, ``cost_mc``, ``dollars``, ``estimate``, ``basis``), newest first. ``dollars`` is
``cost_mc`` in dollars (``client.costs.dollars``); to show money as text use
:func:`usd_text` (``client.costs.usd``, the one money formatter).

Where each figure comes from (API notes section 5.7; none is invented here):

- **image** and **video** charges: one per prompt, its own ``cost_mc`` (the API's price in
  millicents, already times ``num_images``): stated, not an estimate (``basis`` ``"prompt
  cost_mc"``). ``time`` is the prompt's ``created_at``. A prompt is a video when it has a
  ``video_model`` (or ``is_video``); ``model`` is that video model, else the branch of the
  tune it ran on (the account's tune, or a gallery base tune by
  ``client.references.DEFAULT_BASE_TUNES``). ``tune_id`` is the account's tune the charge was
  for: the tune the prompt ran on, or, for a prompt on a gallery base tune, the first tune its
  text references (``<lora:ID:w>``, ``<faceid:ID:w>``).
- **training** charges: one per tune of the account, ``time`` its ``created_at``, ``model``
  its branch. A tune record states no price, so the first of these that applies is used:

  1. ``"order total_cost_mc"`` -- the tune came from a pack order whose answer is known (given
     in ``orders``, or a tune record carrying the answer's ``order``): ``order.total_cost_mc``
     (the charged total) less the ``cost_mc`` of that order's prompts. Stated, not an estimate.
  2. ``"fast branch"`` -- ``branch="fast"`` tunes are free mock tunes (section 5.5): 0.
  3. ``"pack costs"`` -- the tune's prompts came from a pack (``base_pack_id``) whose detail is
     in ``packs``: that class's ``costs.<class>.cost_mc`` less its template prompts' ``cost_mc``
     (``client.costs.pack_training_cost_mc``). An estimate (the docs call ``costs`` one).
  4. ``"pack costs, same branch"`` -- any other tune on a branch some pack in ``packs`` trains
     on (the pack's ``base_tune_id``): the median of those packs' training parts
     (``client.costs.branch_training_costs_mc``, the rule the spend guard prices a tune by).
     An estimate.
  5. ``"unknown"`` -- the API gives no figure: ``cost_mc`` is ``<NA>`` (sums leave it out;
     :func:`spend_per` counts them: ``charges - priced``).

A failed training or prompt is listed like any other (the docs do not say whether a failure is
charged); the ``basis`` column says where every figure came from.

Groupings (each a small helper, or the pandas one-liner in its docstring):
:func:`spend_per_day` (days x kinds, dollars, for a stacked bar chart), :func:`spend_per_tune`,
:func:`spend_per_model` (per model and kind), :func:`spend_per` (any columns).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import pandas as pd

from astria_widgets.client.costs import (
    branch_training_costs_mc,
    dollars,
    pack_training_cost_mc,
    usd,
)
from astria_widgets.client.references import BASE_TUNE_BRANCHES, referenced_tune_ids
from astria_widgets.frames.coerce import as_int
from astria_widgets.frames.prompts import prompts_dataframe
from astria_widgets.frames.schema import BOOL, DATETIME, FLOAT, INT, TEXT
from astria_widgets.frames.sources import tune_and_prompt_records
from astria_widgets.frames.tunes import tunes_dataframe

KINDS = ("training", "image", "video")
"""The kinds of charge, in the order of ``kind``'s categories."""

SPEND_COLUMNS: MappingProxyType[str, Any] = MappingProxyType({
    "time": DATETIME,
    "kind": pd.CategoricalDtype(list(KINDS)),
    "tune_id": INT,
    "prompt_id": INT,
    "model": TEXT,
    "cost_mc": INT,
    "dollars": FLOAT,
    "estimate": BOOL,
    "basis": TEXT,
})
"""Column name -> dtype of ``spend_dataframe`` (a plain RangeIndex)."""

def spend_dataframe(source: Any = None, *, packs: Iterable[Mapping[str, Any]] | None = None,
                    orders: Iterable[Mapping[str, Any]] = ()) -> pd.DataFrame:
    """Every charge of the account as a typed DataFrame, newest first (see the module docs).

    ``source``: one list of tune and prompt records (a record with ``tune_id`` is a prompt), an
    ``AstriaClient`` (every tune and prompt, all pages), a ``TuneHistory``, or None
    (``connect()``'s client). ``packs``: pack details (``GET /p/:id``) whose ``costs`` price
    trainings; None: with a client, the details of the packs the account's prompts came from
    (one request each), else none. ``orders``: answers of ``create_tune_from_pack`` (a tune with
    an ``order``), whose ``total_cost_mc`` is the charged total.
    """
    tunes, prompts = tune_and_prompt_records(source)
    tune_frame, prompt_frame = tunes_dataframe(tunes), prompts_dataframe(prompts)
    if packs is None:
        packs = _packs_named(source, prompt_frame)
    image_rows = _prompt_rows(tune_frame, prompt_frame)
    training_rows = _training_rows(tune_frame, prompt_frame, tunes, list(packs), orders)
    return _frame(training_rows + image_rows)


def _packs_named(source: Any, prompt_frame: pd.DataFrame) -> list[Mapping[str, Any]]:
    get_pack = getattr(source, "get_pack", None)
    if not callable(get_pack):
        return []
    named = prompt_frame["base_pack_id"].dropna().unique()
    return [get_pack(int(pack_id)) for pack_id in sorted(named)]


def _prompt_rows(tune_frame: pd.DataFrame, prompt_frame: pd.DataFrame) -> list[dict[str, Any]]:
    branch_of = {**BASE_TUNE_BRANCHES, **{int(i): b for i, b in tune_frame["branch"].items()
                                    if not pd.isna(i) and not pd.isna(b)}}
    own = {int(i) for i in tune_frame.index if not pd.isna(i)}
    video_model = _column(prompt_frame, "video_model")
    is_video = _column(prompt_frame, "is_video")
    rows = []
    for pid, tune_id, text, cost, created, video, flagged in zip(
            prompt_frame.index, prompt_frame["tune_id"], prompt_frame["text"],
            prompt_frame["cost_mc"], prompt_frame["created_at"], video_model, is_video,
            strict=True):
        tune = None if pd.isna(tune_id) else int(tune_id)
        if tune not in own and isinstance(text, str):
            tune = next(iter(referenced_tune_ids(text)), tune)
        has_video = isinstance(video, str) and bool(video)
        kind = "video" if has_video or flagged is True else "image"
        model = video if has_video else branch_of.get(int(tune_id)) if not pd.isna(
            tune_id) else None
        rows.append(_row(created, kind, tune, pid, model, cost,
                         basis="prompt cost_mc", estimate=False))
    return rows


def _training_rows(tune_frame: pd.DataFrame, prompt_frame: pd.DataFrame, tunes: list[Any],
                   packs: list[Mapping[str, Any]],
                   orders: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    charged = _order_training_costs(
        [*orders, *(t for t in tunes if isinstance(t, Mapping))], prompt_frame)
    by_pack = {as_int(p.get("id")): p for p in packs if isinstance(p, Mapping)}
    pack_of = {int(t): int(p) for t, p in zip(prompt_frame["tune_id"],
                                              prompt_frame["base_pack_id"], strict=True)
               if not pd.isna(t) and not pd.isna(p)}
    per_branch = {b: mc for b, (mc, _n) in branch_training_costs_mc(by_pack.values()).items()}
    rows = []
    for tid, branch, name, created in zip(tune_frame.index, tune_frame["branch"],
                                          tune_frame["name"], tune_frame["created_at"],
                                          strict=True):
        tune = None if pd.isna(tid) else int(tid)
        branch = None if pd.isna(branch) else str(branch)
        pack = by_pack.get(pack_of.get(tune)) if tune is not None else None
        from_pack = (pack_training_cost_mc(pack, str(name))
                     if pack is not None and not pd.isna(name) else None)
        if tune in charged:
            cost, basis, estimate = charged[tune], "order total_cost_mc", False
        elif branch == "fast":
            cost, basis, estimate = 0, "fast branch", False
        elif from_pack is not None:
            cost, basis, estimate = from_pack, "pack costs", True
        elif branch in per_branch:
            cost, basis, estimate = per_branch[branch], "pack costs, same branch", True
        else:
            cost, basis, estimate = None, "unknown", None
        rows.append(_row(created, "training", tune, None, branch, cost,
                         basis=basis, estimate=estimate))
    return rows


def _order_training_costs(answers: Iterable[Mapping[str, Any]],
                          prompt_frame: pd.DataFrame) -> dict[int, int]:
    """tune id -> ``order.total_cost_mc`` less the order's prompts (all of them known)."""
    cost_of = {int(i): c for i, c in prompt_frame["cost_mc"].items() if not pd.isna(i)}
    in_order: dict[int, list[int]] = {}
    for pid, order_id in prompt_frame["order_id"].items():
        if not pd.isna(pid) and not pd.isna(order_id):
            in_order.setdefault(int(order_id), []).append(int(pid))
    found = {}
    for answer in answers:
        order, tune = answer.get("order"), as_int(answer.get("id"))
        if not isinstance(order, Mapping) or tune is None:
            continue
        total = as_int(order.get("total_cost_mc"))
        ids = order.get("prompt_ids")
        ids = ([as_int(i) for i in ids] if isinstance(ids, list)
               else in_order.get(as_int(order.get("id")) or -1, []))
        costs = [cost_of.get(i) if i is not None else None for i in ids]
        if total is not None and all(c is not None and not pd.isna(c) for c in costs):
            found[tune] = total - sum(int(c) for c in costs)
    return found


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [None if pd.isna(v) else v for v in frame[name].astype(object)]


def _row(time: Any, kind: str, tune: int | None, prompt: Any, model: Any, cost: Any, *,
         basis: str, estimate: bool | None) -> dict[str, Any]:
    cost = None if cost is None or pd.isna(cost) else int(cost)
    return {"time": time, "kind": kind, "tune_id": tune,
            "prompt_id": None if prompt is None or pd.isna(prompt) else int(prompt),
            "model": None if model is None or pd.isna(model) else str(model),
            "cost_mc": cost, "estimate": None if cost is None else estimate,
            "basis": "unknown" if cost is None else basis}


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    names = [n for n in SPEND_COLUMNS if n != "dollars"]
    data = {n: pd.array([r[n] for r in rows], dtype=SPEND_COLUMNS[n])
            if n != "time" else pd.DatetimeIndex([r[n] for r in rows], dtype=DATETIME)
            for n in names}
    frame = pd.DataFrame(data)
    frame.insert(list(SPEND_COLUMNS).index("dollars"), "dollars",
                 dollars(frame["cost_mc"].astype(FLOAT)))
    return frame.sort_values("time", ascending=False, kind="stable",
                             na_position="last").reset_index(drop=True)


def spend_per(frame: pd.DataFrame, *by: str) -> pd.DataFrame:
    """Charges, priced charges, ``cost_mc`` and ``dollars`` per value of the ``by`` columns
    (``charges - priced`` have no known cost). The one-liner it is:
    ``frame.groupby(list(by), observed=True, dropna=False).agg(charges=("kind", "size"),
    priced=("cost_mc", "count"), cost_mc=("cost_mc", "sum"))``, plus ``dollars``."""
    table = frame.groupby(list(by), observed=True, dropna=False).agg(
        charges=("kind", "size"), priced=("cost_mc", "count"), cost_mc=("cost_mc", "sum"))
    table["cost_mc"] = table["cost_mc"].astype(INT)
    table["dollars"] = dollars(table["cost_mc"].astype(FLOAT))
    return table


def spend_per_tune(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`spend_per` by ``tune_id`` (training and prompts together), most spent first."""
    return spend_per(frame, "tune_id").sort_values("cost_mc", ascending=False, kind="stable")


def spend_per_model(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`spend_per` by ``model`` and ``kind`` (``"flux1"``/``"training"``...)."""
    return spend_per(frame, "model", "kind")


def spend_per_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Dollars per UTC day (rows, every day with a charge) and kind (columns, all three), 0
    where none: ``frame.groupby([frame["time"].dt.floor("D"), "kind"], observed=False)
    ["dollars"].sum().unstack("kind")`` (days without a charge are left out)."""
    day = frame["time"].dt.floor("D").rename("day")
    table = (frame.groupby([day, "kind"], observed=False)["dollars"].sum()
             .unstack("kind", fill_value=0))
    table = table.reindex(columns=pd.CategoricalIndex(list(KINDS), name="kind"), fill_value=0)
    return table.loc[sorted(set(day.dropna()))]


def usd_text(cost_mc: pd.Series) -> pd.Series:
    """A ``cost_mc`` column as dollar text by ``client.costs.usd`` (``<NA>`` -> ``"unknown"``)."""
    return pd.Series([usd(None if pd.isna(v) else int(v)) for v in cost_mc],
                     index=cost_mc.index, dtype=TEXT, name="usd")
