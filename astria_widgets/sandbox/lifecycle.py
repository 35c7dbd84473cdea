"""The simulated clock: when a tune trains and fails, when a prompt runs and finishes.

Every object gets its whole future planned at creation, as wall-clock epoch times scaled by
``speed`` (how many times faster than the real service):

- tune: queued for ``QUEUE_SECONDS``; then training, with ``eta`` = start + estimate
  (``TRAIN_SECONDS`` per branch); the actual end is start + estimate x a factor in the
  clock's ``spread`` (default [0.8, 1.2]; a wider spread such as [0.3, 3] exercises clients'
  waits) derived from the tune id (deterministic); faceid tunes are trained at creation.
  A title containing ``[fail]`` fails halfway through (``error`` set, ``trained_at`` null).
- prompt: waits for every tune it depends on (its own tune, and tunes referenced in the text
  as ``<lora:ID:w>`` / ``<faceid:ID:w>``), queues ``PROMPT_QUEUE_SECONDS``, then generates
  for ``PROMPT_SECONDS`` (x the same kind of factor). A text containing ``[fail]`` ends with
  ``user_error``; a prompt whose tune fails ends with ``user_error`` when the tune fails.

The state at time ``now`` is then a pure function of those planned times (see
``objects.py``): reading an object advances it lazily, and the background ticker
(``Ticker``) fires the callbacks that are due even when nobody reads.

"Now" itself is ``Clock.now()``, the one place the sandbox reads the time: the process clock
by default, or a pinned start (``Sandbox(now=datetime(...))``) that ticks in real time from
there, or any callable returning epoch seconds (``wall_clock``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from .options import check

QUEUE_SECONDS = 30.0
TRAIN_SECONDS = {"fast": 35.0}
DEFAULT_TRAIN_SECONDS = 1200.0
PROMPT_QUEUE_SECONDS = 2.0
PROMPT_SECONDS = 30.0
PROMPT_SECONDS_FAST = 5.0
EXPIRY_SECONDS = 30 * 24 * 3600.0
FAIL_MARK = "[fail]"
REFERENCE = re.compile(r"<(lora|faceid):(\d+)(?::[^>]*)?>")
log = logging.getLogger(__name__)

# What ``Sandbox(now=...)`` accepts: None (the process clock), a timezone-aware datetime or
# epoch seconds to start from (the clock then ticks in real time), or a callable -> epoch s.
NowSetting = Callable[[], float] | datetime | float | None


def wall_clock(now: NowSetting = None) -> Callable[[], float]:
    """A callable returning the sandbox's current time in epoch seconds.

    ``None``: the process clock. A callable: used as is. A datetime (timezone-aware) or a
    number of epoch seconds: the clock starts there now and ticks in real time.
    """
    if now is None:
        return time.time
    if callable(now):
        return now
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be a timezone-aware datetime, e.g. "
                             "datetime(2025, 6, 15, 12, tzinfo=timezone.utc)")
    elif not isinstance(now, (int, float)) or isinstance(now, bool):
        raise TypeError("now must be a datetime, epoch seconds or a callable returning them, "
                        f"not {type(now).__name__}")
    start: float = check("now", now)  # finite, and a date every client can parse
    offset = start - time.time()
    return lambda: time.time() + offset


def iso(ts: float | None) -> str | None:
    """Epoch seconds -> ``2023-10-02T14:32:05.067Z`` (None stays None)."""
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


DEFAULT_SPREAD = (0.8, 1.2)


def variation(kind: str, object_id: int, spread: tuple[float, float] = DEFAULT_SPREAD) -> float:
    """A factor in ``spread`` (default [0.8, 1.2]), fixed for a given object id."""
    low, high = spread
    digest = hashlib.sha256(f"{kind}:{object_id}".encode()).digest()
    return low + (high - low) * (int.from_bytes(digest[:8], "big") / 2**64)


def referenced_tune_ids(text: str) -> list[int]:
    """Tune ids referenced as ``<lora:ID:w>`` or ``<faceid:ID:w>`` in a prompt text."""
    return [int(m.group(2)) for m in REFERENCE.finditer(text or "")]


@dataclass(frozen=True)
class TunePlan:
    """Planned times (epoch seconds) and outcome of a tune."""

    start_at: float
    eta: float
    finish_at: float
    outcome: str  # "trained" | "failed"
    error: str | None


@dataclass(frozen=True)
class PromptPlan:
    """Planned times and outcome of a prompt."""

    start_at: float | None
    finish_at: float
    outcome: str  # "done" | "failed"
    user_error: str | None


class Clock:
    """The sandbox's time (``now()``) and lifecycle plans at ``speed`` x the real service.

    ``spread``: the range of actual training durations as factors of the estimate (the
    ``eta``); settable, it applies to tunes created afterwards. ``now``: see ``wall_clock``.
    """

    def __init__(self, speed: float, spread: tuple[float, float] = DEFAULT_SPREAD,
                 now: NowSetting = None) -> None:
        self.speed: float = check("speed", speed)
        self.spread: tuple[float, float] = check("duration_spread", spread)
        self._now = wall_clock(now)

    def now(self) -> float:
        """The current sandbox time in epoch seconds (every sandbox time read goes here)."""
        return self._now()

    def scaled(self, seconds: float) -> float:
        """Real-service seconds -> sandbox seconds."""
        return seconds / self.speed

    def plan_tune(
        self, tune_id: int, created: float, branch: str | None, model_type: str | None,
        title: str,
    ) -> TunePlan:
        """The whole future of a new tune."""
        if model_type == "faceid":
            return TunePlan(created, created, created, "trained", None)
        start = created + self.scaled(QUEUE_SECONDS)
        estimate = self.scaled(TRAIN_SECONDS.get(branch or "", DEFAULT_TRAIN_SECONDS))
        actual = estimate * variation("tune", tune_id, self.spread)
        if FAIL_MARK in (title or "").lower():
            return TunePlan(
                start, start + estimate, start + actual / 2, "failed",
                "Training failed: the sandbox was asked to fail this tune "
                "('[fail]' in its title)",
            )
        return TunePlan(start, start + estimate, start + actual, "trained", None)

    def plan_prompt(
        self, prompt_id: int, created: float, text: str, dependencies: list[dict],
        fast: bool,
    ) -> PromptPlan:
        """The future of a new prompt given the tunes (rows) it waits for."""
        ready = created
        for tune in dependencies:
            if tune["outcome"] == "failed":
                when = max(created, tune["finish_at"])
                return PromptPlan(
                    None, when, "failed",
                    f"Tune {tune['id']} failed to train, so this prompt cannot run",
                )
            ready = max(ready, tune["finish_at"] or created)
        start = ready + self.scaled(PROMPT_QUEUE_SECONDS)
        duration = self.scaled(PROMPT_SECONDS_FAST if fast else PROMPT_SECONDS)
        finish = start + duration * variation("prompt", prompt_id)
        if FAIL_MARK in (text or "").lower():
            return PromptPlan(
                start, finish, "failed",
                "Generation failed: the sandbox was asked to fail this prompt "
                "('[fail]' in its text)",
            )
        return PromptPlan(start, finish, "done", None)


class Ticker:
    """A daemon thread calling ``tick()`` every ``interval`` seconds until stopped."""

    def __init__(self, tick: Callable[[], None], interval: float = 0.1) -> None:
        self._tick = tick
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-ticker", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._tick()
            except Exception:  # the ticker must survive a bad tick
                log.exception("sandbox tick failed")
