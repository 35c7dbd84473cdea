"""The watch model (TuneWatch, PromptsWatch) and client.wait_for_prompts, against the sandbox."""

from __future__ import annotations

import threading

import pytest
from client_helpers import photos
from counting import BASE_TUNE, measure_prompt_waits

from astria_widgets.client import (
    InputError,
    NotFoundError,
    PromptsWatch,
    TuneWatch,
    ValidationError,
    WaitTimeout,
    prompt_status,
    tune_status,
)

WAIT = 60  # seconds; a guard against hangs, not a timing assertion


def make_prompts(client, n: int, label: str = "p", **params) -> list[dict]:
    return [client.create_prompt(BASE_TUNE, f"a red boat {label} {i}", seed=i, **params)
            for i in range(n)]


# -- wait_for_prompts ---------------------------------------------------------------------------
def test_wait_for_prompts_returns_final_records_in_the_order_asked(client):
    ids = [p["id"] for p in make_prompts(client, 5)]
    failing = client.create_prompt(BASE_TUNE, "a red boat [fail]")["id"]
    wanted = [ids[2], failing, *ids[::-1]]  # any order, a repeat is waited for once
    updates: list[dict] = []
    final = client.wait_for_prompts(BASE_TUNE, wanted, timeout=WAIT, on_update=updates.append)
    assert [p["id"] for p in final] == list(dict.fromkeys(wanted))
    assert [prompt_status(p) for p in final] == ["done", "failed", "done", "done", "done", "done"]
    assert final[0]["images"] and final[1]["user_error"]
    # every prompt was reported, and its last report is its final record
    last = {u["id"]: u for u in updates}
    assert set(last) == set(wanted) and all(last[p["id"]] == p for p in final)


def test_wait_for_prompts_checks_ids_and_finds_missing_ones_by_id(client):
    assert client.wait_for_prompts(BASE_TUNE, []) == []
    with pytest.raises(InputError, match=r"prompt_ids\[1\]"):
        client.wait_for_prompts(BASE_TUNE, [1, "x"])
    (prompt,) = make_prompts(client, 1)
    with pytest.raises(NotFoundError):
        client.wait_for_prompts(BASE_TUNE, [prompt["id"], 987654321], timeout=WAIT)


def test_wait_for_prompts_times_out_and_stops_like_the_other_waits(client):
    ids = [p["id"] for p in make_prompts(client, 3, "slow")]
    with pytest.raises(WaitTimeout) as info:
        client.wait_for_prompts(BASE_TUNE, ids, timeout=0.0)
    assert set(info.value.last_record) == {str(i) for i in ids}
    stop = threading.Event()
    stop.set()
    records = client.wait_for_prompts(BASE_TUNE, ids, stop=stop)
    assert [r["id"] for r in records] == ids  # the last records, at once


@pytest.fixture(scope="module")
def paced_sandbox(tmp_path_factory):
    """A sandbox at 30x the service's pace, so that polls are counted at a realistic rhythm."""
    from astria_widgets.sandbox import Sandbox

    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("paced"), speed=30.0) as sb:
        yield sb


def test_waiting_for_24_prompts_costs_about_what_waiting_for_one_does(paced_sandbox, figures):
    result = measure_prompt_waits(paced_sandbox.url, paced_sandbox.create_user(), speed=30.0,
                                  batch=24, rounds=3)
    figures("requests to wait for prompts", one=result["one_mean"], batch_24=result["batch"],
            one_at_a_time_24=result["naive"])
    assert result["pages"] == 1
    assert result["batch"] <= 1.5 * result["one_mean"]
    assert result["naive"] > 2 * result["batch"]  # what one request per prompt would cost


