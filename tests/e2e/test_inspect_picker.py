""""Check with Astria" in a real JupyterLab: the form's picker sends the photos to the sandbox's
inspector and shows each flag with its fix on the thumbnail; the form offers the characteristics
found in most photos and shows the docs' recommendations for the tune."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter
from playwright.sync_api import expect

from .lab import LabServer, NotebookPage, write_notebook

PORTRAITS = sorted((Path(__file__).resolve().parents[2] / "notebooks" / "images").glob("*.jpg"))


def make_photos(folder: Path) -> None:
    """Four photos: sharp, blurred, with sunglasses (a sandbox marker), and of a dog."""
    folder.mkdir(parents=True, exist_ok=True)
    Image.open(PORTRAITS[0]).save(folder / "1 sharp [eye_color=green eyes].jpg")
    Image.open(PORTRAITS[1]).filter(ImageFilter.GaussianBlur(4)).save(
        folder / "2 blurred [eye_color=green eyes].jpg")
    Image.open(PORTRAITS[2]).save(folder / "3 beach [wearing_sunglasses].jpg")
    Image.open(PORTRAITS[3]).save(folder / "4 park [name=dog][eye_color=green eyes].jpg")


def test_the_picker_shows_the_inspectors_flags(
    notebook: NotebookPage, page: Any, lab: LabServer, artifacts: Path,
) -> None:
    # under the server's root, read by a relative path: the picture shows no temporary folder
    make_photos(lab.root / "inspect-photos")
    write_notebook(lab.root / "inspect.ipynb", [
        "from astria_widgets import TuneForm, connect\n"
        "form = TuneForm(connect(), name='man', images='inspect-photos')\n"
        "form",
    ])
    notebook.open("inspect.ipynb")
    notebook.run_all()
    form = page.locator(".astria-tune-form")
    expect(form).to_be_visible(timeout=60_000)
    expect(form.locator(".astria-form-advice")).to_contain_text("flux-lora-portrait")
    notebook.wait_for_images(".astria-tune-form img.astria-thumb-image", 4)

    form.locator("button.astria-picker-inspect").click()
    verdicts = form.locator(".astria-thumb-inspect")
    expect(verdicts.nth(0)).to_contain_text("looks good", timeout=60_000)
    expect(verdicts.nth(1)).to_contain_text("blurry: retake it in focus")
    expect(verdicts.nth(2)).to_contain_text("retake without sunglasses")
    expect(verdicts.nth(3)).to_contain_text("looks like a dog, not a man")
    expect(form.locator(".astria-thumb-flagged")).to_have_count(3)
    expect(form.locator(".astria-picker-status")).to_contain_text("3 flagged")
    offer = form.locator(".astria-characteristics-offer")
    expect(offer).to_contain_text("eye_color: green eyes")
    notebook.screenshot(artifacts / "picker-inspect.png")

    form.locator("button.astria-use-characteristics").click()
    expect(form.locator(".astria-field-characteristics textarea")).to_have_value(
        "age: 30 yo\neye_color: green eyes")
