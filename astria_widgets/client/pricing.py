"""A run's price BEFORE anything is sent, from the API's own figures (issue 20, the spend guard).

Where each price comes from, in this order:

- a video prompt: the catalogue's video price (``GET /cli/models`` ``video_models[name]``:
  ``cost_mc`` or ``cost_cents`` for its ``default_duration``), linear in ``video_duration``
  (Appendix A of the API notes), x ``num_images``;
- an image prompt on a catalogue image model (the tune it runs on, or that tune's base, is a
  ``models[name].tune_id``): the catalogue's ``cost_mc_per_image`` at its ``resolution`` (the
  model's first resolution when none is given), x ``num_images``. The docs state no image price:
  the sandbox serves its own list; a catalogue without one falls through to the next rule;
- any other prompt: the ``cost_mc`` of the account's recent prompts of the same kind (image or
  video), per image on average, said as an estimate;
- a pack order: the pack's own costs (:func:`~astria_widgets.client.costs.pack_order_estimate_mc`);
- a tune's training: the API states no training price outside a pack (whose price includes
  one), so it is estimated from the gallery packs' figures (``client.gallery_packs()``,
  fetched once per client): the median training part of the packs on the tune's branch
  (:func:`~astria_widgets.client.costs.branch_training_costs_mc`, the rule ``spend_dataframe``
  uses too), plus the tune's own prompts priced as prompts are; ``unpriced`` when no pack
  gives a figure for that branch (``branch="fast"``: free, the docs' mock mode).

An :class:`Estimate` says what it covers and its ``basis`` in words; :func:`spend_refusal`
is the one rule of ``max_spend`` (an unpriced run under a limit is refused too).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from astria_widgets.client.checks import spend_limit, whole_number
from astria_widgets.client.costs import (
    MC_PER_USD,
    branch_training_costs_mc,
    image_cost_mc,
    pack_order_estimate_mc,
    spend_problem,
    usd,
)
from astria_widgets.client.errors import AstriaError
from astria_widgets.client.references import run_on_tune_id, tune_kind

if TYPE_CHECKING:
    from astria_widgets.client.api import AstriaClient

__all__ = ["CATALOGUE", "RECENT_PROMPTS", "Estimate", "RunBudget", "SpendLimit",
           "catalogue_or_empty", "estimate_prompts", "estimate_tune", "gallery_packs_or_empty",
           "image_price_mc", "left_mc", "limited", "limits_of", "price_pack_order",
           "price_prompts", "price_tune", "prompt_kind", "spend_refusal", "tune_prompt_cells",
           "video_price_mc"]

Record = dict[str, Any]
RECENT_PROMPTS = 50
"""How many of the account's latest prompts an estimate is made from."""
CATALOGUE = "catalogue price"
FREE_FAST = "free: branch fast is the docs' mock mode"


@dataclass(frozen=True)
class Estimate:
    """A run's price before sending: ``mc`` (millicents, ``None`` when unpriced), how many
    ``prompts`` and ``images`` it covers, its ``basis`` in words (``"catalogue price"``,
    ``"estimate from your 50 recent image prompts"``, ``"pack price"``, ``"unpriced: ..."``)
    and ``each``: every prompt's own price (what a running sweep counts in flight)."""

    mc: float | None
    prompts: int
    images: int
    basis: str
    each: tuple[float | None, ...] = field(default=(), repr=False)

    @property
    def priced(self) -> bool:
        """True when the whole run has a price."""
        return self.mc is not None

    @property
    def text(self) -> str:
        """``"≈ $0.46 for 100 prompts · catalogue price"`` (or ``"... · unpriced: why"``)."""
        what = _plural(self.prompts, "prompt")
        if self.mc is None:
            return f"{what} · {self.basis}"
        return f"≈ {usd(self.mc)} for {what} · {self.basis}"

    def what(self) -> str:
        """The run as a refusal names it: ``"this run of 100 prompts (100 images)"``."""
        return (f"this run of {_plural(self.prompts, 'prompt')} "
                f"({_plural(self.images, 'image')})")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def prompt_kind(params: Mapping[str, Any]) -> str:
    """``"video"`` for a prompt with a ``video_model``, else ``"image"``."""
    return "video" if params.get("video_model") else "image"


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    return float(value) if ok else None


