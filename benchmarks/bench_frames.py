"""Benchmark: tune records -> DataFrame, against the naive and the expert pandas recipes.

Builds N tunes shaped like the documented objects (every §3.1 field, 4-20 training image URLs,
all timestamps set, the sandbox's ``error`` field), serialises them once, then times in one
process, in interleaved rounds (each round runs every step once, in an order that rotates from
round to round, so drift in machine load hits all steps alike; medians are reported):

- ``json.loads`` of the payload (the baseline every caller pays anyway);
- naive recipe: ``pd.json_normalize`` + ``pd.to_datetime`` per timestamp column;
- expert recipe: ``pd.DataFrame.from_records`` + ``pd.to_datetime(..., format="ISO8601",
  utc=True)`` per timestamp column;
- ``tunes_dataframe`` (full typed schema and derived columns).

Then each hand-written fast path of the frames is timed against the library call an expert
would use for the same column (same interleaving); a fast path earns its place at >= 1.3x.
(Text and bool columns already go straight to pandas' own constructors, ``StringArray`` and
``pd.array(dtype="boolean")``, with a per-value fallback for odd values only; timestamps are
numpy's ISO-8601 parser reading the canonical-shape gate's byte grid, shown here with the
gate's cost against ``pd.to_datetime`` alone.)

Prints seconds, the ratios (targets: naive / frame >= 2, expert / frame >= 1, frame /
json.loads <= 0.6) and the peak memory (tracemalloc) of each step, with the memory ratios
against both recipes. The records and the naive recipe come from
``tests/tune_records.py`` (the tests use them too). Run: ``python benchmarks/bench_frames.py``.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from astria_widgets.frames import TUNE_COLUMNS, coerce, tunes_dataframe
from astria_widgets.frames.build import RawValues

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tune_records import TIMESTAMPS, make_tunes, recipe  # noqa: E402  (shared with the tests)


def expert(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The expert recipe: from_records + to_datetime(format="ISO8601", utc=True) per column."""
    frame = pd.DataFrame.from_records(records)
    for column in TIMESTAMPS:
        frame[column] = pd.to_datetime(frame[column], format="ISO8601", utc=True)
    return frame.set_index("id")


