"""Issue 16, items 4, 5 and 8 (studio, sweep, magic, browser): hostile inputs to generating.

Each input must be refused before the first request with a message naming the parameter, or be
done right; nothing the user gave is lost or silently changed. Every input tried is counted with
:func:`hostile.probe` under its family ("checks before sending", "lost or changed", "smaller").
"""

from __future__ import annotations

import io
from typing import Any

import ipywidgets as widgets
import pytest
from hostile import probe
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from PIL import Image

from astria_widgets.client import InputError
from astria_widgets.client.generation import GenerationRun
from astria_widgets.client.sweep import plan_sweep
from astria_widgets.widgets import PromptStudio, StudioInvalid
from astria_widgets.widgets.browser import TuneBrowser

FLUX_DEV = 1504944
WAIT = 60  # seconds; a guard against hangs, not a timing assertion


def png_bytes(colour: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    """A small valid PNG."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def real_png(tmp_path) -> str:
    """A readable picture on disk."""
    path = tmp_path / "real.png"
    path.write_bytes(png_bytes())
    return str(path)


@pytest.fixture
def bad_images(tmp_path) -> dict[str, str]:
    """Image inputs that cannot be sent, by kind."""
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    return {"missing": str(tmp_path / "nope.png"), "not-an-image": str(text),
            "empty-folder": str(empty)}


BAD_IMAGE_KINDS = ("missing", "not-an-image", "empty-folder")


def lora(client, **kw) -> dict:
    """A LoRA tune (runs on Flux1.dev)."""
    args = {"name": "man", "image_urls": ["https://example.com/a.jpg"], "branch": "flux1",
            "model_type": "lora"}
    return client.create_tune(**{**args, **kw})


def sent_prompts(client) -> list[dict]:
    """Every prompt of the test's (fresh) account."""
    return client.list_prompts()


@pytest.fixture(scope="module")
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "astria_widgets")
    yield ip
    ip.run_line_magic("unload_ext", "astria_widgets")


@pytest.fixture
def magic(shell, client):
    """``magic("generate ...")`` runs ``%astria`` with the test's client."""
    shell.magics_manager.registry["AstriaMagics"].client = client
    return lambda line: shell.run_line_magic("astria", line)


def by_class(root: widgets.Widget, dom_class: str) -> widgets.Widget:
    """The one widget under ``root`` carrying ``dom_class``."""
    found, todo = [], [root]
    while todo:
        widget = todo.pop()
        if dom_class in getattr(widget, "_dom_classes", ()):
            found.append(widget)
        todo.extend(getattr(widget, "children", ()))
    assert len(found) == 1, (dom_class, found)
    return found[0]


# -- 4. checks that run after sending -----------------------------------------------------------
@pytest.mark.parametrize("kind", BAD_IMAGE_KINDS)
def test_a_swept_input_image_is_read_before_the_first_prompt(client, real_png, bad_images,
                                                             kind):
    studio = PromptStudio(client=client, tune=FLUX_DEV, text="a red square")
    bad = bad_images[kind]
    with pytest.raises(StudioInvalid) as info:
        studio.submit(sweep={"input_image": [real_png, bad]})
    assert any(p.startswith("sweep[input_image]") for p in info.value.problems), \
        info.value.problems
    assert studio.run is None and sent_prompts(client) == []
    with pytest.raises(InputError) as info:
        GenerationRun.start(client, [client.get_tune(FLUX_DEV)], "a red square", {},
                            {"seed": [1, 2], "input_image": [real_png, bad]})
    assert any("input_image" in p for p in info.value.problems)
    assert sent_prompts(client) == []
    probe("checks before sending")


@pytest.mark.parametrize("kind", BAD_IMAGE_KINDS)
def test_the_magic_reads_its_images_before_sending(magic, client, real_png, bad_images, kind):
    bad = bad_images[kind]
    with pytest.raises(UsageError, match="input_image"):
        magic(f'generate {FLUX_DEV} "x" --input-image {bad}')
    with pytest.raises(UsageError, match="input_image"):
        magic(f'generate {FLUX_DEV} "x" --sweep seed=1,2 --input-image {bad}')
    with pytest.raises(UsageError, match=r"sweep\[input_image\]"):
        magic(f'generate {FLUX_DEV} "x" --sweep input_image={real_png},{bad}')
    with pytest.raises(UsageError, match="mask_image"):
        magic(f'generate {FLUX_DEV} "x" --input-image {real_png} --mask-image {bad}')
    assert sent_prompts(client) == []
    probe("checks before sending")


