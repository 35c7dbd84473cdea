"""Image inputs and argument checks: problems are found before anything is sent."""

from __future__ import annotations

import io

import pytest
import requests
from corpus import build_image_corpus, photo

from astria_widgets.client import AstriaClient, InputError
from astria_widgets.client.uploads import as_file_part, prepare_training_images, read_images


class NoNetwork(requests.Session):
    def request(self, *args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("nothing may be sent for a bad input")


@pytest.fixture
def offline() -> AstriaClient:
    return AstriaClient(api_key="sd_x", base_url="https://api.test", session=NoNetwork())


def test_every_input_form_is_read(tmp_path):
    jpeg = photo(seed=3)
    (tmp_path / "a.jpg").write_bytes(jpeg)
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "b.png").write_bytes(photo(seed=4, fmt="PNG"))
    (folder / "notes.txt").write_text("not picked")
    with open(tmp_path / "a.jpg", "rb") as handle:
        named, problems = read_images([str(tmp_path / "a.jpg"), folder, jpeg, handle,
                                       ("c.jpg", jpeg), io.BytesIO(jpeg)])
    assert problems == []
    assert [n for n, _ in named] == ["a.jpg", "b.png", "image-3.jpg", "a.jpg", "c.jpg",
                                     "image-6.jpg"]
    assert named[0][1] == jpeg and named[1][1].startswith(b"\x89PNG")


def test_a_folder_is_read_by_the_same_extensions_as_the_picker(tmp_path):
    from astria_widgets.imaging import IMAGE_EXTENSIONS

    for index, ext in enumerate(IMAGE_EXTENSIONS):
        (tmp_path / f"p{index:02d}{ext}").write_bytes(b"data")
    (tmp_path / "notes.txt").write_text("not picked")
    named, problems = read_images(tmp_path)
    assert problems == []
    assert sorted(name.rsplit(".", 1)[-1] for name, _ in named) == sorted(
        ext.lstrip(".") for ext in IMAGE_EXTENSIONS)


def test_unreadable_inputs_are_named(tmp_path):
    (tmp_path / "t.txt").write_text("hello")
    with open(tmp_path / "t.txt") as text_mode, open(tmp_path / "w.jpg", "wb") as write_only:
        _, problems = read_images([tmp_path / "missing.jpg", text_mode, 42, write_only])
    assert len(problems) == 4
    assert "missing.jpg: file not found" in problems[0]
    assert "t.txt: file opened in text mode" in problems[1] and "image #3" in problems[2]
    assert problems[3].startswith("w.jpg: cannot be read")


def test_prepared_parts_carry_names_and_content_types():
    parts = prepare_training_images([("face.png", photo(fmt="PNG")), ("x.jpg", photo(seed=9))])
    assert [(p[0], p[2]) for p in parts] == [("face.png", "image/png"), ("x.jpg", "image/jpeg")]
    assert as_file_part(b"\xff\xd8\xffrest", "input_image")[0] == "input_image.jpg"
    assert as_file_part("https://x/y.jpg", "input_image") is None


def test_image_corpus_problems_block_create_tune(tmp_path, offline):
    cases = [c for c in build_image_corpus(tmp_path) if c.expect == "problem"]
    assert len(cases) >= 10
    for case in cases:
        with pytest.raises(InputError) as info:
            offline.create_tune(name="man", images=case.paths)
        assert case.matches(info.value.problems), (case.case, info.value.problems)
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"name": "  "}, "name:"),
    ({"title": " "}, "title:"),
    ({"title": 5}, "title: the title must be text, not int"),
    ({"name": ["man"]}, "name: the class name must be text"),
    ({"image_urls": []}, "images:"),
    ({"image_urls": ["ftp://x/a.jpg"]}, "image_urls[0]"),
    ({"token": "oh wx"}, "token:"),
    ({"base_tune_id": "flux"}, "base_tune_id:"),
    ({"callback": "not a url"}, "callback:"),
    ({"steps": -3}, "steps:"),
    ({"prompts": ["ok", "   "]}, "prompts[1]"),
])
def test_bad_arguments_raise_input_error_naming_the_field(kwargs, needle, offline):
    args = {"name": "man", "image_urls": ["https://x/1.jpg"], **kwargs}
    with pytest.raises(InputError) as info:
        offline.create_tune(**args)
    assert any(p.startswith(needle) for p in info.value.problems), info.value.problems


def test_every_problem_is_listed_at_once(offline):
    with pytest.raises(InputError) as info:
        offline.create_tune(name="", title="", token="a b", callback="nope")
    assert len(info.value.problems) == 5
    assert "5 problems" in str(info.value)


def test_ids_and_prompt_text_are_checked(offline):
    with pytest.raises(InputError, match="tune_id"):
        offline.get_tune("abc")
    with pytest.raises(InputError, match="text"):
        offline.create_prompt(1, "   ")



@pytest.mark.parametrize("pack", ["", "  ", "a/../tunes", "1/2"])
def test_pack_ids_are_checked_before_any_path_is_built(offline, pack):
    with pytest.raises(InputError, match="pack_id"):
        offline.get_pack(pack)
    with pytest.raises(InputError, match="pack_id"):
        offline.create_tune_from_pack(pack, tune_ids=[1])

