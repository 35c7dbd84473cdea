"""Another front end, for real: the widgets in Voilà (its own widget manager) in headless Chromium.

- ``astria-widgets app`` (the command a user runs) serves the form, the studio and the browser
  as tabs: the page renders with no error placeholder; the form uploads photos through the
  anywidget uploader and submits a ``fast`` tune that reaches ``trained``; in the studio tab
  the same tune runs a 2x2 sweep to a grid of four decoded images; the history tab lists it;
  the Runs tab lists the sweep (read from the history) and Open shows its grid again.
- Notebook 05 (``notebooks/05_generating_with_a_trained_tune.ipynb``) renders in plain
  ``voila``: the studio's grid and the notebook's images, no error.
- Neither page logs an error (or a failed module) from this package's labextension: Voilà
  loads every installed labextension, and ours used to fail there on ``@jupyterlab/launcher``
  ("Shared module ... doesn't exist in shared scope default").

Voilà loads the labextension built in this checkout (``astria_widgets/labextension``, copied
into a temporary ``JUPYTER_PATH``, which comes before the environment's copy). The kernels
reach the test's sandbox through ``ASTRIA_SANDBOX_DIR`` (no key, no base URL).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from playwright.sync_api import expect

from .conftest import E2E_KEY
from .test_tune_form import make_photos

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
LABEXTENSION = REPO / "astria_widgets" / "labextension"
NOTEBOOK_05 = REPO / "notebooks" / "05_generating_with_a_trained_tune.ipynb"
SCRIPT = Path(sys.executable).with_name("astria-widgets")
# What Voilà shows instead of a widget or an output when something broke.
ERROR_PLACEHOLDERS = ("Error displaying widget", "There was an error when executing cell",
                      "Traceback (most recent call last)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class VoilaProcess:
    """A process serving Voilà (``voila`` itself or ``astria-widgets app``), stopped by SIGTERM."""

    def __init__(self, cmd: list[str], env: Mapping[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(cmd, env=dict(env), cwd=cwd, stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.url = ""

    def wait_ready(self, timeout: float = 120.0) -> str:
        """Return the URL Voilà printed ("Voilà is running at:"), once it accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"exited with {self.process.returncode}:\n{self.tail()}")
            found = re.search(r"Voil. is running at:\s*(http://\S+)", self.text())
            if found:
                url = found.group(1)
                host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
                try:
                    socket.create_connection((host, int(port)), timeout=2).close()
                except OSError:
                    pass
                else:
                    self.url = url if url.endswith("/") else url + "/"
                    return self.url
            time.sleep(0.25)
        raise TimeoutError(f"Voilà not ready after {timeout:.0f} s:\n{self.tail()}")

    def text(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace")

    def tail(self, chars: int = 4000) -> str:
        """The end of the log, for failure messages."""
        return self.text()[-chars:]

    def stop(self) -> int:
        """SIGTERM, wait (then SIGKILL the group); the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return int(self.process.returncode)


@pytest.fixture(scope="module")
def voila_env(e2e_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a Voilà process: isolated Jupyter dirs, this checkout's labextension,
    the test's sandbox through ``ASTRIA_SANDBOX_DIR``, a history file of its own and no key."""
    if not (LABEXTENSION / "package.json").is_file():
        pytest.fail(f"{LABEXTENSION} is not built: run `jlpm install && jlpm build:prod`")
    base = tmp_path_factory.mktemp("voila")
    shutil.copytree(LABEXTENSION, base / "jupyter-path" / "labextensions" / "astria-widgets")
    env = {k: v for k, v in os.environ.items() if k not in ("ASTRIA_API_KEY", "ASTRIA_BASE_URL")}
    for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                      ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        (base / sub).mkdir()
        env[name] = str(base / sub)
    env["JUPYTER_PATH"] = str(base / "jupyter-path")
    env["ASTRIA_SANDBOX_DIR"] = str(e2e_sandbox.data_dir)
    # a history of the app's own: the e2e sandbox is shared, and other browser tests record
    # their sweeps (the same prompt texts) in its default history
    env["ASTRIA_HISTORY"] = str(base / "history.sqlite3")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def voila_page(page: Any) -> Iterator[Any]:
    """The e2e ``page``, also recording uncaught page errors in ``page.console_messages``."""
    page.on("pageerror", lambda error: page.console_messages.append(f"pageerror: {error}"))
    yield page


def our_labextension_problems(messages: list[str]) -> list[str]:
    """The console messages that come from (or name) this package's labextension."""
    return [m for m in messages if "astria-widgets" in m or "astria_widgets" in m]


def assert_rendered_cleanly(page: Any) -> None:
    """No error placeholder, no traceback, no console error from our labextension."""
    body = page.locator("body").inner_text()
    for placeholder in ERROR_PLACEHOLDERS:
        assert placeholder not in body, body[:3000]
    problems = our_labextension_problems(page.console_messages)
    assert problems == []


def screenshot_whole_page(page: Any, path: Path, max_height: int = 6000) -> None:
    """A screenshot of the whole Voilà page: it scrolls inside ``#rendered_cells``, not the
    body, so the viewport is made as tall as that content for the shot, then restored."""
    size = page.viewport_size or {"width": 1400, "height": 1000}
    needed = int(page.evaluate(
        """() => {
          const cells = document.querySelector('#rendered_cells');
          if (!cells) return 0;
          cells.scrollTop = 0;
          return cells.scrollHeight + cells.getBoundingClientRect().top + 16;
        }"""))
    page.set_viewport_size({"width": size["width"],
                            "height": min(max_height, max(size["height"], needed))})
    try:
        page.evaluate(  # two frames: the taller page is laid out
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)


def test_our_labextension_is_the_one_voila_loads(voila_env: dict[str, str]) -> None:
    """The test pages load the build of this checkout (the environment's copy may be stale)."""
    from jupyterlab_server.config import get_federated_extensions

    code = ("from jupyter_core.paths import jupyter_path; import json; "
            "print(json.dumps(jupyter_path('labextensions')))")
    paths = subprocess.run([sys.executable, "-c", code], env=voila_env, capture_output=True,
                           text=True, check=True).stdout
    found = get_federated_extensions(json.loads(paths))["astria-widgets"]
    assert found["ext_dir"] == str(Path(voila_env["JUPYTER_PATH"]) / "labextensions")


def test_app_page_form_studio_and_history(voila_page: Any, voila_env: dict[str, str],
                                          e2e_sandbox: Sandbox, tmp_path: Path,
                                          artifacts: Path) -> None:
    page = voila_page
    folder = tmp_path / "my-folder"  # where the user starts the command
    folder.mkdir()
    photos = make_photos(tmp_path / "my-phone")
    app = VoilaProcess([str(SCRIPT), "app", "--port", str(free_port()), "--no-browser"],
                       voila_env, folder, tmp_path / "app.log")
    try:
        url = app.wait_ready()
        # the test's sandbox is live in ASTRIA_SANDBOX_DIR: reused, not a second one
        assert f"reusing the local sandbox at {e2e_sandbox.url}" in app.text()
        assert url.startswith("http://127.0.0.1:")
        page.goto(url, timeout=120_000)
        app_box = page.locator(".astria-app")
        expect(app_box).to_be_visible(timeout=120_000)
        expect(page.locator(".astria-app-header")).to_contain_text("the local sandbox")
        tabs = page.locator(".astria-app-tabs .lm-TabBar-tab")
        expect(tabs).to_have_text(["New tune", "Generate", "History", "Runs"])
        assert E2E_KEY not in page.content()

        # the form: photos through the anywidget uploader, a fast tune, trained
        form = page.locator(".astria-tune-form")
        expect(form).to_be_visible()
        submit = form.locator("button.astria-submit")
        expect(submit).to_be_disabled()
        with page.expect_file_chooser() as chooser:
            form.locator(".astria-upload").first.click()
        chooser.value.set_files([str(p) for p in photos])
        title = "Rex, made in the app"  # the session account has no other tune of that name
        form.locator(".astria-field-title input").fill(title)
        form.locator(".astria-field-name input").fill("dog")
        form.locator(".astria-field-branch select").select_option(label="fast (free mock)")
        expect(submit).to_be_enabled(timeout=60_000)
        page.wait_for_function(
            """() => Array.from(
                  document.querySelectorAll('.astria-tune-form img.astria-thumb-image'))
                  .filter(img => img.complete && img.naturalWidth > 0).length === 4""",
            timeout=30_000)
        screenshot_whole_page(page, artifacts / "voila-app-form.png")
        submit.click()
        expect(form.locator(".astria-tune-status")).to_have_text("trained", timeout=120_000)

        from astria_widgets.client import AstriaClient

        client = AstriaClient(api_key=E2E_KEY, base_url=e2e_sandbox.url, sandbox=True)
        tune = next(t for t in client.list_tunes(limit=20) if t["title"] == title)
        assert tune["branch"] == "fast" and len(tune["orig_images"]) == len(photos)

        # the studio tab: it reloads your tunes (the form made one), sweep 2x2, a grid
        tabs.filter(has_text="Generate").click()
        studio = page.locator(".astria-prompt-studio")
        expect(studio).to_be_visible()
        studio.locator(".astria-studio-search input").fill(title)
        picker = studio.locator(".astria-studio-tune select")
        expect(picker.locator("option")).to_have_count(1, timeout=30_000)
        picker.select_option(value=picker.locator("option").first.get_attribute("value"))
        studio.locator(".astria-studio-text textarea").fill("portrait in a sunlit studio")
        studio.locator(".astria-studio-text textarea").blur()
        expect(studio.locator(".astria-studio-preview")).to_contain_text(
            f"<lora:{tune['id']}:1>", timeout=30_000)
        studio.locator(".astria-studio-sweep-rows select").select_option(label="seed")
        studio.locator(".astria-studio-sweep-row-values input").fill("1, 2")
        studio.locator(".astria-studio-sweep-cols select").select_option(label="cfg_scale")
        studio.locator(".astria-studio-sweep-col-values input").fill("3, 7")
        studio.locator(".astria-studio-sweep-col-values input").blur()
        generate = studio.locator("button.astria-studio-submit")
        expect(generate).to_be_enabled(timeout=30_000)
        generate.click()
        expect(studio.locator(".astria-studio-cell")).to_have_count(4, timeout=30_000)
        expect(studio.locator(".astria-studio-status")).to_contain_text(
            "4 of 4 prompts finished", timeout=120_000)
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll('.astria-studio-cell-image'))
                  .map(e => e.tagName === 'IMG' ? e : e.querySelector('img'))
                  .filter(img => img && img.complete && img.naturalWidth > 0).length === 4""",
            timeout=60_000)
        expect(studio.locator(".astria-studio-row-label")).to_have_text(["seed = 1", "seed = 2"])
        screenshot_whole_page(page, artifacts / "app.png")

        # the history tab: reloaded for the new tune
        tabs.filter(has_text="History").click()
        expect(page.locator(".astria-tune-browser")).to_contain_text(title, timeout=60_000)

        # the Runs tab: the sweep is listed (the history file), Open shows its grid again
        tabs.filter(has_text="Runs").click()
        runs = page.locator(".astria-runs")
        text = "portrait in a sunlit studio"
        row = runs.locator(".astria-runs-row", has_text=text)
        expect(row).to_have_count(1, timeout=30_000)
        expect(row).to_contain_text("sweep")
        expect(row).to_contain_text("done")
        option = runs.locator(".astria-runs-picker option", has_text=text)
        expect(option).to_have_count(1)
        runs.locator(".astria-runs-picker select").select_option(
            label=option.inner_text().strip())
        runs.locator("button.astria-runs-open").click()
        opened = runs.locator(".astria-runs-opened")
        expect(opened.locator(".astria-compare-cell")).to_have_count(4, timeout=30_000)
        expect(opened.locator(".astria-compare-status")).to_contain_text(
            "reopened from the history")
        expect(opened.locator(".astria-compare-status")).to_contain_text("4 of 4 prompts")
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll(
                  '.astria-runs-opened .astria-compare-cell-image'))
                  .map(e => e.tagName === 'IMG' ? e : e.querySelector('img'))
                  .filter(img => img && img.complete && img.naturalWidth > 0).length === 4""",
            timeout=60_000)
        expect(runs.locator(".astria-runs-message")).to_contain_text("Opened run")
        screenshot_whole_page(page, artifacts / "voila-app-runs.png")
        assert_rendered_cleanly(page)
    finally:
        status = app.stop()
    # SIGTERM: Voilà shut down (its kernels with it); the reused sandbox keeps running
    assert status == 128 + signal.SIGTERM, app.tail()
    assert "Kernel shutdown" in app.text()
    assert requests.get(f"{e2e_sandbox.url}/sandbox/health", timeout=10).ok


