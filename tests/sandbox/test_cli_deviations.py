"""The deviations found by running Astria's official CLI (v1.14) against the sandbox (issue 19,
part 4), each in plain HTTP: the request is what the CLI sends (``astriaai/cli``, file
``astria``, commit 6b093a8) or what the docs show (``astriaai/astria-docs``, ``docs/...``), and
the expected answer is what those sources say. Sources are named in a comment on each test.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import av
import pytest
import requests
from sandbox_helpers import Api, image_parts, jpeg

from astria_widgets.sandbox import Sandbox

FLUX = 1504944
GPT_IMAGE_2 = 4665564


def _done(prompt: dict) -> bool:
    return bool(prompt["images"] or prompt["user_error"])


def _finished(api: Api, prompt: dict) -> dict:
    done = api.wait(f"/prompts/{prompt['id']}", _done)
    assert done["images"], done
    return done


def _bytes(url: str) -> bytes:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, url
    return response.content


# -- expand[]=prompt.debug_images --------------------------------------------------------------
# CLI `astria`: `prompts list` and `prompts get` take `--expand` with
# choices=["debug_images", "prompt.debug_images"] and send each as `expand[]`
# (cmd_prompts_list, cmd_prompts_get); cmd_prompts_list then reads debug_images,
# debug_filenames and debug_content_types from every prompt.


@pytest.mark.parametrize("value", ["debug_images", "prompt.debug_images"])
def test_expand_accepts_both_spellings_the_cli_offers(api: Api, value: str) -> None:
    prompt = api.post(f"/tunes/{FLUX}/prompts", data={"prompt[text]": "a kite"}).json()
    listed = api.get("/prompts", params={"expand[]": value})
    assert listed.status_code == 200, listed.text
    one = api.get(f"/tunes/{FLUX}/prompts/{prompt['id']}", params={"expand[]": value})
    assert one.status_code == 200, one.text
    for record in (listed.json()[0], one.json()):
        assert {"debug_images", "debug_filenames", "debug_content_types"} <= set(record)
    assert "debug_images" not in api.get(f"/prompts/{prompt['id']}").json()
    unknown = api.get("/prompts", params={"expand[]": "prompt.nothing"})
    assert unknown.status_code == 400 and "expand" in unknown.json()["error"]


# -- X-Workspace-Id: personal -------------------------------------------------------------------
# CLI `astria`: `-w/--workspace` help "workspace id, 'all', or 'personal'" (build_parser,
# ws_parent); `tunes list` passes args.workspace to request() unchanged (cmd_tunes_list), and
# request() sends it as the X-Workspace-Id header, so `astria tunes list -w personal` sends
# `X-Workspace-Id: personal`. API notes 1.3: "personal" means the personal scope.


def test_the_personal_workspace_header_is_the_personal_scope(api: Api) -> None:
    workspace = api.post("/workspaces.json", json={"workspace": {"title": "shop"}}).json()
    in_shop = api.post("/tunes", json={"tune": {
        "title": "in shop", "name": "dress", "image_urls": ["https://example.com/a.jpg"]}},
        headers={"X-Workspace-Id": str(workspace["id"])}).json()
    assert in_shop["workspace_id"] == workspace["id"]
    personal = {"X-Workspace-Id": "personal"}
    mine = api.post("/tunes", json={"tune": {
        "title": "mine", "name": "man", "image_urls": ["https://example.com/a.jpg"]}},
        headers=personal)
    assert mine.status_code == 201, mine.text
    assert mine.json()["workspace_id"] is None
    listed = api.get("/tunes", headers=personal)
    assert listed.status_code == 200, listed.text
    assert [t["title"] for t in listed.json()] == ["mine"]
    assert api.get("/prompts", headers={"X-Workspace-Id": "Personal"}).status_code == 200
    bad = api.get("/tunes", headers={"X-Workspace-Id": "shop"})
    assert bad.status_code == 400 and "personal" in bad.json()["error"]


# -- per-model resolutions ----------------------------------------------------------------------
# Docs `docs/api/1-prompt/1-create.md`, `resolution`: "Availability depends on the selected
# foundation model; unsupported combinations return a validation error." CLI `astria`:
# resolution_help "see 'astria models' for each model's set" (the `resolutions` of each
# /cli/models entry); `packs run --resolution` sends tune[prompt_attributes][resolution]
# (prompt_attribute_overrides).


def test_each_catalogue_model_takes_only_its_resolutions(api: Api) -> None:
    models = api.get("/cli/models").json()["models"]
    assert models["gpt-image-2"]["tune_id"] == GPT_IMAGE_2
    assert models["gpt-image-2"]["resolutions"] == ["1K", "2K"]
    tried = 0
    for name, entry in models.items():
        for resolution in ("1K", "2K", "4K"):
            response = api.post(f"/tunes/{entry['tune_id']}/prompts", data={
                "prompt[text]": "a red bicycle", "prompt[resolution]": resolution})
            tried += 1
            if resolution in entry["resolutions"]:
                assert response.status_code == 201, (name, resolution, response.text)
                assert response.json()["resolution"] == resolution
            else:
                assert response.status_code == 422, (name, resolution)
                message = response.json()["errors"]["resolution"][0]
                assert name in message and ", ".join(entry["resolutions"]) in message
    assert tried == 3 * len(models)


def test_a_tune_on_a_catalogue_model_keeps_its_resolutions(api: Api) -> None:
    reference = api.post("/tunes", data={
        "tune[title]": "jane", "tune[name]": "woman", "tune[model_type]": "faceid",
        "tune[base_tune_id]": str(GPT_IMAGE_2)}, files=image_parts(1))
    assert reference.status_code == 201, reference.text
    tune = reference.json()
    direct = api.post(f"/tunes/{tune['id']}/prompts",
                      data={"prompt[text]": "portrait", "prompt[resolution]": "4K"})
    assert direct.status_code == 422 and "resolution" in direct.json()["errors"]
    pack = api.post("/packs", json={"pack": {"title": "gpt pack", "base_tune_id": GPT_IMAGE_2,
                                             "model_type": "faceid"}}).json()
    template = api.post(f"/tunes/{GPT_IMAGE_2}/prompts", data={
        "prompt[text]": f"<faceid:{tune['id']}:1> woman on a beach",
        "prompt[pack_id]": str(pack["id"])})
    assert template.status_code == 201, template.text
    run = api.post(f"/p/{pack['slug']}/tunes", data={
        "tune[tune_ids][]": str(tune["id"]), "tune[prompt_attributes][resolution]": "4K"})
    assert run.status_code == 422, run.text
    assert "prompt_attributes[resolution]" in run.json()["errors"]
    ok = api.post(f"/p/{pack['slug']}/tunes", data={
        "tune[tune_ids][]": str(tune["id"]), "tune[prompt_attributes][resolution]": "2K"})
    assert ok.status_code == 201, ok.text


# -- legacy video switches in the text ----------------------------------------------------------
# Docs `docs/features/video.md` "Backwards compatibility": the flags inside `text` are "still
# accepted and promoted to the new columns server-side", example
# `... --video --video_model seedance_v15_720p --duration 5 --video_prompt "..."`; the same note
# in `docs/api/1-prompt/1-create.md` (Video) and `docs/0-changes.md` 2026-04-29.
# `docs/api/1-prompt/3-duplicate.md` "Video Generation from an existing prompt image":
# `-F image_index=0 -F prompt[text]="... --video --video_prompt \"smiling, put their hands
# on hips\""`.


def test_legacy_video_switches_become_the_video_fields(api: Api) -> None:
    text = ("ohwx woman hiking in the alps --video --video_model seedance_v15_720p "
            '--duration 5 --video_prompt "Woman looking at the camera, smiling, confident"')
    created = api.post(f"/tunes/{FLUX}/prompts", data={"prompt[text]": text})
    assert created.status_code == 201, created.text
    prompt = created.json()
    assert prompt["is_video"] is True and prompt["video_model"] == "seedance_v15_720p"
    assert prompt["video_duration"] == 5
    assert prompt["video_prompt"] == "Woman looking at the camera, smiling, confident"
    assert prompt["text"] == "ohwx woman hiking in the alps"
    done = _finished(api, prompt)
    assert done["images"][0].endswith(".mp4")
    # a form field wins over the same switch in the text
    both = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "a fox --video --video_model kling25 --video_prompt 'it runs'",
        "prompt[video_model]": "seedance_480p"}).json()
    assert (both["video_model"], both["video_prompt"], both["text"]) == (
        "seedance_480p", "it runs", "a fox")
    wrong = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "a fox --video --video_model no_such_model --video_prompt runs"})
    assert wrong.status_code == 422 and "video_model" in wrong.json()["errors"]


def test_the_duplicate_doc_example_turns_an_image_into_a_video(api: Api) -> None:
    original = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "a painting of ohwx man in the style of Van Gogh",
        "prompt[seed]": "7", "prompt[num_images]": "2"}).json()
    original = _finished(api, original)
    copy = api.post(f"/prompts/{original['id']}/duplicate", data={
        "image_index": "0",
        "prompt[text]": 'a painting of ohwx man in the style of Van Gogh --video '
                        '--video_prompt "smiling, put their hands on hips"'})
    assert copy.status_code == 201, copy.text
    video = copy.json()
    default_model = api.get("/cli/models").json()["default_video_model"]
    assert video["is_video"] is True and video["video_model"] == default_model
    assert video["video_prompt"] == "smiling, put their hands on hips"
    assert video["text"] == "a painting of ohwx man in the style of Van Gogh"
    # image_index: the first frame is the original's image 0, not a new image
    assert _bytes(video["video_first_frame"]) == _bytes(original["images"][0])
    assert _finished(api, video)["images"][0].endswith(".mp4")


# -- a reference to an expired tune -------------------------------------------------------------
# Docs `docs/api/0-overview.md` and API notes 5.6/3.1: models are deleted 30 days after
# training (`expires_at`); LoRA/FaceID prompts run on a base tune with the user's tune
# referenced as `<lora:ID:w>` / `<faceid:ID:w>` in the text (`docs/features/lora.md`,
# `docs/features/faceid.md`). A prompt on the expired tune itself and a pack run on it
# (`POST /p/:id/tunes` with tune_ids, CLI `packs run --tune-id`) are refused; so is a prompt on
# the base model that references it.

PINNED = datetime(2025, 6, 15, 12, tzinfo=timezone.utc)


@pytest.fixture
def driven(tmp_path: Path) -> Iterator[tuple[Api, list[float]]]:
    """A sandbox whose clock the test moves (``at[0]``), and an account on it."""
    at = [PINNED.timestamp()]
    with Sandbox(data_dir=tmp_path, speed=600, now=lambda: at[0]) as sb:
        yield Api(sb.url, sb.api_key), at


def test_an_expired_tune_is_refused_however_it_is_referenced(
        driven: tuple[Api, list[float]]) -> None:
    api, at = driven
    tune = api.post("/tunes", data={"tune[title]": "old", "tune[name]": "man",
                                    "tune[model_type]": "faceid",
                                    "tune[base_tune_id]": str(FLUX)},
                    files=image_parts(1)).json()  # faceid: trained at creation
    pack = api.post("/packs", json={"pack": {"title": "suits", "base_tune_id": FLUX,
                                             "model_type": "faceid"}}).json()
    template = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": f"<faceid:{tune['id']}:1> man in a suit",
        "prompt[pack_id]": str(pack["id"])})
    assert template.status_code == 201, template.text
    at[0] += 31 * 86_400  # past the 30-day storage
    assert api.get(f"/tunes/{tune['id']}").json()["expires_at"] < "2025-07-16"
    direct = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "man"})
    run = api.post(f"/p/{pack['id']}/tunes", data={"tune[tune_ids][]": str(tune["id"])})
    on_base = api.post(f"/tunes/{FLUX}/prompts",
                       data={"prompt[text]": f"<lora:{tune['id']}:1> man on a boat"})
    for response in (direct, run, on_base):
        assert response.status_code == 422, response.text
        assert "expired" in response.json()["error"]
    assert "text" in on_base.json()["errors"]
    assert [p["id"] for p in api.get("/prompts").json()] == [template.json()["id"]]


# -- generated audio ----------------------------------------------------------------------------
# CLI `astria`: `video --generate-audio/--no-generate-audio` sends prompt[generate_audio]
# true/false (_generate); docs `docs/api/1-prompt/1-create.md` `video_audio`: "Generate an
# audio track when the selected model supports generated audio, including seedance2_*";
# `docs/features/video.md` capability matrix "Generated audio (video_audio=true): seedance2_*".


def _streams(url: str) -> tuple[list[str], float]:
    with av.open(io.BytesIO(_bytes(url))) as container:
        kinds = [s.type for s in container.streams]
        for _ in container.decode(*container.streams):  # every packet decodes
            pass
        return kinds, container.duration / av.time_base


@pytest.mark.parametrize(("flag", "audio"), [("true", True), ("false", False)])
def test_generate_audio_gives_the_mp4_a_soundtrack(api: Api, flag: str, audio: bool) -> None:
    created = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "a drummer on a stage", "prompt[num_images]": "1",
        "prompt[video_model]": "seedance2_fast_480p", "prompt[video_duration]": "4",
        "prompt[video_prompt]": "plays a fast beat", "prompt[generate_audio]": flag})
    assert created.status_code == 201, created.text
    assert created.json()["video_audio"] is audio
    kinds, seconds = _streams(_finished(api, created.json())["images"][0])
    assert kinds == (["video", "audio"] if audio else ["video"])
    assert seconds == pytest.approx(4, abs=0.5)


# -- wan-2-7 ------------------------------------------------------------------------------------
# CLI `README.md` Quickstart and the `generate` epilog of `astria`:
# `astria generate --model wan-2-7 --text "plain white background" --reference "dress=./dress.jpg"
# --reference "woman=./woman.jpg" --num-images 1 --wait`. resolve_model reads the tune id from
# /cli/models `models[name].tune_id`; create_reference_mentions posts each reference as a
# faceid tune (tune[model_type]=faceid, tune[base_tune_id]=<model>, tune[images][]=@file) and
# prepends `<faceid:ID:1> NAME` to the text; _generate posts prompt[text], prompt[num_images]
# and prompt[aspect_ratio] (default 3:4) to /tunes/<model>/prompts. Docs `docs/0-changes.md`
# 2026-04-02: "WAN 2.7 and WAN 2.7 Pro partner image models added".


def test_the_cli_readme_example_runs_on_wan_2_7(api: Api) -> None:
    models = api.get("/cli/models").json()["models"]
    wan = models["wan-2-7"]["tune_id"]
    assert "wan-2-7-pro" in models
    gallery = api.get("/gallery/tunes", params={"branch": "partner-1"}).json()
    assert wan in {t["id"] for t in gallery}
    mentions = []
    for name in ("dress", "woman"):
        reference = api.post("/tunes", data={
            "tune[title]": name, "tune[name]": name, "tune[model_type]": "faceid",
            "tune[base_tune_id]": str(wan)},
            files=[("tune[images][]", (f"{name}.jpg", jpeg(), "image/jpeg"))])
        assert reference.status_code == 201, reference.text
        mentions.append(f"<faceid:{reference.json()['id']}:1> {name}")
    prompt = api.post(f"/tunes/{wan}/prompts", data={
        "prompt[text]": " ".join(mentions) + " plain white background",
        "prompt[num_images]": "1", "prompt[aspect_ratio]": "3:4"})
    assert prompt.status_code == 201, prompt.text
    assert len(_finished(api, prompt.json())["images"]) == 1


# -- smaller ------------------------------------------------------------------------------------
# CLI `astria`: `tunes list --title` help "filter by title / product name / SKU substring",
# sent as the `title` query parameter (cmd_tunes_list); `tunes create --description` stores
# tune[characteristics] as a JSON string (cmd_tunes_create). API notes 2.1: characteristics is
# a free-form key -> string map; the sandbox reads the product name and SKU from its
# `product_name` and `sku` keys.


def test_the_title_filter_also_matches_product_name_and_sku(api: Api) -> None:
    api.make_tune("Brown dress", name="dress", characteristics='{"product_name": '
                  '"Satin slip dress", "SKU": "BD-4471", "short_description": "silk"}')
    api.make_tune("Gold ring", name="ring", characteristics={"sku": "GR-0012"})
    api.make_tune("Green coat", name="coat")

    def titles(value: str) -> list[str]:
        response = api.get("/tunes", params={"title": value})
        assert response.status_code == 200, response.text
        return [t["title"] for t in response.json()]

    assert titles("bd-4471") == ["Brown dress"]
    assert titles("slip") == ["Brown dress"]
    assert titles("GR-00") == ["Gold ring"]
    assert titles("green") == ["Green coat"]
    assert titles("silk") == []  # a description is not a product name or SKU


# Docs `docs/api/1-prompt/3-duplicate.md` `image_index`: "re-use the existing image from the
# original prompt" instead of creating the image again.


def test_a_duplicate_with_image_index_reuses_that_image(api: Api) -> None:
    original = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "a lighthouse at dusk", "prompt[seed]": "3",
        "prompt[num_images]": "2"}).json()
    original = _finished(api, original)
    first, second = (_bytes(url) for url in original["images"])
    plain = _finished(api, api.post(f"/prompts/{original['id']}/duplicate").json())
    assert _bytes(plain["images"][0]) == first  # the same seed draws the same image 0
    reused = api.post(f"/prompts/{original['id']}/duplicate",
                      data={"image_index": "1", "prompt[num_images]": "1"})
    assert reused.status_code == 201, reused.text
    reused = _finished(api, reused.json())
    assert _bytes(reused["images"][0]) == second


# API notes 2.9 / 5.7: a pack run answers an `order` whose id identifies the charged order
# (CLI README "Pricing": use order.total_cost_mc after a run); a refused run (422) charges and
# orders nothing, so it takes no order id.


def test_refused_pack_runs_take_no_order_id(api: Api) -> None:
    man = api.make_tune("for the pack", name="man")
    first = api.post("/p/fantasy-portraits/tunes", json={"tune": {"tune_ids": [man["id"]]}})
    assert first.status_code == 201, first.text
    refused = [
        api.post("/p/fantasy-portraits/tunes", json={"tune": {"tune_ids": [1]}}),
        api.post("/p/fantasy-portraits/tunes", json={"tune": {
            "title": "x", "name": "dog", "image_urls": ["https://example.com/a.jpg"]}}),
        api.post("/p/fantasy-portraits/tunes", json={"tune": {"title": "x", "name": "man"}}),
    ]
    assert [r.status_code for r in refused] == [422, 422, 422]
    second = api.post("/p/fantasy-portraits/tunes", json={"tune": {"tune_ids": [man["id"]]}})
    trained = api.post("/p/fantasy-portraits/tunes", json={"tune": {
        "title": "y", "name": "man", "image_urls": ["https://example.com/a.jpg"],
        "branch": "fast"}})
    assert second.status_code == trained.status_code == 201, trained.text
    order = first.json()["order"]["id"]
    assert second.json()["order"]["id"] == order + 1
    assert trained.json()["order"]["id"] == order + 2
