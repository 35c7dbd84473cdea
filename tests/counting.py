"""Counting the HTTP requests a client sends, shared by the tests and the benchmarks.

``counting_client(url, key)`` is an ``AstriaClient`` whose pooled session (with the retry
adapter mounted, as the client mounts it on its own session) is a ``CountingSession``: it logs
every send and counts urllib3's transparent read retries inside a send as requests too.
``measure_prompt_waits`` is the measurement of ``benchmarks/bench_wait_prompts.py``: what
waiting for prompts costs in status requests, one at a time or as a batch.

Import it from any test (``tests/`` is on ``sys.path`` because ``tests/conftest.py`` lives
there); a benchmark puts ``tests/`` on ``sys.path`` first::

    from counting import counting_client

    client, session = counting_client(sandbox.url, api_key)
    history.sync()
    assert session.take() <= 6
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import requests

from astria_widgets.client import AstriaClient, PollPolicy

BASE_TUNE = 1504944  # the gallery's Flux1.dev: prompts on it are listed per caller


class CountingSession(requests.Session):
    """A session that records (method, path, status or exception name) of every send.

    Counted at the requests level: urllib3's transparent read retries inside one send show up
    in ``response.raw.retries.history``; they are added to ``read_retries`` and, as requests
    of their own, to ``total()`` and ``take()``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, Any]] = []
        self.read_retries = 0
        self._wire: Counter[str] = Counter()  # per method: sends + read retries
        self._taken = 0

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        path = requests.utils.urlparse(url).path
        verb = method.upper()
        self._wire[verb] += 1
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            self.log.append((method, path, type(exc).__name__))
            raise
        history = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        self.read_retries += len(history)
        self._wire[verb] += len(history)
        self.log.append((method, path, response.status_code))
        return response

    def counts(self) -> Counter[str]:
        """How many sends per method (read retries not included)."""
        return Counter(method for method, _, _ in self.log)

    def total(self, method: str | None = None) -> int:
        """Requests on the wire so far, read retries included (of ``method`` only, if given)."""
        return self._wire[method.upper()] if method else sum(self._wire.values())

    def take(self) -> int:
        """``total()`` since the last ``take()``: count one step at a time."""
        now = self.total()
        count, self._taken = now - self._taken, now
        return count


def counting_client(url: str, key: str, **kwargs: Any) -> tuple[AstriaClient, CountingSession]:
    """A client whose pooled session (with the retry adapter mounted) counts every send."""
    session = CountingSession()
    client = AstriaClient(api_key=key, base_url=url, sandbox=True, session=session, **kwargs)
    client.transport.mount_retries(session)
    return client, session


def scaled_policy(speed: float) -> PollPolicy:
    """The default policy with every interval divided by ``speed`` (fractions unchanged)."""
    base = PollPolicy()
    return base.with_(min_interval=base.min_interval / speed,
                      max_interval=base.max_interval / speed,
                      prompt_interval=base.prompt_interval / speed,
                      prompt_max_interval=base.prompt_max_interval / speed)


def measure_prompt_waits(url: str, key: str, speed: float, batch: int = 24,
                         rounds: int = 6) -> dict[str, float]:
    """GET requests to wait for prompts on a sandbox running ``speed`` x the service's pace.

    ``one_mean``/``one_max``: ``wait_for_prompt`` on one new prompt (``rounds`` of them);
    ``batch``: ``wait_for_prompts`` on ``batch`` new prompts; ``naive``: ``wait_for_prompt``
    on each of ``batch`` new prompts in turn; ``pages``: listing pages per poll.
    """
    client, session = counting_client(url, key, poll=scaled_policy(speed))

    def counted(job: Callable[[], Any]) -> int:
        before = session.total("GET")
        job()
        return session.total("GET") - before

    def make(n: int, label: str) -> list[int]:
        return [client.create_prompt(BASE_TUNE, f"a lighthouse at dusk, {label} {i}",
                                     seed=i)["id"] for i in range(n)]

    singles = []
    for r in range(rounds):
        (pid,) = make(1, f"single {r}")
        singles.append(counted(lambda pid=pid: client.wait_for_prompt(BASE_TUNE, pid)))
    ids = make(batch, "batch")
    batch_requests = counted(lambda: client.wait_for_prompts(BASE_TUNE, ids))
    naive_ids = make(batch, "naive")
    naive = counted(lambda: [client.wait_for_prompt(BASE_TUNE, p) for p in naive_ids])
    client.close()
    return {"one_mean": sum(singles) / len(singles), "one_max": max(singles),
            "batch": batch_requests, "naive": naive, "pages": -(-batch // 120)}
