"""A studio sweep resumed after a kernel restart in JupyterLab (issue 21, "Must show").

The sandbox runs as a process of its own (``python -m astria_widgets.sandbox``), slow enough
that a 3 x 3 sweep is still rendering when the kernel restarts; the JupyterLab server of this
test gives its kernels that sandbox's folder (``ASTRIA_SANDBOX_DIR``: ``connect()`` reuses it),
a history file of the test's own (``ASTRIA_HISTORY``) and this checkout's code
(``PYTHONPATH``). In headless Chromium:

1. a notebook shows a ``PromptStudio`` set to the sweep; Generate is clicked, and a cell waits
   until its nine prompts are created (none finished yet);
2. the kernel is restarted through Lab (``kernelmenu:restart``, the dialog accepted), and a
   new kernel answers (its execution count starts again);
3. a new cell runs ``from astria_widgets import resume; resume()``: its summary line says the
   nine prompts of one run, and every cell of the resumed grid ends with an image, loaded in
   the page, each a preview (at most ``THUMB`` px wide), and View fetches the full image;
   the run's status says all nine finished;
4. the resume cell (input and output) is photographed: ``resumed-sweep.png``, shipped as
   ``docs/screenshots/resumed-sweep.png``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from astria_widgets.widgets.studio_results import THUMB

from .lab import LabServer, NotebookPage, write_notebook

ROOT = Path(__file__).resolve().parents[2]
SPEED = 1.5  # a Flux prompt renders in ~20 s: the restart falls in the middle of the sweep
LATENCY = 0.05
TUNE = 1504944  # the documented Flux tune every sandbox account has
SUMMARY = re.compile(r"Resumed:\s*9 prompts rendering, from 1 run")

_KERNEL_IDLE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}"""
# every image of the resumed grid (ipywidgets draws an Image as an <img> with its classes)
_RESUMED_IMAGES = """() => Array.from(document.querySelectorAll(
    '.astria-resume .astria-studio-grid .astria-studio-cell-image'))
  .map(e => e.tagName === 'IMG' ? e : e.querySelector('img')).filter(Boolean)"""

_FULL_IMAGE = """() => {
  const found = document.querySelector('.astria-resume .astria-studio-viewer '
                                       + '.astria-studio-full-image');
  const img = found && (found.tagName === 'IMG' ? found : found.querySelector('img'));
  return !!(img && img.complete && img.naturalWidth > 0) && img.naturalWidth;
}"""


@pytest.fixture
def slow_sandbox(tmp_path: Path) -> Iterator[Path]:
    """A sandbox process on loopback (its folder holds ``server.json``), stopped after."""
    folder = tmp_path / "sandbox"
    folder.mkdir()
    log = folder / "sandbox.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "astria_widgets.sandbox", "--port", "0", "--data-dir",
             str(folder), "--speed", str(SPEED), "--latency", str(LATENCY),
             "--seed-history", "0"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not (folder / "server.json").exists():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        json.loads((folder / "server.json").read_text())
        yield folder
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def resume_lab(slow_sandbox: Path, tmp_path: Path) -> Iterator[LabServer]:
    """JupyterLab whose kernels reach ``slow_sandbox`` and keep their own history file."""
    server = LabServer(root=tmp_path / "root", workdir=tmp_path / "work")
    server.start({"ASTRIA_SANDBOX_DIR": str(slow_sandbox),
                  "ASTRIA_HISTORY": str(tmp_path / "history.sqlite3"),
                  "PYTHONPATH": str(ROOT), "ASTRIA_API_KEY": None, "ASTRIA_BASE_URL": None})
    try:
        yield server
    finally:
        server.stop()


def _restart_kernel(page: Any) -> None:
    """Kernel › Restart Kernel…, the dialog accepted; returns once the new kernel is idle."""
    page.evaluate("""() => {
      const ctx = window.jupyterapp.shell.currentWidget.sessionContext;
      window.__astriaRestarted = false;
      ctx.statusChanged.connect((_, status) => {
        if (status === 'restarting' || status === 'starting') window.__astriaRestarted = true;
      });
      window.jupyterapp.commands.execute('kernelmenu:restart');
    }""")
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Restart", timeout=30_000)
    dialog.locator("button.jp-mod-accept").click()
    expect(dialog).to_have_count(0, timeout=30_000)
    page.wait_for_function(f"() => window.__astriaRestarted && ({_KERNEL_IDLE})()",
                           timeout=90_000)


