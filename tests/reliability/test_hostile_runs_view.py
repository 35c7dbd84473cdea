"""Hostile histories in the Runs view (the app's Runs tab): a message in the view, never a
traceback, and nothing sent (the client points at a closed port)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from hostile import probe

from astria_widgets.client import AstriaClient
from astria_widgets.history import RunItem, TuneHistory
from astria_widgets.widgets.runs_view import RunsView

FAMILY = "runs view"


@pytest.fixture
def offline() -> AstriaClient:
    """A client nothing answers for: a request would fail the test loudly."""
    return AstriaClient(api_key="sd_unused", base_url="http://127.0.0.1:9", sandbox=True)


def _garbage(path: Path) -> str:
    path.write_bytes(b"not a SQLite file " * 200)
    return str(path)


def _folder(path: Path) -> str:
    path.mkdir()
    return str(path)


def _empty(path: Path) -> str:
    path.write_bytes(b"")
    return str(path)


@pytest.mark.parametrize("make", [_garbage, _folder, _empty])
def test_a_history_that_cannot_be_read_is_a_message(offline, tmp_path, make):
    source = make(tmp_path / "history.sqlite3")
    runs = RunsView(offline, history=source)
    message = runs.message.value
    if runs.frame is None:
        assert "Could not read the history" in message
    else:  # an empty file is a new history
        assert runs.frame.empty and "No runs recorded yet" in runs.table.value
    assert "Traceback" not in message
    runs.open_button.click()  # nothing to open: said, not raised
    assert "Pick a run first" in runs.message.value
    probe(FAMILY)


@pytest.mark.parametrize("params", [
    {"columns": 5},
    {"columns": "ab", "rows": None},
    {"rows": [[1, 2]], "columns": [{"x": 1}]},
])
def test_a_damaged_comparison_record_is_a_message_or_an_empty_grid(offline, tmp_path, params):
    history = TuneHistory(tmp_path / "h.sqlite3")
    run_id = history.runs.record("compare", params, label="damaged")
    history.runs.add_items(run_id, [RunItem("prompt", 11, 0, 0, "r", "c")])
    runs = RunsView(offline, history=history)
    runs.picker.value = run_id
    runs.open_button.click()
    assert "Traceback" not in runs.message.value
    assert (runs.view is None and "its record in the history is damaged" in runs.message.value
            or runs.view is not None and runs.view.reopened)
    assert runs.picker.value == run_id  # the pick is kept
    probe(FAMILY)


@pytest.mark.parametrize("label", ["<script>alert(1)</script>", "a & b < c", "'\"", "é" * 300])
def test_a_label_is_shown_as_text(offline, tmp_path, label):
    history = TuneHistory(tmp_path / "h.sqlite3")
    history.runs.record("sweep", {}, label=label)
    runs = RunsView(offline, history=history)
    assert html.escape(label) in runs.table.value
    assert "<script>" not in runs.table.value
    assert label in runs.picker.options[0][0]  # a Select shows its labels as text
    probe(FAMILY)


def test_a_history_closed_under_the_view_is_a_message_on_refresh_and_resume(offline, tmp_path):
    history = TuneHistory(tmp_path / "h.sqlite3")
    history.runs.record("sweep", {}, label="kept")
    runs = RunsView(offline, history=history)
    history.close()  # every read now fails
    runs.refresh_button.click()
    assert "Could not read the history" in runs.message.value
    assert "kept" in runs.table.value  # the last listing stays
    runs.resume_button.click()
    assert runs.resuming.result(timeout=30) is None
    assert "Could not resume" in runs.message.value and "Traceback" not in runs.message.value
    assert runs.resume_button.disabled is False
    probe(FAMILY)
