"""The Runs view (the app page's "Runs" tab): recorded runs listed, reopened with no request,
the unfinished ones resumed from a button (a sandbox on loopback, requests counted)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from counting import BASE_TUNE, counting_client

from astria_widgets.client import PollPolicy, RetrySettings
from astria_widgets.client.generation import GenerationRun
from astria_widgets.history import TuneHistory
from astria_widgets.history.recorder import record_generation
from astria_widgets.sandbox import Sandbox
from astria_widgets.widgets import AstriaApp, PromptStudio
from astria_widgets.widgets.compare import CompareView, compare
from astria_widgets.widgets.runs_view import RunsView

WAIT = 60


def _tune(client, **kw):
    args = {"name": "man", "image_urls": ["https://example.com/a.jpg"], "branch": "flux1",
            "model_type": "lora"}
    return client.create_tune(**{**args, **kw})


def grid_of(view: CompareView) -> tuple:
    """Headers, then cell by cell: label, state line (id, seed, cost), like, has a picture."""
    return ([h.value for h in view.col_labels], [h.value for h in view.row_labels],
            view.tally_line.value,
            [(c.caption.value, c.state.value, c.like.description, bool(c.image.value))
             for c in view.cells])


def _sweep_and_comparison(client, path):
    """A recorded 2x2 sweep (its last cell liked), then a recorded two-tune comparison."""
    anna = _tune(client, title="Anna")
    ben = _tune(client, title="Ben", name="woman")
    # trained first: a sweep records its tune as submitted (a training one stays "1 left")
    anna = client.wait_for_tune(anna["id"], timeout=WAIT)
    studio = PromptStudio(client=client, tune=anna, text="portrait at dusk", num_images=1,
                          history=path)
    studio.submit(sweep={"seed": [1, 2], "cfg_scale": [3, 7]}).wait(timeout=WAIT)
    studio.results.cells[3].like.click()
    assert studio.results.wait_likes(timeout=WAIT)
    history = studio.recording_history()
    view = compare([anna, ben], texts=["beach"], seeds=[1, 2], client=client,
                   history=history, num_images=1)
    view.run.wait(timeout=WAIT)
    view.recorder.sync()
    return studio.run_id, view, history


def test_a_recorded_sweep_and_comparison_are_listed_newest_first(client, tmp_path):
    sweep_id, live, history = _sweep_and_comparison(client, tmp_path / "history.sqlite3")
    runs = RunsView(client, history=history)
    assert list(runs.frame["run_id"]) == [live.run_id, sweep_id]  # newest first
    rows = runs.table.value.split("<tr class='astria-runs-row'>")[1:]
    assert len(rows) == 2
    assert "compare" in rows[0] and "Anna (#" in rows[0] and " vs Ben (#" in rows[0]
    assert ">4<" in rows[0]
    assert "sweep" in rows[1] and "portrait at dusk" in rows[1] and ">4<" in rows[1]
    assert ">done<" in rows[1] and ">1<" in rows[1]  # done, one like
    assert all(h in runs.table.value for h in ("Kind", "When", "Label", "Prompts", "Done",
                                               "Cost", "Likes"))
    assert [v for _l, v in runs.picker.options] == [live.run_id, sweep_id]
    assert runs.picker.value == live.run_id
    # the static copy lists them too
    page = runs.static_html()
    assert "portrait at dusk" in page and "2 runs recorded" in page


def test_open_rebuilds_the_same_grid_with_no_request(client, sandbox, tmp_path):
    path = tmp_path / "history.sqlite3"
    sweep_id, live, history = _sweep_and_comparison(client, path)
    runs = RunsView(client, history=history)
    expected_sweep = grid_of(PromptStudio.open_run(sweep_id, history=path))
    before = sandbox.requests_answered
    runs.picker.value = sweep_id
    runs.open_button.click()
    assert runs.view is not None and runs.opened.children == (runs.view,)
    assert grid_of(runs.view) == expected_sweep
    assert [c.like.description for c in runs.view.cells] == ["Like", "Like", "Like", "Liked"]
    runs.picker.value = live.run_id
    runs.open_button.click()
    assert runs.opened.children == (runs.view,) and runs.view.reopened
    assert grid_of(runs.view) == grid_of(live)  # the same grid as the live one
    runs.refresh_button.click()
    assert runs.picker.value == live.run_id  # kept across a refresh
    assert sandbox.requests_answered == before  # nothing was asked of the sandbox


def test_open_says_why_it_cannot_in_the_view(client, tmp_path):
    history = TuneHistory(tmp_path / "history.sqlite3")
    runs = RunsView(client, history=history)
    assert "No runs recorded yet" in runs.table.value and runs.picker.options == ()
    runs.open_button.click()
    assert "Pick a run first" in runs.message.value and runs.opened.children == ()
    history.runs.record("training", {"tune": 1}, label="Rex")
    runs.refresh_button.click()
    runs.open_button.click()
    assert "is a training: it has no grid to reopen" in runs.message.value
    assert runs.view is None and "Traceback" not in runs.message.value


def test_a_history_that_cannot_be_read_is_a_message(client, tmp_path):
    bad = tmp_path / "not-a-history.sqlite3"
    bad.write_bytes(b"this is not SQLite" * 100)
    runs = RunsView(client, history=str(bad))
    assert "Could not read the history" in runs.message.value
    assert "Traceback" not in runs.message.value and runs.frame is None


@pytest.fixture(scope="module")
def slow_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("slow"), speed=10.0) as sb:
        yield sb


def _stopped_sweep(sandbox: Sandbox, key: str, history: TuneHistory) -> str:
    """A 2x2 sweep recorded, stopped mid-way (a kernel restart): unfinished in the history."""
    client, _ = counting_client(sandbox.url, key, retry=RetrySettings.fast(),
                                poll=PollPolicy.fast())
    run = GenerationRun.prepare(client, [client.get_tune(BASE_TUNE)], "a red square",
                                {"num_images": 1}, {"seed": [1, 2], "cfg_scale": [3, 7]})
    run_id = record_generation(run, history)
    run.begin()
    deadline = time.monotonic() + 20
    while len(run.prompts) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.stop()
    run.watch.join(10)
    assert not history.runs.get(run_id).done
    return run_id


def test_resume_unfinished_runs_in_the_background_and_shows_their_grids(slow_sandbox,
                                                                        tmp_path):
    key = slow_sandbox.create_user()
    history = TuneHistory(tmp_path / "history.sqlite3")
    run_id = _stopped_sweep(slow_sandbox, key, history)
    client, session = counting_client(slow_sandbox.url, key, retry=RetrySettings.fast(),
                                      poll=PollPolicy.fast())
    runs = RunsView(client, history=history)
    assert ">4 left<" in runs.table.value
    threads: list[str] = []
    real_request = session.request

    def request(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real_request(*args, **kwargs)

    session.request = request  # type: ignore[method-assign]
    runs.resume_button.click()
    resumed = runs.resuming.result(timeout=WAIT)
    assert resumed is not None and runs.resumed.children == (resumed,)
    assert [r.run_id for r in resumed.resumed] == [run_id]
    assert "4 prompts rendering, from 1 run" in runs.message.value
    resumed.wait(timeout=WAIT)
    assert all(c.image.value for c in resumed.views[0].cells)
    assert threading.main_thread().name not in threads  # no request on the kernel's thread
    deadline = time.monotonic() + 10
    while not history.runs.get(run_id).done and time.monotonic() < deadline:
        time.sleep(0.1)
    runs.refresh_button.click()
    assert ">done<" in runs.table.value and runs.resume_button.disabled is False


def test_the_app_has_a_runs_tab_listing_what_the_studio_recorded(client):
    app = AstriaApp(client)
    assert app.tabs.children[3] is app.runs and app.tabs.titles[3] == "Runs"
    tune = _tune(client, title="Anna")
    studio = PromptStudio(client=client, tune=tune, text="made elsewhere", num_images=1)
    studio.submit(sweep={"seed": [1, 2]}).wait(timeout=WAIT)
    app.tabs.selected_index = 3  # showing the tab lists the history again
    assert studio.run_id in list(app.runs.frame["run_id"])
    assert "made elsewhere" in app.runs.table.value
