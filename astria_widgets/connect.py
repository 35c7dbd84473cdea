"""``connect()``: a ready client for the real API when a key is set, else the local sandbox.

Without ``ASTRIA_API_KEY`` (or with ``sandbox=True``) it reuses a live sandbox described by
``server.json`` in ``$ASTRIA_SANDBOX_DIR`` (default ``~/.astria-widgets/sandbox``), or starts
one in-process and keeps it for the life of the Python process (``start_sandbox_process``
starts one as a process of its own instead). Either way a sandbox started on a new data folder
seeds the documented history (300 tunes over the past year), as the ``astria-widgets sandbox``
command does, and one on an existing folder adds nothing (``sandbox.cli.history_to_seed``).
This is the only place the client side imports the sandbox (its default data directory; the
server only when one starts). Its one-line notice goes to stderr, so ``ID=$(python -c ...)``
captures only what the code prints.

A long-lived host that must not run a Flask server in its own process (the Jupyter server
behind the Astria panel) calls ``connect(start_sandbox=False)``, which raises
:class:`NoSandboxRunning` instead of starting one, and then :func:`start_sandbox_process`: the
default sandbox as a process of its own (``python -m astria_widgets.sandbox --data-dir DIR``,
as ``scripts/lab`` starts it), found again through ``server.json`` like any other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from astria_widgets.client import AstriaClient, PollPolicy
from astria_widgets.sandbox.cli import default_data_dir as sandbox_dir
from astria_widgets.sandbox.cli import history_to_seed
from astria_widgets.sandbox.options import argument as setting_argument
from astria_widgets.sandbox.options import check as check_setting

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

_lock = threading.Lock()
_sandbox: Sandbox | None = None  # the in-process sandbox started by connect(), kept for the process


def _live_sandbox(directory: Path) -> tuple[str, str] | None:
    """``(url, api_key)`` of a sandbox described in ``server.json`` that answers, else None."""
    try:
        info = json.loads((directory / "server.json").read_text())
        url, key = str(info["url"]).rstrip("/"), str(info["api_key"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        answer = requests.get(f"{url}/sandbox/health", timeout=2)
        if answer.ok and answer.json().get("sandbox"):
            return url, key
    except (requests.RequestException, ValueError, AttributeError):
        return None
    return None


class NoSandboxRunning(RuntimeError):
    """``connect(start_sandbox=False)`` found no key and no live sandbox to reuse."""


class SandboxStartError(RuntimeError):
    """:func:`start_sandbox_process` could not start the sandbox (the message says why)."""


def _sandbox_client(url: str, key: str) -> AstriaClient:
    return AstriaClient(api_key=key, base_url=url, sandbox=True, poll=PollPolicy.local())


def _speed_note(speed: float | None, running: float | None) -> str:
    """The clause saying a requested speed was not applied to a reused sandbox ("" if it was)."""
    if speed is None or (running is not None and float(speed) == running):
        return ""
    if running is None:
        return f"; speed {speed:g} not applied (a running sandbox keeps its own speed)"
    return f"; speed {speed:g} not applied (the running sandbox keeps speed {running:g})"


def current_sandbox() -> Sandbox | None:
    """The sandbox ``connect()`` started in this process, while it runs; else None.

    A sandbox that ``connect()`` reuses from ``server.json`` (another process's) is not it.
    """
    with _lock:
        return _sandbox if _sandbox is not None and _sandbox.running else None


def stop_sandbox() -> bool:
    """Stop the sandbox ``connect()`` started in this process; True if one was running.

    The next ``connect()`` without a key reuses another live sandbox or starts a fresh one.
    """
    global _sandbox
    with _lock:
        started, _sandbox = _sandbox, None
    if started is None or not started.running:
        return False
    started.stop()
    return True


_SPEED = setting_argument("speed")


def speed_argument(text: str) -> float:
    """An argparse ``type=`` for a sandbox speed typed by a user (``%astria sandbox --speed``):
    the sandbox's own rule, refusing NaN, infinities, zero and negatives with a message."""
    return float(_SPEED(text))
def running_sandbox_url(directory: Path | None = None) -> str | None:
    """The URL of the live sandbox described by ``server.json`` in ``directory``, else None.

    ``directory`` defaults to the default sandbox folder (``sandbox_dir()``); "live" means its
    ``/sandbox/health`` answers. The key in ``server.json`` is never returned.
    """
    found = _live_sandbox(sandbox_dir() if directory is None else Path(directory))
    return None if found is None else found[0]


def connect(*, api_key: str | None = None, base_url: str | None = None, quiet: bool = False,
            sandbox: bool = False, speed: float | None = None,
            start_sandbox: bool = True, seed_history: int | None = None) -> AstriaClient:
    """A client for the real API when a key is given or set, else for the local sandbox.

    ``sandbox=True`` uses the local sandbox even when ``ASTRIA_API_KEY`` is set (an explicit
    ``api_key`` or ``base_url`` with it is a ``ValueError``). ``speed`` applies only when a new
    in-process sandbox is started; a running sandbox that is reused keeps its own speed, and
    the printed line says so. ``seed_history`` too applies only to a sandbox started here:
    None (the default) seeds the documented history (300 tunes) into a new data folder and
    nothing into an existing one, 0 starts a new folder empty, N tops the account up to N
    tunes. Unless ``quiet``, one line on stderr tells which sandbox is used.
    ``start_sandbox=False`` never starts one in this process: with no live sandbox to reuse it
    raises :class:`NoSandboxRunning` (see :func:`start_sandbox_process`).
    """
    if speed is not None:  # the sandbox's own rule, even for a running sandbox kept as is
        try:
            speed = check_setting("speed", speed)
        except ValueError as exc:
            raise ValueError(f"connect(): {exc}") from None
    if seed_history is not None:  # checked before anything starts, whichever sandbox is used
        try:
            seed_history = check_setting("seed_history", seed_history)
        except ValueError as exc:
            raise ValueError(f"connect(): {exc}") from None
    if sandbox and (api_key is not None or base_url is not None):
        raise ValueError("connect(): sandbox=True picks the local sandbox; "
                         "api_key and base_url cannot be given with it")
    key = None if sandbox else api_key or os.environ.get("ASTRIA_API_KEY")
    if key:
        return AstriaClient(api_key=key, base_url=base_url)
    global _sandbox
    with _lock:
        directory = sandbox_dir()
        if _sandbox is not None and not _sandbox.running:
            _sandbox = None  # stopped by its owner: start afresh rather than use a dead URL
        if _sandbox is not None:
            url, key = _sandbox.url, _sandbox.api_key
            how, note = "using the local sandbox", _speed_note(speed, _sandbox.speed)
        else:
            found = _live_sandbox(directory)
            if found is not None:
                url, key = found
                how, note = "reusing the local sandbox", _speed_note(speed, None)
            elif not start_sandbox:
                raise NoSandboxRunning(f"no local sandbox is running in {directory} "
                                       "(and start_sandbox=False)")
            else:
                from astria_widgets.sandbox import Sandbox

                directory.mkdir(parents=True, exist_ok=True)
                options = {} if speed is None else {"speed": speed}
                seed = history_to_seed(directory, seed_history)  # before the database exists
                _sandbox = Sandbox(data_dir=directory, seed_history=seed, **options)
                _sandbox.start()
                url, key = _sandbox.url, _sandbox.api_key
                how, note = "started the local sandbox", f"; speed {_sandbox.speed:g}"
                if seed and seed_history is None:
                    note += f"; a new data folder: seeded a history of {seed} tunes"
    if not quiet:
        why = "sandbox requested" if sandbox else "no ASTRIA_API_KEY set"
        print(f"astria-widgets: {why}, {how} at {url} (simulated, free){note}",
              file=sys.stderr)
    return _sandbox_client(url, key)


def default_client() -> AstriaClient:
    """The client a view uses when it is given none: ``connect(quiet=True)`` (the real API
    with ``ASTRIA_API_KEY``, else the local sandbox; the view tells which). Models below this
    layer take it as a function (``StudioModel(connect=default_client)``), so the client
    package never imports this module."""
    return connect(quiet=True)


class SandboxProcess:
    """A sandbox running as its own process, started by :func:`start_sandbox_process`.

    ``url`` is where it answers, ``pid`` its process id, ``log_path`` its output;
    :meth:`stop` ends it (SIGTERM, then SIGKILL after ``timeout`` seconds).
    """

    def __init__(self, process: subprocess.Popen[bytes], url: str, data_dir: Path,
                 log_path: Path) -> None:
        self.process = process
        self.url = url
        self.data_dir = data_dir
        self.log_path = log_path

    @property
    def pid(self) -> int:
        """The sandbox process's id."""
        return self.process.pid

    @property
    def running(self) -> bool:
        """True while the process has not exited."""
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """End the process (it removes its ``server.json``); idempotent."""
        if not self.running:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"SandboxProcess(pid={self.pid}, url={self.url!r}, {state})"


def _server_pid(directory: Path) -> int | None:
    try:
        pid = json.loads((directory / "server.json").read_text()).get("pid")
    except (OSError, ValueError, AttributeError):
        return None
    return pid if isinstance(pid, int) else None


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def start_sandbox_process(directory: Path | None = None, *, timeout: float = 60.0,
                          seed_history: int | None = None) -> SandboxProcess:
    """Start the default sandbox as a process of its own and wait until it answers.

    Runs ``python -m astria_widgets.sandbox --data-dir DIR`` (``DIR``: ``directory``, else
    ``$ASTRIA_SANDBOX_DIR`` or ``~/.astria-widgets/sandbox``; a new folder gets the documented
    history, an existing one nothing; ``seed_history=N`` passes ``--seed-history N``) in a
    session of its own, its output in ``DIR/sandbox.log``, and returns once its
    ``server.json`` names it and ``/sandbox/health`` answers; ``connect()`` anywhere then
    reuses it. Raises :class:`SandboxStartError` when it exits or does not answer within
    ``timeout`` seconds (the process is ended then). The caller owns it:
    :meth:`SandboxProcess.stop`.
    """
    if seed_history is not None:
        seed_history = check_setting("seed_history", seed_history)  # ValueError naming it
    directory = Path(directory) if directory is not None else sandbox_dir()
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / "sandbox.log"
    command = [sys.executable, "-m", "astria_widgets.sandbox", "--data-dir", str(directory)]
    if seed_history is not None:
        command += ["--seed-history", str(seed_history)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = _log_tail(log_path)
            raise SandboxStartError(
                f"the local sandbox exited at start (status {process.returncode}); "
                f"its log ({log_path}) ends with: {tail or '(nothing)'}")
        if _server_pid(directory) == process.pid:
            found = _live_sandbox(directory)
            if found is not None:
                return SandboxProcess(process, found[0], directory, log_path)
        time.sleep(0.2)
    SandboxProcess(process, "", directory, log_path).stop()
    raise SandboxStartError(f"the local sandbox did not answer within {timeout:g} s; "
                            f"see its log {log_path}")


@contextmanager
def temporary_sandbox(*, speed: float | None = None) -> Iterator[AstriaClient]:
    """A client for a sandbox of its own: in this process, on a temporary data folder, with an
    empty account; stopped and its folder removed on exit (``astria-widgets check`` uses it).

    ``speed``: the sandbox's speed (default: the sandbox's own, 60). Nothing of the default
    sandbox (``server.json``, its data) is read or changed.
    """
    from astria_widgets.sandbox import Sandbox

    options = {} if speed is None else {"speed": check_setting("speed", speed)}
    with tempfile.TemporaryDirectory(prefix="astria-sandbox-") as folder:
        with Sandbox(data_dir=Path(folder), seed_history=0, **options) as sandbox:
            client = _sandbox_client(sandbox.url, sandbox.api_key)
            try:
                yield client
            finally:
                client.close()
