"""Waits that survive a wrong ``eta``, for real: accelerated sandbox trainings of 20 s whose
actual duration is 0.3x to 3x the estimate (the sandbox's ``duration_spread``), followed with
the default ``PollPolicy`` over HTTP on loopback, all at once in threads (about a minute).

The promise (``waiting.lateness_bound``) is noticed within max(5 s, 10% of the actual duration)
and at most 30 status requests; one second is allowed on top for request latency and a loaded
machine (the 5 s floor is the policy's own minimum interval).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings
from astria_widgets.client.status import parse_time
from astria_widgets.sandbox import Sandbox

FACTORS = (0.3, 0.55, 1.0, 1.6, 3.0)
SPEED = 60.0  # a standard 1,200 s training is estimated at 20 s
LATENCY_ALLOWANCE = 1.0


class CountingClient(AstriaClient):
    """A client counting its tune status requests."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status_requests = 0

    def get_tune(self, tune_id: int) -> dict[str, Any]:
        self.status_requests += 1
        return super().get_tune(tune_id)


@pytest.mark.timeout(240)
def test_sandbox_trainings_off_their_estimate_are_noticed_promptly(tmp_path, figures) -> None:
    from client_helpers import photos

    with Sandbox(data_dir=tmp_path, speed=SPEED) as sb:
        creator = AstriaClient(api_key=sb.api_key, base_url=sb.url, retry=RetrySettings.fast())
        tunes = []
        for factor in FACTORS:
            sb.duration_spread = (factor, factor)
            tunes.append(creator.create_tune(name="man", title=f"spread {factor}",
                                             images=photos(4), branch="flux1"))
        results: dict[float, dict[str, Any]] = {}

        def follow(factor: float, tune_id: int) -> None:
            client = CountingClient(api_key=sb.api_key, base_url=sb.url, poll=PollPolicy())
            seen: dict[str, float] = {}

            def on_update(record: dict[str, Any]) -> None:
                if record.get("trained_at"):
                    seen["noticed"] = time.time()

            final = client.wait_for_tune(tune_id, on_update=on_update, timeout=200)
            results[factor] = {"record": final, "requests": client.status_requests, **seen}

        threads = [threading.Thread(target=follow, args=(f, t["id"]))
                   for f, t in zip(FACTORS, tunes, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(230)
    assert set(results) == set(FACTORS)
    for factor, result in results.items():
        record = result["record"]
        started, eta = parse_time(record["started_training_at"]), parse_time(record["eta"])
        trained = parse_time(record["trained_at"])
        estimate = (eta - started).total_seconds()
        actual = (trained - started).total_seconds()
        assert estimate == pytest.approx(20.0, rel=0.01)
        assert actual / estimate == pytest.approx(factor, rel=0.01)
        late = result["noticed"] - trained.timestamp()
        figures(f"factor {factor}", actual=f"{actual:.1f}s", late=f"{late:.2f}s",
                requests=result["requests"])
        assert -0.5 <= late <= max(5.0, 0.1 * actual) + LATENCY_ALLOWANCE, (factor, late)
        assert result["requests"] <= 30, (factor, result["requests"])
