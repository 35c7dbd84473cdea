"""The eta-following poll policy and the one wait loop, on a virtual clock (no sleeping)."""

from __future__ import annotations

import importlib.util
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from astria_widgets.client import PollPolicy, RateLimitError, ServerError, WaitTimeout
from astria_widgets.client.waiting import next_delay, next_prompt_delay, wait

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_wait.py"
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _load_bench():
    if "bench_wait" in sys.modules:
        return sys.modules["bench_wait"]
    spec = importlib.util.spec_from_file_location("bench_wait", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_wait"] = module
    spec.loader.exec_module(module)
    return module


def _iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("factor", [0.8 + 0.004 * i for i in range(101)])
def test_twenty_minute_training_meets_the_issue_targets(factor):
    bench = _load_bench()
    requests, latency = bench.simulate(factor)
    assert requests <= 15, f"factor {factor:.3f}: {requests} status requests"
    target = max(5.0, 0.03 * 1200)
    assert 0 <= latency <= target, f"factor {factor:.3f}: noticed {latency:.1f}s late"


def test_eta_policy_uses_far_fewer_requests_than_a_fixed_poll():
    table = _load_bench().run([0.8, 1.0, 1.2])
    assert table["eta-following"]["requests_max"] * 10 < table["fixed 5 s"]["requests_mean"]


def test_next_delay_sleeps_to_the_window_then_steps():
    policy = PollPolicy()
    tune = {"created_at": _iso(0), "started_training_at": _iso(0), "eta": _iso(1000)}
    step = 0.03 * 1000 * 0.98
    assert next_delay(tune, T0, policy) == pytest.approx(800 + step)
    assert next_delay(tune, T0 + timedelta(seconds=900), policy) == pytest.approx(step)
    # stalled: past eta + 20% -> the interval grows with the overrun, up to max_interval
    late = [next_delay(tune, T0 + timedelta(seconds=s), policy) for s in (1300, 2000, 10_000)]
    assert late[0] >= step and late[0] < late[1] <= policy.max_interval
    assert late[2] == policy.max_interval


def test_next_delay_without_eta_grows_from_min_interval():
    policy = PollPolicy()
    tune = {"created_at": _iso(0)}
    assert next_delay(tune, T0, policy) == policy.min_interval
    assert next_delay(tune, T0 + timedelta(seconds=3600), policy) == pytest.approx(108.0)


def test_short_fast_tune_never_polls_faster_than_min_interval():
    policy = PollPolicy()
    tune = {"created_at": _iso(0), "started_training_at": _iso(0), "eta": _iso(35)}
    assert next_delay(tune, T0 + timedelta(seconds=30), policy) == policy.min_interval


def test_prompt_delay_grows_gently_to_its_cap_and_follows_an_untrained_tune():
    policy = PollPolicy()
    prompt = {"created_at": _iso(0), "started_training_at": None}
    delays = [next_prompt_delay(prompt, T0 + timedelta(seconds=s), policy) for s in (0, 60, 900)]
    assert delays == [5.0, pytest.approx(11.0), 30.0]
    tune = {"created_at": _iso(0), "started_training_at": _iso(0), "eta": _iso(1000),
            "trained_at": None}
    assert next_prompt_delay(prompt, T0, policy, tune) == pytest.approx(800 + 29.4)
    assert next_prompt_delay(prompt, T0 + timedelta(seconds=5000), policy, tune) == 30.0


class VirtualClock:
    def __init__(self):
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self):
        return T0 + timedelta(seconds=self.t)

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.t += seconds


def test_wait_reports_first_and_changed_records_only():
    clock = VirtualClock()
    states = iter([{"v": 1}, {"v": 1}, {"v": 2}, {"v": 2}, {"v": 3, "done": True}])
    seen = []
    final = wait(lambda: next(states), lambda r: r.get("done", False), policy=PollPolicy(),
                 on_update=seen.append, clock=clock.now, sleep=clock.sleep,
                 delay=lambda r, n, p: 1.0)
    assert final == {"v": 3, "done": True}
    assert seen == [{"v": 1}, {"v": 2}, {"v": 3, "done": True}]
    assert clock.sleeps == [1.0] * 4


def test_wait_timeout_carries_the_last_record():
    clock = VirtualClock()
    with pytest.raises(WaitTimeout) as info:
        wait(lambda: {"n": clock.t}, lambda r: False, policy=PollPolicy(), timeout=12,
             clock=clock.now, sleep=clock.sleep, delay=lambda r, n, p: 5.0)
    assert isinstance(info.value, TimeoutError)
    assert info.value.last_record == {"n": 12.0}
    assert clock.t == pytest.approx(12.0)


def test_wait_stop_event_returns_last_record_at_once():
    stop = threading.Event()
    calls = []

    def fetch():
        calls.append(1)
        stop.set()
        return {"state": "training"}

    assert wait(fetch, lambda r: False, policy=PollPolicy(), stop=stop) == {"state": "training"}
    assert len(calls) == 1


def test_wait_backs_off_on_429_and_rides_out_server_errors():
    clock = VirtualClock()
    outcomes = [
        RateLimitError("slow down", status_code=429, retry_after=7.0),
        RateLimitError("slow down", status_code=429, retry_after=None),
        ServerError("boom", status_code=502),
        {"done": True},
    ]

    def fetch():
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    policy = PollPolicy(min_interval=5.0)
    assert wait(fetch, lambda r: r.get("done"), policy=policy, clock=clock.now,
                sleep=clock.sleep) == {"done": True}
    assert clock.sleeps[0] == 7.0  # Retry-After honoured
    assert clock.sleeps[1] == 14.0  # doubled without one
    assert clock.sleeps[2] >= policy.min_interval


def test_wait_gives_up_after_too_many_consecutive_errors():
    clock = VirtualClock()

    def fetch():
        raise ServerError("down", status_code=503)

    with pytest.raises(ServerError):
        wait(fetch, lambda r: True, policy=PollPolicy(max_errors=3), clock=clock.now,
             sleep=clock.sleep)
    assert len(clock.sleeps) == 3


def test_wait_notifies_when_watch_value_changes_even_if_record_does_not():
    clock = VirtualClock()
    record = {"same": True}
    seen = []
    polls = iter(range(4))

    def fetch():
        next(polls)
        return dict(record)

    with pytest.raises(StopIteration):
        wait(fetch, lambda r: False, policy=PollPolicy(), on_update=seen.append,
             clock=clock.now, sleep=clock.sleep, delay=lambda r, n, p: 10.0,
             watch=lambda r, now: (now - T0).total_seconds() > 15)
    assert len(seen) == 2  # the first record, then when it became "stalled"
