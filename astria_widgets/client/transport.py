"""HTTP transport: one pooled session, retries by the API's rules, the one request choke point.

- Reads (GET/DELETE...) are retried by urllib3's ``Retry`` mounted through ``HTTPAdapter``:
  429/500/502/503/504 and connection errors, ``Retry-After`` honoured (capped), short
  exponential backoff. ``POST`` is never retried there.
- Creates go through :meth:`Transport.create`: a 429 means "not processed", so it waits and
  resends; after a 5xx, a dropped connection or a read timeout the object may exist, so it
  waits (30 s after a 500/502/503, 60 s after a 504 or a lost answer, per the docs), then asks
  ``find_existing`` whether the object was made, and only resends when it was not (bounded).
  400/401/404/422 are never retried.
- Every call goes through :meth:`Transport.send`, which passes a timeout, adds the bearer
  key only for the API's own origin, and maps failures to :mod:`~astria_widgets.client.errors`.

Which URL gets the key (:func:`origin`): the origin is read from the URL *as requests prepares it*
(urllib3's parser, then the same ``urlsplit`` requests' adapter picks its connection by), and
both readings must agree. A URL with credentials in it never gets the key. A request that carries
the key follows no redirect on its own: :meth:`Transport.send` follows it and decides the key
again for the new URL, so a redirect from the API host to another host sends nothing secret.

Observers (:func:`observe`): a callback registered there sees every API exchange of every
transport (an :class:`Exchange`: the request as given to ``requests`` and the final answer,
error answers too); the API contract (:mod:`astria_widgets.contract`) checks traffic with it.
An exchange is a request to the API's own origin whose answer is JSON or empty, so a
downloaded file (a picture, a video) is none, wherever it is served from.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from astria_widgets._version import __version__
from astria_widgets.client import errors as E
from astria_widgets.client.executor import RequestGate
from astria_widgets.client.status import parse_http_date

USER_AGENT = f"astria-widgets/{__version__} (+python-requests)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
log = logging.getLogger(__name__)


def origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` that a request to ``url`` connects to, or None when unsure.

    The URL is prepared as ``requests`` prepares it (urllib3's ``parse_url``, which is what
    decides the host: a backslash ends the authority there, not in ``urllib.parse``), then read
    with ``urlsplit`` as requests' adapter does to choose its connection. None when the URL
    cannot be prepared, the two readings differ, the port is invalid, or the URL carries a user
    name or password (such a URL is never the API's). Host names compare in lower case; a
    missing port is the scheme's default.
    """
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        final = str(prepared.url)
        split, parsed = urlsplit(final), parse_url(final)
        port = split.port
    except (requests.RequestException, ValueError, UnicodeError):
        return None
    if split.username is not None or split.password is not None or parsed.auth is not None:
        return None
    scheme = (split.scheme or "").lower()
    host = (split.hostname or "").lower()
    other_host = (parsed.host or "").lower().strip("[]")
    port = port if port is not None else DEFAULT_PORTS.get(scheme)
    other_port = parsed.port if parsed.port is not None else DEFAULT_PORTS.get(scheme)
    if not host or host != other_host or port is None or port != other_port:
        return None
    return scheme, host, port


@dataclass(frozen=True)
class Exchange:
    """One API request a transport sent and the answer it got, as :func:`observe` reports it.

    ``params``, ``json`` and ``data`` are what was given to ``requests`` (``data`` may be a
    streamed multipart body that has been read; its fields are still there); ``response`` is
    the final answer (after redirects), 2xx or not.
    """

    transport: Transport
    method: str
    url: str
    params: Any
    json: Any
    data: Any
    response: requests.Response


Observer = Callable[[Exchange], Any]
_observers: tuple[Observer, ...] = ()
_observers_lock = threading.Lock()


def observe(callback: Observer) -> Callable[[], None]:
    """Call ``callback(exchange)`` after every API exchange of every transport.

    Returns a function that removes it again. Callbacks run in the thread that sent the
    request; one that raises is logged and never changes the request's outcome.
    """
    global _observers
    with _observers_lock:
        _observers = (*_observers, callback)

    def remove() -> None:
        global _observers
        with _observers_lock:
            _observers = tuple(c for c in _observers if c is not callback)

    return remove


def _is_exchange_answer(response: requests.Response) -> bool:
    """True when an answer is the API's (JSON or no body), not a file being downloaded."""
    if "json" in response.headers.get("Content-Type", "").lower():
        return True
    return response.status_code in (204, 205) or response.headers.get("Content-Length") == "0"


