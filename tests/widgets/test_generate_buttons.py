""""Generate with this tune" in the browser's detail pane opens a studio on that tune."""

from __future__ import annotations

from astria_widgets.widgets import PromptStudio, TuneBrowser

WAIT = 60


def test_browser_detail_opens_a_studio_on_the_selected_tune(client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora", title="browse me")
    b = TuneBrowser(client)
    try:
        assert b.wait_loaded(WAIT)
        assert b.detail.generate_button.disabled  # nothing selected yet
        b.select(tune["id"])
        button = b.detail.generate_button
        assert not button.disabled and button.description == "Generate with this tune"
        button.click()  # returns at once: the studio is built and loaded in the background
        studio = b.detail.wait_studio(WAIT)
        assert isinstance(studio, PromptStudio) and studio is b.detail.studio
        assert studio.wait_loaded(WAIT)
        assert studio.tune_picker.value == tune["id"]
        studio.text.value = "on a boat"
        assert f"&lt;lora:{tune['id']}:1&gt; ohwx man on a boat" in studio.preview.value
        b.select(None)
        assert b.detail.generate_button.disabled
    finally:
        b.close()


def test_a_failed_tune_offers_no_generate_button(client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="fast", title="broken [fail]")
    client.wait_for_tune(tune["id"], timeout=WAIT)
    b = TuneBrowser(client)
    try:
        assert b.wait_loaded(WAIT)
        b.select(tune["id"])
        assert b.detail.generate_button.disabled
    finally:
        b.close()


def test_a_finished_form_offers_a_studio_on_its_tune(client, photos):
    from astria_widgets.widgets import TuneForm

    form = TuneForm(client=client, name="dog", branch="flux1")
    form.add_images(photos(4))
    assert form.generate_button.layout.display == "none"
    handle = form.submit()
    tune = handle.wait(timeout=WAIT)
    assert form.generate_button.layout.display == ""
    form.generate_button.click()  # returns at once: the studio is built in the background
    studio = form.wait_studio(WAIT)
    assert isinstance(studio, PromptStudio) and studio is form.studio_box.children[0]
    assert studio.wait_loaded(WAIT)
    assert studio.tune_picker.value == tune["id"]
    studio.text.value = "on the beach"
    assert f"&lt;lora:{tune['id']}:1&gt; ohwx dog on the beach" in studio.preview.value
    run = studio.submit()
    [prompt] = run.wait(timeout=WAIT)
    assert prompt["tune_id"] == 1504944 and prompt["images"]
