"""``connect()``: a ready client for the real API when a key is set, else the local sandbox.

Without ``ASTRIA_API_KEY`` it reuses a live sandbox described by ``server.json`` in
``$ASTRIA_SANDBOX_DIR`` (default ``~/.astria-widgets/sandbox``), or starts one in-process
and keeps it for the life of the Python process. This is the only place the client side
imports the sandbox (its default data directory; the server itself only when one starts).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from astria_widgets.client import AstriaClient, PollPolicy
from astria_widgets.sandbox.cli import default_data_dir as sandbox_dir

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


def connect(*, api_key: str | None = None, base_url: str | None = None,
            quiet: bool = False) -> AstriaClient:
    """A client for the real API when a key is given or set, else for the local sandbox."""
    key = api_key or os.environ.get("ASTRIA_API_KEY")
    if key:
        return AstriaClient(api_key=key, base_url=base_url)
    global _sandbox
    with _lock:
        directory = sandbox_dir()
        if _sandbox is not None:
            url, key = _sandbox.url, _sandbox.api_key
            how = "using the local sandbox"
        else:
            found = _live_sandbox(directory)
            if found is not None:
                url, key = found
                how = "reusing the local sandbox"
            else:
                from astria_widgets.sandbox import Sandbox

                directory.mkdir(parents=True, exist_ok=True)
                _sandbox = Sandbox(data_dir=directory)
                _sandbox.start()
                url, key = _sandbox.url, _sandbox.api_key
                how = "started the local sandbox"
    if not quiet:
        print(f"astria-widgets: no ASTRIA_API_KEY set, {how} at {url} (simulated, free)")
    return _sandbox_client(url, key)
