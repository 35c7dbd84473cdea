"""The sandbox's one clock (``Sandbox(now=...)``, ``--now``): pinned dates, a driven clock.

Plain HTTP against sandboxes started here; nothing is compared with today's date.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sandbox_helpers import Api, Receiver

from astria_widgets.sandbox import Sandbox

PINNED = datetime(2025, 6, 15, 12, tzinfo=timezone.utc)


def moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_a_pinned_start_dates_every_object_and_ticks_on(tmp_path: Path) -> None:
    with Sandbox(data_dir=tmp_path, speed=600, now=PINNED) as sb:
        api = Api(sb.url, sb.api_key)
        tune = api.make_tune("pinned", branch="fast")
        created = moment(tune["created_at"])
        assert PINNED <= created < PINNED + timedelta(minutes=5)
        assert created < moment(tune["eta"]) < PINNED + timedelta(minutes=5)
        done = api.wait(f"/tunes/{tune['id']}", lambda t: t["trained_at"] is not None)
        trained = moment(done["trained_at"])
        assert created < trained < PINNED + timedelta(minutes=5)  # the clock ticked on
        assert moment(done["expires_at"]) == trained + timedelta(days=30)
        prompt = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "hi"}).json()
        assert PINNED < moment(prompt["created_at"]) < PINNED + timedelta(minutes=5)
        assert sb.state.now() - PINNED.timestamp() < 300


def test_a_driven_clock_moves_lifecycles_and_callbacks(tmp_path: Path,
                                                       receiver: Receiver) -> None:
    at = [PINNED.timestamp()]
    with Sandbox(data_dir=tmp_path, speed=600, now=lambda: at[0]) as sb:
        api = Api(sb.url, sb.api_key)
        tune = api.make_tune("driven", branch="fast", callback=f"{receiver.url}/tune")
        assert tune["created_at"] == "2025-06-15T12:00:00.000Z"
        with pytest.raises(queue.Empty):  # the clock stands still: nothing is due
            receiver.get(timeout=0.6)  # six ticks of the ticker
        assert api.get(f"/tunes/{tune['id']}").json()["trained_at"] is None
        at[0] += 3600  # an hour later, in sandbox time only
        path, body = receiver.get(timeout=10)
        assert path == "/tune" and body["tune"]["id"] == tune["id"]
        assert body["tune"]["trained_at"].startswith("2025-06-15T12:00:")
        assert api.get(f"/tunes/{tune['id']}").json()["trained_at"] is not None
        at[0] += 31 * 86_400  # past the 30-day expiry
        assert api.get(f"/tunes/{tune['id']}").json()["expires_at"] < "2025-07-16"
        account = Api(sb.url, sb.create_user()).get("/users").json()
        assert account["created_at"] == "2025-07-16T13:00:00.000Z"  # PINNED + 1 h + 31 d


def test_seeded_history_ends_at_the_pinned_now(tmp_path: Path) -> None:
    with Sandbox(data_dir=tmp_path, speed=600, seed_history=200, now=PINNED) as sb:
        tunes = Api(sb.url, sb.api_key).get("/tunes", params={"limit": 100}).json()
    created = [moment(t["created_at"]) for t in tunes]
    assert max(created) <= PINNED + timedelta(minutes=5)
    assert min(created) >= PINNED - timedelta(days=365)


@pytest.mark.parametrize(("now", "error", "message"), [
    (datetime(2025, 6, 15, 12), ValueError, "now must be a timezone-aware datetime"),
    ("2025-06-15", TypeError, "now must be a datetime, epoch seconds or a callable"),
])
def test_a_bad_now_is_refused_at_construction(now: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        Sandbox(now=now)  # type: ignore[arg-type]


def test_the_command_line_takes_now(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "astria_widgets.sandbox", "--port", "0", "--data-dir",
         str(tmp_path), "--speed", "600", "--seed-history", "30",
         "--now", "2025-06-15T12:00:00Z"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = server.stdout.readline()
        assert line.startswith("Astria sandbox running at "), line
        url = line.rsplit(" ", 1)[1].strip()
        tunes = Api(url, "sandbox").get("/tunes", params={"limit": 100}).json()
        newest = max(moment(t["created_at"]) for t in tunes)
        assert PINNED - timedelta(days=1) < newest <= PINNED + timedelta(minutes=5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    bad = subprocess.run([sys.executable, "-m", "astria_widgets.sandbox", "--now", "someday"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "'someday' is not an ISO 8601 date-time" in bad.stderr
