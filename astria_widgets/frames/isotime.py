"""Vectorised parsing of the API's canonical timestamps (``2023-10-02T14:32:05.067Z``).

The API writes every timestamp as ``YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z``. The parsing itself
is pandas' (``pd.to_datetime(..., format="ISO8601", utc=True)``): a hand-written byte-level
parser used to live here and measured no faster than that call (``benchmarks/bench_frames.py``
compares them), so it was replaced.

What stays here is the gate that keeps a column's meaning identical to the client's rule
(``parse_time``, i.e. ``datetime.fromisoformat``): pandas accepts forms that rule rejects
(``"2023"``, ``"2023-10"``, year 0, nine fraction digits), so only strings of exactly the
canonical shape, in ASCII, with a year >= 1, are handed to pandas. Within that shape pandas
and ``fromisoformat`` agree, rejecting the same impossible dates and times (the caller sends
whatever comes back NaT, and every other string, through the exact per-value rule).

When every value has one canonical length (the usual case), the gate already holds the values
as an ``n x length`` byte grid; the grid without its ``Z`` column is then a numpy bytes array
that numpy's own ISO-8601 parser (``astype("datetime64[us]")``) reads in one C pass, faster
than ``pd.to_datetime`` on the Python strings (``benchmarks/bench_frames.py`` times both).
Within the canonical shape, numpy rejects exactly the impossible dates and times
``fromisoformat`` rejects (month 13, February 29 of a common year, hour 24, second 60...),
but it rejects the whole array at once, so a column holding one such value goes through
pandas as before.

:func:`parse_joined` takes the values already joined by newlines (the frame builder joins and
parses a block of rows at a time while it reads the records, when the strings are still in
cache) and answers only for the usual case, every value canonical of one length; anything
else is left to :func:`parse_canonical` on the values themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import as_strided

_FRACTION_DIGITS = {20: 0, 24: 3, 27: 6}  # string length -> digits after the seconds
_NAT = np.datetime64("NaT", "us")
_SEPARATORS = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":"}


def _template(length: int) -> tuple[np.ndarray, np.ndarray]:
    """Per position of a canonical string of ``length``: its base byte and its allowed span.

    A row has the canonical shape when ``row - base <= span`` everywhere (uint8 arithmetic,
    which wraps below the base): digits are ``"0"`` + 0..9, separators exactly themselves.
    """
    base = np.full(length, ord("0"), dtype=np.uint8)
    span = np.full(length, 9, dtype=np.uint8)
    fixed = dict(_SEPARATORS)
    fixed[length - 1] = "Z"
    if _FRACTION_DIGITS[length]:
        fixed[19] = "."
    for position, char in fixed.items():
        base[position], span[position] = ord(char), 0
    return base, span


_TEMPLATES = {length: _template(length) for length in _FRACTION_DIGITS}
_YEAR_ZERO = np.frombuffer(b"0000", dtype=np.uint32)[0]


def _shape_ok(codes: np.ndarray, length: int) -> np.ndarray:
    """Which byte rows of one ``length`` have the canonical shape (digits where digits go)."""
    base, span = _TEMPLATES[length]
    year = np.ascontiguousarray(codes[:, :4]).view(np.uint32).ravel()
    ok = year != _YEAR_ZERO  # year 0000: pandas and numpy take it, Python does not
    bad = (codes - base) > span
    if bad.any():  # only then per row (a reduction along the short axis is the slow part)
        ok &= ~bad.any(axis=1)
    return ok


def _uniform_grid(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """(``n x length`` byte grid, canonical mask) when every value has one canonical length.

    The values are joined with newlines (which no canonical string contains) and read as
    rows of ``length`` bytes at a stride of ``length + 1``; every ``length + 1``-th byte must
    be a newline. When every row then has the canonical shape, no row holds a newline, so
    the n - 1 newlines are exactly the joiners and the rows are the values themselves. Only
    when some row is off is the newline count checked (one newline too many means a value
    held one, and the rows are not the values). Any other layout returns None.
    """
    length = len(values[0])
    if length not in _FRACTION_DIGITS:  # decided before joining anything
        return None
    return _joined_grid("\n".join(values), len(values), length)


def _joined_grid(joined: str, n: int, length: int) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_uniform_grid` of ``n`` values already joined by newlines, rows of ``length``."""
    if length not in _FRACTION_DIGITS:
        return None
    try:
        raw = joined.encode("ascii")
    except UnicodeEncodeError:
        return None
    if len(raw) != n * (length + 1) - 1:
        return None
    flat = np.frombuffer(raw, dtype=np.uint8)
    if not (flat[length :: length + 1] == ord("\n")).all():
        return None
    grid = as_strided(flat, shape=(n, length), strides=(length + 1, 1), writeable=False)
    rows = _shape_ok(grid, length)
    if not rows.all() and raw.count(b"\n") != n - 1:
        return None
    return grid, rows


