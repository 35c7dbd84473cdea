"""Benchmark: what the X-Workspace-Id scope costs the sandbox's prompt lists.

Seeds an in-process sandbox account with a large history (default 10,000 tunes, ~25,000
prompts), moves 5 prompts into a workspace, then times ``GET /prompts?limit=120`` pages:

- baseline: ``X-Workspace-Id: all`` -- no scope clause, the query the sandbox ran before
  workspaces existed (an index walk on (user_id, id) that stops after 120 rows);
- personal: no header -- adds ``json_extract(attrs, '$.workspace_id') IS NULL``;
- workspace: the 5-prompt workspace -- the worst case, the filter must scan every prompt of
  the account to find 5;
- a keyset page deep in the history (``before_id`` at the median id), personal scope.

Prints the median of ``--repeat`` requests for each (measured round-robin) and its ratio to
the baseline.

    python benchmarks/bench_scope.py [-n 10000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import requests

from astria_widgets.sandbox import Sandbox


def _medians_ms(session: requests.Session, url: str,
                cases: list[tuple[str, dict, dict]], repeat: int) -> list[float]:
    """Median time of each case, measured round-robin so drift hits every case alike."""
    times: list[list[float]] = [[] for _ in cases]
    for _ in range(repeat):
        for i, (_, headers, params) in enumerate(cases):
            start = time.perf_counter()
            response = session.get(url, headers=headers, params=params, timeout=60)
            times[i].append(time.perf_counter() - start)
            response.raise_for_status()
    return [statistics.median(t) * 1000 for t in times]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="seeded tunes")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, Sandbox(data_dir=tmp, speed=600) as sb:
        sb.seed_history(args.n)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {sb.api_key}"
        workspace = session.post(f"{sb.url}/workspaces",
                                 json={"workspace": {"title": "bench"}}, timeout=30).json()
        page = session.get(f"{sb.url}/prompts", params={"limit": 5}, timeout=30).json()
        for prompt in page:
            session.patch(f"{sb.url}/prompts/{prompt['id']}", timeout=30,
                          json={"prompt": {"workspace_id": workspace["id"]}}).raise_for_status()
        count = len(session.get(f"{sb.url}/prompts", params={"offset": 10_000, "limit": 120},
                                headers={"X-Workspace-Id": "all"}, timeout=30).json())
        ids = [p["id"] for p in session.get(f"{sb.url}/prompts", params={"limit": 120},
                                            timeout=30).json()]
        middle = sb.state.store.max_id("prompts") - 10_000
        url = f"{sb.url}/prompts"
        cases = [
            ("baseline: X-Workspace-Id all", {"X-Workspace-Id": "all"}, {"limit": 120}),
            ("personal scope (no header)", {}, {"limit": 120}),
            ("5-prompt workspace", {"X-Workspace-Id": str(workspace["id"])}, {"limit": 120}),
            ("personal, deep before_id page", {}, {"limit": 120, "before_id": middle}),
        ]
        print(f"seeded {args.n} tunes; prompts beyond offset 10,000: {count}; "
              f"first page {len(ids)} rows; median of {args.repeat} requests")
        medians = _medians_ms(session, url, cases, args.repeat)
        for (label, _, _), ms in zip(cases, medians, strict=True):
            print(f"  {label:34s} {ms:8.2f} ms   x{ms / medians[0]:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
