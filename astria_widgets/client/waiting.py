"""The one polling loop (:func:`wait`) and the policy deciding how long to sleep.

Every waiter (widgets, the magic, the CLI) goes through ``AstriaClient.wait_for_tune`` /
``wait_for_prompt``, which call :func:`wait` with a fetch function and the pure delay rules
below.

How a tune is followed (:func:`next_delay`): with ``D`` the estimated duration (``eta`` minus
``started_training_at``, or minus ``created_at`` while queued), an ``eta`` is usually right
within ``eta_error`` (the *band* ``[1-eta_error, 1+eta_error] x D``), but the docs give no bound,
so the loop keeps a promise for any end from ``early_from x D`` to ``stall_factor x D``
(0.3x to 3x): an end inside the band is noticed within ``max(min_interval, tolerance x D)``
(3%), any other end within ``max(min_interval, off_band_tolerance x T)`` where ``T`` is the
actual duration (10%). :func:`lateness_bound` states that promise; :func:`next_delay` sleeps to
the last moment that still keeps it for every end after now (a 2% margin absorbs request
latency): straight to ``early_from x D`` first, then geometric steps (10% of the elapsed time)
up to the band, 3% steps across it, geometric steps again after it. Past ``stall_factor x D``
the tune is *stalled* (``status.tune_is_stalled``) and polled sparsely.

Cost, on a virtual clock (``benchmarks/bench_wait.py``, 20-minute and 2-hour trainings alike,
the schedule being scale-free): 13 status requests for an end at 0.8x, 26 at 1.2x, 36 at 3x,
where a fixed 5-second poll costs ~250 for 20 minutes. Those two promises cannot be kept with
fewer: covering 0.3x-0.8x at 10% lateness takes 10 polls (0.8/0.3 = 1.1^10.3) and the band at
3% takes 13 (0.4/0.03), so an end at 1.2x needs 23 requests at least, whatever the schedule.

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
    WaitTimeout,
)
from astria_widgets.client.status import (
    ETA_ERROR,
    STALL_FACTOR,
    TUNE_UNFINISHED,
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

    - ``min_interval``: never poll faster than this (the docs advise ~5 s); also the floor of
      every lateness promise.
    - ``max_interval``: cap on the interval without an ``eta``, and on a stalled tune's
      interval growth (a stalled tune is never polled faster than its last promise though).
    - ``tolerance``: how late, as a fraction of the estimated duration, an end inside the band
      may be noticed.
    - ``eta_error``: the band: how far off (fraction of the duration) an ``eta`` usually is.
    - ``early_from`` / ``stall_factor``: the range of actual durations (fractions of the
      estimate) with a lateness promise; past ``stall_factor`` the tune is stalled.
    - ``off_band_tolerance``: outside the band, how late an end may be noticed, as a fraction
      of the actual duration.
    - ``stall_growth``: once stalled, the interval grows by this fraction of the overrun.
    - ``prompt_interval`` / ``prompt_growth`` / ``prompt_max_interval``: prompt polling starts
      at ``prompt_interval`` and adds ``prompt_growth`` x its age, up to the cap.
    Failed fetches are not retried here: the transport retries reads (see :func:`wait`).
    """

    min_interval: float = 5.0
    max_interval: float = 300.0
    tolerance: float = 0.03
    eta_error: float = ETA_ERROR
    early_from: float = 0.3
    stall_factor: float = STALL_FACTOR
    off_band_tolerance: float = 0.1
    stall_growth: float = 0.25
    prompt_interval: float = 5.0
    prompt_growth: float = 0.1
    prompt_max_interval: float = 30.0

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


