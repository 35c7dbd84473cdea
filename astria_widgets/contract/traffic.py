"""Checking live traffic against the contract: an observer for ``client.transport.observe``.

:func:`request_params` reads what a request sent as the API reads it (Rack): the query string
and the body (a JSON body as it is; a form or multipart body's bracketed fields through
``encoding.unflatten``, a file part as ``{filename, content_type, size}``).
:class:`TrafficCheck` is the observer: for each exchange it finds the endpoint and checks

- the request, when the API accepted it (2xx): a request the API refused (4xx) is the API's
  own validation at work (tests send such requests on purpose), so it is counted, not checked;
- the answer's status and body, when it is a 2xx answer the check is asked to trust
  (``answers``: ``"sandbox"``, answers carrying the sandbox's ``X-Astria-Sandbox`` header, so
  a test's scripted fake answer is not held to the contract; or ``"all"``).

Everything found is kept as :class:`Finding` records (the differences and where they came from)
and handed to ``on_finding`` when given. Counts say how much was checked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from astria_widgets.client import encoding
from astria_widgets.client.transport import Exchange
from astria_widgets.contract.schema import Contract, Difference, Endpoint, load_contract

SANDBOX_HEADER = "X-Astria-Sandbox"


class OpaqueBody(ValueError):
    """A request body that cannot be read back (a stream, a generator): not checked."""


def _field_value(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) >= 2:  # (filename, data[, content_type])
        data = value[1]
        size = len(data) if isinstance(data, (bytes, bytearray, str)) else 0
        content_type = value[2] if len(value) > 2 and isinstance(value[2], str) else ""
        return {"filename": str(value[0]), "content_type": content_type, "size": size}
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _pairs(value: Any) -> list[tuple[str, Any]]:
    """The (name, value) fields of a query or form body as given to ``requests``."""
    if value is None:
        return []
    encoder = getattr(value, "encoder", value)  # a MultipartEncoderMonitor wraps the encoder
    fields = getattr(encoder, "fields", None)
    if fields is not None:
        value = fields
    if isinstance(value, (bytes, str)):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        return parse_qsl(text, keep_blank_values=True)
    if isinstance(value, Mapping):
        items: Iterable[Any] = value.items()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise OpaqueBody(f"a {type(value).__name__} body cannot be read back")
    out = []
    for name, item in items:
        if isinstance(item, list):
            out.extend((str(name), _field_value(v)) for v in item)
        else:
            out.append((str(name), _field_value(item)))
    return out


def sent_params(url: str, params: Any = None, json: Any = None,
                data: Any = None) -> dict[str, Any]:
    """What a request sends (``requests``' ``params``, ``json``, ``data``) as one tree of
    parameters, query and body merged, as the API reads them.

    Raises :class:`OpaqueBody` for a body given as a stream (its fields are not known).
    """
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    fields = query + _pairs(params)
    if isinstance(json, Mapping):
        tree = encoding.unflatten(fields)
        tree.update(json)
        return tree
    return encoding.unflatten(fields + _pairs(data))


def request_params(exchange: Exchange) -> dict[str, Any]:
    """What ``exchange`` sent, as :func:`sent_params` reads it."""
    return sent_params(exchange.url, exchange.params, exchange.json, exchange.data)


def answer_body(exchange: Exchange) -> Any:
    """The answer's decoded JSON, or None for an empty body."""
    response = exchange.response
    if not response.content:
        return None
    return response.json()


@dataclass(frozen=True)
class Finding:
    """Differences found in one exchange: the endpoint, the status and what differs."""

    endpoint: str
    method: str
    path: str
    status: int
    differences: tuple[Difference, ...]

    def text(self) -> str:
        """A few lines naming the exchange and each difference (fields and types only)."""
        head = f"{self.method} {self.path} ({self.endpoint}, HTTP {self.status}):"
        return "\n".join([head] + [f"  {d.line()}" for d in self.differences])


@dataclass
class Counts:
    """How much traffic a :class:`TrafficCheck` saw and checked."""

    requests_checked: int = 0
    responses_checked: int = 0
    refused: int = 0
    unchecked_answers: int = 0
    opaque: int = 0
    outside: int = 0
    seconds: float = 0.0
    by_endpoint: dict[str, int] = field(default_factory=dict)


class TrafficCheck:
    """An observer checking every API exchange against the contract (see the module doc).

    ``answers``: ``"sandbox"`` or ``"all"`` (which 2xx answers are checked). ``transports``:
    only exchanges of these transports (default: all). ``on_finding(finding)`` is called for
    every exchange that differs; findings are also kept in :attr:`findings`.
    """

    def __init__(self, contract: Contract | None = None, *, answers: str = "sandbox",
                 transports: Iterable[Any] | None = None,
                 on_finding: Callable[[Finding], Any] | None = None) -> None:
        if answers not in ("sandbox", "all"):
            raise ValueError(f"answers: 'sandbox' or 'all', not {answers!r}")
        self.contract = contract or load_contract()
        self.answers = answers
        self.transports = None if transports is None else list(transports)
        self.on_finding = on_finding
        self.counts = Counts()
        self.findings: list[Finding] = []
        self.bodies: list[tuple[Endpoint, Any]] = []
        self.keep_bodies = False
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        """Check one exchange (the observer entry point)."""
        started = time.perf_counter()
        try:
            self._check(exchange)
        finally:
            spent = time.perf_counter() - started
            with self._lock:
                self.counts.seconds += spent

    def _check(self, exchange: Exchange) -> None:
        if self.transports is not None and not any(exchange.transport is t
                                                   for t in self.transports):
            return
        path = urlsplit(exchange.url).path or "/"
        prefix = urlsplit(exchange.transport.base_url).path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix):]
        endpoint = self.contract.endpoint(exchange.method, path)
        if endpoint is None:
            with self._lock:
                self.counts.outside += 1
            return
        status = exchange.response.status_code
        differences: list[Difference] = []
        checked_request = checked_answer = False
        opaque = False
        if status < 400:
            try:
                params = request_params(exchange)
            except OpaqueBody:
                opaque = True
            else:
                differences += self.contract.request_differences(endpoint, params)
                checked_request = True
        body = None
        trusted = self.answers == "all" or (
            exchange.response.headers.get(SANDBOX_HEADER) == "1")
        if 200 <= status < 300 and trusted:
            if status not in endpoint.status:
                differences.append(Difference(
                    endpoint.label, "response", "(status)", "value",
                    " or ".join(str(s) for s in endpoint.status), str(status)))
            try:
                body = answer_body(exchange)
            except ValueError:
                differences.append(Difference(endpoint.label, "response", "(body)", "type",
                                              "JSON", "not JSON"))
            else:
                differences += self.contract.response_differences(endpoint, body)
            checked_answer = True
        finding = None
        if differences:
            finding = Finding(endpoint.id, exchange.method, path, status, tuple(differences))
        with self._lock:
            self.counts.requests_checked += checked_request
            self.counts.responses_checked += checked_answer
            self.counts.refused += status >= 400
            self.counts.opaque += opaque
            self.counts.unchecked_answers += 200 <= status < 300 and not checked_answer
            self.counts.by_endpoint[endpoint.id] = self.counts.by_endpoint.get(endpoint.id,
                                                                               0) + 1
            if checked_answer and self.keep_bodies:
                self.bodies.append((endpoint, body))
            if finding is not None:
                self.findings.append(finding)
        if finding is not None and self.on_finding is not None:
            self.on_finding(finding)
