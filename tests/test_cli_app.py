"""``astria-widgets app`` as a user runs it (real processes, no browser): the message without
Voilà, usage errors, the default sandbox started in a process of its own and stopped on exit,
a running sandbox reused and left running, and a key that reaches Voilà's kernels only through
the environment. The page itself is tested in Chromium in ``tests/e2e/test_voila.py``."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

SCRIPT = Path(sys.executable).with_name("astria-widgets")  # this environment's console script
INSTALL_HINT = "pip install 'astria-widgets[app]'"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def user_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user's environment: no key, the default sandbox in ``tmp_path/sandbox``, plus extra."""
    env = {k: v for k, v in os.environ.items() if k not in ("ASTRIA_API_KEY", "ASTRIA_BASE_URL")}
    env["ASTRIA_SANDBOX_DIR"] = str(tmp_path / "sandbox")
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        env[name] = str(tmp_path / name.lower())
    env.update(extra)
    return env


class App:
    """``astria-widgets app --port P --no-browser`` running in ``cwd``; its output in a file."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.log = cwd / "app.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(SCRIPT), "app", "--port", str(self.port), "--no-browser"], env=env,
                cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self) -> str:
        """What the command (and Voilà) printed so far."""
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90.0) -> str:
        """The URL once Voilà said where it runs and accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.text()
            found = re.search(r"Voil. is running at:\s*(http://\S+)", self.text())
            if found:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                    return found.group(1)
                except OSError:
                    pass
            time.sleep(0.25)
        raise TimeoutError(self.text())

    def voila_pid(self) -> int:
        """The Voilà process the command started (its only child running ``-m voila``)."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.process.pid and b"voila" in cmdline:
                return int(entry.name)
        raise AssertionError("no voila child process")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send ``sig`` and wait for the command to finish; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return int(self.process.returncode)


@pytest.fixture
def app_in(tmp_path: Path) -> Iterator[list[App]]:
    """Apps started by a test, stopped at its end whatever happened."""
    started: list[App] = []
    yield started
    for app in started:
        app.stop()


def gone(pid: int, timeout: float = 20.0) -> bool:
    """True once process ``pid`` no longer exists (or is a zombie)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.2)
    return False


def test_without_voila_it_says_how_to_install_it(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['voila'] = None  # as if not installed\n"
            "from astria_widgets.cli import main; sys.exit(main(['app', '--no-browser']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=user_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 1
    assert INSTALL_HINT in done.stderr and "Voila is not installed" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "sandbox").exists()  # nothing started before the check


@pytest.mark.parametrize("port", ["0", "70000", "http", "-1", ""])
def test_a_bad_port_is_a_usage_error(port: str) -> None:
    done = subprocess.run([str(SCRIPT), "app", "--port", port], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "--port: expected a port number from 1 to 65535" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_it_starts_the_default_sandbox_in_its_own_process_and_stops_it(
        tmp_path: Path, app_in: list[App]) -> None:
    app = App(user_env(tmp_path), tmp_path)
    app_in.append(app)
    url = app.wait_ready()
    assert url == f"http://127.0.0.1:{app.port}/"
    info = json.loads((tmp_path / "sandbox" / "server.json").read_text())
    assert f"started the local sandbox at {info['url']}" in app.text()
    # a process of its own, in a session of its own (closing a page cannot stop it)
    assert info["pid"] != app.process.pid and os.getsid(info["pid"]) != os.getsid(0)
    answer = requests.get(f"{info['url']}/tunes",
                          headers={"Authorization": f"Bearer {info['api_key']}"}, timeout=10)
    assert len(answer.json()) == 20  # the default account has its seeded history
    voila = app.voila_pid()
    environ = Path(f"/proc/{voila}/environ").read_bytes().split(b"\0")
    assert f"ASTRIA_APP_DIR={tmp_path}".encode() in environ  # downloads land here
    assert f"ASTRIA_SANDBOX_DIR={tmp_path / 'sandbox'}".encode() in environ

    assert app.stop(signal.SIGTERM) == 128 + signal.SIGTERM
    assert gone(voila) and gone(info["pid"])
    assert not (tmp_path / "sandbox" / "server.json").exists()
    assert "stopping the sandbox started here" in app.text()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", app.port), timeout=2).close()


def test_ctrl_c_stops_it_too(tmp_path: Path, app_in: list[App]) -> None:
    app = App(user_env(tmp_path), tmp_path)
    app_in.append(app)
    app.wait_ready()
    pid = json.loads((tmp_path / "sandbox" / "server.json").read_text())["pid"]
    voila = app.voila_pid()
    assert app.stop(signal.SIGINT) == 128 + signal.SIGINT
    assert gone(voila) and gone(pid)
    assert "Traceback" not in app.text()


def test_a_running_sandbox_is_reused_and_left_running(sandbox, tmp_path: Path,
                                                      app_in: list[App]) -> None:
    env = user_env(tmp_path, ASTRIA_SANDBOX_DIR=str(sandbox.data_dir))
    app = App(env, tmp_path)
    app_in.append(app)
    app.wait_ready()
    assert f"reusing the local sandbox at {sandbox.url}" in app.text()
    assert app.stop() == 128 + signal.SIGTERM
    assert requests.get(f"{sandbox.url}/sandbox/health", timeout=10).ok


def test_with_a_key_the_kernels_get_it_from_the_environment_only(
        tmp_path: Path, app_in: list[App]) -> None:
    canary = "sd_app_canary_" + secrets.token_hex(12)
    app = App(user_env(tmp_path, ASTRIA_API_KEY=canary), tmp_path)
    app_in.append(app)
    app.wait_ready()
    assert "ASTRIA_API_KEY is set: the page uses the Astria API" in app.text()
    assert not (tmp_path / "sandbox").exists()  # no sandbox with a key
    voila = app.voila_pid()
    assert canary.encode() not in Path(f"/proc/{voila}/cmdline").read_bytes()
    assert f"ASTRIA_API_KEY={canary}".encode() in (
        Path(f"/proc/{voila}/environ").read_bytes().split(b"\0"))
    assert app.stop() == 128 + signal.SIGTERM
    assert canary not in app.text()
