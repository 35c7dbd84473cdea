"""Raw JSON values -> typed pandas arrays, one vectorised conversion per column.

Each ``to_*`` function takes the list of values of one field (``None`` where a record lacks
it) and returns a typed array of the same length. The common case -- every value already of
the documented JSON type -- takes a fast path checked with one ``set(map(type, values))``;
anything else (ids as strings, garbage timestamps, a list where a string was expected...)
goes through a per-value coercion that turns what it cannot use into a missing value. No
function here raises on any JSON value.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from astria_widgets.client.checks import whole_number
from astria_widgets.client.status import parse_time
from astria_widgets.frames.isotime import parse_canonical, parse_joined
from astria_widgets.frames.schema import DATETIME

_NONE = type(None)
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_TRUE = frozenset({"true", "1", "yes", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "f", "n"})


def _types(values: Sequence[Any]) -> set[type]:
    return set(map(type, values))


def as_int(value: Any) -> int | None:
    """One value as an int64-range int, or None: the client's one integer rule
    (:func:`~astria_widgets.client.checks.whole_number`: bools are not numbers, ``5.0`` and
    ``" 12 "`` are) within the int64 range of the column."""
    number = whole_number(value)
    return number if number is not None and _INT64_MIN <= number <= _INT64_MAX else None


def to_int(values: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    """Nullable ``Int64`` array."""
    types = _types(values)
    if types == {int}:  # no nulls (ids): straight into int64
        n = len(values)
        try:
            return pd.arrays.IntegerArray(
                np.fromiter(values, dtype=np.int64, count=n), np.zeros(n, dtype=bool)
            )
        except OverflowError:  # an int beyond int64: coerce one by one
            return pd.array([as_int(v) for v in values], dtype="Int64")
    if types <= {int, _NONE}:
        data = np.fromiter(values, dtype=object, count=len(values))
        mask = np.equal(data, None)
        data[mask] = 0
        try:
            return pd.arrays.IntegerArray(data.astype(np.int64), mask)
        except OverflowError:  # an int beyond int64: coerce one by one
            pass
    return pd.array([as_int(v) for v in values], dtype="Int64")


def as_float(value: Any) -> float | None:
    """One value as a finite float, or None (numeric strings count; NaN and infinities do not)."""
    kind = type(value)
    if kind is float or kind is int:
        try:
            result = float(value)
        except OverflowError:
            return None
        return result if math.isfinite(result) else None
    if kind is str:
        try:
            result = float(value)
        except ValueError:
            return None
        return result if math.isfinite(result) else None
    return None


def to_float(values: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    """Nullable ``Float64`` array (NaN and infinities become missing)."""
    return pd.array([as_float(v) for v in values], dtype="Float64")


def as_bool(value: Any) -> bool | None:
    """One value as a bool, or None: bools, 0/1, and strings like "true"/"no" (any case)."""
    kind = type(value)
    if kind is bool:
        return value
    if kind is int or kind is float:
        return bool(value) if value in (0, 1) else None
    if kind is str:
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def to_bool(values: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    """Nullable ``boolean`` array."""
    n = len(values)
    if all_none(values):
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    types = _types(values)
    if types == {bool}:  # no nulls: straight into a bool array
        return pd.arrays.BooleanArray(
            np.fromiter(values, dtype=bool, count=n), np.zeros(n, dtype=bool))
    if types <= {bool, _NONE}:  # the usual case: nothing to convert, mask the nulls
        data = np.fromiter(values, dtype=object, count=n)
        return pd.arrays.BooleanArray(data.astype(bool), np.equal(data, None))
    try:  # bools and nulls (and the 0/1 floats pandas also takes) in one C pass
        return pd.array(values, dtype="boolean")
    except Exception:  # anything else (pandas raises various types): the exact slow path
        return pd.array([as_bool(v) for v in values], dtype="boolean")


def _parse_times(values: Sequence[Any]) -> list[_dt.datetime | None]:
    """Parse with exactly the client's rules (:func:`astria_widgets.client.status.parse_time`).

    The happy path calls ``datetime.fromisoformat`` directly (it reads the API's ``Z`` suffix
    on Python 3.11+); anything it rejects goes through ``parse_time`` itself, so a timestamp
    means the same thing in a frame as in the client's status rules.
    """
    fromisoformat = _dt.datetime.fromisoformat
    utc = _dt.timezone.utc
    out: list[_dt.datetime | None] = []
    append = out.append
    for value in values:
        if value is None:
            append(None)
            continue
        if type(value) is str:
            try:
                parsed = fromisoformat(value)
            except ValueError:
                append(parse_time(value))
                continue
            append(parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=utc))
        else:
            try:
                append(parse_time(value))
            except (TypeError, ValueError):  # pragma: no cover - parse_time is total on JSON
                append(None)
    return out


def to_datetime(values: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    """``datetime64[us, UTC]`` array; unparseable values become NaT.

    A timestamp means what it means to the client (``parse_time``: ISO-8601 with ``Z`` or an
    offset, converted to UTC; naive times taken as UTC); numbers are not guessed at (epoch
    units are ambiguous). The API's canonical form is parsed vectorised by pandas
    (:mod:`astria_widgets.frames.isotime` keeps other forms out of it); only other strings are
    parsed one by one.
    """
    return pd.array(_datetime64(values), dtype=DATETIME)


def _datetime64(values: Sequence[Any]) -> np.ndarray:
    """:func:`to_datetime` as naive UTC ``datetime64[us]``."""
    n = len(values)
    if all_none(values):
        return np.full(n, np.datetime64("NaT", "us"))
    try:  # all strings (the usual case): no per-value type check needed
        stamps, parsed = parse_canonical(values)
    except TypeError:  # None, numbers, lists...: parse the strings, null the rest
        stamps, parsed = parse_canonical([v if type(v) is str else "" for v in values])
    if not parsed.all():
        rest = [i for i in np.flatnonzero(~parsed).tolist() if values[i] is not None]
        if rest:
            stamps[rest] = _to_us([values[i] for i in rest])
    return stamps


def canonical_times(joined: str, n: int) -> np.ndarray | None:
    """``datetime64[us]`` (UTC) of ``n`` strings joined by newlines when every one is a
    canonical timestamp of one length that numpy parses (what :func:`to_datetime` makes of
    them); None otherwise, when the values go through :func:`to_datetime` itself."""
    return parse_joined(joined, n)


def datetime_blocks(blocks: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    """The ``datetime64[us, UTC]`` column of blocks in row order, each what
    :func:`canonical_times` made of it or, where it gave None, the block's values."""
    parts = [b if isinstance(b, np.ndarray) else _datetime64(b) for b in blocks]
    return pd.array(np.concatenate(parts), dtype=DATETIME)


