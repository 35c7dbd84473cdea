"""The one polling loop (:func:`wait`) and the policy deciding how long to sleep.

Every waiter (widgets, the magic, the CLI) goes through ``AstriaClient.wait_for_tune`` /
``wait_for_prompt``, which call :func:`wait` with a fetch function and the pure delay rules
below.

How a tune is followed (:func:`next_delay`): with ``D`` the estimated duration (``eta`` minus
``started_training_at``, or minus ``created_at`` while queued), the true end lies in the window
``[eta - eta_error*D, eta + eta_error*D]``. The loop sleeps straight to the first poll point
inside that window, polls every ``max(min_interval, tolerance*D*0.98)`` inside it (so the end is
noticed within ``tolerance*D`` of service time, the 2% margin absorbing request latency), and
after the window (a *stalled* tune) lets the interval grow with the overrun up to
``max_interval``. A 429 backs off (``Retry-After`` or a doubling). For a 20-minute training
this costs 15 status requests at most where a fixed 5-second poll costs ~250
(``benchmarks/bench_wait.py``).

Prompts carry no ``eta``: they are polled from ``prompt_interval``, growing gently with their
age up to ``prompt_max_interval``; while the prompt's tune is still training, the tune's
window rules apply instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from astria_widgets.client.errors import (
    RateLimitError,
    ServerError,
    TransportError,
    WaitTimeout,
)
from astria_widgets.client.status import (
    estimated_duration,
    parse_time,
    prompt_is_terminal,
    tune_is_terminal,
    tune_status,
    utcnow,
)

Record = dict[str, Any]


@dataclass(frozen=True)
class PollPolicy:
    """How often waits poll. Seconds of *service* time throughout.

    - ``min_interval``: never poll faster than this (the docs advise ~5 s).
    - ``max_interval``: cap on the interval once a tune is overdue (stalled).
    - ``tolerance``: how late, as a fraction of the estimated duration, the end may be noticed.
    - ``eta_error``: how far off (fraction of the duration) an ``eta`` may be.
    - ``stall_growth``: after the window, the interval is this fraction of the overrun.
    - ``prompt_interval`` / ``prompt_growth`` / ``prompt_max_interval``: prompt polling starts
      at ``prompt_interval`` and adds ``prompt_growth`` x its age, up to the cap.
    - ``rate_limit_factor``: multiplier of the previous delay after a 429 without Retry-After.
    - ``max_errors``: consecutive failed fetches (5xx, transport) tolerated before giving up.
    """

    min_interval: float = 5.0
    max_interval: float = 300.0
    tolerance: float = 0.03
    eta_error: float = 0.2
    stall_growth: float = 0.25
    prompt_interval: float = 5.0
    prompt_growth: float = 0.1
    prompt_max_interval: float = 30.0
    rate_limit_factor: float = 2.0
    max_errors: int = 5

    @classmethod
    def fast(cls) -> PollPolicy:
        """Tiny intervals for tests against a fast sandbox."""
        return cls(
            min_interval=0.01,
            max_interval=0.25,
            prompt_interval=0.01,
            prompt_growth=0.05,
            prompt_max_interval=0.1,
        )

    @classmethod
    def local(cls) -> PollPolicy:
        """Intervals for a local sandbox at its default speed (cheap loopback requests)."""
        return cls(min_interval=1.0, max_interval=30.0, prompt_interval=1.0,
                   prompt_max_interval=5.0)

    def with_(self, **changes: Any) -> PollPolicy:
        """A copy with some fields changed."""
        return replace(self, **changes)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def next_delay(record: Mapping[str, Any], now: datetime, policy: PollPolicy) -> float:
    """Seconds to sleep before polling a tune again (pure: record, time, policy)."""
    start = parse_time(record.get("started_training_at")) or parse_time(record.get("created_at"))
    duration = estimated_duration(record)
    eta = parse_time(record.get("eta"))
    if duration is None or eta is None:
        age = (now - start).total_seconds() if start else 0.0
        return _clamp(policy.tolerance * age, policy.min_interval, policy.max_interval)
    step = _clamp(policy.tolerance * duration * 0.98, policy.min_interval, policy.max_interval)
    until_eta = (eta - now).total_seconds()
    half_window = policy.eta_error * duration
    if until_eta > half_window:  # before the window: straight to its first poll point
        return until_eta - half_window + step
    if until_eta > -half_window:  # inside the window
        return step
    overrun = -until_eta - half_window  # stalled: grow with the overrun
    return _clamp(max(step, policy.stall_growth * overrun), policy.min_interval,
                  policy.max_interval)


def next_prompt_delay(
    record: Mapping[str, Any],
    now: datetime,
    policy: PollPolicy,
    tune: Mapping[str, Any] | None = None,
) -> float:
    """Seconds to sleep before polling a prompt again (pure).

    ``tune`` is the prompt's tune as last seen; while it is untrained (and the prompt not
    started), the prompt cannot finish before the tune, so the tune's eta rules apply.
    """
    started = parse_time(record.get("started_training_at"))
    if started is None and tune is not None and tune_status(tune, now) in {"queued", "training"}:
        eta, duration = parse_time(tune.get("eta")), estimated_duration(tune)
        if eta is not None and duration is not None:
            wait_for_tune = next_delay(tune, now, policy)
            if (eta - now).total_seconds() > policy.eta_error * duration:
                return wait_for_tune  # sleep until the tune's window opens
            # The tune record is not refreshed: inside and after its window, poll the prompt
            # at least as often as a running prompt.
            return min(wait_for_tune, policy.prompt_max_interval)
    ref = started or parse_time(record.get("created_at"))
    if tune is not None and started is None:
        trained_at = parse_time(tune.get("trained_at"))
        if trained_at is not None and (ref is None or trained_at > ref):
            ref = trained_at
    age = max(0.0, (now - ref).total_seconds()) if ref else 0.0
    return _clamp(policy.prompt_interval + policy.prompt_growth * age,
                  policy.prompt_interval, policy.prompt_max_interval)


# The terminal tests are the status rules themselves (kept under these names for callers).
is_tune_done = tune_is_terminal
is_prompt_done = prompt_is_terminal


def wait(
    fetch: Callable[[], Record],
    is_terminal: Callable[[Record], bool],
    *,
    policy: PollPolicy,
    timeout: float | None = None,
    on_update: Callable[[Record], Any] | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], Any] | None = None,
    delay: Callable[[Record, datetime, PollPolicy], float] = next_delay,
    watch: Callable[[Record, datetime], Any] | None = None,
    what: str = "object",
) -> Record:
    """Poll ``fetch()`` until ``is_terminal(record)``; return the final record.

    ``on_update(record)`` gets the first record and every one that differs from the previous
    (or whose ``watch(record, now)`` value changed, e.g. becoming stalled). ``stop`` (an Event)
    ends the wait at once, returning the last record. ``timeout`` (seconds of ``clock``) raises
    :class:`WaitTimeout` carrying the last record. 429s back off (Retry-After, else doubling);
    up to ``policy.max_errors`` consecutive 5xx/transport failures are ridden out.
    ``clock`` and ``sleep`` are injectable so tests run on a virtual clock.
    """
    if sleep is None:
        sleep = stop.wait if stop is not None else time.sleep
    started = clock()
    last: Record | None = None
    last_watch: Any = None
    errors = 0
    backoff = policy.min_interval

    def remaining() -> float | None:
        if timeout is None:
            return None
        return timeout - (clock() - started).total_seconds()

    while True:
        if stop is not None and stop.is_set() and last is not None:
            return last
        try:
            record = fetch()
        except RateLimitError as exc:
            backoff = (exc.retry_after if exc.retry_after else
                       min(policy.max_interval, max(backoff, policy.min_interval)
                           * policy.rate_limit_factor))
            pause = max(backoff, policy.min_interval)
            record = None
        except (ServerError, TransportError):
            errors += 1
            if errors > policy.max_errors:
                raise
            pause = _clamp(policy.min_interval * (policy.rate_limit_factor ** errors),
                           policy.min_interval, policy.max_interval)
            record = None
        if record is not None:
            errors = 0
            now = clock()
            marker = watch(record, now) if watch is not None else None
            if on_update is not None and (record != last or marker != last_watch):
                on_update(record)
            last, last_watch = record, marker
            if is_terminal(record):
                return record
            pause = max(0.0, delay(record, now, policy))
        if stop is not None and stop.is_set() and last is not None:
            return last
        left = remaining()
        if left is not None:
            if left <= 0:
                raise WaitTimeout(
                    f"Waiting for {what} timed out after {timeout:g} s; it is still not "
                    "finished (it goes on in the service). Wait again, or raise the timeout.",
                    last_record=last,
                )
            pause = min(pause, left)
        sleep(pause)
