"""The recommendation rules (client/recommend.py) as pure functions."""

from __future__ import annotations

import pytest

from astria_widgets.client.recommend import (
    FLUX_BASE_TUNE_ID,
    PORTRAIT_PRESET,
    flux_steps,
    override_notes,
    recommend,
)


@pytest.mark.parametrize(("branch", "model_type", "name", "count", "expected"), [
    ("flux1", "lora", "man", 4, {"model_type": "lora", "base_tune_id": FLUX_BASE_TUNE_ID,
                                 "preset": PORTRAIT_PRESET}),
    ("flux1", "lora", "Style", 4, {"model_type": "lora", "base_tune_id": FLUX_BASE_TUNE_ID,
                                   "preset": None}),
    ("flux1", "lora", "dog", 20, {"model_type": "lora", "base_tune_id": FLUX_BASE_TUNE_ID,
                                  "preset": None}),
    ("flux1", None, "man", 4, {"model_type": "lora", "base_tune_id": FLUX_BASE_TUNE_ID,
                               "preset": PORTRAIT_PRESET}),
    ("sdxl1", "lora", "man", 4, {"model_type": "pti", "preset": None, "base_tune_id": None}),
    ("flux1", "faceid", "man", 1, {"model_type": "faceid", "preset": None,
                                   "base_tune_id": None}),
    ("sd15", None, "man", 4, {"preset": None, "base_tune_id": None}),
])
def test_recommendations(branch, model_type, name, count, expected):
    rec = recommend(branch, model_type, name, count)
    assert rec.values == expected
    assert rec.reasons and all(isinstance(r, str) and r for r in rec.reasons)


def test_override_notes_say_what_an_override_means():
    rec = recommend("flux1", "lora", "man", 10)
    assert override_notes({"branch": "flux1", "model_type": "lora",
                           "base_tune_id": FLUX_BASE_TUNE_ID,
                           "preset": PORTRAIT_PRESET}, rec) == {}
    notes = override_notes({"branch": "flux1", "model_type": "lora", "base_tune_id": None,
                            "preset": None}, rec, image_count=10)
    assert "1000 steps for 10 images" in notes["preset"]
    assert "default model" in notes["base_tune_id"]
    notes = override_notes({"branch": "sd15", "model_type": None, "preset": PORTRAIT_PRESET,
                            "base_tune_id": None}, recommend("sd15", None))
    assert "Flux LoRA only" in notes["preset"]


def test_flux_steps_follow_the_preset_with_the_documented_minimum():
    assert flux_steps(PORTRAIT_PRESET, 10) == 300  # 270 raised to the minimum
    assert flux_steps(PORTRAIT_PRESET, 20) == 540
    assert flux_steps(None, 20) == 2000