def _to_us(values: Sequence[Any]) -> np.ndarray:
    """Parse values one by one with the client's rule -> naive UTC ``datetime64[us]``."""
    parsed = _parse_times(values)
    try:
        index = pd.to_datetime(parsed, utc=True)
    except (OverflowError, ValueError, TypeError):  # outside the representable range
        index = pd.to_datetime([_one(p) for p in parsed], utc=True)
    return np.asarray(index.as_unit("us").tz_convert(None), dtype="datetime64[us]")


def _one(value: _dt.datetime | None) -> _dt.datetime | None:
    try:
        pd.to_datetime([value], utc=True)
    except (OverflowError, ValueError, TypeError):
        return None
    return value


def as_text(value: Any) -> str | None:
    """One value as text: strings as they are, other JSON values as compact JSON."""
    if value is None:
        return None
    if type(value) is str:
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    except (ValueError, TypeError):  # circular or unencodable
        return str(value)


def all_none(values: Sequence[Any]) -> bool:
    """True when every value is None (cheap: compares identities only)."""
    if isinstance(values, (list, tuple)):
        if values and (values[0] is not None or values[-1] is not None):
            return False  # the usual case, a filled column: decided without a pass
        return values.count(None) == len(values)  # identity first: no object is inspected
    return all(v is None for v in values)


