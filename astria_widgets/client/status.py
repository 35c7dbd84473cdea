"""The lifecycle rules of tunes and prompts, in one place, as pure functions of records.

The API documents no ``status`` field, so states are derived from timestamps. Each rule is ONE
table (:data:`TUNE_STATUS_RULES`, :data:`PROMPT_STATUS_RULES`): the first row whose conditions
all hold names the state. :func:`tune_status` / :func:`prompt_status` apply it to one record;
the DataFrame helpers (``astria_widgets.frames``) apply the same table to whole columns.

- tune: ``failed`` when the (sandbox-extension) ``error`` field is set; ``expired`` when
  trained and past ``expires_at``; ``trained`` when ``trained_at`` is set; ``training`` when
  ``started_training_at`` is set; otherwise ``queued``.
- prompt: ``done`` when ``images`` is non-empty; ``failed`` when ``user_error`` is set;
  otherwise ``pending`` (the official CLI's "settled" rule).

A tune still untrained at ``STALL_FACTOR`` (3) times its estimated duration is *stalled*:
it is shown as such, never called failed (the real service has no failure field).
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

TuneStatus = Literal["queued", "training", "trained", "failed", "expired"]
PromptStatus = Literal["pending", "done", "failed"]

#: Every tune state, in the order of the frames' categorical ``status`` column.
TUNE_STATUSES: tuple[TuneStatus, ...] = ("queued", "training", "trained", "failed", "expired")
#: Every prompt state, in the order of the frames' categorical ``status`` column.
PROMPT_STATUSES: tuple[PromptStatus, ...] = ("pending", "done", "failed")

#: The tune-status rule: (state, conditions), the first row whose conditions all hold wins.
#: Conditions are facts of one record at a time ``now`` (:func:`tune_facts`): ``error`` the
#: ``error`` field is truthy; ``trained`` ``trained_at`` is a timestamp; ``past_expiry``
#: ``expires_at`` is a timestamp before ``now``; ``started`` ``started_training_at`` is a
#: timestamp.
TUNE_STATUS_RULES: tuple[tuple[TuneStatus, tuple[str, ...]], ...] = (
    ("failed", ("error",)),
    ("expired", ("trained", "past_expiry")),
    ("trained", ("trained",)),
    ("training", ("started",)),
    ("queued", ()),
)
#: The prompt-status rule, as :data:`TUNE_STATUS_RULES`: ``images`` the ``images`` field is
#: truthy (non-empty); ``user_error`` the ``user_error`` field is truthy.
PROMPT_STATUS_RULES: tuple[tuple[PromptStatus, tuple[str, ...]], ...] = (
    ("done", ("images",)),
    ("failed", ("user_error",)),
    ("pending", ()),
)

TUNE_TERMINAL: frozenset[str] = frozenset({"trained", "failed", "expired"})
"""Tune states that do not change any more."""
TUNE_UNFINISHED: frozenset[str] = frozenset(TUNE_STATUSES) - TUNE_TERMINAL
"""Tune states on the way to trained (queued, training): what waits and watches follow."""
TUNE_UNUSABLE: frozenset[str] = TUNE_TERMINAL - {"trained"}
"""Tune states that can generate nothing (failed, expired)."""
PROMPT_TERMINAL: frozenset[str] = frozenset({"done", "failed"})
"""Prompt states that do not change any more."""

#: Usual relative error of an ``eta`` (most trainings end within 20% of it; none is promised).
ETA_ERROR = 0.2
#: A tune untrained at this many times its estimated duration is stalled.
STALL_FACTOR = 3.0
#: Grace given to a tune whose estimated duration is unknown before calling it stalled (s).
STALL_GRACE_SECONDS = 60.0


def parse_time(value: Any) -> datetime | None:
    """Parse an API timestamp (ISO-8601, ``Z`` suffix) into an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_http_date(value: str | None) -> datetime | None:
    """Parse an HTTP date header (``Date``, ``Retry-After``) into an aware UTC datetime."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def first_matching(rules: tuple[tuple[Any, tuple[str, ...]], ...],
                   facts: Mapping[str, bool]) -> Any:
    """The state of the first rule whose conditions all hold in ``facts``."""
    for state, conditions in rules:
        if all(facts[c] for c in conditions):
            return state
    raise ValueError("a status table must end with a row without conditions")


def tune_facts(record: Mapping[str, Any], now: datetime | None = None) -> dict[str, bool]:
    """The conditions :data:`TUNE_STATUS_RULES` tests, for one record at ``now``."""
    expires_at = parse_time(record.get("expires_at"))
    return {
        "error": bool(record.get("error")),
        "trained": parse_time(record.get("trained_at")) is not None,
        "past_expiry": expires_at is not None and expires_at < (now or utcnow()),
        "started": parse_time(record.get("started_training_at")) is not None,
    }


def tune_status(record: Mapping[str, Any], now: datetime | None = None) -> TuneStatus:
    """The lifecycle state of a tune record: queued, training, trained, failed or expired."""
    return first_matching(TUNE_STATUS_RULES, tune_facts(record, now))


def prompt_status(record: Mapping[str, Any]) -> PromptStatus:
    """The lifecycle state of a prompt record: pending, done or failed."""
    facts = {"images": bool(record.get("images")), "user_error": bool(record.get("user_error"))}
    return first_matching(PROMPT_STATUS_RULES, facts)


def prompt_progress(record: Mapping[str, Any],
                    tune_state: str | None) -> tuple[PromptStatus, str]:
    """``(state, detail)`` of a tune's prompt as a progress view shows it, e.g.
    ``("pending", "waiting for training")``: the prompt's own state first (``done`` with its
    image count, ``failed`` with its error), else what it waits for, from the state of its
    tune (``tune_state``, ``None`` while the tune is not known yet)."""
    state = prompt_status(record)
    if state == "done":
        count = len(record.get("images") or [])
        return state, f"{count} image{'s' if count != 1 else ''}"
    if state == "failed":
        return state, str(record.get("user_error") or "generation failed")
    if tune_state in ("failed", "expired"):
        return state, "not run: the tune did not train"
    if record.get("started_training_at"):
        return state, "generating"
    if tune_state == "trained":
        return state, "queued"
    return state, "waiting for training"


def tune_is_terminal(record: Mapping[str, Any]) -> bool:
    """True once a tune will not change state any more (trained, failed or expired)."""
    return tune_status(record) in TUNE_TERMINAL


def prompt_is_terminal(record: Mapping[str, Any]) -> bool:
    """True once a prompt has its images or its error."""
    return prompt_status(record) in PROMPT_TERMINAL


def estimated_duration(record: Mapping[str, Any]) -> float | None:
    """Seconds from the tune's start (training, or creation when queued) to its ``eta``."""
    eta = parse_time(record.get("eta"))
    start = parse_time(record.get("started_training_at")) or parse_time(record.get("created_at"))
    if eta is None or start is None:
        return None
    seconds = (eta - start).total_seconds()
    return seconds if seconds > 0 else None


