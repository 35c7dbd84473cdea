"""A tune training on a virtual clock, waited for by the client's real ``wait()`` loop.

Shared by ``tests/client/test_wait_policy.py`` and ``benchmarks/bench_wait.py``. A
``SimulatedTune`` queues ``QUEUE`` seconds, then trains for its ``estimate`` x ``factor``
(its ``eta`` says one estimate after the start); ``simulate`` runs ``wait()`` against it with
the default ``PollPolicy`` (or a fixed poll) without sleeping and returns the status requests
used and how late the end was noticed; ``promise`` is the lateness the policy promises
(``waiting.lateness_bound``); ``sweep`` tabulates both over a range of factors.

Import it from any test (``tests/`` is on ``sys.path`` because ``tests/conftest.py`` lives
there); a benchmark puts ``tests/`` on ``sys.path`` first::

    from wait_simulation import simulate

    requests, late = simulate(factor=0.5, estimate=1200.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from astria_widgets.client.waiting import (
    PollPolicy,
    is_tune_done,
    lateness_bound,
    next_delay,
    wait,
)

EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
QUEUE = 30.0


def _iso(seconds: float) -> str:
    return (EPOCH + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def factors(step: float = 0.05, low: float = 0.3, high: float = 3.0) -> list[float]:
    """``low``, ``low + step``, ..., ``high`` (rounded), plus the band's edges."""
    count = round((high - low) / step)
    values = {round(low + step * i, 4) for i in range(count + 1)} | {0.8, 1.2, high}
    return sorted(values)


@dataclass
class SimulatedTune:
    """A tune on a virtual clock: queued, then training for ``estimate * factor`` seconds."""

    factor: float
    estimate: float = 1200.0
    queue: float = QUEUE
    t: float = 0.0
    requests: int = 0
    log: list[float] = field(default_factory=list)

    @property
    def finish(self) -> float:
        """Service time at which training really ends."""
        return self.queue + self.estimate * self.factor

    def clock(self) -> datetime:
        """The virtual service clock."""
        return EPOCH + timedelta(seconds=self.t)

    def sleep(self, seconds: float) -> None:
        """Advance the virtual clock."""
        self.t += seconds

    def fetch(self) -> dict[str, Any]:
        """``GET /tunes/:id`` at the current virtual time."""
        self.requests += 1
        self.log.append(self.t)
        started = self.t >= self.queue
        trained = self.t >= self.finish
        return {
            "id": 1, "title": "bench", "created_at": _iso(0.0),
            "eta": _iso(self.queue + self.estimate),
            "started_training_at": _iso(self.queue) if started else None,
            "trained_at": _iso(self.finish) if trained else None,
        }


def simulate(factor: float, estimate: float = 1200.0, policy: PollPolicy | None = None,
             fixed: float | None = None) -> tuple[int, float]:
    """(status requests, lateness in s) of one wait on a simulated tune."""
    tune = SimulatedTune(factor, estimate)
    delay = (lambda record, now, p: fixed) if fixed is not None else next_delay
    wait(tune.fetch, is_tune_done, policy=policy or PollPolicy(), clock=tune.clock,
         sleep=tune.sleep, delay=delay)
    return tune.requests, tune.t - tune.finish


def promise(factor: float, estimate: float, policy: PollPolicy | None = None) -> float:
    """The lateness the policy promises for an end at ``factor`` x the estimate."""
    return lateness_bound(factor * estimate, estimate, policy or PollPolicy())


def sweep(estimate: float, step: float = 0.05) -> list[dict[str, float]]:
    """One row per factor: requests and lateness of the policy and of a fixed 5 s poll."""
    rows = []
    for factor in factors(step):
        requests, late = simulate(factor, estimate)
        fixed_requests, fixed_late = simulate(factor, estimate, fixed=5.0)
        rows.append({"factor": factor, "requests": requests, "late": late,
                     "promise": promise(factor, estimate), "fixed_requests": fixed_requests,
                     "fixed_late": fixed_late})
    return rows
