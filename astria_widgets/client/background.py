"""``in_background``: run one job in a worker thread and hand back its ``Future`` at once.

What a widget's callback uses for work that would block the kernel (a request, an upload,
building a large view): the callback returns at once, the job runs in its own daemon thread
(like a ``TuneWatch``'s: a request still in flight never holds up the kernel's exit) and only
sets model state or widget traits; the ``Future`` tells scripts and tests when it ended (its
``exception()`` / ``result()``). A job reports what it wants shown itself, before it returns,
so that whoever waits on the future sees it.

``BackgroundDownload``: a download in its own daemon thread, with its progress and counts for
a view (a run's "Download all").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from astria_widgets.client.downloads import DownloadCounts

T = TypeVar("T")
logger = logging.getLogger(__name__)


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


class BackgroundDownload:
    """A download running in its own daemon thread: ``progress``, ``done``, ``result``,
    ``error``, ``counts`` (a :class:`~.downloads.DownloadCounts`: files saved now and files
    already there), ``wait()``. ``on_change(job)`` is called in that thread after each file
    and at the end (a raising callback is logged, never ends the download)."""

    def __init__(self, on_change: Callable[[BackgroundDownload], Any] | None = None) -> None:
        self.progress: tuple[int, int] = (0, 0)
        self.counts = DownloadCounts()
        self.result: list[Path] | Path | None = None
        self.error: BaseException | None = None
        self._on_change = on_change
        self._finished = False  # set before the last on_change, so views see the end
        self._done = threading.Event()

    @property
    def done(self) -> bool:
        """True once the download finished or failed."""
        return self._finished

    def start(self, job: Callable[[Callable[[int, int], None]], Any]) -> None:
        """Run ``job(progress)`` in a daemon thread."""
        threading.Thread(target=self._run, args=(job,), name="astria-download",
                         daemon=True).start()

    def _run(self, job: Callable[[Callable[[int, int], None]], Any]) -> None:
        try:
            self.result = job(self._progress)
        except Exception as exc:  # noqa: BLE001 - kept as .error, re-raised by wait()
            self.error = exc
        finally:
            self._finished = True
            self._changed()  # views show the end before wait() returns
            self._done.set()

    def _progress(self, done: int, total: int) -> None:
        self.progress = (done, total)
        self._changed()

    def _changed(self) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(self)
        except Exception:  # noqa: BLE001
            logger.exception("a download subscriber raised")

    def wait(self, timeout: float | None = None) -> list[Path] | Path:
        """The saved paths once finished (re-raises the error); ``TimeoutError`` if not yet."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"the download is still running after {timeout} s")
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result
