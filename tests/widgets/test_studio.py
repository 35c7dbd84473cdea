"""PromptStudio driven from Python against the session sandbox: pick, check, sweep, keep."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from astria_widgets.client import InputError, ValidationError, prompt_status
from astria_widgets.client.studio_model import tune_label
from astria_widgets.widgets import PromptStudio, StudioInvalid

WAIT = 60  # seconds; a guard against hangs, not a timing assertion
FLUX_DEV = 1504944


def _tune(client, **kw):
    args = {"name": "man", "image_urls": ["https://example.com/a.jpg"], "branch": "flux1",
            "model_type": "lora"}
    return client.create_tune(**{**args, **kw})


def _ids(options):
    return [value for _label, value in options]


def test_picker_lists_your_usable_tunes_newest_first_then_the_gallery(client):
    older = _tune(client, title="older")
    newer = _tune(client, title="newer", name="woman")
    broken = _tune(client, title="broken [fail]", branch="fast")
    client.wait_for_tune(broken["id"], timeout=WAIT)
    studio = PromptStudio(client=client)
    ids = _ids(studio.tune_picker.options)
    assert ids[:2] == [newer["id"], older["id"]] and broken["id"] not in ids
    assert FLUX_DEV in ids[2:] and 666678 in ids[2:]
    studio.search.value = "gallery flux1.dev"
    assert set(_ids(studio.tune_picker.options)) == {FLUX_DEV, 3063697}
    studio.search.value = "woman"
    assert _ids(studio.tune_picker.options) == [newer["id"]]
    assert "Balance: <b>$" in studio.balance.value


def test_preview_shows_the_text_as_it_will_be_sent(client):
    tune = _tune(client)
    studio = PromptStudio(client=client, tune=tune["id"], text="in a navy suit")
    assert studio.tune_picker.value == tune["id"]
    assert f"Runs on tune {FLUX_DEV} as:" in studio.preview.value
    assert f"&lt;lora:{tune['id']}:1&gt; ohwx man in a navy suit" in studio.preview.value
    studio.tune_picker.value = FLUX_DEV
    assert "<code>in a navy suit</code>" in studio.preview.value


def test_invalid_values_show_next_to_their_field_and_disable_submit(client):
    tune = _tune(client)
    studio = PromptStudio(client=client, tune=tune, text="portrait")
    assert studio.errors == [] and not studio.submit_button.disabled
    studio.fields["cfg_scale"].value = "20"
    studio.fields["seed"].value = "abc"
    studio.fields["inpaint_faces"].value = True
    studio.fields["controlnet"].value = "pose"
    messages = {n: m.value for n, m in studio.messages.items() if m.value}
    assert "20 is outside 0...15" in messages["cfg_scale"]
    assert "&#x27;abc&#x27; is not a whole number" in messages["seed"]
    assert "needs super_resolution=True" in messages["inpaint_faces"]
    assert "needs an input image" in messages["controlnet"]
    assert studio.submit_button.disabled and not studio.valid
    assert studio.reason.startswith("seed: 'abc' is not a whole number") and "(and 3 more)" in \
        studio.reason
    with pytest.raises(StudioInvalid) as info:
        studio.submit()
    assert len(info.value.problems) == 4
    # nothing typed is lost; fixing the values enables Submit again
    assert studio.fields["seed"].value == "abc" and studio.text.value == "portrait"
    studio.fields["seed"].value = "5"
    studio.fields["cfg_scale"].value = "7"
    studio.fields["super_resolution"].value = True
    studio.fields["controlnet"].value = "default"
    assert studio.errors == [] and not studio.submit_button.disabled


def test_a_studio_without_a_tune_or_text_says_why(client):
    studio = PromptStudio(client=client)
    studio.tune_picker.value = None
    assert "tune: choose a tune to generate with" in studio.errors
    assert "text: type what to generate" in studio.errors
    assert "choose a tune" in studio.messages["tune"].value


def test_a_2x2_sweep_makes_four_prompts_in_a_labelled_grid(client, tmp_path):
    tune = _tune(client)
    studio = PromptStudio(client=client, tune=tune, text="portrait", num_images=1)
    run = studio.submit(sweep={"seed": [1, 2], "cfg_scale": [3, 7]})
    assert run.status in ("creating", "pending")  # returned at once
    prompts = run.wait(timeout=WAIT)
    assert [prompt_status(p) for p in prompts] == ["done"] * 4
    assert [(p["seed"], p["cfg_scale"]) for p in prompts] == [(1, 3), (1, 7), (2, 3), (2, 7)]
    assert {p["tune_id"] for p in prompts} == {FLUX_DEV}
    results = studio.results
    assert [h.value for h in results.col_labels] == ["<b>cfg_scale = 3</b>",
                                                     "<b>cfg_scale = 7</b>"]
    assert [h.value for h in results.row_labels] == ["<b>seed = 1</b>", "<b>seed = 2</b>"]
    # the grid: a blank corner, the column headers, then each row's header and its cells
    boxes = [c.box for c in results.cells]
    assert list(results.grid.children) == [results.grid.children[0], *results.col_labels,
                                           results.row_labels[0], *boxes[:2],
                                           results.row_labels[1], *boxes[2:]]
    for cell, prompt in zip(results.cells, prompts, strict=True):
        assert Image.open(io.BytesIO(cell.image.value)).size[0] > 0
        assert f"seed {prompt['seed']}" in cell.state.value
    assert "seed 1 · cfg_scale 7" in results.cells[1].caption.value
    assert "4 of 4 prompts finished" in studio.results.status.value
    # four Flux prompts of one image at the sandbox's $0.023 an image (docs/SANDBOX.md)
    assert run.cost_mc == 4 * 2_300
    assert "cost of this run $0.0920" in studio.results.status.value
    assert sum(client.get_prompt(FLUX_DEV, p["id"])["cost_mc"] for p in prompts) == 4 * 2_300
    sheet = Image.open(io.BytesIO(run.contact_sheet(tile=128)))
    assert sheet.format == "PNG" and sheet.width > 2 * 128 and sheet.height > 2 * 128

    # full-size view with seed and parameters; like; use as input; download all
    cell = results.cells[3]
    cell.view.click()
    viewer = studio.results.viewer.children
    assert "seed" in viewer[0].value and "cfg_scale" in viewer[0].value
    assert Image.open(io.BytesIO(viewer[1].value)).size[0] >= 256
    cell.like.click()  # in the background: the kernel stays free
    assert studio.results.wait_likes(timeout=WAIT)
    assert client.list_prompts(FLUX_DEV, liked=True)[0]["id"] == prompts[3]["id"]
    assert cell.like.description == "Liked" and cell.like.disabled
    cell.use.click()
    assert studio.fields["input_image"].count == 1 and studio.groups.selected_index == 2
    assert studio.values["input_image"][0] == f"prompt-{prompts[3]['id']}-01.png"
    studio.results.folder.value = str(tmp_path / "kept")
    studio.results.download_button.click()  # in the background: the kernel stays free
    assert len(studio.results.download.wait(timeout=WAIT)) == 4
    names = sorted(p.name for p in (tmp_path / "kept").iterdir())
    assert names == sorted(f"prompt-{p['id']}-01.png" for p in prompts)
    assert "Saved 4 files" in studio.results.message.value
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    studio.results.folder.value = str(blocker)
    studio.results.download_button.click()
    with pytest.raises(InputError, match="dest: .*a-file is a file, not a folder"):
        studio.results.download.wait(timeout=WAIT)
    assert "Download failed: InputError: download: dest:" in studio.results.message.value
    assert "a-file is a file, not a folder" in studio.results.message.value
    assert not studio.results.download_button.disabled


def test_the_sweep_fields_and_the_generate_button(client):
    tune = _tune(client)
    studio = PromptStudio(client=client, tune=tune, text="portrait")
    studio.sweep_rows.value = "seed"
    studio.sweep_row_values.value = "1, x"
    assert "sweep[seed]: &#x27;x&#x27; is not a whole number" in \
        studio.messages["sweep"].value
    assert studio.submit_button.disabled
    studio.sweep_row_values.value = "4, 5, 6"
    studio.sweep_cols.value = "style"
    studio.sweep_col_values.value = "Cinematic"
    assert not studio.submit_button.disabled
    studio.submit_button.click()
    prompts = studio.run.wait(timeout=WAIT)
    assert [(p["seed"], p["style"]) for p in prompts] == [
        (4, "Cinematic"), (5, "Cinematic"), (6, "Cinematic")]


def test_tune_label_reads_well():
    tune = {"id": 7, "title": "Anna", "name": "woman", "branch": "flux1", "model_type": "lora",
            "trained_at": "2026-01-01T00:00:00.000Z", "expires_at": None}  # never expires
    assert tune_label(tune) == "#7 Anna (woman, flux1 lora)"
    assert tune_label({**tune, "model_type": None}, gallery=True) == \
        "Gallery: Anna (#7, flux1 checkpoint)"


def test_a_refused_run_and_a_failed_prompt_are_shown_in_the_results(client):
    tune = _tune(client)
    studio = PromptStudio(client=client, tune=tune, text="with <lora:999999:1> a stranger")
    run = studio.submit()
    with pytest.raises(ValidationError, match="999999"):
        run.wait(timeout=WAIT)
    assert run.status == "error"
    assert "ValidationError" in studio.results.status.value
    assert studio.text.value == "with <lora:999999:1> a stranger"  # nothing typed is lost
    assert not studio.submit_button.disabled

    studio.text.value = "portrait [fail]"
    run = studio.submit(sweep={"seed": [1, 2]})
    prompts = run.wait(timeout=WAIT)
    assert run.status == "failed" and [prompt_status(p) for p in prompts] == ["failed"] * 2
    cell = studio.results.cells[0]
    assert prompts[0]["user_error"] and "color" in cell.state.value  # the error, in red
    assert cell.view.disabled and cell.use.disabled