def training_fraction(record: Mapping[str, Any], now: datetime | None = None) -> float | None:
    """How far a tune's training has come, from 0 to 1, or ``None`` when it cannot be told.

    1 once trained (or expired); 0 while queued; while training, the time since
    ``started_training_at`` over :func:`estimated_duration`, held below 0.99 until the service
    says it is done (an ``eta`` is an estimate). ``None`` for a failed tune or a training one
    with no usable ``eta``. Every progress display (widget, CLI) uses this one rule.
    """
    now = now or utcnow()
    status = tune_status(record, now)
    if status in ("trained", "expired"):
        return 1.0
    if status == "queued":
        return 0.0
    started = parse_time(record.get("started_training_at"))
    duration = estimated_duration(record)
    if status != "training" or started is None or duration is None:
        return None
    return min(0.99, max(0.0, (now - started).total_seconds() / duration))


def seconds_left(record: Mapping[str, Any], now: datetime | None = None) -> float | None:
    """Seconds until the tune's ``eta`` while it is queued or training (never negative);
    ``None`` for a tune in another state or without an ``eta``."""
    now = now or utcnow()
    if tune_status(record, now) not in TUNE_UNFINISHED:
        return None
    eta = parse_time(record.get("eta"))
    if eta is None:
        return None
    return max(0.0, (eta - now).total_seconds())


def tune_is_stalled(
    record: Mapping[str, Any], now: datetime | None = None, *, stall_factor: float = STALL_FACTOR
) -> bool:
    """True when a tune is still untrained (and not failed) at ``stall_factor x D``.

    ``D`` is the estimated duration (:func:`estimated_duration`), counted from the start of
    training (or creation while queued); when it is unknown, a fixed grace of
    :data:`STALL_GRACE_SECONDS` after ``eta`` is used.
    """
    if tune_status(record, now) not in TUNE_UNFINISHED:
        return False
    eta = parse_time(record.get("eta"))
    if eta is None:
        return False
    now = now or utcnow()
    duration = estimated_duration(record)
    if duration is None:
        return (now - eta).total_seconds() > STALL_GRACE_SECONDS
    start = parse_time(record.get("started_training_at")) or parse_time(record.get("created_at"))
    return start is not None and (now - start).total_seconds() > stall_factor * duration


EXPIRING_SOON_DAYS = 7
"""A trained tune whose storage ends within this many days is "expiring soon"."""
SECONDS_PER_DAY = 86_400

#: The expiring-soon rule, as the status tables: (answer, conditions), first match wins.
#: Conditions (:func:`expiry_facts`): ``trained`` the tune's status is ``trained`` (not
#: failed, not expired, not still training); ``extended`` its ``auto_extend`` is truthy (it is
#: extended instead of deleted); ``ends_within`` ``expires_at`` is a timestamp within the
#: window. ``frames.tunes`` evaluates the same table over columns (``expiring_soon``).
EXPIRING_SOON_RULES: tuple[tuple[bool, tuple[str, ...]], ...] = (
    (False, ("extended",)),
    (True, ("trained", "ends_within")),
    (False, ()),
)


def expiry_facts(record: Mapping[str, Any], now: datetime,
                 within_days: float = EXPIRING_SOON_DAYS) -> dict[str, bool]:
    """The conditions :data:`EXPIRING_SOON_RULES` tests, for one record at ``now``."""
    expires = parse_time(record.get("expires_at"))
    return {
        "trained": tune_status(record, now) == "trained",
        "extended": bool(record.get("auto_extend")),
        "ends_within": expires is not None
        and (expires - now).total_seconds() <= within_days * SECONDS_PER_DAY,
    }


def tune_expires_soon(record: Mapping[str, Any], now: datetime | None = None, *,
                      within_days: float = EXPIRING_SOON_DAYS) -> bool:
    """True for a trained tune whose ``expires_at`` is within ``within_days`` of ``now``.

    Its model, training and generated images are deleted at ``expires_at`` (§5.6 of the API
    notes); a tune with ``auto_extend`` is extended instead, so it is not expiring. The rule is
    :data:`EXPIRING_SOON_RULES`.
    """
    return bool(first_matching(EXPIRING_SOON_RULES,
                               expiry_facts(record, now or utcnow(), within_days)))
