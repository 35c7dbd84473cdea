"""Benchmark: requests and detection latency of the eta-following wait vs a fixed 5 s poll.

Simulates, on a virtual clock (no sleeping), 20-minute trainings (30 s queue, then an
``eta`` 1,200 s after the start) whose actual duration is the estimate x a factor across
[0.8, 1.2], and runs the client's real ``wait()`` loop against them. Prints, per policy, the
status requests used and how late completion was noticed (worst / mean), with ratios.

Target (issue 4): <= 15 requests and latency <= max(5 s, 3% of the 20-minute training).

    python benchmarks/bench_wait.py
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from astria_widgets.client.waiting import PollPolicy, is_tune_done, next_delay, wait

EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
TRAINING = 1200.0
QUEUE = 30.0
FACTORS = [round(0.8 + 0.01 * i, 2) for i in range(41)]  # 0.80, 0.81, ..., 1.20


def _iso(seconds: float) -> str:
    return (EPOCH + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


@dataclass
class SimulatedTune:
    """A tune on a virtual clock: queued, then training for ``estimate * factor`` seconds."""

    factor: float
    estimate: float = TRAINING
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


def simulate(factor: float, policy: PollPolicy | None = None,
             fixed: float | None = None) -> tuple[int, float]:
    """(status requests, detection latency s) of one wait on a simulated tune."""
    tune = SimulatedTune(factor)
    delay = (lambda record, now, p: fixed) if fixed is not None else next_delay
    wait(tune.fetch, is_tune_done, policy=policy or PollPolicy(), clock=tune.clock,
         sleep=tune.sleep, delay=delay)
    return tune.requests, tune.t - tune.finish


def run(factors: list[float] = FACTORS) -> dict[str, dict[str, float]]:
    """Worst/mean requests and latency for both policies over ``factors``."""
    out: dict[str, dict[str, float]] = {}
    for label, kwargs in (("eta-following", {}), ("fixed 5 s", {"fixed": 5.0})):
        results = [simulate(f, **kwargs) for f in factors]
        reqs = [r for r, _ in results]
        lats = [lat for _, lat in results]
        out[label] = {
            "requests_max": max(reqs), "requests_mean": sum(reqs) / len(reqs),
            "latency_max": max(lats), "latency_mean": sum(lats) / len(lats),
        }
    return out


def main() -> None:
    """Print the comparison table."""
    table = run()
    target = max(5.0, 0.03 * TRAINING)
    print(f"Wait for a {TRAINING / 60:.0f}-minute training, actual duration = eta x factor, "
          f"factors {FACTORS[0]}..{FACTORS[-1]} ({len(FACTORS)} runs, virtual clock)")
    print(f"target: <= 15 requests, latency <= {target:.0f} s\n")
    print(f"{'policy':<15}{'requests max':>14}{'mean':>8}{'latency max':>14}{'mean':>8}")
    for label, row in table.items():
        print(f"{label:<15}{row['requests_max']:>14.0f}{row['requests_mean']:>8.1f}"
              f"{row['latency_max']:>13.1f}s{row['latency_mean']:>7.1f}s")
    eta, fixed = table["eta-following"], table["fixed 5 s"]
    print(f"\nrequests: fixed/eta = {fixed['requests_mean'] / eta['requests_mean']:.1f}x fewer "
          f"with the eta policy; worst latency eta/fixed = "
          f"{eta['latency_max'] / max(fixed['latency_max'], 1e-9):.1f}x "
          f"({eta['latency_max'] / TRAINING:.1%} of the training time)")


if __name__ == "__main__":
    main()
