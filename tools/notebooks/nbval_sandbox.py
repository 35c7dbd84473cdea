"""A pytest plugin that starts the sandbox the example notebooks talk to under nbval.

It lives outside ``notebooks/`` (which holds the notebooks and their images only), so it is
loaded by name rather than as a conftest, from the repository root::

    python -m pytest -p tools.notebooks.nbval_sandbox --nbval --nbval-current-env \
        --nbval-sanitize-with tools/notebooks/nbval-sanitize.cfg notebooks/

(``python -m`` puts the working directory on ``sys.path``, where the ``tools`` package is.)

nbval items get no pytest fixtures (not even autouse ones), so the sandbox is started in
``pytest_sessionstart`` and handed to the kernels through the environment they inherit:
``ASTRIA_SANDBOX_DIR`` points at its data directory, where ``connect()`` finds its
``server.json``. The key and base URL variables are removed, so no notebook can reach the real
API from a test run.

``ASTRIA_NBVAL_REUSE_SANDBOX=1`` makes the run use the sandbox already live in
``$ASTRIA_SANDBOX_DIR`` instead (the Binder test runs the notebooks against the one that
``binder/start`` launched). ``ASTRIA_NBVAL_SPEED`` overrides the simulation speed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import requests

NBVAL_SPEED = 600.0  # a standard tune trains in about 2 s
SEED_HISTORY = 300  # the analysis notebook needs a history of several hundred tunes

_state: dict[str, Any] = {}


def _live_sandbox_url(data_dir: Path) -> str | None:
    """The URL of a sandbox answering from ``data_dir/server.json``, else None."""
    try:
        url = json.loads((data_dir / "server.json").read_text())["url"]
        answer = requests.get(f"{url}/sandbox/health", timeout=5)
        return url if answer.ok and answer.json().get("ok") else None
    except (OSError, ValueError, KeyError, requests.RequestException):
        return None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start (or find) the sandbox before any kernel is spawned."""
    os.environ.pop("ASTRIA_API_KEY", None)
    os.environ.pop("ASTRIA_BASE_URL", None)
    if os.environ.get("ASTRIA_NBVAL_REUSE_SANDBOX") == "1":
        data_dir = Path(os.environ.get("ASTRIA_SANDBOX_DIR", ""))
        url = _live_sandbox_url(data_dir)
        if url is None:
            raise pytest.UsageError(
                f"ASTRIA_NBVAL_REUSE_SANDBOX=1 but no live sandbox in {data_dir!s} "
                "(ASTRIA_SANDBOX_DIR)"
            )
        print(f"\nnotebooks run against the running sandbox at {url}")
        return

    from astria_widgets.sandbox import Sandbox

    data_dir = Path(tempfile.mkdtemp(prefix="astria-nbval-"))
    speed = float(os.environ.get("ASTRIA_NBVAL_SPEED", NBVAL_SPEED))
    sandbox = Sandbox(port=0, data_dir=data_dir, speed=speed, seed_history=SEED_HISTORY)
    sandbox.start()
    _state.update(sandbox=sandbox, data_dir=data_dir)
    os.environ["ASTRIA_SANDBOX_DIR"] = str(data_dir)
    print(f"\nnotebooks run against a sandbox at {sandbox.url} (speed {speed:g})")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the sandbox this run started and remove its data."""
    sandbox = _state.pop("sandbox", None)
    if sandbox is not None:
        sandbox.stop()
        shutil.rmtree(_state.pop("data_dir"), ignore_errors=True)
