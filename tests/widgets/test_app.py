"""AstriaApp (the page of ``astria-widgets app``) driven from Python, and its shipped notebook
run the way Voilà runs it (nbclient, a real kernel) against the session sandbox."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from astria_widgets.client import AstriaClient
from astria_widgets.commands.app import APP_NOTEBOOK
from astria_widgets.widgets import AstriaApp, PromptStudio, TuneBrowser, TuneForm
from astria_widgets.widgets.app import TAB_TITLES, api_line

WAIT = 60  # seconds; a guard against hangs, not a timing assertion


def test_the_form_the_studio_the_browser_and_the_runs_are_tabs(client):
    from astria_widgets.widgets.runs_view import RunsView

    app = AstriaApp(client)
    assert app.tabs.children == (app.form, app.studio, app.browser, app.runs)
    assert isinstance(app.runs, RunsView)
    assert isinstance(app.form, TuneForm) and isinstance(app.studio, PromptStudio)
    assert isinstance(app.browser, TuneBrowser)
    assert tuple(app.tabs.titles) == TAB_TITLES == ("New tune", "Generate", "History", "Runs")
    assert app.children == (app.header, app.tabs)
    assert "the local sandbox" in app.header.value
    assert client.base_url not in app.header.value


def test_the_api_line_never_shows_a_key_or_url():
    real = AstriaClient(api_key="sd_secret_canary_123", base_url="https://api.example.test")
    line = api_line(real)
    assert "Astria API" in line and "billed" in line
    assert "sd_secret_canary_123" not in line and "example.test" not in line


def test_tabs_reload_after_the_form_made_a_tune_and_only_then(client, photos):
    app = AstriaApp(client)
    app.browser.wait_loaded(timeout=WAIT)
    assert app.browser.frame.empty  # a fresh account
    app.form.set_values(name="dog", branch="fast", title="made in the app")
    app.form.add_images(photos(4))
    handle = app.form.submit()
    tune = handle.wait(timeout=WAIT)

    reloads: list[str] = []
    app.studio.reload_button.on_click(lambda _button: reloads.append("studio"))
    app.tabs.selected_index = 1  # Generate: the new tune can be picked (loaded in the background)
    assert app.studio.wait_loaded(WAIT)
    assert tune["id"] in [value for _label, value in app.studio.tune_picker.options]
    app.tabs.selected_index = 2  # History: reloaded in the background
    assert app.browser.wait_loaded(timeout=WAIT)
    assert tune["id"] in app.browser.frame.index  # indexed by id
    assert reloads == ["studio"]

    # nothing new since: coming back reloads nothing (no request)
    app.browser.refresh = lambda: reloads.append("browser")  # type: ignore[method-assign]
    for index in (0, 1, 2, 1):
        app.tabs.selected_index = index
    assert reloads == ["studio"]


def test_the_shipped_notebook_is_small_and_has_no_outputs_or_key():
    text = APP_NOTEBOOK.read_text()
    nb = nbformat.reads(text, as_version=4)
    assert len(nb.cells) == 1 and nb.cells[0].outputs == []
    assert "widgets" not in nb.metadata
    assert "AstriaApp()" in nb.cells[0].source
    assert "api_key" not in text.lower() or "ASTRIA_API_KEY" in text
    assert "sd_" not in text and "Bearer" not in text


def test_the_shipped_notebook_runs_as_voila_runs_it(tmp_path: Path):
    """One kernel, the notebook's cells run by nbclient, ``connect()`` through the env."""
    from astria_widgets.sandbox import Sandbox

    nb = nbformat.read(APP_NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import os; print(os.getcwd())"))
    env = {k: v for k, v in os.environ.items() if k not in ("ASTRIA_API_KEY", "ASTRIA_BASE_URL")}
    env["ASTRIA_APP_DIR"] = str(tmp_path)
    canary = "sd_app_canary_" + secrets.token_hex(8)
    with Sandbox(port=0, data_dir=tmp_path / "sandbox", api_key=canary, speed=600) as sandbox:
        env["ASTRIA_SANDBOX_DIR"] = str(sandbox.data_dir)
        runner = NotebookClient(nb, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(APP_NOTEBOOK.parent)}})
        runner.execute(env=env)
    # downloads made in the page land where the command was started, not in the package
    assert nb.cells[1].outputs[0].text.strip() == str(tmp_path)
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["execute_result"], outputs
    view = outputs[0].data["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"]
    assert "AstriaApp" in outputs[0].data["text/plain"]
    assert canary not in json.dumps(outputs)
