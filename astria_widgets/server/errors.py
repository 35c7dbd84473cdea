"""Errors -> HTTP status codes for the panel's handlers, written once.

The panel's own request was fine when the Astria API fails, so API and transport failures are
gateway errors (502/503/504) and the body says what the API said; a bad query parameter is a
400, an unknown tune 404. Messages come from the client's exceptions, which never hold the key.
"""

from __future__ import annotations

from astria_widgets.client.errors import (
    AstriaError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    TransportError,
    WaitTimeout,
)
from astria_widgets.connect import SandboxStartError


class PanelInputError(ValueError):
    """A query parameter of a panel request is not valid (the message names it)."""


class PanelNotFound(LookupError):
    """What a panel request names does not exist (e.g. a tune's image past its last)."""


class PanelImageError(RuntimeError):
    """An image could not be downloaded or decoded (the message names it, never its URL)."""


def status_for(error: BaseException) -> tuple[int, str]:
    """``(HTTP status, message)`` for an exception raised while serving a panel request."""
    if isinstance(error, PanelInputError):
        return 400, str(error)
    if isinstance(error, (NotFoundError, PanelNotFound)):
        return 404, str(error)
    if isinstance(error, PanelImageError):
        return 502, str(error)
    if isinstance(error, SandboxStartError):
        return 503, f"The local sandbox could not be started: {error}"
    if isinstance(error, AuthenticationError):
        return 502, f"The Astria API refused the key ({error.status_code}): {error.message}"
    if isinstance(error, RateLimitError):
        return 503, f"The Astria API is rate limiting: {error.message}"
    if isinstance(error, WaitTimeout):
        return 504, str(error)
    if isinstance(error, TransportError):
        return 504, f"The Astria API could not be reached: {error}"
    if isinstance(error, AstriaError):
        return 502, str(error)
    return 500, f"Internal error in the Astria panel: {type(error).__name__}"
