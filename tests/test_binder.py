"""Rebuild the Binder environment the way repo2docker would, as far as that goes without Docker.

repo2docker (with a ``binder/`` folder) pip-installs ``binder/requirements.txt`` into the
server's environment, runs ``binder/postBuild`` once as the user, and launches the server
through ``binder/start``. This module does the same in a fresh virtualenv with ``HOME`` in a
temporary folder, then checks what a Binder user gets: the server config postBuild wrote, a
sandbox that ``connect()`` finds, a JupyterLab that starts, and the notebooks passing nbval
against that sandbox.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.timeout(1800)


@dataclass
class BinderEnv:
    """A virtualenv built from ``binder/`` and the HOME that postBuild ran in."""

    venv: Path
    home: Path
    postbuild_output: str

    @property
    def sandbox_dir(self) -> Path:
        """Where ``binder/start`` keeps the sandbox's state (its default)."""
        return self.home / ".astria-widgets" / "sandbox"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a Binder session: the venv first on PATH, HOME, no API key."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ASTRIA_", "JUPYTER", "IPYTHON", "PYTEST_", "VIRTUAL_ENV"))
        }
        env.update(
            HOME=str(self.home),
            PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(self.venv),
            PYTHONUNBUFFERED="1",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
        env.update(extra)
        return env

    def pip_env(self) -> dict[str, str]:
        """The Binder environment, but with the real HOME, so pip's wheel cache is reused."""
        return self.env(HOME=os.environ.get("HOME", str(self.home)))

    def start(
        self, *command: str, timeout: float = 900, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        """Run ``binder/start COMMAND...`` as repo2docker's entrypoint would."""
        return subprocess.run(
            [str(BINDER / "start"), *command],
            cwd=REPO, env=self.env(**extra), capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def stop_sandbox(self) -> None:
        """End the background sandbox that ``binder/start`` launched (pid in server.json)."""
        info = self.sandbox_dir / "server.json"
        try:
            pid = int(json.loads(info.read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore
    tail = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0, f"{cmd} failed:\n{tail}"
    return result


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BinderEnv]:
    """A fresh venv from binder/requirements.txt, then binder/postBuild with HOME in tmp."""
    base = tmp_path_factory.mktemp("binder")
    venv, home = base / "venv", base / "home"
    home.mkdir()
    env = BinderEnv(venv=venv, home=home, postbuild_output="")
    _run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    # what repo2docker does, from the repository root (where `-e .` points)
    _run([*pip, "-r", str(BINDER / "requirements.txt")], cwd=REPO, timeout=900, env=env.pip_env())
    # the test tools, which are not part of the Binder image
    tools = ["pytest>=8.0", "pytest-timeout>=2.2", "nbval>=0.11"]
    _run([*pip, *tools], cwd=REPO, timeout=600, env=env.pip_env())
    post = _run(["bash", str(BINDER / "postBuild")], cwd=REPO, env=env.env(), timeout=300)
    env.postbuild_output = post.stdout + post.stderr
    try:
        yield env
    finally:
        env.stop_sandbox()


def test_binder_files_are_what_repo2docker_reads() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    requirements = (BINDER / "requirements.txt").read_text().split("\n")
    assert "-e ." in requirements
    # `-e .` builds the JupyterLab extension from TypeScript: the image needs Node.js and npm,
    # which repo2docker installs from binder/apt.txt (one Debian/Ubuntu package a line)
    apt = (BINDER / "apt.txt").read_text().split()
    assert {"nodejs", "npm"} <= set(apt)
    for script in ("postBuild", "start"):
        assert os.access(BINDER / script, os.X_OK), f"binder/{script} is not executable"
    # repo2docker requires the entrypoint to hand over to the server command
    assert (BINDER / "start").read_text().rstrip().endswith('exec "$@"')


def test_postbuild_config_is_loaded_by_the_server(binder: BinderEnv) -> None:
    config = binder.home / ".jupyter" / "jupyter_server_config.py"
    assert config.is_file(), binder.postbuild_output
    shown = _run(
        [str(binder.venv / "bin" / "jupyter"), "lab", "--show-config"],
        cwd=REPO, env=binder.env(), timeout=120,
    )  # fmt: skip
    assert str(config) in shown.stdout
    assert "'websocket_max_message_size': 104857600" in shown.stdout


def test_start_launches_a_sandbox_that_connect_reuses(binder: BinderEnv) -> None:
    probe = (
        "import json, os, pathlib\n"
        "from astria_widgets import connect\n"
        "client = connect()\n"
        "info = json.loads((pathlib.Path(os.environ['ASTRIA_SANDBOX_DIR'])"
        " / 'server.json').read_text())\n"
        "print(json.dumps({'sandbox': client.is_sandbox, 'base_url': client.base_url,\n"
        "  'server_url': info['url'], 'tunes': len(client.list_tunes(limit=20))}))\n"
    )
    result = binder.start("python", "-c", probe, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["sandbox"] is True
    assert seen["base_url"].rstrip("/") == seen["server_url"].rstrip("/")
    assert seen["tunes"] == 20  # seeded with a history on first start
    health = requests.get(f"{seen['server_url']}/sandbox/health", timeout=10)
    assert health.json()["ok"] is True  # still running after the command ended


def test_start_hands_over_to_jupyterlab(binder: BinderEnv) -> None:
    runtime = binder.home / "runtime"
    proc = subprocess.Popen(
        [str(BINDER / "start"), "jupyter", "lab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.token=binder-test"],
        cwd=REPO, env=binder.env(JUPYTER_RUNTIME_DIR=str(runtime)),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            for info in runtime.glob("jpserver-*.json"):
                try:
                    url = f"http://127.0.0.1:{json.loads(info.read_text())['port']}"
                except (ValueError, KeyError):
                    pass
            time.sleep(0.3)
        assert url is not None, "jupyter lab did not start under binder/start"
        status = None
        while time.monotonic() < deadline:
            try:
                status = requests.get(f"{url}/api/status?token=binder-test", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert status is not None and status.status_code == 200
        lab = requests.get(f"{url}/lab?token=binder-test", timeout=30)
        assert lab.status_code == 200 and "jupyter-config-data" in lab.text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_notebooks_pass_nbval_in_the_binder_environment(binder: BinderEnv) -> None:
    result = binder.start(
        "python", "-m", "pytest", "-p", "no:cacheprovider", "-p", "tools.notebooks.nbval_sandbox",
        "--nbval", "--nbval-current-env",
        "--nbval-sanitize-with", "tools/notebooks/nbval-sanitize.cfg", "notebooks/",
        ASTRIA_NBVAL_REUSE_SANDBOX="1",
    )  # fmt: skip
    output = result.stdout[-6000:] + result.stderr[-3000:]
    if NOTEBOOKS:
        assert result.returncode == 0, output
        assert "running sandbox" in result.stdout  # the one binder/start launched
        assert " passed" in result.stdout
    else:  # nothing to run yet: pytest says so with its "no tests" status
        assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, output
