"""Caption files (``name.txt`` beside ``name.jpg``, Flux only) in the checks, the client, the
sandbox (plain HTTP) and the picker."""

from __future__ import annotations

import pytest
import requests
from corpus import photo

from astria_widgets.client import InputError, ValidationError
from astria_widgets.imaging import (
    MAX_IMAGES,
    caption_branch_problems,
    check_training_set,
)
from astria_widgets.widgets import ImagePicker, TuneForm

CAPTION = b"ohwx man laughing on a sunny terrace"


def pairs(count: int = 2) -> list[tuple[str, bytes]]:
    out = []
    for i in range(count):
        out += [(f"me {i}.jpg", photo(seed=i)), (f"me {i}.txt", CAPTION)]
    return out


def test_a_paired_caption_is_ok_and_not_an_image():
    reports = check_training_set(pairs(2))
    assert all(r.ok for r in reports)
    assert [r.is_caption for r in reports] == [False, True, False, True]


@pytest.mark.parametrize(("name", "data", "expect"), [
    ("lonely.txt", CAPTION, "needs its photo beside it"),
    ("me 0.txt", b"  \n", "caption is empty"),
    ("me 0.txt", b"\xff\xfe\x00bad", "not UTF-8"),
    ("me 0.txt", b"x" * 20_000, "caption is 20 KiB, over the 16 KiB limit"),
])
def test_bad_captions_are_blocked_naming_the_file(name, data, expect):
    report = check_training_set([("me 0.jpg", photo(seed=1)), (name, data)])[1]
    assert not report.ok and report.problems[0].startswith(name)
    assert expect in report.problems[0]


def test_identical_captions_are_not_duplicates_and_do_not_count_as_images():
    items = [(f"p{i}.jpg", photo(seed=i)) for i in range(MAX_IMAGES)]
    items += [(f"p{i}.txt", CAPTION) for i in range(3)]
    assert all(r.ok for r in check_training_set(items))


def test_captions_are_for_flux_only():
    assert caption_branch_problems(["a.jpg", "a.txt"], "flux1") == []
    problems = caption_branch_problems(["a.jpg", "a.txt"], "sdxl1")
    assert problems == ["a.txt: captions (.txt) are used by Flux only; choose branch flux1 or "
                        "remove it"]


def test_the_client_sends_captions_of_a_folder_and_the_sandbox_keeps_them(client, tmp_path):
    for name, data in pairs(2) + [("notes.txt", b"not a caption: no photo called notes")]:
        (tmp_path / name).write_bytes(data)
    tune = client.create_tune(name="man", branch="flux1", images=tmp_path)
    stored = client.get_tune(tune["id"])
    assert stored["captions"] == {"me 0": CAPTION.decode(), "me 1": CAPTION.decode()}
    assert len(stored["orig_images"]) == 2  # captions are not training images


def test_the_client_refuses_captions_off_flux(client):
    with pytest.raises(InputError) as info:
        client.create_tune(name="man", branch="sd15", images=pairs(1))
    assert "me 0.txt: captions (.txt) are used by Flux only" in str(info.value)


def test_the_sandbox_checks_captions_by_plain_http(sandbox):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sandbox.create_user()}"

    def post(branch: str, files: list) -> requests.Response:
        return session.post(sandbox.url + "/tunes", timeout=30, data={
            "tune[title]": f"captions {branch} {len(files)}", "tune[name]": "man",
            "tune[branch]": branch}, files=files)

    image = ("tune[images][]", ("a.jpg", photo(seed=3), "image/jpeg"))
    caption = ("tune[images][]", ("a.txt", CAPTION, "text/plain"))
    orphan = ("tune[images][]", ("b.txt", CAPTION, "text/plain"))
    assert post("flux1", [image, caption]).json()["captions"] == {"a": CAPTION.decode()}
    refused = post("sd15", [image, caption])
    assert refused.status_code == 422 and "Flux" in refused.json()["errors"]["images"][0]
    refused = post("flux1", [image, orphan])
    assert refused.status_code == 422 and "b.txt" in refused.json()["errors"]["images"][0]


def test_the_picker_pairs_captions_and_the_form_wants_flux(tmp_path, client):
    for name, data in pairs(2):
        (tmp_path / name).write_bytes(data)
    form = TuneForm(client=client, name="man", images=tmp_path)
    picker: ImagePicker = form.picker
    assert picker.count == 2 and len(picker.accepted) == 4
    assert "with <b>2</b> captions" in picker.count_html
    assert "caption: ohwx man laughing" in picker.card_html("me 0.txt")["message"]
    assert form.errors == []
    form.fields["branch"].value = "sdxl1"
    assert "images: me 0.txt: captions (.txt) are used by Flux only" in form.errors[0]
    form.fields["branch"].value = "flux1"
    stored = client.get_tune(form.submit().wait(timeout=60)["id"])
    assert set(stored["captions"]) == {"me 0", "me 1"}


def test_a_422_about_captions_maps_to_the_images(client):
    with pytest.raises(ValidationError) as info:
        client.create_tune(name="man", base_tune_id=690204, images=pairs(1))  # an sd15 base
    assert "images" in info.value.errors
