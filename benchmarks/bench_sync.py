"""Benchmark: HTTP requests a ``TuneHistory`` sync spends on a large sandbox history.

Starts an in-process sandbox with ``seed_history=N`` (default 10,000 tunes), then syncs a
fresh history file three times and counts requests on the client's own ``requests`` session
(a response hook, plus urllib3's transparent retries), independently of what
``SyncResult.requests`` reports:

1. first sync -- target: at most ceil(N/120) + 1 requests;
2. re-sync with nothing new -- target: at most 2 + one per unfinished tune;
3. re-sync after 5 new tunes were created -- for reference.

Run: ``python benchmarks/bench_sync.py [-n 10000]``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings
from astria_widgets.frames import tunes_dataframe
from astria_widgets.history import TuneHistory
from astria_widgets.sandbox import Sandbox


class RequestCounter:
    """Counts every HTTP exchange of a client's session (also used by tests/history)."""

    def __init__(self, client: AstriaClient) -> None:
        self.count = 0
        client.transport.session.hooks["response"].append(self._hook)

    def _hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        retries = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        self.count += 1 + len(retries)
        return response

    def take(self) -> int:
        """The count since the last call."""
        count, self.count = self.count, 0
        return count


def _line(label: str, result: Any, counted: int, seconds: float, target: int | None) -> None:
    verdict = (
        "" if target is None else f"target <= {target}: {'OK' if counted <= target else 'MISS'}"
    )
    print(
        f"{label:<26} {counted:5d} requests (SyncResult says {result.requests}) "
        f"{seconds:6.2f} s  {verdict}"
    )
    print(f"{'':<26} {result}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="tunes in the seeded history")
    args = parser.parse_args(argv)
    n = args.n

    with (
        tempfile.TemporaryDirectory() as tmp,
        Sandbox(data_dir=Path(tmp) / "sandbox", speed=600, seed_history=n) as sandbox,
    ):
        client = AstriaClient(
            api_key=sandbox.api_key,
            base_url=sandbox.url,
            sandbox=True,
            retry=RetrySettings.fast(),
            poll=PollPolicy.fast(),
        )
        counter = RequestCounter(client)
        history = TuneHistory(Path(tmp) / "history.sqlite3", client)
        print(f"sandbox history of {n} tunes; page size 120")

        start = time.perf_counter()
        first = history.sync()
        _line(
            "first sync", first, counter.take(), time.perf_counter() - start, math.ceil(n / 120) + 1
        )

        start = time.perf_counter()
        again = history.sync()
        _line(
            "re-sync, nothing new",
            again,
            counter.take(),
            time.perf_counter() - start,
            2 + first.unfinished,
        )

        for i in range(5):
            client.create_tune(
                name="man",
                title=f"bench {i}",
                branch="fast",
                image_urls=[f"{sandbox.url}/files/bench/{i}-{j}.jpg" for j in range(4)],
            )
        counter.take()
        start = time.perf_counter()
        more = history.sync()
        _line("re-sync, 5 new tunes", more, counter.take(), time.perf_counter() - start, None)

        start = time.perf_counter()
        frame = tunes_dataframe(history)
        print(
            f"tunes_dataframe(history): {len(frame)} rows in {time.perf_counter() - start:.2f} s"
            f" (no request: {counter.take()} made)"
        )
        history.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
