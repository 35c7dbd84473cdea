"""``PackOrder``: what the pack picker lists, prices and orders, without any widget.

The model behind ``PackPicker`` (``widgets/packs.py`` renders it): your packs and the
gallery's, each pack's detail (fetched once, ``GET /p/:id``), its classes and preview image,
the price before ordering (:func:`~astria_widgets.client.costs.pack_order_estimate_mc` for the
class and the number of tunes) and the order itself, which trains a new tune from photos or
runs the pack on existing tunes (``create_tune_from_pack``), with its total after
(:func:`~astria_widgets.client.costs.order_total_mc`: the charged ``order.total_cost_mc`` when
the service states it, else the sum of the order's prompts' ``cost_mc``).

Every request is a method of this model; :meth:`PackOrder.start_load`,
:meth:`PackOrder.start_load_all` and :meth:`PackOrder.start_order` run them in a background
thread so that a view's callback returns at once (the upload of an order's photos included).
Loading goes through the client's executor (``client.run_all``: at most ``client.concurrency``
requests in flight, slowed by a 429): the two lists together, and the details and covers of
many packs (:meth:`PackOrder.load_all`, the first :data:`PRELOAD_PACKS` listed ones when the
picker lists them) side by side instead of one request after another. A pack being loaded is
fetched once, whoever asks for it meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from astria_widgets.client.background import in_background
from astria_widgets.client.costs import order_id, order_total_mc, pack_order_estimate_mc, usd
from astria_widgets.client.errors import InputError, short_error
from astria_widgets.client.pricing import (
    SpendLimit,
    limited,
    limits_of,
    price_pack_order,
    spend_refusal,
)

if TYPE_CHECKING:
    from astria_widgets.client.api import AstriaClient

__all__ = ["Estimate", "OrderResult", "PackOrder", "parse_tune_ids"]

Record = dict[str, Any]
PRELOAD_PACKS = 24
"""How many listed packs (yours first) the picker loads ahead, details and covers."""
MODES = ("new", "tunes")
"""An order trains a ``new`` tune from photos or runs the pack on existing ``tunes``."""


def parse_tune_ids(text: str, mode: str = "tunes") -> list[int]:
    """``"1234, 1240"`` -> ``[1234, 1240]``; ``ValueError`` saying what is wrong."""
    words = text.replace(",", " ").split()
    try:
        ids = [int(word) for word in words]
    except ValueError:
        raise ValueError("Tune ids: give whole numbers separated by commas") from None
    if mode == "tunes" and any(i < 1 for i in ids):
        raise ValueError("Tune ids: ids are positive numbers")
    return ids


def pack_classes(pack: Record) -> list[str]:
    """The classes a pack can be ordered for (the keys of its prices)."""
    return list((pack.get("costs") or pack.get("cost_mc_hash") or {}).keys())


@dataclass(frozen=True)
class Estimate:
    """The price shown before ordering: ``mc`` (``None`` when unknown), the number of tunes
    (0 for a new tune), and a ``problem`` with the tune ids, if any."""

    mc: int | None
    tune_count: int
    problem: str | None = None


@dataclass(frozen=True)
class OrderResult:
    """An order's answer, its prompts, its total and the one-line summary shown after it."""

    answer: Record
    prompts: list[Record]
    total_mc: int | None
    charged: bool
    summary: str


