"""AstriaClient.inspect_image and client/inspect.py against the sandbox's inspector."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageFilter

from astria_widgets.client import InputError
from astria_widgets.client.inspect import (
    Inspection,
    inspect_images,
    interpret,
    majority_characteristics,
)

PORTRAITS = sorted((Path(__file__).resolve().parents[2] / "notebooks" / "images").glob("*.jpg"))


def jpeg(im: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    im.convert("RGB").save(out, "JPEG", **options)
    return out.getvalue()


def test_inspect_image_flags_a_blurred_photo_and_not_the_sharp_one(client):
    sharp = Image.open(PORTRAITS[0])
    assert client.inspect_image(PORTRAITS[0], "man")["blurry"] is False
    blurred = jpeg(sharp.filter(ImageFilter.GaussianBlur(4)))
    assert client.inspect_image(("blurred.jpg", blurred), "man")["blurry"] is True


def test_a_big_photo_is_shrunk_to_512_px_before_upload(client, monkeypatch):
    big = jpeg(Image.open(PORTRAITS[0]).resize((1536, 1880)))
    sent: list[bytes] = []
    real = client.transport.request

    def spy(method, path, **kwargs):
        if path == "/images/inspect":
            body = kwargs["data"]
            sent.append(body.encoder.to_string() if hasattr(body, "encoder") else b"")
            kwargs["data"] = io.BytesIO(sent[-1])
        return real(method, path, **kwargs)

    monkeypatch.setattr(client.transport, "request", spy)
    answer = client.inspect_image(("big.jpg", big), "man")
    assert answer["low_resolution"] is False
    start = sent[0].index(b"\xff\xd8")
    with Image.open(io.BytesIO(sent[0][start:])) as im:
        assert max(im.size) == 512


def test_a_url_is_sent_as_file_url(client):
    answer = client.inspect_image("https://example.com/me[wearing_hat].jpg", "woman")
    assert answer["wearing_hat"] is True and answer["name"] == "woman"


@pytest.mark.parametrize(("image", "name", "expect"), [
    (b"not an image", "man", "not an image"),
    (PORTRAITS[0], "", "name:"),
    (Path("/no/such/file.jpg"), "man", "file not found"),
])
def test_bad_inputs_raise_input_error_naming_them(client, image, name, expect):
    with pytest.raises(InputError) as info:
        client.inspect_image(image, name)
    assert expect in str(info.value)


def test_interpret_gives_one_line_fixes_and_a_wrong_class():
    result = interpret({"name": "woman", "wearing_sunglasses": True, "blurry": False,
                        "eye_color": "blue eyes", "hair_color": "NONE"}, "man", "a.jpg")
    assert result.flags == ("wearing_sunglasses", "wrong_class")
    assert result.fixes[0] == "sunglasses: retake without sunglasses"
    assert "looks like a woman, not a man" in result.fixes[1]
    assert result.characteristics == {"eye_color": "blue eyes"} and not result.ok


def test_majority_characteristics_keep_values_seen_in_half_the_photos():
    def seen(**values: str) -> Inspection:
        return Inspection("x.jpg", characteristics=values)

    found = majority_characteristics([
        seen(eye_color="blue eyes", hair_color="red hair"),
        seen(eye_color="blue eyes"),
        seen(eye_color="brown eyes", age="30 yo"),
        Inspection("broken.jpg", error="boom"),  # not counted
    ])
    assert found == {"eye_color": "blue eyes"}


def test_inspect_images_runs_in_parallel_bounded_and_keeps_failures(client):
    photos = [(f"p{i}[eye_color=green eyes].jpg", p.read_bytes())
              for i, p in enumerate(PORTRAITS)]
    photos.append(("broken.jpg", b"not a picture"))
    running = 0
    peak = 0
    lock = threading.Lock()

    class Counting:
        def inspect_image(self, image, name):
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                return client.inspect_image(image, name)
            finally:
                with lock:
                    running -= 1

    seen: list[str] = []
    results = inspect_images(Counting(), photos, "man", max_workers=3,
                             on_result=lambda r: seen.append(r.image))
    assert [r.image for r in results] == [name for name, _ in photos]
    assert sorted(seen) == sorted(name for name, _ in photos)
    assert 1 <= peak <= 3
    assert results[-1].error and "not an image" in results[-1].error
    assert all(r.ok for r in results[:-1])
    assert majority_characteristics(results) == {"eye_color": "green eyes", "age": "30 yo"}
