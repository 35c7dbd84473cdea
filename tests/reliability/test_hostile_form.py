"""Issue 16, items 5 and 8 (form, characteristics): hostile inputs to the tune form and updates.

One rule for characteristics (a key of letters, digits or ``_``; a value of one line of text)
holds for the form, ``create_tune``, ``create_tune_from_pack`` and ``update_tune``. Every input
tried is counted with :func:`hostile.probe`.
"""

from __future__ import annotations

import html

import pytest
from hostile import probe

from astria_widgets.client import InputError
from astria_widgets.widgets import TuneForm

BAD_CHARACTERISTICS = [
    ({"eye": "blue\nhair: red"}, "eye"),
    ({"eye": "blue\r\nhair: red"}, "eye"),
    ({"eye": "blue\rhair"}, "eye"),
    ({"eye\nhair": "red"}, "eye"),
    ({"eye: hair": "red"}, "eye"),
    ({"eye=hair": "red"}, "eye"),
    ({"eye color": "blue"}, "eye color"),
    ({"eye-color": "blue"}, "eye-color"),
    ({"": "blue"}, "''"),
    ({"eye": ""}, "eye"),
    ({"eye": "   "}, "eye"),
    ({"eye": None}, "eye"),
    ({"eye": True}, "eye"),
    ({"eye": ["blue"]}, "eye"),
    ({"eye": {"x": 1}}, "eye"),
    ({5: "blue"}, "5"),
    ({None: "blue"}, "None"),
    ({"éye": "blue"}, "éye"),
    ({"eye\n": "blue"}, "eye"),
]
GOOD_CHARACTERISTICS = [
    {"eye_color": "blue eyes"},
    {"eye": "blue: very", "hair": "red = dark"},
    {"age": 30},
    {"a": "line\u2028separator stays one value"},
]


def tune_for_updates(client) -> dict:
    return client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="fast", characteristics={"kept": "yes"})


@pytest.mark.parametrize("given, named", BAD_CHARACTERISTICS, ids=repr)
def test_bad_characteristics_are_refused_by_the_form_by_name(given, named):
    form = TuneForm(name="man", characteristics=given)
    found = [e for e in form.errors if e.startswith("characteristics:")]
    assert len(found) == 1 and named in found[0], form.errors
    assert html.escape(found[0].split(": ", 1)[1]) in form.field_message("characteristics")
    assert form.values["characteristics"] is None  # nothing half-read sent
    probe("lost or changed")


@pytest.mark.parametrize("given, named", BAD_CHARACTERISTICS, ids=repr)
def test_bad_characteristics_are_refused_by_the_client_the_same_way(client, given, named):
    tune = tune_for_updates(client)
    with pytest.raises(InputError, match="characteristics") as info:
        client.update_tune(tune["id"], characteristics=given)
    assert named in str(info.value)
    assert client.get_tune(tune["id"])["characteristics"] == {"kept": "yes"}
    with pytest.raises(InputError, match="characteristics"):
        client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                           branch="fast", characteristics=given)
    with pytest.raises(InputError, match="characteristics"):
        client.create_tune_from_pack("some-pack", name="man",
                                     image_urls=["https://example.com/a.jpg"],
                                     characteristics=given)
    assert [t["id"] for t in client.list_tunes()] == [tune["id"]]
    probe("lost or changed")


@pytest.mark.parametrize("given", GOOD_CHARACTERISTICS, ids=repr)
def test_good_characteristics_go_through_both_unchanged(client, given):
    text = {k: str(v) for k, v in given.items()}
    form = TuneForm(name="man", characteristics=given)
    assert not [e for e in form.errors if e.startswith("characteristics")]
    assert form.values["characteristics"] == text
    tune = tune_for_updates(client)
    assert client.update_tune(tune["id"], characteristics=given)["characteristics"] == text
    probe("lost or changed")


def test_a_typed_row_follows_the_same_rule():
    form = TuneForm(name="man")
    form.fields["characteristics"].value = "eye color: blue\nhair: red"
    assert any("'eye color'" in e for e in form.errors)
    assert form.fields["characteristics"].value == "eye color: blue\nhair: red"  # kept
    probe("lost or changed")


@pytest.mark.parametrize("prompts", [5, 2.5, True, object(), [5], ["ok", 3], [None]], ids=repr)
def test_malformed_prompts_are_refused_by_name(prompts):
    with pytest.raises(InputError, match="prompts"):
        TuneForm(name="man", prompts=prompts)
    form = TuneForm(name="man", prompts=["kept"])
    with pytest.raises(InputError, match="prompts"):
        form.set_values(prompts=prompts, title="not applied")
    assert [p["text"] for p in form.values["prompts"]] == ["kept"]
    assert form.values["title"] != "not applied"
    probe("smaller")


@pytest.mark.parametrize("prompts, texts", [
    ("one prompt", ["one prompt"]), ({"text": "a dict"}, ["a dict"]),
    (("a", "b"), ["a", "b"]), (None, []),
], ids=repr)
def test_a_single_prompt_is_one_row_not_its_characters(prompts, texts):
    form = TuneForm(name="man", prompts=prompts)
    assert [p["text"] for p in form.values["prompts"]] == texts
    probe("smaller")


@pytest.mark.parametrize("token, shown", [(5, "5"), (5.5, "5.5"), (["a"], "['a']"),
                                          (b"ohwx", "b'ohwx'")], ids=repr)
def test_a_token_that_is_not_text_is_shown_and_checked(token, shown):
    form = TuneForm(name="man", token=token)  # no TraitError
    assert form.fields["token"].value == shown
    if not shown.isalnum():
        assert any(e.startswith("token:") for e in form.errors)
    probe("smaller")
