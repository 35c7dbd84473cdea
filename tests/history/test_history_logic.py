"""TuneHistory's sync rules against an in-memory API: stop rule, re-fetches, gaps, deletions."""

from __future__ import annotations

import importlib
import math

import pytest
from history_fakes import FakeAPI, tune

from astria_widgets.client.errors import TransportError
from astria_widgets.frames import tunes_dataframe
from astria_widgets.history import TuneHistory


@pytest.fixture
def path(tmp_path):
    return tmp_path / "history.sqlite3"


def many(n: int, top: int = 10_000, state: str = "trained") -> list[dict]:
    return [tune(top - i, state) for i in range(n)]


@pytest.mark.parametrize("n", [0, 1, 119, 120, 121, 500, 720])
def test_first_sync_costs_one_request_per_page(path, n):
    api = FakeAPI(many(n))
    result = TuneHistory(path, api).sync()
    assert result.new == n and result.total == n
    assert result.requests == len(api.calls) == n // 120 + 1  # a full last page needs one more
    assert result.requests <= math.ceil(n / 120) + 1


def test_resync_with_nothing_new_is_one_request(path):
    api = FakeAPI(many(500))
    history = TuneHistory(path, api)
    history.sync()
    api.calls.clear()
    result = history.sync()
    assert (result.new, result.updated, result.requests) == (0, 0, 1)
    assert api.calls == [("list_tunes", None)]


def test_new_tunes_are_fetched_down_to_the_first_known_one(path):
    api = FakeAPI(many(300, top=10_000))
    history = TuneHistory(path, api)
    history.sync()
    for record in many(130, top=10_130):
        api.tunes[record["id"]] = record
    api.calls.clear()
    result = history.sync()
    assert result.new == 130 and result.total == 430
    assert [c[0] for c in api.calls] == ["list_tunes", "list_tunes"]
    assert [r["id"] for r in history.records()] == sorted(api.tunes, reverse=True)


def test_unfinished_tunes_are_refetched_one_by_one(path):
    records = many(400)
    for index in (5, 200, 350):  # one on the first page, two deep in the history
        records[index] = tune(records[index]["id"], "training")
    api = FakeAPI(records)
    history = TuneHistory(path, api)
    first = history.sync()
    assert first.unfinished == 3
    assert sorted(history.unfinished_ids()) == sorted(records[i]["id"] for i in (5, 200, 350))
    api.tunes[records[200]["id"]] = tune(records[200]["id"], "trained")
    api.tunes[records[350]["id"]] = tune(records[350]["id"], "failed")
    api.calls.clear()
    result = history.sync()
    # the first page brings tune #5 fresh; only the two deep ones are fetched singly
    assert api.calls == [
        ("list_tunes", None),
        ("get_tune", records[200]["id"]),
        ("get_tune", records[350]["id"]),
    ]
    assert result.requests == 3 <= 2 + first.unfinished
    assert result.refreshed == 2 and result.updated == 2
    assert history.unfinished_ids() == [records[5]["id"]]
    frame = tunes_dataframe(history)
    assert frame.loc[records[350]["id"], "status"] == "failed"


def test_a_tune_deleted_while_unfinished_is_removed(path):
    records = many(300)
    records[250] = tune(records[250]["id"], "queued")
    api = FakeAPI(records)
    history = TuneHistory(path, api)
    history.sync()
    del api.tunes[records[250]["id"]]
    result = history.sync()
    assert result.deleted == 1 and result.total == 299
    assert records[250]["id"] not in history


def test_full_sync_drops_tunes_deleted_on_the_server(path):
    api = FakeAPI(many(300))
    history = TuneHistory(path, api)
    history.sync()
    for tune_id in (9_990, 9_800):
        del api.tunes[tune_id]
    assert history.sync().total == 300  # an incremental sync cannot see deletions
    result = history.sync(full=True)
    assert result.deleted == 2 and result.total == 298
    assert 9_990 not in history and 9_989 in history


def test_an_interrupted_first_sync_resumes_without_a_hole(path):
    api = FakeAPI(many(1000))
    api.fail_on_call = 4  # the 4th page request drops
    history = TuneHistory(path, api)
    with pytest.raises(TransportError):
        history.sync()
    assert len(history) == 360  # three pages were committed
    api.fail_on_call = None
    api.calls.clear()
    result = history.sync()
    assert result.new == 640 and result.total == 1000
    # one request finds nothing new on top, then the gap is paged from where it stopped
    assert api.calls[0] == ("list_tunes", None)
    assert api.calls[1] == ("list_tunes", 10_000 - 359)
    assert result.requests == 1 + math.ceil(640 / 120)
    assert [r["id"] for r in history.records()] == sorted(api.tunes, reverse=True)


