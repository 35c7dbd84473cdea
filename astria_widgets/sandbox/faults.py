"""Fault injection: make API requests fail the ways the real service (and networks) do.

Kinds (``KINDS``):

- ``"429"``: answered at once, BEFORE processing, with ``Retry-After`` (see below);
- ``"500"``, ``"502"``, ``"503"``: answered at once, BEFORE processing;
- ``"504"``: the request IS processed (a create really creates), then the answer is replaced
  by a 504 (the documented "most likely was processed" case);
- ``"drop"``: the request IS processed, then the TCP connection is shut down without any
  response, so the client sees a connection error (``requests.ConnectionError``);
- ``"slow"``: waits ``slow_delay`` seconds, then answers normally.

Apart from faults, ``latency`` (seconds, default 0) delays EVERY answer, API and ``/files/*``
alike (only the sandbox's own ``/sandbox/*`` control routes answer at once), as a far service
would: ``Sandbox(latency=0.3)``, ``sb.latency = 2`` on a running sandbox, ``--latency 0.3``.

Faults come from a queue (``fail_next(kind, count)``) first, else at random with probability
``rate`` (the kind chosen uniformly). Only API requests are eligible: ``/sandbox/*`` (health,
fault control) and ``/files/*`` are never faulted.

``Retry-After``: HTTP allows only whole seconds (RFC 9110 delay-seconds; urllib3's ``Retry``
raises ``InvalidHeader`` on ``0.1``), so the header carries ``int(retry_after)`` (``0`` for the
default 0.1 s) and the exact float is in the header ``X-Sandbox-Retry-After`` and in the JSON
body as ``retry_after``.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from typing import Any

from .options import check

KINDS = ("429", "500", "502", "503", "504", "drop", "slow")
BEFORE = {"429", "500", "502", "503"}
MESSAGES = {
    "429": "Too many requests (sandbox fault injection); retry after the Retry-After delay",
    "500": "Internal server error (sandbox fault injection)",
    "502": "Bad gateway (sandbox fault injection)",
    "503": "Service unavailable (sandbox fault injection)",
    "504": "Gateway timeout (sandbox fault injection): the request was processed",
}
REASONS = {
    "429": "429 TOO MANY REQUESTS", "500": "500 INTERNAL SERVER ERROR",
    "502": "502 BAD GATEWAY", "503": "503 SERVICE UNAVAILABLE", "504": "504 GATEWAY TIMEOUT",
}
EXEMPT_PREFIXES = ("/sandbox/", "/files/")


class FaultInjector:
    """Decides which request gets which fault; thread-safe; counts what it injected."""

    def __init__(
        self, rate: float = 0.0, *, retry_after: float = 0.1, slow_delay: float = 0.5,
        seed: int | None = None, latency: float = 0.0,
    ) -> None:
        self._lock = threading.Lock()
        self._queue: deque[str] = deque()
        self._random = random.Random(seed)
        self._stats: Counter[str] = Counter()
        self.rate = 0.0
        self.set_rate(rate)
        self.retry_after: float = check("retry_after", retry_after)
        self.slow_delay: float = check("slow_delay", slow_delay)
        #: seconds added before every answer but the ``/sandbox/*`` routes' (module docstring)
        self.latency: float = check("latency", latency)
        #: requests being answered now, and the most at once since :meth:`reset_peak`
        self.in_flight = 0
        self.peak_in_flight = 0
        #: requests answered (or being answered) since start, ``/sandbox/*`` routes excepted
        self.answered = 0

    def reset_peak(self) -> None:
        """Start counting :attr:`peak_in_flight` afresh."""
        with self._lock:
            self.peak_in_flight = self.in_flight

    def entered(self) -> None:
        """One more request is being answered."""
        with self._lock:
            self.in_flight += 1
            self.answered += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def left(self) -> None:
        """One request was answered."""
        with self._lock:
            self.in_flight -= 1

    def set_rate(self, rate: float) -> None:
        """Random faults on this fraction (0..1) of eligible requests."""
        self.rate = check("faults", rate)

    def fail_next(self, kind: str, count: int = 1) -> None:
        """Queue ``count`` faults of ``kind`` for the next eligible requests."""
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if count < 0:
            raise ValueError("count must not be negative")
        with self._lock:
            self._queue.extend([kind] * int(count))

    def clear(self) -> None:
        """Forget queued faults and set the rate to 0."""
        with self._lock:
            self._queue.clear()
            self.rate = 0.0

    def pending(self) -> list[str]:
        """Faults still queued."""
        with self._lock:
            return list(self._queue)

    @property
    def stats(self) -> dict[str, int]:
        """Injected faults by kind (every kind present)."""
        with self._lock:
            return {kind: self._stats[kind] for kind in KINDS}

    def decide(self) -> str | None:
        """The fault for the next eligible request, or None."""
        with self._lock:
            if self._queue:
                kind = self._queue.popleft()
            elif self.rate and self._random.random() < self.rate:
                kind = self._random.choice(KINDS)
            else:
                return None
            self._stats[kind] += 1
            return kind


def _json_response(
    start_response: Callable, kind: str, retry_after: float
) -> list[bytes]:
    body: dict[str, Any] = {"error": MESSAGES[kind]}
    headers = [("Content-Type", "application/json"), ("X-Astria-Sandbox", "1"),
               ("X-Sandbox-Fault", kind)]
    if kind == "429":
        body["retry_after"] = retry_after
        headers += [("Retry-After", str(int(retry_after))),
                    ("X-Sandbox-Retry-After", f"{retry_after:g}")]
    data = json.dumps(body).encode()
    headers.append(("Content-Length", str(len(data))))
    start_response(REASONS[kind], headers)
    return [data]


class FaultMiddleware:
    """WSGI middleware applying the injector's decision around the real application."""

    def __init__(self, app: Callable, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/sandbox/"):
            return self._answer(environ, start_response, path)
        self.injector.entered()
        try:
            return self._answer(environ, start_response, path)
        finally:
            self.injector.left()

    def _answer(self, environ: dict, start_response: Callable, path: str) -> Iterable[bytes]:
        latency = self.injector.latency
        if latency and not path.startswith("/sandbox/"):
            time.sleep(latency)
        if path.startswith(EXEMPT_PREFIXES) or path == "/sandbox/health":
            return self.app(environ, start_response)
        kind = self.injector.decide()
        if kind is None:
            return self.app(environ, start_response)
        if kind in BEFORE:
            return _json_response(start_response, kind, self.injector.retry_after)
        if kind == "slow":
            time.sleep(self.injector.slow_delay)
            return self.app(environ, start_response)
        # 504 and drop: process fully, then withhold the answer.
        self._process(environ)
        if kind == "504":
            return _json_response(start_response, kind, self.injector.retry_after)
        self._drop(environ)
        raise ConnectionAbortedError("sandbox fault injection: connection dropped")

    def _process(self, environ: dict) -> None:
        """Run the request through the application and throw its answer away."""

        def discard(status: str, headers: list, exc_info: Any = None) -> Callable:
            return lambda data: None

        result = self.app(environ, discard)
        try:
            for _ in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    @staticmethod
    def _drop(environ: dict) -> None:
        sock = environ.get("werkzeug.socket")
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
