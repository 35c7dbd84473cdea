"""Issue 6 "Bad input": every case of the catalogue through the form AND through the client.

Form channel: a valid :class:`TuneForm` (sandbox client, title, name, token, a prompt, good
photos) gets one bad input; ``form.errors`` must hold exactly one message naming the input and
the problem, shown next to the input, Submit disabled with it as the reason, ``submit()``
raising ``FormInvalid`` listing it, everything else the user entered unchanged, nothing created.
Client channel: the same input to ``create_tune`` / ``create_prompt`` must raise ``InputError``
(found before sending) or ``ValidationError`` (the sandbox's 422) naming it, creating nothing.
Image warnings (and the tricky-but-fine pictures) must not block: they are uploaded, converted
when the check says so and byte for byte otherwise.

The number of inputs tried per channel is recorded with the ``figures`` fixture.
"""

from __future__ import annotations

import hashlib
import html
import io
from collections import Counter

import pytest
from bad_input_cases import (
    CONVERTED,
    FIELD_CASES,
    FIX_422,
    GOOD_PROMPT,
    IMAGE_CASES,
    FieldCase,
    good_photos,
)
from corpus import CorpusCase, build_image_corpus
from PIL import Image

from astria_widgets.client import InputError, ValidationError, tune_status
from astria_widgets.client.tune_fields import FIELD_NAMES
from astria_widgets.widgets import FormInvalid, TuneForm

WAIT = 60  # seconds; a guard against hangs, not a timing assertion
TRIED: Counter[str] = Counter()  # inputs that went through a channel and passed its checks


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CorpusCase]:
    """The image corpus on disk, by case id."""
    return {c.case: c for c in build_image_corpus(tmp_path_factory.mktemp("corpus"))}


def valid_form(client, images=None) -> TuneForm:
    """A form that could be submitted as it is (``images``: the good ones to pick first)."""
    form = TuneForm(client=client, title="bad input form", name="man", token="ohwx",
                    branch="fast", steps="500", prompts=[GOOD_PROMPT])
    form.add_images(good_photos() if images is None else images)
    assert form.errors == [] and form.valid and not form.submit_button.disabled
    return form


def snapshot(form: TuneForm) -> dict:
    """Everything the user entered: field texts, prompts, accepted images (name, sha256)."""
    return {
        "fields": {name: form.fields[name].value for name in FIELD_NAMES},
        "prompts": form.prompt_editor.value,
        "images": [(n, hashlib.sha256(d).hexdigest()) for n, d in form.picker.accepted],
    }


def assert_blocked(form: TuneForm, client, matches) -> str:
    """Exactly one problem, matching; Submit disabled with it; submit() refuses; nothing sent."""
    errors = form.errors
    assert len(errors) == 1 and matches(errors[0]), errors
    assert not form.valid and form.submit_button.disabled
    assert form.reason == errors[0] and html.escape(errors[0]) in form.reason_label.value
    with pytest.raises(FormInvalid) as info:
        form.submit()
    assert info.value.problems == errors and errors[0] in str(info.value)
    assert form.handle is None and client.list_tunes() == []
    return errors[0]


def assert_uploaded(client, tune: dict, case: CorpusCase, count: int) -> None:
    """The tune got every image; the target was converted if (and only if) it had to be."""
    stored = client.get_tune(tune["id"])
    assert len(stored["orig_images"]) == count
    sent = client.fetch_bytes(stored["orig_images"][-1])  # the target is picked last
    with Image.open(io.BytesIO(sent)) as im:
        im.load()
        palette = im.format == "GIF" and im.mode == "P"  # a GIF stays a GIF, one frame
        assert (im.mode in ("RGB", "L") or palette) and "transparency" not in im.info
        assert getattr(im, "n_frames", 1) == 1
    if any(word in case.keyword for word in CONVERTED):
        assert sent != case.data
    else:
        assert sent == case.data  # fine pictures are sent byte for byte


# -- images -------------------------------------------------------------------------------------

