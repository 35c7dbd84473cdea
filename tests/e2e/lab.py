"""A real JupyterLab server and a Playwright page driving it, for the browser tests.

``LabServer`` starts ``jupyter lab`` (from the interpreter running the tests) on a temporary
root folder with isolated settings, an OS-chosen port and a token, and waits until
``/api/status`` answers. ``NotebookPage`` wraps a Playwright ``Page`` with the few notebook
actions the tests need: open a notebook, wait for its kernel, run cells, add a cell, save.

The recipe (flags, settings, readiness) is the one in the project's Jupyter notes, section 7.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import requests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Per-plugin user settings written into the isolated JUPYTERLAB_SETTINGS_DIR.
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # no news, no update checks, no toasts covering the page
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    # the leaky setting on purpose: saved notebooks carry every widget's state, so the
    # tests can prove no secret is in it (test_lab_smoke.py proves the state is written)
    "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": True},
}


def write_notebook(path: Path, cells: Iterable[str | tuple[str, str]]) -> Path:
    """Write an nbformat-4 notebook; a cell is code, or ``("markdown", text)``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for cell in cells:
        if isinstance(cell, tuple):
            kind, text = cell
            nb.cells.append(
                nbformat.v4.new_markdown_cell(text)
                if kind == "markdown"
                else nbformat.v4.new_code_cell(text)
            )
        else:
            nb.cells.append(nbformat.v4.new_code_cell(cell))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@dataclass
class LabServer:
    """A running ``jupyter lab`` on 127.0.0.1 (use :meth:`start` and :meth:`stop`)."""

    root: Path
    workdir: Path
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    url: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        """The server's combined stdout/stderr (kernels write their stderr here too)."""
        return self.workdir / "jupyter.log"

    def environment(self, extra: Mapping[str, str | None]) -> dict[str, str]:
        """The server's environment: isolated Jupyter dirs plus ``extra`` (None unsets)."""
        env = dict(os.environ)
        dirs = {
            "JUPYTERLAB_SETTINGS_DIR": "settings",
            "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "IPYTHONDIR": "ipython",
        }
        for name, sub in dirs.items():
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.workdir / sub)
        env["PYTHONUNBUFFERED"] = "1"
        front_end = self.front_end_path()
        if front_end is not None:
            env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [front_end,
                                                                env.get("JUPYTER_PATH")]))
        for name, value in extra.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def front_end_path(self) -> str | None:
        """A ``JUPYTER_PATH`` entry serving the Astria panel's front end built in this
        checkout, or None when it has no build.

        The installed labextension (``share/jupyter/labextensions/astria-widgets``) is a copy
        made by one checkout's install; another checkout (a worktree) that rebuilt ``src/``
        is tested with its own build: ``JUPYTER_PATH`` comes first in every Jupyter search
        path, so JupyterLab takes the extension from there.
        """
        import astria_widgets

        built = Path(astria_widgets.__file__).resolve().parent / "labextension"
        if not (built / "package.json").exists():
            return None
        base = self.workdir / "front-end"
        link = base / "labextensions" / "astria-widgets"
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(built, target_is_directory=True)
        return str(base)

    def _write_settings(self) -> None:
        for plugin, values in LAB_SETTINGS.items():
            path = self.workdir / "settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def start(self, extra_env: Mapping[str, str | None] = (), timeout: float = 120.0) -> None:
        """Start the server and return once ``/api/status`` answers 200."""
        self.root.mkdir(parents=True, exist_ok=True)
        env = self.environment(dict(extra_env))
        self._write_settings()
        cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.port_retries=0",
            f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={self.root}",
            "--allow-root",
            "--LabApp.expose_app_in_browser=True",
            "--JupyterNotebookApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()
        self.url = self._wait_until_ready(Path(env["JUPYTER_RUNTIME_DIR"]), timeout)

    def _wait_until_ready(self, runtime_dir: Path, timeout: float) -> str:
        assert self.process is not None
        info_file = runtime_dir / f"jpserver-{self.process.pid}.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            if info_file.exists():
                try:
                    port = json.loads(info_file.read_text())["port"]
                except (ValueError, KeyError):
                    port = None
                if port:
                    url = f"http://127.0.0.1:{port}"
                    try:
                        answer = requests.get(
                            f"{url}/api/status", params={"token": self.token}, timeout=5
                        )
                    except requests.RequestException:
                        answer = None
                    if answer is not None and answer.status_code == 200:
                        return url
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"jupyter lab not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server log, for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def lab_url(self, path: str, workspace: str | None = None) -> str:
        """The browser URL opening ``path`` (relative to the root) in JupyterLab.

        Each call gets a fresh workspace unless one is named, so no tab from an earlier test
        is restored next to the notebook.
        """
        workspace = workspace or f"e2e-{secrets.token_hex(6)}"
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?token={self.token}"

    def stop(self) -> None:
        """Shut the server and its kernels down (SIGTERM, then SIGKILL to its group)."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        try:  # kernels are in the server's session; end any left behind
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# JavaScript run in the page; ``window.jupyterapp`` is there thanks to expose_app_in_browser.
_JS_NOTEBOOK_READY = """(path) => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.sessionContext || !w.content || !w.context) return false;
  if (w.context.path !== path) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}"""
_JS_ALL_RAN = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!k || k.status !== 'idle') return false;
  return w.content.widgets.every(
    c => c.model.type !== 'code' || c.model.sharedModel.getSource().trim() === ''
         || c.model.executionCount !== null);
}"""
_JS_CELL_RAN = """(i) => {
  const w = window.jupyterapp.shell.currentWidget;
  const c = w.content.widgets[i];
  return !!c && c.model.executionCount !== null && c.promptNode.textContent.indexOf('*') < 0;
}"""


