"""The tune form in a real JupyterLab: upload, fill in, submit, watch it train, see the images.

A notebook displaying ``TuneForm`` is opened in headless Chromium. Four photos on "the user's
machine" (a folder outside the server's root) go through the browser's file input, the fields
and two prompts are filled in, Submit is clicked; the live progress reaches ``trained`` while
another cell runs meanwhile, and the prompt images appear in the gallery. The notebook is then
saved with widget state (the leaky setting) and must not contain the key.
"""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from .conftest import E2E_KEY
from .lab import LabServer, NotebookPage, write_notebook

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

FORM_CELL = (
    "from astria_widgets import TuneForm, connect\n"
    "client = connect()\n"
    "form = TuneForm(client)\n"
    "form"
)
PROMPTS = ["ohwx dog on the beach, golden hour", "ohwx dog as an astronaut, studio photo"]
ACTIVE_STATES = {"submitting", "uploading", "queued", "training"}


def make_photos(folder: Path, count: int = 4) -> list[Path]:
    """Distinct 640x800 JPEG 'photos' (big enough for the image checks, all different)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        image = Image.new("RGB", (640, 800), (40 + 50 * i, 120, 200 - 40 * i))
        draw = ImageDraw.Draw(image)
        draw.ellipse((120 + 20 * i, 160, 520 - 10 * i, 640), fill=(230, 200 - 30 * i, 90))
        draw.rectangle((30 * i, 700, 30 * i + 200, 780), fill=(10 * i, 10, 10))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        path = folder / f"photo {i + 1}.jpg"  # a space, as phone exports have
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def test_tune_form_in_the_browser(
    notebook: NotebookPage,
    page: Any,
    lab: LabServer,
    e2e_sandbox: Sandbox,
    artifacts: Path,
    tmp_path: Path,
) -> None:
    photos = make_photos(tmp_path / "my-phone")
    title = f"e2e browser tune {secrets.token_hex(4)}"
    write_notebook(lab.root / "form.ipynb", [FORM_CELL])
    notebook.open("form.ipynb")
    notebook.run_all()
    form = page.locator(".astria-tune-form")
    expect(form).to_be_visible(timeout=60_000)
    submit = form.locator("button.astria-submit")
    expect(submit).to_be_disabled()  # nothing picked yet

    # the browser's own file input, as a user picks photos from their machine
    with page.expect_file_chooser() as chooser:
        form.locator(".astria-upload").first.click()
    assert chooser.value.is_multiple()
    chooser.value.set_files([str(p) for p in photos])

    form.locator(".astria-field-title input").fill(title)
    form.locator(".astria-field-name input").fill("dog")
    token = form.locator(".astria-field-token input")
    expect(token).not_to_have_value("")  # the branch's documented default is filled in
    token.fill("ohwx")
    for i, text in enumerate(PROMPTS):
        form.locator(".astria-add-prompt").click()
        prompt = form.locator(".astria-prompt-text textarea").nth(i)
        prompt.fill(text)

    expect(submit).to_be_enabled(timeout=60_000)  # 4 images accepted, fields valid
    page.wait_for_function(  # the four thumbnails are in before the shot
        """() => Array.from(document.querySelectorAll('.astria-tune-form img.astria-thumb-image'))
              .filter(img => img.complete && img.naturalWidth > 0).length === 4""",
        timeout=30_000,
    )
    notebook.screenshot(artifacts / "tune-form-filled.png")
    submit.click()

    status = form.locator(".astria-tune-status")
    expect(status).to_have_text(re.compile("queued|training"), timeout=60_000)
    # the kernel is free while the tune trains: another cell runs and answers
    index = notebook.add_cell("meanwhile = sum(range(10))\nprint('meanwhile', meanwhile)")
    notebook.run_cell(index)
    assert "meanwhile 45" in notebook.output_text(index)
    assert status.inner_text().strip() in ACTIVE_STATES
    notebook.screenshot(artifacts / "tune-form-training.png")

    expect(status).to_have_text("trained", timeout=120_000)
    prompt_states = form.locator(".astria-prompt-status")
    expect(prompt_states).to_have_count(len(PROMPTS), timeout=60_000)
    for i in range(len(PROMPTS)):
        expect(prompt_states.nth(i)).to_have_text("done", timeout=120_000)
    # one image per prompt (num_images 1), each really decoded by the browser
    expect(form.locator(".astria-gallery-image")).to_have_count(len(PROMPTS), timeout=60_000)
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.astria-tune-form .astria-gallery-image'))
              .map(e => e.tagName === 'IMG' ? e : e.querySelector('img'))
              .every(img => img && img.complete && img.naturalWidth > 0)""",
        timeout=30_000,
    )
    notebook.screenshot(artifacts / "tune-form.png")

    # what the service received: the four photos uploaded through the browser
    from astria_widgets.client import AstriaClient

    client = AstriaClient(api_key=E2E_KEY, base_url=e2e_sandbox.url, sandbox=True)
    tune = next(t for t in client.list_tunes(limit=20) if t["title"] == title)
    assert tune["name"] == "dog" and tune["token"] == "ohwx"
    assert len(tune["orig_images"]) == len(photos)
    assert sorted(p["text"] for p in client.list_prompts(tune["id"])) == sorted(PROMPTS)

    # saved with every widget's state (saveState is on): no key in the file
    notebook.save()
    saved = (lab.root / "form.ipynb").read_text()
    assert "application/vnd.jupyter.widget-state+json" in saved
    assert E2E_KEY not in saved
