"""Small shared helpers for the client's sandbox tests (photos, a request counter)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import requests
from corpus import photo

from astria_widgets.client import AstriaClient


def photos(count: int, start: int = 0) -> list[tuple[str, bytes]]:
    """``count`` distinct valid training photos as (name, bytes) pairs."""
    return [(f"photo-{i}.jpg", photo(seed=start + i)) for i in range(count)]


class CountingSession(requests.Session):
    """A session that records (method, path, status or exception name) of every send.

    Counted at the requests level: urllib3's transparent read retries inside one send show up
    in ``response.raw.retries.history`` and are added to ``read_retries``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, Any]] = []
        self.read_retries = 0

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        path = requests.utils.urlparse(url).path
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            self.log.append((method, path, type(exc).__name__))
            raise
        history = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        self.read_retries += len(history)
        self.log.append((method, path, response.status_code))
        return response

    def counts(self) -> Counter:
        """How many sends per method."""
        return Counter(method for method, _, _ in self.log)


def counting_client(url: str, key: str, **kwargs: Any) -> tuple[AstriaClient, CountingSession]:
    """A client whose pooled session (with the retry adapter mounted) counts every send."""
    session = CountingSession()
    client = AstriaClient(api_key=key, base_url=url, sandbox=True, session=session, **kwargs)
    client.transport.mount_retries(session)
    return client, session
