"""``PackPicker``: choose a pack (yours or the gallery's), see its price and prompts, order it.

A pack is a set of prompts per class plus a tune recipe (§2.9 of the API notes). The picker
is a view of a :class:`~astria_widgets.client.pack_order.PackOrder` (``.model``): it lists
your packs and the gallery's; for the chosen one it shows the price of each class
(``client.costs``), the prompts of each class and a preview image. Ordering trains a new tune
from photos (an ``ImagePicker``) or runs the pack on existing tunes; the price is shown before
the order and the order's total after it (the charged ``order.total_cost_mc`` when the service
states it, else the sum of the order's prompts' ``cost_mc``, marked as such).

Choosing a pack in the list and clicking *Order* return at once: the pack's detail and the
order (its upload included) are fetched in a background thread that only sets widget traits
(``order_future``; :meth:`PackPicker.order` is the blocking call for scripts).

DOM classes for browser tests: ``astria-pack-picker``, ``astria-pack-select``,
``astria-pack-detail``, ``astria-pack-class``, ``astria-pack-mode``, ``astria-pack-tune-ids``,
``astria-pack-cost``, ``astria-pack-order``, ``astria-pack-result``, ``astria-pack-message``.
"""

from __future__ import annotations

import html
import logging
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from astria_widgets.client.costs import usd
from astria_widgets.client.pack_order import OrderResult, PackOrder, pack_classes
from astria_widgets.client.tune_fields import default_title
from astria_widgets.widgets.fallback import StaticFallback
from astria_widgets.widgets.fallback_html import Section, pack_section
from astria_widgets.widgets.formatting import error_html, short_error
from astria_widgets.widgets.images import ImagePicker

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

__all__ = ["PackPicker"]
logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


