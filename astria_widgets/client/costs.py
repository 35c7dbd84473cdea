"""Money as the API states it: millicents, balances, pack prices and order totals (pure).

The unit is the millicent: 1,000 mc = 1 cent, 100,000 mc = US$1 (§5.7 of the API notes;
Ambiguity #14: the pack list's "200000 = $20" comment contradicts it and is not followed).
Where a price comes from:

- the balance: the account's ``usd_balance_mc`` (``GET /users``);
- a pack, before ordering: ``costs.<class>.cost_mc`` of the pack detail (a fresh tune of that
  class plus that class's prompts), else ``cost_mc_hash.<class>`` of the list; for a run on
  existing tunes, the ``cost_mc`` of that class's ``template_prompts`` per tune;
- an order, afterwards: ``order.total_cost_mc`` of the answer when the service gives it (the
  charged total), else the sum of the ``cost_mc`` of the order's prompts (an estimate).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import median
from typing import Any

from astria_widgets.client.checks import whole_number
from astria_widgets.client.references import BASE_TUNE_BRANCHES

MC_PER_USD = 100_000
"""Millicents in one US dollar."""


def usd(mc: float | None, missing: str = "unknown") -> str:
    """Millicents as dollars: the one money formatter of the package (widgets, magics, the
    panel's server; the panel's front end shows the text it is sent).

    Cents with thousands separators from a dollar up (``150000`` -> ``"$1.50"``,
    ``123_456_789`` -> ``"$1,234.57"``); below a dollar four decimals, so a prompt's cost
    keeps its sub-cent part (``2300`` -> ``"$0.0230"``); ``0`` -> ``"$0.00"``; a negative
    amount is signed (``-2500`` -> ``"-$0.0250"``); ``None`` -> ``missing``.
    """
    if mc is None:
        return missing
    value = abs(mc) / MC_PER_USD
    sign = "-" if mc < 0 else ""
    return f"{sign}${value:,.2f}" if value >= 1 or value == 0 else f"{sign}${value:.4f}"


def dollars(mc: Any) -> Any:
    """Millicents as a number of dollars: a number, a numpy array or a pandas column alike
    (the one division by :data:`MC_PER_USD`; for text use :func:`usd`)."""
    return mc / MC_PER_USD


def balance_mc(account: Mapping[str, Any]) -> int | None:
    """The account's balance in millicents (``usd_balance_mc``), ``None`` when not given."""
    value = account.get("usd_balance_mc")
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def balance_text(account: Mapping[str, Any]) -> str:
    """``"balance $98.50"`` (or ``"balance unknown"``) for one account record."""
    return f"balance {usd(balance_mc(account))}"


def pack_class_cost_mc(pack: Mapping[str, Any], class_name: str) -> int | None:
    """A pack's price for a new tune of ``class_name`` (training and its prompts)."""
    costs = pack.get("costs") or {}
    entry = costs.get(class_name) if isinstance(costs, Mapping) else None
    if isinstance(entry, Mapping) and isinstance(entry.get("cost_mc"), (int, float)):
        return int(entry["cost_mc"])
    by_class = pack.get("cost_mc_hash") or {}
    value = by_class.get(class_name) if isinstance(by_class, Mapping) else None
    return int(value) if isinstance(value, (int, float)) else None


def pack_prompts_cost_mc(pack: Mapping[str, Any], class_name: str) -> int | None:
    """What one run of a pack's ``class_name`` prompts costs on an existing tune."""
    templates = [t for t in pack.get("template_prompts") or ()
                 if isinstance(t, Mapping) and t.get("name") == class_name]
    costs = [t.get("cost_mc") for t in templates]
    if not templates or not all(
            c is None or (isinstance(c, (int, float)) and not isinstance(c, bool)) for c in costs):
        return None  # none, or a figure that is not a number: no price from them
    return sum(int(c or 0) for c in costs)


def pack_training_cost_mc(pack: Mapping[str, Any], class_name: str) -> int | None:
    """The training part of a pack's price for a new tune of ``class_name``: its
    ``costs.<class>.cost_mc`` (a fresh tune and that class's prompts) less the ``cost_mc`` of
    that class's ``template_prompts`` (an estimate: the docs state no training price); None
    when the pack detail does not give both."""
    whole, prompts = pack_class_cost_mc(pack, class_name), pack_prompts_cost_mc(pack, class_name)
    if whole is None or prompts is None or whole < prompts:
        return None
    return whole - prompts


