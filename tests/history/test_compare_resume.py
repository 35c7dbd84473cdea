"""A comparison cut off by a restart is resumed (Python level, a sandbox on loopback).

The original comparison (two base tunes, three seeds: six prompts) is stopped once every
prompt is created (what a kernel restart does to its watches). The resumed comparison is
rebuilt from the history alone: no create re-sent, one batched wait per base tune (counted
against two batched waits over fresh batches of the same size), its like kept, every cell
filled, and two resumers make the requests of one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from counting import counting_client

from astria_widgets.client import PollPolicy, RetrySettings
from astria_widgets.client.compare import CompareRun
from astria_widgets.client.references import FLUX1_DEV, SDXL_1
from astria_widgets.history import TuneHistory
from astria_widgets.history.compare_runs import record_compare
from astria_widgets.history.resume import resume_runs, unfinished_summary
from astria_widgets.sandbox import Sandbox

SLOW = 10.0  # a prompt takes ~3 s: the comparison is unfinished when it is stopped
TEXT = "a red square"
SEEDS = [1, 2, 3]


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
    """A comparison of two base tunes recorded, cell 0 liked, stopped before it finished."""
    client, _ = _client(sandbox, key)
    run = CompareRun.prepare(client, [FLUX1_DEV, SDXL_1], texts=[TEXT], seeds=SEEDS,
                             num_images=1)
    assert len(run.runs) == 2  # two base tunes
    recorder = record_compare(history, run)
    run.begin()
    deadline = time.monotonic() + 20
    while len(run.prompts) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.like(0)
    run.stop()  # the kernel restarts: the watches are gone, the prompts go on in the service
    for part in run.runs:
        part.watch.join(10)
    recorder.stop()  # its process is gone: the lease with it
    stored = history.runs.get(recorder.run_id)
    assert stored is not None and stored.kind == "compare"
    assert len(stored.prompt_ids) == 6 and not stored.done
    return recorder.run_id


def _reference_batches(sandbox: Sandbox, key: str) -> int:
    """Listings two batched waits cost (one per base tune, side by side) over fresh
    batches of three like prompts each."""
    client, session = _client(sandbox, key)
    made = {tune: [client.create_prompt(tune, TEXT, seed=s, num_images=1)["id"]
                   for s in SEEDS] for tune in (FLUX1_DEV, SDXL_1)}
    waits = [threading.Thread(target=client.wait_for_prompts, args=(tune, ids),
                              kwargs={"timeout": 60}) for tune, ids in made.items()]
    for wait in waits:
        wait.start()
    for wait in waits:
        wait.join(70)
    return _listings(session.log)  # the creates are POSTs: not counted


def test_a_stopped_comparison_resumes_with_one_batched_wait_per_base_tune(
        slow_sandbox, tmp_path, figures):
    key = slow_sandbox.create_user()
    history = TuneHistory(tmp_path / "h.sqlite3")
    run_id = _started_and_stopped(slow_sandbox, key, history)
    assert str(unfinished_summary(history)) == "6 prompts rendering, from 1 run"

    client, session = _client(slow_sandbox, key)
    resumed = resume_runs(TuneHistory(tmp_path / "h.sqlite3"), client, owner="kernel-2")
    assert [r.run_id for r in resumed] == [run_id]
    item = resumed[0]
    run = item.compare
    assert item.run is None and run is not None and run.shape == (3, 2)
    assert run.column_labels[0].endswith(f"(#{FLUX1_DEV})")
    assert run.row_labels == [f"{TEXT} · seed {s}" for s in SEEDS]
    assert len(run.runs) == len(item.waiters) == 2
    assert run.liked == {0}  # the like given before the restart
    run.wait(60)
    assert run.status == "done"
    cells = run.cells
    assert all(c.prompt is not None and c.prompt["seed"] == SEEDS[c.row] for c in cells)
    assert {c.prompt["tune_id"] for c in cells if c.col == 0} == {FLUX1_DEV}
    assert {c.prompt["tune_id"] for c in cells if c.col == 1} == {SDXL_1}
    assert all(run.thumbnail(i) for i in range(6))  # every cell has its image
    assert run.tally()["liked"].tolist() == [1, 0]
    log = list(session.log)
    assert not any(m == "POST" for m, _p, _s in log)  # nothing re-sent
    assert _per_prompt_gets(log) == 0  # no request per prompt
    resumed_waits = _listings(log)
    reference = _reference_batches(slow_sandbox, key)
    figures("resumed comparison of 6 prompts on 2 base tunes",
            resumed_listings=resumed_waits, two_batched_waits=reference,
            polls=[w.polls for w in item.waiters])
    # the waits are timed, not counted per prompt: within two polls per base tune and a
    # tenth of the reference (the machine is shared) of two fresh batched waits
    assert resumed_waits <= reference + 2 * 2 + reference // 10
    assert [w.polls for w in item.waiters] == [1, 1]  # one wait_for_prompts per base tune

    stored = history.runs.get(run_id)
    assert stored.done and len(history.runs.thumbnails(stored.prompt_ids)) == 6
    assert stored.prompts[cells[0].prompt["id"]]["liked"] is True
    assert unfinished_summary(history).runs == 0
    assert history.runs.lease_owner(run_id) is None  # given up once every base tune is done


def test_two_resumers_of_a_comparison_make_the_requests_of_one(slow_sandbox, tmp_path,
                                                               figures):
    key = slow_sandbox.create_user()
    path = tmp_path / "h.sqlite3"
    run_id = _started_and_stopped(slow_sandbox, key, TuneHistory(path))
    client_a, session_a = _client(slow_sandbox, key)
    client_b, session_b = _client(slow_sandbox, key)
    a = resume_runs(TuneHistory(path), client_a, owner="kernel-a", every=0.2)[0]
    b = resume_runs(TuneHistory(path), client_b, owner="kernel-b", every=0.2)[0]
    for item in (a, b):
        item.compare.wait(60)
        assert item.compare.status == "done"
        assert all(item.compare.thumbnail(i) for i in range(6))
        assert item.compare.liked == {0}
    owner, follower = (a, b) if any(w.polls for w in a.waiters) else (b, a)
    owner_log = session_a.log if owner is a else session_b.log
    follower_log = session_b.log if follower is b else session_a.log
    figures("two resumers of a comparison", owner_listings=_listings(owner_log),
            follower_requests=len(follower_log),
            follower_history_reads=sum(w.reads for w in follower.waiters))
    assert [w.polls for w in owner.waiters] == [1, 1]
    assert [w.polls for w in follower.waiters] == [0, 0]
    assert follower_log == []  # the follower read the history: no request at all
    assert TuneHistory(path).runs.get(run_id).done


def test_resume_shows_a_comparison_in_its_compare_view(slow_sandbox, tmp_path):
    from astria_widgets.widgets.compare import CompareView
    from astria_widgets.widgets.resume import resume

    key = slow_sandbox.create_user()
    path = tmp_path / "h.sqlite3"
    run_id = _started_and_stopped(slow_sandbox, key, TuneHistory(path))
    client, session = _client(slow_sandbox, key)
    views = resume(client, history=str(path))
    assert views.summary == "6 prompts rendering, from 1 run"
    assert "6 prompts rendering, from 1 run" in views.children[0].value
    (view,) = views.views
    assert isinstance(view, CompareView) and view.run_id == run_id and not view.reopened
    views.wait(60)
    view.recorder.sync()
    view._render()
    assert all(c.image.value for c in view.cells)
    assert all(f"seed {SEEDS[n // 2]}" in c.state.value for n, c in enumerate(view.cells))
    assert [c.like.description for c in view.cells] == ["Liked"] + ["Like"] * 5
    assert "1 of 3 liked" in view.tally_line.value
    assert "6 of 6 prompts finished" in view.status.value
    assert not any(m == "POST" for m, _p, _s in session.log)


def test_cells_never_created_before_the_restart_are_not_sent_again(slow_sandbox, tmp_path):
    """Cut off while creating: two of six prompts were sent; the resume follows those two
    and says the four others were not sent (no create)."""
    from astria_widgets.history.compare_runs import compare_params
    from astria_widgets.history.runs import RunItem
    from astria_widgets.widgets.resume import resume

    key = slow_sandbox.create_user()
    client, _ = _client(slow_sandbox, key)
    plan = CompareRun.prepare(client, [FLUX1_DEV, SDXL_1], texts=[TEXT], seeds=SEEDS,
                              num_images=1)  # planned only: nothing sent
    history = TuneHistory(tmp_path / "h.sqlite3")
    run_id = history.runs.record("compare", compare_params(plan), label="cut off")
    sent = [client.create_prompt(FLUX1_DEV, TEXT, seed=1, num_images=1),
            client.create_prompt(SDXL_1, TEXT, seed=2, num_images=1)]
    history.runs.add_items(run_id, [RunItem("prompt", sent[0]["id"], 0, 0),
                                    RunItem("prompt", sent[1]["id"], 1, 1)])
    history.runs.save_records(prompts=sent)
    assert str(unfinished_summary(history)) == "2 prompts rendering, from 1 run"

    client, session = _client(slow_sandbox, key)
    views = resume(client, history=history)
    (view,) = views.views
    views.wait(60)
    view._render()
    states = [c.state.value for c in view.cells]
    assert [("not sent" in s) for s in states] == [False, True, True, False, True, True]
    assert bool(view.cells[0].image.value) and bool(view.cells[3].image.value)
    assert view.run.status == "done" and len(view.run.runs) == 2
    assert not any(m == "POST" for m, _p, _s in session.log)
    assert history.runs.get(run_id).done


def test_a_live_comparison_holds_its_lease_so_a_resume_elsewhere_only_reads(
        slow_sandbox, tmp_path):
    key = slow_sandbox.create_user()
    path = tmp_path / "h.sqlite3"
    client, _ = _client(slow_sandbox, key)
    live = CompareRun.prepare(client, [FLUX1_DEV, SDXL_1], texts=[TEXT], seeds=SEEDS,
                              num_images=1)
    recorder = record_compare(TuneHistory(path), live)
    live.begin()
    deadline = time.monotonic() + 20
    while len(live.prompts) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert TuneHistory(path).runs.lease_owner(recorder.run_id) is not None
    other, session = _client(slow_sandbox, key)
    (item,) = resume_runs(TuneHistory(path), other, owner="kernel-2", every=0.2)
    live.wait(60)
    item.compare.wait(60)
    assert item.compare.status == "done" and all(item.compare.thumbnail(i) for i in range(6))
    assert [w.polls for w in item.waiters] == [0, 0] and session.log == []
    assert TuneHistory(path).runs.lease_owner(recorder.run_id) is None  # given up when done