def test_a_sweep_restarted_mid_render_is_resumed_with_every_image(
        page: Any, resume_lab: LabServer, artifacts: Path) -> None:
    lab = resume_lab
    write_notebook(lab.root / "resume.ipynb", [
        "from astria_widgets import PromptStudio, connect\n"
        f"studio = PromptStudio(connect(), tune={TUNE}, text='a lighthouse at dusk, "
        "watercolour', num_images=1)\n"
        "studio.groups.selected_index = None\n"
        "studio.sweep_rows.value = 'seed'\n"
        "studio.sweep_row_values.value = '1, 2, 3'\n"
        "studio.sweep_cols.value = 'cfg_scale'\n"
        "studio.sweep_col_values.value = '3, 5, 7'\n"
        "studio"])
    notebook = NotebookPage(page, lab)
    notebook.open("resume.ipynb")
    notebook.run_all()
    studio = page.locator(".astria-prompt-studio")
    generate = studio.locator("button.astria-studio-submit")
    expect(generate).to_be_enabled(timeout=60_000)
    generate.click()
    expect(studio.locator(".astria-studio-cell")).to_have_count(9, timeout=60_000)
    waiting = notebook.add_cell(
        "import os, time\n"
        "deadline = time.monotonic() + 60  # until the nine prompts are created\n"
        "while len(studio.run.prompts) < 9 and time.monotonic() < deadline:\n"
        "    time.sleep(0.1)\n"
        "done = sum(1 for p in studio.run.prompts if p.get('images'))\n"
        "print(len(studio.run.prompts), 'prompts created,', done, 'finished; kernel pid', "
        "os.getpid())")
    notebook.run_cell(waiting, timeout_ms=90_000)
    before = notebook.output_text(waiting)
    assert "9 prompts created, 0 finished" in before, before
    _restart_kernel(page)
    notebook.add_cell("### After Kernel › Restart Kernel\n"
                      "The sweep went on at the service; the history knows its prompts.")
    page.evaluate("""async () => {
      const app = window.jupyterapp;
      await app.commands.execute('notebook:change-cell-to-markdown');
      await app.commands.execute('notebook:run-cell');
    }""")
    index = notebook.add_cell("from astria_widgets import resume\nresume()")
    notebook.run_cell(index, timeout_ms=90_000)
    cell = notebook.cell(index)
    expect(cell.locator(".jp-InputPrompt")).to_contain_text("[1]")  # a new kernel ran it
    pid = notebook.add_cell("import os; print('kernel pid', os.getpid())")
    notebook.run_cell(pid)
    old_pid = before.split("kernel pid", 1)[1].split()[0]
    new_pid = notebook.output_text(pid).split("kernel pid", 1)[1].split()[0]
    assert new_pid != old_pid  # another kernel process
    summary = cell.locator(".astria-resume-summary")
    expect(summary).to_have_text(SUMMARY, timeout=60_000)
    grid_cells = cell.locator(".astria-resume .astria-studio-cell")
    expect(grid_cells).to_have_count(9, timeout=60_000)
    expect(cell.locator(".astria-resume .astria-studio-status")).to_contain_text(
        "9 of 9 prompts finished", timeout=240_000)
    page.wait_for_function(
        f"""() => {{ const imgs = ({_RESUMED_IMAGES})();
              return imgs.length === 9 && imgs.every(
                i => i.getAttribute('src') && i.complete && i.naturalWidth > 0); }}""",
        timeout=120_000)
    for i in range(9):  # each cell of the grid holds its image (not a placeholder)
        expect(grid_cells.nth(i).locator("img")).to_have_count(1)
        expect(grid_cells.nth(i)).not_to_contain_text("no preview")
    widths = page.evaluate(f"() => ({_RESUMED_IMAGES})().map(i => i.naturalWidth)")
    assert max(widths) <= THUMB, widths  # previews in the grid

    _photograph(page, waiting, index, artifacts / "resumed-sweep.png")
    view = grid_cells.nth(4).locator("button.astria-studio-view")
    view.click()  # the full image is fetched when asked
    full = page.wait_for_function(_FULL_IMAGE, timeout=60_000)
    assert int(full.json_value()) > THUMB


def _photograph(page: Any, first: int, last: int, path: Path) -> None:
    """Cells ``first`` to ``last`` (the wait before the restart, the note, the resumed grid),
    the page made as tall as the notebook so nothing is cut (Lab scrolls inside its panel)."""
    size = page.viewport_size
    need = int(page.evaluate("""() => {
      const outer = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
      outer.scrollTop = 0;
      return outer.scrollHeight + outer.getBoundingClientRect().top + 60;
    }"""))
    page.set_viewport_size({"width": size["width"], "height": min(6000, max(need,
                                                                            size["height"]))})
    try:
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                      "requestAnimationFrame(r)))")
        box = page.evaluate("""([first, last]) => {
          const cells = window.jupyterapp.shell.currentWidget.content.widgets;
          const a = cells[first].node.getBoundingClientRect();
          const b = cells[last].node.getBoundingClientRect();
          const grid = cells[last].node.querySelector('.astria-studio-grid');
          const right = Math.max(grid.getBoundingClientRect().right,
                                 a.left + 700) + 24;
          return {x: a.left, y: a.top, width: Math.min(b.right, right) - a.left,
                  height: b.bottom - a.top};
        }""", [first, last])
        page.screenshot(path=str(path), clip=box)
    finally:
        page.set_viewport_size(size)
