"""TuneHistory and ``astria-widgets sync`` against the real sandbox, counting HTTP requests.

Requests are counted on the client's own ``requests`` session (``tests/counting.py``: each
send, plus any transparent urllib3 retries), independently of ``SyncResult.requests``.
"""

from __future__ import annotations

import importlib
import math

import pytest
from corpus import photo
from counting import CountingSession, counting_client
from history_fakes import FakeAPI, tune

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings
from astria_widgets.frames import prompts_dataframe, tunes_dataframe
from astria_widgets.history import TuneHistory

SEEDED = 500


@pytest.fixture
def counted(sandbox, api_key) -> tuple[AstriaClient, CountingSession]:
    """A client of a fresh account whose session counts every request sent."""
    return counting_client(sandbox.url, api_key, retry=RetrySettings.fast(),
                           poll=PollPolicy.fast())


@pytest.fixture
def seeded(sandbox, api_key, counted) -> tuple[AstriaClient, CountingSession]:
    sandbox.seed_history(SEEDED, api_key=api_key)
    return counted


def test_sync_request_counts_on_a_seeded_account(seeded, tmp_path):
    client, counter = seeded
    history = TuneHistory(tmp_path / "h.sqlite3", client)

    first = history.sync()
    assert first.total == first.new == SEEDED
    assert counter.take() == first.requests <= math.ceil(SEEDED / 120) + 1

    again = history.sync()
    assert again.new == 0
    assert counter.take() == again.requests <= 2 + first.unfinished

    stored = [r["id"] for r in history.records()]
    listed = [r["id"] for r in client.iter_tunes()]
    assert stored == listed  # every tune, newest first, none twice
    frame = tunes_dataframe(history)
    assert frame.index.tolist() == listed
    assert (frame["status"] == "failed").sum() > 0  # the seeded history has failures


def test_new_tunes_and_their_training_are_picked_up(counted, tmp_path):
    client, counter = counted
    history = TuneHistory(tmp_path / "h.sqlite3", client)
    history.sync()
    created = [
        client.create_tune(
            name="dog",
            title=f"history test {i}",
            branch="fast",
            images=[(f"d{i}-{j}.jpg", photo(seed=40 + 4 * i + j)) for j in range(4)],
        )
        for i in range(2)
    ]
    counter.take()
    result = history.sync()
    assert result.new == 2 and result.requests == counter.take() == 1
    pending = set(history.unfinished_ids())  # fast tunes may already be done at speed 600
    assert pending <= {t["id"] for t in created}
    for record in created:
        client.wait_for_tune(record["id"], timeout=60)
    counter.take()
    done = history.sync()
    assert done.updated >= len(pending) and done.unfinished == 0
    assert counter.take() == done.requests == 1  # the first page brought both back finished
    frame = tunes_dataframe(history)
    assert set(frame.loc[[t["id"] for t in created], "status"]) == {"trained"}

    client.delete_tune(created[0]["id"])
    full = history.sync(full=True)
    assert full.deleted == 1 and created[0]["id"] not in history


def test_prompts_are_synced_account_wide(seeded, tmp_path):
    client, counter = seeded
    history = TuneHistory(tmp_path / "h.sqlite3", client)
    first = history.sync_prompts()
    assert counter.take() == first.requests
    listed = [p["id"] for p in client.iter_prompts()]
    counter.take()
    assert [p["id"] for p in history.prompt_records()] == listed
    again = history.sync_prompts()
    assert counter.take() == again.requests <= 2 + first.unfinished
    frame = prompts_dataframe(history)
    assert len(frame) == len(listed) and frame["tune_id"].notna().all()


def test_sync_command(sandbox, api_key, client, monkeypatch, tmp_path, capsys):
    from astria_widgets.cli import main as cli
    from astria_widgets.commands import sync

    sandbox.seed_history(130, api_key=api_key)
    connecting = importlib.import_module("astria_widgets.connect")  # the module, not connect()
    monkeypatch.setattr(connecting, "connect", lambda **kwargs: client)
    path = tmp_path / "cli.sqlite3"
    assert cli(["sync", "--path", str(path), "--prompts"]) == 0
    out, err = capsys.readouterr()
    assert "tunes: 130 new" in out and "prompts:" in out and str(path) in out
    assert "listing" in err  # the tqdm bar
    assert sync.main(["--path", str(path)]) == 0
    assert "tunes: 0 new" in capsys.readouterr().out
    assert len(TuneHistory(path)) == 130

    other = tmp_path / "other.sqlite3"
    fake = FakeAPI([tune(1)])
    fake.is_sandbox = False
    TuneHistory(other, fake).sync()
    assert sync.main(["--path", str(other)]) == 2
    assert "holds the history of" in capsys.readouterr().err


def test_sync_command_default_path_follows_the_target(monkeypatch, tmp_path):
    from astria_widgets.commands.sync import default_path

    monkeypatch.delenv("ASTRIA_HISTORY", raising=False)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path))
    sandbox_client = AstriaClient(
        api_key="k",
        base_url="http://127.0.0.1:9",
        sandbox=True,
        retry=RetrySettings.fast(),
        poll=PollPolicy.fast(),
    )
    assert default_path(sandbox_client) == tmp_path / "history.sqlite3"
    real = AstriaClient(api_key="k", base_url="https://api.astria.ai")
    assert default_path(real).name == "history.sqlite3"
    assert default_path(real).parent.name == ".astria-widgets"