def rounds_of(steps: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Seconds of each step in each of ``rounds`` rounds; the order rotates every round."""
    names = list(steps)
    times: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            start = time.perf_counter()
            steps[name]()
            times[name].append(time.perf_counter() - start)
    return times


def interleaved(steps: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Median seconds of each step over ``rounds`` rounds; the order rotates every round."""
    return {name: statistics.median(v) for name, v in rounds_of(steps, rounds).items()}


def spread(ratios: list[float]) -> str:
    """Quartiles and range of per-round ratios (the machine's noise, shown with the median)."""
    if len(ratios) < 2:
        return ""
    low, _, high = statistics.quantiles(ratios, n=4)
    return f"[rounds: quartiles {low:.2f}-{high:.2f}, range {min(ratios):.2f}-{max(ratios):.2f}]"


def _peak(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak / 2**20


Step = Callable[[], Any]


def fast_paths(records: list[dict[str, Any]]) -> list[tuple[str, str, Step, Step, str]]:
    """(column, library call, ours, theirs, what ours is) for each fast path of the frames;
    what ours is: ``""`` for a hand-written path (kept at >= 1.3x), else the library calls
    it makes (shown for the cost of the checks around them)."""
    def column(name: str) -> list[Any]:
        return [r.get(name) for r in records]

    stamps, ints = column("created_at"), column("steps")
    branches, lists = column("branch"), column("orig_images")
    as_lists = coerce.to_list(lists)

    def factorized() -> pd.Categorical:
        codes, uniques = pd.factorize(np.array(branches, dtype=object))
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(uniques))

    return [
        ("records -> columns", "pd.DataFrame.from_records",
         lambda: RawValues(records), lambda: pd.DataFrame.from_records(records), ""),
        ("timestamps", 'pd.to_datetime(format="ISO8601", utc=True)',
         lambda: coerce.to_datetime(stamps),
         lambda: pd.to_datetime(stamps, format="ISO8601", utc=True),
         "(numpy parse + shape gate)"),
        ("ints (nullable)", 'pd.array(dtype="Int64")',
         lambda: coerce.to_int(ints), lambda: pd.array(ints, dtype="Int64"), ""),
        ("categories", "pd.factorize + Categorical.from_codes",
         lambda: coerce.to_category(branches), factorized, "(pd.factorize + exactness check)"),
        ("list lengths", 'Series.str.len().astype("Int64")',
         lambda: coerce.count(as_lists), lambda: pd.Series(as_lists).str.len().astype("Int64"),
         ""),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="number of tunes")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (medians)")
    args = parser.parse_args(argv)

    payload = json.dumps(make_tunes(args.n))
    print(f"{args.n} tunes, payload {len(payload) / 2**20:.1f} MiB, {args.rounds} rounds")
    records = json.loads(payload)
    frame = tunes_dataframe(records)
    assert len(frame) == args.n
    assert list(frame.columns[: len(TUNE_COLUMNS)]) == list(TUNE_COLUMNS)
    assert all(frame[c].dtype == d for c, d in TUNE_COLUMNS.items()), "schema dtypes differ"

    steps = {
        "json.loads": lambda: json.loads(payload),
        "naive recipe": lambda: recipe(records),
        "expert recipe": lambda: expert(records),
        "tunes_dataframe": lambda: tunes_dataframe(records),
    }
    times = rounds_of(steps, args.rounds)
    medians = {name: statistics.median(values) for name, values in times.items()}

    def per_round(name: str) -> str:  # the recipe's time over the frame's, round by round
        return spread([a / b for a, b in zip(times[name], times["tunes_dataframe"], strict=True)])

    peaks = {name: _peak(step) for name, step in steps.items()}
    for name, seconds in medians.items():
        print(f"{name:<16} {seconds:8.3f} s   peak {peaks[name]:8.1f} MiB (tracemalloc)")
    t_frame = medians["tunes_dataframe"]
    naive, expert_ratio = medians["naive recipe"] / t_frame, medians["expert recipe"] / t_frame
    share = t_frame / medians["json.loads"]
    verdict = {True: "OK", False: "MISS"}
    print(f"naive recipe / tunes_dataframe  = {naive:5.2f}x (target >= 2)   {verdict[naive >= 2]}"
          f"  {per_round('naive recipe')}")
    print(f"expert recipe / tunes_dataframe = {expert_ratio:5.2f}x (target >= 1)   "
          f"{verdict[expert_ratio >= 1]}  {per_round('expert recipe')}")
    print("  (the expert recipe leaves every other column untyped)")
    for recipe_name in ("naive recipe", "expert recipe"):
        ratio = peaks[recipe_name] / peaks["tunes_dataframe"]
        print(f"peak memory {recipe_name} / tunes_dataframe = {ratio:5.2f}x")
    print(f"tunes_dataframe / json.loads    = {share:5.2f}x (target <= 0.6)  "
          f"{verdict[share <= 0.6]}")

    print("\nhand-written fast paths against the library call (medians; keep at >= 1.3x)")
    for name, library, ours, theirs, calls in fast_paths(records):
        times = interleaved({"ours": ours, "library": theirs}, args.rounds)
        ratio = times["library"] / times["ours"]
        # a library path (timestamps: numpy's parser on the gate's byte grid; categories:
        # factorize) shows what the checks keeping the client's rule cost
        verdict_ = calls or ("keep" if ratio >= 1.3 else "REPLACE")
        print(f"  {name:<20} {times['ours'] * 1e3:8.1f} ms  vs {library:<42} "
              f"{times['library'] * 1e3:8.1f} ms  {ratio:5.2f}x  {verdict_}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
