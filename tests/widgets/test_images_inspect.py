"""ImagePicker's "Check with Astria" against the sandbox's inspector, and the form's offer of
the characteristics found in most photos."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageFilter

from astria_widgets.client import AstriaClient, RetrySettings
from astria_widgets.widgets import ImagePicker, TuneForm

PORTRAITS = sorted((Path(__file__).resolve().parents[2] / "notebooks" / "images").glob("*.jpg"))


def blurred(path: Path) -> bytes:
    out = io.BytesIO()
    Image.open(path).filter(ImageFilter.GaussianBlur(4)).save(out, "JPEG")
    return out.getvalue()


def verdict(picker: ImagePicker, name: str) -> str:
    return picker.card_html(name)["inspect"]


def test_check_shows_each_flag_with_a_fix_on_its_thumbnail(client):
    picker = ImagePicker(client=client)
    picker.class_name = "man"
    picker.add_images([
        ("sharp.jpg", PORTRAITS[0].read_bytes()),
        ("soft.jpg", blurred(PORTRAITS[1])),
        ("beach[wearing_sunglasses].jpg", PORTRAITS[2].read_bytes()),
        ("pet[name=dog].jpg", PORTRAITS[3].read_bytes()),
    ])
    results = picker.check()
    assert [r.flags for r in results] == [(), ("blurry",), ("wearing_sunglasses",),
                                          ("wrong_class",)]
    assert "looks good" in verdict(picker, "sharp.jpg")
    assert "blurry: retake it in focus" in verdict(picker, "soft.jpg")
    assert "retake without sunglasses" in verdict(picker, "beach[wearing_sunglasses].jpg")
    assert "looks like a dog, not a man" in verdict(picker, "pet[name=dog].jpg")
    assert "astria-thumb-flagged" in picker.card_html("soft.jpg")["classes"]
    assert "astria-thumb-passed" in picker.card_html("sharp.jpg")["classes"]
    assert "3 flagged" in picker.status_html
    assert picker.count == 4  # checking removes nothing


def test_check_needs_a_class_name_and_photos(client):
    picker = ImagePicker(client=client)
    assert picker.check() == [] and "class name" in picker.status_html
    picker.class_name = "man"
    assert picker.check() == [] and "No photo" in picker.status_html


def test_an_unreachable_service_is_shown_per_photo_never_raised(sandbox):
    offline = AstriaClient("key", "http://127.0.0.1:9",
                           retry=RetrySettings(read_attempts=0, create_attempts=1), timeout=2)
    picker = ImagePicker(client=offline)
    picker.class_name = "woman"
    picker.add_images([("a.jpg", PORTRAITS[0].read_bytes())])
    picker.check_button.click()
    picker.check_future.result(timeout=30)
    assert "could not check" in verdict(picker, "a.jpg")
    assert picker.characteristics == {}


def test_the_check_button_returns_at_once_and_the_kernel_stays_free(sandbox, client):
    picker = ImagePicker(client=client)
    picker.class_name = "woman"
    picker.add_images([("a.jpg", PORTRAITS[0].read_bytes())])
    sandbox.fail_next("slow")  # the inspector answers after a delay
    picker.check_button.click()
    future = picker.check_future
    assert future is not None and not future.done() and picker.check_button.disabled
    assert "Checking 1 photo" in picker.status_html
    results = future.result(timeout=30)
    assert len(results) == 1 and not picker.check_button.disabled
    assert verdict(picker, "a.jpg")  # the verdict is on the thumbnail


def test_the_form_offers_the_majority_characteristics_and_keeps_what_was_typed(client):
    form = TuneForm(client=client, name="woman", characteristics={"hair_color": "red hair"})
    form.add_images([(f"p{i}[eye_color=blue eyes].jpg", p.read_bytes())
                     for i, p in enumerate(PORTRAITS[:2])] +
                    [("p9[eye_color=brown eyes].jpg", PORTRAITS[2].read_bytes())])
    assert form.picker.class_name == "woman"
    form.picker.check()
    assert form.picker.characteristics == {"eye_color": "blue eyes", "age": "30 yo"}
    assert "eye_color: blue eyes" in form.offer_label.value
    assert form.values["characteristics"] == {"hair_color": "red hair"}  # only offered
    form.offer_button.click()
    assert form.values["characteristics"] == {"hair_color": "red hair",
                                              "eye_color": "blue eyes", "age": "30 yo"}
    form.picker.clear()
    assert form.picker.characteristics == {} and form.offer_label.value == ""
