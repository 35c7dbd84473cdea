"""Benchmark: status requests to wait for 24 prompts of a tune vs for one.

Runs against a real sandbox on loopback at ``SPEED`` x the service's pace, with the default
``PollPolicy`` scaled by the same factor, so each wait polls as it would against the service
(a prompt: ~2 s queue + ~30 s generation, varied +-20% per prompt). Requests are counted
with a counting ``requests`` session (every send, retries included).

- one:      ``client.wait_for_prompt`` on one new prompt (``ROUNDS`` separate prompts; mean)
- batch:    ``client.wait_for_prompts`` on 24 new prompts (one listing per poll)
- per-prompt (naive): ``client.wait_for_prompt`` on each of 24 new prompts in turn

Target (issue 10): batch <= 1.5 x one, plus the extra pages of the listing.

    python benchmarks/bench_wait_prompts.py
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from typing import Any

import requests

from astria_widgets.client import AstriaClient, PollPolicy

SPEED = 30.0  # the sandbox and the policy run 30x faster than the service
BASE_TUNE = 1504944  # the gallery's Flux1.dev: prompts on it are listed per caller
BATCH = 24
ROUNDS = 6


class CountingSession(requests.Session):
    """Counts GET requests sent (a urllib3 retry inside a send counts as well)."""

    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().request(method, url, *args, **kwargs)
        if method.upper() == "GET":
            history = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
            self.gets += 1 + len(history)
        return response


def scaled_policy(speed: float) -> PollPolicy:
    """The default policy with every interval divided by ``speed`` (fractions unchanged)."""
    base = PollPolicy()
    return base.with_(min_interval=base.min_interval / speed,
                      max_interval=base.max_interval / speed,
                      prompt_interval=base.prompt_interval / speed,
                      prompt_max_interval=base.prompt_max_interval / speed)


def counted(client: AstriaClient, session: CountingSession, job: Callable[[], Any]) -> int:
    """GET requests ``job()`` sends."""
    before = session.gets
    job()
    return session.gets - before


def measure(url: str, key: str, speed: float = SPEED, batch: int = BATCH,
            rounds: int = ROUNDS) -> dict[str, float]:
    """Request counts of waiting for one prompt (mean and max over ``rounds``), for a
    ``batch`` with ``wait_for_prompts`` and for the batch one prompt at a time."""
    session = CountingSession()
    client = AstriaClient(api_key=key, base_url=url, sandbox=True, session=session,
                          poll=scaled_policy(speed))
    client.transport.mount_retries(session)

    def make(n: int, label: str) -> list[int]:
        return [client.create_prompt(BASE_TUNE, f"a lighthouse at dusk, {label} {i}",
                                     seed=i)["id"] for i in range(n)]

    singles = []
    for r in range(rounds):
        (pid,) = make(1, f"single {r}")
        singles.append(counted(client, session,
                               lambda pid=pid: client.wait_for_prompt(BASE_TUNE, pid)))
    ids = make(batch, "batch")
    batch_requests = counted(client, session,
                             lambda: client.wait_for_prompts(BASE_TUNE, ids))
    naive_ids = make(batch, "naive")
    naive = counted(client, session, lambda: [client.wait_for_prompt(BASE_TUNE, p)
                                              for p in naive_ids])
    client.close()
    return {"one_mean": sum(singles) / len(singles), "one_max": max(singles),
            "batch": batch_requests, "naive": naive,
            "pages": -(-batch // 120)}


def main() -> int:
    """Run the benchmark against a fresh sandbox and print the figures."""
    from astria_widgets.sandbox import Sandbox

    with tempfile.TemporaryDirectory() as data, Sandbox(port=0, data_dir=data,
                                                         speed=SPEED) as sb:
        figures = measure(sb.url, sb.create_user())
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
