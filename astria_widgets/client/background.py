"""``in_background``: run one job in a worker thread and hand back its ``Future`` at once.

What a widget's callback uses for work that would block the kernel (a request, an upload,
building a large view): the callback returns at once, the job runs in its own thread and only
sets model state or widget traits; the ``Future`` tells scripts and tests when it ended (its
``exception()`` / ``result()``). A job reports what it wants shown itself, before it returns,
so that whoever waits on the future sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def in_background(job: Callable[[], T], name: str) -> Future[T]:
    """Run ``job`` in a new worker thread called ``name``; return its ``Future`` at once."""
    runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        return runner.submit(job)
    finally:
        runner.shutdown(wait=False)
