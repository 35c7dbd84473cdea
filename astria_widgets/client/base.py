"""``ClientBase``: what every resource's calls share -- the transport and the settings.

``AstriaClient`` (:mod:`.api`) is this base plus one class of calls per resource
(:mod:`.tunes`, :mod:`.prompts`, :mod:`.packs`, :mod:`.workspaces`, :mod:`.gallery`,
:mod:`.account`, :mod:`.generate`, :mod:`.downloads`, :mod:`.waits`). Each of those classes
derives from this one (and from the resources it builds on), so a call reads the transport and
the request helpers below as its own.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import requests

from astria_widgets.client import encoding, uploads
from astria_widgets.client.checks import spend_limit, workspace_value
from astria_widgets.client.errors import InputError, NotFoundError
from astria_widgets.client.executor import DEFAULT_CONCURRENCY, run_all
from astria_widgets.client.transport import RetrySettings, Transport
from astria_widgets.client.waiting import PollPolicy

DEFAULT_BASE_URL = "https://api.astria.ai"
Record = dict[str, Any]
ProgressCallback = Callable[[int, int], Any]

#: A record found after a failed create must be this new (s of slack before the create began).
CLOCK_SLACK = timedelta(seconds=2)
_Client = TypeVar("_Client", bound="ClientBase")


def first_record(value: Any) -> Any:
    """A create's answer as one record (some clients in the wild get a one-element list)."""
    if isinstance(value, list) and value:
        return value[0]
    return value


class ClientBase:
    """The transport and settings of a client (see :class:`~astria_widgets.client.AstriaClient`).

    ``api_key`` defaults to ``$ASTRIA_API_KEY``; ``base_url`` to ``$ASTRIA_BASE_URL``, else
    ``https://api.astria.ai``. ``retry`` and ``poll`` hold the retry and polling timings;
    ``session`` injects a ``requests.Session`` (used as given, without the retry adapter).
    ``concurrency`` (default 4) bounds the requests in flight at once (:mod:`.executor`);
    ``max_spend`` (dollars) refuses a run whose estimate is over what is left.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        retry: RetrySettings | None = None,
        poll: PollPolicy | None = None,
        workspace_id: str | int | None = None,
        sandbox: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_spend: float | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("ASTRIA_API_KEY")
        base = base_url or os.environ.get("ASTRIA_BASE_URL") or DEFAULT_BASE_URL
        self._transport = Transport(
            (key or "").strip() or None, base, timeout=timeout, session=session,
            retry=retry, workspace_id=workspace_id,
        )
        self.poll: PollPolicy = poll or PollPolicy()
        self.is_sandbox = bool(sandbox)
        self.workspace_id = workspace_id  # checked by the setter
        self.concurrency = concurrency  # checked by the setter
        self.max_spend = max_spend  # checked by the setter
        #: millicents spent by this client's runs, for max_spend: what their creates reported
        #: (``cost_mc``), a pack order's total, and the estimates of creates still in flight
        self.spent_mc = 0.0
        self._catalogue: Record | None = None  # GET /cli/models, fetched once (account.py)
        self._catalogue_lock = threading.Lock()
        self._gallery_packs: list[Record] | None = None  # their details, fetched once (packs.py)
        self._gallery_packs_lock = threading.Lock()

    # -- settings ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The API root this client talks to."""
        return self._transport.base_url

    @property
    def has_key(self) -> bool:
        """True when an API key is configured (the key itself is never exposed)."""
        return self._transport.has_key

    @property
    def retry(self) -> RetrySettings:
        """Retry and backoff timings."""
        return self._transport.retry

    @retry.setter
    def retry(self, value: RetrySettings) -> None:
        self._transport.retry = value

    @property
    def transport(self) -> Transport:
        """The underlying transport (session, retries, error mapping)."""
        return self._transport

    @property
    def concurrency(self) -> int:
        """Requests in flight at most (creates, downloads and polls together; default 4)."""
        return self._transport.gate.limit

    @concurrency.setter
    def concurrency(self, value: int) -> None:
        try:
            self._transport.gate.limit = value
        except ValueError as exc:
            raise InputError(str(exc), context="client") from None

    @property
    def max_spend(self) -> float | None:
        """Dollars this client may spend on runs (``None``: no limit). A run whose estimate
        is over what is left is refused before anything is sent."""
        return self._max_spend

    @max_spend.setter
    def max_spend(self, value: float | None) -> None:
        self._max_spend = spend_limit(value, "client")

    def run_all(self, job: Callable[[Any], Any], items: Iterable[Any], *,
                stop: threading.Event | None = None,
                on_result: Callable[..., Any] | None = None) -> list[Any]:
        """``job(item)`` for each item, at most :attr:`concurrency` requests in flight
        (:func:`~astria_widgets.client.executor.run_all`); results (or exceptions) in order."""
        return run_all(self._transport.gate, job, items, stop=stop, on_result=on_result)

    @property
    def workspace_id(self) -> int | str | None:
        """The workspace every request is scoped to (sent as ``X-Workspace-Id``).

        ``None``: your personal scope; ``"all"``: every workspace you belong to (lists); a
        number: that workspace (lists show its objects, creates land in it).
        """
        return self._transport.workspace_id

    @workspace_id.setter
    def workspace_id(self, value: int | str | None) -> None:
        self._transport.workspace_id = workspace_value(value)

    def __repr__(self) -> str:
        key = "set" if self.has_key else "missing"
        extra = ", sandbox" if self.is_sandbox else ""
        return f"{type(self).__name__}(base_url={self.base_url!r}, key={key}{extra})"

    def close(self) -> None:
        """Close pooled connections."""
        self._transport.close()

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- request helpers of the resources' calls --------------------------------------------
    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._transport.request(
            "GET", path, params=encoding.query_params(params or {}) or None
        )

    def _delete(self, path: str) -> None:
        try:
            self._transport.request("DELETE", path)
        except NotFoundError as exc:
            # A retried DELETE whose first attempt went through answers 404: that is success.
            if not exc.retried:
                raise

    def _list(self, path: str, limit: int | None, before_id: int | None, offset: int | None,
              filters: Mapping[str, Any]) -> list[Record]:
        params = {**filters, "limit": limit, "before_id": before_id, "offset": offset}
        return list(self._get(path, params) or [])

    @staticmethod
    def _body(root: str, fields: Mapping[str, Any], parts: Sequence[Any], key: str,
              on_progress: ProgressCallback | None,
              extra: Mapping[str, Any] | None = None) -> Callable[[], dict[str, Any]]:
        """A factory of request kwargs: multipart when files are present, else JSON."""
        tree = dict(fields)
        if parts:
            tree[key] = list(parts)
        if encoding.has_files(tree):
            flat = encoding.flatten(root, tree)
            for name, value in (extra or {}).items():
                flat.extend(encoding.flatten(name, value))

            def multipart() -> dict[str, Any]:
                monitor, content_type = uploads.multipart_body(flat, on_progress)
                return {"data": monitor, "headers": {"Content-Type": content_type}}
            return multipart
        payload = {root: encoding.clean_json(tree), **encoding.clean_json(dict(extra or {}))}

        def json_body() -> dict[str, Any]:
            if on_progress is not None:
                size = len(json.dumps(payload))
                on_progress(size, size)
            return {"json": payload}
        return json_body
