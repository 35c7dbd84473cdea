"""Workspaces and the X-Workspace-Id header (API notes 1.3, 2.13), in plain HTTP."""

from __future__ import annotations

from sandbox_helpers import Api

from astria_widgets.sandbox import Sandbox


def _workspace(api: Api, title: str) -> dict:
    response = api.post("/workspaces.json", json={"workspace": {"title": title}})
    assert response.status_code == 201, response.text
    return response.json()


def test_list_and_create_workspaces(api: Api) -> None:
    assert api.get("/workspaces.json").json() == []
    first = _workspace(api, "Client shoots")
    second = _workspace(api, "Studio")
    listed = api.get("/workspaces").json()
    assert [(w["id"], w["title"]) for w in listed] == [(first["id"], "Client shoots"),
                                                        (second["id"], "Studio")]
    assert first["slug"].startswith("client-shoots") and first["slug"] != second["slug"]
    blank = api.post("/workspaces.json", json={"workspace": {"title": " "}})
    assert blank.status_code == 422 and "title" in blank.json()["errors"]


def test_a_prompt_is_listed_in_its_workspace_only(api: Api) -> None:
    one, two = _workspace(api, "one"), _workspace(api, "two")
    tune = api.make_tune("ws tune")
    created = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "in one"},
                       headers={"X-Workspace-Id": str(one["id"])})
    assert created.status_code == 201 and created.json()["workspace_id"] == one["id"]
    personal = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "personal"})
    assert personal.json()["workspace_id"] is None

    def texts(path: str, header: str | None) -> list[str]:
        headers = {"X-Workspace-Id": header} if header is not None else {}
        response = api.get(path, headers=headers)
        assert response.status_code == 200, response.text
        return [p["text"] for p in response.json()]

    for path in ("/prompts", f"/tunes/{tune['id']}/prompts"):
        assert texts(path, str(one["id"])) == ["in one"]
        assert texts(path, str(two["id"])) == []
        assert texts(path, None) == ["personal"]
        assert texts(path, "all") == ["personal", "in one"]
    # reading one prompt by id works from any scope
    pid = created.json()["id"]
    assert api.get(f"/prompts/{pid}", headers={"X-Workspace-Id": str(two["id"])}).ok


def test_body_workspace_id_wins_and_patch_moves(api: Api) -> None:
    one, two = _workspace(api, "one"), _workspace(api, "two")
    tune = api.make_tune("ws body")
    created = api.post(f"/tunes/{tune['id']}/prompts",
                       json={"prompt": {"text": "body", "workspace_id": two["id"]}},
                       headers={"X-Workspace-Id": str(one["id"])}).json()
    assert created["workspace_id"] == two["id"]
    moved = api.patch(f"/tunes/{tune['id']}/prompts/{created['id']}",
                      data={"prompt[workspace_id]": str(one["id"])})
    assert moved.status_code == 200 and moved.json()["workspace_id"] == one["id"]
    listed = api.get("/prompts", headers={"X-Workspace-Id": str(one["id"])}).json()
    assert [p["id"] for p in listed] == [created["id"]]


def test_workspaces_of_others_or_nobody_are_refused(api: Api, sandbox: Sandbox) -> None:
    other = Api(sandbox.url, sandbox.create_user())
    theirs = _workspace(other, "theirs")
    tune = api.make_tune("ws refused")
    for header in (str(theirs["id"]), "987654321"):
        listed = api.get("/prompts", headers={"X-Workspace-Id": header})
        assert listed.status_code == 404 and "Workspace" in listed.json()["error"]
        created = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "x"},
                           headers={"X-Workspace-Id": header})
        assert created.status_code == 404
    assert api.get(f"/workspaces/{theirs['id']}.json").status_code == 404
    bad = api.get("/tunes", headers={"X-Workspace-Id": "my shop"})  # `personal` is a scope
    assert bad.status_code == 400 and "X-Workspace-Id" in bad.json()["error"]
    prompt = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "mine"}).json()
    moved = api.patch(f"/prompts/{prompt['id']}", json={"prompt": {"workspace_id": 424242}})
    assert moved.status_code == 422
    assert "424242" in moved.json()["errors"]["workspace_id"][0]
    body = api.post(f"/tunes/{tune['id']}/prompts",
                    json={"prompt": {"text": "x", "workspace_id": theirs["id"]}})
    assert body.status_code == 422 and "workspace_id" in body.json()["errors"]
    # nothing landed anywhere
    assert [p["text"] for p in api.get("/prompts", headers={"X-Workspace-Id": "all"}).json()] \
        == ["mine"]


def test_tunes_are_scoped_and_their_prompts_follow(api: Api) -> None:
    ws = _workspace(api, "tunes")
    headers = {"X-Workspace-Id": str(ws["id"])}
    response = api.post("/tunes", headers=headers, json={"tune": {
        "title": "scoped", "name": "man", "image_urls": ["https://example.com/a.jpg"],
        "prompts_attributes": [{"text": "with the tune"}]}})
    assert response.status_code == 201 and response.json()["workspace_id"] == ws["id"]
    personal = api.make_tune("personal tune")
    assert [t["title"] for t in api.get("/tunes", headers=headers).json()] == ["scoped"]
    assert [t["title"] for t in api.get("/tunes").json()] == ["personal tune"]
    assert {t["id"] for t in api.get("/tunes", headers={"X-Workspace-Id": "all"}).json()} == {
        response.json()["id"], personal["id"]}
    assert [p["text"] for p in api.get("/prompts", headers=headers).json()] == ["with the tune"]


def test_workspace_update(api: Api) -> None:
    ws = _workspace(api, "landing")
    changed = api.patch(f"/workspaces/{ws['id']}.json",
                        json={"workspace": {"landing_page_html": "<h1>Hi</h1>", "brief": "b"}})
    assert changed.status_code == 200
    again = api.get(f"/workspaces/{ws['id']}.json").json()
    assert again["landing_page_html"] == "<h1>Hi</h1>" and again["brief"] == "b"
