"""Ids are never handed out twice; every URL field of every object is absolute.

Plain HTTP, as a client written from the API docs would see it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from sandbox_helpers import Api, image_parts, jpeg

from astria_widgets.sandbox import Sandbox


def _done(prompt: dict) -> bool:
    return bool(prompt["images"]) or prompt["user_error"] is not None


def test_a_tune_created_after_deleting_the_newest_gets_a_new_id(api: Api) -> None:
    older = api.make_tune("older")
    newest = api.make_tune("newest")
    assert api.delete(f"/tunes/{newest['id']}").status_code == 200
    after = api.make_tune("after the delete")
    assert after["id"] > newest["id"] > older["id"]
    assert api.get(f"/tunes/{newest['id']}").status_code == 404  # the old id stays gone


def test_a_prompt_created_after_deleting_the_newest_gets_a_new_id(api: Api) -> None:
    tune = api.make_tune("prompts", branch="fast")
    first = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "a"}).json()
    newest = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "b"}).json()
    assert api.delete(f"/prompts/{newest['id']}").status_code == 200
    after = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "c"}).json()
    assert after["id"] > newest["id"] > first["id"]
    assert [p["id"] for p in api.get(f"/tunes/{tune['id']}/prompts").json()] == [
        after["id"], first["id"]]


def test_prompts_deleted_with_their_tune_are_not_reused(api: Api) -> None:
    created = api.post("/tunes", json={"tune": {
        "title": "with prompts", "name": "man", "image_urls": ["https://example.com/a.jpg"],
        "prompts_attributes": [{"text": "one"}, {"text": "two"}]}}).json()
    prompts = [p["id"] for p in api.get(f"/tunes/{created['id']}/prompts").json()]
    assert len(prompts) == 2
    assert api.delete(f"/tunes/{created['id']}").status_code == 200
    again = api.post("/tunes", json={"tune": {
        "title": "again", "name": "man", "image_urls": ["https://example.com/a.jpg"],
        "prompts_attributes": [{"text": "three"}]}}).json()
    assert again["id"] > created["id"]
    new_prompt = api.get(f"/tunes/{again['id']}/prompts").json()[0]
    assert new_prompt["id"] > max(prompts)


def test_ids_stay_retired_across_a_restart(tmp_path: Path) -> None:
    with Sandbox(data_dir=tmp_path, speed=600) as first:
        api = Api(first.url, first.api_key)
        gone = api.make_tune("deleted before the restart")
        prompt = api.post(f"/tunes/{gone['id']}/prompts", data={"prompt[text]": "x"}).json()
        assert api.delete(f"/tunes/{gone['id']}").status_code == 200
    with Sandbox(data_dir=tmp_path, speed=600) as second:
        api = Api(second.url, second.api_key)
        tune = api.make_tune("after the restart")
        later = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "y"}).json()
        assert tune["id"] > gone["id"] and later["id"] > prompt["id"]
        assert api.delete(f"/tunes/{tune['id']}").status_code == 200  # the newest again
        added = second.seed_history(3)  # seeding numbers past retired ids too
        seeded = api.get("/tunes", params={"limit": 3}).json()
        assert added == 3 and min(t["id"] for t in seeded) > tune["id"]


def _relative_urls(value: Any, where: str = "") -> list[str]:
    """Every string that looks like a URL or a sandbox path but is not absolute."""
    if isinstance(value, dict):
        return [bad for k, v in value.items() for bad in _relative_urls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [bad for i, v in enumerate(value) for bad in _relative_urls(v, f"{where}[{i}]")]
    if isinstance(value, str) and ("/files/" in value or value.startswith("/")):
        if not value.startswith(("http://", "https://")):
            return [f"{where}: {value}"]
    return []


def test_every_url_field_is_absolute(api: Api) -> None:
    tune = api.post("/tunes", data={"tune[title]": "urls", "tune[name]": "man",
                                    "tune[branch]": "fast"}, files=image_parts(2)).json()
    files = [("prompt[input_image]", ("in.jpg", jpeg((10, 20, 30)), "image/jpeg")),
             ("prompt[mask_image]", ("mask.png", jpeg((255, 255, 255)), "image/jpeg")),
             ("prompt[image_references][]", ("ref0.jpg", jpeg((1, 2, 3)), "image/jpeg")),
             ("prompt[image_references][]", ("ref1.jpg", jpeg((4, 5, 6)), "image/jpeg"))]
    prompt = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "uploads"},
                      files=files)
    assert prompt.status_code == 201, prompt.text
    prompt = api.wait(f"/prompts/{prompt.json()['id']}", _done)
    linked = api.post(f"/tunes/{tune['id']}/prompts", json={"prompt": {
        "text": "links", "input_image_url": "https://example.com/in.jpg",
        "mask_image_url": "https://example.com/mask.png"}}).json()
    copy = api.post(f"/prompts/{prompt['id']}/duplicate", data={}).json()
    pack = api.post("/packs", json={"pack": {"title": "URL pack", "base_tune_id": 1504944,
                                             "model_type": "lora"}}).json()
    trained = api.wait(f"/tunes/{tune['id']}", lambda t: t["trained_at"] is not None)
    objects = {
        "tune": trained, "tunes": api.get("/tunes").json(), "prompt": prompt, "copy": copy,
        "prompts": api.get("/prompts").json(), "linked": linked,
        "gallery tunes": api.get("/gallery/tunes").json(), "pack": pack,
        "gallery packs": api.get("/gallery/packs").json(),
        "pack detail": api.get(f"/p/{pack['id']}").json(),
    }
    gallery_pack = objects["gallery packs"][0]
    objects["gallery pack detail"] = api.get(f"/p/{gallery_pack['id']}").json()
    assert [bad for name, obj in objects.items() for bad in _relative_urls(obj, name)] == []
    # the uploads are reachable at those absolute URLs, byte for byte
    assert requests.get(prompt["mask_image"], timeout=10).content == jpeg((255, 255, 255))
    assert [requests.get(u, timeout=10).content for u in prompt["image_references"]] == [
        jpeg((1, 2, 3)), jpeg((4, 5, 6))]
    assert requests.get(prompt["input_image"], timeout=10).content == jpeg((10, 20, 30))
    assert copy["mask_image"] == prompt["mask_image"]
    assert copy["image_references"] == prompt["image_references"]
    assert (linked["input_image"], linked["mask_image"]) == (
        "https://example.com/in.jpg", "https://example.com/mask.png")
    assert trained["ckpt_url"].startswith(api.url) and trained["orig_images"]
