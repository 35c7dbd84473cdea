"""Benchmark: status requests to wait for 24 prompts of a tune vs for one.

Runs against a real sandbox on loopback at ``SPEED`` x the service's pace, with the default
``PollPolicy`` scaled by the same factor, so each wait polls as it would against the service
(a prompt: ~2 s queue + ~30 s generation, varied +-20% per prompt). Requests are counted
with a counting ``requests`` session (every send, retries included). The measurement lives in
``tests/counting.py`` (``measure_prompt_waits``; the watch tests run it too).

- one:      ``client.wait_for_prompt`` on one new prompt (``ROUNDS`` separate prompts; mean)
- batch:    ``client.wait_for_prompts`` on 24 new prompts (one listing per poll)
- per-prompt (naive): ``client.wait_for_prompt`` on each of 24 new prompts in turn

Target (issue 10): batch <= 1.5 x one, plus the extra pages of the listing.

    python benchmarks/bench_wait_prompts.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from counting import measure_prompt_waits  # noqa: E402  (shared with the tests)

SPEED = 30.0  # the sandbox and the policy run 30x faster than the service
BATCH = 24
ROUNDS = 6


def main() -> int:
    """Run the benchmark against a fresh sandbox and print the figures."""
    from astria_widgets.sandbox import Sandbox

    with tempfile.TemporaryDirectory() as data, Sandbox(port=0, data_dir=data,
                                                         speed=SPEED) as sb:
        figures = measure_prompt_waits(sb.url, sb.create_user(), SPEED, BATCH, ROUNDS)
    one = figures["one_mean"]
    print(f"waiting for prompts (sandbox and policy at {SPEED:g}x the service's pace)")
    print(f"  one prompt, wait_for_prompt       : {one:5.1f} requests (mean of {ROUNDS}, "
          f"max {figures['one_max']})")
    print(f"  {BATCH} prompts, wait_for_prompts     : {figures['batch']:5d} requests "
          f"= {figures['batch'] / one:.2f}x one  (target <= 1.5x + pages, "
          f"{figures['pages']:g} page per poll)")
    print(f"  {BATCH} prompts, wait_for_prompt each : {figures['naive']:5d} requests "
          f"= {figures['naive'] / one:.2f}x one")
    return 0 if figures["batch"] <= 1.5 * one * figures["pages"] else 1


if __name__ == "__main__":
    sys.exit(main())
