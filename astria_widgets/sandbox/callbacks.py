"""POSTing finished objects to callback URLs.

Bodies are wrapped in their root key, as Astria's reference app expects (Ambiguity #27: chose
the wrapped envelope): ``{"tune": {...}}``, ``{"prompt": {...}}``; a pack's
``prompts_callback`` gets the bare JSON array of the run's prompts. Callbacks go only to
loopback addresses (every address the host resolves to must be loopback) unless the sandbox
was started with ``allow_remote_callbacks=True``; refused ones are recorded, not sent.
Redirects are not followed (a redirect could leave loopback). Failures are recorded and not
retried, as documented. Sending happens on a small thread pool, never on a request thread.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests


@dataclass(frozen=True)
class CallbackRecord:
    """What happened to one callback: ``outcome`` is sent, failed or refused."""

    url: str
    kind: str
    object_id: int
    outcome: str
    status: int | None
    detail: str


def is_loopback_url(url: str) -> bool:
    """True when every address the URL's host resolves to is a loopback address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    try:
        return bool(addresses) and all(
            ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses
        )
    except ValueError:
        return False


class CallbackSender:
    """Sends callbacks on a thread pool and keeps a log of outcomes."""

    def __init__(self, allow_remote: bool = False, timeout: float = 5.0) -> None:
        self.allow_remote = allow_remote
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-callback")
        self._lock = threading.Lock()
        self.log: list[CallbackRecord] = []

    def submit(self, url: str, kind: str, object_id: int, body: Any) -> None:
        """Queue one POST (non-blocking)."""
        try:
            self._pool.submit(self._send, url, kind, object_id, body)
        except RuntimeError:  # pool shut down: the sandbox is stopping
            pass

    def shutdown(self) -> None:
        """Stop accepting callbacks; waits briefly for those in flight."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _record(self, *args: Any) -> None:
        with self._lock:
            self.log.append(CallbackRecord(*args))

    def _send(self, url: str, kind: str, object_id: int, body: Any) -> None:
        if not self.allow_remote and not is_loopback_url(url):
            self._record(url, kind, object_id, "refused", None,
                         "not a loopback address (allow_remote_callbacks is off)")
            return
        try:
            response = requests.post(url, json=body, timeout=self.timeout, allow_redirects=False,
                                     headers={"User-Agent": "astria-sandbox"})
        except (requests.RequestException, ValueError) as exc:
            self._record(url, kind, object_id, "failed", None, type(exc).__name__)
            return
        with response:
            sent = 200 <= response.status_code < 300  # a redirect could leave loopback
            self._record(url, kind, object_id, "sent" if sent else "failed",
                         response.status_code, "" if sent else response.reason)
