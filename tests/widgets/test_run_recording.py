"""Every run the kit starts is recorded in the account's history, from what it fetched anyway."""

from __future__ import annotations

import pytest
from counting import counting_client
from IPython.core.interactiveshell import InteractiveShell

from astria_widgets.client import PollPolicy, RetrySettings, TuneWatch
from astria_widgets.history.paths import default_history
from astria_widgets.history.recorder import record_pack_order, record_tune_watch
from astria_widgets.history.runs_frame import runs_dataframe
from astria_widgets.widgets import PromptStudio

WAIT = 60
FLUX_DEV = 1504944


def _only_the_runs_own_requests(log) -> None:
    """Creates, listings, image files (and the studio's balance refresh): nothing per prompt,
    nothing for the recording."""
    for method, path, _status in log:
        assert (method == "POST" and path.endswith("/prompts")) or (
            method == "GET" and (path.endswith("/prompts") or path.startswith("/files/")
                                 or path == "/users")), (method, path)
    assert not any(m == "GET" and "/prompts/" in p and not p.startswith("/files/")
                   for m, p, _s in log)


def test_a_studio_sweep_is_recorded_with_its_grid_records_and_thumbnails(sandbox, api_key):
    client, session = counting_client(sandbox.url, api_key, retry=RetrySettings.fast(),
                                       poll=PollPolicy.fast())
    tune = client.get_tune(FLUX_DEV)
    studio = PromptStudio(client=client, tune=tune, text="portrait", num_images=1)
    assert studio.wait_loaded(WAIT)
    mark = len(session.log)
    run = studio.submit(sweep={"seed": [1, 2], "cfg_scale": [3, 7]})
    prompts = run.wait(timeout=WAIT)
    history = default_history(client)
    stored = history.runs.get(studio.run_id)
    assert stored is not None and stored.kind == "sweep"
    assert stored.prompt_ids == [p["id"] for p in prompts]
    places = [(i.row, i.col, i.row_label, i.col_label) for i in stored.items
              if i.kind == "prompt"]
    assert places == [(0, 0, "seed = 1", "cfg_scale = 3"), (0, 1, "seed = 1", "cfg_scale = 7"),
                      (1, 0, "seed = 2", "cfg_scale = 3"), (1, 1, "seed = 2", "cfg_scale = 7")]
    assert stored.done and all(stored.prompts[p["id"]]["images"] for p in prompts)
    run.watch.join(WAIT)
    thumbs = history.runs.thumbnails(stored.prompt_ids)
    assert sorted(thumbs) == sorted(stored.prompt_ids)
    assert all(t[0][:2] == b"\xff\xd8" for t in thumbs.values())  # JPEG, made in the kernel
    _only_the_runs_own_requests(session.log[mark:])
    row = runs_dataframe(history).iloc[0]
    assert (row["run_id"], row["prompts"], bool(row["done"]), row["cost_mc"]) == (
        studio.run_id, 4, True, 4 * 2_300)


def test_generate_magic_records_and_status_and_resume_say_what_is_left(client):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "astria_widgets")
    try:
        magics = shell.magics_manager.registry["AstriaMagics"]
        magics.client = client
        run = shell.run_line_magic("astria", 'generate 1504944 "a cat" --sweep seed=1,2')
        status = repr(shell.run_line_magic("astria", "status"))
        assert "Unfinished:" in status.splitlines()[-1]
        run.wait(WAIT)
        run.watch.join(WAIT)
        history = default_history(client)
        assert [r.kind for r in history.runs.list()] == ["sweep"]
        assert len(history.runs.all()[0].prompt_ids) == 2
        assert "Unfinished: no unfinished runs" in repr(shell.run_line_magic("astria", "status"))
        views = shell.run_line_magic("astria", "resume")
        assert views.summary == "no unfinished runs" and views.resumed == []
    finally:
        shell.run_line_magic("unload_ext", "astria_widgets")


def test_a_training_is_recorded_once_its_tune_exists(client):
    def create(_on_upload):
        return client.create_tune(name="dog", title="recorded", branch="fast",
                                  image_urls=["https://example.com/a.jpg"])

    watch = TuneWatch(client, fetch_images=True)
    run_id = record_tune_watch(watch, params={"name": "dog", "images": [b"x"]},
                               label="recorded")
    assert run_id() is None  # nothing recorded before the tune exists
    watch.start(create).wait(WAIT)
    history = default_history(client)
    stored = history.runs.get(run_id())
    assert stored.kind == "training" and stored.tune_ids == [watch.tune_id]
    assert stored.info.params == {"tune_id": watch.tune_id, "name": "dog"}  # no image bytes
    assert stored.tunes[watch.tune_id]["id"] == watch.tune_id and stored.done


def test_a_failed_create_records_nothing(client):
    def create(_on_upload):
        raise RuntimeError("refused")

    watch = TuneWatch(client)
    record_tune_watch(watch)
    watch.start(create)
    with pytest.raises(RuntimeError):
        watch.wait(WAIT)
    assert default_history(client).runs.list() == []


def test_a_pack_order_is_recorded_from_its_answer(client):
    tune = {"id": 77, "title": "from a pack", "trained_at": None}
    prompts = [{"id": 501, "tune_id": 77, "images": []}]
    run_id = record_pack_order(client, {"id": 3, "title": "Corporate"}, tune, prompts,
                               new_tune=True)
    stored = default_history(client).runs.get(run_id)
    assert stored.kind == "pack" and stored.tune_ids == [77] and stored.prompt_ids == [501]
    assert stored.info.params["pack"] == "Corporate" and not stored.done
