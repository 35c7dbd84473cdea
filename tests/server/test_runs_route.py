"""The panel's "Recent runs" route: the runs recorded in the account's history, no API request."""

from __future__ import annotations

from astria_widgets.history import RunItem, TuneHistory

from .conftest import PanelAPI


def record_comparison(history_path, label: str = "Anna (#1) vs Ben (#2)") -> str:
    """A finished two-column comparison recorded as a kernel records it."""
    history = TuneHistory(history_path)
    try:
        run_id = history.runs.record("compare", {"columns": ["Anna (#1)", "Ben (#2)"],
                                                 "rows": ["portrait · seed 1"]}, label=label)
        prompts = [{"id": 9_100_001 + i, "tune_id": 1504944, "text": "portrait", "seed": 1,
                    "images": ["https://example.com/a.jpg"], "cost_mc": 2300,
                    "liked": i == 0, "created_at": "2026-12-07T00:00:00.000Z",
                    "updated_at": "2026-12-07T00:00:00.000Z"} for i in range(2)]
        history.runs.save_records(prompts=prompts)
        history.runs.add_items(run_id, [
            RunItem("prompt", p["id"], 0, i, "portrait · seed 1", c, c)
            for i, (p, c) in enumerate(zip(prompts, ["Anna (#1)", "Ben (#2)"], strict=True))])
    finally:
        history.close()
    return run_id


def test_recent_runs_come_from_the_history_newest_first(panel_api: PanelAPI,
                                                        panel_sandbox) -> None:
    path = panel_sandbox.data_dir / "history.sqlite3"
    older = record_comparison(path, "older comparison")
    newer = record_comparison(path)
    before = panel_sandbox.requests_answered
    answer = panel_api.get("runs", limit=2)
    assert answer.status_code == 200
    runs = answer.json()["runs"]
    assert [r["run_id"] for r in runs] == [newer, older]
    assert runs[0] == {"run_id": newer, "kind": "compare", "label": "Anna (#1) vs Ben (#2)",
                       "created_at": runs[0]["created_at"], "done": True,
                       "summary": "2 prompts · $0.0460 · 1 liked"}
    assert panel_sandbox.requests_answered == before  # read from the file only
    bad = panel_api.get("runs", limit="many")
    assert bad.status_code == 400 and "limit" in bad.json()["error"]
