"""Video prompts (API notes 2.7 "Video parameters", Appendix A), in plain HTTP."""

from __future__ import annotations

import io

import av
import pytest
import requests
from sandbox_helpers import Api, jpeg

from astria_widgets.sandbox import video

FLUX = 1504944


def _done(prompt: dict) -> bool:
    return bool(prompt["images"] or prompt["user_error"])


def test_a_video_prompt_gives_an_mp4_a_decoder_opens(api: Api) -> None:
    created = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "a lighthouse on a cliff", "prompt[video_model]": "kling25",
        "prompt[video_prompt]": "waves crash, the camera slowly orbits",
        "prompt[video_duration]": "10"})
    assert created.status_code == 201, created.text
    prompt = created.json()
    assert prompt["is_video"] is True and prompt["video_duration"] == 10
    assert prompt["cost_mc"] == 39_000 * 2  # 39 cents per 5 s (Appendix A), linear: 10 s
    done = api.wait(f"/prompts/{prompt['id']}", _done)
    assert len(done["images"]) == 1 and done["images"][0].endswith(".mp4")
    response = requests.get(done["images"][0], timeout=30)  # public, like the CDN
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "video/mp4"
    with av.open(io.BytesIO(response.content)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(video=0))
        assert stream.codec_context.name == "h264"
        assert len(frames) == 10 * video.FPS
        assert container.duration / av.time_base == pytest.approx(10, abs=0.5)
    assert api.get("/prompts", params={"is_video": "true"}).json()[0]["id"] == prompt["id"]


def test_durations_and_defaults_come_from_the_catalogue(api: Api) -> None:
    veo = api.post(f"/tunes/{FLUX}/prompts", json={"prompt": {
        "text": "a fox", "video_model": "veo31_fast_4k", "video_prompt": "runs"}}).json()
    assert veo["video_duration"] == 8 and veo["cost_mc"] == 264_000
    cheap = api.post(f"/tunes/{FLUX}/prompts", json={"prompt": {
        "text": "a fox", "video_model": "seedance_480p", "video_prompt": "runs",
        "video_duration": 2, "num_images": 2}}).json()
    assert cheap["cost_mc"] == 2 * 4_000  # 10 cents per 5 s -> 4 cents for 2 s, x2 videos
    wrong = api.post(f"/tunes/{FLUX}/prompts", json={"prompt": {
        "text": "a fox", "video_model": "veo31_fast_720p", "video_prompt": "runs",
        "video_duration": 5}})
    assert wrong.status_code == 422
    assert wrong.json()["errors"]["video_duration"] == [
        "must be one of 4, 6, 8 seconds for veo31_fast_720p"]


def test_an_unknown_video_model_is_refused(api: Api) -> None:
    response = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "x", "prompt[video_model]": "sora9000", "prompt[video_prompt]": "y"})
    assert response.status_code == 422
    assert "'sora9000' is not a video model" in response.json()["errors"]["video_model"][0]
    orphan = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "x", "prompt[video_duration]": "5"})
    assert orphan.status_code == 422
    assert "video_duration" in orphan.json()["errors"]["video_model"][0]
    assert api.get("/prompts").json() == []


def test_capabilities_are_checked(api: Api) -> None:
    def errors(**fields: object) -> dict:
        body = {"text": "a dancer", "video_prompt": "dances", **fields}
        response = api.post(f"/tunes/{FLUX}/prompts", json={"prompt": body})
        assert response.status_code == 422, response.text
        return response.json()["errors"]

    assert "input_video" in errors(video_model="wan_animate_720p")  # motion control needs it
    assert "video_last_frame" in errors(video_model="wan22_720p",
                                        video_last_frame_url="https://example.com/l.jpg")
    assert "audio_reference" in errors(video_model="kling25",
                                       audio_reference_url="https://example.com/a.mp3")
    assert "video_audio" in errors(video_model="wan25_720p", generate_audio=True)
    assert "image_references" in errors(
        video_model="seedance2_480p",
        image_reference_urls=[f"https://example.com/{i}.jpg" for i in range(10)])
    assert "video_first_frame" in errors(
        video_model="seedance2_480p", video_first_frame_url="https://example.com/f.jpg",
        image_reference_urls=["https://example.com/r.jpg"])
    text = errors(video_model="kling25", text="")
    assert "does not make video from text alone" in text["text"][0]
    # text-to-video models need no text
    ok = api.post(f"/tunes/{FLUX}/prompts", json={"prompt": {
        "video_model": "seedance2_480p", "video_prompt": "a paper boat drifts"}})
    assert ok.status_code == 201, ok.text


def test_uploaded_media_are_stored_and_echoed_as_absolute_urls(api: Api) -> None:
    clip = video.render_mp4("driving clip", 2, label="upload")
    response = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "a robot", "prompt[video_model]": "seedance2_720p",
        "prompt[video_prompt]": "the robot copies the moves", "prompt[video_audio]": "true",
    }, files=[
        ("prompt[input_video]", ("moves.mp4", clip, "video/mp4")),
        ("prompt[audio_reference]", ("beat.mp3", b"ID3fake-audio", "audio/mpeg")),
        ("prompt[image_references][]", ("ref.jpg", jpeg(), "image/jpeg")),
    ])
    assert response.status_code == 201, response.text
    prompt = response.json()
    for field in ("input_video", "audio_reference"):
        assert prompt[field].startswith(api.url + "/files/uploads/"), field
    assert requests.get(prompt["input_video"], timeout=10).content == clip
    assert requests.get(prompt["audio_reference"], timeout=10).content == b"ID3fake-audio"
    assert prompt["image_references"] and prompt["video_audio"] is True
    frames = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[video_model]": "kling30_pro", "prompt[video_prompt]": "a slow zoom",
    }, files=[("prompt[video_first_frame]", ("first.jpg", jpeg((1, 2, 3)), "image/jpeg")),
              ("prompt[video_last_frame]", ("last.jpg", jpeg((9, 8, 7)), "image/jpeg"))])
    assert frames.status_code == 201, frames.text
    body = frames.json()
    assert body["video_first_frame"].startswith(api.url + "/files/uploads/")
    assert requests.get(body["video_last_frame"], timeout=10).content == jpeg((9, 8, 7))
    copy = api.post(f"/prompts/{prompt['id']}/duplicate", json={"prompt": {"seed": 5}})
    assert copy.status_code == 201, copy.text
    assert copy.json()["input_video"] == prompt["input_video"]


def test_without_the_video_extra_the_sandbox_says_so(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video, "encoder_available", lambda: False)
    response = api.post(f"/tunes/{FLUX}/prompts", data={
        "prompt[text]": "x", "prompt[video_model]": "kling25", "prompt[video_prompt]": "y"})
    assert response.status_code == 422
    message = response.json()["errors"]["video_model"][0]
    assert "astria-widgets[video]" in message
    assert api.get("/prompts").json() == []
    image = api.post(f"/tunes/{FLUX}/prompts", data={"prompt[text]": "still fine"})
    assert image.status_code == 201  # image prompts do not need the extra
