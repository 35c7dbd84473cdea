"""Client methods for workspaces, tune/prompt updates, packs and themes, against the sandbox."""

from __future__ import annotations

import pytest

from astria_widgets.client import AstriaClient, InputError, ValidationError
from astria_widgets.client.errors import NotFoundError

FLUX = 1504944


def test_workspace_setting_scopes_lists_and_creates(client: AstriaClient) -> None:
    assert client.workspace_id is None and client.list_workspaces() == []
    shoots = client.create_workspace("Shoots")
    other = client.create_workspace("Other")
    assert [w["title"] for w in client.list_workspaces()] == ["Shoots", "Other"]
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"])
    client.workspace_id = shoots["id"]
    inside = client.create_prompt(tune["id"], "in the shoots workspace")
    assert inside["workspace_id"] == shoots["id"]
    assert [p["id"] for p in client.list_prompts()] == [inside["id"]]
    client.workspace_id = other["id"]
    assert client.list_prompts() == []
    client.workspace_id = "ALL"
    assert client.workspace_id == "all"
    assert [p["id"] for p in client.list_prompts()] == [inside["id"]]
    client.workspace_id = None
    assert client.list_prompts() == []
    assert [t["id"] for t in client.list_tunes()] == [tune["id"]]


def test_workspace_setting_is_checked(sandbox, api_key: str) -> None:
    with pytest.raises(InputError, match="workspace_id: 'personal' is not a workspace id"):
        AstriaClient(api_key=api_key, base_url=sandbox.url, workspace_id="personal")
    client = AstriaClient(api_key=api_key, base_url=sandbox.url, workspace_id=987654)
    with pytest.raises(NotFoundError, match="Workspace 987654"):
        client.list_prompts()
    with pytest.raises(InputError, match="title"):
        client.create_workspace("  ")


def test_update_tune_and_prompt(client: AstriaClient) -> None:
    tune = client.create_tune(name="man", title="before",
                              image_urls=["https://example.com/a.jpg"])
    changed = client.update_tune(tune["id"], title="after",
                                 characteristics={"eye_color": "blue eyes"})
    assert changed["title"] == "after" and changed["characteristics"] == {
        "eye_color": "blue eyes"}
    assert client.get_tune(tune["id"])["title"] == "after"
    with pytest.raises(InputError, match="give at least one"):
        client.update_tune(tune["id"])
    with pytest.raises(InputError, match="title"):
        client.update_tune(tune["id"], title=" ")
    pack = client.create_pack("My headshots", base_tune_id=FLUX, model_type="lora")
    assert pack["title"] == "My headshots" and pack["id"] in {
        p["id"] for p in client.list_packs()}
    prompt = client.create_prompt(tune["id"], "ohwx man, studio portrait")
    templated = client.update_prompt(prompt["id"], pack_id=pack["id"])
    assert templated["pack_id"] == pack["id"]
    assert [p["id"] for p in client.get_pack(pack["id"])["prompts_per_class"]["man"]] == [
        prompt["id"]]
    cleared = client.update_prompt(prompt["id"], tune_id=tune["id"], pack_id=None)
    assert cleared["pack_id"] is None
    plain = client.create_prompt(FLUX, "a plain landscape")
    with pytest.raises(ValidationError) as caught:
        client.update_prompt(plain["id"], pack_id=pack["id"])
    assert caught.value.errors["pack_id"] == ["Prompt is not using a fine-tuned model"]
    with pytest.raises(InputError, match="text: not a prompt field"):
        client.update_prompt(prompt["id"], text="new")


def test_create_theme(client: AstriaClient) -> None:
    tune = client.create_tune(name="woman", image_urls=["https://example.com/a.jpg"])
    assert client.create_theme("film noir", [tune["id"]], num_images=1) is None
    prompts = client.list_prompts(tune["id"], limit=120)
    assert len(prompts) == 10 and all("film noir" in p["text"] for p in prompts)
    with pytest.raises(InputError) as caught:
        client.create_theme("", ["x"])
    assert len(caught.value.problems) == 2


def test_video_prompt_through_the_client(client: AstriaClient) -> None:
    prompt = client.create_prompt(FLUX, "a kite", video_model="kling25",
                                  video_prompt="the kite climbs", video_duration=5)
    done = client.wait_for_prompt(None, prompt["id"], timeout=30)
    data = client.fetch_bytes(done["images"][0])
    assert data[4:8] == b"ftyp"  # an MP4 file
    with pytest.raises(ValidationError) as caught:
        client.create_prompt(FLUX, "x", video_model="nope", video_prompt="y")
    assert "video_model" in caught.value.errors