URL_CASES = [
    ("https://example.com/hook", True),
    ("  https://example.com/hook\n", True),  # surrounding whitespace is stripped
    ("HTTP://Example.com", True),
    ("https://example.com/a hook", False),
    ("ftp://example.com/hook", False),
    ("https:///hook", False),
    ("https://[::1", False),  # unclosed IPv6 bracket
    ("not a url", False),
    ("   ", False),
]


@pytest.mark.parametrize(("value", "ok"), URL_CASES)
def test_client_and_form_share_one_url_rule_and_message(offline, value, ok):
    from astria_widgets.client.api import HTTP_URL_RULE, is_http_url
    from astria_widgets.client.tune_fields import field_problems

    assert is_http_url(value) is ok
    form = field_problems({"title": "t", "name": "dog", "branch": "fast", "callback": value})
    client_problems = []
    try:
        offline.create_tune(name="dog", title="t", image_urls=["nope"], callback=value)
    except InputError as exc:
        client_problems = [p for p in exc.problems if p.startswith("callback:")]
    if ok:
        assert "callback" not in form and client_problems == []
    elif value.strip():
        assert form["callback"] == [HTTP_URL_RULE]
        assert client_problems == [f"callback: {value!r} {HTTP_URL_RULE}"]


def test_urls_are_sent_stripped(client):
    tune = client.create_tune(name="dog", image_urls=["  https://e.x/1.jpg "], branch="fast",
                              callback="\thttps://example.com/hook ")
    assert tune["callback"] == "https://example.com/hook"


def test_image_suffix_names_bytes_by_their_magic_numbers():
    from astria_widgets.client.uploads import image_suffix

    assert image_suffix(photo()) == ".jpg"
    assert image_suffix(b"\x89PNG\r\n\x1a\n....") == ".png"
    assert image_suffix(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == ".webp"
    assert image_suffix(b"not an image") == ""
    assert image_suffix(b"not an image", ".jpg") == ".jpg"


# -- issue 18: one home per rule --------------------------------------------------------------

@pytest.mark.parametrize(("prompt", "needle"), [
    ({"text": "ohwx man", "cfg": 7}, "prompts[1][cfg]: is not a documented prompt parameter"),
    ({"text": "ohwx man", "seed": 2**32}, "prompts[1][seed]: 4294967296 is outside"),
    ({"text": "ohwx man", "num_images": 1.5}, "prompts[1][num_images]: must be a whole number"),
    ({"text": "ohwx man", "aspect_ratio": "7:5"}, "prompts[1][aspect_ratio]: '7:5' is not one"),
    ({"text": "ohwx man", "hires_fix": True}, "prompts[1][hires_fix]: needs super_resolution"),
    ({"text": "ohwx man", "denoising_strength": 0.5},
     "prompts[1][denoising_strength]: needs an input image"),
])
def test_prompts_created_with_a_tune_are_checked_by_the_parameter_catalogue(
        offline, prompt, needle):
    """Before issue 18 only their text was checked; the rest went to the service."""
    with pytest.raises(InputError) as info:
        offline.create_tune(name="man", image_urls=["https://x/1.jpg"],
                            prompts=["ohwx man, portrait", prompt])
    assert any(p.startswith(needle) for p in info.value.problems), info.value.problems


def test_prompts_created_with_a_tune_are_sent_as_the_catalogue_sends_them():
    import numpy as np

    from astria_widgets.client.tunes import tune_prompt_entries

    entries, problems = tune_prompt_entries(
        [{"text": "a", "seed": np.int64(3), "num_images": 2.0}, "b"])
    assert problems == []
    assert entries == [{"text": "a", "seed": 3, "num_images": 2}, {"text": "b"}]
    assert type(entries[0]["seed"]) is int and type(entries[0]["num_images"]) is int


@pytest.mark.parametrize(("token", "ok"), [
    ("ohwx", True), ("sks_2", True), ("oh wx", False), (" ohwx", False), ("oh-wx", False),
    ("", False), ("öhwx", False), (7, False),
])
def test_the_token_rule_is_one_function_for_the_client_and_the_form(offline, token, ok):
    from astria_widgets.client.checks import token_problem

    assert (token_problem(token) is None) is ok
    if ok:
        return
    with pytest.raises(InputError) as info:
        offline.create_tune(name="man", image_urls=["https://x/1.jpg"], token=token)
    assert f"token: {token_problem(token)}" in info.value.problems
    assert "one word" in token_problem(token) and "without spaces" in token_problem(token)


@pytest.mark.parametrize(("value", "number"), [
    (3, 3), ("  12 ", 12), ("-3", -3), (5.0, 5), ("+7", 7),
    (True, None), (5.5, None), ("1e3", None), ("1_000", None), ("5.0", None), ("٣", None),
    (float("nan"), None), (None, None), ([1], None),
])
def test_the_client_reads_integers_by_one_rule(value, number):
    import numpy as np

    from astria_widgets.client.checks import whole_number
    from astria_widgets.client.prompt_params import PARAMS, parse_text

    assert whole_number(value) == number
    assert whole_number(np.int32(4)) == 4 and whole_number(np.float32(4)) == 4
    if isinstance(value, str):  # a typed value is read by the same rule
        if number is None:
            with pytest.raises(ValueError, match="whole number"):
                parse_text(PARAMS["seed"], value)
        else:
            assert parse_text(PARAMS["seed"], value) == number
