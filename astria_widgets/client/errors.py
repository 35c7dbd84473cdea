"""The exceptions raised by the Astria client, one tree rooted at :class:`AstriaError`.

::

    AstriaError
     +-- TransportError            connection refused/reset, timeouts (wraps the requests error);
     |                             .maybe_processed
     +-- APIError                  any HTTP error status; .status_code, .body, .message,
     |    |                        .method, .path, .retried
     |    +-- BadRequestError      400 (also ValueError)
     |    +-- AuthenticationError  401/403
     |    +-- PaymentRequiredError 402
     |    +-- NotFoundError        404
     |    +-- ValidationError      422 (also ValueError); .errors: dict[str, list[str]]
     |    +-- RateLimitError       429; .retry_after (seconds or None)
     |    +-- ServerError          5xx
     |         +-- GatewayTimeoutError 504
     +-- WaitTimeout               a wait ran out of time (also TimeoutError); .last_record
     +-- InputError                a bad argument found before sending (also ValueError);
                                   .problems: list[str], each naming the input

Every message says what failed and what to do next. Messages are built from the server's
own words (its ``error`` / ``message`` / ``errors`` fields) and are scrubbed of the API key
before they are stored, so printing an exception never shows a secret.
"""

from __future__ import annotations

from typing import Any

import requests

from astria_widgets.client.status import parse_http_date, utcnow

REDACTED = "***"


def scrub(text: str, secret: str | None) -> str:
    """Return ``text`` with every occurrence of ``secret`` replaced by ``***``."""
    if secret and len(secret) >= 3 and secret in text:
        return text.replace(secret, REDACTED)
    return text


def _scrub_value(value: Any, secret: str | None) -> Any:
    """Scrub a JSON-like value (recursively) of the secret."""
    if isinstance(value, str):
        return scrub(value, secret)
    if isinstance(value, list):
        return [_scrub_value(v, secret) for v in value]
    if isinstance(value, dict):
        return {scrub(str(k), secret): _scrub_value(v, secret) for k, v in value.items()}
    return value


class AstriaError(Exception):
    """The root of every error raised by astria-widgets' client."""


class TransportError(AstriaError):
    """The request did not get an HTTP answer: refused, reset, dropped or timed out.

    ``__cause__`` is the underlying ``requests`` exception. ``maybe_processed`` is False only
    when the connection was never made (the request surely did not reach the service).
    """

    def __init__(self, message: str, *, method: str = "", path: str = "",
                 maybe_processed: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.maybe_processed = maybe_processed


class APIError(AstriaError):
    """The API answered with an HTTP error status.

    ``retried`` is True when urllib3 had already resent the request (transparent read retry).
    """

    hint = "Check the request and try again."
    retried: bool = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        method: str = "",
        path: str = "",
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.method = method
        self.path = path
        self.server_message = server_message

    def __reduce__(self) -> Any:  # keep exceptions picklable (keyword-only __init__)
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[APIError], state: dict[str, Any]) -> APIError:
    obj = cls.__new__(cls)
    Exception.__init__(obj, state.get("message", ""))
    obj.__dict__.update(state)
    return obj


class BadRequestError(APIError, ValueError):
    """400: the API rejected the request as malformed (e.g. an ``offset`` that is too deep)."""

    hint = "Fix the request; for deep pages use before_id instead of offset."


class AuthenticationError(APIError):
    """401/403: the API key is missing, wrong, or not allowed to do this."""

    hint = (
        "Check ASTRIA_API_KEY (or the api_key argument); the key is in your Astria account's "
        "API settings."
    )


class PaymentRequiredError(APIError):
    """402: the account cannot pay for this (no balance, or a paid-plan feature)."""

    hint = "Top up the account balance or check the plan in your Astria account."


class NotFoundError(APIError):
    """404: no such object for this key (wrong id, deleted, or another account's)."""

    hint = "Check the id; the object may have been deleted or belong to another account."


class ValidationError(APIError, ValueError):
    """422: the API refused the values sent. ``.errors`` maps field -> messages."""

    hint = "Fix the fields listed and send again (a 422 is never retried)."

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors: dict[str, list[str]] = errors or {}


