"""The one executor of many requests: at most ``concurrency`` in flight, slowed by 429s.

A client owns one :class:`RequestGate` (``client.concurrency``, default
:data:`DEFAULT_CONCURRENCY`). Every request the transport sends passes through it
(:meth:`RequestGate.slot`), so a run's creates, its downloads and the watch's polls together
never have more than ``concurrency`` requests in flight. When an answer is a 429 the transport
calls :meth:`RequestGate.pause` with its ``Retry-After``: no new request starts until then
(those already in flight finish).

:func:`run_all` maps a function over items in a ``concurrent.futures`` pool as wide as the
gate. A create sent this way keeps the transport's create rules (a create whose outcome is
uncertain is looked for before it is sent again); nothing here resends anything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

from astria_widgets.client.checks import whole_number

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64
MAX_PAUSE = 120.0
"""A ``Retry-After`` longer than this pauses the gate this long only."""

T = TypeVar("T")
R = TypeVar("R")


def concurrency_value(value: Any) -> int:
    """``value`` as a number of requests in flight (1 to :data:`MAX_CONCURRENCY`), else
    ``ValueError`` naming ``concurrency``."""
    number = whole_number(value)
    if number is None or not 1 <= number <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency: give a whole number of requests in flight from 1 to "
                         f"{MAX_CONCURRENCY}, not {value!r:.40}")
    return number


class RequestGate:
    """At most ``limit`` requests at once, none started while paused (after a 429)."""

    def __init__(self, limit: int = DEFAULT_CONCURRENCY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._cond = threading.Condition()
        self._limit = concurrency_value(limit)
        self._busy = 0
        self._paused_until = 0.0
        self._clock = clock
        #: the most requests seen in flight at once, and the pauses taken (for benchmarks)
        self.peak = 0
        self.pauses = 0

    @property
    def limit(self) -> int:
        """Requests in flight at most."""
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        with self._cond:
            self._limit = concurrency_value(value)
            self._cond.notify_all()

    @property
    def busy(self) -> int:
        """Requests in flight now."""
        return self._busy

    def pause(self, seconds: float | None) -> None:
        """Start no request for ``seconds`` (a 429's ``Retry-After``; capped at MAX_PAUSE)."""
        wait = min(max(float(seconds or 0.0), 0.0), MAX_PAUSE)
        with self._cond:
            self.pauses += 1
            self._paused_until = max(self._paused_until, self._clock() + wait)
            self._cond.notify_all()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the ``limit`` places for the duration of one request."""
        with self._cond:
            while True:
                left = self._paused_until - self._clock()
                if left > 0:
                    self._cond.wait(left)
                elif self._busy >= self._limit:
                    self._cond.wait()
                else:
                    break
            self._busy += 1
            self.peak = max(self.peak, self._busy)
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()


def run_all(gate: RequestGate, job: Callable[[T], R], items: Iterable[T], *,
            stop: threading.Event | None = None,
            on_result: Callable[[int, T, R | None, BaseException | None], Any] | None = None
            ) -> list[R | BaseException]:
    """``job(item)`` for every item, at most ``gate.limit`` at once; results in item order.

    A job's exception is its result (the others go on); ``on_result(index, item, result,
    error)`` is called as each finishes. Once ``stop`` is set no further job starts (those
    running finish). Items not run are absent from the answer's tail.
    """
    todo = list(enumerate(items))
    results: dict[int, R | BaseException] = {}
    width = max(1, gate.limit)
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="astria-request") as pool:
        running: dict[Future[R], tuple[int, T]] = {}
        while todo or running:
            while todo and len(running) < width and not (stop is not None and stop.is_set()):
                index, item = todo.pop(0)
                running[pool.submit(job, item)] = (index, item)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                index, item = running.pop(future)
                error = future.exception()
                value: R | None = None if error is not None else future.result()
                results[index] = error if error is not None else value  # type: ignore[assignment]
                if on_result is not None:
                    on_result(index, item, value, error)
    return [results[i] for i in sorted(results)]
