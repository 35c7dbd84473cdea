"""With no key and no sandbox running, the panel starts the default sandbox as a process of its
own, never a Flask server inside the Jupyter server's process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from e2e.lab import LabServer

from astria_widgets.connect import NoSandboxRunning, SandboxStartError, connect
from astria_widgets.server.errors import status_for
from astria_widgets.server.panel import AstriaPanel

# Run in a fresh interpreter, as the Jupyter server runs the panel: which threads and modules
# are in that process once the panel has answered its status and a page of tunes?
PROBE = textwrap.dedent("""
    import json, os, sys, threading
    from astria_widgets.server.panel import AstriaPanel

    panel = AstriaPanel(sys.argv[1])
    status = panel.status()
    tunes = panel.tunes(limit=5)["tunes"]
    process = panel.sandbox_process
    report = {
        "pid": os.getpid(),
        "status": status,
        "tunes": len(tunes),
        "sandbox_pid": process.pid if process else None,
        "threads": sorted(t.name for t in threading.enumerate()),
        "modules": sorted(m for m in sys.modules
                          if m.split(".")[0] in ("flask", "werkzeug")
                          or m == "astria_widgets.sandbox.server"),
    }
    server_json = os.path.join(os.environ["ASTRIA_SANDBOX_DIR"], "server.json")
    report["server_json_pid"] = json.load(open(server_json))["pid"]
    panel.close()
    report["running_after_close"] = process.running if process else None
    report["server_json_after_close"] = os.path.exists(server_json)
    print(json.dumps(report))
""")


def sandbox_free_env(sandbox_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASTRIA_API_KEY", "ASTRIA_BASE_URL")}
    env["ASTRIA_SANDBOX_DIR"] = str(sandbox_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path.cwd()), env.get("PYTHONPATH")]))
    return env


def test_the_panel_starts_the_sandbox_as_its_own_process(tmp_path: Path, figures: Any) -> None:
    sandbox_dir = tmp_path / "sandbox"  # empty: no sandbox runs there
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "panel")],
                          env=sandbox_free_env(sandbox_dir), capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    figures("first status with no sandbox running: the panel started one as a process",
            seconds=round(time.monotonic() - started, 1), tunes_listed=report["tunes"])
    assert report["status"]["api"] == "sandbox"
    assert report["status"]["sandbox_started"] is True
    assert report["sandbox_pid"] not in (None, report["pid"])
    assert report["server_json_pid"] == report["sandbox_pid"]  # connect() anywhere finds it
    assert report["tunes"] == 5  # seeded like scripts/lab's
    # no Flask app, no Werkzeug server and no sandbox thread in the panel's process
    assert report["modules"] == []
    assert not [t for t in report["threads"] if "sandbox" in t or "werkzeug" in t.lower()]
    # the panel stops the sandbox it started
    assert report["running_after_close"] is False
    assert report["server_json_after_close"] is False
    assert "sandbox running at" in (sandbox_dir / "sandbox.log").read_text()


def test_connect_can_refuse_to_start_a_sandbox(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path))
    with pytest.raises(NoSandboxRunning, match="no local sandbox is running"):
        connect(quiet=True, start_sandbox=False)
    assert not (tmp_path / "server.json").exists()


def test_a_running_sandbox_is_reused_and_none_is_started(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(sandbox.data_dir))

    def never() -> Any:
        raise AssertionError("a sandbox was started although one runs")

    panel = AstriaPanel(tmp_path, sandbox_factory=never)
    try:
        status = panel.status()
        assert status["api"] == "sandbox" and status["sandbox_started"] is False
        assert panel.sandbox_process is None
    finally:
        panel.close()


def test_a_sandbox_that_cannot_start_is_a_503_and_is_not_retried_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path / "nothing-here"))
    tries: list[float] = []

    def failing() -> Any:
        tries.append(time.monotonic())
        raise SandboxStartError("the local sandbox exited at start (status 1)")

    panel = AstriaPanel(tmp_path, sandbox_factory=failing)
    try:
        for _ in range(3):  # a panel polling its status
            with pytest.raises(SandboxStartError) as caught:
                panel.status()
            code, message = status_for(caught.value)
            assert code == 503 and "could not be started" in message and "status 1" in message
        assert len(tries) == 1
    finally:
        panel.close()


def listening_ports(process: psutil.Process) -> set[int]:
    return {c.laddr.port for c in process.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN}


def test_a_jupyter_server_with_no_sandbox_starts_one_in_another_process(
    tmp_path: Path, figures: Any,
) -> None:
    sandbox_dir = tmp_path / "sandbox"
    server = LabServer(root=tmp_path / "root", workdir=tmp_path / "work")
    server.start({"ASTRIA_SANDBOX_DIR": str(sandbox_dir), "ASTRIA_API_KEY": None,
                  "ASTRIA_BASE_URL": None})
    try:
        assert server.process is not None
        jupyter = psutil.Process(server.process.pid)
        headers = {"Authorization": f"token {server.token}"}
        started = time.monotonic()
        answer = requests.get(f"{server.url}/astria-widgets/api/status", headers=headers,
                              timeout=120)
        seconds = time.monotonic() - started
        assert answer.status_code == 200, answer.text
        assert answer.json()["api"] == "sandbox" and answer.json()["sandbox_started"] is True
        info = json.loads((sandbox_dir / "server.json").read_text())
        port = int(info["url"].rsplit(":", 1)[1])
        sandbox = psutil.Process(info["pid"])
        # the sandbox is a child process of the Jupyter server; Jupyter does not serve it
        assert sandbox.pid != jupyter.pid and sandbox.ppid() == jupyter.pid
        assert port in listening_ports(sandbox)
        assert port not in listening_ports(jupyter)
        rows = requests.get(f"{server.url}/astria-widgets/api/tunes", headers=headers,
                            timeout=120).json()["tunes"]
        assert len(rows) == 20
        figures("Jupyter server's first panel status with no sandbox (it starts one)",
                seconds=round(seconds, 1))
    finally:
        server.stop()
    # the Jupyter server stopped the sandbox it started
    gone, alive = psutil.wait_procs([sandbox], timeout=20)
    assert not alive
    assert not (sandbox_dir / "server.json").exists()