@pytest.mark.parametrize("case_id", IMAGE_CASES)
def test_image_case_through_the_form(case_id, corpus, client):
    case = corpus[case_id]
    # set-level cases (duplicate, too many) pick their companions first, the others 2 photos
    form = valid_form(client, case.paths[:-1] if case.companions else None)
    before = snapshot(form)
    form.add_images([case.path])
    picked = [n for n, _ in form.picker.accepted]
    if case.expect == "problem":
        message = assert_blocked(form, client, lambda e: case.matches([e]))
        assert message.startswith(f"{case.name}: ")
        assert message in form.picker.errors  # shown on the picked file's card
        assert case.name not in picked
        assert picked == [n for n, _ in before["images"]]
    else:
        assert form.errors == [] and form.valid and not form.submit_button.disabled
        if case.expect == "warning":
            assert case.matches(form.warnings)
        else:
            assert form.warnings == []
        assert picked[-1] == case.name
        record = form.submit().wait(timeout=WAIT)
        assert tune_status(record) == "trained" and form.handle.error is None
        assert_uploaded(client, record, case, len(picked))
        assert [t["id"] for t in client.list_tunes()] == [record["id"]]
    after = snapshot(form)
    assert after["fields"] == before["fields"] and after["prompts"] == before["prompts"]
    assert after["images"][: len(before["images"])] == before["images"]
    TRIED["form"] += 1


@pytest.mark.parametrize("case_id", IMAGE_CASES)
def test_image_case_through_the_client(case_id, corpus, client):
    case = corpus[case_id]
    images = ([] if case.companions else [p for _, p in good_photos()]) + case.paths
    if case.expect == "problem":
        with pytest.raises(InputError) as info:
            client.create_tune(name="man", branch="fast", images=images)
        assert case.matches(info.value.problems), info.value.problems
        assert all(p.startswith(f"{case.name}: ") for p in info.value.problems)
        assert case.name in str(info.value)
        assert client.list_tunes() == []
    else:
        tune = client.create_tune(name="man", branch="fast", images=images)
        assert_uploaded(client, tune, case, len(images))
        assert [t["id"] for t in client.list_tunes()] == [tune["id"]]
    TRIED["client"] += 1


# -- fields -------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", FIELD_CASES, ids=lambda c: c.case)
def test_field_case_through_the_form(case: FieldCase, client):
    form = valid_form(client)
    before = snapshot(form)
    case.put(form)
    message = assert_blocked(form, client, case.form.found_in)
    # shown where the user looks: next to the field, or under the prompt row
    detail = html.escape(message.split(": ", 1)[1])
    if case.touched == "prompts":
        assert detail in form.prompt_editor.rows[1].message.value
    else:
        assert detail in form.field_messages[case.touched].value
    after = snapshot(form)
    for name in FIELD_NAMES:
        if name != case.touched:
            assert after["fields"][name] == before["fields"][name], name
    assert after["prompts"][:1] == before["prompts"] and after["images"] == before["images"]
    TRIED["form"] += 1


@pytest.mark.parametrize("case", FIELD_CASES, ids=lambda c: c.case)
def test_field_case_through_the_client(case: FieldCase, client):
    for call in case.client:
        with pytest.raises((InputError, ValidationError)) as info:
            call.run(client)
        message = str(info.value)
        assert call.expect.found_in(message), message
        if isinstance(info.value, ValidationError):
            assert FIX_422 in message.lower()  # says what to do
        else:
            assert any(call.expect.found_in(p) for p in info.value.problems)
        assert "Traceback" not in message
    assert client.list_tunes() == [] and client.list_prompts() == []
    TRIED["client"] += len(case.client)


# -- the tally ----------------------------------------------------------------------------------

def test_the_catalogue_covers_the_corpus_and_counts_the_inputs_tried(corpus, figures):
    """Runs last in this module: checks the catalogue and records how many inputs were tried."""
    assert list(corpus) == list(IMAGE_CASES)
    assert len({c.case for c in FIELD_CASES}) == len(FIELD_CASES)
    per_channel = len(IMAGE_CASES) + len(FIELD_CASES)
    assert per_channel >= 25
    calls = len(IMAGE_CASES) + sum(len(c.client) for c in FIELD_CASES)
    figures("bad inputs tried", form=TRIED["form"], client_calls=TRIED["client"],
            catalogue=f"{len(IMAGE_CASES)} image + {len(FIELD_CASES)} field cases",
            form_planned=per_channel, client_planned=calls)
