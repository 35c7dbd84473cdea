"""Tune endpoints over plain HTTP: create (multipart, JSON, urlencoded), list, get, delete."""

from __future__ import annotations

import requests
from sandbox_helpers import Api, image_parts, jpeg

from astria_widgets.sandbox import Sandbox

TUNE_KEYS = {
    "id", "title", "name", "token", "base_tune_id", "args", "steps", "face_crop",
    "training_face_correct", "ckpt_url", "ckpt_urls", "eta", "started_training_at",
    "trained_at", "expires_at", "created_at", "updated_at", "branch", "model_type", "url",
    "orig_images", "is_api", "callback", "error",
}


def test_create_multipart_with_four_images_and_two_prompts(api: Api) -> None:
    data = {
        "tune[title]": "multipart demo", "tune[name]": "woman", "tune[branch]": "flux1",
        "tune[face_crop]": "True", "tune[steps]": "500",
        "tune[characteristics][eye_color]": "green eyes",
        "tune[prompts_attributes][0][text]": "ohwx woman, {{eye_color}}, studio",
        "tune[prompts_attributes][0][num_images]": "2",
        "tune[prompts_attributes][1][text]": "ohwx woman on a beach",
    }
    response = api.post("/tunes", data=data, files=image_parts(4))
    assert response.status_code == 201, response.text
    assert response.headers["X-Astria-Sandbox"] == "1"
    tune = response.json()
    assert TUNE_KEYS <= set(tune)
    assert (tune["title"], tune["name"], tune["branch"]) == ("multipart demo", "woman", "flux1")
    assert tune["model_type"] == "lora" and tune["token"] == "ohwx"
    assert tune["face_crop"] is True and tune["steps"] == 500
    assert tune["trained_at"] is None and tune["eta"].endswith("Z")
    assert len(tune["orig_images"]) == 4
    for i, url in enumerate(tune["orig_images"]):
        assert url.startswith(api.url + "/files/")
        served = requests.get(url, timeout=10)  # public like a CDN: no key
        assert served.status_code == 200 and served.content == jpeg((40 * i, 90, 160))
    prompts = api.get(f"/tunes/{tune['id']}/prompts").json()
    assert sorted(p["text"] for p in prompts) == ["ohwx woman on a beach",
                                                   "ohwx woman, green eyes, studio"]
    assert {p["tune_id"] for p in prompts} == {tune["id"]}
    assert sorted(p["num_images"] for p in prompts) == [1, 2]


def test_create_append_form_prompts_and_json_string_characteristics(api: Api) -> None:
    data = [
        ("tune[title]", "append form"), ("tune[name]", "man"),
        ("tune[characteristics]", '{"short_description": "tall"}'),
        ("tune[prompts_attributes][][text]", "first {{short_description}}"),
        ("tune[prompts_attributes][][num_images]", "3"),
        ("tune[prompts_attributes][][text]", "second"),
    ]
    tune = api.post("/tunes", data=data, files=image_parts(1)).json()
    assert tune["characteristics"] == {"short_description": "tall"}
    prompts = api.get(f"/tunes/{tune['id']}/prompts").json()
    assert [(p["text"], p["num_images"]) for p in prompts] == [("second", 1), ("first tall", 3)]


def test_create_by_json_and_by_urlencoded(api: Api) -> None:
    by_json = api.post("/tunes", json={"tune": {
        "title": "json", "name": "dog", "branch": "sd15",
        "image_urls": ["https://example.com/1.jpg", "https://example.com/2.jpg"],
        "prompts_attributes": [{"text": "sks dog", "seed": 7}]}})
    assert by_json.status_code == 201, by_json.text
    tune = by_json.json()
    assert tune["token"] == "sks" and tune["model_type"] is None
    assert tune["orig_images"] == ["https://example.com/1.jpg", "https://example.com/2.jpg"]
    form = api.post("/tunes", data={"tune[title]": "form", "tune[name]": "cat",
                                    "tune[image_urls][]": ["https://example.com/c.jpg"],
                                    "tune[auto_extend]": "TRUE", "tune[branch]": "fast"})
    assert form.status_code == 201, form.text
    assert form.json()["auto_extend"] is True and form.json()["branch"] == "fast"
    bare = api.post("/tunes", json={"title": "bare", "name": "man",
                                    "image_urls": ["https://example.com/x.jpg"]})
    assert bare.status_code == 201 and bare.json()["title"] == "bare"


