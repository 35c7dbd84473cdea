"""Typed values from JSON or form text: booleans, integers, floats, URLs (no Flask here).

The sandbox's one home of each scalar rule: the request validator (:mod:`.validator`), the
paging and query parameters (:mod:`.params`) and the settings typed on the command line
(:mod:`.options`) read values through these. The sandbox imports nothing of the rest of the
package, so the client side has its own integer rule (``client.checks.whole_number``).
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

TRUE = {"true", "1", "yes", "on", "t"}
FALSE = {"false", "0", "no", "off", "f"}


def to_bool(value: Any) -> bool:
    """Case-insensitive boolean from JSON or form text; raises ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise ValueError("must be true or false")


def to_int(value: Any) -> int:
    """A 64-bit integer from JSON or form text (integral floats allowed); raises ValueError."""
    number = whole_number(value)
    if number is None:
        raise ValueError("must be an integer")
    if not -(2**63) <= number < 2**63:
        raise ValueError("is out of range (64-bit integers only)")
    return number


def whole_number(value: Any) -> int | None:
    """``value`` as an int when it is a whole number, else None: the sandbox's one integer
    rule (an int, an integral float, or its text: ``"12"``, ``" -3 "``, ``"5.0"`` as Rails
    reads form values; ASCII digits only; not ``"1e3"``, ``"5.5"`` or a bool).
    :func:`to_int` (request values), pack ids in paths and the settings typed on the command
    line (``options.whole``) read integers by it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return int(text)
        if re.fullmatch(r"[+-]?[0-9]+\.0*", text):
            return int(float(text))
    return None


def to_float(value: Any) -> float:
    """A finite float from JSON or form text; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError("must be a number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def is_url(value: str) -> bool:
    """True for an absolute http(s) URL without whitespace."""
    if not isinstance(value, str) or re.search(r"\s", value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def blank(value: Any) -> bool:
    """True for a missing value: None or text of only whitespace."""
    return value is None or (isinstance(value, str) and value.strip() == "")
