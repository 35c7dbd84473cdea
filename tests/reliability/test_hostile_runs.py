"""Hostile inputs to the run store, runs_dataframe and resume: refused by name, nothing lost."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hostile import probe

from astria_widgets.client import InputError
from astria_widgets.history import HistoryFileError, RunItem, TuneHistory
from astria_widgets.history.resume import resume_runs
from astria_widgets.history.runs_frame import runs_dataframe

FAMILY = "runs"


@pytest.fixture
def history(tmp_path: Path) -> TuneHistory:
    return TuneHistory(tmp_path / "h.sqlite3")


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"kind": "party"}, "kind"),
    ({"kind": None}, "kind"),
    ({"kind": ["sweep"]}, "kind"),
    ({"kind": "sweep", "params": [1, 2]}, "params"),
    ({"kind": "sweep", "params": "seed=1"}, "params"),
    ({"kind": "sweep", "label": 5}, "label"),
    ({"kind": "sweep", "run_id": ""}, "run_id"),
    ({"kind": "sweep", "run_id": 7}, "run_id"),
])
def test_a_bad_run_is_refused_naming_the_parameter(history, kwargs, named):
    kind = kwargs.pop("kind")
    with pytest.raises(InputError) as caught:
        history.runs.record(kind, **kwargs)
    assert named in str(caught.value)
    assert history.runs.list() == []  # nothing half-recorded
    probe(FAMILY)


@pytest.mark.parametrize(("item", "named"), [
    (RunItem("image", 1), "items[1].kind"),
    (RunItem("prompt", 0), "items[1].object_id"),
    (RunItem("prompt", True), "items[1].object_id"),
    (RunItem("prompt", 5.7), "items[1].object_id"),
    (RunItem("prompt", "abc"), "items[1].object_id"),
    (RunItem("prompt", 2, row=-1), "items[1].row"),
    (RunItem("prompt", 2, col=1.5), "items[1].col"),
    ({"kind": "prompt", "object_id": 3}, "items[1]"),
])
def test_a_bad_item_is_refused_and_no_item_is_added(history, item, named):
    run_id = history.runs.record("sweep")
    with pytest.raises(InputError) as caught:
        history.runs.add_items(run_id, [RunItem("prompt", 1), item])
    assert named in str(caught.value)
    assert history.runs.get(run_id).items == ()  # all or nothing
    probe(FAMILY)


@pytest.mark.parametrize("source", [42, 3.5, b"h.sqlite3", {"runs": []}, object()])
def test_runs_dataframe_names_a_bad_source(source):
    with pytest.raises(TypeError, match="source must be"):
        runs_dataframe(source)
    probe(FAMILY)


def test_runs_dataframe_of_a_folder_names_the_file(tmp_path):
    with pytest.raises(HistoryFileError, match="folder"):
        runs_dataframe(str(tmp_path))
    probe(FAMILY)


@pytest.mark.parametrize("params", [
    {},  # no sweep recorded
    {"sweep": {"cells": "nonsense"}},
    {"sweep": {"cells": [{"row": "a", "col": 0}]}, "plan": {"tune_id": 1, "text": "x"}},
    {"sweep": {"cells": [{"row": 0, "col": 0}]}},  # no plan
])
def test_a_damaged_run_is_skipped_by_resume_with_a_warning(history, params, caplog):
    run_id = history.runs.record("sweep", params)
    history.runs.add_items(run_id, [RunItem("prompt", 5, 0, 0)])
    history.runs.save_records(prompts=[{"id": 5, "tune_id": 1, "images": []}])
    good = history.runs.record("sweep")  # a run with nothing unfinished is not resumed
    with caplog.at_level(logging.WARNING):
        resumed = resume_runs(history, client=None, start=False)
    assert resumed == []
    assert history.runs.get(run_id) is not None and history.runs.get(good) is not None
    probe(FAMILY)


_GOOD_COMPARE = {"columns": ["a", "b"], "tunes": [1, 2], "variants": [{}, {}], "texts": ["t"],
                 "seeds": [1]}


@pytest.mark.parametrize("params", [
    {"columns": ["a", "b"]},  # no tunes, texts or seeds recorded
    {**_GOOD_COMPARE, "columns": ["a", "b", "c"]},  # three columns for two tunes
    {**_GOOD_COMPARE, "tunes": ["x", 2]},
    {**_GOOD_COMPARE, "tunes": None},
    {**_GOOD_COMPARE, "texts": []},  # no rows
    {**_GOOD_COMPARE, "variants": [5, 6]},
    {**_GOOD_COMPARE, "variants": [{}]},  # one variant for two columns
])
def test_a_damaged_comparison_is_skipped_by_resume_with_a_warning(history, params, caplog):
    run_id = history.runs.record("compare", params)
    history.runs.add_items(run_id, [RunItem("prompt", 5, 0, 0)])
    history.runs.save_records(prompts=[{"id": 5, "tune_id": 1, "images": []}])
    with caplog.at_level(logging.WARNING):
        resumed = resume_runs(history, client=None, start=False)
    assert resumed == []
    assert f"run {run_id} cannot be resumed" in caplog.text
    assert history.runs.get(run_id) is not None
    probe(FAMILY)


def test_a_sound_comparison_record_is_rebuilt_without_a_request(history):
    """The counterpart of the damaged ones: the same record, whole, is rebuilt (no client)."""
    run_id = history.runs.record("compare", _GOOD_COMPARE)
    history.runs.add_items(run_id, [RunItem("prompt", 5, 0, 0), RunItem("prompt", 6, 0, 9)])
    history.runs.save_records(prompts=[{"id": 5, "tune_id": 1, "images": []},
                                       {"id": 6, "tune_id": 2, "images": []}])
    (item,) = resume_runs(history, client=None, start=False)
    assert item.compare is not None and item.compare.shape == (1, 2)
    assert [c.prompt["id"] if c.prompt else None for c in item.compare.cells] == [5, None]
