"""A 10 x 10 sweep on a trained LoRA, from submit to every image on disk (issue 20).

Run: ``python benchmarks/bench_sweep.py [--size 10] [--latency 0.3] [--concurrency 4]
[--skip-naive] [--faults 0.2]``

A sandbox in this process adds ``--latency`` seconds to every answer (the order of the real
service) and counts the requests it is answering at once. Three ways of making ``size x size``
prompts (seed x cfg_scale, one image each) and saving every image are timed in the same
process, each on its own account, with the same poll policy:

- studio: ``GenerationRun.start(...)`` (creates through the client's executor, images fetched
  beside the polls), ``run.wait()``, ``run.download(folder)``;
- sequential, the best script by hand: ``generate`` each, one ``wait_for_prompts``,
  ``download`` each;
- naive: ``generate``, ``wait_for_prompt``, ``download`` per combination.

Prints the times, the ratios, the most requests in flight at the sandbox and the requests by
kind (creates, polls, downloads, other). Then the studio run again with ``--faults`` of the API
requests failing at random (429, 500s, 504, dropped answers) and checks that exactly
``size * size`` prompts exist and every image is on disk once. Not a timed test.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings, prompt_status
from astria_widgets.client.generation import GenerationRun
from astria_widgets.sandbox import Sandbox

POLL = PollPolicy.local()


def counted(client: AstriaClient) -> Counter[str]:
    """Count the client's requests by kind (create, poll, download, other)."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    session = client.transport.session
    send = session.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        path = url.split("?", 1)[0]
        kind = ("create" if method == "POST" and path.endswith("/prompts")
                else "download" if "/files/" in path
                else "poll" if method == "GET" and "/prompts" in path
                else "other")
        with lock:
            counts[kind] += 1
        return send(method, url, *args, **kwargs)

    session.request = request  # type: ignore[method-assign]
    return counts


def account(sb: Sandbox, concurrency: int, retry: RetrySettings | None = None
            ) -> tuple[AstriaClient, dict[str, Any]]:
    """A client on a fresh account with a trained Flux LoRA (made before any timing)."""
    client = AstriaClient(sb.create_user(), sb.url, poll=POLL, concurrency=concurrency,
                          retry=retry)
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora")
    client.poll = PollPolicy.fast()
    tune = client.wait_for_tune(tune["id"], timeout=600)
    client.poll = POLL
    return client, tune


def studio(client: AstriaClient, tune: dict[str, Any], values: list[int], dest: Path) -> list:
    """The studio's way: one GenerationRun, wait, save."""
    run = GenerationRun.start(client, [tune], "portrait", {"num_images": 1},
                              {"seed": values, "cfg_scale": values})
    run.wait(timeout=1800)
    return run.download(dest)


def sequential(client: AstriaClient, tune: dict[str, Any], values: list[int], dest: Path
               ) -> list:
    """The best script by hand: generate each, one wait_for_prompts, download each."""
    made = [client.generate(tune, "portrait", seed=s, cfg_scale=c, num_images=1)
            for s in values for c in values]
    done = client.wait_for_prompts(made[0]["tune_id"], [p["id"] for p in made], timeout=1800)
    return [client.download(p, dest, progress=lambda *_: None) for p in done]


def naive(client: AstriaClient, tune: dict[str, Any], values: list[int], dest: Path) -> list:
    """generate, wait_for_prompt, download per combination."""
    saved = []
    for s in values:
        for c in values:
            p = client.generate(tune, "portrait", seed=s, cfg_scale=c, num_images=1)
            p = client.wait_for_prompt(p["tune_id"], p["id"], timeout=600)
            saved.append(client.download(p, dest, progress=lambda *_: None))
    return saved


def measure(sb: Sandbox, way: Any, concurrency: int, size: int, root: Path) -> dict[str, Any]:
    """One way, timed from submit to every image on disk, with its request counts."""
    client, tune = account(sb, concurrency)
    counts = counted(client)
    values = list(range(1, size + 1))
    dest = root / way.__name__
    sb.state.faults.reset_peak()
    began = time.perf_counter()
    way(client, tune, values, dest)
    seconds = time.perf_counter() - began
    files = [p for p in dest.iterdir() if not p.name.endswith(".part")]
    assert len(files) == size * size, (way.__name__, len(files))
    return {"way": way.__name__, "seconds": seconds, "peak": sb.state.faults.peak_in_flight,
            "counts": dict(counts)}


def faulty(sb: Sandbox, rate: float, concurrency: int, size: int, root: Path) -> None:
    """The studio's sweep with random faults: exactly size*size prompts, each image once."""
    client, tune = account(sb, concurrency, RetrySettings.fast())
    counts = counted(client)
    values = list(range(1, size + 1))
    dest = root / "faulty"
    before = dict(sb.fault_stats)
    sb.set_faults(rate)
    began = time.perf_counter()
    try:
        run = GenerationRun.start(client, [tune], "portrait", {"num_images": 1},
                                  {"seed": values, "cfg_scale": values})
        prompts = run.wait(timeout=1800)
        run.download(dest)
    finally:
        sb.set_faults(0.0)
    seconds = time.perf_counter() - began
    injected = {k: v - before.get(k, 0) for k, v in sb.fault_stats.items()
                if v - before.get(k, 0)}
    stored = [p for p in client.iter_prompts(prompts[0]["tune_id"])
              if f"lora:{tune['id']}:" in (p.get("text") or "")]
    cells = sorted((s, c) for s in values for c in values)
    files = sorted(p.name for p in dest.iterdir())
    ok_prompts = sorted((p["seed"], int(p["cfg_scale"])) for p in stored) == cells
    ok_files = (files == sorted(f"prompt-{p['id']}-01.png" for p in prompts)
                and len(set(files)) == size * size)
    print(f"\nfaults {rate:.0%}: injected {sum(injected.values())} {injected}; "
          f"{seconds:.1f} s; requests {dict(counts)}")
    print(f"  prompts stored: {len(stored)} (one per cell: {ok_prompts}); "
          f"all done: {all(prompt_status(p) == 'done' for p in prompts)}; "
          f"files on disk: {len(files)} (each image once: {ok_files})")


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--faults", type=float, default=0.2)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, \
            Sandbox(port=0, data_dir=Path(tmp) / "sb", speed=600.0, fault_seed=20) as sb:
        root = Path(tmp)
        sb.latency = args.latency
        ways = [studio, sequential] + ([] if args.skip_naive else [naive])
        rows = [measure(sb, way, args.concurrency, args.size, root) for way in ways]
        base = {r["way"]: r["seconds"] for r in rows}
        print(f"{args.size}x{args.size} sweep, {args.latency:g} s latency, concurrency "
              f"{args.concurrency}")
        print(f"{'way':<11}{'seconds':>9}{'vs studio':>11}{'peak':>6}  requests")
        for r in rows:
            print(f"{r['way']:<11}{r['seconds']:>9.1f}{r['seconds'] / base['studio']:>10.2f}x"
                  f"{r['peak']:>6}  {r['counts']}")
        if args.faults:
            faulty(sb, args.faults, args.concurrency, args.size, root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
