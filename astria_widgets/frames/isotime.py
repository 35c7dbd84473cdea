"""Vectorised parsing of the API's canonical timestamps (``2023-10-02T14:32:05.067Z``).

The API writes every timestamp as ``YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z``. Strings of exactly
that shape are parsed here with numpy arithmetic on their code points -- no Python object per
value -- and checked to be real dates and times (month 1-12, day within the month, hour < 24,
minute and second < 60, year >= 1), which is exactly what ``datetime.fromisoformat`` accepts
for that shape. Everything else is left to the caller's exact per-value parser.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_WIDTH = 27  # longest canonical form: 2023-10-02T14:32:05.067123Z
_DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_FRACTION_DIGITS = {20: 0, 24: 3, 27: 6}
_NAT = np.iinfo(np.int64).min


def _number(digits: np.ndarray) -> np.ndarray:
    value = np.zeros(digits.shape[0], dtype=np.int64)
    for j in range(digits.shape[1]):
        value = value * 10 + digits[:, j]
    return value


def _parse_block(codes: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Micro-seconds since the epoch and validity of rows of one canonical ``length``."""
    n = codes.shape[0]
    fraction = _FRACTION_DIGITS[length]
    digit_cols = _DATE_DIGITS + list(range(20, 20 + fraction))
    digits = codes[:, digit_cols].astype(np.int64) - 48
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
    ok &= (codes[:, 4] == ord("-")) & (codes[:, 7] == ord("-")) & (codes[:, 10] == ord("T"))
    ok &= (codes[:, 13] == ord(":")) & (codes[:, 16] == ord(":"))
    ok &= codes[:, length - 1] == ord("Z")
    if fraction:
        ok &= codes[:, 19] == ord(".")
    year = _number(digits[:, 0:4])
    month = _number(digits[:, 4:6])
    day = _number(digits[:, 6:8])
    hour = _number(digits[:, 8:10])
    minute = _number(digits[:, 10:12])
    second = _number(digits[:, 12:14])
    micros = _number(digits[:, 14:]) * 10 ** (6 - fraction) if fraction else np.zeros(n, np.int64)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    # garbage in rejected rows must not overflow the date arithmetic below
    year = np.where(ok, year, 1970)
    month = np.where(ok, month, 1)
    day = np.where(ok, day, 1)
    months = (year - 1970) * 12 + (month - 1)
    first = months.astype("datetime64[M]")
    date = first.astype("datetime64[D]") + (day - 1)
    ok &= date.astype("datetime64[M]") == first  # day 31 of a 30-day month rolls over
    seconds = date.astype(np.int64) * 86_400 + hour * 3600 + minute * 60 + second
    return np.where(ok, seconds * 1_000_000 + micros, _NAT), ok


def parse_canonical(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Parse canonical timestamps; returns (``datetime64[us]`` UTC values, parsed mask).

    ``values`` holds strings only. Rows that are not canonical (or not valid dates)
    come back as NaT with the mask False; the caller parses those another way.
    """
    n = len(values)
    result = np.full(n, _NAT, dtype=np.int64)
    parsed = np.zeros(n, dtype=bool)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
    for length in _FRACTION_DIGITS:
        rows = np.flatnonzero(lengths == length)
        if not len(rows):
            continue
        chosen = values if len(rows) == n else [values[i] for i in rows.tolist()]
        block = np.array(chosen, dtype=f"U{_WIDTH}")
        codes = block.view(np.uint32).reshape(len(rows), _WIDTH)
        micros, ok = _parse_block(codes, length)
        result[rows] = micros
        parsed[rows] = ok
    return result.view("datetime64[us]"), parsed
