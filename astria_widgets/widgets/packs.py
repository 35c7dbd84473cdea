"""``PackPicker``: choose a pack (yours or the gallery's), see its price and prompts, order it.

A pack is a set of prompts per class plus a tune recipe (§2.9 of the API notes). The picker
lists your packs and the gallery's; for the chosen one it shows the price of each class
(``client.costs``), the prompts of each class and a preview image. Ordering trains a new tune
from photos (an ``ImagePicker``) or runs the pack on existing tunes; the price is shown before
the order and the order's total after it (the charged ``order.total_cost_mc`` when the service
states it, else the sum of the order's prompts' ``cost_mc``, marked as such).

DOM classes for browser tests: ``astria-pack-picker``, ``astria-pack-select``,
``astria-pack-detail``, ``astria-pack-class``, ``astria-pack-mode``, ``astria-pack-tune-ids``,
``astria-pack-cost``, ``astria-pack-order``, ``astria-pack-result``, ``astria-pack-message``.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from astria_widgets.client.costs import (
    order_id,
    order_total_mc,
    pack_order_estimate_mc,
    usd,
)
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
    holds its total, ``last_order_summary`` its one-line summary). The output also carries a
    static copy (pack, prices, estimate, last order) for saved notebooks
    (:mod:`astria_widgets.widgets.fallback`).
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
        self._packs: dict[str, dict[str, Any]] = {}
        #: the last order in one line ("" before the first)
        self.last_order_summary = ""
        self._covers: dict[str, bytes | None] = {}  # cover URL -> its bytes, for the static copy
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
            own = self.client.list_packs()
            gallery = self.client.list_packs(gallery=True)
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            self.message.value = error_html(f"Could not list the packs: {short_error(exc)}")
            return
        options = [(f"{p.get('title')} (yours)", str(p["id"])) for p in own] + [
            (f"{p.get('title')} (gallery)", str(p["id"])) for p in gallery]
        self.select.options = options
        if options and self.select.value is None:
            self.select.value = options[0][1]

    def choose(self, pack_id_or_slug: int | str) -> None:
        """Choose a pack by id or slug (one of the listed ones)."""
        key = str(pack_id_or_slug)
        match = next((value for _, value in self.select.options if value == key), None)
        if match is None:
            detail = self.client.get_pack(key)
            match = str(detail["id"])
        self.select.value = match

    def order(self) -> dict[str, Any]:
        """Place the order as the picker shows it; return the answer (raises on a refusal)."""
        pack, cls = self.pack, self.class_name.value
        if not pack or not cls:
            raise ValueError("choose a pack and a class first")
        tune_ids = self._tune_ids()
        if self.mode.value == "tunes":
            result = self.client.create_tune_from_pack(pack["id"], tune_ids=tune_ids)
            prompts = self.client.list_prompts(order_id=order_id(result)) \
                if order_id(result) is not None else []
        else:
            result = self.client.create_tune_from_pack(
                pack["id"], name=cls, title=self.title.value.strip() or None,
                images=self.picker.accepted)
            prompts = [p for p in self.client.list_prompts(result["id"], limit=120)
                       if p.get("base_pack_id") == pack["id"]]
        total, charged = order_total_mc(result, prompts)
        self.last_total_mc = total
        how = "charged" if charged else "sum of the order's prompts' cost_mc"
        what = (f"tune #{result.get('id')}" if self.mode.value == "new"
                else f"{len(prompts)} prompts on {len(tune_ids)} tune(s)")
        self.last_order_summary = (
            f"Ordered {pack.get('title')} for {cls}: {what}. Order total: {usd(total)} ({how}).")
        self.result.value = html.escape(self.last_order_summary)
        self.refresh_static(now=True)
        return result

    def static_sections(self) -> list[Section]:
        """The chosen pack, its prices, the estimate and the last order, for the static copy."""
        return [pack_section(self.pack, self.class_name.value, self.estimate_mc,
                             self.last_order_summary, cover=self._cover_bytes())]

    def _cover_bytes(self) -> bytes | None:
        """The chosen pack's preview image, fetched once through the client (the page never
        gets its URL); None when there is none or it cannot be fetched."""
        url = (self.pack or {}).get("cover_url")
        if not isinstance(url, str) or not url:
            return None
        if url not in self._covers:
            try:
                self._covers[url] = self.client.fetch_bytes(url)
            except Exception as exc:  # noqa: BLE001 - the copy goes without a preview
                logger.info("pack preview not fetched: %s", short_error(exc))
                self._covers[url] = None
        return self._covers[url]

    # -- callbacks ---------------------------------------------------------------------------
    def _on_select_change(self, change: dict[str, Any]) -> None:
        key = change["new"]
        if key is None:
            return
        try:
            if key not in self._packs:
                self._packs[key] = self.client.get_pack(key)
            self.pack = self._packs[key]
        except Exception as exc:  # noqa: BLE001
            self.message.value = error_html(f"Could not load the pack: {short_error(exc)}")
            return
        classes = list((self.pack.get("costs") or self.pack.get("cost_mc_hash") or {}).keys())
        self.class_name.options = classes
        self.class_name.value = classes[0] if classes else None
        self.detail.value = self._detail_html(self.pack)
        self._on_order_inputs_change({})

    def _on_order_inputs_change(self, _change: dict[str, Any]) -> None:
        self.tune_ids.layout.display = None if self.mode.value == "tunes" else "none"
        self.picker.layout.display = "none" if self.mode.value == "tunes" else None
        self.title.layout.display = self.picker.layout.display
        self.picker.class_name = self.class_name.value or ""
        cls = self.class_name.value
        problem = None
        count = 0
        if self.mode.value == "tunes":
            try:
                count = len(self._tune_ids())
            except ValueError as exc:
                problem = str(exc)
        estimate = pack_order_estimate_mc(self.pack, cls, count) if cls and not problem else None
        self.estimate_mc = estimate
        if problem:
            self.cost.value = error_html(problem)
        elif self.mode.value == "tunes" and not count:
            self.cost.value = html.escape("Give the ids of the tunes to run the pack on.")
        else:
            basis = (f"{count} tune(s) x the {cls} prompts" if count
                     else f"a new {cls} tune with its prompts")
            self.cost.value = f"<b>Cost before ordering: {usd(estimate)}</b> ({html.escape(basis)})"

    def _on_order_click(self, _button: w.Button) -> None:
        self.order_button.disabled = True
        self.message.value = "Ordering..."
        try:
            self.order()
            self.message.value = ""
        except Exception as exc:  # noqa: BLE001 - shown next to the button, inputs kept
            logger.warning("pack order failed: %s", short_error(exc))
            self.message.value = error_html(f"Not ordered: {short_error(exc)}")
        finally:
            self.order_button.disabled = False

    # -- helpers -----------------------------------------------------------------------------
    def _tune_ids(self) -> list[int]:
        text = self.tune_ids.value.replace(",", " ").split()
        try:
            ids = [int(t) for t in text]
        except ValueError:
            raise ValueError("Tune ids: give whole numbers separated by commas") from None
        if self.mode.value == "tunes" and any(i < 1 for i in ids):
            raise ValueError("Tune ids: ids are positive numbers")
        return ids

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