def lateness_bound(end: float, duration: float, policy: PollPolicy) -> float:
    """How late (s) a training that ends ``end`` seconds after its start may be noticed.

    ``duration`` is the estimated duration. Inside the band ``tolerance x duration``; from
    ``early_from`` to ``stall_factor`` x the estimate outside it ``off_band_tolerance x end``;
    never below ``min_interval``. Before ``early_from`` no promise is made (such an end is
    noticed at the first poll, at ``early_from x duration`` plus its bound).
    """
    low, high = 1.0 - policy.eta_error, 1.0 + policy.eta_error
    if low * duration <= end <= high * duration:
        bound = policy.tolerance * duration
    else:
        bound = policy.off_band_tolerance * max(end, policy.early_from * duration)
    return max(policy.min_interval, bound)


def next_delay(record: Mapping[str, Any], now: datetime, policy: PollPolicy) -> float:
    """Seconds to sleep before polling a tune again (pure: record, time, policy).

    The next poll is the latest moment that still notices every end after ``now`` within
    :func:`lateness_bound`: the smallest ``T + bound(T)`` over ends ``T`` from now on. That
    function only grows inside each region (before the band, the band, after it), so the
    candidates are now (or ``early_from x D`` if later) and the start of the band.
    """
    start = parse_time(record.get("started_training_at")) or parse_time(record.get("created_at"))
    duration = estimated_duration(record)
    elapsed = (now - start).total_seconds() if start else 0.0
    if duration is None or parse_time(record.get("eta")) is None:
        return _clamp(policy.tolerance * elapsed, policy.min_interval, policy.max_interval)
    margin = 0.98  # request latency comes out of the promise, not on top of it
    stall_at = policy.stall_factor * duration
    if elapsed >= stall_at:  # stalled: sparse polls, growing with the overrun
        floor = lateness_bound(stall_at, duration, policy) * margin
        grown = min(policy.stall_growth * (elapsed - stall_at), policy.max_interval)
        return max(policy.min_interval, floor, grown)
    first = max(elapsed, policy.early_from * duration)
    target = first + margin * lateness_bound(first, duration, policy)
    band_start = (1.0 - policy.eta_error) * duration
    if elapsed < band_start:
        target = min(target, band_start + margin * lateness_bound(band_start, duration, policy))
    return max(policy.min_interval, target - elapsed)


def _before_first_promise(tune: Mapping[str, Any], now: datetime, policy: PollPolicy) -> bool:
    """True while a tune is still before ``early_from`` x its estimated duration."""
    start = parse_time(tune.get("started_training_at")) or parse_time(tune.get("created_at"))
    duration = estimated_duration(tune)
    if start is None or duration is None:
        return False
    return (now - start).total_seconds() < policy.early_from * duration


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
    if started is None and tune is not None and tune_status(tune, now) in TUNE_UNFINISHED:
        if parse_time(tune.get("eta")) is not None and estimated_duration(tune) is not None:
            wait_for_tune = next_delay(tune, now, policy)
            if _before_first_promise(tune, now, policy):
                return wait_for_tune  # the tune cannot be done yet: sleep to its first poll
            # The tune record is not refreshed: from then on, poll the prompt at least as
            # often as a running prompt.
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
    :class:`WaitTimeout` carrying the last record. ``clock`` and ``sleep`` are injectable so
    tests run on a virtual clock.

    Retries live in one layer, the transport: each ``fetch()`` is a read that urllib3 already
    resends on 429 (after its ``Retry-After``), 5xx and dropped connections, per
    :class:`~astria_widgets.client.transport.RetrySettings`. So a failed fetch ends the wait
    with its error (the work goes on in the service; wait again later). Request budget against
    a server that keeps failing: ``RetrySettings.read_attempts + 1`` requests (5 with the
    defaults), then the :class:`ServerError` / :class:`RateLimitError` / :class:`TransportError`.
    """
    if sleep is None:
        sleep = stop.wait if stop is not None else time.sleep
    started = clock()
    last: Record | None = None
    last_watch: Any = None

    def remaining() -> float | None:
        if timeout is None:
            return None
        return timeout - (clock() - started).total_seconds()

    while True:
        if stop is not None and stop.is_set() and last is not None:
            return last
        record = fetch()
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
