"""Prompt and like endpoints over plain HTTP."""

from __future__ import annotations

import io

import requests
from PIL import Image
from sandbox_helpers import Api, jpeg

PROMPT_KEYS = {
    "id", "tune_id", "text", "negative_prompt", "callback", "cfg_scale", "steps", "seed",
    "started_training_at", "trained_at", "created_at", "updated_at", "url", "images",
    "user_error", "num_images", "cost_mc", "aspect_ratio", "resolution", "pack_id",
    "base_pack_id", "order_id", "orig_prompt_id", "liked", "super_resolution", "w", "h",
}


def _done(record: dict) -> bool:
    return bool(record.get("images")) or bool(record.get("user_error"))


def test_create_get_list_and_images(api: Api) -> None:
    tune = api.make_tune("prompts", branch="flux1")
    response = api.post(f"/tunes/{tune['id']}/prompts", data={
        "prompt[text]": "ohwx man in a red scarf", "prompt[num_images]": "3",
        "prompt[seed]": "42", "prompt[cfg_scale]": "7.5", "prompt[aspect_ratio]": "16:9",
        "prompt[super_resolution]": "true", "prompt[inpaint_faces]": "True"})
    assert response.status_code == 201, response.text
    prompt = response.json()
    assert PROMPT_KEYS <= set(prompt)
    assert prompt["images"] == [] and prompt["user_error"] is None
    assert (prompt["num_images"], prompt["seed"], prompt["cfg_scale"]) == (3, 42, 7.5)
    assert prompt["super_resolution"] is True and prompt["cost_mc"] > 0
    assert prompt["url"] == f"{api.url}/tunes/{tune['id']}/prompts/{prompt['id']}.json"
    done = api.wait(f"/prompts/{prompt['id']}.json", _done)
    assert done["trained_at"] is not None and done["started_training_at"] is not None
    assert len(done["images"]) == 3
    sizes, pixels = set(), set()
    for url in done["images"]:
        served = requests.get(url, timeout=10)
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(served.content))
        assert image.format == "PNG"
        sizes.add(image.size)
        pixels.add(image.convert("RGB").getpixel((5, 5)))
    assert sizes == {(1024, 576)}  # 16:9, longest side 512, doubled by super_resolution
    assert len(pixels) == 3  # a distinct colour per image
    nested = api.get(f"/tunes/{tune['id']}/prompts/{prompt['id']}").json()
    assert nested["images"] == done["images"]
    assert [p["id"] for p in api.get(f"/tunes/{tune['id']}/prompts").json()] == [prompt["id"]]
    assert prompt["id"] in [p["id"] for p in api.get("/prompts").json()]
    assert api.get(f"/tunes/{tune['id'] + 1}/prompts/{prompt['id']}").status_code == 404


def test_prompt_json_body_and_validation(api: Api) -> None:
    tune = api.make_tune("validation")
    ok = api.post(f"/tunes/{tune['id']}/prompts", json={"prompt": {"text": "x", "w": 512,
                                                                   "h": 768}})
    assert ok.status_code == 201 and (ok.json()["w"], ok.json()["h"]) == (512, 768)
    bad = api.post(f"/tunes/{tune['id']}/prompts", json={"prompt": {
        "text": "  ", "num_images": 9, "seed": -5, "cfg_scale": "high", "w": 500,
        "aspect_ratio": "7:3", "scheduler": "fast", "callback": "not a url",
        "hires_fix": True}})
    assert bad.status_code == 422
    body = bad.json()
    assert set(body["errors"]) == {"text", "num_images", "seed", "cfg_scale", "w",
                                   "aspect_ratio", "scheduler", "callback", "hires_fix"}
    assert body["errors"]["text"] == ["can't be blank"]
    assert "multiple of 8" in body["errors"]["w"][0]
    assert "super_resolution" in body["errors"]["hires_fix"][0]
    assert body["error"].startswith("Validation failed") and "num_images" in body["error"]


