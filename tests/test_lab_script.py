"""``./scripts/lab`` as a newcomer runs it: stopped by SIGTERM or SIGHUP it leaves nothing
running, a second start skips the install, and the command-line tools in another terminal
(no environment variable set) find the sandbox it started.

The script runs for real from a copy of the repository, with ``HOME`` in a temporary folder
and its own virtualenv (``ASTRIA_VENV``). To spare the shared machine a full download of
JupyterLab, that virtualenv sees the test interpreter's packages through a ``.pth`` file and
gets the ``jupyter`` launchers pip would have written had it installed JupyterLab there; the
script's ``pip install -e .[lab]`` then installs astria-widgets itself (the editable install of
the copy) and finds every dependency present. Every process the script starts inherits a
marker variable, so "nothing left running" is checked over all processes, kernels included.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
COPIED = ("pyproject.toml", "README.md", "LICENSE", "astria_widgets", "scripts", "notebooks",
          # the side panel's build inputs (astria_widgets/labextension, built by the test
          # venv's install, is copied with the package, so the build step is skipped)
          ".gitignore", "package.json", "yarn.lock", ".yarnrc.yml", "tsconfig.json",
          "install.json", "src", "style", "jupyter-config")
LAUNCHERS = ("jupyter", "jupyter-lab", "jupyter-server")
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab")
TOKEN = "lab-script-test"

pytestmark = pytest.mark.timeout(900)  # Linux: processes are found through /proc

# The script is started as from a terminal, whatever started this test: an ignored signal stays
# ignored across exec and bash cannot trap a signal ignored at its start, so under `nohup`
# (SIGHUP ignored) or as a background job of a script (SIGINT ignored) the script would not
# see what the test sends. This wrapper gives it the default dispositions, then execs it.
TERMINAL_SIGNALS = (
    "import os, signal, sys\n"
    "ignored = [n for n in sys.argv[1].split(',') if n]\n"
    "for name in ('SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGPIPE'):\n"
    "    signal.signal(getattr(signal, name),\n"
    "                  signal.SIG_IGN if name in ignored else signal.SIG_DFL)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def _marked_processes(mark: str) -> dict[int, str]:
    """``{pid: command line}`` of every process whose environment holds ``mark``."""
    found = {}
    needle = f"ASTRIA_LAB_TEST_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(entry.name)] = cmdline.decode(errors="replace").strip()
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


@dataclass
class Lab:
    """A running ``scripts/lab`` and everything it printed so far."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_url(self, timeout: float) -> str:
        """The JupyterLab URL once it is printed (fails if the script ends first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = URL.search(self.output)
            if match:
                return f"http://127.0.0.1:{match.group(1)}"
            assert self.proc.poll() is None, f"scripts/lab ended early:\n{self.output[-4000:]}"
            time.sleep(0.2)
        raise AssertionError(f"no JupyterLab URL within {timeout} s:\n{self.output[-4000:]}")

    def stop(self, sig: signal.Signals) -> int:
        """Send ``sig`` to the script alone and wait for it to end."""
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=120)
        self.reader.join(timeout=10)
        return code


@dataclass
class Checkout:
    """A copy of the repository, a virtualenv for it, and a temporary HOME."""

    repo: Path
    venv: Path
    home: Path
    mark: str

    def env(self, **extra: str) -> dict[str, str]:
        """A newcomer's terminal: no ASTRIA_* variable, HOME in the temporary folder."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ASTRIA_", "JUPYTER", "PYTEST_", "VIRTUAL_ENV", "PYTHONPATH"))
        }
        real_home = os.environ.get("HOME", str(Path.home()))
        env.update(
            HOME=str(self.home),
            ASTRIA_LAB_TEST_MARK=self.mark,
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            PIP_CACHE_DIR=env.get("PIP_CACHE_DIR", str(Path(real_home) / ".cache" / "pip")),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def start_lab(self, ignored: tuple[str, ...] = ()) -> Lab:
        """``ASTRIA_VENV=... scripts/lab --no-browser ...`` in its own session, with the
        default signal dispositions except ``ignored`` (e.g. ``("SIGHUP",)``: under nohup)."""
        command = [
            sys.executable, "-c", TERMINAL_SIGNALS, ",".join(ignored),
            str(self.repo / "scripts" / "lab"), "--no-browser", "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port=0", f"--IdentityProvider.token={TOKEN}",
        ]  # fmt: skip
        proc = subprocess.Popen(
            command, cwd=self.home, env=self.env(ASTRIA_VENV=str(self.venv)),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, start_new_session=True,
        )  # fmt: skip
        return Lab(proc)

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        """A command from the virtualenv, in another terminal (same HOME, no variables)."""
        return subprocess.run(
            [str(self.venv / "bin" / command[0]), *command[1:]], cwd=self.home, env=self.env(),
            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    @property
    def sandbox_dir(self) -> Path:
        """The default sandbox folder under the temporary HOME."""
        return self.home / ".astria-widgets" / "sandbox"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    base = tmp_path_factory.mktemp("lab")
    repo, venv, home = base / "repo", base / "venv", base / "home"
    home.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
            shutil.copytree(source, repo / name, ignore=ignore)
        else:
            repo.mkdir(exist_ok=True)
            shutil.copy2(source, repo / name)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", where], capture_output=True, text=True, check=True
    ).stdout.strip()
    Path(purelib, "_test_interpreter_packages.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    for name in LAUNCHERS:  # the console scripts, pointing at this venv's interpreter
        source = Path(sys.executable).parent / name
        body = source.read_text().split("\n", 1)[1]
        target = venv / "bin" / name
        target.write_text(f"#!{venv / 'bin' / 'python'}\n{body}")
        target.chmod(0o755)
    mark = uuid.uuid4().hex
    try:
        yield Checkout(repo=repo, venv=venv, home=home, mark=mark)
    finally:
        for pid in _marked_processes(mark):  # whatever a failed test left behind
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _start_kernel(url: str, mark: str) -> None:
    """Start a kernel as opening a notebook would, and wait for its process."""
    headers = {"Authorization": f"token {TOKEN}"}
    answer = requests.post(f"{url}/api/kernels", json={"name": "python3"}, headers=headers,
                           timeout=30)
    assert answer.status_code == 201, answer.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any("ipykernel_launcher" in cmd for cmd in _marked_processes(mark).values()):
            return
        time.sleep(0.3)
    raise AssertionError("no kernel process appeared")


def test_lab_stops_cleanly_and_shares_its_sandbox(checkout: Checkout, figures) -> None:
    # --- first start: installs, starts the default sandbox, JupyterLab, a kernel
    started = time.monotonic()
    lab = checkout.start_lab()
    try:
        url = lab.wait_for_url(timeout=600)
        first_start = time.monotonic() - started
        assert "==> installing astria-widgets[lab]" in lab.output
        assert str(checkout.sandbox_dir) in lab.output
        _start_kernel(url, checkout.mark)
        info = json.loads((checkout.sandbox_dir / "server.json").read_text())

        # another terminal, no ASTRIA_SANDBOX_DIR: connect() and sync find that sandbox
        probe = checkout.run(
            "python", "-c", "from astria_widgets import connect; print(connect().base_url)"
        )
        assert probe.returncode == 0, probe.stderr
        # only what the code printed: connect()'s notice is on stderr (ID=$(python -c ...))
        assert probe.stdout.strip().rstrip("/") == info["url"].rstrip("/")
        assert "reusing the local sandbox" in probe.stderr
        sync = checkout.run("astria-widgets", "sync")
        assert sync.returncode == 0, sync.stderr
        assert f"reusing the local sandbox at {info['url'].rstrip('/')}" in sync.stderr
        assert "300 stored" in sync.stdout  # the lab's seeded history, not an empty sandbox

        running = _marked_processes(checkout.mark)
        commands = " | ".join(running.values())
        for what in ("jupyter-lab", "astria-widgets sandbox", "ipykernel_launcher"):
            assert what in commands, f"{what} not found among {commands}"
    finally:
        stopping = time.monotonic()
        code = lab.stop(signal.SIGTERM)
        first_stop = time.monotonic() - stopping
    assert code == 128 + signal.SIGTERM, lab.output[-3000:]
    assert _marked_processes(checkout.mark) == {}, lab.output[-3000:]
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{info['url']}/sandbox/health", timeout=5)

    # --- second start, nothing changed: no install; stopped as a closed terminal would
    started = time.monotonic()
    lab = checkout.start_lab()
    try:
        lab.wait_for_url(timeout=300)
        second_start = time.monotonic() - started
        before_url = lab.output[: URL.search(lab.output).start()]  # type: ignore[union-attr]
        assert "skipped install" in before_url
        assert "installing" not in before_url
        assert len(_marked_processes(checkout.mark)) >= 3  # the script, sandbox, JupyterLab
    finally:
        code = lab.stop(signal.SIGHUP)
    assert code == 128 + signal.SIGHUP, lab.output[-3000:]
    assert _marked_processes(checkout.mark) == {}, lab.output[-3000:]
    figures(
        "scripts/lab seconds to the URL (not asserted)",
        first_start_with_install=round(first_start, 1),
        second_start_skipped_install=round(second_start, 1),
        sigterm_to_all_stopped=round(first_stop, 1),
    )


def test_under_nohup_a_hangup_is_left_alone_and_sigterm_stops_all(checkout: Checkout) -> None:
    lab = checkout.start_lab(ignored=("SIGHUP",))  # as `nohup ./scripts/lab` starts it
    try:
        lab.wait_for_url(timeout=300)
        assert "SIGHUP is ignored (nohup)" in lab.output
        lab.proc.send_signal(signal.SIGHUP)  # a closed terminal: nohup asked to outlive it
        time.sleep(2)
        assert lab.proc.poll() is None, lab.output[-3000:]
    finally:
        code = lab.stop(signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, lab.output[-3000:]
    assert _marked_processes(checkout.mark) == {}, lab.output[-3000:]


def test_a_changed_pyproject_reinstalls(checkout: Checkout) -> None:
    pyproject = checkout.repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# changed\n")
    lab = checkout.start_lab()
    try:
        lab.wait_for_url(timeout=600)
        assert "==> installing astria-widgets[lab]" in lab.output
    finally:
        code = lab.stop(signal.SIGINT)  # what Ctrl-C sends to the script
    assert code == 128 + signal.SIGINT, lab.output[-3000:]
    assert _marked_processes(checkout.mark) == {}, lab.output[-3000:]
