"""``Sandbox``: the sandbox's Flask app served by Werkzeug on a thread, with its ticker.

Writes ``<data_dir>/server.json`` (``url``, ``api_key``, ``pid``) while running so that other
processes (``connect()``, ``astria-widgets sync``) find it; every sandbox still running at
interpreter exit is stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .callbacks import CallbackRecord
from .lifecycle import NowSetting, Ticker, wall_clock
from .options import check
from .seed import seed_history as _seed_history
from .state import DB_NAME, SandboxConfig, SandboxState

SERVER_FILE = "server.json"


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without per-request access logging."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _listen(host: str, port: int, app: Any, handler: type[WSGIRequestHandler]) -> BaseWSGIServer:
    """Werkzeug's threaded server on ``host:port``; an ``OSError`` naming them when it cannot
    listen (Werkzeug itself prints the reason and calls ``sys.exit``, even in a notebook)."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            server = make_server(host, port, app, threaded=True, request_handler=handler)
    except SystemExit:
        reason = (said.getvalue().strip().splitlines() or ["not available"])[0]
        raise OSError(f"cannot serve on {host}:{port}: {reason}") from None
    sys.stderr.write(said.getvalue())
    return server


class Sandbox:
    """An in-process sandbox server: a context manager, or ``start()`` / ``stop()``.

    ``speed``: times faster than the real service. ``seed_history``: historical tunes to
    add to the default account. ``faults``: fraction of API requests that get a random
    fault. Keyword-only extras: ``allow_remote_callbacks`` (default False: callbacks go to
    loopback only), ``max_upload_bytes`` (413 above it; default 64 MiB), ``retry_after``
    (seconds a 429 asks for; default 0.1), ``slow_delay`` (seconds a "slow" fault waits;
    default 0.5), ``idempotency`` (title/attribute idempotency of creates; default False),
    ``fault_seed`` (makes random faults reproducible), ``latency`` (seconds added before every
    answer, files included, as a far service would; default 0; settable on a running sandbox),
    ``history_seed``, ``access_log``,
    ``duration_spread`` (``(low, high)``: actual training durations are the estimate times a
    factor in that range, default ``(0.8, 1.2)``; settable on a running sandbox, for tunes
    created afterwards),
    ``now`` (the sandbox's clock: a timezone-aware datetime or epoch seconds it starts from
    at ``start()`` and ticks on from in real time, or a callable returning epoch seconds;
    default the process clock). Every sandbox time (created_at, eta, expiry, seeding,
    callbacks) is read from that one clock, so tests pin dates with
    ``Sandbox(now=datetime(2025, 6, 15, 12, tzinfo=timezone.utc))``.
    """

    def __init__(
        self, port: int = 0, data_dir: str | os.PathLike[str] | None = None,
        api_key: str | None = None, speed: float = 60.0, seed_history: int = 0,
        faults: float = 0.0, host: str = "127.0.0.1", *, allow_remote_callbacks: bool = False,
        max_upload_bytes: int = 64 * 1024 * 1024, retry_after: float = 0.1,
        slow_delay: float = 0.5, idempotency: bool = False, fault_seed: int | None = None,
        history_seed: int = 0, access_log: bool = False, latency: float = 0.0,
        duration_spread: tuple[float, float] = (0.8, 1.2), now: NowSetting = None,
    ) -> None:
        # every setting is checked (options.RULES) before anything is made on disk
        if api_key is not None:
            check("api_key", api_key)
        if data_dir is not None:
            check("data_dir", data_dir)
        settings = {"host": host, "port": port, "speed": speed, "faults": faults,
                    "seed_history": seed_history, "retry_after": retry_after,
                    "slow_delay": slow_delay, "max_upload_bytes": max_upload_bytes,
                    "latency": latency,
                    "duration_spread": duration_spread}
        checked = {name: check(name, value) for name, value in settings.items()}
        wall_clock(now)  # a bad ``now`` fails here, naming the parameter, not at start()
        self._temp_dir = data_dir is None
        self.data_dir = Path(
            tempfile.mkdtemp(prefix="astria-sandbox-") if data_dir is None else data_dir
        ).expanduser().resolve()
        self.api_key = api_key or "sandbox"
        self.host = host
        self.port: int = checked["port"]
        self.speed: float = checked["speed"]
        self.seed_history_count: int = checked["seed_history"]
        self.history_seed = history_seed
        self.access_log = access_log
        self.config = SandboxConfig(
            data_dir=self.data_dir, api_key=self.api_key, speed=self.speed,
            faults=checked["faults"], allow_remote_callbacks=allow_remote_callbacks,
            max_upload_bytes=checked["max_upload_bytes"], retry_after=checked["retry_after"],
            slow_delay=checked["slow_delay"], idempotency=idempotency, fault_seed=fault_seed,
            latency=checked["latency"],
            duration_spread=checked["duration_spread"], now=now,
        )
        self._state: SandboxState | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._ticker: Ticker | None = None
        self._lock = threading.Lock()

    @property
    def duration_spread(self) -> tuple[float, float]:
        """Range of actual training durations, as factors of the estimate."""
        return self.config.duration_spread

    @duration_spread.setter
    def duration_spread(self, spread: tuple[float, float]) -> None:
        self.config.duration_spread = check("duration_spread", spread)
        if self._state is not None:
            self._state.clock.spread = self.config.duration_spread

    @property
    def latency(self) -> float:
        """Seconds added before every answer (API and files; not the ``/sandbox/*`` routes)."""
        return self.config.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.config.latency = check("latency", seconds)
        if self._state is not None:
            self._state.faults.latency = self.config.latency

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start serving (idempotent); returns self."""
        with self._lock:
            if self._server is not None:
                return self
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                state = SandboxState(self.config)
            except sqlite3.Error as exc:  # a file that is not our database, a folder...
                raise OSError(f"cannot open {self.data_dir / DB_NAME}: {exc}") from exc
            try:
                # Werkzeug's access log shows method, path and status, never headers (the key)
                handler = WSGIRequestHandler if self.access_log else _QuietHandler
                server = _listen(self.host, self.port, create_app(self.config, state), handler)
            except BaseException:
                state.close()
                raise
            self.port = server.server_port
            shown = "127.0.0.1" if self.host == "0.0.0.0" else self.host
            shown = f"[{shown}]" if ":" in shown else shown
            self.config.public_url = f"http://{shown}:{self.port}"
            self._state, self._server = state, server
            if self.seed_history_count:
                user = state.store.user_by_key(self.api_key)
                _seed_history(state.store, state.clock, user["id"], self.seed_history_count,
                              seed=self.history_seed)
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1},
                name=f"astria-sandbox-{self.port}", daemon=True)
            self._thread.start()
            self._ticker = Ticker(state.tick, self.config.tick_interval)
            self._ticker.start()
            self._write_server_file()
            _LIVE.add(self)
        return self

    def stop(self) -> None:
        """Stop serving: shut the server down, stop the ticker, close SQLite (idempotent)."""
        with self._lock:
            if self._server is None:
                return
            server, self._server = self._server, None
            server.shutdown()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            if self._ticker is not None:
                self._ticker.stop()
            if self._state is not None:
                self._state.close()
                self._state = None
            self._remove_server_file()
            _LIVE.discard(self)
            if self._temp_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<Sandbox {where} data_dir={str(self.data_dir)!r} speed={self.speed:g}>"

    # -- properties --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._server is not None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        if not self.config.public_url:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self.config.public_url

    @property
    def state(self) -> SandboxState:
        """The running sandbox's state (store, clock, faults, callbacks)."""
        if self._state is None:
            raise RuntimeError("the sandbox is not running")
        return self._state

    # -- accounts, history, faults ------------------------------------------------------------

    def create_user(self, api_key: str | None = None) -> str:
        """A fresh account with isolated data; returns its API key."""
        key = check("api_key", api_key or "sb_" + secrets.token_hex(12))
        self.state.store.ensure_user(key, "Sandbox user", f"{key[:11]}@example.invalid",
                                     self.state.now())
        return key

    def seed_history(self, n: int, *, api_key: str | None = None, seed: int = 0) -> int:
        """Top an account (default: ``api_key``) up to ``n`` seeded tunes; returns added."""
        user = self.state.store.user_by_key(api_key or self.api_key)
        if user is None:
            raise ValueError("unknown account")
        return _seed_history(self.state.store, self.state.clock, user["id"], n, seed=seed)

    def fail_next(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` API requests fail with ``kind`` (see ``faults.KINDS``)."""
        self.state.faults.fail_next(kind, count)

    def set_faults(self, rate: float) -> None:
        """Random faults on this fraction (0..1) of API requests."""
        rate = check("faults", rate)
        self.state.faults.set_rate(rate)
        self.config.faults = rate

    def clear_faults(self) -> None:
        """Forget queued faults and stop random ones."""
        self.state.faults.clear()
        self.config.faults = 0.0

    @property
    def requests_answered(self) -> int:
        """API requests this sandbox answered so far (its ``/sandbox/*`` routes excepted)."""
        return self.state.faults.answered

    @property
    def fault_stats(self) -> dict[str, int]:
        """Faults injected so far, by kind (every kind present)."""
        return self.state.faults.stats

    @property
    def callback_log(self) -> list[CallbackRecord]:
        """Every callback attempt: url, kind, object id, outcome (sent/failed/refused)."""
        return list(self.state.callbacks.log)

    # -- server.json ---------------------------------------------------------------------------

    def _server_file(self) -> Path:
        return self.data_dir / SERVER_FILE

    def _write_server_file(self) -> None:
        data = {"url": self.url, "api_key": self.api_key, "pid": os.getpid()}
        tmp = self._server_file().with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self._server_file())

    def _remove_server_file(self) -> None:
        path = self._server_file()
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        if data.get("url") == self.config.public_url and data.get("pid") == os.getpid():
            path.unlink(missing_ok=True)


_LIVE: weakref.WeakSet[Sandbox] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for sandbox in list(_LIVE):
        try:
            sandbox.stop()
        except Exception:  # best effort at interpreter exit
            pass
