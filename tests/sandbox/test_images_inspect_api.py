"""``POST /images/inspect`` by plain HTTP: the sandbox's documented pixel heuristics and the
markers that provoke every documented answer (sandbox/inspect.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageFilter, PngImagePlugin

from astria_widgets.sandbox.inspect import BOOLEAN_KEYS, SINGLE_VALUES, STRING_KEYS

PORTRAIT = Path(__file__).resolve().parents[2] / "notebooks" / "images" / "portrait_01.jpg"


def encode(im: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def inspect(api, data: bytes | None, filename: str = "photo.jpg", name: str = "man",
            **fields: str) -> dict:
    files = {"file": (filename, data, "image/jpeg")} if data is not None else None
    response = api.post("/images/inspect", data={"name": name, **fields}, files=files)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_blurred_photo_is_flagged_blurry_and_the_sharp_one_is_not(api):
    sharp = Image.open(PORTRAIT).convert("RGB")
    blurred = sharp.filter(ImageFilter.GaussianBlur(4))
    answer = inspect(api, encode(sharp))
    assert answer["blurry"] is False
    assert not any(answer[key] for key in BOOLEAN_KEYS)
    assert answer["name"] == "man"
    flagged = inspect(api, encode(blurred))
    assert flagged["blurry"] is True
    assert any(n.startswith("blurry: edge variance") for n in flagged["sandbox_notes"])


def test_the_answer_has_every_documented_key(api):
    answer = inspect(api, encode(Image.open(PORTRAIT)))
    assert set(BOOLEAN_KEYS) | set(STRING_KEYS) <= set(answer)
    assert answer["eye_color"] == "NONE" and answer["age"] == "30 yo"


@pytest.mark.parametrize("case", ["dark", "grey", "small", "crop"])
def test_pixel_heuristics(api, case):
    photo = Image.open(PORTRAIT).convert("RGB")
    if case == "dark":
        photo = photo.point(lambda v: v // 6)
    elif case == "grey":
        photo = photo.convert("L").convert("RGB")
    elif case == "small":
        photo = photo.resize((160, 196))
    else:
        photo = photo.crop((0, 300, 576, 520))
    answer = inspect(api, encode(photo))
    key = "low_resolution" if case == "small" else "low_quality"
    assert answer[key] is True, answer["sandbox_notes"]
    words = {"dark": "too dark", "grey": "greyscale", "small": "shorter side",
             "crop": "strongly cropped"}
    assert any(words[case] in note for note in answer["sandbox_notes"])


@pytest.mark.parametrize("flag", BOOLEAN_KEYS)
def test_every_boolean_flag_can_be_provoked_by_a_file_name_marker(api, flag):
    answer = inspect(api, encode(Image.open(PORTRAIT)), filename=f"me [{flag}].jpg")
    assert answer[flag] is True
    assert [k for k in BOOLEAN_KEYS if answer[k]] == [flag]


@pytest.mark.parametrize("key", STRING_KEYS)
def test_every_string_key_can_be_provoked_by_a_png_text_marker(api, key):
    marker = f"[{key}]" if key in SINGLE_VALUES else f"[{key}=some {key}]"
    info = PngImagePlugin.PngInfo()
    info.add_text("astria-inspect", marker)
    answer = inspect(api, encode(Image.open(PORTRAIT), "PNG", pnginfo=info), "p.png")
    assert answer[key] == SINGLE_VALUES.get(key, f"some {key}")


def test_a_file_url_counts_its_markers_and_a_wrong_class_is_reported(api):
    answer = inspect(api, None, file_url="https://example.com/x[name=dog][selfie].jpg")
    assert answer["name"] == "dog" and answer["selfie"] is True
    assert answer["blurry"] is False  # a foreign URL is not fetched: no pixel verdict


@pytest.mark.parametrize(("fields", "files", "field"), [
    ({}, {"file": ("a.jpg", b"x", "image/jpeg")}, "name"),
    ({"name": "man"}, None, "file"),
    ({"name": "man"}, {"file": ("a.jpg", b"not an image", "image/jpeg")}, "file"),
])
def test_bad_requests_are_422_naming_the_field(api, fields, files, field):
    response = api.post("/images/inspect", data=fields, files=files)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_inspect_needs_a_key(sandbox):
    import requests

    response = requests.post(sandbox.url + "/images/inspect", data={"name": "man"}, timeout=10)
    assert response.status_code == 401