def test_notebook_05_renders_in_voila(voila_page: Any, voila_env: dict[str, str],
                                      tmp_path: Path, artifacts: Path) -> None:
    page = voila_page
    # a copy with its images: the notebook's downloads stay out of the repository
    shutil.copy(NOTEBOOK_05, tmp_path / NOTEBOOK_05.name)
    shutil.copytree(NOTEBOOK_05.parent / "images", tmp_path / "images")
    voila = VoilaProcess(
        [sys.executable, "-m", "voila", NOTEBOOK_05.name, f"--port={free_port()}",
         "--Voila.port_retries=0", "--Voila.ip=127.0.0.1", "--no-browser"],
        voila_env, tmp_path, tmp_path / "voila.log")
    try:
        url = voila.wait_ready()
        page.goto(url, timeout=300_000)  # Voilà runs the whole notebook (a tune trains)
        studio = page.locator(".astria-prompt-studio")
        expect(studio).to_be_visible(timeout=300_000)
        expect(studio.locator(".astria-studio-cell")).to_have_count(4, timeout=60_000)
        expect(studio.locator(".astria-studio-status")).to_contain_text(
            "4 of 4 prompts finished", timeout=120_000)
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll('.astria-studio-cell-image'))
                  .map(e => e.tagName === 'IMG' ? e : e.querySelector('img'))
                  .filter(img => img && img.complete && img.naturalWidth > 0).length === 4""",
            timeout=60_000)
        # the notebook's own image outputs (two generated, the contact sheet, the variation)
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll('.jp-RenderedImage img'))
                  .filter(img => img.complete && img.naturalWidth > 0).length >= 5""",
            timeout=60_000)
        # it ran to the end: the last cell's answer names the archive it wrote
        expect(page.locator("body")).to_contain_text("'grid.zip', True", timeout=60_000)
        assert_rendered_cleanly(page)
        screenshot_whole_page(page, artifacts / "voila-notebook-05.png")
    finally:
        voila.stop()
    assert not (tmp_path / "generated").exists()  # downloads go to a folder of their own