# -- TuneWatch ----------------------------------------------------------------------------------
def test_tune_watch_creates_follows_and_downloads(client):
    calls: list[tuple[str, object]] = []
    watch = TuneWatch(client, fetch_images=True)
    assert watch.status == "waiting" and watch.tune_id is None and not watch.done
    unsubscribe = watch.subscribe(lambda w: calls.append((w.status, w.upload)))
    watch.subscribe(lambda w: 1 / 0)  # a broken view never ends the watch

    def create(on_upload):
        return client.create_tune(name="dog", images=photos(3), branch="fast",
                                  prompts=[{"text": "ohwx dog on a sofa", "num_images": 2}],
                                  on_progress=on_upload)

    assert watch.start(create) is watch
    with pytest.raises(RuntimeError, match="already started"):
        watch.start(create)
    final = watch.wait(timeout=WAIT)
    assert tune_status(final) == "trained" and watch.status == "trained"
    assert watch.done and not watch.stopped and watch.error is None and not watch.stalled
    assert watch.tune_id == final["id"] and watch.tune == final
    statuses = [s for s, _ in calls]
    assert statuses[0] == "submitting" and "uploading" in statuses
    assert statuses.index("uploading") < statuses.index("trained")
    sent, total = watch.upload
    assert sent == total > 0
    (prompt,) = watch.prompts
    assert prompt_status(prompt) == "done" and len(prompt["images"]) == 2
    assert [(i.prompt_id, i.index, i.count) for i in watch.images] == \
        [(prompt["id"], 1, 2), (prompt["id"], 2, 2)]
    assert all(i.data and i.data[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0") for i in watch.images)
    seen = len(calls)
    unsubscribe()
    unsubscribe()  # harmless twice
    assert len(calls) == seen
    assert repr(watch) == f"TuneWatch(tune={final['id']}, status='trained', prompts=1)"


def test_tune_watch_of_an_existing_tune_and_of_a_failing_one(client):
    good = client.create_tune(name="cat", images=photos(2, 10), branch="fast",
                              prompts=["ohwx cat"])
    bad = client.create_tune(name="cat", images=photos(2, 20), branch="fast",
                             title="cat [fail]", prompts=["ohwx cat"])
    plain = TuneWatch(client, good["id"], prompts=False).start()
    failing = TuneWatch(client, bad).start()
    assert failing.status == "queued"  # a record given is known at once
    assert tune_status(plain.wait(WAIT)) == "trained" and plain.prompts == []
    assert failing.wait(WAIT)["error"] and failing.status == "failed"
    # the prompt never ran: last seen pending, or failed with its tune (the sandbox fails it at
    # the moment the tune fails, so which one the last listing saw is a race)
    assert [prompt_status(p) for p in failing.prompts] in (["pending"], ["failed"])
    assert not failing.prompts[0]["images"]
    assert failing.images == []


def test_a_create_that_raises_ends_the_watch_as_error(client):
    seen: list[str] = []
    watch = TuneWatch(client)
    watch.subscribe(lambda w: seen.append(w.status))

    def create(on_upload):
        total = 80 * 1024 * 1024
        for sent in range(0, total + 1, 8_192):  # 10,241 callbacks, like 8 KiB chunks
            on_upload(sent, total)
        return client.create_tune(name="man", images=photos(1), steps=999999999)

    with pytest.raises(ValidationError):
        watch.start(create).wait(WAIT)
    assert watch.status == "error" and isinstance(watch.error, ValidationError)
    assert watch.tune is None and watch.done
    assert seen.count("uploading") <= 101  # views hear of whole percents only
    assert watch.upload == (80 * 1024 * 1024, 80 * 1024 * 1024)
    with pytest.raises(ValueError, match="needs a tune"):
        TuneWatch(client).start()


def test_stop_ends_the_watch_and_a_timeout_is_its_error(client):
    tune = client.create_tune(name="cat", images=photos(1, 30), branch="flux1")
    watch = TuneWatch(client, tune["id"]).start()
    with pytest.raises(WaitTimeout):
        watch.wait(timeout=0.01)  # a flux1 training takes seconds even at the test speed
    watch.stop()
    final = watch.wait(WAIT)
    assert watch.stopped and tune_status(final) in ("queued", "training")
    timed = TuneWatch(client, tune["id"], timeout=0.0).start()
    with pytest.raises(WaitTimeout):
        timed.wait(WAIT)
    assert isinstance(timed.error, WaitTimeout) and not timed.stopped
    assert timed.status in ("queued", "training")  # the tune's, not "error": it was seen
    assert tune_status(client.wait_for_tune(tune["id"], timeout=WAIT)) == "trained"


# -- PromptsWatch -------------------------------------------------------------------------------
def test_prompts_watch_creates_and_follows_a_batch(client):
    texts = ["a green kite 1", "a green kite 2 [fail]", "a green kite 3"]
    watch = PromptsWatch(client, BASE_TUNE, fetch_images=True)
    statuses: list[str] = []
    watch.subscribe(lambda w: statuses.append(w.status))
    watch.start(lambda: [client.create_prompt(BASE_TUNE, t) for t in texts])
    records = watch.wait(WAIT)
    assert [r["text"] for r in records] == texts and watch.prompt_ids == [r["id"] for r in records]
    assert [prompt_status(r) for r in records] == ["done", "failed", "done"]
    assert watch.status == "failed" and watch.done and watch.error is None
    assert statuses[0] == "creating" and "pending" in statuses
    assert sorted(i.prompt_id for i in watch.images) == [records[0]["id"], records[2]["id"]]


def test_prompts_watch_of_given_ids_done_stopped_and_error(client):
    ids = [p["id"] for p in make_prompts(client, 2, "given")]
    done = PromptsWatch(client, BASE_TUNE, ids).start()
    assert [r["id"] for r in done.wait(WAIT)] == ids and done.status == "done"
    assert repr(done) == f"PromptsWatch(tune={BASE_TUNE}, prompts=2, status='done')"

    slow = make_prompts(client, 2, "stopped")
    stopped = PromptsWatch(client, BASE_TUNE, [p["id"] for p in slow])
    stopped.stop()  # stopped before it starts: ends without polling
    stopped.start().wait(WAIT)
    assert stopped.status == "stopped" and stopped.stopped

    broken = PromptsWatch(client, BASE_TUNE).start(lambda: [client.create_prompt(BASE_TUNE, "")])
    with pytest.raises(InputError):
        broken.wait(WAIT)
    assert broken.status == "error" and broken.prompts == []
    with pytest.raises(ValueError, match="needs prompt_ids"):
        PromptsWatch(client, BASE_TUNE).start()