def video_price_mc(catalogue: Mapping[str, Any], params: Mapping[str, Any]) -> float | None:
    """One video prompt's price from the catalogue (x ``num_images``), or None."""
    entry = (catalogue.get("video_models") or {}).get(params.get("video_model"))
    if not isinstance(entry, Mapping):
        return None
    base = _number(entry.get("cost_mc"))
    cents = _number(entry.get("cost_cents"))
    base = base if base is not None else (cents * 1000 if cents is not None else None)
    default = _number(entry.get("default_duration"))
    if base is None:
        return None
    seconds = _number(params.get("video_duration")) or default
    scale = seconds / default if seconds and default else 1.0
    return base * scale * _count(params)


def image_price_mc(catalogue: Mapping[str, Any], model_ids: Iterable[int | None],
                   params: Mapping[str, Any]) -> float | None:
    """One image prompt's price on a catalogue image model (x ``num_images``), or None."""
    models = catalogue.get("models") or {}
    for tune_id in model_ids:
        for entry in models.values() if isinstance(models, Mapping) else ():
            if tune_id is None or not isinstance(entry, Mapping) or entry.get("tune_id") != tune_id:
                continue
            prices = entry.get("cost_mc_per_image")
            if not isinstance(prices, Mapping):
                return None
            chosen = params.get("resolution") or next(iter(entry.get("resolutions") or []), None)
            each = _number(prices.get(chosen))
            return None if each is None else each * _count(params)
    return None


def _count(params: Mapping[str, Any]) -> int:
    value = params.get("num_images")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def estimate_prompts(catalogue: Mapping[str, Any],
                     prompts: Sequence[tuple[Sequence[int | None], Mapping[str, Any]]],
                     recent: Callable[[], list[Record]]) -> Estimate:
    """The price of ``prompts`` (each: the tune ids it runs on, its tune first then that tune's
    base, and its parameters). ``recent()`` gives the account's recent prompts; it is called
    only when some prompt has no catalogue price."""
    each: list[float | None] = []
    by_catalogue = False
    from_recent: dict[str, tuple[float | None, int]] = {}
    images = 0
    for model_ids, params in prompts:
        kind = prompt_kind(params)
        images += _count(params)
        price = (video_price_mc(catalogue, params) if kind == "video"
                 else image_price_mc(catalogue, model_ids, params))
        if price is None:
            if kind not in from_recent:
                mine = [p for p in recent() if prompt_kind(p) == kind]
                per_image = image_cost_mc(mine)
                stated = sum(1 for p in mine if _number(p.get("cost_mc")) is not None
                             and p.get("images"))
                from_recent[kind] = (per_image, stated)
            per_image = from_recent[kind][0]
            price = None if per_image is None else per_image * _count(params)
        else:
            by_catalogue = True
        each.append(price)
    bases = [CATALOGUE] if by_catalogue else []
    unpriced = [k for k, (per, _n) in from_recent.items() if per is None]
    bases += [f"estimate from your {n} recent {k} prompts"
              for k, (per, n) in from_recent.items() if per is not None]
    if unpriced or any(p is None for p in each):
        kinds = " or ".join(unpriced)
        return Estimate(None, len(prompts), images,
                        f"unpriced: no catalogue price, and none of your recent {kinds} "
                        "prompts states its cost", tuple(each))
    total = sum(p for p in each if p is not None)
    return Estimate(total, len(prompts), images, " + ".join(bases) or CATALOGUE, tuple(each))


def catalogue_or_empty(client: AstriaClient) -> Mapping[str, Any]:
    """The client's catalogue, or ``{}`` when it cannot be fetched (prices then come from
    the recent prompts)."""
    try:
        return client.catalogue()
    except AstriaError:
        return {}


def price_prompts(client: AstriaClient,
                  prompts: Sequence[tuple[Sequence[int | None], Mapping[str, Any]]],
                  recent: list[Record] | None = None) -> Estimate:
    """:func:`estimate_prompts` with the client's catalogue (fetched once per client) and,
    only when needed, its latest prompts (``recent`` when given). Sends requests."""
    cache: list[list[Record]] = [recent] if recent is not None else []

    def latest() -> list[Record]:
        if not cache:
            cache.append(client.list_prompts(limit=RECENT_PROMPTS))
        return cache[0]

    return estimate_prompts(catalogue_or_empty(client), prompts, latest)


