"""The run store of a history file (``TuneHistory.runs``) and ``runs_dataframe``: no request."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

from history_fakes import FakeAPI, tune

from astria_widgets.history import RunItem, TuneHistory
from astria_widgets.history.runs_frame import runs_dataframe


def _sweep(history: TuneHistory) -> str:
    run = history.runs.record("sweep", {"text": "a dog", "sweep": {"seed": [1, 2]}},
                              label="dog seeds")
    history.runs.add_items(run, [RunItem("tune", 7),
                                 RunItem("prompt", 11, 0, 0, "seed 1", None),
                                 RunItem("prompt", 12, 1, 0, "seed 2", None)])
    return run


def test_a_run_is_read_back_with_its_items_records_and_thumbnails(tmp_path):
    history = TuneHistory(tmp_path / "h.sqlite3")
    run_id = _sweep(history)
    history.runs.save_records(
        prompts=[{"id": 11, "tune_id": 7, "images": ["u"], "cost_mc": 40, "liked": True},
                 {"id": 12, "tune_id": 7, "images": []}],
        tunes=[{"id": 7, "trained_at": "2026-01-01T00:00:00Z"}])
    history.runs.save_thumbnail(11, 0, b"\xff\xd8jpeg")
    history.close()

    again = TuneHistory(tmp_path / "h.sqlite3")  # another process would see the same
    run = again.runs.get(run_id)
    assert run is not None and run.kind == "sweep" and run.info.label == "dog seeds"
    assert run.info.params["sweep"] == {"seed": [1, 2]}
    assert run.prompt_ids == [11, 12] and run.tune_ids == [7]
    assert run.items[2] == RunItem("prompt", 12, 1, 0, "seed 2", None)
    assert run.unfinished_prompt_ids == [12] and not run.done
    assert again.runs.thumbnails([11, 12]) == {11: [b"\xff\xd8jpeg"]}
    assert [r.run_id for r in again.runs.unfinished()] == [run_id]
    assert again.runs.run_of("prompt", 12) == run_id
    assert again.runs.get("nope") is None

    frame = runs_dataframe(again)
    row = frame.iloc[0]
    assert (row["run_id"], row["kind"], row["prompts"], row["tunes"]) == (run_id, "sweep", 2, 1)
    assert (row["unfinished"], bool(row["done"]), row["cost_mc"], row["likes"]) == (1, False,
                                                                                     40, 1)
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"

    again.runs.save_records(prompts=[{"id": 12, "tune_id": 7, "images": ["v"]}])
    assert again.runs.unfinished() == [] and again.runs.get(run_id).done


def test_an_empty_history_gives_the_typed_empty_frame(tmp_path):
    frame = runs_dataframe(TuneHistory(tmp_path / "h.sqlite3"))
    assert frame.empty and list(frame.columns)[:3] == ["run_id", "kind", "created_at"]
    assert str(frame["prompts"].dtype) == "Int64"


def test_records_a_run_stored_do_not_stop_a_sync_early(tmp_path):
    """A prompt or tune stored by a run is not 'listed': a later sync still lists below it."""
    api = FakeAPI([tune(i) for i in range(1, 301)])
    history = TuneHistory(tmp_path / "h.sqlite3", api)
    history.runs.save_records(tunes=[tune(300)])
    result = history.sync()
    assert len(history) == 300 and result.new == 300


def test_an_old_file_gets_the_new_tables_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE tunes (id INTEGER PRIMARY KEY, json TEXT NOT NULL, "
                     "terminal INTEGER NOT NULL, updated_at TEXT, synced_at TEXT NOT NULL);"
                     "INSERT INTO tunes VALUES (5, '{\"id\": 5}', 1, NULL, 'x');")
    db.commit()
    db.close()
    history = TuneHistory(path)
    assert history.get(5) == {"id": 5} and history.runs.list() == []
    TuneHistory(path).close()  # opening twice is idempotent


def test_a_lease_has_one_owner_across_processes_until_it_expires(tmp_path):
    path = tmp_path / "h.sqlite3"
    history = TuneHistory(path)
    assert history.runs.take_lease("run", "kernel-a", ttl=30)
    assert history.runs.take_lease("run", "kernel-a", ttl=30)  # renewed
    other = textwrap.dedent(f"""
        from astria_widgets.history import TuneHistory
        h = TuneHistory({str(path)!r})
        print(h.runs.take_lease("run", "kernel-b", ttl=30), h.runs.lease_owner("run"))
    """)
    out = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "kernel-a"]
    assert history.runs.take_lease("run", "kernel-a", ttl=-1)  # expired at once
    assert history.runs.take_lease("run", "kernel-b", ttl=30)
    history.runs.release_lease("run", "kernel-a")  # not its lease: nothing happens
    assert history.runs.lease_owner("run") == "kernel-b"


def test_a_sweep_on_a_tune_still_training_is_done_when_its_prompts_are(tmp_path):
    """A sweep's tune is what its prompts ran on, recorded as it was when the sweep was sent
    (here still training): it never keeps the run unfinished. A training's tune is its work."""
    history = TuneHistory(tmp_path / "h.sqlite3")
    run_id = _sweep(history)
    history.runs.save_records(
        prompts=[{"id": 11, "tune_id": 7, "images": ["u"]},
                 {"id": 12, "tune_id": 7, "images": ["v"]}],
        tunes=[{"id": 7, "title": "a lora still training"}])  # no trained_at: training
    run = history.runs.get(run_id)
    assert run.unfinished_tune_ids == [] and run.done
    assert history.runs.unfinished() == []
    training = history.runs.record("training", {"tune_id": 7})
    history.runs.add_items(training, [RunItem("tune", 7)])
    assert [r.run_id for r in history.runs.unfinished()] == [training]
    assert history.runs.get(training).unfinished_tune_ids == [7]
    frame = runs_dataframe(history)
    assert frame.set_index("run_id").loc[run_id, "done"]
    assert not frame.set_index("run_id").loc[training, "done"]
