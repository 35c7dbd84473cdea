"""The one home of what a valid sandbox setting is: speed, fault rate, delays, spread, port...

``Sandbox(...)``, ``SandboxConfig``, the running sandbox's setters, ``astria-widgets sandbox``
(through :func:`argument`, an argparse ``type=``), ``connect(speed=...)`` and ``%astria sandbox
--speed`` all check a setting here, so a NaN, an infinity, a negative delay or a port outside
0..65535 is refused the same way everywhere, with a message naming the setting:
:func:`check` raises ``ValueError("speed must be a positive number, not nan")``, and the
command line says ``argument --speed: must be a positive number, not 'nan'``.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from datetime import datetime, timezone
from numbers import Integral, Real
from typing import Any

from .scalars import whole_number

MAX_SEEDED = 1_000_000  # historical tunes --seed-history may add (10,000 take a few seconds)
MAX_PORT = 65535
# the sandbox's clock may start between these (its times, seeded a year back and expiring 30
# days on, stay dates that every client can parse)
EARLIEST = datetime(1971, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


class _Problem(ValueError):
    """What is wrong with a value, without the setting's name ("must be ..., not ...")."""


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise _Problem(f"must be {what}, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise _Problem(f"must be {what}, not {value!r}")
    return number


def positive(value: Any) -> float:
    """A finite number > 0 (``speed``)."""
    number = _number(value, "a positive number")
    if number <= 0:
        raise _Problem(f"must be a positive number, not {value!r}")
    return number


def seconds(value: Any) -> float:
    """A finite number of seconds >= 0 (``retry_after``, ``slow_delay``, ``latency``)."""
    number = _number(value, "a number of seconds (0 or more)")
    if number < 0:
        raise _Problem(f"must be a number of seconds (0 or more), not {value!r}")
    return number


def rate(value: Any) -> float:
    """A fraction between 0 and 1 (``faults``)."""
    number = _number(value, "a rate between 0 and 1")
    if not 0.0 <= number <= 1.0:
        raise _Problem(f"must be a rate between 0 and 1, not {value!r}")
    return number


def _whole(value: Any, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not (
            isinstance(value, Integral)
            or (isinstance(value, float) and math.isfinite(value) and value.is_integer())):
        raise _Problem(f"must be {what}, not {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise _Problem(f"must be {what}, not {value!r}")
    return number


def count(value: Any) -> int:
    """A whole number of tunes, 0 to :data:`MAX_SEEDED` (``seed_history``)."""
    return _whole(value, 0, MAX_SEEDED, f"a whole number from 0 to {MAX_SEEDED:,}")


def port(value: Any) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    return _whole(value, 0, MAX_PORT, f"a port from 0 (any free port) to {MAX_PORT}")


def byte_limit(value: Any) -> int:
    """A positive whole number of bytes (``max_upload_bytes``)."""
    return _whole(value, 1, 2**62, "a positive whole number of bytes")


def spread(value: Any) -> tuple[float, float]:
    """``(low, high)`` finite factors with ``0 < low <= high`` (``duration_spread``)."""
    what = "a pair (low, high) of numbers with 0 < low <= high, e.g. (0.8, 1.2)"
    if isinstance(value, str | bytes) or not hasattr(value, "__len__") or len(value) != 2:
        raise _Problem(f"must be {what}, not {value!r}")
    try:
        low, high = (_number(v, what) for v in value)
    except _Problem:
        raise _Problem(f"must be {what}, not {value!r}") from None
    if not 0 < low <= high:
        raise _Problem(f"must be {what}, not {value!r}")
    return low, high


def moment(value: Any) -> float:
    """Epoch seconds, or a timezone-aware datetime, from :data:`EARLIEST` to :data:`LATEST`
    (``now``: where the sandbox's clock starts)."""
    what = f"a time from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC)"
    if isinstance(value, datetime):
        try:
            number = value.timestamp()
        except (OverflowError, ValueError, OSError):
            raise _Problem(f"must be {what}, not {value.isoformat()}") from None
    else:
        number = _number(value, what)
    if not EARLIEST.timestamp() <= number <= LATEST.timestamp():
        shown = value.isoformat() if isinstance(value, datetime) else repr(value)
        raise _Problem(f"must be {what}, not {shown}")
    return number


def api_key(value: Any) -> str:
    """A non-empty key without whitespace."""
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        raise _Problem("must be a non-empty string without whitespace")
    return value


def host(value: Any) -> str:
    """A host name or address to bind: not empty (an empty host would bind every interface;
    ``0.0.0.0`` says so on purpose), no whitespace."""
    if not isinstance(value, str) or not value or any(c.isspace() or c == "\x00" for c in value):
        raise _Problem(f"must be a host name or address such as 127.0.0.1, not {value!r}")
    return value


def folder(value: Any) -> str:
    """A folder path as typed: not empty, no NUL, encodable for the file system."""
    text = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(text, str) or not text.strip():
        raise _Problem("must be a folder path, not empty")
    try:
        if "\x00" in text:
            raise ValueError
        os.fsencode(text)
    except ValueError:
        raise _Problem(f"must be a usable folder path, not {text!r}") from None
    return text


# setting name -> its rule; ``check(name, value)`` reads this table
RULES: dict[str, Callable[[Any], Any]] = {
    "speed": positive, "faults": rate, "retry_after": seconds, "slow_delay": seconds,
    "latency": seconds,
    "tick_interval": positive, "duration_spread": spread, "seed_history": count,
    "port": port, "max_upload_bytes": byte_limit, "api_key": api_key, "data_dir": folder,
    "now": moment, "host": host,
}


def check(name: str, value: Any) -> Any:
    """``value`` converted by the rule of setting ``name``; ``ValueError`` naming it if bad."""
    try:
        return RULES[name](value)
    except _Problem as problem:
        raise ValueError(f"{name} {problem}") from None


def argument(name: str, parse: Callable[[str], Any] = float) -> Callable[[str], Any]:
    """An argparse ``type=`` for setting ``name``: ``parse`` the text, then apply its rule.

    A refusal is an ``ArgumentTypeError`` quoting what was typed, so argparse prints
    ``argument --speed: must be a positive number, not 'nan'`` and exits with status 2 (a
    ``parse`` may raise its own ``ArgumentTypeError``; its ``ValueError`` leaves the text to
    the rule).
    """
    rule = RULES[name]

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            value = text  # the rule's message says what was expected
        try:
            return rule(value)
        except _Problem as problem:
            raise argparse.ArgumentTypeError(_quoting(str(problem), text)) from None

    convert.__name__ = name.replace("_", " ")  # argparse names the type in its own messages
    return convert


def _quoting(problem: str, text: str) -> str:
    """The problem with the value as the user typed it (``'1e999'``, not ``inf``)."""
    head, sep, _ = problem.rpartition(", not ")
    return f"{head}, not {text!r}" if sep else problem


def whole(text: str) -> int | str:
    """``"12"`` -> 12 for :func:`argument`, by the sandbox's one integer rule
    (:func:`~astria_widgets.sandbox.scalars.whole_number`); anything else (``"1.5"``,
    ``"1e3"``) stays text, which the rule refuses."""
    number = whole_number(text)
    return text if number is None else number


def pair(text: str) -> tuple[float, float] | str:
    """``"0.3,3"`` -> ``(0.3, 3.0)`` for :func:`argument` (anything else reaches the rule)."""
    parts = text.split(",")
    if len(parts) != 2:
        return text
    return float(parts[0]), float(parts[1])