def price_pack_order(pack: Mapping[str, Any], class_name: str, tune_count: int = 0) -> Estimate:
    """A pack order's price from the pack's costs (a new tune, or runs on ``tune_count``
    tunes); unpriced when the pack states none."""
    mc = pack_order_estimate_mc(pack, class_name, tune_count)
    runs = max(tune_count, 1)
    prompts = sum(1 for t in pack.get("template_prompts") or ()
                  if isinstance(t, Mapping) and t.get("name") == class_name) * runs
    what = "pack price" if mc is not None else "unpriced: the pack states no price for this class"
    return Estimate(mc, prompts, prompts, what)


def tune_prompt_cells(values: Mapping[str, Any]
                      ) -> list[tuple[tuple[int | None, ...], Mapping[str, Any]]]:
    """A new tune's own prompts (``values["prompts"]``: texts or dicts of text and parameters)
    as :func:`estimate_prompts` prices them: an adapter's run on its base tune
    (:func:`~astria_widgets.client.references.run_on_tune_id`), a checkpoint's on itself
    (not made yet: on ``base_tune_id`` when given, else priced from your recent prompts)."""
    base = whole_number(values.get("base_tune_id"))
    tune = {"id": None, "branch": values.get("branch"), "model_type": values.get("model_type"),
            "base_tune_id": base}
    if tune_kind(tune) == "checkpoint":
        ids: tuple[int | None, ...] = (None, base)
    else:
        ids = (run_on_tune_id(tune),)
    entries = values.get("prompts") or ()
    if isinstance(entries, (str, Mapping)):
        entries = [entries]
    elif not isinstance(entries, (list, tuple)):
        entries = []  # not prompts (the form's checks name it before sending)
    return [(ids, {"text": e} if isinstance(e, str) else e if isinstance(e, Mapping) else {})
            for e in entries]


def _packs_words(count: int) -> str:
    return "1 gallery pack's" if count == 1 else f"{count} gallery packs'"


def estimate_tune(values: Mapping[str, Any], packs: Iterable[Mapping[str, Any]],
                  prompts: Estimate | None = None) -> Estimate:
    """A tune's price before sending (pure): its training estimated from ``packs`` (pack
    details) on its branch, plus ``prompts``, its own prompts' estimate (None: it has none);
    free on ``branch="fast"``; unpriced when no pack gives a figure for that branch or its
    prompts have no price."""
    cells = tune_prompt_cells(values)
    count, images = len(cells), sum(_count(params) for _ids, params in cells)
    branch = values.get("branch")
    if branch == "fast":
        return Estimate(0, count, images, FREE_FAST)
    figure = branch_training_costs_mc(packs).get(branch) if isinstance(branch, str) else None
    if figure is None:
        where = f"branch {branch}" if isinstance(branch, str) and branch else "its branch"
        return Estimate(None, count, images,
                        f"unpriced: no gallery pack gives a training price on {where}, and "
                        "the API states no price for training a tune outside a pack")
    mc, used = figure
    basis = f"estimate from {_packs_words(used)} training part on {branch}"
    if prompts is None or not count:
        return Estimate(mc, count, images, basis)
    if prompts.mc is None:
        why = prompts.basis.removeprefix("unpriced: ")
        return Estimate(None, count, images, f"unpriced: the tune's prompts: {why}",
                        prompts.each)
    return Estimate(mc + prompts.mc, count, images, f"{basis} + {prompts.basis}",
                    prompts.each)


def gallery_packs_or_empty(client: AstriaClient) -> list[Record]:
    """The client's gallery pack details (fetched once per client), or ``[]`` when they
    cannot be fetched (a tune is then unpriced)."""
    try:
        return client.gallery_packs()
    except AstriaError:
        return []


def price_tune(client: AstriaClient, values: Mapping[str, Any],
               recent: list[Record] | None = None) -> Estimate:
    """:func:`estimate_tune` with the client's gallery packs and its prompts priced by
    :func:`price_prompts`. Sends requests (none on ``branch="fast"``), so never on the
    kernel's thread in a widget callback."""
    if values.get("branch") == "fast":
        return estimate_tune(values, ())
    packs = gallery_packs_or_empty(client)
    training = estimate_tune(values, packs)
    cells = tune_prompt_cells(values)
    if training.mc is None or not cells:
        return training
    return estimate_tune(values, packs, price_prompts(client, cells, recent))


