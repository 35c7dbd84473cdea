"""Template prompts and pack orders (API notes 2.7 ``pack_id``, 2.9, 5.7), in plain HTTP."""

from __future__ import annotations

from sandbox_helpers import Api, image_parts

FLUX = 1504944


def _own_pack(api: Api, title: str = "My pack") -> dict:
    created = api.post("/packs", json={"pack": {"title": title, "base_tune_id": FLUX,
                                                "model_type": "lora"}})
    assert created.status_code == 201, created.text
    return created.json()


def test_a_nonexistent_pack_id_is_refused(api: Api, sandbox) -> None:
    tune = api.make_tune("pack refused")
    for pack_id in (987654, 260):  # nobody's, and a gallery pack (not the caller's)
        response = api.post(f"/tunes/{tune['id']}/prompts",
                            data={"prompt[text]": "x", "prompt[pack_id]": str(pack_id)})
        assert response.status_code == 422, response.text
        assert f"pack {pack_id} does not exist" in response.json()["errors"]["pack_id"][0]
    assert api.get("/prompts").json() == []


def test_create_into_a_pack_sets_the_class(api: Api) -> None:
    pack = _own_pack(api)
    tune = api.make_tune("woman tune", name="woman")
    created = api.post(f"/tunes/{tune['id']}/prompts",
                       data={"prompt[text]": "ohwx woman, studio", "prompt[pack_id]": pack["id"]})
    assert created.status_code == 201, created.text
    detail = api.get(f"/p/{pack['id']}").json()
    assert [p["id"] for p in detail["prompts_per_class"]["woman"]] == [created.json()["id"]]
    assert list(detail["costs"]) == ["woman"]


def test_patch_into_a_pack_checks_the_reference_in_the_text(api: Api) -> None:
    pack = _own_pack(api)
    faceid = api.make_tune("face", name="man", model_type="faceid", branch="flux1")
    on_base = api.post(f"/tunes/{FLUX}/prompts",
                       data={"prompt[text]": f"<faceid:{faceid['id']}:1> ohwx man, a hat"}).json()
    moved = api.patch(f"/tunes/{FLUX}/prompts/{on_base['id']}",
                      data={"prompt[pack_id]": str(pack["id"])})
    assert moved.status_code == 200, moved.text
    assert moved.json()["pack_id"] == pack["id"]
    detail = api.get(f"/p/{pack['id']}").json()
    assert [p["id"] for p in detail["prompts_per_class"]["man"]] == [on_base["id"]]
    plain = api.post(f"/tunes/{FLUX}/prompts", data={"prompt[text]": "a plain flux photo"}).json()
    refused = api.patch(f"/prompts/{plain['id']}", data={"prompt[pack_id]": str(pack["id"])})
    assert refused.status_code == 422
    assert refused.json()["errors"]["pack_id"] == ["Prompt is not using a fine-tuned model"]


def test_orders_return_their_total_cost(api: Api) -> None:
    pack = api.get("/p/corporate-headshots").json()
    run = api.post(f"/p/{pack['id']}/tunes", data={
        "tune[title]": "order cost", "tune[name]": "man"}, files=image_parts(1))
    assert run.status_code == 201, run.text
    order = run.json()["order"]
    # what the pack said a fresh tune of that class costs is what the order charged
    assert order["total_cost_mc"] == pack["costs"]["man"]["cost_mc"]
    prompts = [api.get(f"/prompts/{i}").json() for i in order["prompt_ids"]]
    assert {p["order_id"] for p in prompts} == {order["id"]}
    training = order["total_cost_mc"] - sum(p["cost_mc"] for p in prompts)
    assert training == 150_000  # Flux training (gallery.TRAINING_COST_MC)
    tune = api.make_tune("existing", name="man")
    on_tunes = api.post("/p/fantasy-portraits/tunes", json={"tune": {"tune_ids": [tune["id"]]}})
    body = on_tunes.json()
    costs = [api.get(f"/prompts/{i}").json()["cost_mc"] for i in body["prompt_ids"]]
    assert body["order"]["total_cost_mc"] == sum(costs) > 0


def test_api_created_packs_include_the_training_cost(api: Api) -> None:
    pack = _own_pack(api)
    tune = api.make_tune("cost", name="dog")
    template = api.post(f"/tunes/{tune['id']}/prompts", data={
        "prompt[text]": "ohwx dog", "prompt[pack_id]": pack["id"]}).json()
    detail = api.get(f"/p/{pack['id']}").json()
    assert detail["costs"]["dog"]["cost_mc"] == 150_000 + template["cost_mc"]
