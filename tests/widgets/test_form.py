"""TuneForm driven from Python against the session sandbox: values set, Submit clicked, the
handle followed to the end."""

from __future__ import annotations

import importlib
import io
import threading
import time

import pytest
from PIL import Image

from astria_widgets.client import ValidationError, tune_status
from astria_widgets.widgets import FormInvalid, SubmitHandle, TuneForm

WAIT = 60  # seconds; a guard against hangs, not a timing assertion


@pytest.fixture
def ready_form(photos):
    """``ready_form(client, **values)``: a valid form (man, fast, four photos) plus ``values``."""

    def make(client, **values) -> TuneForm:
        values = {"name": "man", "branch": "fast", **values}
        form = TuneForm(client=client, **values)
        form.add_images(photos(4))
        return form

    return make


def test_valid_submission_trains_and_fills_the_gallery(client, photos):
    form = TuneForm(
        client=client, name="woman", branch="flux1",
        prompts=["ohwx woman as an astronaut", {"text": "ohwx woman, oil painting",
                                                "num_images": 2, "seed": 7}],
    )  # fmt: skip
    form.add_images(photos(4))
    assert form.errors == []
    assert not form.submit_button.disabled
    title = form.fields["title"].value

    form.submit_button.click()
    handle = form.handle
    assert isinstance(handle, SubmitHandle)
    record = handle.wait(timeout=WAIT)

    assert tune_status(record) == "trained"
    assert handle.status == "trained" and handle.error is None
    progress = handle.progress
    assert progress in form.progress_box.children
    assert progress.status_label.value == "trained"
    assert progress.bar.bar_style == "success" and progress.bar.value == 1.0
    assert progress.upload_bar.value == 1.0 and " of " in progress.upload_label.value
    # the tune really exists with what the form held
    stored = client.get_tune(record["id"])
    assert stored["title"] == title and stored["name"] == "woman"
    assert len(stored["orig_images"]) == 4
    # both prompts finished; 1 + 2 images arrived in the gallery, as real images
    assert sorted(p["text"] for p in handle.prompts) == [
        "ohwx woman as an astronaut", "ohwx woman, oil painting",
    ]  # fmt: skip
    assert [row.status_label.value for row in progress.prompts_box.children] == ["done", "done"]
    assert progress.gallery.count == 3
    for item in progress.gallery.children:
        image = item.children[0]
        assert "astria-gallery-image" in image.get_state()["_dom_classes"]
        Image.open(io.BytesIO(image.value)).verify()
    # every input is kept after submitting
    assert form.fields["title"].value == title and form.picker.count == 4
    assert len(form.prompt_editor.rows) == 2


def test_submit_is_disabled_with_reasons_until_valid(photos):
    form = TuneForm(name="")
    assert form.submit_button.disabled and not form.valid
    assert any(e.startswith("name:") for e in form.errors)
    assert any(e.startswith("images:") for e in form.errors)
    assert form.reason.startswith(form.errors[0])
    assert "required" in form.field_messages["name"].value

    form.fields["name"].value = "dog"
    assert form.field_messages["name"].value == ""
    form.fields["steps"].value = "lots"
    form.fields["callback"].value = "ftp://example.org/hook"
    form.add_images([("notes.txt", b"just some text, not a photo"), *photos(2)])
    errors = form.errors
    assert any(e.startswith("steps:") and "whole number" in e for e in errors)
    assert any(e.startswith("callback:") for e in errors)
    assert any("notes.txt" in e for e in errors)  # the rejected file is named
    assert not any(e.startswith("images:") for e in errors)  # two good images are enough
    assert form.submit_button.disabled

    form.fields["steps"].value = "500"
    form.fields["callback"].value = ""
    form.prompt_editor.add_prompt("")  # an empty prompt row is a problem of its own
    errors = form.errors
    assert len(errors) == 2 and errors[0].startswith("notes.txt: ")
    assert errors[1] == "prompt 1: text is required"
    form.prompt_editor.rows[0].text.value = "ohwx dog on a beach"
    form.picker.remove("notes.txt")
    assert form.errors == [] and form.valid
    assert not form.submit_button.disabled and form.reason_label.value == ""


