"""Recording a sweep and resuming it (Python level, a sandbox on loopback, requests counted).

The original run is stopped mid-sweep (what a kernel restart does to its watch); the resumed
run is rebuilt from the history alone (no create) and its waits are counted against one
batched wait over a fresh batch of the same size.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from counting import BASE_TUNE, counting_client

from astria_widgets.client import PollPolicy, RetrySettings
from astria_widgets.client.generation import GenerationRun
from astria_widgets.history import TuneHistory
from astria_widgets.history.recorder import record_generation
from astria_widgets.history.resume import resume_runs, unfinished_summary
from astria_widgets.sandbox import Sandbox

SWEEP = {"seed": [1, 2, 3], "cfg_scale": [3, 7]}
SLOW = 10.0  # a prompt takes ~3 s: the sweep is unfinished when it is stopped


@pytest.fixture(scope="module")
def slow_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("slow"), speed=SLOW) as sb:
        yield sb


def _client(sandbox: Sandbox, key: str):
    return counting_client(sandbox.url, key, retry=RetrySettings.fast(), poll=PollPolicy.fast())


def _listings(log) -> int:
    return sum(1 for _m, path, _s in log if path.endswith("/prompts") and "/tunes/" in path)


def _per_prompt_gets(log) -> int:
    return sum(1 for _m, path, _s in log if "/prompts/" in path and "/files/" not in path)


def _started_and_stopped(sandbox: Sandbox, key: str, history: TuneHistory) -> str:
    client, _ = _client(sandbox, key)
    run = GenerationRun.prepare(client, [client.get_tune(BASE_TUNE)], "a red square",
                                {"num_images": 1}, SWEEP)
    run_id = record_generation(run, history)
    assert run_id is not None
    run.begin()
    deadline = time.monotonic() + 20
    while len(run.prompts) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.stop()  # the kernel restarts: the watch is gone, the prompts go on in the service
    run.watch.join(10)
    stored = history.runs.get(run_id)
    assert stored is not None and len(stored.prompt_ids) == 6 and not stored.done
    return run_id


def _reference_batch(sandbox: Sandbox, key: str) -> int:
    """Listings one batched wait costs over a fresh batch of six like prompts."""
    client, session = _client(sandbox, key)
    made = [client.create_prompt(BASE_TUNE, "a red square", seed=s, num_images=1)
            for s in range(6)]
    client.wait_for_prompts(BASE_TUNE, [p["id"] for p in made], timeout=60)
    return _listings(session.log)  # the creates are POSTs: not counted


def test_a_stopped_sweep_resumes_with_one_batched_wait_and_fills_its_grid(
        slow_sandbox, tmp_path, figures):
    key = slow_sandbox.create_user()
    history = TuneHistory(tmp_path / "h.sqlite3")
    run_id = _started_and_stopped(slow_sandbox, key, history)
    assert "6 prompts rendering, from 1 run" in str(unfinished_summary(history))

    client, session = _client(slow_sandbox, key)
    resumed = resume_runs(TuneHistory(tmp_path / "h.sqlite3"), client, owner="kernel-2")
    assert [r.run_id for r in resumed] == [run_id]
    run = resumed[0].run
    assert run is not None and run.sweep.shape == (3, 2)
    assert [c.label for c in run.sweep.cells][:2] == ["seed 1 · cfg_scale 3",
                                                      "seed 1 · cfg_scale 7"]
    run.wait(60)
    assert run.status == "done"
    assert sorted(len(v) for v in run.images.values()) == [1] * 6  # every cell has its image
    assert all(p is not None for _c, p in run.cells)
    log = list(session.log)
    assert not any(m == "POST" for m, _p, _s in log)  # nothing re-sent
    assert _per_prompt_gets(log) == 0  # no request per prompt
    resumed_waits = _listings(log)
    reference = _reference_batch(slow_sandbox, key)
    figures("resumed sweep of 6 prompts", resumed_listings=resumed_waits,
            one_batched_wait=reference)
    assert resumed_waits <= reference + 2
    assert resumed[0].waiter.polls == 1  # one wait_for_prompts over the batch

    stored = history.runs.get(run_id)
    assert stored.done and len(history.runs.thumbnails(stored.prompt_ids)) == 6
    assert unfinished_summary(history).runs == 0


def test_two_resumers_make_the_requests_of_one(slow_sandbox, tmp_path, figures):
    key = slow_sandbox.create_user()
    path = tmp_path / "h.sqlite3"
    run_id = _started_and_stopped(slow_sandbox, key, TuneHistory(path))
    client_a, session_a = _client(slow_sandbox, key)
    client_b, session_b = _client(slow_sandbox, key)
    a = resume_runs(TuneHistory(path), client_a, owner="kernel-a", every=0.2)[0]
    b = resume_runs(TuneHistory(path), client_b, owner="kernel-b", every=0.2)[0]
    for item in (a, b):
        item.run.wait(60)
        assert item.run.status == "done"
        assert sorted(len(v) for v in item.run.images.values()) == [1] * 6
    owner, follower = (a, b) if a.waiter.polls else (b, a)
    follower_log = session_b.log if follower is b else session_a.log
    figures("two resumers", owner_listings=_listings((session_a if owner is a
                                                      else session_b).log),
            follower_requests=len(follower_log), follower_history_reads=follower.waiter.reads)
    assert owner.waiter.polls == 1 and follower.waiter.polls == 0
    assert follower_log == []  # the follower read the history: no request at all
    assert follower.waiter.reads >= 1
    assert TuneHistory(path).runs.get(run_id).done


def test_a_follower_takes_over_when_the_lease_expires(slow_sandbox, tmp_path):
    key = slow_sandbox.create_user()
    path = tmp_path / "h.sqlite3"
    run_id = _started_and_stopped(slow_sandbox, key, TuneHistory(path))
    history = TuneHistory(path)
    assert history.runs.take_lease(run_id, "a-kernel-that-died", ttl=1.0)  # never renewed
    client, session = _client(slow_sandbox, key)
    item = resume_runs(TuneHistory(path), client, owner="kernel-2", every=0.2)[0]
    time.sleep(0.5)
    assert item.waiter.polls == 0 and session.log == []  # following while the lease holds
    item.run.wait(60)
    assert item.waiter.polls == 1 and item.run.status == "done"
    assert _per_prompt_gets(session.log) == 0


def test_two_resumers_of_a_training_poll_once(slow_sandbox, tmp_path, monkeypatch):
    from astria_widgets.client import TuneWatch
    from astria_widgets.history.recorder import record_tune_watch

    key = slow_sandbox.create_user()
    path = tmp_path / "h.sqlite3"
    monkeypatch.setenv("ASTRIA_HISTORY", str(path))
    client, _ = _client(slow_sandbox, key)
    watch = TuneWatch(client)
    run_id = record_tune_watch(watch)
    watch.start(lambda _upload: client.create_tune(
        name="dog", title="resumed training", branch="fast",
        image_urls=["https://example.com/a.jpg"], prompts=[{"text": "ohwx dog on a beach"}]))
    deadline = time.monotonic() + 20
    while watch.tune_id is None and time.monotonic() < deadline:
        time.sleep(0.05)
    watch.stop()  # the kernel restarts mid-training
    watch.join(10)
    left = str(unfinished_summary(TuneHistory(path)))  # its prompt may be listed already
    assert left.startswith("1 tune training, ") and left.endswith(" from 1 run"), left

    client_a, session_a = _client(slow_sandbox, key)
    client_b, session_b = _client(slow_sandbox, key)
    a = resume_runs(TuneHistory(path), client_a, owner="kernel-a", every=0.2)[0]
    b = resume_runs(TuneHistory(path), client_b, owner="kernel-b", every=0.2)[0]
    assert a.run_id == b.run_id == run_id()
    for item in (a, b):
        record = item.watch.wait(60)
        assert record["id"] == watch.tune_id and item.watch.status == "trained"
        assert [p["text"] for p in item.watch.prompts] and all(
            p["images"] for p in item.watch.prompts)
    owner, follower = (a, b) if a.source.polls else (b, a)
    assert follower.source.polls == 0 and follower.source.reads >= 1
    follower_log = session_b.log if follower is b else session_a.log
    # the follower sends nothing but the images of its gallery
    assert all(path.startswith("/files/") for _m, path, _s in follower_log), follower_log
    assert TuneHistory(path).runs.get(run_id()).done
