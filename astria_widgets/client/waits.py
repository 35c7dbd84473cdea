"""The waiting calls of the client: follow a tune or prompts until they settle.

``WaitCalls`` is mixed into :class:`~astria_widgets.client.AstriaClient`: ``wait_for_tune``,
``wait_for_prompt`` and ``wait_for_prompts``. Each is a fetch, a "settled" test and a delay
rule handed to the one polling loop (:func:`~astria_widgets.client.waiting.wait`), which
paces the polls by the tune's ``eta`` (:mod:`.waiting`). The watches (:mod:`.watch`) follow
work through these.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from astria_widgets.client.base import Record
from astria_widgets.client.checks import record_id
from astria_widgets.client.errors import AstriaError
from astria_widgets.client.pagination import MAX_PAGE_SIZE
from astria_widgets.client.prompts import PromptCalls
from astria_widgets.client.references import referenced_tune_ids
from astria_widgets.client.status import prompt_is_terminal, tune_is_stalled, tune_is_terminal
from astria_widgets.client.tunes import TuneCalls
from astria_widgets.client.waiting import PollPolicy, next_delay, next_prompt_delay, wait


class WaitCalls(TuneCalls, PromptCalls):
    """The client's waits (see the module docstring)."""

    def wait_for_tune(self, tune_id: int, *, timeout: float | None = None,
                      on_update: Callable[[Record], Any] | None = None,
                      stop: threading.Event | None = None) -> Record:
        """Poll a tune until trained, failed or expired; return the final record.

        The interval follows the tune's ``eta`` (see :mod:`~astria_widgets.client.waiting`).
        ``on_update`` sees the first record, every changed one and the moment it becomes
        stalled. ``stop`` ends the wait at once; ``timeout`` raises ``WaitTimeout``.
        """
        tid = record_id(tune_id, "tune_id")
        policy = self.poll
        return wait(
            lambda: self.get_tune(tid), tune_is_terminal, policy=policy, timeout=timeout,
            on_update=on_update, stop=stop, clock=self._transport.server_now, delay=next_delay,
            watch=lambda record, now: tune_is_stalled(record, now,
                                                      stall_factor=policy.stall_factor),
            what=f"tune {tid}",
        )

    def _prompt_delay(self, tune_id: int | None) -> Callable[[Record, datetime, PollPolicy],
                                                            float]:
        """The prompt delay rule of the waits, reading the awaited tune once when needed.

        While a prompt waits for an untrained tune (its own, or the one referenced as
        ``<lora:ID:w>`` / ``<faceid:ID:w>``), that tune's ``eta`` sets the pace.
        """
        cache: dict[int | None, Record | None] = {}

        def delay(record: Record, now: datetime, policy: PollPolicy) -> float:
            tune: Record | None = None
            if record.get("started_training_at") is None:
                # A LoRA/FaceID prompt lives on a base tune and waits for the referenced one.
                refs = referenced_tune_ids(str(record.get("text") or ""))
                tid = refs[0] if refs else (
                    tune_id if tune_id is not None else record.get("tune_id"))
                if tid not in cache:
                    try:
                        cache[tid] = self.get_tune(tid) if tid is not None else None
                    except AstriaError:
                        cache[tid] = None
                tune = cache[tid]
            return next_prompt_delay(record, now, policy, tune)

        return delay

    def wait_for_prompt(self, tune_id: int | None, prompt_id: int, *,
                        timeout: float | None = None,
                        on_update: Callable[[Record], Any] | None = None,
                        stop: threading.Event | None = None) -> Record:
        """Poll a prompt until it has images or an error; return the final record.

        While the prompt waits for an untrained tune (its own, or the one referenced as
        ``<lora:ID:w>`` / ``<faceid:ID:w>``), that tune's ``eta`` sets the pace (it is read
        once for that).
        """
        pid = record_id(prompt_id, "prompt_id")
        return wait(
            lambda: self.get_prompt(tune_id, pid), prompt_is_terminal, policy=self.poll,
            timeout=timeout, on_update=on_update, stop=stop, clock=self._transport.server_now,
            delay=self._prompt_delay(tune_id), what=f"prompt {pid}",
        )

    def wait_for_prompts(self, tune_id: int, prompt_ids: Iterable[int], *,
                         timeout: float | None = None,
                         on_update: Callable[[Record], Any] | None = None,
                         stop: threading.Event | None = None) -> list[Record]:
        """Wait for many prompts of one tune; return their final records in ``prompt_ids`` order.

        Each poll is one listing of the tune's prompts (``GET /tunes/:id/prompts``, newest
        first, keyset pages from the newest unsettled id down to the oldest), not a request
        per prompt, so waiting for 24 prompts costs about what waiting for one does
        (``benchmarks/bench_wait_prompts.py``). The pace is the prompt rule of
        :meth:`wait_for_prompt`, taken for the unsettled prompt that is due first.
        ``on_update(record)`` gets every prompt record the first time it is seen and each
        time it changes. ``stop`` and ``timeout`` behave as in the other waits.

        ``tune_id`` is the tune the prompts run on (their ``tune_id``; for LoRA/FaceID prompts
        the base tune, e.g. Flux1.dev, whose prompts are listed per caller, so the listing
        holds your prompts only). A wanted id missing from the listing is read by id
        (``NotFoundError`` if it does not exist).
        """
        tid = record_id(tune_id, "tune_id")
        wanted = list(dict.fromkeys(record_id(p, f"prompt_ids[{i}]")
                                    for i, p in enumerate(prompt_ids)))
        if not wanted:
            return []
        latest: dict[int, Record] = {}
        prompt_delay = self._prompt_delay(tid)

        def fetch() -> Record:
            pending = {p for p in wanted if p not in latest or not prompt_is_terminal(latest[p])}
            # The tune's prompts between the newest and oldest pending id are all we need.
            span = max(pending) - min(pending) + 1
            for record in self.iter_prompts(tid, before_id=max(pending) + 1,
                                            page_size=min(MAX_PAGE_SIZE, span)):
                pid = record.get("id")
                if pid in pending:
                    latest[pid] = record
                    pending.discard(pid)
                if not pending or (isinstance(pid, int) and pid < min(pending)):
                    break
            for pid in sorted(pending):  # not listed (yet): read it by id
                latest[pid] = self.get_prompt(tid, pid)
            return {str(p): latest[p] for p in wanted}

        def all_settled(batch: Record) -> bool:
            return all(prompt_is_terminal(r) for r in batch.values())

        def delay(batch: Record, now: datetime, policy: PollPolicy) -> float:
            return min(prompt_delay(r, now, policy) for r in batch.values()
                       if not prompt_is_terminal(r))

        seen: dict[str, Record] = {}

        def changed(batch: Record) -> None:
            for key, record in batch.items():
                if seen.get(key) != record:
                    seen[key] = record
                    if on_update is not None:
                        on_update(record)

        final = wait(fetch, all_settled, policy=self.poll, timeout=timeout, on_update=changed,
                     stop=stop, clock=self._transport.server_now, delay=delay,
                     what=f"{len(wanted)} prompts of tune {tid}")
        return [final[str(p)] for p in wanted]
