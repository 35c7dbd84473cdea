"""``connect.running_sandbox_url`` and ``connect.start_sandbox_process``: finding the default
sandbox, and starting it as a process of its own (what ``astria-widgets app`` does)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import requests

from astria_widgets.connect import running_sandbox_url, start_sandbox_process


def test_a_live_sandbox_is_found_by_its_folder(sandbox) -> None:
    assert running_sandbox_url(sandbox.data_dir) == sandbox.url


def test_no_sandbox_or_a_dead_one_is_none(tmp_path: Path) -> None:
    assert running_sandbox_url(tmp_path) is None  # no server.json
    (tmp_path / "server.json").write_text(json.dumps(
        {"url": "http://127.0.0.1:9", "api_key": "k", "pid": 1}))
    assert running_sandbox_url(tmp_path) is None  # nothing answers there
    (tmp_path / "server.json").write_text("{not json")
    assert running_sandbox_url(tmp_path) is None


def test_the_default_folder_is_the_one_connect_uses(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path))
    assert running_sandbox_url() is None


def test_a_sandbox_process_of_its_own_seeded_and_stopped(tmp_path: Path) -> None:
    started = start_sandbox_process(tmp_path / "sb", seed_history=25)
    process, url = started.process, started.url
    try:
        assert running_sandbox_url(tmp_path / "sb") == url
        info = json.loads((tmp_path / "sb" / "server.json").read_text())
        assert info["pid"] == process.pid
        assert os.getsid(process.pid) == process.pid  # its own session: Ctrl-C misses it
        tunes = requests.get(f"{url}/tunes?limit=100", timeout=10,
                             headers={"Authorization": f"Bearer {info['api_key']}"}).json()
        assert len(tunes) == 25
        assert (tmp_path / "sb" / "sandbox.log").is_file()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0
    assert running_sandbox_url(tmp_path / "sb") is None


def test_a_sandbox_that_does_not_answer_in_time_is_stopped_and_reported(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"did not answer within 0 s; see its log"):
        start_sandbox_process(tmp_path / "sb", timeout=0.0)
    assert running_sandbox_url(tmp_path / "sb") is None
