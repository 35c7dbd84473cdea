"""Issue 20 item 3: every run priced before sending (client/pricing.py), refused over what is
left of max_spend, and a running sweep that stops creating once the reported cost reaches it.

Against the shared loopback sandbox (``client`` fixture: a fresh account per test).
"""

from __future__ import annotations

import pytest

from astria_widgets.client import InputError, transport
from astria_widgets.client.costs import branch_training_costs_mc, pack_training_cost_mc
from astria_widgets.client.generation import GenerationRun
from astria_widgets.client.pricing import (
    estimate_tune,
    price_pack_order,
    price_prompts,
    price_tune,
)
from astria_widgets.frames import spend_dataframe

WAIT = 120
FLUX = 1504944
GEMINI = 3618064
REALISTIC_VISION = 690204  # sd15, not a catalogue model


def _lora(client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora")
    return client.wait_for_tune(tune["id"], timeout=WAIT)


def test_the_catalogue_is_fetched_once_per_client(client):
    seen = []
    remove = transport.observe(lambda exchange: seen.append(exchange.url))
    try:
        first = client.catalogue()
        assert client.catalogue() is first
        price_prompts(client, [((GEMINI,), {"resolution": "2K"})])
    finally:
        remove()
    assert sum(url.endswith("/cli/models") for url in seen) == 1
    assert "gemini" in first["models"]


def test_prompts_are_priced_by_the_catalogue_and_charged_that(client):
    models = client.catalogue()["models"]
    estimate = price_prompts(client, [((GEMINI,), {"resolution": "4K", "num_images": 2}),
                                      ((FLUX,), {})])
    assert estimate.mc == 2 * models["gemini"]["cost_mc_per_image"]["4K"] + 2_300
    assert (estimate.prompts, estimate.images, estimate.basis) == (2, 3, "catalogue price")
    assert estimate.text == "≈ $0.5030 for 2 prompts · catalogue price"
    charged = client.create_prompt(GEMINI, "a lighthouse", resolution="4K", num_images=2)
    assert charged["cost_mc"] == estimate.each[0]
    video = price_prompts(client, [((FLUX,), {"video_model": "seedance_480p",
                                              "video_duration": 2, "num_images": 2})])
    assert video.mc == 2 * 4_000 and video.basis == "catalogue price"  # Appendix A, linear


def test_other_prompts_are_estimated_from_recent_prompts_of_the_same_kind(client):
    cells = [((REALISTIC_VISION,), {"num_images": 2})]
    unpriced = price_prompts(client, cells)
    assert unpriced.mc is None and unpriced.basis.startswith("unpriced: no catalogue price")
    client.max_spend = 1.0
    with pytest.raises(InputError) as info:
        GenerationRun.start(client, [client.get_tune(REALISTIC_VISION)], "a harbour",
                            {"num_images": 2})
    assert (
        "max_spend: this run of 1 prompt (2 images) cannot be priced before sending "
        "(no catalogue price, and none of your recent image prompts states its cost), "
        "so nothing was sent"
    ) in str(info.value)
    assert client.list_prompts() == []
    client.max_spend = None
    done = client.create_prompt(REALISTIC_VISION, "a harbour", num_images=2)
    client.wait_for_prompt(REALISTIC_VISION, done["id"], timeout=WAIT)
    estimate = price_prompts(client, cells)
    assert estimate.mc == 2 * 1_000
    assert estimate.basis == "estimate from your 1 recent image prompts"


def test_pack_orders_and_tunes_are_priced_from_what_the_api_gives(client):
    pack = client.get_pack(client.list_packs(gallery=True)[0]["id"])
    cls = next(iter(pack["costs"]))
    new = price_pack_order(pack, cls)
    assert new.mc == pack["costs"][cls]["cost_mc"] and new.basis == "pack price"
    runs = price_pack_order(pack, cls, tune_count=3)
    assert runs.mc == 3 * sum(t["cost_mc"] for t in pack["template_prompts"]
                              if t["name"] == cls)
    fast = price_tune(client, {"title": "x", "branch": "fast", "prompts": [{"text": "a"}]})
    assert (fast.mc, fast.prompts) == (0, 1) and fast.basis.startswith("free: branch fast")


def _pack_requests(seen):
    return [u for u in seen if "/gallery/packs" in u or "/p/" in u]


def test_a_tune_is_priced_from_the_gallery_packs_training_part_on_its_branch(client):
    seen = []
    remove = transport.observe(lambda exchange: seen.append(exchange.url))
    try:
        values = {"title": "x", "name": "man", "branch": "flux1", "model_type": "lora",
                  "prompts": [{"text": "ohwx man", "num_images": 2}, "ohwx man, portrait"]}
        estimate = price_tune(client, values)
        fetched = len(_pack_requests(seen))
        again = price_tune(client, {**values, "branch": "sdxl1", "prompts": []})
    finally:
        remove()
    flux = [p for p in client.gallery_packs() if p["base_tune_id"] == FLUX]
    parts = sorted(pack_training_cost_mc(flux[0], c) for c in flux[0]["costs"])
    training = parts[len(parts) // 2]
    assert training == 150_000  # the sandbox's flux1 training (its pack's costs less prompts)
    per_image = client.catalogue()["models"]["flux"]["cost_mc_per_image"]["1K"]
    assert estimate.mc == training + 3 * per_image
    assert (estimate.prompts, estimate.images) == (2, 3)
    assert estimate.basis == ("estimate from 1 gallery pack's training part on flux1 "
                              "+ catalogue price")
    assert again.basis == "estimate from 1 gallery pack's training part on sdxl1"
    assert again.mc == branch_training_costs_mc(client.gallery_packs())["sdxl1"][0]
    # the gallery packs are fetched once per client (the list, then each detail once)
    assert fetched == 1 + len(client.gallery_packs()) == len(_pack_requests(seen))
    assert client.gallery_packs() is client.gallery_packs()


def test_a_tune_on_a_branch_no_pack_prices_is_unpriced_and_refused_under_a_limit(client):
    flux_only = [p for p in client.gallery_packs() if p["base_tune_id"] == FLUX]
    values = {"title": "x", "name": "man", "branch": "sdxl1", "model_type": "lora"}
    unpriced = estimate_tune(values, flux_only)
    assert unpriced.mc is None
    assert unpriced.basis == ("unpriced: no gallery pack gives a training price on branch "
                              "sdxl1, and the API states no price for training a tune "
                              "outside a pack")
    assert estimate_tune(values, []).mc is None
    assert estimate_tune({**values, "branch": "flux1"}, flux_only).mc == 150_000
    client.gallery_packs()[:] = flux_only  # as if the gallery had no sdxl1 pack
    assert price_tune(client, values).basis == unpriced.basis


def test_spend_dataframe_and_the_spend_guard_price_a_training_by_one_rule(client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora", title="not from a pack")
    packs = client.gallery_packs()
    frame = spend_dataframe([tune], packs=packs)
    row = frame[frame["kind"] == "training"].iloc[0]
    guard = price_tune(client, {"branch": "flux1", "model_type": "lora", "title": "y"})
    assert row["basis"] == "pack costs, same branch" and bool(row["estimate"])
    assert row["cost_mc"] == guard.mc == branch_training_costs_mc(packs)["flux1"][0]


def test_a_running_sweep_stops_creating_once_the_reported_cost_reaches_max_spend(client):
    tune = _lora(client)
    # the catalogue says 100 mc per Flux image, the service charges 2,300: the estimate is low
    client.catalogue()["models"]["flux"]["cost_mc_per_image"]["1K"] = 100
    client.max_spend = 1.0
    grid = {"seed": list(range(10)), "cfg_scale": list(range(1, 11))}
    run = GenerationRun.start(client, [tune], "portrait", {"num_images": 1}, grid)
    assert run.estimate_mc == 100 * 100  # $0.10: fits, so it starts
    run.wait(timeout=WAIT)
    sent = len(run.prompts)
    assert 0 < sent < 100 and run.not_sent == 100 - sent
    assert len(client.list_prompts(limit=100)) == sent
    charged = sum(p["cost_mc"] for p in run.prompts)
    # it stops once the cost reported so far reaches $1.00; only creates in flight pass it
    assert 100_000 - 2_300 < charged <= 100_000 + client.concurrency * 2_300
    assert run.spend_note == f"stopped at max_spend $1.00: {100 - sent} of 100 prompts not sent"
    assert run.status_text.endswith(run.spend_note)


def test_a_limit_lowered_mid_run_stops_the_creates(client):
    tune = _lora(client)
    grid = {"seed": list(range(10)), "cfg_scale": list(range(1, 11))}
    client.max_spend = None
    creates = []

    def lower(exchange):  # after the fifth create, a limit of about two Flux images
        if exchange.method == "POST" and exchange.url.endswith("/prompts"):
            creates.append(exchange.url)
            if len(creates) == 5:
                client.max_spend = 0.05

    remove = transport.observe(lower)
    try:
        run = GenerationRun.start(client, [tune], "portrait", {"num_images": 1}, grid)
        run.wait(timeout=WAIT)
    finally:
        remove()
    assert run.not_sent > 0 and len(run.prompts) + run.not_sent == 100
    assert len(run.prompts) <= 5 + client.concurrency
    assert "stopped at max_spend $0.0500" in run.status_text
