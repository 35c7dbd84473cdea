"""A resumed training followed once across processes: :class:`LeasedTuneSource`.

A ``TuneWatch`` reads its records from a *source* (``client.watch.TuneSource``: the client by
default). This one polls through the client only while this process holds the run's lease
(:mod:`astria_widgets.history.runs`); otherwise it reads the tune and its prompts from the
history the lease holder writes (no request), and takes over when the lease expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from astria_widgets.client.errors import WaitTimeout
from astria_widgets.client.status import prompt_is_terminal, tune_is_terminal
from astria_widgets.history.recorder import LEASE_TTL, PROCESS_OWNER, Heartbeat
from astria_widgets.history.sync import dumps

if TYPE_CHECKING:
    import threading

    from astria_widgets.history import TuneHistory

Record = dict[str, Any]
FOLLOW_EVERY = 1.0


class LeasedTuneSource:
    """See the module docstring. ``owner`` is True once this process polled (it then writes
    the records); ``polls`` / ``reads`` count the client calls and the history reads."""

    def __init__(self, history: TuneHistory, run_id: str, client: Any, *,
                 every: float = FOLLOW_EVERY, owner: str = PROCESS_OWNER,
                 ttl: float = LEASE_TTL) -> None:
        self.history, self.run_id, self.client, self.every = history, run_id, client, every
        self._beat = Heartbeat(history, run_id, ttl, owner=owner)
        self.owner = False
        self.polls = 0
        self.reads = 0

    def _own(self) -> bool:
        """True while this process polls: it took the lease (and keeps it). A run the
        history already holds as done is read, never polled again."""
        if self.owner:
            return True
        stored = self.history.runs.get(self.run_id)
        if stored is not None and stored.done:
            return False
        if self._beat.take():
            self.owner = True
        return self.owner

    def release(self) -> None:
        """Give the lease up (the watch ended)."""
        self._beat.stop()

    def list_prompts(self, tune_id: int) -> list[Record]:
        """The tune's prompts: listed by the lease holder, else read from the history."""
        if self._own():
            self.polls += 1
            return self.client.list_prompts(tune_id)
        self.reads += 1
        return self.history.prompt_records(tune_id)

    def wait_for_tune(self, tune_id: int, *, timeout: float | None = None,
                      on_update: Callable[[Record], Any] | None = None,
                      stop: threading.Event | None = None) -> Record:
        """``client.wait_for_tune`` while holding the lease, else the history's record."""
        deadline = None if timeout is None else time.monotonic() + timeout
        shown: str | None = None
        record: Record | None = None
        while True:
            if self._own():
                self.polls += 1
                return self.client.wait_for_tune(tune_id, timeout=_left(deadline),
                                                 on_update=on_update, stop=stop)
            self.reads += 1
            record = self.history.get(tune_id)
            if record is not None and dumps(record) != shown:
                shown = dumps(record)
                if on_update is not None:
                    on_update(record)
            if record is not None and tune_is_terminal(record):
                return record
            self._pause(stop, deadline, f"tune {tune_id}")
            if stop is not None and stop.is_set() and record is not None:
                return record

    def wait_for_prompts(self, tune_id: int, prompt_ids: Iterable[int], *,
                         timeout: float | None = None,
                         on_update: Callable[[Record], Any] | None = None,
                         stop: threading.Event | None = None) -> None:
        """``client.wait_for_prompts`` (one batch) while holding the lease, else the history."""
        wanted = list(prompt_ids)
        deadline = None if timeout is None else time.monotonic() + timeout
        shown: dict[int, str] = {}
        while True:
            if self._own():
                self.polls += 1
                self.client.wait_for_prompts(tune_id, wanted, timeout=_left(deadline),
                                             on_update=on_update, stop=stop)
                return
            self.reads += 1
            stored = {int(p["id"]): p for p in self.history.prompt_records(tune_id)}
            for pid in wanted:
                record = stored.get(pid)
                if record is not None and dumps(record) != shown.get(pid):
                    shown[pid] = dumps(record)
                    if on_update is not None:
                        on_update(record)
            if all(p in stored and prompt_is_terminal(stored[p]) for p in wanted):
                return
            self._pause(stop, deadline, f"{len(wanted)} prompts of tune {tune_id}")
            if stop is not None and stop.is_set():
                return

    def _pause(self, stop: threading.Event | None, deadline: float | None, what: str) -> None:
        if stop is not None:
            stop.wait(self.every)
        else:
            time.sleep(self.every)
        if deadline is not None and time.monotonic() > deadline:
            raise WaitTimeout(f"{what} still running (followed from the history)")


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())
