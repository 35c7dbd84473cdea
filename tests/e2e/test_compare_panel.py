"""Issue 21 in a real JupyterLab: a two-tune comparison with its tally, then the side panel's
"Recent runs" lists it and a click inserts the cell that reopens it (which renders the grid
from the history alone)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from .lab import LabServer, NotebookPage, lab_on_sandbox, write_notebook

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

KEY = "sd_compare_e2e_" + secrets.token_hex(12)
PANEL = "#astria-widgets-panel"
TAB = '.jp-SideBar [data-id="astria-widgets-panel"]'


@pytest.fixture(scope="module")
def compare_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    from astria_widgets.sandbox import Sandbox

    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("compare-e2e-sandbox"),
                 api_key=KEY, speed=600.0) as sb:
        yield sb


@pytest.fixture(scope="module")
def two_tunes(compare_sandbox: Sandbox) -> list[dict[str, Any]]:
    from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings

    client = AstriaClient(api_key=KEY, base_url=compare_sandbox.url, sandbox=True,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())
    tunes = [client.create_tune(title=title, name=name, branch="flux1", model_type="lora",
                                image_urls=["https://example.com/a.jpg"])
             for title, name in (("Anna", "woman"), ("Ben", "man"))]
    for tune in tunes:
        client.wait_for_tune(tune["id"], timeout=120)
    return tunes


@pytest.fixture(scope="module")
def compare_lab(compare_sandbox: Sandbox, two_tunes: list[dict[str, Any]],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    with lab_on_sandbox(compare_sandbox, tmp_path_factory.mktemp("compare-lab")) as server:
        yield server


def test_a_comparison_is_listed_in_the_panel_and_a_click_reopens_it(
    page: Any, compare_lab: LabServer, compare_sandbox: Sandbox,
    two_tunes: list[dict[str, Any]], artifacts: Path,
) -> None:
    from astria_widgets.history import TuneHistory

    anna, ben = (t["id"] for t in two_tunes)
    write_notebook(compare_lab.root / "compare.ipynb", [
        "from astria_widgets import compare\n\n"
        f"view = compare([{anna}, {ben}], texts=['portrait, studio light'], "
        "seeds=[1, 2, 3], num_images=1)\n"
        "view.run.wait(timeout=120)\n"
        "for cell in (0, 2, 4, 3):\n"
        "    view.run.like(cell)\n"
        "view.recorder.sync()\n"
        "view",
    ])
    notebook = NotebookPage(page, compare_lab)
    notebook.open("compare.ipynb")
    notebook.run_cell(0, timeout_ms=180_000)
    output = notebook.cell(0).locator(".jp-OutputArea")
    tally = output.locator(".astria-compare-tally")
    expect(tally).to_contain_text(f"Anna (#{anna}): 3 of 3 liked", timeout=60_000)
    expect(tally).to_contain_text(f"Ben (#{ben}): 1 of 3 liked")
    notebook.wait_for_images("img.astria-compare-cell-image", 6)
    assert "Traceback" not in notebook.output_text(0)
    size = page.viewport_size or {"width": 1400, "height": 1000}
    page.set_viewport_size({"width": size["width"], "height": 2400})  # the whole grid
    try:
        output.scroll_into_view_if_needed()
        output.screenshot(path=str(artifacts / "compare-tally.png"))
    finally:
        page.set_viewport_size(size)

    history = TuneHistory(compare_sandbox.data_dir / "history.sqlite3")
    try:
        (run,) = history.runs.list("compare")
    finally:
        history.close()
    page.locator(TAB).click()
    panel = page.locator(PANEL)
    row = panel.locator(f'.jp-AstriaPanel-run[data-run-id="{run.run_id}"]')
    expect(row).to_be_visible(timeout=60_000)
    expect(row).to_contain_text("6 prompts")
    expect(row).to_contain_text("4 liked")
    panel.screenshot(path=str(artifacts / "astria-panel-recent-runs.png"))
    row.click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.length"
                           " === 2")
    source = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[1]"
                           ".model.sharedModel.getSource()")
    assert source == ("from astria_widgets import PromptStudio\n\n"
                      f'PromptStudio.open_run("{run.run_id}")')
    notebook.run_cell(1, timeout_ms=120_000)
    reopened = notebook.cell(1).locator(".jp-OutputArea")
    expect(reopened.locator(".astria-compare-status")).to_contain_text(
        "reopened from the history", timeout=60_000)
    expect(reopened.locator(".astria-compare-tally")).to_have_text(tally.inner_text())
    assert "Traceback" not in notebook.output_text(1)
