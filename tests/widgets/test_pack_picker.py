"""PackPicker against the sandbox's gallery packs: price per class, prompts, preview, and an
order's cost shown before and its total after; client/costs.py as pure functions."""

from __future__ import annotations

import pytest

from astria_widgets.client.costs import (
    balance_text,
    order_total_mc,
    pack_order_estimate_mc,
    usd,
)
from astria_widgets.widgets import PackPicker

WAIT = 60


def test_the_picker_lists_own_and_gallery_packs_with_prices_prompts_and_a_preview(client):
    client.transport.request("POST", "/packs", json={"pack": {"title": "My pack"}})
    picker = PackPicker(client)
    labels = [label for label, _ in picker.select.options]
    assert "My pack (yours)" in labels and "Corporate Headshots (gallery)" in labels
    picker.choose("corporate-headshots")
    detail = picker.detail.value
    pack = client.get_pack(260)
    for cls in ("man", "woman"):
        assert usd(pack["costs"][cls]["cost_mc"]) in detail
    assert "ohwx man in a navy suit" in detail
    assert "astria-pack-preview" in detail and pack["cover_url"] in detail
    assert list(picker.class_name.options) == ["man", "woman"]


def test_a_new_tune_orders_cost_is_shown_before_and_its_total_after(client, photos):
    picker = PackPicker(client)
    picker.choose(260)
    picker.class_name.value = "woman"
    pack = client.get_pack(260)
    before = pack["costs"]["woman"]["cost_mc"]
    assert picker.estimate_mc == before > 0
    assert f"Cost before ordering: {usd(before)}" in picker.cost.value
    picker.picker.add_images(photos(4))
    picker.order_button.click()  # returns at once: the order runs in the background
    assert picker.order_future.exception(timeout=WAIT) is None
    assert picker.message.value == ""
    tune_id = int(picker.result.value.split("tune #")[1].split(".")[0])
    prompts = [p for p in client.list_prompts(tune_id) if p["base_pack_id"] == 260]
    assert len(prompts) == 3
    assert picker.last_total_mc is not None and picker.last_total_mc >= sum(
        p["cost_mc"] for p in prompts)
    assert f"Order total: {usd(picker.last_total_mc)}" in picker.result.value


def test_a_run_on_existing_tunes_costs_the_prompts_per_tune(client, photos):
    tune = client.create_tune(name="dog", branch="sd15", images=photos(2))
    other = client.create_tune(name="dog", branch="sd15", images=photos(2, start=2))
    picker = PackPicker(client)
    picker.choose("pet-portraits")
    picker.class_name.value = "dog"
    picker.mode.value = "tunes"
    assert "Give the ids" in picker.cost.value
    picker.tune_ids.value = f"{tune['id']}, {other['id']}"
    pack = client.get_pack("pet-portraits")
    each = sum(t["cost_mc"] for t in pack["template_prompts"] if t["name"] == "dog")
    assert picker.estimate_mc == 2 * each
    assert usd(2 * each) in picker.cost.value
    picker.order_button.click()
    assert picker.order_future.exception(timeout=WAIT) is None
    assert "4 prompts on 2 tune(s)" in picker.result.value
    assert picker.last_total_mc == 2 * each  # what was shown before is what it cost
    assert f"Order total: {usd(2 * each)}" in picker.result.value


def test_bad_tune_ids_and_refusals_are_shown_and_inputs_kept(client):
    picker = PackPicker(client)
    picker.choose("pet-portraits")
    picker.mode.value = "tunes"
    picker.tune_ids.value = "12, abc"
    assert "whole numbers" in picker.cost.value
    picker.tune_ids.value = "999999"
    picker.order_button.click()
    assert picker.order_future.exception(timeout=WAIT) is not None
    assert "Not ordered" in picker.message.value and "999999" in picker.message.value
    assert picker.tune_ids.value == "999999"


@pytest.mark.parametrize(("mc", "text"), [(150_000, "$1.50"), (0, "$0.00"), (None, "unknown"),
                                          (-2_500, "-$0.0250"), (123_456_789, "$1,234.57")])
def test_usd(mc, text):
    assert usd(mc) == text


def test_order_totals_prefer_the_charged_total():
    prompts = [{"cost_mc": 2_300}, {"cost_mc": 4_600}]
    assert order_total_mc({"order": {"id": 1, "total_cost_mc": 99}}, prompts) == (99, True)
    assert order_total_mc({"id": 5}, prompts) == (6_900, False)
    assert order_total_mc({"id": 5}) == (None, False)
    pack = {"costs": {"man": {"cost_mc": 500}}, "cost_mc_hash": {"dog": 7},
            "template_prompts": [{"name": "man", "cost_mc": 10}, {"name": "man", "cost_mc": 5}]}
    assert pack_order_estimate_mc(pack, "man") == 500
    assert pack_order_estimate_mc(pack, "dog") == 7
    assert pack_order_estimate_mc(pack, "man", tune_count=3) == 45
    assert balance_text({"usd_balance_mc": 9_850_000}) == "balance $98.50"
    assert balance_text({}) == "balance unknown"
