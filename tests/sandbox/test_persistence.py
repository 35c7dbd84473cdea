"""State across restarts, server.json and seeded history (the command line: tests/test_cli.py)."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sandbox_helpers import Api, image_parts

from astria_widgets.sandbox import Sandbox


def test_state_survives_restart(tmp_path: Path) -> None:
    with Sandbox(data_dir=tmp_path, speed=600) as first:
        info = json.loads((tmp_path / "server.json").read_text())
        assert info == {"url": first.url, "api_key": "sandbox", "pid": os.getpid()}
        api = Api(first.url, first.api_key)
        created = api.post("/tunes", data={"tune[title]": "persist", "tune[name]": "man",
                                           "tune[prompts_attributes][0][text]": "p"},
                           files=image_parts(2)).json()
        other_key = first.create_user()
    assert not (tmp_path / "server.json").exists()
    with Sandbox(data_dir=tmp_path, speed=600) as second:
        api = Api(second.url, second.api_key)
        tune = api.get(f"/tunes/{created['id']}").json()
        assert tune["title"] == "persist" and tune["created_at"] == created["created_at"]
        assert requests.get(tune["orig_images"][0].replace(first.url, second.url),
                            timeout=10).status_code == 200
        assert len(api.get(f"/tunes/{created['id']}/prompts").json()) == 1
        newer = api.make_tune("after restart")
        assert newer["id"] > created["id"]
        assert Api(second.url, other_key).get("/tunes").status_code == 200


PINNED = datetime(2025, 6, 15, 12, tzinfo=timezone.utc)  # the seeded histories' "now"


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _expired(tune: dict, now: float) -> bool:
    if not tune["expires_at"]:
        return False
    return _moment(tune["expires_at"]).timestamp() < now


def test_seed_history_10000(tmp_path: Path, figures) -> None:
    started = time.perf_counter()
    with Sandbox(data_dir=tmp_path, speed=600, seed_history=10_000, now=PINNED) as sb:
        seeded = time.perf_counter() - started
        api = Api(sb.url, sb.api_key)
        newest = api.get("/tunes", params={"limit": 120}).json()
        top = newest[0]["id"]
        sample = list(newest)
        for before in range(top - 1000, top - 10_000, -1000):  # nine pages across the history
            sample += api.get("/tunes", params={"limit": 120, "before_id": before}).json()
        oldest = api.get("/tunes", params={"limit": 120, "before_id": top - 9_998}).json()
        figures("seed_history(10000): sandbox start including seeding", seconds=f"{seeded:.2f}")
        assert [t["id"] for t in oldest] == [top - 9_999]  # exactly 10,000 consecutive ids
        assert len(sample) == 1200 and len({t["id"] for t in sample}) == 1200
        now = sb.state.now()
        assert now - PINNED.timestamp() < 600  # the pinned clock ticks on from PINNED
        assert {t["branch"] for t in sample} == {"flux1", "sd15", "sdxl1", "fast"}
        assert {"lora", "pti", "faceid", None} <= {t["model_type"] for t in sample}
        failed = sum(1 for t in sample if t["error"])
        expired = sum(1 for t in sample if _expired(t, now))
        assert 25 <= failed <= 150 and expired > 600
        # spread over the year before PINNED: the ten pages are ~36 days apart, so each one
        # falls in a month of its own (2024-06 .. 2025-06 on this pinned date)
        created = sorted(_moment(t["created_at"]) for t in sample + oldest)
        assert PINNED - timedelta(days=365) <= created[0] < PINNED - timedelta(days=355)
        assert PINNED - timedelta(days=1) < created[-1] <= PINNED + timedelta(seconds=600)
        months = {t["created_at"][:7] for t in sample}
        assert len(months) >= 10 and months <= {f"{y}-{m:02d}" for y, m in
                                                [(2024, m) for m in range(6, 13)]
                                                + [(2025, m) for m in range(1, 7)]}
        assert api.get("/prompts", params={"limit": 120}).json()
        image = requests.get(sample[-1]["orig_images"][0], timeout=10)
        assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    with Sandbox(data_dir=tmp_path, seed_history=10_000) as again:
        assert again.seed_history(10_000) == 0  # topped up already: nothing added
        last = Api(again.url, again.api_key).get("/tunes", params={"limit": 1}).json()
        assert last[0]["id"] == top


def test_seed_history_has_tunes_still_training(tmp_path: Path) -> None:
    with Sandbox(data_dir=tmp_path, speed=60, seed_history=300, history_seed=3) as sb:
        newest = Api(sb.url, sb.api_key).get("/tunes").json()
        training = [t for t in newest if not t["trained_at"] and not t["error"]]
        assert 1 <= len(training) <= 5
        assert all(t["eta"] for t in training)
