"""``POST /themes`` (API notes 2.12), in plain HTTP."""

from __future__ import annotations

from sandbox_helpers import Api

from astria_widgets.sandbox import Sandbox


def _texts(api: Api, tune_id: int) -> list[tuple[str, int]]:
    prompts = api.get(f"/tunes/{tune_id}/prompts", params={"limit": 120}).json()
    return sorted((p["text"], p["seed"]) for p in prompts)


def test_themes_create_ten_prompts_per_tune(api: Api) -> None:
    man = api.make_tune("theme man", name="man", branch="sd15")
    lora = api.make_tune("theme lora", name="woman", branch="flux1")
    response = api.post("/themes", json={"theme": "1920s jazz club",
                                          "tune_ids": [man["id"], lora["id"]],
                                          "prompt_attributes": {"num_images": 2}})
    assert response.status_code == 201 and response.content == b""
    for tune in (man, lora):
        prompts = api.get(f"/tunes/{tune['id']}/prompts", params={"limit": 120}).json()
        assert len(prompts) == 10
        assert all("1920s jazz club" in p["text"] and p["theme"] == "1920s jazz club"
                   and p["num_images"] == 2 for p in prompts)
        assert len({p["text"] for p in prompts}) == 10
    lora_text = api.get(f"/tunes/{lora['id']}/prompts").json()[0]["text"]
    assert lora_text.startswith(f"<lora:{lora['id']}:1> ohwx woman")
    first = api.get(f"/tunes/{man['id']}/prompts").json()[0]["id"]
    done = api.wait(f"/tunes/{man['id']}/prompts/{first}", lambda p: bool(p["images"]))
    assert len(done["images"]) == 2


def test_themes_are_deterministic_and_accept_the_wrapped_form(api: Api, sandbox: Sandbox) -> None:
    mine = api.make_tune("theme a", name="dog")
    other = Api(sandbox.url, sandbox.create_user())
    theirs = other.make_tune("theme b", name="dog")
    assert api.post("/themes", data={"theme[theme]": "space opera",
                                     "theme[tune_ids][]": [str(mine["id"])]}).status_code == 201
    assert other.post("/themes", json={"theme": {"theme": "space opera",
                                                 "tune_ids": [theirs["id"]]}}).status_code == 201
    ours = [t.replace(str(mine["id"]), "ID") for t, _ in _texts(api, mine["id"])]
    their = [t.replace(str(theirs["id"]), "ID") for t, _ in _texts(other, theirs["id"])]
    assert ours == their  # same theme and class: the same ten texts


def test_theme_mistakes_are_422_and_create_nothing(api: Api, sandbox: Sandbox) -> None:
    mine = api.make_tune("theme c")
    theirs = Api(sandbox.url, sandbox.create_user()).make_tune("not yours")
    response = api.post("/themes", json={"theme": " ", "tune_ids": [mine["id"], theirs["id"]],
                                         "prompt_attributes": {"text": "x", "w": 100}})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["theme"] == ["can't be blank"]
    assert errors["tune_ids"] == [f"tune {theirs['id']} does not exist or is not yours"]
    assert "text cannot be set" in errors["prompt_attributes"][0]
    typo = api.post("/themes", json={"theme": "noir", "tuen_ids": [mine["id"]]})
    assert typo.status_code == 422 and "tuen_ids" in typo.json()["errors"]["tune_ids"][0]
    bad_size = api.post("/themes", json={"theme": "noir", "tune_ids": [mine["id"]],
                                         "prompt_attributes": {"w": 100}})
    assert bad_size.status_code == 422
    assert bad_size.json()["errors"] == {"prompt_attributes[w]": ["must be a multiple of 8"]}
    assert api.get("/prompts").json() == []
