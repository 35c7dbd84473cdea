"""Benchmark: requests and lateness of the eta-following wait when the eta is wrong.

Simulates, on a virtual clock (no sleeping), trainings of an estimated 20 minutes and 2 hours
(a 30 s queue, then an ``eta`` one estimate after the start) whose actual duration is the
estimate x a factor swept from 0.3 to 3, and runs the client's real ``wait()`` loop with the
default ``PollPolicy`` against each. Prints, per factor, the status requests used and how late
the end was noticed, against the promise (``waiting.lateness_bound``: 3% of the estimate inside
the 0.8x-1.2x band, 10% of the actual duration elsewhere, at least 5 s), and the same for a
fixed 5-second poll as the naive baseline.

    python benchmarks/bench_wait.py              # the table
    python benchmarks/bench_wait.py --step 0.01  # a finer sweep
"""

from __future__ import annotations

import argparse
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
ESTIMATES = {"20 min": 1200.0, "2 h": 7200.0}


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


def main(argv: list[str] | None = None) -> None:
    """Print the sweep for each estimate, then a summary per range of factors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=float, default=0.05, help="factor step (default 0.05)")
    args = parser.parse_args(argv)
    for label, estimate in ESTIMATES.items():
        rows = sweep(estimate, args.step)
        print(f"\nEstimated {label} ({estimate:.0f} s) training; actual = estimate x factor; "
              "virtual clock, default PollPolicy vs a fixed 5 s poll")
        print(f"{'factor':>6} {'requests':>9} {'late':>8} {'promise':>8} {'late/actual':>12}"
              f" | {'fixed 5 s: requests':>20} {'late':>6}")
        for r in rows:
            actual = r["factor"] * estimate
            print(f"{r['factor']:>6.2f} {r['requests']:>9d} {r['late']:>7.1f}s "
                  f"{r['promise']:>7.1f}s {r['late'] / actual:>11.1%} | "
                  f"{r['fixed_requests']:>20d} {r['fixed_late']:>5.1f}s")
        band = [r for r in rows if 0.8 <= r["factor"] <= 1.2]
        print(f"  band 0.8-1.2x: requests <= {max(r['requests'] for r in band)}, "
              f"late <= {max(r['late'] for r in band):.1f} s "
              f"({max(r['late'] for r in band) / estimate:.1%} of the estimate)")
        print(f"  0.3-3x: requests <= {max(r['requests'] for r in rows)}, late <= "
              f"{max(r['late'] / (r['factor'] * estimate) for r in rows):.1%} of the actual "
              f"duration; every end within its promise: "
              f"{all(r['late'] <= r['promise'] for r in rows)}")
        print(f"  fixed 5 s poll: {sum(r['fixed_requests'] for r in rows) / len(rows):.0f} "
              f"requests on average, {sum(r['requests'] for r in rows) / len(rows):.1f} with "
              "the policy")


if __name__ == "__main__":
    main()
