"""A finished studio run survives saving and exporting: nbclient -> nbconvert -> no-JS Chromium.

A notebook displays a ``PromptStudio``, then submits a 3x2 sweep against a sandbox and waits
for it in the next cell. It is executed with ``nbclient`` without widget state (as JupyterLab
saves by default), so no widget can render on reopening; the studio's output carries the
static HTML copy, kept current by ``update_display_data`` until the run's final grid.
``jupyter nbconvert --to html`` picks that copy, and Chromium with JavaScript disabled (like
GitHub's and nbviewer's static views) shows the six thumbnails and the status line. The page's
screenshot is kept in ``artifacts/e2e/static-fallback-grid.png`` (``docs/screenshots/`` holds
a copy).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pytest

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

KERNEL_NAME = "astria-static-fallback-test"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CELLS = [
    ("markdown", "# A studio run, saved without widget state"),
    ("code",
     "from astria_widgets import PromptStudio, connect\n"
     "\n"
     "client = connect(quiet=True)\n"
     "studio = PromptStudio(client, tune=1504944, text='a lighthouse at dusk', num_images=1)\n"
     "studio"),
    ("code",  # the studio above was displayed with no run: what it shows now came by updates
     "run = studio.submit(sweep={'seed': [1, 2, 3], 'cfg_scale': [3, 7]})\n"
     "prompts = run.wait(timeout=300)\n"
     "print(run.status, len(prompts), 'prompts')"),
]


@pytest.fixture
def kernel_dirs(tmp_path: Path) -> list[str]:
    """A kernelspec running this interpreter, so the kernel sees the package under test."""
    spec = tmp_path / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "astria fallback test", "language": "python"}))
    return [str(spec.parent)]


def _executed(sandbox: Sandbox, api_key: str, kernel_dirs: list[str], tmp_path: Path) -> Path:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "markdown"
                else nbformat.v4.new_code_cell(src) for kind, src in CELLS]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASTRIA_")}
    env.update(ASTRIA_API_KEY=api_key, ASTRIA_BASE_URL=sandbox.url)
    km = KernelManager(kernel_name=KERNEL_NAME,
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs))
    NotebookClient(nb, km=km, timeout=600, store_widget_state=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    path = tmp_path / "studio-run.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.mark.timeout(600)
def test_an_exported_studio_run_shows_its_grid_without_javascript(
    sandbox: Sandbox, api_key: str, kernel_dirs: list[str], tmp_path: Path, browser: Any,
    artifacts: Path,
) -> None:
    path = _executed(sandbox, api_key, kernel_dirs, tmp_path)
    saved = nbformat.read(str(path), as_version=4)
    assert "widgets" not in saved.metadata  # nothing a widget manager could restore
    assert "done 6 prompts" in saved.cells[2].outputs[0]["text"]
    (output,) = saved.cells[1].outputs
    assert output.output_type == "display_data" and WIDGET_VIEW in output.data
    copy = output.data["text/html"]  # displayed with no run; the updates brought the grid
    assert "6 of 6 prompts finished · status done" in copy and copy.count("<img") == 6
    assert api_key not in path.read_text()

    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)],
                   check=True, capture_output=True, text=True, timeout=300)
    exported = path.with_suffix(".html")
    assert exported.is_file()

    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 1000, "height": 900})
    try:
        page = context.new_page()
        page.goto(exported.as_uri())
        assert page.evaluate("typeof window.requirejs") == "undefined"  # no script ran
        grid = page.locator(".astria-fallback")
        assert grid.count() == 1
        images = page.locator("img")
        assert images.count() == 6
        for index in range(6):  # each one decoded and laid out, not a broken icon
            box = images.nth(index).bounding_box()
            assert box is not None and box["width"] > 60 and box["height"] > 60
            assert images.nth(index).evaluate("img => img.naturalWidth") > 60
        assert "6 of 6 prompts finished · status done" in grid.inner_text()
        assert "seed = 3" in grid.inner_text() and "cfg_scale = 7" in grid.inner_text()
        page.locator(".jp-Cell").nth(1).scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "static-fallback-grid.png"), full_page=True)
    finally:
        context.close()