def test_token_follows_the_branch_until_typed():
    form = TuneForm(branch="sdxl1")
    assert form.fields["token"].value == "ohwx"
    form.fields["branch"].value = "sd15"
    assert form.fields["token"].value == "sks"
    form.fields["token"].value = "zwx"
    form.fields["branch"].value = "flux1"
    assert form.fields["token"].value == "zwx"
    assert TuneForm(token="abc", branch="sd15").fields["token"].value == "abc"


def test_default_titles_are_unique():
    assert TuneForm().fields["title"].value != TuneForm().fields["title"].value


def test_submit_on_an_invalid_form_raises_listing_every_problem(client):
    form = TuneForm(client=client, name="", steps="-3")
    with pytest.raises(FormInvalid) as info:
        form.submit()
    assert isinstance(info.value, ValueError)
    assert info.value.problems == form.errors and len(info.value.problems) >= 3
    for problem in info.value.problems:
        assert problem in str(info.value)
    assert form.handle is None and client.list_tunes() == []


def test_server_422_is_shown_inline_inputs_kept_and_resubmit_reuses_the_title(client, ready_form):
    form = ready_form(client, steps="999999999", prompts=["ohwx man at the beach"])
    title = form.fields["title"].value
    assert form.errors == []  # the limit on steps is the service's, not the form's

    handle = form.submit()
    with pytest.raises(ValidationError):
        handle.wait(timeout=WAIT)
    assert handle.status == "error"
    assert "steps" in form.field_messages["steps"].value or any(
        e.startswith("steps:") for e in form.errors
    )
    assert form.field_messages["steps"].value != ""
    assert "Not submitted" in form.message.value
    assert form.submit_button.disabled  # until the refused field changes
    # nothing typed or picked was lost
    assert form.fields["title"].value == title and form.fields["name"].value == "man"
    assert form.picker.count == 4 and form.prompt_editor.value[0]["text"] == "ohwx man at the beach"

    form.fields["steps"].value = "600"
    assert form.errors == [] and not form.submit_button.disabled
    record = form.submit().wait(timeout=WAIT)
    assert record["title"] == title and tune_status(record) == "trained"

    again = form.submit()  # same title: shows the same tune, creates nothing
    assert again.wait(timeout=WAIT)["id"] == record["id"]
    assert [t["id"] for t in client.list_tunes() if t["title"] == title] == [record["id"]]


def test_failed_training_shows_failed_in_danger(client, ready_form):
    form = ready_form(client, title="portrait [fail] run", branch="sdxl1",
                      prompts=["ohwx man, studio light"])  # fmt: skip
    handle = form.submit()
    record = handle.wait(timeout=WAIT)
    progress = handle.progress
    assert tune_status(record) == "failed" and handle.status == "failed"
    assert progress.status_label.value == "failed"
    assert progress.bar.bar_style == "danger"
    assert "Training failed" in progress.detail.value
    assert progress.gallery.count == 0
    assert [row.status_label.value for row in progress.prompts_box.children] == ["pending"]
    assert "not run" in progress.prompts_box.children[0].detail.value


def test_stop_watching_ends_the_watch_but_not_the_tune(client, ready_form):
    form = ready_form(client, branch="flux1")
    running = threading.Event()
    handle = form.submit()
    handle.progress.observe(
        lambda change: running.set() if change["new"] in ("queued", "training") else None,
        names="status",
    )
    if handle.status in ("queued", "training"):
        running.set()
    assert running.wait(WAIT)
    handle.progress.stop_button.click()
    record = handle.wait(timeout=WAIT)
    assert tune_status(record) in ("queued", "training")
    assert handle.progress.stopped and handle.progress.stop_button.disabled
    assert "Stopped watching" in handle.progress.message.value
    # the tune goes on in the service
    assert tune_status(client.wait_for_tune(record["id"], timeout=WAIT)) == "trained"


