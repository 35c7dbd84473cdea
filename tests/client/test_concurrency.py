"""Issue 20: bounded concurrency, 429 slow-down and no duplicate creates (not timed tests).

A sandbox of its own (faults and latency would disturb other tests); the requests in flight
are counted at the sandbox (``state.faults.peak_in_flight``).
"""

from __future__ import annotations

import threading
import time

import pytest

from astria_widgets.client import AstriaClient, InputError, RetrySettings, prompt_status
from astria_widgets.client.executor import RequestGate, run_all
from astria_widgets.client.generation import GenerationRun

WAIT = 120  # seconds; a guard against hangs, not a timing assertion


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    from astria_widgets.sandbox import Sandbox

    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("concurrency"), speed=600.0,
                 fault_seed=20) as sandbox:
        yield sandbox


def _client(sb, **kw) -> AstriaClient:
    from astria_widgets.client import PollPolicy

    client = AstriaClient(sb.create_user(), sb.url, retry=RetrySettings.fast(), **kw)
    client.poll = PollPolicy.fast()
    return client


def _lora(client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora")
    return client.wait_for_tune(tune["id"], timeout=WAIT)


def test_concurrency_is_a_client_setting_checked_by_name():
    client = AstriaClient("k", "http://127.0.0.1:9", concurrency=2)
    assert client.concurrency == 2
    client.concurrency = 6
    assert client.concurrency == 6 and client.transport.gate.limit == 6
    for bad in (0, -1, 2.5, "x", None, True, 10**6):
        with pytest.raises(InputError, match="concurrency"):
            client.concurrency = bad
        assert client.concurrency == 6
    assert AstriaClient("k", "http://127.0.0.1:9").concurrency == 4


def test_requests_in_flight_never_exceed_concurrency(sb):
    client = _client(sb, concurrency=3)
    sb.latency = 0.05
    try:
        sb.state.faults.reset_peak()
        results = client.run_all(lambda _i: client.account(), range(24))
    finally:
        sb.latency = 0
    assert len(results) == 24 and not any(isinstance(r, BaseException) for r in results)
    assert sb.state.faults.peak_in_flight == 3  # the bound, and reached
    assert client.transport.gate.peak == 3


def test_a_sweep_run_stays_within_concurrency_creates_downloads_and_polls_together(sb, tmp_path,
                                                                                    monkeypatch):
    client = _client(sb, concurrency=2)
    tune = _lora(client)
    sb.latency = 0.02
    try:
        sb.state.faults.reset_peak()
        run = GenerationRun.start(client, [tune], "portrait", {"num_images": 1},
                                  {"seed": [1, 2, 3, 4], "cfg_scale": [3, 5, 7]})
        prompts = run.wait(timeout=WAIT)
    finally:
        sb.latency = 0
    assert [prompt_status(p) for p in prompts] == ["done"] * 12
    assert sb.state.faults.peak_in_flight <= 2
    assert len(run.images) == 12
    # saving the run writes the images the grid holds: nothing is downloaded twice
    monkeypatch.setattr(client, "fetch_bytes", lambda url: pytest.fail(f"fetched {url} again"))
    paths = run.download(tmp_path / "kept")
    assert sorted(p.name for p in paths) == sorted(f"prompt-{p['id']}-01.png" for p in prompts)
    assert all(p.stat().st_size > 0 for p in paths)


def test_a_429_pauses_new_requests_for_its_retry_after(sb):
    client = _client(sb, concurrency=4)
    tune = _lora(client)
    sb.state.faults.retry_after = 1.0  # the header says "1"
    starts: list[float] = []
    lock = threading.Lock()

    def create(seed: int):
        with lock:
            starts.append(time.monotonic())
        return client.create_prompt(tune["id"], "portrait", seed=seed, num_images=1)

    try:
        sb.fail_next("429", 1)
        first = create(100)  # answered 429 first: the gate pauses, the create waits, resends
        made = client.run_all(create, range(1, 9))
    finally:
        sb.state.faults.retry_after = 0.1
    assert first["seed"] == 100 and client.transport.gate.pauses >= 1
    assert not any(isinstance(m, BaseException) for m in made)
    assert len({m["id"] for m in made}) == 8


def test_the_gate_holds_new_requests_while_paused():
    now = [0.0]
    gate = RequestGate(2, clock=lambda: now[0])
    gate.pause(5)
    entered = threading.Event()

    def request():
        with gate.slot():
            entered.set()

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    assert not entered.wait(0.3)  # paused: nothing starts
    now[0] = 5.1
    with gate._cond:  # noqa: SLF001 - wake the waiter after moving the fake clock
        gate._cond.notify_all()  # noqa: SLF001
    assert entered.wait(5)
    thread.join(5)
    assert gate.pauses == 1 and gate.busy == 0


def test_run_all_keeps_item_order_and_stops_starting_after_stop():
    gate = RequestGate(2)
    stop = threading.Event()
    seen: list[int] = []

    def job(i: int) -> int:
        seen.append(i)
        if i == 1:
            stop.set()
        return i * 10

    out = run_all(gate, job, range(10), stop=stop)
    assert out[:2] == [0, 10] and len(out) < 10
    assert out == [i * 10 for i in sorted(seen)]
    errors = run_all(gate, lambda i: 1 // i, [1, 0, 2])
    assert errors[0] == 1 and isinstance(errors[1], ZeroDivisionError) and errors[2] == 0


def test_a_sweep_under_faults_leaves_exactly_one_prompt_per_cell(sb):
    """20 % faults (429, 500s, 504, dropped answers): every cell has one prompt, no more."""
    client = _client(sb, concurrency=4)
    tune = _lora(client)
    seeds, scales = [11, 12, 13, 14, 15], [2, 4, 6, 8]
    sb.set_faults(0.2)
    try:
        run = GenerationRun.start(client, [tune], "portrait", {"num_images": 1},
                                  {"seed": seeds, "cfg_scale": scales})
        prompts = run.wait(timeout=WAIT)
    finally:
        sb.set_faults(0.0)
    assert sum(sb.fault_stats.values()) > 0
    stored = [p for p in client.iter_prompts(prompts[0]["tune_id"])
              if f"lora:{tune['id']}:" in p.get("text", "")]
    cells = [(s, c) for s in seeds for c in scales]
    assert sorted((p["seed"], p["cfg_scale"]) for p in stored) == sorted(cells)
    assert [(p["seed"], p["cfg_scale"]) for p in prompts] == cells
    assert len({p["id"] for p in prompts}) == 20



def test_max_spend_refuses_a_run_over_what_is_left_before_sending(sb):
    client = _client(sb)
    tune = _lora(client)  # a Flux LoRA: its prompts run on Flux1.dev, a catalogue model
    client.max_spend = 0.05
    grid = {"seed": list(range(2, 12)), "cfg_scale": list(range(1, 11))}
    with pytest.raises(InputError) as info:
        GenerationRun.start(client, [tune], "portrait", {"num_images": 1}, grid)
    message = str(info.value)
    assert ("max_spend: this run of 100 prompts (100 images) is estimated at $2.30 "
            "(catalogue price)") in message
    assert "more than the $0.0500 left of max_spend $0.0500; nothing was sent" in message
    assert client.list_prompts(limit=100) == []  # nothing sent
    client.max_spend = 0.1
    run = GenerationRun.start(client, [tune], "portrait", {"num_images": 1},
                              {"seed": [20, 21, 22]})
    assert run.estimate_mc == pytest.approx(3 * 2_300)
    assert run.estimate.basis == "catalogue price"
    run.wait(timeout=WAIT)
    assert client.spent_mc == pytest.approx(3 * 2_300)  # the creates' reported cost_mc
    with pytest.raises(InputError, match="max_spend: .* more than the .* left"):
        GenerationRun.start(client, [tune], "portrait", {"num_images": 1},
                            {"seed": [30, 31, 32, 33, 34]})
    for bad in (-1, float("nan"), "5", True):
        with pytest.raises(InputError, match="max_spend"):
            client.max_spend = bad
