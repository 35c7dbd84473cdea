"""Tune details the docs state: Flux LoRA weights are not downloadable (API notes 2.1), the
gallery has partner-1 models (2.6)."""

from __future__ import annotations

import requests
from sandbox_helpers import Api

from astria_widgets.sandbox import Sandbox


def _trained(tune: dict) -> bool:
    return bool(tune["trained_at"] or tune["error"])


def test_a_flux_lora_offers_no_checkpoint(api: Api, sandbox: Sandbox) -> None:
    lora = api.make_tune("flux lora", branch="flux1")
    assert lora["model_type"] == "lora"
    checkpoint = api.make_tune("sd15 ckpt", branch="sd15")
    lora = api.wait(f"/tunes/{lora['id']}", _trained)
    checkpoint = api.wait(f"/tunes/{checkpoint['id']}", _trained)
    assert lora["trained_at"] and lora["ckpt_url"] is None and lora["ckpt_urls"] == []
    assert checkpoint["ckpt_url"]  # a checkpoint still has one
    guessed = checkpoint["ckpt_url"].replace(str(checkpoint["id"]), str(lora["id"]))
    assert requests.get(guessed, timeout=10).status_code == 404


def test_partner_models_are_on_the_partner_branch(api: Api) -> None:
    partner = api.get("/gallery/tunes", params={"branch": "partner-1"}).json()
    ids = {t["id"] for t in partner}
    assert {3618064, 3691308, 4665564} <= ids  # the official CLI's gemini/seedream/gpt-image-2
    assert all(t["branch"] == "partner-1" and t["trained_at"] for t in partner)
    prompt = api.post(f"/tunes/{min(ids)}/prompts", data={"prompt[text]": "a red bicycle"})
    assert prompt.status_code == 201


def test_an_older_data_dir_gets_the_partner_branch(tmp_path) -> None:
    with Sandbox(data_dir=tmp_path, speed=600) as sb:  # make it look like gallery version 1
        sb.state.store.update_tune(3618064, {"branch": "gemini-3"})
        sb.state.store.set_meta("gallery_version", "1")
    with Sandbox(data_dir=tmp_path, speed=600) as sb:
        gemini = requests.get(f"{sb.url}/tunes/3618064",
                              headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=10)
        assert gemini.json()["branch"] == "partner-1"
