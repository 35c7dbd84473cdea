"""Issue 20 item 3: a tune priced before sending from the gallery packs' figures
(``client.costs.branch_training_costs_mc``, ``client.pricing.estimate_tune``): hostile pack
answers and hostile form values give an estimate or ``unpriced`` in words, never a traceback.

Counted with :func:`hostile.probe` under "pricing".
"""

from __future__ import annotations

import pytest
from hostile import probe

from astria_widgets.client.costs import branch_training_costs_mc
from astria_widgets.client.pricing import estimate_tune
from astria_widgets.frames import spend_dataframe

FLUX = 1504944
GOOD = {"id": 1, "base_tune_id": FLUX, "costs": {"man": {"cost_mc": 160_000}},
        "template_prompts": [{"name": "man", "cost_mc": 10_000}]}
FLUX1_LORA = {"title": "x", "name": "man", "branch": "flux1", "model_type": "lora"}

BAD_PACKS = [
    None, 5, "pack", [GOOD],
    {**GOOD, "base_tune_id": None}, {**GOOD, "base_tune_id": True},
    {**GOOD, "base_tune_id": "not a number"}, {**GOOD, "base_tune_id": 999},
    {**GOOD, "costs": None}, {**GOOD, "costs": ["man"]}, {**GOOD, "costs": {"man": "lots"}},
    {**GOOD, "costs": {"man": {"cost_mc": None}}}, {**GOOD, "costs": {"man": {"cost_mc": "x"}}},
    {**GOOD, "template_prompts": None}, {**GOOD, "template_prompts": "prompts"},
    {**GOOD, "template_prompts": [None, 3]},
    {**GOOD, "template_prompts": [{"name": "man", "cost_mc": "ten"}]},
    {**GOOD, "template_prompts": [{"name": "man", "cost_mc": 900_000}]},  # more than the whole
]


@pytest.mark.parametrize("bad", BAD_PACKS, ids=repr)
def test_a_hostile_gallery_pack_is_left_out_of_the_training_estimate(bad):
    assert branch_training_costs_mc([bad]).get("flux1") is None
    alone = estimate_tune(FLUX1_LORA, [bad])
    assert alone.mc is None and alone.basis.startswith(
        "unpriced: no gallery pack gives a training price on branch flux1")
    with_good = estimate_tune(FLUX1_LORA, [bad, GOOD])
    assert with_good.mc == 150_000
    assert with_good.basis == "estimate from 1 gallery pack's training part on flux1"
    frame = spend_dataframe([{"id": 7, "branch": "flux1", "name": "man"}], packs=[bad, GOOD])
    assert frame["cost_mc"].tolist() == [150_000]  # spend_dataframe: the same one rule
    probe("pricing")


BAD_VALUES = [
    {"branch": None}, {"branch": 123}, {"branch": ""}, {"branch": ["flux1"]},
    {"branch": "nope"}, {"branch": "flux1", "base_tune_id": "abc"},
    {"branch": "flux1", "base_tune_id": True}, {"branch": "flux1", "model_type": 5},
    {"branch": "flux1", "prompts": 5}, {"branch": "flux1", "prompts": [None, 3]},
    {"branch": "flux1", "prompts": "ohwx man"},
    {"branch": "flux1", "prompts": [{"text": "a", "num_images": "many"}]},
]


@pytest.mark.parametrize("bad", BAD_VALUES, ids=repr)
def test_hostile_tune_values_are_priced_or_unpriced_in_words(bad):
    estimate = estimate_tune({**FLUX1_LORA, **bad}, [GOOD])
    if bad.get("branch") == "flux1":
        assert estimate.mc == 150_000 and estimate.basis.startswith("estimate from 1 gallery")
    else:
        assert estimate.mc is None and estimate.basis.startswith(
            "unpriced: no gallery pack gives a training price on ")
    probe("pricing")
