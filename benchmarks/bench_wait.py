"""Benchmark: requests and lateness of the eta-following wait when the eta is wrong.

Simulates, on a virtual clock (no sleeping), trainings of an estimated 20 minutes and 2 hours
(a 30 s queue, then an ``eta`` one estimate after the start) whose actual duration is the
estimate x a factor swept from 0.3 to 3, and runs the client's real ``wait()`` loop with the
default ``PollPolicy`` against each. Prints, per factor, the status requests used and how late
the end was noticed, against the promise (``waiting.lateness_bound``: 3% of the estimate inside
the 0.8x-1.2x band, 10% of the actual duration elsewhere, at least 5 s), and the same for a
fixed 5-second poll as the naive baseline. The simulation lives in ``tests/wait_simulation.py``
(the wait-policy tests run it too).

    python benchmarks/bench_wait.py              # the table
    python benchmarks/bench_wait.py --step 0.01  # a finer sweep
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from wait_simulation import sweep  # noqa: E402  (shared with the tests)

ESTIMATES = {"20 min": 1200.0, "2 h": 7200.0}


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