@dataclass(frozen=True)
class RetrySettings:
    """Retry and backoff timings (seconds). Defaults follow the API docs for creates.

    - ``read_attempts`` / ``read_backoff`` / ``read_backoff_max``: urllib3 retries of reads.
    - ``max_retry_after``: the longest ``Retry-After`` obeyed (longer values are cut to it).
    - ``create_attempts``: sends of one create at most (resends happen only when the object
      was looked for and not found).
    - ``rate_limit_attempts`` / ``rate_limit_wait``: 429s a create rides out, and the wait
      when the 429 carries no ``Retry-After``.
    - ``wait_after_error``: before looking for a created object after a 500/502/503.
    - ``wait_after_timeout``: same after a 504, a dropped connection or a read timeout
      (the docs: the request was most likely processed; wait 60 s).
    - ``lookup_pages``: newest list pages scanned when the title filter finds nothing.
    """

    read_attempts: int = 4
    read_backoff: float = 0.5
    read_backoff_max: float = 10.0
    max_retry_after: int = 120
    create_attempts: int = 3
    rate_limit_attempts: int = 5
    rate_limit_wait: float = 5.0
    wait_after_error: float = 30.0
    wait_after_timeout: float = 60.0
    lookup_pages: int = 2

    @classmethod
    def fast(cls) -> RetrySettings:
        """Short timings for tests against a local sandbox (Retry-After cut to 0 s)."""
        return cls(
            read_attempts=8,
            read_backoff=0.01,
            read_backoff_max=0.05,
            max_retry_after=0,
            create_attempts=6,
            rate_limit_attempts=8,
            rate_limit_wait=0.01,
            wait_after_error=0.02,
            wait_after_timeout=0.05,
        )

    def with_(self, **changes: Any) -> RetrySettings:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def read_retry(self) -> Retry:
        """The urllib3 ``Retry`` used for reads (its default methods exclude POST/PATCH)."""
        kwargs: dict[str, Any] = {
            "total": self.read_attempts,
            "backoff_factor": self.read_backoff,
            "backoff_max": self.read_backoff_max,
            "status_forcelist": RETRY_STATUSES,
            "respect_retry_after_header": True,
            "raise_on_status": False,
        }
        if "retry_after_max" in inspect.signature(Retry.__init__).parameters:
            kwargs["retry_after_max"] = int(self.max_retry_after)
        return Retry(**kwargs)


