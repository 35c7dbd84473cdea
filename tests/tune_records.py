"""Generated tune records and the naive pandas recipe, shared by the tests and the benchmarks.

``make_tunes(n, seed)`` gives ``n`` realistic tune records shaped like the documented objects
(every section 3.1 field, 4-20 training image URLs, all timestamps set, the sandbox's ``error``
field), newest first and the same for the same seed. ``recipe(records)`` is what a pandas user
would write without the package (``json_normalize`` + ``to_datetime`` per timestamp column):
``benchmarks/bench_frames.py`` times ``tunes_dataframe`` against it, and the frame tests use it
as an independent reading of the same records.

Import it from any test (``tests/`` is on ``sys.path`` because ``tests/conftest.py`` lives
there); a benchmark puts ``tests/`` on ``sys.path`` first::

    from tune_records import TIMESTAMPS, make_tunes, recipe
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pandas as pd

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
    """The naive recipe: json_normalize + to_datetime (format inferred) per timestamp column."""
    frame = pd.json_normalize(records)
    for column in TIMESTAMPS:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.set_index("id")
