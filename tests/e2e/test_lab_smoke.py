"""Proves the browser harness: ipywidgets render in JupyterLab, clicks reach the kernel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from .lab import NotebookPage, write_notebook

SMOKE_CELLS = [
    (
        "import ipywidgets as w\n"
        "slider = w.IntSlider(value=3, min=0, max=10, description='n')\n"
        "slider.add_class('e2e-slider')\n"
        "label = w.Label('waiting')\n"
        "label.add_class('e2e-label')\n"
        "button = w.Button(description='Double it')\n"
        "button.add_class('e2e-button')\n"
        "button.on_click(lambda _: setattr(label, 'value', f'doubled: {slider.value * 2}'))\n"
        "w.VBox([slider, button, label])"
    ),
]


def test_widget_click_reaches_the_kernel(
    notebook: NotebookPage, page: Any, lab: Any, artifacts: Path
) -> None:
    write_notebook(lab.root / "smoke.ipynb", SMOKE_CELLS)
    notebook.open("smoke.ipynb")
    notebook.run_all()

    label = page.locator(".e2e-label")
    expect(label).to_have_text("waiting", timeout=30_000)
    page.locator(".e2e-button").click()
    expect(label).to_have_text("doubled: 6")

    # move the slider with the keyboard, as a user can, then click again
    page.locator(".e2e-slider .noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.locator(".e2e-button").click()
    expect(label).to_have_text("doubled: 8")

    # the kernel sees the value the browser set, in a cell run afterwards
    index = notebook.add_cell("print('slider is', slider.value)")
    notebook.run_cell(index)
    assert "slider is 4" in notebook.output_text(index)
    assert page.locator("text=Error displaying widget").count() == 0

    # saving writes the widget state (saveState is on in the test settings), which is what
    # lets the other browser tests look for secrets in it
    notebook.save()
    saved = json.loads((lab.root / "smoke.ipynb").read_text())
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    labels = [m["state"].get("value") for m in state.values() if m["model_name"] == "LabelModel"]
    assert "doubled: 8" in labels

    page.screenshot(path=str(artifacts / "lab-smoke.png"), full_page=True)
    assert (artifacts / "lab-smoke.png").stat().st_size > 10_000
