"""``GET /cli/models`` (API notes 2.13, Appendix A), in plain HTTP."""

from __future__ import annotations

import requests

from astria_widgets.sandbox import Sandbox


def test_cli_models_needs_no_key_and_lists_the_video_catalogue(sandbox: Sandbox) -> None:
    response = requests.get(f"{sandbox.url}/cli/models", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["models"]["gemini"]["tune_id"] == 3618064
    assert body["default"] in body["models"]
    assert body["default_video_model"] in body["video_models"]
    assert body["cache_ttl"] > 0 and body["cli"]["min_version"]
    videos = body["video_models"]
    assert len(videos) == 46
    # Appendix A figures
    assert videos["seedance_480p"]["cost_cents"] == 10
    assert videos["seedance_480p"]["durations"] == list(range(2, 13))
    assert videos["veo31_fast_4k"]["durations"] == [8]
    assert videos["veo31_fast_audio_4k"]["cost_cents"] == 308
    assert videos["wan_animate_720p"]["requires_input_video"] is True
    assert videos["seedance2_720p"]["supports_image_references"] is True
    assert videos["seedance2_720p"]["supports_audio_reference"] is True
    assert videos["kling25"]["supports_image_references"] is False
    assert videos["kling30_pro_audio"]["generates_audio"] is True
    # the .json suffix and a key both work too
    assert requests.get(f"{sandbox.url}/cli/models.json", timeout=10).json() == body
    keyed = requests.get(f"{sandbox.url}/cli/models",
                         headers={"Authorization": f"Bearer {sandbox.api_key}"}, timeout=10)
    assert keyed.status_code == 200


def test_image_models_carry_a_price_per_resolution_and_prompts_are_charged_it(
        sandbox: Sandbox, client) -> None:
    """Issue 20 item 6: the sandbox's own image price list (no image price is documented)
    is served in GET /cli/models and charged (x num_images) for prompts on those models."""
    models = requests.get(f"{sandbox.url}/cli/models", timeout=10).json()["models"]
    for name, entry in models.items():
        prices = entry["cost_mc_per_image"]
        assert set(prices) == set(entry["resolutions"]), name
        assert all(isinstance(v, int) and v > 0 for v in prices.values()), name
    gemini = models["gemini"]
    big = client.create_prompt(gemini["tune_id"], "a lighthouse", resolution="4K", num_images=2)
    assert big["cost_mc"] == 2 * gemini["cost_mc_per_image"]["4K"]
    plain = client.create_prompt(gemini["tune_id"], "a lighthouse", num_images=3)
    assert plain["cost_mc"] == 3 * gemini["cost_mc_per_image"][gemini["resolutions"][0]]
    seedream = models["seedream"]
    two_k = client.create_prompt(seedream["tune_id"], "a harbour", resolution="2K")
    assert two_k["cost_mc"] == seedream["cost_mc_per_image"]["2K"]
    # a base outside the catalogue keeps its branch price (Realistic Vision: sd15, 1 cent)
    assert client.create_prompt(690204, "a harbour", num_images=2)["cost_mc"] == 2 * 1_000
    # fast stays free
    fast = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="fast", title="free one")
    assert client.create_prompt(fast["id"], "ohwx man", num_images=4)["cost_mc"] == 0
