"""Issue 20 item 3: max_spend on the studio, the form and the pack picker: a run over what is
left is refused before sending, said where the user looks, nothing typed or picked lost."""

from __future__ import annotations

import threading
import time

import pytest

from astria_widgets.client import transport
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


FLUX = 1504944


def test_the_form_prices_a_tune_by_the_gallery_packs_and_submits_one_that_fits(
        client, photos):
    form = TuneForm(client=client, max_spend=1, name="man", branch="flux1", title="Priced?")
    form.add_images(photos(4))
    with pytest.raises(FormInvalid) as info:
        form.submit()
    message = ("max_spend: this tune ('Priced?', with 0 prompt(s)) is estimated at $1.50 "
               "(estimate from 1 gallery pack's training part on flux1), more than the "
               "$1.00 left of max_spend $1.00; nothing was sent")
    assert message in str(info.value)
    assert form.model.message[0].startswith(message) and form.model.message[1]
    assert "estimated at $1.50" in form.message.value  # shown in the form
    assert form.fields["title"].value == "Priced?" and form.picker.count == 4
    assert client.list_tunes() == []
    form.model.limit.max_spend = 2  # the $1.50 estimate fits now
    form.submit().watch.wait(timeout=WAIT)
    assert [t["title"] for t in client.list_tunes()] == ["Priced?"]
    assert form.model.limit.spent_mc == 150_000  # what is left of max_spend counts it


def test_the_form_refuses_a_tune_no_pack_prices_under_max_spend_and_keeps_every_field(
        client, photos):
    client.gallery_packs()[:] = [p for p in client.gallery_packs()
                                 if p["base_tune_id"] == FLUX]  # no sdxl1 pack
    form = TuneForm(client=client, max_spend=10, name="man", branch="sdxl1", title="Priced?")
    form.add_images(photos(4))
    with pytest.raises(FormInvalid) as info:
        form.submit()
    message = ("max_spend: this tune ('Priced?', with 0 prompt(s)) cannot be priced before "
               "sending (no gallery pack gives a training price on branch sdxl1, and the API "
               "states no price for training a tune outside a pack), so nothing was sent "
               "while max_spend is set; set max_spend=None to send it")
    assert message in str(info.value)
    assert form.model.message == (message, True)
    assert form.fields["title"].value == "Priced?" and form.picker.count == 4
    assert client.list_tunes() == []
    fast = TuneForm(client=client, max_spend=10, name="man", branch="fast", title="Free")
    fast.add_images(photos(4))
    fast.submit().watch.wait(timeout=WAIT)  # branch fast is free: it fits any limit
    assert [t["title"] for t in client.list_tunes()] == ["Free"]


def _until(check, what):
    deadline = time.monotonic() + WAIT
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert check(), what


def test_a_submit_click_under_max_spend_prices_the_tune_off_the_kernels_thread(
        client, photos):
    threads = []
    remove = transport.observe(lambda exchange: threads.append(
        (exchange.url, threading.current_thread())))
    try:
        refused = TuneForm(client=client, max_spend=1, name="man", branch="flux1",
                           title="Too dear")
        refused.add_images(photos(4))
        refused.submit_button.click()
        _until(lambda: "max_spend: this tune" in refused.message.value, "refusal shown")
        assert "estimated at $1.50" in refused.message.value
        _until(lambda: not refused.submit_button.disabled, "Submit enabled again")
        form = TuneForm(client=client, max_spend=2, name="man", branch="flux1",
                        title="Fits")
        form.add_images(photos(4))
        form.submit_button.click()
        _until(lambda: form.model.submission is not None, "submitted")
        form.model.submission.watch.wait(timeout=WAIT)
    finally:
        remove()
    assert [t["title"] for t in client.list_tunes()] == ["Fits"]
    priced = [t for url, t in threads if "/gallery/packs" in url or "/p/" in url]
    assert priced and threading.main_thread() not in priced  # not on the kernel's thread


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
