"""Every documented list filter of tunes and prompts (API notes 2.2, 2.6, 2.8) works or is 400."""

from __future__ import annotations

from datetime import datetime

import pytest
from sandbox_helpers import Api

from astria_widgets.sandbox import Sandbox

DAY = 86_400.0


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _ids(api: Api, path: str, **params: object) -> list[int]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()]


def test_prompt_filters(api: Api, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    tune = api.make_tune("filters")
    a = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "alpha"}).json()
    b = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "beta"}).json()
    assert a["is_api"] is True and b["is_api"] is True
    assert api.post(f"/prompts/{a['id']}/likes").status_code == 201
    assert _ids(api, "/prompts", liked="true") == [a["id"]]
    assert _ids(api, "/prompts", liked="false") == [b["id"]]
    assert _ids(api, "/prompts", is_api="true") == [b["id"], a["id"]]
    assert _ids(api, "/prompts", is_api="false") == []
    me = api.get("/users").json()["id"]
    assert _ids(api, "/prompts", user_id=me) == [b["id"], a["id"]]
    assert _ids(api, "/prompts", user_id=me + 1) == []
    assert _ids(api, "/prompts", text="ALP") == [a["id"]]
    assert _ids(api, "/prompts", tune_id=tune["id"]) == [b["id"], a["id"]]
    assert _ids(api, "/prompts", is_video="true") == []
    # "today" is the UTC day of the sandbox clock: pin the clock to the prompts' own instant,
    # then to the next day.
    created = _epoch(b["created_at"])
    monkeypatch.setattr(sandbox.state, "now", lambda: created)
    assert set(_ids(api, "/prompts", today="true")) >= {b["id"]}
    assert b["id"] not in _ids(api, "/prompts", today="false")
    monkeypatch.setattr(sandbox.state, "now", lambda: created + DAY)
    assert _ids(api, "/prompts", today="true") == []
    assert _ids(api, "/prompts", today="false") == [b["id"], a["id"]]


@pytest.mark.parametrize(("path", "params"), [
    ("/prompts", {"user_id": "me"}), ("/prompts", {"pack_id": "x"}),
    ("/prompts", {"base_pack_id": "1.5"}), ("/prompts", {"tune_id": "a"}),
    ("/prompts", {"orig_prompt_id": "z"}), ("/prompts", {"order_id": "q"}),
    ("/prompts", {"today": "yesterday"}), ("/prompts", {"is_api": "web"}),
    ("/prompts", {"expand[]": "everything"}), ("/tunes", {"model_type": "dreambooth"}),
    ("/gallery/tunes", {"model_type": "x"}), ("/tunes", {"limit": "many"}),
])
def test_a_bad_filter_value_is_400_naming_it(api: Api, path: str, params: dict) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 400, response.text
    assert list(params)[0].rstrip("[]") in response.json()["error"]


def test_expand_on_retrieve(api: Api) -> None:
    tune = api.make_tune("expand")
    prompt = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "x"}).json()
    for path in (f"/prompts/{prompt['id']}", f"/tunes/{tune['id']}/prompts/{prompt['id']}"):
        shown = api.get(path, params={"expand[]": ["debug_images", "prompt.comments"]}).json()
        assert shown["debug_images"] == [] and shown["comments"] == []
        refused = api.get(path, params={"expand[]": "secrets"})
        assert refused.status_code == 400 and "expand[]" in refused.json()["error"]


def test_tune_filters(api: Api) -> None:
    lora = api.make_tune("Lora Anna", name="woman", branch="flux1")
    ckpt = api.make_tune("ckpt bob", name="man", branch="sd15")
    assert _ids(api, "/tunes", title="anna") == [lora["id"]]
    assert _ids(api, "/tunes", **{"name[]": ["man", "dog"]}) == [ckpt["id"]]
    assert _ids(api, "/tunes", model_type="lora") == [lora["id"]]
    assert _ids(api, "/tunes", model_type="checkpoint") == [ckpt["id"]]
    assert _ids(api, "/tunes", branch="sd15") == [ckpt["id"]]
    partner = _ids(api, "/gallery/tunes", branch="partner-1")
    assert partner, "the gallery has partner-1 tunes"


def test_the_filter_table_names_every_documented_filter() -> None:
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "SANDBOX.md").read_text()
    for name in ("title", "name[]", "model_type", "branch", "before_id", "limit", "offset",
                 "text", "pack_id", "base_pack_id", "tune_id", "user_id", "orig_prompt_id",
                 "order_id", "liked", "today", "is_video", "is_api", "expand[]", "public",
                 "listed", "X-Workspace-Id"):
        assert f"| `{name}`" in text, name