class Transport:
    """A pooled session bound to one API base URL and key; see the module docstring."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str,
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        retry: RetrySettings | None = None,
        workspace_id: str | int | None = None,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self._api_key = api_key or None
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.workspace_id = workspace_id
        self.sleep = sleep
        self._retry = retry or RetrySettings()
        self._clock_offset = 0.0
        #: every request holds one of its places (client.concurrency); a 429 pauses it
        self.gate = RequestGate()
        if session is None:
            session = requests.Session()
            self.mount_retries(session)
            self._own_session = True
        else:
            self._own_session = False
        self.session = session

    # -- settings --------------------------------------------------------------------------
    @property
    def has_key(self) -> bool:
        """True when an API key is configured."""
        return bool(self._api_key)

    @property
    def retry(self) -> RetrySettings:
        """The retry settings in force."""
        return self._retry

    @retry.setter
    def retry(self, value: RetrySettings) -> None:
        self._retry = value
        if self._own_session:
            self.mount_retries(self.session)

    def mount_retries(self, session: requests.Session) -> None:
        """Mount the read-retry adapter on a session (done for the session it creates)."""
        adapter = HTTPAdapter(max_retries=self._retry.read_retry(), pool_maxsize=16)
        session.mount("http://", adapter)
        session.mount("https://", adapter)

    def scrub(self, text: str) -> str:
        """``text`` without the API key."""
        return E.scrub(text, self._api_key)

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    # -- URLs and clock --------------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL of an API path (absolute URLs pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def is_api_url(self, url: str) -> bool:
        """True when ``url`` connects to the API's own scheme, host and port (gets the key).

        Decided by :func:`origin`, the reading the connection itself uses.
        """
        mine = origin(self.base_url)
        return mine is not None and origin(url) == mine

    def server_now(self) -> datetime:
        """The service's current time, estimated from the ``Date`` of recent answers."""
        return datetime.now(timezone.utc) + timedelta(seconds=self._clock_offset)

    def _note_date(self, response: requests.Response) -> None:
        server = parse_http_date(response.headers.get("Date"))
        if server is None:
            return
        skew = (server - datetime.now(timezone.utc)).total_seconds() + 0.5
        # Date has 1-second resolution: only correct skews clearly larger than that.
        self._clock_offset = skew if abs(skew) > 2.0 else 0.0

    def _headers(self, url: str, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if extra:
            headers.update(extra)
        for name in [h for h in headers if h.lower() in ("authorization", "x-workspace-id")]:
            del headers[name]  # only this method decides who gets them
        if self.is_api_url(url):
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            if self.workspace_id is not None:
                headers["X-Workspace-Id"] = str(self.workspace_id)
        return headers

    # -- the choke point -------------------------------------------------------------------
    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request and return the 2xx response; map every failure to AstriaError.

        Redirects are followed here (at most :data:`MAX_REDIRECTS`), each hop deciding the key
        afresh with :meth:`is_api_url`; a 303, or a 301/302 after a POST, turns into a GET.
        """
        url = self.url(path)
        shown = urlsplit(url).path or "/"
        extra = kwargs.pop("headers", None)
        kwargs.setdefault("timeout", self.timeout)
        kwargs["allow_redirects"] = False
        for _hop in range(MAX_REDIRECTS + 1):
            headers = self._headers(url, extra)
            try:
                with self.gate.slot():
                    response = self.session.request(method, url, headers=headers, **kwargs)
            except requests.RequestException as exc:
                raise self._transport_error(exc, method, shown) from exc
            self._note_rate_limit(response)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                break
            response.close()
            url = urljoin(url, location)
            if response.status_code == 303 or (
                    response.status_code in (301, 302) and method == "POST"):
                method = "GET"
                for body in ("data", "files", "json"):
                    kwargs.pop(body, None)
        else:
            raise E.APIError(f"{method} {shown} was redirected more than {MAX_REDIRECTS} "
                             "times; check ASTRIA_BASE_URL.", status_code=response.status_code,
                             method=method, path=shown)
        self._note_date(response)
        if _observers and self.is_api_url(url) and _is_exchange_answer(response):
            self._notify(Exchange(self, method, url, kwargs.get("params"), kwargs.get("json"),
                                  kwargs.get("data"), response))
        if response.status_code >= 400:
            err = E.from_response(response, method=method, path=shown, secret=self._api_key)
            retries = getattr(response.raw, "retries", None)
            err.retried = bool(getattr(retries, "history", ()))
            raise err
        return response

    def _note_rate_limit(self, response: requests.Response) -> None:
        """Pause the gate after a 429: the answer's own, or one urllib3 rode out."""
        retries = getattr(response.raw, "retries", None)
        history = getattr(retries, "history", None) or ()
        if response.status_code == 429:
            wait = E.parse_retry_after(response.headers.get("Retry-After"))
            self.gate.pause(self._retry.rate_limit_wait if wait is None else wait)
        elif any(getattr(h, "status", None) == 429 for h in history):
            self.gate.pause(self._retry.rate_limit_wait)

    @staticmethod
    def _notify(exchange: Exchange) -> None:
        for callback in _observers:
            try:
                callback(exchange)
            except Exception:  # an observer never changes what the request does
                log.exception("an exchange observer raised")

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return its decoded JSON (None for an empty body)."""
        response = self.send(method, path, **kwargs)
        if not response.content or response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError:
            shown = urlsplit(response.url).path or path
            snippet = " ".join(self.scrub(response.text).split())[:80]  # scrub, then cut
            raise E.APIError(
                f"{method} {shown} answered {response.status_code} with a body that is not "
                f"JSON ({snippet!r}). Check ASTRIA_BASE_URL points at the Astria API.",
                status_code=response.status_code, body=snippet, method=method, path=shown,
            ) from None

    def _transport_error(self, exc: Exception, method: str, path: str) -> E.TransportError:
        host = urlsplit(self.base_url).netloc
        connect_failed = isinstance(exc, requests.ConnectTimeout) or (
            isinstance(exc, requests.ConnectionError)
            and "NewConnectionError" in repr(exc.args[0] if exc.args else exc)
        )
        if isinstance(exc, requests.Timeout) and not connect_failed:
            what = f"no answer within {self.timeout:g} s (read timeout)"
        elif connect_failed:
            what = f"could not connect to {host}"
        else:
            what = "the connection was lost before an answer arrived"
        hint = (
            "Check the network and ASTRIA_BASE_URL, then try again."
            if connect_failed else
            "The request may have been processed; look for the object before sending it again."
        )
        return E.TransportError(
            self.scrub(f"{method} {path} failed: {what} ({type(exc).__name__}). {hint}"),
            method=method, path=path, maybe_processed=not connect_failed,
        )

    # -- creates ---------------------------------------------------------------------------
    def create(
        self,
        path: str,
        body: Callable[[], dict[str, Any]],
        *,
        find_existing: Callable[[datetime], Any] | None = None,
        resend_safe: bool = False,
    ) -> Any:
        """POST a create by the API's retry rules (see the module docstring).

        ``body()`` returns fresh ``requests`` keyword arguments for each attempt (a streamed
        body can be sent once only). ``find_existing(started)`` returns the object if an
        earlier attempt made it (``started`` is the service time when the create began), else
        None. Without it, a create that may have been processed is not resent unless
        ``resend_safe`` (an idempotent call such as a like).
        """
        settings = self._retry
        started = self.server_now()
        sends = 0
        rate_limited = 0
        while True:
            sends += 1
            try:
                return self.request("POST", path, **body())
            except E.RateLimitError as exc:  # 429: not processed, resend after Retry-After
                rate_limited += 1
                sends -= 1
                if rate_limited > settings.rate_limit_attempts:
                    raise
                wait = settings.rate_limit_wait if exc.retry_after is None else exc.retry_after
                self.sleep(min(wait, float(settings.max_retry_after)) or settings.rate_limit_wait)
            except (E.ServerError, E.TransportError) as exc:
                if isinstance(exc, E.TransportError) and not exc.maybe_processed:
                    raise
                if find_existing is None and not resend_safe:
                    raise
                lost = isinstance(exc, (E.GatewayTimeoutError, E.TransportError))
                self.sleep(settings.wait_after_timeout if lost else settings.wait_after_error)
                if find_existing is not None:
                    try:
                        found = find_existing(started)
                    except E.AstriaError:
                        raise exc from None
                    if found is not None:
                        return found
                if sends >= settings.create_attempts:
                    raise
