"""Packs: gallery list, detail by id and slug, a pack run with prompts_callback."""

from __future__ import annotations

from sandbox_helpers import Api, Receiver, image_parts


def test_gallery_and_detail(api: Api) -> None:
    packs = api.get("/gallery/packs").json()
    assert len(packs) >= 2
    first = packs[0]
    assert {"id", "slug", "title", "base_tune_id", "cost_mc_hash", "model_type",
            "public_at", "multiplier", "token", "user_id"} <= set(first)
    by_id = api.get(f"/p/{first['id']}").json()
    by_slug = api.get(f"/p/{first['slug']}.json").json()
    assert by_id == by_slug
    assert set(by_id["prompts_per_class"]) == set(first["cost_mc_hash"])
    for cls, prompts in by_id["prompts_per_class"].items():
        assert prompts and all(p["images"] for p in prompts), cls
        assert by_id["costs"][cls]["cost_mc"] == first["cost_mc_hash"][cls]
    assert by_id["cover_url"].startswith(api.url + "/files/")
    assert api.get("/packs").json() == []
    assert api.get("/p/no-such-pack").status_code == 404


def test_run_pack_creates_tune_and_prompts(api: Api, receiver: Receiver) -> None:
    pack = api.get("/p/corporate-headshots").json()
    response = api.post(f"/p/{pack['id']}/tunes", data={
        "tune[title]": "pack run", "tune[name]": "woman",
        "tune[characteristics][eye_color]": "brown eyes",
        "tune[prompt_attributes][num_images]": "1",
        "tune[prompts_callback]": f"{receiver.url}/pack", "tune[branch]": "fast",
    }, files=image_parts(2))
    assert response.status_code == 201, response.text
    tune = response.json()
    assert tune["base_tune_id"] == 1504944 and tune["model_type"] == "lora"
    prompts = api.get(f"/tunes/{tune['id']}/prompts").json()
    templates = {p["id"] for p in pack["prompts_per_class"]["woman"]}
    assert {p["orig_prompt_id"] for p in prompts} == templates
    assert {p["base_pack_id"] for p in prompts} == {pack["id"]}
    assert len({p["order_id"] for p in prompts}) == 1
    assert all(p["num_images"] == 1 for p in prompts)
    assert any("brown eyes" in p["text"] for p in prompts)
    path, body = receiver.get(timeout=15)
    assert path == "/pack" and sorted(p["id"] for p in body) == sorted(p["id"] for p in prompts)
    assert all(p["images"] for p in body)
    wrong = api.post(f"/p/{pack['id']}/tunes", json={"tune": {
        "title": "x", "name": "dog", "image_urls": ["https://example.com/a.jpg"]}})
    assert wrong.status_code == 422 and "name" in wrong.json()["errors"]


def test_run_pack_on_existing_tunes_and_own_pack(api: Api) -> None:
    tune = api.make_tune("existing", name="man")
    run = api.post("/p/fantasy-portraits/tunes", json={"tune": {"tune_ids": [tune["id"]]}})
    assert run.status_code == 201, run.text
    body = run.json()
    assert body["order"]["tune_ids"] == [tune["id"]] and len(body["prompt_ids"]) == 2
    created = api.post("/packs", json={"pack": {"title": "My pack", "base_tune_id": 1504944,
                                                "model_type": "lora"}})
    assert created.status_code == 201
    assert [p["id"] for p in api.get("/packs").json()] == [created.json()["id"]]
