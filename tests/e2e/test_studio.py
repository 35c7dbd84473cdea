"""The prompt studio in a real JupyterLab: pick a tune, type a prompt, run a 2x2 sweep.

A Flux LoRA tune is created through the client first. In headless Chromium the user searches
for it in the studio, picks it, types a prompt (the preview shows the reference as it will be
sent), sweeps seed x cfg_scale, clicks Generate, runs another cell while the prompts generate
(the kernel stays free), sees four labelled results with real images, and downloads them all.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image
from playwright.sync_api import expect

from .conftest import E2E_KEY
from .lab import LabServer, NotebookPage, write_notebook

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

STUDIO_CELL = (
    "from astria_widgets import PromptStudio, connect\n"
    "studio = PromptStudio(connect())\n"
    "studio"
)


def test_studio_sweep_in_the_browser(notebook: NotebookPage, page: Any, lab: LabServer,
                                     e2e_sandbox: Sandbox, artifacts: Path) -> None:
    from astria_widgets.client import AstriaClient

    client = AstriaClient(api_key=E2E_KEY, base_url=e2e_sandbox.url, sandbox=True)
    title = f"studio {secrets.token_hex(4)}"
    tune = client.create_tune(name="woman", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora", title=title)
    write_notebook(lab.root / "studio.ipynb", [STUDIO_CELL])
    notebook.open("studio.ipynb")
    notebook.run_all()
    studio = page.locator(".astria-prompt-studio")
    expect(studio).to_be_visible(timeout=60_000)
    generate = studio.locator("button.astria-studio-submit")
    expect(generate).to_be_disabled()

    studio.locator(".astria-studio-search input").fill(title)
    picker = studio.locator(".astria-studio-tune select")
    expect(picker.locator("option")).to_have_count(1, timeout=30_000)
    picker.select_option(value=picker.locator("option").first.get_attribute("value"))
    studio.locator(".astria-studio-text textarea").fill("portrait in a sunlit studio")
    studio.locator(".astria-studio-text textarea").blur()
    expect(studio.locator(".astria-studio-preview")).to_contain_text(
        f"<lora:{tune['id']}:1> ohwx woman portrait in a sunlit studio", timeout=30_000)
    studio.locator(".astria-studio-sweep-rows select").select_option(label="seed")
    studio.locator(".astria-studio-sweep-row-values input").fill("1, 2")
    studio.locator(".astria-studio-sweep-cols select").select_option(label="cfg_scale")
    studio.locator(".astria-studio-sweep-col-values input").fill("3, 7")
    studio.locator(".astria-studio-sweep-col-values input").blur()
    expect(generate).to_be_enabled(timeout=30_000)
    generate.click()

    cells = studio.locator(".astria-studio-cell")
    expect(cells).to_have_count(4, timeout=30_000)
    # the kernel is free while the prompts generate: another cell runs and answers
    index = notebook.add_cell("meanwhile = sum(range(10))\nprint('meanwhile', meanwhile, "
                              "studio.run.status)")
    notebook.run_cell(index)
    output = notebook.output_text(index)
    assert "meanwhile 45" in output
    expect(studio.locator(".astria-studio-row-label")).to_have_text(
        ["seed = 1", "seed = 2"])
    expect(studio.locator(".astria-studio-col-label")).to_have_text(
        ["cfg_scale = 3", "cfg_scale = 7"])
    expect(studio.locator(".astria-studio-status")).to_contain_text(
        "4 of 4 prompts finished", timeout=120_000)
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.astria-studio-cell-image'))
              .map(e => e.tagName === 'IMG' ? e : e.querySelector('img'))
              .filter(img => img && img.complete && img.naturalWidth > 0).length === 4""",
        timeout=60_000,
    )
    for i, (seed, cfg) in enumerate([(1, 3), (1, 7), (2, 3), (2, 7)]):
        expect(cells.nth(i).locator(".astria-studio-cell-label")).to_have_text(
            f"seed {seed} · cfg_scale {cfg}")
        expect(cells.nth(i).locator(".astria-studio-cell-state")).to_contain_text(
            f"seed {seed}")
    studio.locator(".astria-studio-grid").scroll_into_view_if_needed()
    notebook.screenshot(artifacts / "studio-grid.png")

    studio.locator(".astria-studio-folder input").fill("studio-downloads")
    studio.locator(".astria-studio-folder input").blur()
    studio.locator("button.astria-studio-download").click()
    expect(studio.locator(".astria-studio-results-message")).to_contain_text(
        "Saved 4 files to studio-downloads", timeout=30_000)
    saved = sorted((lab.root / "studio-downloads").iterdir())
    prompts = client.list_prompts(1504944, limit=10)
    mine = sorted(p["id"] for p in prompts if f"<lora:{tune['id']}:1>" in p["text"])
    assert len(mine) == 4
    assert [p.name for p in saved] == [f"prompt-{pid}-01.png" for pid in mine]
    for path in saved:
        with Image.open(path) as im:
            im.verify()

    # saved with every widget's state (saveState is on): no key in the file
    notebook.save()
    saved_notebook = (lab.root / "studio.ipynb").read_text()
    assert "application/vnd.jupyter.widget-state+json" in saved_notebook
    assert E2E_KEY not in saved_notebook
