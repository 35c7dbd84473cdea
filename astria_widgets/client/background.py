"""``in_background``: run one job in a worker thread and hand back its ``Future`` at once.

What a widget's callback uses for work that would block the kernel (a request, an upload,
building a large view): the callback returns at once, the job runs in its own daemon thread
(like a ``TuneWatch``'s: a request still in flight never holds up the kernel's exit) and only
sets model state or widget traits; the ``Future`` tells scripts and tests when it ended (its
``exception()`` / ``result()``). A job reports what it wants shown itself, before it returns,
so that whoever waits on the future sees it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


def in_background(job: Callable[[], T], name: str) -> Future[T]:
    """Run ``job`` in a new daemon thread called ``name``; return its ``Future`` at once."""
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = job()
        except BaseException as exc:  # noqa: BLE001 - kept in the future, raised by result()
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
