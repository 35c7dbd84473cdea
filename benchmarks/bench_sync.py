"""Benchmark: HTTP requests a ``TuneHistory`` sync spends on a large sandbox history.

Starts an in-process sandbox with ``seed_history=N`` (default 10,000 tunes), then syncs a
fresh history file three times and counts requests on the client's own ``requests`` session
(``tests/counting.py``: each send, plus urllib3's transparent retries), independently of what
``SyncResult.requests`` reports:

1. first sync -- target: at most ceil(N/120) + 1 requests;
2. re-sync with nothing new -- target: at most 2 + one per unfinished tune;
3. re-sync after 5 new tunes were created -- for reference.

Run: ``python benchmarks/bench_sync.py [-n 10000]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from astria_widgets.client import PollPolicy, RetrySettings
from astria_widgets.frames import tunes_dataframe
from astria_widgets.history import TuneHistory
from astria_widgets.sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from counting import counting_client  # noqa: E402  (shared with the tests)


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
        client, counter = counting_client(
            sandbox.url, sandbox.api_key, retry=RetrySettings.fast(), poll=PollPolicy.fast()
        )
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