class PackOrder:
    """The packs, the chosen pack's detail, estimates and orders (see the module docstring)."""

    def __init__(self, client: AstriaClient, *, max_spend: float | None = None) -> None:
        self.client = client
        #: the picker's own max_spend and what its orders spent (the client's limit holds too)
        self.limit = SpendLimit(max_spend, context="PackPicker")
        self.own: list[Record] = []
        self.gallery: list[Record] = []
        self._details: dict[str, Record] = {}  # pack key -> GET /p/:id
        self._covers: dict[str, bytes | None] = {}  # cover URL -> its bytes
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}  # one load of a pack at a time

    # -- packs -------------------------------------------------------------------------------
    def list_packs(self) -> list[tuple[str, str]]:
        """List your packs and the gallery's again (both at once, through ``client.run_all``);
        ``(label, key)`` options, yours first. Raises the first list's error."""
        own, gallery = self.client.run_all(
            lambda in_gallery: self.client.list_packs(gallery=in_gallery), (False, True))
        for answer in (own, gallery):
            if isinstance(answer, BaseException):
                raise answer
        self.own, self.gallery = own, gallery
        return [(f"{p.get('title')} (yours)", str(p["id"])) for p in own] + [
            (f"{p.get('title')} (gallery)", str(p["id"])) for p in gallery]

    def cached(self, key: str) -> Record | None:
        """The detail of pack ``key`` when it was fetched already."""
        with self._lock:
            return self._details.get(key)

    def load(self, key: str) -> Record:
        """The detail of pack ``key`` (fetched once) and its preview image (fetched once)."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # a load already under way for this pack is waited for, not repeated
            found = self.cached(key)
            if found is None:
                found = self.client.get_pack(key)
                with self._lock:
                    self._details[key] = found
            self.cover_bytes(found)
        return found

    def load_all(self, keys: Iterable[str]) -> dict[str, Record | BaseException]:
        """:meth:`load` of every pack of ``keys`` through ``client.run_all`` (at most
        ``client.concurrency`` requests in flight); pack key -> detail, or the error that
        pack's loading met (the others go on; a failed one is fetched again when chosen)."""
        keys = list(dict.fromkeys(str(k) for k in keys))
        return dict(zip(keys, self.client.run_all(self.load, keys), strict=True))

    def start_load_all(self, keys: Iterable[str]) -> Future[dict[str, Record | BaseException]]:
        """:meth:`load_all` in a background thread (what the picker does once it lists)."""
        keys = list(keys)
        return in_background(lambda: self.load_all(keys), "astria-pack-preload")

    def start_load(self, key: str, on_done: Callable[[Record | None, BaseException | None],
                                                      Any]) -> Future[Record]:
        """:meth:`load` in a background thread; ``on_done(pack, error)`` runs there before the
        future resolves."""

        def job() -> Record:
            try:
                pack = self.load(key)
            except Exception as exc:
                on_done(None, exc)
                raise
            on_done(pack, None)
            return pack

        return in_background(job, "astria-pack-load")

    def key_of(self, pack_id_or_slug: int | str, options: list[tuple[str, str]]) -> str:
        """The key of a pack given by id or slug: a listed one, else fetched by its slug."""
        key = str(pack_id_or_slug)
        if any(value == key for _label, value in options):
            return key
        detail = self.client.get_pack(key)
        with self._lock:
            self._details[str(detail["id"])] = detail
        return str(detail["id"])

    def cover_bytes(self, pack: Record | None) -> bytes | None:
        """The pack's preview image, fetched once through the client (a page never gets its
        URL); ``None`` when there is none or it cannot be fetched."""
        url = (pack or {}).get("cover_url")
        if not isinstance(url, str) or not url:
            return None
        with self._lock:
            if url in self._covers:
                return self._covers[url]
        try:
            data: bytes | None = self.client.fetch_bytes(url)
        except Exception:  # noqa: BLE001 - the copy goes without a preview
            data = None
        with self._lock:
            self._covers[url] = data
        return data

    # -- prices and orders -------------------------------------------------------------------
    @staticmethod
    def estimate(pack: Record, class_name: str | None, mode: str, tune_ids: str) -> Estimate:
        """The price before ordering ``pack`` for ``class_name`` (``mode`` of :data:`MODES`)."""
        count = 0
        if mode == "tunes":
            try:
                count = len(parse_tune_ids(tune_ids, mode))
            except ValueError as exc:
                return Estimate(None, 0, str(exc))
        mc = pack_order_estimate_mc(pack, class_name, count) if class_name else None
        return Estimate(mc, count)

    def order(self, pack: Record, class_name: str | None, mode: str, *, title: str = "",
              tune_ids: str = "", images: Any = ()) -> OrderResult:
        """Place the order (a new tune from ``images``, or the pack on ``tune_ids``); its
        answer, prompts and total. Raises on a refusal (the client's errors)."""
        if not pack or not class_name:
            raise ValueError("choose a pack and a class first")
        ids = parse_tune_ids(tune_ids, mode)
        limits = limits_of(self.client, self.limit)
        estimate = price_pack_order(pack, class_name, len(ids) if mode == "tunes" else 0)
        if limited(limits):
            what = (f"this order of {pack.get('title')} for {class_name}"
                    + (f" on {len(ids)} tune(s)" if mode == "tunes" else " (a new tune)"))
            problem = spend_refusal(limits, estimate, what)
            if problem:
                raise InputError(problem, context="pack order")
        if mode == "tunes":
            answer = self.client.create_tune_from_pack(pack["id"], tune_ids=ids)
            oid = order_id(answer)
            prompts = self.client.list_prompts(order_id=oid) if oid is not None else []
        else:
            answer = self.client.create_tune_from_pack(
                pack["id"], name=class_name, title=title.strip() or None,
                images=images() if callable(images) else images)
            prompts = [p for p in self.client.list_prompts(answer["id"], limit=120)
                       if p.get("base_pack_id") == pack["id"]]
        total, charged = order_total_mc(answer, prompts)
        for holder in limits:  # what max_spend has left counts it
            holder.spent_mc += total if total is not None else (estimate.mc or 0)
        how = "charged" if charged else "sum of the order's prompts' cost_mc"
        what = (f"tune #{answer.get('id')}" if mode == "new"
                else f"{len(prompts)} prompts on {len(ids)} tune(s)")
        summary = (f"Ordered {pack.get('title')} for {class_name}: {what}. "
                   f"Order total: {usd(total)} ({how}).")
        return OrderResult(answer, prompts, total, charged, summary)

    def start_order(self, pack: Record, class_name: str | None, mode: str, *, title: str = "",
                    tune_ids: str = "", images: Any = (),
                    on_done: Callable[[OrderResult | None, BaseException | None], Any]
                    ) -> Future[OrderResult]:
        """:meth:`order` in a background thread (``images`` may be a callable giving them,
        read there too); ``on_done(result, error)`` runs there before the future resolves."""

        def job() -> OrderResult:
            try:
                result = self.order(pack, class_name, mode, title=title, tune_ids=tune_ids,
                                    images=images)
            except Exception as exc:
                on_done(None, exc)
                raise
            on_done(result, None)
            return result

        return in_background(job, "astria-pack-order")

    @staticmethod
    def refusal(exc: BaseException) -> str:
        """The line a view shows for an order that failed."""
        return f"Not ordered: {short_error(exc)}"