class Limited(Protocol):
    """What holds a ``max_spend``: the client, or a widget's :class:`SpendLimit`."""

    max_spend: float | None
    spent_mc: float


class SpendLimit:
    """A ``max_spend`` of its own (a studio's, a form's, a pack picker's): dollars (``None``:
    no limit) and ``spent_mc``, what its runs spent. Its runs are held to it and to the
    client's own ``max_spend`` alike."""

    def __init__(self, max_spend: float | None = None, *, context: str = "max_spend") -> None:
        self._context = context
        self.max_spend = max_spend  # checked by the setter
        self.spent_mc = 0.0

    @property
    def max_spend(self) -> float | None:
        """Dollars its runs may spend (``None``: no limit)."""
        return self._max_spend

    @max_spend.setter
    def max_spend(self, value: float | None) -> None:
        self._max_spend = spend_limit(value, self._context)

    def __repr__(self) -> str:
        return f"SpendLimit(max_spend={self.max_spend!r}, spent={usd(self.spent_mc)})"


def limits_of(client: AstriaClient, own: SpendLimit | None = None) -> list[Limited]:
    """The limits a run is held to: the client's, and ``own`` (a widget's) when given."""
    return [client] if own is None else [client, own]


def limited(limits: Sequence[Limited]) -> bool:
    """True when any of ``limits`` has a ``max_spend``."""
    return any(holder.max_spend is not None for holder in limits)


class RunBudget:
    """A sweep's running spend under its limits' ``max_spend`` (the client's and a widget's,
    read live, so a limit lowered mid-run counts): each ``spent_mc`` holds what the creates
    reported (``cost_mc``) plus the estimates still in flight. Thread-safe (the executor's
    threads)."""

    def __init__(self, limits: list[Limited], estimate: Estimate | None, cells: int) -> None:
        self.limits = limits
        self.stopped_at: float | None = None  # the max_spend (dollars) that stopped it
        each = list(estimate.each) if estimate is not None else []
        self.each = [e or 0.0 for e in each] + [0.0] * (cells - len(each))
        self.in_flight: dict[int, float] = {}
        self.sent = 0
        self.refused = False
        self._lock = threading.Lock()

    def take(self, index: int) -> bool:
        """True when prompt ``index`` may be sent now (its estimate then counts in flight):
        refused once the spend reached the limit or its estimate would pass it."""
        with self._lock:
            for holder in self.limits:
                limit, spent = holder.max_spend, holder.spent_mc
                if self.refused or (limit is not None and (
                        spent >= limit * MC_PER_USD
                        or spent + self.each[index] > limit * MC_PER_USD)):
                    if not self.refused:
                        self.refused, self.stopped_at = True, limit
                    return False
            self.in_flight[index] = self.each[index]
            self.sent += 1
            for holder in self.limits:
                holder.spent_mc += self.each[index]
            return True

    def returned(self, index: int, record: Record | None) -> None:
        """Cell ``index``'s create returned ``record`` (``None``: it failed): its reported
        ``cost_mc`` replaces its estimate."""
        with self._lock:
            guess = self.in_flight.pop(index, None)
            if guess is None:
                return
            cost = record.get("cost_mc") if record is not None else None
            known = isinstance(cost, (int, float)) and not isinstance(cost, bool)
            charged = float(cost) if known else (guess if record is not None else 0.0)
            for holder in self.limits:
                holder.spent_mc += charged - guess


def spend_refusal(limits: Sequence[Limited], estimate: Estimate, what: str | None = None
                  ) -> str | None:
    """Why ``estimate`` is refused under one of ``limits`` (each with what is left after its
    ``spent_mc``), or None when it fits them all (or none has a limit)."""
    for holder in limits:
        problem = spend_problem(estimate.mc, holder.max_spend, holder.spent_mc,
                                what or estimate.what(), estimate.basis)
        if problem:
            return problem
    return None


def left_mc(holder: Limited) -> float | None:
    """What ``max_spend`` has left, in millicents (``None`` without a limit)."""
    if holder.max_spend is None:
        return None
    return max(0.0, holder.max_spend * MC_PER_USD - holder.spent_mc)