class RateLimitError(APIError):
    """429: too many requests. ``.retry_after`` is the server's advised delay (s) or None."""

    hint = "Wait and retry; poll less often or use callbacks."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the service failed. Reads were already retried; try again later."""

    hint = "The Astria service had a problem; try again in a minute."


class GatewayTimeoutError(ServerError):
    """504: the request took too long; it was most likely still processed."""

    hint = (
        "The request may still have been processed: look for the object (e.g. by its title) "
        "before sending it again."
    )


class WaitTimeout(AstriaError, TimeoutError):
    """A wait ran out of time before a final state. ``.last_record`` is the newest record."""

    def __init__(self, message: str, *, last_record: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.last_record = last_record


class InputError(AstriaError, ValueError):
    """An argument was found bad before anything was sent. ``.problems`` names each input."""

    def __init__(self, problems: list[str] | str, *, context: str = "") -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        head = context or "Invalid input"
        if len(self.problems) == 1:
            message = f"{head}: {self.problems[0]}"
        else:
            message = f"{head} ({len(self.problems)} problems):\n" + "\n".join(
                f"  - {p}" for p in self.problems
            )
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> Any:
        return (type(self), (self.problems,))


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: AuthenticationError,
    404: NotFoundError,
    422: ValidationError,
    429: RateLimitError,
    504: GatewayTimeoutError,
}


def error_class_for(status_code: int) -> type[APIError]:
    """The exception class for an HTTP error status."""
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    if status_code >= 500:
        return ServerError
    return APIError


def _field_errors(raw: Any) -> dict[str, list[str]]:
    """Normalise the server's ``errors`` value to ``{field: [messages]}``."""
    if isinstance(raw, dict):
        out: dict[str, list[str]] = {}
        for field, msgs in raw.items():
            if isinstance(msgs, (list, tuple)):
                out[str(field)] = [str(m) for m in msgs]
            else:
                out[str(field)] = [str(msgs)]
        return out
    if isinstance(raw, (list, tuple)):
        return {"base": [str(m) for m in raw]}
    if isinstance(raw, str) and raw:
        return {"base": [raw]}
    return {}


def _server_message(body: Any, text: str) -> str | None:
    """The server's own words from a JSON error body (``error`` / ``message``) or the text."""
    if isinstance(body, dict):
        for key in ("error", "message", "detail", "upgrade"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, dict) and value:
                return "; ".join(f"{k}: {v}" for k, v in value.items())
        return None
    if isinstance(body, str) and body.strip():
        return body.strip()
    snippet = " ".join(text.split())
    if snippet and not snippet.lstrip().startswith("<"):
        return snippet[:200]
    return None


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (None when absent or bad)."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        when = parse_http_date(value)
    return None if when is None else max(0.0, (when - utcnow()).total_seconds())


def _field_summary(errors: dict[str, list[str]]) -> str:
    parts = []
    for field, msgs in errors.items():
        label = "" if field == "base" else f"{field}: "
        parts.append(label + ", ".join(msgs))
    return "; ".join(parts)


def from_response(
    response: requests.Response, *, method: str, path: str, secret: str | None = None
) -> APIError:
    """Build the right :class:`APIError` subclass for an HTTP error response."""
    status = response.status_code
    text = scrub(response.text or "", secret)
    try:
        body: Any = _scrub_value(response.json(), secret)
    except ValueError:
        body = text or None
    server = _server_message(body, text)
    cls = error_class_for(status)
    reason = scrub(response.reason or "", secret) or "error"
    where = f"{method} {path}"
    kwargs: dict[str, Any] = {
        "status_code": status, "body": body, "method": method, "path": path,
        "server_message": server,
    }
    if cls is ValidationError:
        errors = _field_errors(body.get("errors") if isinstance(body, dict) else None)
        detail = _field_summary(errors) or server or "the values were refused"
        message = f"{where} failed: 422 validation error: {detail}. {cls.hint}"
        return ValidationError(message, errors=errors, **kwargs)
    said = f": {server}" if server else ""
    if cls is RateLimitError:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        when = f" Retry after {retry_after:g} s." if retry_after is not None else ""
        message = f"{where} failed: 429 rate limited{said}.{when} {cls.hint}"
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    message = f"{where} failed: {status} {reason}{said}. {cls.hint}"
    return cls(message, **kwargs)


def short_error(exc: BaseException) -> str:
    """``"TypeName: first line of the message"`` (just the type name when there is none): the
    one line a widget or a model's message shows instead of a traceback."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
