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


WATCH_CELL = (
    "from astria_widgets import connect, watch_tune\n"
    "progress = watch_tune({tune_id}, connect(quiet=True))\n"
    "progress"
)
_JS_VIEW = """() => {
  const view = document.querySelector('.astria-tune-progress');
  if (!view) return null;
  const status = view.querySelector('.astria-tune-status');
  return {same: view.__astriaMark === 1, status: status ? status.textContent.trim() : ''};
}"""
_JS_SAVED_COPY = """() => {
  const outputs = window.jupyterapp.shell.currentWidget.content.widgets[0].model.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const html = outputs.get(i).data['text/html'];
    if (html) return html;
  }
  return '';
}"""


@pytest.mark.timeout(300)
def test_in_jupyterlab_the_view_is_left_alone_while_it_runs_and_the_copy_ends_current(
    notebook: Any, page: Any, lab: Any, e2e_sandbox: Sandbox,
) -> None:
    import time

    from astria_widgets.client import AstriaClient

    from .conftest import E2E_KEY
    from .lab import write_notebook

    client = AstriaClient(api_key=E2E_KEY, base_url=e2e_sandbox.url, sandbox=True)
    tune = client.create_tune(name="dog", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora", title="static copy e2e",
                              prompts=[{"text": "ohwx dog on a beach", "num_images": 1}])
    write_notebook(lab.root / "watch.ipynb", [WATCH_CELL.format(tune_id=tune["id"])])
    notebook.open("watch.ipynb")
    notebook.run_all()
    page.wait_for_selector(".astria-tune-progress", timeout=60_000)
    page.evaluate("() => { document.querySelector('.astria-tune-progress').__astriaMark = 1; }")
    # JupyterLab renders an output again on update_display_data, building a new view: none
    # may come while the tune trains (the user may be typing or clicking Stop)
    seen: list[tuple[bool, str]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        view = page.evaluate(_JS_VIEW)
        if view is not None:
            seen.append((view["same"], view["status"]))
        if "status trained" in page.evaluate(_JS_SAVED_COPY):
            break
        time.sleep(0.25)
    running = [same for same, status in seen if status in ("queued", "training")]
    assert running and all(running), seen  # the view the user had all along
    copy = page.evaluate(_JS_SAVED_COPY)
    assert "status trained · 1 prompt: 1 done, 0 failed · 1 image" in copy
    assert copy.count("<img") == 1
    # the final update rebuilt the view once: it is a live widget again, not an error
    page.wait_for_function("() => { const s = document.querySelector("
                           "'.astria-tune-progress .astria-tune-status');"
                           " return s && s.textContent.trim() === 'trained'; }",
                           timeout=30_000)
    assert "Error displaying widget" not in page.inner_text(".jp-Notebook")
    notebook.save()
    saved = nbformat.read(str(lab.root / "watch.ipynb"), as_version=4)
    (output,) = saved.cells[0].outputs
    assert WIDGET_VIEW in output.data and "status trained" in output.data["text/html"]