def to_text(values: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    """Pandas ``string`` array."""
    n = len(values)
    if all_none(values):
        return pd.arrays.StringArray(np.full(n, pd.NA, dtype=object))
    try:  # strings and nulls only: pandas validates in one C pass
        return pd.arrays.StringArray(np.fromiter(values, dtype=object, count=n))
    except Exception:  # anything else (pandas raises various types): the exact slow path
        return pd.arrays.StringArray(np.fromiter(map(as_text, values), dtype=object, count=n))


def to_category(values: Sequence[Any]) -> pd.Categorical:
    """``category`` array with string categories in order of first appearance.

    pandas' ``factorize`` (a C hash table) codes the values when they are strings and nulls
    only (checked on its distinct values and on the rows it left uncoded, so a NaN or
    ``pd.NA`` is never taken for a null the per-value rule would write out); anything else is
    coded by :func:`as_text` first, the per-value rule.
    """
    array = np.fromiter(values, dtype=object, count=len(values))  # no shape discovery
    try:
        codes, distinct = pd.factorize(array)
        missing = codes < 0
        # the rows factorize left uncoded must all hold None (not NaN or pd.NA): counted
        # over those rows only, where None is found by identity
        exact = all(type(v) is str for v in distinct) and (
            not missing.any() or array[missing].tolist().count(None) == missing.sum())
    except TypeError:  # an unhashable value (list, dict)
        exact = False
    if not exact:
        array[:] = [as_text(v) for v in values]
        codes, distinct = pd.factorize(array)
    categories = pd.Index(pd.arrays.StringArray(np.asarray(distinct, dtype=object)))
    return pd.Categorical.from_codes(
        np.asarray(codes, dtype=np.int64), dtype=pd.CategoricalDtype(categories)
    )


def to_list(values: Sequence[Any]) -> np.ndarray:
    """Object array of lists; a tuple becomes a list, any other non-list value None."""
    n = len(values)
    if not _types(values) <= {list, _NONE}:
        values = [
            v if type(v) is list else list(v) if isinstance(v, (list, tuple)) else None
            for v in values
        ]
    return np.fromiter(values, dtype=object, count=n)


def count(lists: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``Int64`` lengths of an object array of lists (missing where there is no list)."""
    n = len(lists)
    try:  # every row holds a list
        return pd.arrays.IntegerArray(
            np.fromiter(map(len, lists), dtype=np.int64, count=n), np.zeros(n, dtype=bool)
        )
    except TypeError:  # some rows hold None
        return pd.array([None if v is None else len(v) for v in lists], dtype="Int64")


def to_object(values: Sequence[Any]) -> np.ndarray:
    """Object array holding the values as they are."""
    return np.fromiter(values, dtype=object, count=len(values))


CONVERTERS: dict[str, Callable[[Sequence[Any]], Any]] = {
    "int": to_int,
    "float": to_float,
    "bool": to_bool,
    "datetime": to_datetime,
    "text": to_text,
    "nested": to_text,
    "category": to_category,
    "list": to_list,
}


def infer(values: Sequence[Any]) -> Any:
    """Typed array for a field outside the schema, its dtype inferred from the values.

    All bools -> ``boolean``; all ints -> ``Int64``; ints and floats -> ``Float64``; all
    strings -> ``string``; anything else (lists, mixtures) -> ``object`` as is. Dicts are
    handled by the caller (flattened), so they do not reach here.
    """
    types = _types(values) - {_NONE}
    if not types:
        return to_object(values)
    if types == {bool}:
        return to_bool(values)
    if types == {int}:
        if all(_INT64_MIN <= v <= _INT64_MAX for v in values if v is not None):
            return to_int(values)
        return to_object(values)
    if types <= {int, float}:
        return to_float(values)
    if types == {str}:
        return to_text(values)
    return to_object(values)