def test_an_interrupted_incremental_sync_resumes_without_a_hole(path):
    api = FakeAPI(many(200, top=10_000))
    history = TuneHistory(path, api)
    history.sync()
    for record in many(400, top=10_400):
        api.tunes[record["id"]] = record
    api.calls.clear()
    api.fail_on_call = 3
    with pytest.raises(TransportError):
        history.sync()
    assert len(history) == 200 + 240
    api.fail_on_call = None
    result = history.sync()
    assert result.new == 160 and result.total == 600
    assert [r["id"] for r in history.records()] == sorted(api.tunes, reverse=True)
    again = history.sync()  # the gap is closed: back to a single request
    assert again.requests == 1


def test_the_store_survives_a_restart(path):
    api = FakeAPI(many(250))
    with TuneHistory(path, api) as history:
        history.sync()
        before = history.records()
    reopened = TuneHistory(path)  # no client needed to read
    assert reopened.records() == before
    assert len(reopened) == 250 and 10_000 in reopened and "10000" not in reopened
    assert reopened.get(9_999)["title"] == "t9999" and reopened.get(1) is None
    assert reopened.last_sync is not None
    assert "tunes=250" in repr(reopened)


def test_records_without_an_integer_id_are_not_stored(path):
    api = FakeAPI(many(3))
    api.tunes[-1] = {"id": "x"}  # a record a server should never send
    result = TuneHistory(path, api).sync()
    assert result.total == 3


def test_prompts_sync_the_same_way(path):
    api = FakeAPI()
    for i in range(250):
        api.prompts[20_000 - i] = {"id": 20_000 - i, "tune_id": 7, "images": ["a.png"]}
    api.prompts[19_800] = {"id": 19_800, "tune_id": 8, "images": [], "user_error": None}
    history = TuneHistory(path, api)
    first = history.sync_prompts()
    assert first.kind == "prompts" and first.total == 250 and first.unfinished == 1
    api.prompts[19_800]["images"] = ["b.png"]
    api.calls.clear()
    result = history.sync_prompts()
    assert api.calls == [("list_prompts", None), ("get_prompt", 19_800)]
    assert result.refreshed == 1 and result.unfinished == 0
    assert len(history.prompt_records(tune_id=8)) == 1
    assert len(history.prompt_records()) == 250


def test_one_file_per_api(path):
    api = FakeAPI(many(3))
    TuneHistory(path, api).sync()
    other = FakeAPI(many(3))
    other.is_sandbox = False
    other.base_url = "https://api.astria.ai"
    with pytest.raises(ValueError, match="holds the history of"):
        TuneHistory(path, other).sync()
    moved = FakeAPI(many(3))
    moved.base_url = "http://127.0.0.1:9"  # a sandbox back on another port is the same one
    assert TuneHistory(path, moved).sync().requests == 1


def test_progress_reports_each_stage(path):
    records = many(300)
    records[299] = tune(records[299]["id"], "training")
    api = FakeAPI(records)
    history = TuneHistory(path, api)
    history.sync()
    events: list[tuple[str, int, int | None]] = []
    for record in many(130, top=10_200):
        api.tunes[record["id"]] = record
    history.sync(progress=lambda *event: events.append(event))
    assert events == [("list", 120, None), ("list", 240, None), ("refresh", 1, 1)]


def test_attached_client_is_the_given_one_and_never_connects(path, tmp_path, monkeypatch):
    connecting = importlib.import_module("astria_widgets.connect")  # the module, not connect()
    connected: list[FakeAPI] = []
    monkeypatch.setattr(connecting, "connect",
                        lambda **kw: connected.append(FakeAPI([])) or connected[-1])
    history = TuneHistory(path)
    assert history.attached_client is None and connected == []  # reading it connects nothing
    assert history.client is connected[0] and history.attached_client is connected[0]
    api = FakeAPI([])
    given = TuneHistory(tmp_path / "given.sqlite3", api)
    assert given.attached_client is api and connected == [connected[0]]
    history.close()
    given.close()
