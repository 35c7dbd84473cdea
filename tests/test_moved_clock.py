"""``tests/moved_clock.py`` really moves the clock of the pytest run, and only the wall clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).with_name("moved_clock.py")

PROBE = '''
import threading
import time
from datetime import datetime, timezone


def test_the_wall_clock_is_moved_and_ticks():
    first = datetime.now(timezone.utc)
    assert first.strftime("%Y-%m-%d %H:%M") == "2028-02-29 23:59"
    assert abs(time.time() - first.timestamp()) < 5
    started = time.monotonic()
    time.sleep(0.2)  # sleeps and thread waits keep working
    assert threading.Event().wait(0.1) is False
    assert time.monotonic() - started >= 0.3
    assert datetime.now(timezone.utc) > first  # ticking, not frozen
'''


def run(tmp_path: Path, *dates: str) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    args = [a for d in dates for a in ("--at", d)]
    return subprocess.run(
        [sys.executable, str(RUNNER), *args, "--", str(probe), "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_each_date_runs_once_and_any_failure_fails_the_whole_run(tmp_path: Path) -> None:
    # the probe passes on the leap day only: one pytest run per --at, each on its own date
    result = run(tmp_path, "2028-02-29T23:59:00Z", "2027-06-15T12:00:00Z")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "moved clock: 2028-02-29T23:59" in result.stdout
    assert "moved clock: 2027-06-15T12:00" in result.stdout
    assert "moved clock 2028-02-29T23:59Z: pytest exit 0" in result.stdout
    assert "moved clock 2027-06-15T12:00Z: pytest exit 1" in result.stdout