def _numpy_parse(grid: np.ndarray) -> np.ndarray | None:
    """numpy's ISO-8601 parse of canonical byte rows (``Z`` dropped: the values are UTC);
    None when numpy rejects one of them (an impossible date or time)."""
    length = grid.shape[1]
    body = np.ascontiguousarray(grid[:, : length - 1]).view(f"S{length - 1}").ravel()
    try:
        return body.astype("datetime64[us]")
    except ValueError:
        return None


def canonical_rows(values: Sequence[str]) -> np.ndarray:
    """Boolean mask of the strings that have exactly the API's canonical shape.

    ``values`` holds strings only (anything else raises ``TypeError``).
    """
    if len(values) and type(values[0]) is str:
        uniform = _uniform_grid(values)  # the usual case: one length throughout
        if uniform is not None:
            return uniform[1]
    return _rows_by_length(values)


def _rows_by_length(values: Sequence[str]) -> np.ndarray:
    """The canonical mask, one byte grid per canonical length (values of mixed lengths)."""
    n = len(values)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
    mask = np.zeros(n, dtype=bool)
    for length in _FRACTION_DIGITS:
        rows = np.flatnonzero(lengths == length)
        if not len(rows):
            continue
        chosen = values if len(rows) == n else [values[i] for i in rows.tolist()]
        try:
            raw = "".join(chosen).encode("ascii")
        except UnicodeEncodeError:  # keep the ASCII rows (the others cannot be canonical)
            keep = [j for j, text in enumerate(chosen) if text.isascii()]
            rows, raw = rows[keep], "".join(chosen[j] for j in keep).encode("ascii")
        codes = np.frombuffer(raw, dtype=np.uint8).reshape(len(rows), length)
        mask[rows] = _shape_ok(codes, length)
    return mask


def parse_joined(joined: str, n: int) -> np.ndarray | None:
    """``datetime64[us]`` UTC values of ``n`` strings joined by newlines, when every one has
    the canonical shape of one length and numpy parses them all; None otherwise."""
    if n < 1:
        return None
    first = joined.find("\n")
    uniform = _joined_grid(joined, n, len(joined) if first < 0 else first)
    if uniform is None or not uniform[1].all():
        return None
    return _numpy_parse(uniform[0])


def parse_canonical(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Parse canonical timestamps; returns (``datetime64[us]`` UTC values, parsed mask).

    ``values`` holds strings only (anything else raises ``TypeError``). Rows that are not
    canonical (or not valid dates) come back as NaT with the mask False; the caller parses
    those another way.
    """
    uniform = _uniform_grid(values) if len(values) and type(values[0]) is str else None
    grid, rows = (None, _rows_by_length(values)) if uniform is None else uniform
    every = bool(rows.all())
    if every and grid is not None:  # the usual case: numpy parses the grid itself
        stamps = _numpy_parse(grid)
        if stamps is not None:
            return stamps, rows
    if not every and not rows.any():
        return np.full(len(values), _NAT), rows
    chosen = values if every else [values[i] for i in np.flatnonzero(rows).tolist()]
    parsed = pd.to_datetime(chosen, format="ISO8601", utc=True, errors="coerce")
    micros = np.asarray(parsed.as_unit("us").tz_localize(None), dtype="datetime64[us]")
    if every:
        stamps = micros if micros.flags.writeable else micros.copy()  # the caller fills NaTs
    else:
        stamps = np.full(len(values), _NAT)
        stamps[rows] = micros
    return stamps, rows & ~np.isnat(stamps)
