"""``connect()``: a ready client for the real API when a key is set, else the local sandbox.

Without ``ASTRIA_API_KEY`` (or with ``sandbox=True``) it reuses a live sandbox described by
``server.json`` in ``$ASTRIA_SANDBOX_DIR`` (default ``~/.astria-widgets/sandbox``), or starts
one in-process and keeps it for the life of the Python process; one started on a new data
folder seeds the documented history (300 tunes over the past year), as the
``astria-widgets sandbox`` command does. This is the only place the client side imports the
sandbox (its default data directory; the server only when one starts). Its one-line notice
goes to stderr, so ``ID=$(python -c ...)`` captures only what the code prints.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from astria_widgets.client import AstriaClient, PollPolicy
from astria_widgets.sandbox.cli import default_data_dir as sandbox_dir
from astria_widgets.sandbox.cli import history_to_seed

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


def connect(*, api_key: str | None = None, base_url: str | None = None, quiet: bool = False,
            sandbox: bool = False, speed: float | None = None,
            seed_history: int | None = None) -> AstriaClient:
    """A client for the real API when a key is given or set, else for the local sandbox.

    ``sandbox=True`` uses the local sandbox even when ``ASTRIA_API_KEY`` is set (an explicit
    ``api_key`` or ``base_url`` with it is a ``ValueError``). ``speed`` applies only when a new
    in-process sandbox is started; a running sandbox that is reused keeps its own speed, and
    the printed line says so. ``seed_history`` too applies only to a sandbox started here:
    None (the default) seeds the documented history (300 tunes) into a new data folder and
    nothing into an existing one, 0 starts a new folder empty, N tops the account up to N
    tunes. Unless ``quiet``, one line on stderr tells which sandbox is used.
    """
    if speed is not None and speed <= 0:
        raise ValueError("connect(): speed must be positive")
    if seed_history is not None:  # checked before anything starts, whichever sandbox is used
        try:
            history_to_seed(sandbox_dir(), seed_history)
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