def branch_training_costs_mc(packs: Iterable[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """The ONE training estimate from pack figures: branch -> ``(mc, packs)``, the median of
    :func:`pack_training_cost_mc` over every class of the packs training on that branch (the
    pack's ``base_tune_id``, a gallery base tune) and how many packs gave one. An estimate:
    the docs state no training price outside a pack. ``spend_dataframe`` (a tune not ordered
    from a pack) and :mod:`.pricing` (a tune before sending) use it."""
    parts: dict[str, list[int]] = {}
    counted: dict[str, int] = {}
    for pack in packs:
        if not isinstance(pack, Mapping):
            continue
        branch = BASE_TUNE_BRANCHES.get(whole_number(pack.get("base_tune_id")) or -1)
        costs = pack.get("costs")
        if branch is None or not isinstance(costs, Mapping):
            continue
        found = [p for p in (pack_training_cost_mc(pack, str(name)) for name in costs)
                 if p is not None]
        if found:
            parts.setdefault(branch, []).extend(found)
            counted[branch] = counted.get(branch, 0) + 1
    return {branch: (int(median(found)), counted[branch]) for branch, found in parts.items()}


def pack_order_estimate_mc(pack: Mapping[str, Any], class_name: str,
                           tune_count: int = 0) -> int | None:
    """The price shown before ordering: a new tune (``tune_count`` 0) or runs on tunes."""
    if tune_count:
        each = pack_prompts_cost_mc(pack, class_name)
        return None if each is None else each * tune_count
    return pack_class_cost_mc(pack, class_name)


def prompts_cost_mc(prompts: Iterable[Mapping[str, Any]]) -> int | None:
    """The sum of the prompts' ``cost_mc`` where the API states it (``None`` if none does)."""
    known = [int(c) for c in (p.get("cost_mc") for p in prompts)
             if isinstance(c, (int, float)) and not isinstance(c, bool)]
    return sum(known) if known else None


def image_cost_mc(prompts: Iterable[Mapping[str, Any]]) -> float | None:
    """What one image cost, on average, over prompts that state ``cost_mc`` and have images
    (the account's recent prompts: an estimate where the docs give no price); else None."""
    cost = images = 0
    for prompt in prompts:
        mc, shown = prompt.get("cost_mc"), prompt.get("images")
        if isinstance(mc, (int, float)) and not isinstance(mc, bool) and isinstance(
                shown, list) and shown:
            cost += mc
            images += len(shown)
    return cost / images if images else None


def spend_problem(estimate_mc: float | None, max_spend: float | None, spent_mc: float,
                  what: str, basis: str = "from the cost of your recent prompts"
                  ) -> str | None:
    """Why a run of ``what`` (e.g. ``"this run of 100 prompts (100 images)"``) is refused under
    ``max_spend`` (dollars) after ``spent_mc`` already sent, or None when it fits (or no limit
    is set). ``basis`` says where the estimate comes from (``"catalogue price"``...). A run
    that cannot be priced is refused too while a limit is set: the limit is a promise."""
    if max_spend is None:
        return None
    left = max(0.0, max_spend * MC_PER_USD - spent_mc)
    if estimate_mc is None:
        why = basis.removeprefix("unpriced: ")
        return (f"max_spend: {what} cannot be priced before sending ({why}), so nothing was "
                "sent while max_spend is set; set max_spend=None to send it")
    if estimate_mc > left:
        return (f"max_spend: {what} is estimated at {usd(estimate_mc)} ({basis}), more than "
                f"the {usd(left)} left of max_spend {usd(max_spend * MC_PER_USD)}; nothing "
                "was sent: send fewer prompts or raise max_spend")
    return None


def order_total_mc(result: Mapping[str, Any],
                   prompts: Iterable[Mapping[str, Any]] = ()) -> tuple[int | None, bool]:
    """``(total, charged)`` of a pack order from its answer and (optionally) its prompts.

    ``charged`` is True when the answer carries ``order.total_cost_mc``; otherwise the total is
    the sum of the given prompts' ``cost_mc`` (``None`` without prompts).
    """
    order = result.get("order")
    if isinstance(order, Mapping) and isinstance(order.get("total_cost_mc"), (int, float)):
        return int(order["total_cost_mc"]), True
    return prompts_cost_mc(prompts), False


def order_id(result: Mapping[str, Any],
             prompts: Iterable[Mapping[str, Any]] = ()) -> int | None:
    """The order id of a pack run: from the answer's ``order`` or from its prompts."""
    order = result.get("order")
    if isinstance(order, Mapping) and order.get("id") is not None:
        return int(order["id"])
    return next((int(p["order_id"]) for p in prompts if p.get("order_id") is not None), None)