def test_retrieve_list_json_suffix_and_filters(api: Api) -> None:
    a = api.make_tune("Alpha session", name="man", branch="flux1")
    b = api.make_tune("beta session", name="woman", branch="sd15")
    c = api.make_tune("gamma", name="dog", branch="fast")
    assert api.get(f"/tunes/{a['id']}").json()["title"] == "Alpha session"
    assert api.get(f"/tunes/{a['id']}.json").json()["id"] == a["id"]
    ids = [t["id"] for t in api.get("/tunes").json()]
    assert ids == [c["id"], b["id"], a["id"]]
    assert [t["id"] for t in api.get("/tunes.json").json()] == ids
    assert [t["id"] for t in api.get("/tunes", params={"title": "SESSION"}).json()] == [
        b["id"], a["id"]]
    assert [t["id"] for t in api.get("/tunes", params={"name[]": ["dog", "man"]}).json()] == [
        c["id"], a["id"]]
    assert [t["id"] for t in api.get("/tunes", params={"branch": "sd15"}).json()] == [b["id"]]
    assert [t["id"] for t in api.get("/tunes", params={"model_type": "lora"}).json()] == [
        a["id"]]
    assert api.get("/tunes/999999999").status_code == 404


def test_accounts_are_isolated(sandbox: Sandbox, api: Api) -> None:
    mine = api.make_tune("mine")
    other = Api(sandbox.url, sandbox.create_user())
    assert other.get("/tunes").json() == []
    assert other.get(f"/tunes/{mine['id']}").status_code == 404
    assert other.delete(f"/tunes/{mine['id']}").status_code == 404


def test_patch_tune(api: Api) -> None:
    tune = api.make_tune("before")
    response = api.patch(f"/tunes/{tune['id']}", data={
        "tune[title]": "after", "tune[characteristics]": '{"eye_color": "blue eyes"}'})
    assert response.status_code == 200
    assert api.get(f"/tunes/{tune['id']}").json()["title"] == "after"
    assert response.json()["characteristics"] == {"eye_color": "blue eyes"}


def test_delete_cascades_to_prompts_and_files(api: Api) -> None:
    response = api.post("/tunes", data={"tune[title]": "doomed", "tune[name]": "man",
                                        "tune[prompts_attributes][0][text]": "a"},
                        files=image_parts(2))
    tune = response.json()
    prompt = api.get(f"/tunes/{tune['id']}/prompts").json()[0]
    deleted = api.delete(f"/tunes/{tune['id']}")
    assert deleted.status_code == 200 and "deleted" in deleted.json()["message"]
    assert api.get(f"/tunes/{tune['id']}").status_code == 404
    assert api.get(f"/prompts/{prompt['id']}").status_code == 404
    assert requests.get(tune["orig_images"][0], timeout=10).status_code == 404


def test_gallery_tunes(api: Api) -> None:
    gallery = api.get("/gallery/tunes", params={"limit": 200}).json()
    by_id = {t["id"]: t for t in gallery}
    assert {1504944, 690204, 666678} <= set(by_id)
    assert by_id[1504944]["title"] == "Flux1.dev" and by_id[1504944]["branch"] == "flux1"
    assert by_id[1504944]["trained_at"] is not None and by_id[1504944]["expires_at"] is None
    flux = api.get("/gallery/tunes", params={"branch": "flux1"}).json()
    assert {t["branch"] for t in flux} == {"flux1"}
    assert api.get("/tunes/1504944").status_code == 200
    assert api.delete("/tunes/1504944").status_code == 403
    assert 1504944 not in [t["id"] for t in api.get("/tunes").json()]


def test_account(api: Api) -> None:
    me = api.get("/users").json()
    assert {"id", "name", "email", "usd_balance_mc", "purchased_plugin_at"} <= set(me)
    assert isinstance(me["usd_balance_mc"], int)