def test_the_kernel_thread_stays_free_while_the_worker_runs(client, ready_form):
    form = ready_form(client, branch="flux1", prompts=["ohwx man reading"])
    seen: list[tuple[str, bool]] = []
    main = threading.get_ident()
    handle = form.submit()
    handle.progress.observe(
        lambda change: seen.append((change["new"], threading.get_ident() == main)),
        names="status",
    )
    assert not handle.done  # submit() returned before the tune trained
    # meanwhile the main thread keeps working: another form, other API calls
    other = ready_form(client, name="dog")
    assert other.errors == [] and other.fields["title"].value != form.fields["title"].value
    listed = []
    deadline = time.monotonic() + WAIT
    while not handle.done and time.monotonic() < deadline:
        listed.append(len(client.list_tunes()))
        handle.watch.join(0.05)
    assert handle.wait(timeout=WAIT)["id"] and listed and max(listed) == 1
    statuses = [status for status, _ in seen]
    assert "trained" in statuses and statuses[-1] == "trained"
    assert all(not on_main for _, on_main in seen)  # updates came from the worker thread


def test_repr_is_plain_text():
    form = TuneForm(name="cat", branch="fast")
    assert repr(form) == "TuneForm(name='cat', branch='fast', images=0, prompts=0, valid=False)"


def test_without_a_client_the_form_connects_at_submit_time(sandbox, monkeypatch, photos):
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(sandbox.data_dir))  # connect() reuses it
    form = TuneForm(name="man", branch="fast")
    assert form.client is None  # constructing the form connects to nothing
    form.add_images(photos(2, start=40))
    record = form.submit().wait(timeout=WAIT)
    assert form.client is not None and form.client.is_sandbox
    assert form.client.base_url == sandbox.url and tune_status(record) == "trained"
    assert f"using the local sandbox at {sandbox.url}" in form.message.value


def test_a_refused_prompt_is_marked_on_its_own_row(client, ready_form):
    form = ready_form(client, prompts=["ohwx man hiking", "x" * 10_001])
    assert form.errors == []  # the length limit is the service's
    with pytest.raises(ValidationError):
        form.submit().wait(timeout=WAIT)
    first, second = form.prompt_editor.rows
    assert first.message.value == "" and "too long" in second.message.value
    assert any(e.startswith("prompt 2: ") and "too long" in e for e in form.errors)
    second.text.value = "ohwx man, short and sweet"
    assert second.message.value == "" and form.errors == []
    assert tune_status(form.submit().wait(timeout=WAIT)) == "trained"


@pytest.mark.parametrize(
    ("key", "target"),
    [
        ("name", ("name", None)),
        ("tune[title]", ("title", None)),
        ("image_urls", ("image_urls", None)),
        ("prompts_attributes[2][seed]", ("prompts", 2)),
        ("prompts_attributes.0.text", ("prompts", 0)),
        ("prompts_attributes", ("prompts", None)),
        ("base", ("general", None)),
    ],
)
def test_server_error_keys_map_to_fields(key, target):
    from astria_widgets.client.tune_fields import map_server_error_key

    assert map_server_error_key(key) == target


def test_submit_clicked_without_a_client_connects_in_the_background(sandbox, monkeypatch,
                                                                     photos):
    """``connect()`` may look for a sandbox or start one: the click does not wait for it."""
    connecting = importlib.import_module("astria_widgets.connect")  # the module, not connect()

    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(sandbox.data_dir))  # connect() reuses it
    real = connecting.connect

    def slow_connect(**kwargs):
        time.sleep(1.0)
        return real(**kwargs)

    monkeypatch.setattr(connecting, "connect", slow_connect)
    form = TuneForm(name="man", branch="fast")
    form.add_images(photos(2, start=60))
    started = time.monotonic()
    form.submit_button.click()
    assert time.monotonic() - started < 0.5 and form.handle is None
    assert "Connecting" in form.message.value and form.submit_button.disabled
    deadline = time.monotonic() + WAIT
    while form.handle is None and time.monotonic() < deadline:
        time.sleep(0.05)
    record = form.handle.wait(timeout=WAIT)
    assert tune_status(record) == "trained" and form.client.base_url == sandbox.url
    assert f"using the local sandbox at {sandbox.url}" in form.message.value