class PackPicker(StaticFallback, w.VBox):
    """Pick a pack, see its cost and prompts per class with a preview, and order it.

    ``PackPicker(client=None)``: ``client`` defaults to ``connect()``; the packs are listed at
    once. ``pack`` is the chosen pack's detail record; ``estimate_mc`` the price shown before
    ordering; ``order()`` places the order and returns its answer (``last_total_mc`` then
    holds its total, ``last_order_summary`` its one-line summary); the *Order* button does the
    same in the background (``order_future``). The output also carries a static copy (pack,
    prices, estimate, last order) for saved notebooks (:mod:`astria_widgets.widgets.fallback`).
    """

    pack = traitlets.Dict(help="The chosen pack (GET /p/:id record).")
    estimate_mc = traitlets.Int(None, allow_none=True, help="Price before ordering (mc).")
    last_total_mc = traitlets.Int(None, allow_none=True, help="Total of the last order (mc).")
    static_kind = "pack-picker"

    def __init__(self, client: AstriaClient | None = None, **kwargs: Any) -> None:
        if client is None:
            from astria_widgets.connect import connect

            client = connect(quiet=True)
        self.client = client
        #: the packs, their details, estimates and orders (every request is the model's)
        self.model = PackOrder(client)
        #: the last order in one line ("" before the first)
        self.last_order_summary = ""
        self._lock = threading.RLock()  # the kernel's edits and the loading threads
        self._loading: Future[dict[str, Any]] | None = None
        self._order_future: Future[OrderResult] | None = None
        self.select = w.Dropdown(description="Pack", options=[],
                                 style={"description_width": "80px"},
                                 layout=w.Layout(width="460px"))
        self.select.add_class("astria-pack-select")
        self.detail = w.HTML()
        self.detail.add_class("astria-pack-detail")
        self.class_name = w.Dropdown(description="Class", options=[],
                                     style={"description_width": "80px"})
        self.class_name.add_class("astria-pack-class")
        self.mode = w.ToggleButtons(options=[("New tune from photos", "new"),
                                             ("Existing tunes", "tunes")], value="new",
                                    style={"button_width": "170px"})
        self.mode.add_class("astria-pack-mode")
        self.title = w.Text(description="Title", value=default_title(),
                            style={"description_width": "80px"}, layout=w.Layout(width="460px"))
        self.picker = ImagePicker(client=client)
        self.tune_ids = w.Text(description="Tune ids", placeholder="e.g. 1234, 1240",
                               style={"description_width": "80px"},
                               layout=w.Layout(width="460px", display="none"))
        self.tune_ids.add_class("astria-pack-tune-ids")
        self.cost = w.HTML()
        self.cost.add_class("astria-pack-cost")
        self.order_button = w.Button(description="Order", icon="shopping-cart",
                                     button_style="primary")
        self.order_button.add_class("astria-pack-order")
        self.order_button.on_click(self._on_order_click)
        self.message = w.HTML()
        self.message.add_class("astria-pack-message")
        self.result = w.HTML()
        self.last_run_id: str | None = None
        self.result.add_class("astria-pack-result")
        super().__init__(children=[
            w.HTML("<h3 style='margin: 0'>Packs</h3>"), self.select, self.detail,
            self.class_name, self.mode, self.title, self.picker, self.tune_ids, self.cost,
            w.HBox([self.order_button, self.message], layout=w.Layout(align_items="center")),
            self.result,
        ], **kwargs)
        self.add_class("astria-pack-picker")
        self.select.observe(self._on_select_change, names="value")
        for widget in (self.class_name, self.mode, self.tune_ids):
            widget.observe(self._on_order_inputs_change, names="value")
        self.refresh()

    # -- public ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """List your packs and the gallery's again."""
        try:
            options = self.model.list_packs()
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            self.message.value = error_html(f"Could not list the packs: {short_error(exc)}")
            return
        self.select.options = options
        if options and self.select.value is None:
            self.select.value = options[0][1]

    def choose(self, pack_id_or_slug: int | str) -> None:
        """Choose a pack by id or slug (one of the listed ones); return once it is shown."""
        self.select.value = self.model.key_of(pack_id_or_slug, list(self.select.options))
        self.wait_pack()

    def wait_pack(self, timeout: float | None = None) -> bool:
        """Block until the chosen pack's detail is in (or failed); False if ``timeout`` ran
        out first."""
        loading = self._loading
        if loading is None:
            return True
        try:
            loading.exception(timeout)
        except TimeoutError:
            return False
        return True

    def order(self) -> dict[str, Any]:
        """Place the order as the picker shows it; return the answer (raises on a refusal)."""
        result = self.model.order(self.pack, self.class_name.value, self.mode.value,
                                  title=self.title.value, tune_ids=self.tune_ids.value,
                                  images=self.picker.accepted)
        self._show_order(result)
        return result.answer

    def start_order(self) -> Future[OrderResult]:
        """Place the order in the background (what *Order* does); its ``Future`` at once.

        The answer, the total and any refusal are shown when it ends; the inputs are kept.
        """
        self.order_button.disabled = True
        self.message.value = "Ordering..."
        future = self.model.start_order(
            self.pack, self.class_name.value, self.mode.value, title=self.title.value,
            tune_ids=self.tune_ids.value, images=lambda: self.picker.accepted,
            on_done=self._on_order_done)
        self._order_future = future
        return future

    @property
    def order_future(self) -> Future[OrderResult] | None:
        """The running or last order started by *Order* (or :meth:`start_order`)."""
        return self._order_future

    def static_sections(self) -> list[Section]:
        """The chosen pack, its prices, the estimate and the last order, for the static copy."""
        return [pack_section(self.pack, self.class_name.value, self.estimate_mc,
                             self.last_order_summary, cover=self.model.cover_bytes(self.pack))]

    # -- callbacks ---------------------------------------------------------------------------
    def _on_select_change(self, change: dict[str, Any]) -> None:
        key = change["new"]
        if key is None:
            return
        cached = self.model.cached(key)
        if cached is not None:
            self._show_pack(key, cached, None)
            return
        self.message.value = "Loading the pack..."
        self._loading = self.model.start_load(
            key, lambda pack, exc: self._show_pack(key, pack, exc))

    def _show_pack(self, key: str, pack: dict[str, Any] | None,
                   exc: BaseException | None) -> None:
        """Show the pack ``key`` (a loading thread, or the kernel when it was cached)."""
        with self._lock:
            if key != self.select.value:
                return  # a newer choice was made meanwhile
            if exc is not None or pack is None:
                self.message.value = error_html(f"Could not load the pack: {short_error(exc)}")
                return
            self.message.value = ""
            self.pack = pack
            classes = pack_classes(pack)
            self.class_name.options = classes
            self.class_name.value = classes[0] if classes else None
            self.detail.value = self._detail_html(pack)
            self._on_order_inputs_change({})

    def _on_order_inputs_change(self, _change: dict[str, Any]) -> None:
        with self._lock:
            tunes = self.mode.value == "tunes"
            self.tune_ids.layout.display = None if tunes else "none"
            self.picker.layout.display = "none" if tunes else None
            self.title.layout.display = self.picker.layout.display
            self.picker.class_name = self.class_name.value or ""
            cls = self.class_name.value
            estimate = self.model.estimate(self.pack, cls, self.mode.value, self.tune_ids.value)
            self.estimate_mc = estimate.mc
            if estimate.problem:
                self.cost.value = error_html(estimate.problem)
            elif tunes and not estimate.tune_count:
                self.cost.value = html.escape("Give the ids of the tunes to run the pack on.")
            else:
                basis = (f"{estimate.tune_count} tune(s) x the {cls} prompts"
                         if estimate.tune_count else f"a new {cls} tune with its prompts")
                self.cost.value = (f"<b>Cost before ordering: {usd(estimate.mc)}</b> "
                                   f"({html.escape(basis)})")

    def _on_order_click(self, _button: w.Button) -> None:
        try:
            self.start_order()
        except Exception as exc:  # noqa: BLE001 - shown next to the button, inputs kept
            self._on_order_done(None, exc)

    def _on_order_done(self, result: OrderResult | None, exc: BaseException | None) -> None:
        """The order's thread: show its total, or why it was not placed."""
        if result is not None:
            self._show_order(result)
            self.message.value = ""
        else:
            logger.warning("pack order failed: %s", short_error(exc) if exc else "?")
            self.message.value = error_html(PackOrder.refusal(exc) if exc else "Not ordered")
        self.order_button.disabled = False

    def _show_order(self, result: OrderResult) -> None:
        from astria_widgets.history.recorder import record_pack_order

        self.last_run_id = record_pack_order(self.model.client, self.pack or {}, result.answer,
                                             result.prompts, new_tune=self.mode.value == "new")
        self.last_total_mc = result.total_mc
        self.last_order_summary = result.summary
        self.result.value = html.escape(result.summary)
        self.refresh_static(now=True)

    @staticmethod
    def _detail_html(pack: dict[str, Any]) -> str:
        rows = []
        for cls, entry in (pack.get("costs") or {}).items():
            prompts = (pack.get("prompts_per_class") or {}).get(cls) or []
            texts = "".join(f"<li>{html.escape(str(p.get('text', p.get('id'))))}</li>"
                            for p in prompts)
            rows.append(
                f"<tr><td><b>{html.escape(cls)}</b></td>"
                f"<td>{usd(entry.get('cost_mc'))}</td><td>{entry.get('num_images', '?')} images"
                f"</td><td><ul style='margin:0'>{texts}</ul></td></tr>")
        cover = pack.get("cover_url")
        preview = (f"<img class='astria-pack-preview' src='{html.escape(cover)}' "
                   "style='max-height:140px;float:right' alt='preview'>" if cover else "")
        subtitle = html.escape(pack.get("subtitle") or "")
        return (f"{preview}<b>{html.escape(str(pack.get('title')))}</b> {subtitle}"
                "<table><tr><th>class</th><th>cost</th><th>images</th><th>prompts</th></tr>"
                + "".join(rows) + "</table>")