def test_a_fixed_input_image_is_read_once_and_sent_with_every_cell(client, real_png):
    run = GenerationRun.start(client, [client.get_tune(FLUX_DEV)], "a red square",
                              {"input_image": real_png}, {"seed": [1, 2]})
    prompts = run.wait(timeout=WAIT)
    assert [p["seed"] for p in prompts] == [1, 2]
    assert all(p.get("input_image") for p in prompts)
    probe("checks before sending")


def test_a_failed_tune_is_refused_before_any_prompt_of_a_sweep(client, magic):
    broken = lora(client, title="broken [fail]", branch="fast", model_type=None)
    broken = client.wait_for_tune(broken["id"], timeout=WAIT)
    with pytest.raises(InputError, match="tune"):
        GenerationRun.start(client, [broken], "portrait", {}, {"seed": [1, 2]})
    with pytest.raises(UsageError, match="tune"):
        magic(f'generate {broken["id"]} portrait --sweep seed=1,2')
    assert sent_prompts(client) == []
    probe("checks before sending")


# -- 5. input silently lost or changed ---------------------------------------------------------
@pytest.mark.parametrize("param", ["seed", "cfg_scale", "style"])
def test_a_repeated_sweep_option_is_refused(magic, client, param):
    values = {"seed": ("1,2", "3,4"), "cfg_scale": ("3,5", "7"),
              "style": ("Cinematic", "Enhance")}[param]
    with pytest.raises(UsageError, match=f"--sweep {param}.*once"):
        magic(f'generate {FLUX_DEV} "x" --sweep {param}={values[0]} --sweep {param}={values[1]}')
    assert sent_prompts(client) == []
    probe("lost or changed")


OFF_WORDS = ["false", "no", "off", "0", "False", " NO ", False, 0]
ON_WORDS = ["true", "yes", "on", "1", "TRUE", True, 1]
UNCLEAR = ["maybe", "", "2", 2, 0.5, [], "nein"]


@pytest.mark.parametrize("word", OFF_WORDS + ON_WORDS, ids=repr)
def test_studio_switches_read_words_as_the_one_boolean_rule(client, word):
    studio = PromptStudio(client=client, tune=FLUX_DEV, text="x", super_resolution=word,
                          face_correct=word)
    on = word in ON_WORDS and word not in OFF_WORDS
    assert studio.fields["super_resolution"].value is on
    assert studio.values.get("face_correct") is (True if on else None)
    probe("lost or changed")


@pytest.mark.parametrize("word", UNCLEAR, ids=repr)
def test_an_unclear_switch_is_refused_by_name(client, word):
    with pytest.raises(InputError, match="super_resolution"):
        PromptStudio(client=client, tune=FLUX_DEV, text="x", super_resolution=word)
    studio = PromptStudio(client=client, tune=FLUX_DEV, text="x", face_correct=True)
    with pytest.raises(InputError, match="face_correct"):
        studio.set_values(face_correct=word)
    assert studio.fields["face_correct"].value is True  # what was there stays
    probe("lost or changed")


@pytest.mark.parametrize("word", OFF_WORDS + ON_WORDS + UNCLEAR, ids=repr)
def test_the_browser_reads_expiring_soon_with_the_same_rule(word):
    browser = TuneBrowser([{"id": 1, "title": "a"}])
    if word in UNCLEAR:
        with pytest.raises(ValueError, match="expiring_soon"):
            browser.set_filter(expiring_soon=word)
        assert browser.filters.expiring_soon is False
    else:
        browser.set_filter(expiring_soon=word)
        assert browser.filters.expiring_soon is (word in ON_WORDS and word not in OFF_WORDS)
    probe("lost or changed")


@pytest.mark.parametrize("param, value", [
    ("aspect_ratio", "2:1"), ("aspect_ratio", " 16:9"), ("aspect_ratio", "landscape"),
    ("scheduler", "Euler"), ("style", "cinematic"), ("backend_version", 2),
    ("backend_version", True), ("resolution", "8K"), ("controlnet", ["pose"]),
])
def test_an_unknown_choice_is_refused_not_replaced(client, param, value):
    with pytest.raises(InputError, match=param) as info:
        PromptStudio(client=client, tune=FLUX_DEV, text="x", **{param: value})
    assert repr(value) in str(info.value)
    studio = PromptStudio(client=client, tune=FLUX_DEV, text="x", seed=3)
    before = studio.fields[param].value
    with pytest.raises(InputError, match=param):
        studio.set_values(**{param: value}, seed=4)
    assert studio.fields[param].value == before and studio.values["seed"] == 3  # all or nothing
    probe("lost or changed")


