"""The ``astria-widgets`` command as a user runs it: the installed console script in real
processes, with help, usage errors, and ``sandbox`` + ``sync`` talking over loopback.

``watch`` is exercised in-process against the session sandbox in
``tests/client/test_connect_and_watch.py``; here only its ``--help`` is checked.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from astria_widgets.cli import COMMANDS
from astria_widgets.client import AstriaClient

SCRIPT = Path(sys.executable).with_name("astria-widgets")  # this environment's console script


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script to completion."""
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120,
                          env=env)


def offline_env(sandbox_dir: Path) -> dict[str, str]:
    """The environment of a user without a key whose sandbox lives in ``sandbox_dir``."""
    env = {k: v for k, v in os.environ.items() if k not in ("ASTRIA_API_KEY", "ASTRIA_BASE_URL")}
    env["ASTRIA_SANDBOX_DIR"] = str(sandbox_dir)
    return env


def test_help_lists_every_command() -> None:
    assert SCRIPT.is_file(), f"the astria-widgets console script is not installed at {SCRIPT}"
    for args in (["--help"], ["-h"], []):
        result = run(*args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("usage: astria-widgets <command>")
        for name, module in COMMANDS.items():
            assert f"  {name} " in result.stdout
            assert importlib.import_module(module).HELP in result.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_has_its_own_help(name: str) -> None:
    result = run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: astria-widgets {name}")
    assert importlib.import_module(COMMANDS[name]).HELP in " ".join(result.stdout.split())
    assert "no ASTRIA_API_KEY" not in result.stdout + result.stderr  # help never connects


def test_python_m_sandbox_is_the_same_command() -> None:
    result = subprocess.run([sys.executable, "-m", "astria_widgets.sandbox", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "usage: astria-widgets sandbox" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["sandbox", "--faults", "2"], "--faults: must be a rate between 0 and 1"),
    (["sandbox", "--speed", "0"], "--speed: must be a positive number"),
    (["sandbox", "--seed-history", "-1"], "--seed-history: must be a whole number from 0"),
    (["watch", "not-a-number"], "tune_id: must be an id"),
    (["sync", "--no-such-option"], "unrecognized arguments"),
])
def test_usage_errors_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr and result.stdout == ""


def test_sandbox_serves_until_sigterm_and_sync_uses_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    server = subprocess.Popen(
        [str(SCRIPT), "sandbox", "--port", "0", "--data-dir", str(data_dir),
         "--api-key", "cli-key", "--speed", "600", "--seed-history", "130"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = server.stdout.readline()
        assert line.startswith("Astria sandbox running at http://127.0.0.1:"), line
        assert "cli-key" not in line
        url = line.rsplit(" ", 1)[1].strip()
        assert requests.get(f"{url}/sandbox/health", timeout=10).json() == {
            "ok": True, "sandbox": True}
        assert json.loads((data_dir / "server.json").read_text()) == {
            "url": url, "api_key": "cli-key", "pid": server.pid}
        mine = requests.get(f"{url}/tunes", headers={"Authorization": "Bearer cli-key"},
                            timeout=10)
        assert len(mine.json()) == 20

        history = tmp_path / "history.sqlite3"
        first = run("sync", "--path", str(history), env=offline_env(data_dir))
        assert first.returncode == 0, first.stderr
        assert f"reusing the local sandbox at {url}" in first.stderr  # a notice: stderr
        assert "reusing" not in first.stdout
        assert "tunes: 130 new" in first.stdout and str(history) in first.stdout
        # the tqdm bar goes to stderr, in words: no total is knowable while listing
        assert "listing tunes: 130 tunes [" in first.stderr, first.stderr
        assert " tunes/s]" in first.stderr
        again = run("sync", "--path", str(history), env=offline_env(data_dir))
        assert again.returncode == 0 and "tunes: 0 new" in again.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert out.rstrip().endswith("Astria sandbox stopped")
    assert not (data_dir / "server.json").exists()


def _tunes_served(data_dir: Path, *args: str) -> int:
    """Start ``astria-widgets sandbox --data-dir data_dir ARGS``, count the account's tunes,
    stop it with SIGTERM."""
    server = subprocess.Popen(
        [str(SCRIPT), "sandbox", "--port", "0", "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = server.stdout.readline()
        assert line.startswith("Astria sandbox running at "), line + server.stderr.read()
        url = line.rsplit(" ", 1)[1].strip()
        client = AstriaClient(api_key="sandbox", base_url=url, sandbox=True)
        return sum(1 for _ in client.iter_tunes())
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)


def test_the_sandbox_command_seeds_a_new_data_dir_once(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    assert _tunes_served(fresh) == 300  # the documented history, with no option given
    assert _tunes_served(fresh) == 300  # an existing folder is not topped up again
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "sandbox.log").write_text("")  # scripts/lab writes its log there before the start
    assert _tunes_served(empty, "--seed-history", "0") == 0  # the option that turns it off
    assert _tunes_served(empty) == 0  # and an existing folder is never seeded
