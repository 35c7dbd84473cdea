"""The eta-following poll policy and the one wait loop, on a virtual clock (no sleeping)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from wait_simulation import promise, simulate, sweep

from astria_widgets.client import (
    AstriaClient,
    PollPolicy,
    RateLimitError,
    RetrySettings,
    ServerError,
    TransportError,
    WaitTimeout,
)
from astria_widgets.client.waiting import next_delay, next_prompt_delay, wait

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


ESTIMATES = (1200.0, 7200.0)  # a 20-minute and a 2-hour training
FINE = [round(0.3 + 0.005 * i, 3) for i in range(541)]  # 0.300, 0.305, ..., 3.000


@pytest.mark.parametrize("estimate", ESTIMATES)
def test_an_end_in_the_band_is_noticed_within_3_percent_of_the_estimate(estimate):
    for factor in [f for f in FINE if 0.8 <= f <= 1.2]:
        requests, late = simulate(factor, estimate)
        assert 0 <= late <= max(5.0, 0.03 * estimate), f"{factor}: noticed {late:.1f} s late"
        # 10 polls cover 0.3x-0.8x at 10% and 13 the band at 3%: 23 is the floor at 1.2x.
        assert requests <= 26, f"{factor}: {requests} status requests"


@pytest.mark.parametrize("estimate", ESTIMATES)
def test_any_end_from_0_3_to_3x_is_noticed_within_10_percent_of_the_actual_duration(estimate):
    worst = 0
    for factor in FINE:
        requests, late = simulate(factor, estimate)
        actual = factor * estimate
        assert 0 <= late <= max(5.0, 0.1 * actual), f"{factor}: noticed {late:.1f} s late"
        assert late <= promise(factor, estimate)
        worst = max(worst, requests)
    assert worst <= 36


def test_an_early_end_is_no_longer_noticed_hundreds_of_seconds_late():
    # the measurement that opened the issue: half the estimate, 20 minutes -> 390 s late
    requests, late = simulate(0.5, 1200.0)
    assert late <= 60.0 and requests <= 10


def test_eta_policy_uses_far_fewer_requests_than_a_fixed_poll():
    for estimate in ESTIMATES:
        rows = sweep(estimate, step=0.25)
        assert max(r["requests"] for r in rows) * 5 < min(r["fixed_requests"] for r in rows
                                                          if r["factor"] >= 1.0)


def test_next_delay_sleeps_to_the_first_promise_then_steps():
    policy = PollPolicy()
    tune = {"created_at": _iso(0), "started_training_at": _iso(0), "eta": _iso(1000)}
    # first poll: at 0.3x plus 10% of 0.3x (the 2% margin taken off the promise)
    assert next_delay(tune, T0, policy) == pytest.approx(300 + 0.98 * 30)
    # geometric steps before the band, but never past the band's first promise
    assert next_delay(tune, T0 + timedelta(seconds=500), policy) == pytest.approx(0.98 * 50)
    assert next_delay(tune, T0 + timedelta(seconds=790), policy) == pytest.approx(
        800 + 0.98 * 30 - 790)
    # 3% steps inside the band, 10% of the elapsed time after it
    assert next_delay(tune, T0 + timedelta(seconds=900), policy) == pytest.approx(0.98 * 30)
    assert next_delay(tune, T0 + timedelta(seconds=2000), policy) == pytest.approx(0.98 * 200)


def test_a_stalled_tune_is_polled_sparsely():
    policy = PollPolicy()
    tune = {"created_at": _iso(0), "started_training_at": _iso(0), "eta": _iso(1000)}
    promise = 0.98 * 0.1 * 3000
    late = [next_delay(tune, T0 + timedelta(seconds=s), policy) for s in (3000, 3500, 10_000)]
    # never faster than the promise at 3x; growing with the overrun up to max_interval
    assert late == [pytest.approx(promise), pytest.approx(promise), policy.max_interval]
    small = {"created_at": _iso(0), "started_training_at": _iso(0), "eta": _iso(100)}
    grown = [next_delay(small, T0 + timedelta(seconds=s), policy) for s in (300, 600, 5000)]
    assert grown == [pytest.approx(29.4), pytest.approx(75.0), policy.max_interval]


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
    assert next_prompt_delay(prompt, T0, policy, tune) == pytest.approx(300 + 29.4)
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


@pytest.mark.parametrize("error", [
    RateLimitError("slow down", status_code=429, retry_after=7.0),
    ServerError("boom", status_code=502),
    TransportError("lost", method="GET", path="/tunes/1", maybe_processed=True),
])
def test_a_failed_fetch_ends_the_wait_without_a_second_layer_of_retries(error):
    """The transport already retried the read: the wait passes its error on at once."""
    clock = VirtualClock()
    calls = []

    def fetch():
        calls.append(1)
        raise error

    with pytest.raises(type(error)):
        wait(fetch, lambda r: True, policy=PollPolicy(), clock=clock.now, sleep=clock.sleep)
    assert calls == [1] and clock.sleeps == []


def test_wait_for_tune_against_a_failing_server_sends_its_stated_budget(figures):
    """``wait``'s docstring: ``read_attempts + 1`` requests, then the error (was 30)."""
    seen: list[str] = []

    class Failing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            body = b'{"error": "down"}'
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()
    try:
        retry = RetrySettings(read_backoff=0.0, read_backoff_max=0.0)  # default attempts
        client = AstriaClient(api_key="k", base_url=f"http://127.0.0.1:{server.server_port}",
                              retry=retry, poll=PollPolicy.fast())
        with pytest.raises(ServerError):
            client.wait_for_tune(1)
    finally:
        server.shutdown()
        server.server_close()
    assert len(seen) == retry.read_attempts + 1 == 5
    figures("wait_for_tune against a server answering 500", requests=len(seen))


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
