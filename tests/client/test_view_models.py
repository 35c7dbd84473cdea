"""The models the widgets render (issue 18) work without any widget: the tune form's, the
image set, the pack order, the prompt rows and the prompt sub-states."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys

import pytest
from PIL import Image

from astria_widgets.client.form_model import FormInvalid, TuneFormModel
from astria_widgets.client.image_set import ImageSet
from astria_widgets.client.pack_order import PackOrder, parse_tune_ids
from astria_widgets.client.recommend import FLUX_BASE_TUNE_ID, PORTRAIT_PRESET
from astria_widgets.client.status import prompt_progress, tune_status
from astria_widgets.client.tune_prompts import prompt_problems, prompt_value, read_prompt

WAIT = 60
MODELS = ("astria_widgets.client.form_model", "astria_widgets.client.image_set",
          "astria_widgets.client.pack_order", "astria_widgets.client.tune_fields",
          "astria_widgets.client.tune_prompts", "astria_widgets.client.studio_model")


def photo(seed: int) -> bytes:
    rng = random.Random(seed)
    im = Image.new("RGB", (600, 600), (rng.randrange(256), rng.randrange(256), 90))
    pixels = im.load()
    for _ in range(400):
        pixels[rng.randrange(600), rng.randrange(600)] = (rng.randrange(256),) * 3
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_the_models_import_no_widgets() -> None:
    code = ("import json, sys\n" + "".join(f"import {m}\n" for m in MODELS)
            + "print(json.dumps([m for m in ('ipywidgets', 'traitlets', 'IPython') "
              "if m in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert json.loads(result.stdout) == []


def test_a_form_model_alone_recommends_checks_and_submits(client) -> None:
    model = TuneFormModel(client)
    model.set_values({"name": "woman"})
    model.set_up()
    assert model.raw["token"] == "ohwx" and model.values["preset"] == PORTRAIT_PRESET
    assert model.values["base_tune_id"] == FLUX_BASE_TUNE_ID and model.advice
    problems = model.problems()
    assert problems.as_list() == ["images: add at least one training image or image URL"]
    model.changed("branch", "sd15")  # the token follows the branch until typed
    assert model.raw["token"] == "sks" and model.values["base_tune_id"] is None
    model.changed("steps", "-3")
    assert model.problems().fields["steps"] == ["-3 is less than 1"]
    with pytest.raises(FormInvalid) as info:
        model.prepare([])
    assert "steps: -3 is less than 1" in info.value.problems
    model.changed("steps", "")
    model.changed("branch", "fast")
    model.images.add([(f"p{i}.jpg", photo(i)) for i in range(3)])
    model.images_changed()
    assert model.problems().as_list() == []
    submission = model.prepare([{"text": "ohwx woman", "num_images": 1}])
    model.start(submission)
    record = submission.watch.wait(WAIT)
    assert tune_status(record) == "trained" and model.last_created["id"] == record["id"]
    assert model.message[0].startswith(f"Created tune #{record['id']}")


def test_a_refused_submission_is_mapped_onto_the_fields(client) -> None:
    model = TuneFormModel(client)
    model.set_values({"name": "man", "branch": "fast", "steps": 999_999_999})
    model.set_up()
    model.images.add([(f"p{i}.jpg", photo(i)) for i in range(2)])
    submission = model.prepare([])
    failed: list[str] = []
    model.start(submission, on_failed=failed.append)
    with pytest.raises(Exception):  # noqa: B017 - the 422 of the service
        submission.watch.wait(WAIT)
    assert failed and "refused" in failed[0] and model.problems().fields["steps"]
    assert model.message[1] is True and "Not submitted" in model.message[0]


def test_an_image_set_reads_checks_and_forgets() -> None:
    images = ImageSet()
    same = photo(1)
    added = images.add([("a.jpg", same), ("b.jpg", photo(2)), ("a.jpg", same), b"text", 42])
    assert [e.name for e in added.entries] == ["a.jpg", "b.jpg", "a (2).jpg", "image-4.jpg",
                                               "image #5"]
    assert added.summary == "Added 2 of 5 files."
    assert images.count == 2 and [n for n, _ in images.accepted] == ["a.jpg", "b.jpg"]
    assert "a (2).jpg: the same picture as a.jpg" in images.errors[0]
    images.remove([images.named("a.jpg")])
    assert images.count == 2 and images.errors[0].startswith("image-4.jpg")
    assert images.check_problem("") and images.check_problem("man") is None
    with pytest.raises(KeyError, match="picked: "):
        images.named("nope.jpg")


def test_a_pack_order_prices_and_orders(client) -> None:
    order = PackOrder(client)
    options = order.list_packs()
    assert any(label == "Pet Portraits (gallery)" for label, _key in options)
    key = order.key_of("pet-portraits", options)
    pack = order.load(key)
    assert order.cached(key) is pack
    estimate = order.estimate(pack, "dog", "tunes", "1, x")
    assert estimate.mc is None and "whole numbers" in (estimate.problem or "")
    assert order.estimate(pack, "dog", "tunes", "").tune_count == 0
    tune = client.create_tune(name="dog", branch="sd15", image_urls=["https://e.com/a.jpg"])
    result = order.order(pack, "dog", "tunes", tune_ids=str(tune["id"]))
    assert result.summary.startswith("Ordered Pet Portraits for dog") and result.prompts
    assert result.total_mc == order.estimate(pack, "dog", "tunes", str(tune["id"])).mc
    assert parse_tune_ids("3, 4 5") == [3, 4, 5]
    with pytest.raises(ValueError, match="positive"):
        parse_tune_ids("0")


@pytest.mark.parametrize(("given", "problems"), [
    ({"text": "ok", "num_images": 9}, ["number of images must be between 1 and 8, not 9"]),
    ({"text": "ok", "num_images": "many"},
     ["number of images must be a whole number from 1 to 8, not 'many'"]),
    ({"text": "ok", "seed": 2**32}, ["seed must be between 0 and 4294967295 (or -1 for random)"]),
    ({"text": "ok", "seed": "abc"}, ["seed must be a whole number, not 'abc'"]),
    ({"text": " ", "aspect_ratio": "7:5"},
     ["text is required", "aspect ratio '7:5' is not one of 1:1, 16:9, 9:16, 21:9, 9:21, 3:2, "
      "2:3, 5:4, 4:5, 4:3, 3:4"]),
    ({"text": "ok", "num_images": 3.0, "seed": -1, "aspect_ratio": "3:2"}, []),
], ids=repr)
def test_prompt_rows_follow_the_prompt_catalogue(given, problems) -> None:
    raw, rejected = read_prompt(given)
    assert prompt_problems(raw, rejected) == problems
    if not problems:
        assert prompt_value(raw) == {"text": "ok", "num_images": 3, "seed": -1,
                                     "aspect_ratio": "3:2"}


@pytest.mark.parametrize(("prompt", "tune_state", "shown"), [
    ({"images": ["u1", "u2"]}, "trained", ("done", "2 images")),
    ({"images": ["u1"]}, "trained", ("done", "1 image")),
    ({"user_error": "NSFW"}, "trained", ("failed", "NSFW")),
    ({}, "failed", ("pending", "not run: the tune did not train")),
    ({"started_training_at": "2025-01-01T00:00:00Z"}, "trained", ("pending", "generating")),
    ({}, "trained", ("pending", "queued")),
    ({}, "training", ("pending", "waiting for training")),
    ({}, None, ("pending", "waiting for training")),
])
def test_prompt_sub_states_are_one_rule(prompt, tune_state, shown) -> None:
    assert prompt_progress(prompt, tune_state) == shown