def test_prompt_input_image_must_be_an_image(api: Api) -> None:
    tune = api.make_tune("input image")
    bad = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "x"},
                   files={"prompt[input_image]": ("notes.jpg", b"plain text", "image/jpeg")})
    assert bad.status_code == 422 and "notes.jpg" in bad.json()["errors"]["input_image"][0]
    good = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "x"},
                    files={"prompt[input_image]": ("in.jpg", jpeg(), "image/jpeg")})
    assert good.status_code == 201
    assert requests.get(good.json()["input_image"], timeout=10).content == jpeg()


def test_lora_prompt_on_gallery_tune_waits_for_the_referenced_tune(api: Api) -> None:
    tune = api.make_tune("lora", branch="flux1")
    prompt = api.post("/tunes/1504944/prompts", data={
        "prompt[text]": f"<lora:{tune['id']}:1> ohwx man as a pilot"}).json()
    assert prompt["tune_id"] == 1504944
    done = api.wait(f"/prompts/{prompt['id']}", _done)
    trained = api.get(f"/tunes/{tune['id']}").json()["trained_at"]
    assert trained is not None and done["images"]
    assert done["started_training_at"] > trained
    assert [p["id"] for p in api.get("/tunes/1504944/prompts").json()] == [prompt["id"]]
    missing = api.post("/tunes/1504944/prompts", data={"prompt[text]": "<lora:1:1> x"})
    assert missing.status_code == 422 and "text" in missing.json()["errors"]


def test_duplicate_and_delete_both_paths(api: Api) -> None:
    tune = api.make_tune("dup", branch="fast")
    original = api.post(f"/tunes/{tune['id']}/prompts",
                        json={"prompt": {"text": "original", "seed": 1, "num_images": 2}}).json()
    api.wait(f"/prompts/{original['id']}", _done)
    copy = api.post(f"/prompts/{original['id']}/duplicate",
                    data={"prompt[seed]": "2", "image_index": "1"})
    assert copy.status_code == 201, copy.text
    copy = copy.json()
    assert copy["id"] != original["id"] and copy["text"] == "original"
    assert (copy["seed"], copy["num_images"], copy["orig_prompt_id"]) == (2, 2, original["id"])
    too_far = api.post(f"/prompts/{original['id']}/duplicate", data={"image_index": "2"})
    assert too_far.status_code == 422 and "image_index" in too_far.json()["errors"]
    first = api.delete(f"/tunes/{tune['id']}/prompts/{original['id']}")
    assert first.status_code == 200 and "deleted" in first.json()["message"]
    second = api.delete(f"/prompts/{copy['id']}")
    assert second.status_code == 200
    assert api.get(f"/prompts/{original['id']}").status_code == 404
    assert api.get(f"/tunes/{tune['id']}/prompts").json() == []


def test_likes_both_paths(api: Api) -> None:
    tune = api.make_tune("likes")
    prompt = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "x"}).json()
    for path in ("likes", "like"):
        response = api.post(f"/prompts/{prompt['id']}/{path}")
        assert response.status_code == 201 and response.content == b""
    record = api.get(f"/prompts/{prompt['id']}").json()
    assert record["liked"] is True and record["prompt_likes_count"] == 1
    assert [p["id"] for p in api.get("/prompts", params={"liked": "true"}).json()] == [
        prompt["id"]]
    assert api.delete(f"/prompts/{prompt['id']}/like").status_code == 204
    assert api.get(f"/prompts/{prompt['id']}").json()["liked"] is False


def test_prompt_list_filters(api: Api) -> None:
    tune = api.make_tune("filters")
    texts = ["red apple", "green apple", "blue sky"]
    ids = [api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": t}).json()["id"]
           for t in texts]
    apples = api.get("/prompts", params={"text": "APPLE"}).json()
    assert [p["id"] for p in apples] == [ids[1], ids[0]]
    by_tune = api.get("/prompts", params={"tune_id": tune["id"]}).json()
    assert [p["id"] for p in by_tune] == ids[::-1]
