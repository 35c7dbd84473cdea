"""TuneForm follows the docs' recommendations (client/recommend.py) and sends them: the tune
records the sandbox stored show what the form's request carried."""

from __future__ import annotations

from astria_widgets.client.recommend import FLUX_BASE_TUNE_ID, PORTRAIT_PRESET
from astria_widgets.widgets import TuneForm

WAIT = 60  # seconds; a guard against hangs, not a timing assertion


def test_a_flux_lora_submitted_with_defaults_sends_the_portrait_preset_and_flux_base(
        client, photos):
    form = TuneForm(client=client, name="woman")
    form.add_images(photos(4))
    assert form.errors == []
    record = form.submit().wait(timeout=WAIT)
    stored = client.get_tune(record["id"])  # what the sandbox received and kept
    assert stored["branch"] == "flux1" and stored["model_type"] == "lora"
    assert stored["preset"] == PORTRAIT_PRESET
    assert stored["base_tune_id"] == FLUX_BASE_TUNE_ID
    assert "flux-lora-portrait" in form.advice.value


def test_a_style_tune_sends_no_preset(client, photos):
    form = TuneForm(client=client, name="style")
    form.add_images(photos(4))
    assert form.values["preset"] is None
    assert "style" in form.advice.value and "high" in form.advice.value
    stored = client.get_tune(form.submit().wait(timeout=WAIT)["id"])
    assert stored["preset"] is None and stored["base_tune_id"] == FLUX_BASE_TUNE_ID


def test_twenty_images_switch_to_the_high_preset_and_back(photos):
    form = TuneForm(name="man")
    form.add_images(photos(19))
    assert form.values["preset"] == PORTRAIT_PRESET
    form.add_images(photos(1, start=19))
    assert form.values["preset"] is None and "20 images" in form.advice.value
    form.picker.remove("face0.jpg")
    assert form.values["preset"] == PORTRAIT_PRESET


def test_an_override_is_kept_explained_and_sent(client, photos):
    form = TuneForm(client=client, name="man")
    form.add_images(photos(4))
    form.fields["preset"].value = "none"
    note = form.field_message("preset")
    assert "100 steps per image" in note and "high" in note
    form.fields["name"].value = "woman"  # a recommendation input changes: the choice stays
    assert form.values["preset"] is None
    assert form.errors == []  # an override is a note, not a problem
    stored = client.get_tune(form.submit().wait(timeout=WAIT)["id"])
    assert stored["preset"] is None


def test_choosing_the_recommended_value_again_follows_the_recommendation_again():
    form = TuneForm(name="man")
    form.fields["preset"].value = "none"
    form.fields["preset"].value = PORTRAIT_PRESET
    assert form.field_message("preset") == ""
    form.fields["name"].value = "style"
    assert form.values["preset"] is None


def test_sdxl_is_trained_as_pti_and_faceid_needs_no_training():
    form = TuneForm(name="man", branch="sdxl1")
    assert form.values["model_type"] == "pti" and form.values["preset"] is None
    assert form.values["base_tune_id"] is None
    assert "PTI" in form.advice.value
    form.fields["model_type"].value = "lora"
    assert "ignores" in form.field_message("model_type")
    form = TuneForm(name="man")
    form.fields["model_type"].value = "faceid"
    values = form.values
    assert values["preset"] is None and values["base_tune_id"] is None
    assert "no training" in form.advice.value
    form.fields["steps"].value = "500"
    assert "ignored" in form.field_message("steps")


def test_explicit_initial_values_are_overrides_not_replaced():
    form = TuneForm(name="man", preset="flux-lora-focus", base_tune_id=3063697)
    assert form.values["preset"] == "flux-lora-focus"
    assert form.values["base_tune_id"] == 3063697
    assert "3063697" in form.field_message("base_tune_id")


def test_new_fields_reach_the_service(client, photos):
    form = TuneForm(
        client=client, name="man", branch="fast", auto_extend=True,
        training_face_correct=True, characteristics={"eye_color": "blue eyes"},
        prompts=["ohwx man with {{eye_color}}"],
    )  # fmt: skip
    form.add_images(photos(2))
    form.fields["image_urls"].value = "https://example.com/a.jpg\n\nhttps://example.com/b.jpg"
    assert form.errors == []
    record = form.submit().wait(timeout=WAIT)
    stored = client.get_tune(record["id"])
    assert stored["auto_extend"] is True and stored["training_face_correct"] is True
    assert stored["characteristics"] == {"eye_color": "blue eyes"}
    assert len(stored["orig_images"]) == 4
    assert "https://example.com/b.jpg" in stored["orig_images"]
    texts = [p["text"] for p in client.list_prompts(record["id"])]
    assert texts == ["ohwx man with blue eyes"]


def test_bad_characteristics_and_urls_are_shown_next_to_their_fields():
    form = TuneForm(name="man")
    form.fields["characteristics"].value = "eye color: blue\nhair_color"
    form.fields["image_urls"].value = "ftp://x/y.jpg"
    message = form.field_message("characteristics")
    assert "row 1" in message and "row 2" in message
    assert "http" in form.field_message("image_urls")
    assert any(e.startswith("characteristics: row 1") for e in form.errors)
    assert form.fields["characteristics"].value.startswith("eye color")  # nothing lost


def test_image_urls_alone_make_a_valid_training_set():
    form = TuneForm(name="man")
    assert any("at least one training image" in e for e in form.errors)
    form.fields["image_urls"].value = "https://example.com/a.jpg"
    assert form.errors == []


def test_the_form_and_the_status_magic_show_the_balance_in_dollars(client):
    from astria_widgets.client.costs import usd

    expected = usd(client.account()["usd_balance_mc"])
    form = TuneForm(client=client, name="man")
    assert f"balance {expected}" in form.balance_label.value
    assert expected.startswith("$") and "." in expected


def test_text_values_from_the_magic_are_understood_or_refused_next_to_the_field():
    form = TuneForm(name="man", auto_extend="false", face_crop="true",
                    training_face_correct="no", preset="none")
    values = form.values
    assert values["auto_extend"] is None and values["face_crop"] is True
    assert values["training_face_correct"] is False and values["preset"] is None
    form = TuneForm(name="man", auto_extend="maybe")
    assert "&#x27;maybe&#x27; is not yes/no" in form.field_message("auto_extend")
    assert any(e.startswith("auto_extend: ") for e in form.errors)
    form.fields["auto_extend"].value = True  # a change clears the refusal
    assert form.field_message("auto_extend") == "" and form.values["auto_extend"] is True
