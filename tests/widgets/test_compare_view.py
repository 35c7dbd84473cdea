"""The compare view: a two-tune comparison live, recorded, and reopened from the history alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from astria_widgets.history import TuneHistory
from astria_widgets.widgets.compare import CompareView, compare

WAIT = 60
ROOT = Path(__file__).resolve().parents[2]


def _tune(client, **kw):
    args = {"name": "man", "image_urls": ["https://example.com/a.jpg"], "branch": "flux1",
            "model_type": "lora"}
    return client.create_tune(**{**args, **kw})


def grid_of(view: CompareView) -> list[tuple[str, str, str, bool]]:
    """Cell by cell: label, state line (id, seed, cost), like button, has a picture."""
    return [(c.caption.value, c.state.value, c.like.description, bool(c.image.value))
            for c in view.cells]


def headers_of(view: CompareView) -> tuple[list[str], list[str], str]:
    return ([h.value for h in view.col_labels], [h.value for h in view.row_labels],
            view.tally_line.value)


def _live_comparison(client, tmp_path):
    anna = _tune(client, title="Anna")
    ben = _tune(client, title="Ben", name="woman")
    history = TuneHistory(tmp_path / "history.sqlite3")
    view = compare([anna, ben], texts=["portrait"], seeds=[1, 2, 3], client=client,
                   history=history, num_images=1)
    view.run.wait(timeout=WAIT)
    view.recorder.sync()
    for index in (0, 2, 4, 3):
        view.cells[index].like.click()
        assert view.wait_likes(timeout=WAIT)
    return anna, ben, history, view


def test_a_two_tune_comparison_shows_columns_likes_and_the_tally(client, tmp_path):
    anna, ben, history, view = _live_comparison(client, tmp_path)
    cols, rows, tally = headers_of(view)
    assert cols == [f"<b>Anna (#{anna['id']})</b>", f"<b>Ben (#{ben['id']})</b>"]
    assert rows == ["<b>portrait · seed 1</b>", "<b>portrait · seed 2</b>",
                    "<b>portrait · seed 3</b>"]
    assert f"Anna (#{anna['id']}): 3 of 3 liked" in tally
    assert f"Ben (#{ben['id']}): 1 of 3 liked" in tally
    assert [c.like.description for c in view.cells] == ["Liked", "Like", "Liked", "Liked",
                                                        "Liked", "Like"]
    view.cells[3].like.click()  # a second click takes the like back
    assert view.wait_likes(timeout=WAIT)
    assert view.tally()["liked"].tolist() == [3, 0]
    assert "6 of 6 prompts finished · status done · cost $0.1380" in view.status.value
    stored = history.runs.get(view.run_id)
    assert stored.kind == "compare" and len(stored.prompt_ids) == 6
    assert {i.col_label for i in stored.items} == {f"Anna (#{anna['id']})",
                                                   f"Ben (#{ben['id']})"}


def test_a_reopened_run_renders_the_same_grid(client, sandbox, tmp_path):
    """Labels, likes, costs cell by cell, in this process and in a fresh one, with 0 requests
    at the sandbox."""
    _anna, _ben, history, view = _live_comparison(client, tmp_path)
    live = (headers_of(view), grid_of(view))
    history.close()
    before = sandbox.requests_answered
    again = CompareView.open_run(view.run_id, history=tmp_path / "history.sqlite3")
    assert again.reopened and (headers_of(again), grid_of(again)) == live
    assert all(c.like.disabled for c in again.cells)
    assert "reopened from the history" in again.status.value
    script = (
        "import json, sys\n"
        "from astria_widgets.widgets import PromptStudio\n"
        "view = PromptStudio.open_run(sys.argv[1], history=sys.argv[2])\n"
        "print(json.dumps([[h.value for h in view.col_labels], [h.value for h in "
        "view.row_labels], view.tally_line.value, [[c.caption.value, c.state.value, "
        "c.like.description, bool(c.image.value)] for c in view.cells]]))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ASTRIA_API_KEY": "",
           "ASTRIA_SANDBOX_DIR": str(tmp_path / "no-sandbox")}
    out = subprocess.run([sys.executable, "-c", script, view.run_id,
                          str(tmp_path / "history.sqlite3")], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout
    cols, rows, tally, cells = json.loads(out)
    assert (cols, rows, tally) == live[0]
    assert [tuple(c) for c in cells] == live[1]
    assert sandbox.requests_answered == before  # nothing was asked of the sandbox


def test_the_studio_compares_with_the_tunes_picked(client, tmp_path):
    from astria_widgets.widgets import PromptStudio

    anna = _tune(client, title="Anna")
    ben = _tune(client, title="Ben", name="woman")
    studio = PromptStudio(client=client, tune=anna, text="portrait", num_images=1,
                          history=tmp_path / "history.sqlite3")
    ids = [v for _l, v in studio.compare_with.options]
    assert ben["id"] in ids and anna["id"] not in ids
    studio.compare_with.value = (ben["id"],)
    studio.sweep_rows.value = "cfg_scale"
    studio.sweep_row_values.value = "3, 7"
    assert "sweep only seed" in studio.messages["compare"].value and studio.submit_button.disabled
    studio.sweep_rows.value = "seed"
    studio.sweep_row_values.value = "4, 5"
    assert not studio.submit_button.disabled
    studio.submit_button.click()
    view = studio.comparison
    assert view is not None and studio.compare_box.children == (view,)
    prompts = view.run.wait(timeout=WAIT)
    assert [p["seed"] for p in prompts] == [4, 4, 5, 5]
    assert [h.value for h in view.col_labels] == [f"<b>Anna (#{anna['id']})</b>",
                                                  f"<b>Ben (#{ben['id']})</b>"]
    assert studio.results.run is None  # the sweep grid is left alone


def test_a_reopened_sweep_renders_the_studio_grid_with_its_like(client, tmp_path):
    from astria_widgets.client.costs import usd
    from astria_widgets.widgets import PromptStudio

    tune = _tune(client, title="Anna")
    path = tmp_path / "history.sqlite3"
    studio = PromptStudio(client=client, tune=tune, text="portrait", num_images=1, history=path)
    run = studio.submit(sweep={"seed": [1, 2], "cfg_scale": [3, 7]})
    prompts = run.wait(timeout=WAIT)
    studio.results.cells[3].like.click()
    assert studio.results.wait_likes(timeout=WAIT)
    again = PromptStudio.open_run(studio.run_id, history=path)
    assert [h.value for h in again.col_labels] == [h.value for h in studio.results.col_labels]
    assert [h.value for h in again.row_labels] == [h.value for h in studio.results.row_labels]
    assert [c.like.description for c in again.cells] == ["Like", "Like", "Like", "Liked"]
    for cell, prompt in zip(again.cells, prompts, strict=True):
        assert f"#{prompt['id']} · seed {prompt['seed']} · {usd(prompt['cost_mc'])}" in \
            cell.state.value
        assert cell.image.value
    assert "1 of 2 liked" in again.tally_line.value


def test_a_history_that_cannot_be_written_does_not_stop_the_comparison(client, tmp_path):
    anna, ben = _tune(client, title="Anna"), _tune(client, title="Ben")
    history = TuneHistory(tmp_path / "history.sqlite3")
    history.close()  # every write now fails
    view = compare([anna, ben], texts=["portrait"], seeds=[1], client=client,
                   history=history, num_images=1)
    assert view.run_id is None and view.recorder is None
    assert len(view.run.wait(timeout=WAIT)) == 2


def test_the_static_copy_shows_the_grid_and_the_tally(client, tmp_path):
    """A saved notebook or an export without widgets still shows the comparison."""
    anna, ben, _history, view = _live_comparison(client, tmp_path)
    page = view.static_html()
    assert f"Anna (#{anna['id']}): 3 of 3 liked" in page
    assert f"Ben (#{ben['id']}): 1 of 3 liked" in page
    assert "portrait · seed 3" in page and page.count("data:image/") == 6
    again = CompareView.open_run(view.run_id, history=tmp_path / "history.sqlite3")
    assert "reopened from the history" in again.static_html()
    assert again.static_html().count("data:image/") == 6
