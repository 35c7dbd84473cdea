"""Vectorised parsing of the API's canonical timestamps (``2023-10-02T14:32:05.067Z``).

The API writes every timestamp as ``YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z``. Strings of exactly
that shape are parsed here with integer arithmetic on their bytes -- no Python object per
value -- and checked to be real dates and times (month 1-12, day within the month, hour < 24,
minute and second < 60, year >= 1), which is exactly what ``datetime.fromisoformat`` accepts
for that shape. Everything else is left to the caller's exact per-value parser.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_FRACTION_DIGITS = {20: 0, 24: 3, 27: 6}  # string length -> digits after the seconds
_NAT = np.iinfo(np.int64).min
_SEPARATORS = {4: b"-", 7: b"-", 10: b"T", 13: b":", 16: b":"}
_DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    year = year - (month <= 2)
    era = np.floor_divide(year, 400)
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _parse_block(codes: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Micro-seconds since the epoch and validity of byte rows of one canonical ``length``."""
    fraction = _FRACTION_DIGITS[length]
    ok = codes[:, length - 1] == ord("Z")
    for position, char in _SEPARATORS.items():
        ok &= codes[:, position] == ord(char)
    if fraction:
        ok &= codes[:, 19] == ord(".")

    def number(start: int, stop: int) -> np.ndarray:
        nonlocal ok
        value = np.zeros(len(codes), dtype=np.int64)
        for position in range(start, stop):
            digit = codes[:, position] - np.uint8(48)  # wraps for non-digits: > 9
            ok &= digit <= 9
            value = value * 10 + digit
        return value

    year, month, day = number(0, 4), number(5, 7), number(8, 10)
    hour, minute, second = number(11, 13), number(14, 16), number(17, 19)
    micros = number(20, 20 + fraction) * 10 ** (6 - fraction)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    longest = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] - ((month == 2) & ~leap)
    ok &= (year >= 1) & month_ok & (day >= 1) & (day <= longest)
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    days = _days_from_civil(year, month, day)
    seconds = days * 86_400 + hour * 3600 + minute * 60 + second
    return np.where(ok, seconds * 1_000_000 + micros, _NAT), ok


def parse_canonical(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Parse canonical timestamps; returns (``datetime64[us]`` UTC values, parsed mask).

    ``values`` holds strings only (anything else raises ``TypeError``). Rows that are not
    canonical (or not valid dates) come back as NaT with the mask False; the caller parses
    those another way.
    """
    n = len(values)
    result = np.full(n, _NAT, dtype=np.int64)
    parsed = np.zeros(n, dtype=bool)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
    if n and int(lengths[0]) in _FRACTION_DIGITS and bool((lengths == lengths[0]).all()):
        # the usual case, one length throughout: the joined text is an n x length byte grid
        length = int(lengths[0])
        try:
            raw = "".join(values).encode("ascii")
        except UnicodeEncodeError:
            raw = None
        if raw is not None:
            codes = np.frombuffer(raw, dtype=np.uint8).reshape(n, length)
            micros, parsed = _parse_block(codes, length)
            return micros.view("datetime64[us]"), parsed
    for length in _FRACTION_DIGITS:
        rows = np.flatnonzero(lengths == length)
        if not len(rows):
            continue
        chosen = [values[i] for i in rows.tolist()]
        try:
            raw = "".join(chosen).encode("ascii")
        except UnicodeEncodeError:  # keep the ASCII rows (the others cannot be canonical)
            keep = [j for j, text in enumerate(chosen) if text.isascii()]
            rows, raw = rows[keep], "".join(chosen[j] for j in keep).encode("ascii")
        codes = np.frombuffer(raw, dtype=np.uint8).reshape(len(rows), length)
        micros, ok = _parse_block(codes, length)
        result[rows] = micros
        parsed[rows] = ok
    return result.view("datetime64[us]"), parsed