@pytest.mark.parametrize("param, values", [
    ("seed", [1, 1.0]), ("seed", [7, 8, 7]), ("cfg_scale", [7, 7.0]), ("cfg_scale", [0.0, -0.0]),
    ("num_images", [2, 2.0]), ("style", ["Cinematic", "Cinematic"]),
    ("super_resolution", [True, True]), ("steps", [30, 30.0, 31]),
])
def test_a_sweep_repeating_a_value_is_refused_naming_it(client, param, values):
    with pytest.raises(InputError, match=rf"sweep\[{param}\].*repeat"):
        plan_sweep({param: values})
    studio = PromptStudio(client=client, tune=FLUX_DEV, text="x")
    with pytest.raises(StudioInvalid, match=rf"sweep\[{param}\]"):
        studio.submit(sweep={param: values})
    assert sent_prompts(client) == []
    probe("lost or changed")


@pytest.mark.parametrize("how", ["records", "ids", "record and id"])
def test_the_same_tune_twice_in_a_prompt_is_refused(client, how):
    tune = lora(client)
    given = {"records": [tune, tune], "ids": [tune["id"], tune["id"]],
             "record and id": [tune, tune["id"]]}[how]
    with pytest.raises(InputError, match=rf"tune.*{tune['id']}.*twice"):
        client.plan_prompt(given, "dancing")
    with pytest.raises(InputError, match=rf"tune.*{tune['id']}.*twice"):
        client.generate(given, "dancing")
    assert sent_prompts(client) == []
    probe("lost or changed")


# -- 8. smaller ----------------------------------------------------------------------------------
@pytest.mark.parametrize("search", ["²", "#²", "¹²³", "٣", "9" * 31, "#" + "9" * 40, "-5",
                                    "+7", "3.0", "½"])
def test_browser_search_never_fails_on_digits(search):
    browser = TuneBrowser([{"id": 3, "title": "three"}, {"id": 7, "title": "x² ½"}])
    browser.set_filter(search=search)  # no exception
    by_class(browser, "astria-browser-search").value = search  # typed: no error shown
    assert by_class(browser, "astria-browser-error").value == ""
    if search in ("٣", "+7"):  # "٣" is no id by the one integer rule (ASCII digits, issue 18)
        assert list(browser.filtered.index) == ([] if search == "٣" else [7])
    probe("smaller")


@pytest.mark.parametrize("sweep", [
    "seed", 5, ["seed"], ("seed", [1, 2]), {"seed": 5}, {"seed": "1,2"}, {1: [1, 2]},
    {None: [1]}, {"seed": {1: 2}}, {"seed": None}, {"nope": [1]}, {"seed": b"12"},
], ids=repr)
def test_a_malformed_sweep_is_refused_naming_the_sweep(client, sweep):
    studio = PromptStudio(client=client, tune=FLUX_DEV, text="x")
    with pytest.raises(StudioInvalid, match="sweep"):
        studio.submit(sweep=sweep)
    with pytest.raises(InputError, match="sweep"):
        plan_sweep(sweep)
    assert sent_prompts(client) == []
    probe("smaller")


@pytest.mark.parametrize("tune", [True, False, 1.5, 1504944.5, "abc", -1, 0, "1e3", [1],
                                  {"id": True}, {"id": 2.5}], ids=repr)
def test_a_bad_studio_tune_is_refused_by_name(client, tune, monkeypatch):
    fetched: list[Any] = []
    monkeypatch.setattr(client, "get_tune", lambda tid: fetched.append(tid))
    with pytest.raises(InputError, match="tune"):
        PromptStudio(client=client, tune=tune)
    assert fetched == []  # not tune 1, not a truncated id
    probe("smaller")


def test_an_integral_id_of_another_type_is_the_same_tune(client):
    import numpy as np

    for given in (float(FLUX_DEV), np.int64(FLUX_DEV), str(FLUX_DEV)):
        studio = PromptStudio(client=client, tune=given)
        assert studio.model.tune["id"] == FLUX_DEV and studio.tune_picker.value == FLUX_DEV
    probe("smaller")


def test_image_references_read_paths_like_input_image(client, real_png, bad_images):
    prompt = client.generate(FLUX_DEV, "a red square", image_references=[real_png])
    assert prompt["id"] and prompt.get("image_references")
    for bad in bad_images.values():
        with pytest.raises(InputError, match=r"image_references\[0\]"):
            client.generate(FLUX_DEV, "x", image_references=[bad])
        probe("smaller")
    with pytest.raises(InputError, match="image_reference_urls"):
        client.generate(FLUX_DEV, "x", image_references=["https://example.com/a.png"])
    with pytest.raises(InputError, match=r"image_references\[1\]"):
        client.generate(FLUX_DEV, "x", image_references=[real_png, 5])
    assert len(sent_prompts(client)) == 1
    probe("smaller")
