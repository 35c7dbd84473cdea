"""Benchmark: tune records -> DataFrame, against the hand-written recipe and ``json.loads``.

Builds N tunes shaped like the documented objects (every §3.1 field, 4-20 training image URLs,
all timestamps set, the sandbox's ``error`` field), serialises them once, then times in one
process (best of ``--repeat`` runs each):

- ``json.loads`` of the payload (the baseline every caller pays anyway);
- the recipe a user would write by hand: ``pd.json_normalize`` + ``pd.to_datetime`` per
  timestamp column;
- ``tunes_dataframe`` (full typed schema and derived columns).

Prints seconds, the two ratios (targets: recipe / frame >= 2, frame / json.loads <= 0.6) and
the peak memory (tracemalloc) of each step. Run: ``python benchmarks/bench_frames.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pandas as pd

from astria_widgets.frames import TUNE_COLUMNS, tunes_dataframe

TIMESTAMPS = ["eta", "started_training_at", "trained_at", "expires_at", "created_at", "updated_at"]
MOCK = "https://sdbooth2-production.s3.amazonaws.com"


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def make_tunes(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` realistic tune records, newest first."""
    rnd = random.Random(seed)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    tunes = []
    for i in range(n):
        tune_id = 3_000_000 - i
        created = base + dt.timedelta(milliseconds=rnd.randrange(0, 600 * 86_400_000))
        started = created + dt.timedelta(milliseconds=rnd.randrange(5_000, 60_000))
        trained = started + dt.timedelta(milliseconds=rnd.randrange(30_000, 1_500_000))
        branch = rnd.choice(["flux1", "sdxl1", "sd15", "fast"])
        tunes.append(
            {
                "id": tune_id,
                "title": f"portrait {rnd.getrandbits(64):016x}",
                "name": rnd.choice(["man", "woman", "cat", "dog", "style"]),
                "token": "ohwx",
                "base_tune_id": 1504944 if branch == "flux1" else None,
                "args": None,
                "steps": rnd.choice([None, 500, 1000]),
                "face_crop": rnd.choice([None, True, False]),
                "training_face_correct": rnd.choice([True, False]),
                "ckpt_url": f"{MOCK}/models/{tune_id}/model.safetensors",
                "ckpt_urls": [f"{MOCK}/models/{tune_id}/model.safetensors"],
                "eta": _iso(trained + dt.timedelta(seconds=rnd.randrange(-60, 60))),
                "started_training_at": _iso(started),
                "trained_at": _iso(trained),
                "expires_at": _iso(trained + dt.timedelta(days=30)),
                "created_at": _iso(created),
                "updated_at": _iso(trained),
                "branch": branch,
                "model_type": rnd.choice(["lora", "pti", "faceid", None]),
                "url": f"https://www.astria.ai/tunes/{tune_id}.json",
                "orig_images": [
                    f"{MOCK}/uploads/{tune_id:x}/{j}-{rnd.getrandbits(32):08x}.jpg"
                    for j in range(rnd.randint(4, 20))
                ],
                "is_api": True,
                "callback": None,
                "error": None,
            }
        )
    return tunes


def recipe(records: list[dict[str, Any]]) -> pd.DataFrame:
    """What a user writes by hand: json_normalize + to_datetime per timestamp column."""
    frame = pd.json_normalize(records)
    for column in TIMESTAMPS:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.set_index("id")


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


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


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="number of tunes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (best is kept)")
    args = parser.parse_args(argv)

    payload = json.dumps(make_tunes(args.n))
    print(f"{args.n} tunes, payload {len(payload) / 2**20:.1f} MiB")
    t_json, records = _best(lambda: json.loads(payload), args.repeat)
    t_recipe, _ = _best(lambda: recipe(records), args.repeat)
    t_frame, frame = _best(lambda: tunes_dataframe(records), args.repeat)

    assert len(frame) == args.n
    assert list(frame.columns[: len(TUNE_COLUMNS)]) == list(TUNE_COLUMNS)
    assert all(frame[c].dtype == d for c, d in TUNE_COLUMNS.items()), "schema dtypes differ"

    rows = [
        ("json.loads", t_json, _peak(lambda: json.loads(payload))),
        ("recipe", t_recipe, _peak(lambda: recipe(records))),
        ("tunes_dataframe", t_frame, _peak(lambda: tunes_dataframe(records))),
    ]
    for name, seconds, peak in rows:
        print(f"{name:<16} {seconds:8.3f} s   peak {peak:8.1f} MiB (tracemalloc)")
    speedup, share = t_recipe / t_frame, t_frame / t_json
    verdict = {True: "OK", False: "MISS"}
    print(f"recipe / tunes_dataframe     = {speedup:5.2f}x (target >= 2)   {verdict[speedup >= 2]}")
    print(f"tunes_dataframe / json.loads = {share:5.2f}x (target <= 0.6)  {verdict[share <= 0.6]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
