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
