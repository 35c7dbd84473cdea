"""Downloading a sweep's images: ``client.download`` against a plain ``requests`` loop.

Run: ``python benchmarks/bench_download.py [--prompts 24] [--images 2] [--rounds 9] [--check]``

A sandbox (in this process, on loopback) generates ``--prompts`` prompts of ``--images``
images each. Three ways of saving them are timed in the same process, each into a fresh
folder, the median of ``--rounds`` interleaved rounds:

- ``client.download(prompts, folder)``: streamed to ``.part`` files, renamed when complete,
  named from the Content-Type;
- baseline: what an expert writes with requests: one ``Session``, ``get(url).content``, write
  the file (no streaming, no completeness check, no naming from the content type);
- ``client.download`` again into the folder it filled: every file is complete, so only the
  headers are read (the resume case).

Prints the times and the ratios; ``--check`` exits 1 when ``client.download`` takes more than
1.5x the baseline or the resume is not faster than a full download.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings
from astria_widgets.sandbox import Sandbox

MAX_RATIO = 1.5


def medians(rounds: int, *runs: Callable[[], object]) -> list[float]:
    """The median time (seconds) of each run over ``rounds`` interleaved rounds (a shared,
    busy machine slows whichever runs at that moment; interleaving spreads it evenly)."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for index, run in enumerate(runs):
            start = time.perf_counter()
            run()
            times[index].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=24)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-download-"))
    try:
        with Sandbox(port=0, data_dir=work / "sandbox", speed=6000) as sb:
            client = AstriaClient(api_key=sb.api_key, base_url=sb.url, sandbox=True,
                                  retry=RetrySettings.fast(), poll=PollPolicy.fast())
            tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                                      branch="fast")
            made = [client.generate(tune, f"portrait {i}", seed=i, num_images=args.images)
                    for i in range(args.prompts)]
            prompts = client.wait_for_prompts(tune["id"], [p["id"] for p in made], timeout=120)
            urls = [u for p in prompts for u in p["images"]]
            total = 0
            session = requests.Session()

            def baseline() -> None:
                nonlocal total
                folder = Path(tempfile.mkdtemp(dir=work))
                total = 0
                for i, url in enumerate(urls):
                    data = session.get(url, timeout=30).content
                    (folder / f"{i}.png").write_bytes(data)
                    total += len(data)

            def ours() -> None:
                client.download(prompts, Path(tempfile.mkdtemp(dir=work)),
                                progress=lambda *_: None)

            kept = work / "kept"
            client.download(prompts, kept, progress=lambda *_: None)

            def resume() -> None:
                client.download(prompts, kept, progress=lambda *_: None)

            base_t, ours_t, resume_t = medians(args.rounds, baseline, ours, resume)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = ours_t / base_t
    print(f"{len(urls)} files, {total / 1e6:.1f} MB over loopback (median of {args.rounds} rounds)")
    print(f"  requests loop (baseline): {base_t * 1000:8.1f} ms")
    print(f"  client.download:          {ours_t * 1000:8.1f} ms   {ratio:.2f}x the baseline")
    print(f"  client.download, resumed: {resume_t * 1000:8.1f} ms   "
          f"{resume_t / ours_t:.2f}x a full download (all files complete: skipped)")
    if args.check and (ratio > MAX_RATIO or resume_t >= ours_t):
        print(f"FAILED: ratio {ratio:.2f} > {MAX_RATIO} or resume not faster")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
