"""The HTTP client for the Astria API: ``AstriaClient``, its errors, waits and status rules.

See ``docs/ARCHITECTURE.md`` for the contract. Module map: ``api`` (the thin ``AstriaClient``
front) over ``base`` (transport and settings) and one module of calls per resource
(``tunes``, ``prompts``, ``packs``, ``workspaces``, ``gallery``, ``account``, ``generate``,
``downloads``, ``waits``); ``checks`` (the shared input checks), ``transport`` (session,
retries, error mapping), ``errors`` (the exception tree), ``encoding`` (bracket keys),
``uploads`` (image inputs), ``pagination`` (before_id paging), ``status`` (lifecycle rules),
``costs`` and ``durations`` (money and time as text), ``waiting`` (the one polling loop) and
``watch`` (``TuneWatch`` / ``PromptsWatch``: follow work in a thread through the waits).
"""

from astria_widgets.client.api import DEFAULT_BASE_URL, AstriaClient
from astria_widgets.client.errors import (
    APIError,
    AstriaError,
    AuthenticationError,
    BadRequestError,
    GatewayTimeoutError,
    InputError,
    NotFoundError,
    PaymentRequiredError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
    WaitTimeout,
)
from astria_widgets.client.status import (
    prompt_status,
    tune_is_stalled,
    tune_status,
)
from astria_widgets.client.transport import RetrySettings
from astria_widgets.client.waiting import PollPolicy
from astria_widgets.client.watch import PromptsWatch, TuneWatch, WatchedImage

__all__ = [
    "DEFAULT_BASE_URL",
    "APIError",
    "AstriaClient",
    "AstriaError",
    "AuthenticationError",
    "BadRequestError",
    "GatewayTimeoutError",
    "InputError",
    "NotFoundError",
    "PaymentRequiredError",
    "PollPolicy",
    "PromptsWatch",
    "RateLimitError",
    "RetrySettings",
    "ServerError",
    "TransportError",
    "TuneWatch",
    "ValidationError",
    "WaitTimeout",
    "WatchedImage",
    "prompt_status",
    "tune_is_stalled",
    "tune_status",
]