class NotebookPage:
    """A notebook opened in JupyterLab in a Playwright page."""

    def __init__(self, page: Any, server: LabServer) -> None:
        self.page = page
        self.server = server

    def open(self, path: str, timeout_ms: int = 90_000) -> None:
        """Open ``path`` (relative to the server root) and wait for an idle kernel."""
        self.page.goto(self.server.lab_url(path))
        self.page.wait_for_function(_JS_NOTEBOOK_READY, arg=path, timeout=timeout_ms)

    def run_all(self, timeout_ms: int = 120_000) -> None:
        """Run every cell (``notebook:run-all-cells``) and wait until all have run."""
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(_JS_ALL_RAN, timeout=timeout_ms)

    def cell_count(self) -> int:
        """How many cells the notebook has."""
        return int(
            self.page.evaluate("window.jupyterapp.shell.currentWidget.content.widgets.length")
        )

    def run_cell(self, index: int, timeout_ms: int = 60_000) -> None:
        """Select cell ``index``, run it, and wait until its kernel reply came back."""
        self.page.evaluate(
            """async (i) => {
              const w = window.jupyterapp.shell.currentWidget;
              w.content.activeCellIndex = i;
              w.content.widgets[i].model.executionCount = null;
              await window.jupyterapp.commands.execute('notebook:run-cell');
            }""",
            index,
        )
        self.page.wait_for_function(_JS_CELL_RAN, arg=index, timeout=timeout_ms)

    def add_cell(self, source: str) -> int:
        """Append a code cell with ``source`` at the end; returns its index."""
        return int(
            self.page.evaluate(
                """async (src) => {
                  const app = window.jupyterapp, w = app.shell.currentWidget;
                  w.content.activeCellIndex = w.content.widgets.length - 1;
                  await app.commands.execute('notebook:insert-cell-below');
                  await app.commands.execute('notebook:change-cell-to-code');
                  w.content.activeCell.model.sharedModel.setSource(src);
                  return w.content.activeCellIndex;
                }""",
                source,
            )
        )

    def cell(self, index: int) -> Any:
        """The Playwright locator of cell ``index``."""
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def output_text(self, index: int) -> str:
        """The visible text of cell ``index``'s outputs."""
        return str(self.cell(index).locator(".jp-OutputArea").inner_text())

    def screenshot(self, path: Path, max_height: int = 6000) -> None:
        """Save a screenshot of the whole notebook, not only the part scrolled into view.

        JupyterLab scrolls inside the notebook panel, so ``full_page`` sees one screen only:
        the viewport is made as tall as the notebook's content for the shot, then restored.
        """
        size = self.page.viewport_size or {"width": 1400, "height": 1000}
        needed = int(self.page.evaluate(
            """() => {
              const outer = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
              if (!outer) return 0;
              outer.scrollTop = 0;
              return outer.scrollHeight + outer.getBoundingClientRect().top + 40;
            }"""
        ))
        height = min(max_height, max(size["height"], needed))
        self.page.set_viewport_size({"width": size["width"], "height": height})
        try:
            self.page.evaluate(  # two frames: JupyterLab lays the taller panel out
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            self.page.screenshot(path=str(path))
        finally:
            self.page.set_viewport_size(size)

    def wait_for_images(self, selector: str, count: int, timeout_ms: int = 60_000) -> None:
        """Wait until exactly ``count`` images match ``selector``, all loaded and decoded."""
        self.page.wait_for_function(
            """([selector, n]) => {
              const imgs = document.querySelectorAll(selector);
              return imgs.length === n && Array.from(imgs).every(
                img => img.getAttribute('src') && img.complete && img.naturalWidth > 0);
            }""",
            arg=[selector, count],
            timeout=timeout_ms,
        )

    def save(self, timeout_ms: int = 30_000) -> None:
        """Save the notebook (``docmanager:save``) and wait until it is no longer dirty."""
        self.page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        self.page.wait_for_function(
            "() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
            timeout=timeout_ms,
        )


@contextlib.contextmanager
def lab_on_sandbox(sandbox: Any, base: Path) -> Iterator[LabServer]:
    """``jupyter lab`` whose ``connect()`` finds ``sandbox`` (no key), stopped on exit."""
    server = LabServer(root=base / "root", workdir=base / "work")
    server.start({"ASTRIA_SANDBOX_DIR": str(sandbox.data_dir),
                  "ASTRIA_API_KEY": None, "ASTRIA_BASE_URL": None})
    try:
        yield server
    finally:
        server.stop()
