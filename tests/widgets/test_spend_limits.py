"""Issue 20 item 3: max_spend on the studio, the form and the pack picker: a run over what is
left is refused before sending, said where the user looks, nothing typed or picked lost."""

from __future__ import annotations

import time

import pytest

from astria_widgets.widgets import FormInvalid, PackPicker, PromptStudio, StudioInvalid, TuneForm

WAIT = 60


def _lora(client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora")
    return client.wait_for_tune(tune["id"], timeout=WAIT)


def test_the_studio_refuses_a_sweep_over_its_max_spend_and_keeps_the_inputs(client):
    tune = _lora(client)
    studio = PromptStudio(client, tune=tune["id"], max_spend=0.05, text="ohwx man, portrait")
    studio.sweep_rows.value = "seed"
    studio.sweep_row_values.value = ", ".join(str(i) for i in range(10))
    studio.sweep_cols.value = "cfg_scale"
    studio.sweep_col_values.value = ", ".join(str(i) for i in range(1, 11))
    studio.submit_button.click()
    expected = ("max_spend: this run of 100 prompts (100 images) is estimated at $2.30 "
                "(catalogue price), more than the $0.0500 left of max_spend $0.0500; nothing "
                "was sent: send fewer prompts or raise max_spend")
    assert expected in studio.message.value
    with pytest.raises(StudioInvalid, match="max_spend: this run of 100 prompts"):
        studio.submit()
    assert client.list_prompts() == []
    assert studio.text.value == "ohwx man, portrait" and studio.sweep_rows.value == "seed"
    assert studio.sweep_col_values.value.startswith("1, 2")
    studio.max_spend = 0.1  # three prompts fit: $0.069
    studio.sweep_cols.value = studio.sweep_cols.options[0][1]  # "no sweep"
    studio.sweep_row_values.value = "1, 2, 3"
    run = studio.submit()
    run.wait(timeout=WAIT)
    assert len(run.prompts) == 3 and studio.model.limit.spent_mc == 3 * 2_300


def test_the_form_refuses_an_unpriced_training_under_max_spend_and_keeps_every_field(
        client, photos):
    form = TuneForm(client=client, max_spend=10, name="man", branch="flux1", title="Priced?")
    form.add_images(photos(4))
    with pytest.raises(FormInvalid) as info:
        form.submit()
    message = ("max_spend: this tune ('Priced?', with 0 prompt(s)) cannot be priced before "
               "sending (the API states no price for training a tune (only a pack's price "
               "includes one)), so nothing was sent while max_spend is set; set "
               "max_spend=None to send it")
    assert message in str(info.value)
    assert form.model.message == (message, True)
    assert form.fields["title"].value == "Priced?" and form.picker.count == 4
    assert client.list_tunes() == []
    fast = TuneForm(client=client, max_spend=10, name="man", branch="fast", title="Free")
    fast.add_images(photos(4))
    fast.submit().watch.wait(timeout=WAIT)  # branch fast is free: it fits any limit
    assert [t["title"] for t in client.list_tunes()] == ["Free"]


def test_the_pack_picker_refuses_an_order_over_its_max_spend_and_keeps_the_choice(
        client, photos):
    picker = PackPicker(client, max_spend=0.01)
    picker.choose(260)
    picker.class_name.value = "woman"
    picker.picker.add_images(photos(4))
    picker.order_button.click()
    assert picker.order_future.exception(timeout=WAIT) is not None
    price = client.get_pack(260)["costs"]["woman"]["cost_mc"]
    assert "Not ordered" in picker.message.value
    assert "max_spend: this order of" in picker.message.value
    assert "(pack price), more than the $0.0100 left of max_spend $0.0100" in (
        picker.message.value)
    assert price > 1_000
    assert picker.class_name.value == "woman" and picker.picker.count == 4
    assert client.list_tunes() == []


def test_a_studio_run_stopped_by_max_spend_says_so_next_to_generate(client):
    tune = _lora(client)
    studio = PromptStudio(client, tune=tune["id"], max_spend=1.0, text="ohwx man, portrait")
    # the catalogue says 100 mc per Flux image, the service charges 2,300: the estimate is low
    client.catalogue()["models"]["flux"]["cost_mc_per_image"]["1K"] = 100
    run = studio.submit(sweep={"seed": list(range(10)), "cfg_scale": list(range(1, 11))})
    run.wait(timeout=WAIT)
    assert run.not_sent > 0
    note = f"stopped at max_spend $1.00: {run.not_sent} of 100 prompts not sent"
    deadline = time.monotonic() + WAIT  # the run's last change refreshes the studio
    while note not in studio.reason_label.value and time.monotonic() < deadline:
        time.sleep(0.05)
    assert note in studio.reason_label.value
    assert studio.text.value == "ohwx man, portrait"
