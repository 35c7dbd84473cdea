"""Property-based: the frames never raise on any list of JSON objects (issue 6, "Fuzzing").

Whatever the records hold, each frame keeps one row per record and every id: the index is
the records' ids coerced to integers (``"12"`` -> 12), ``<NA>`` for a record without a usable
id, as a multiset (duplicates are kept as separate rows), newest first with ``<NA>`` last.
"""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
from frames_examples import json_values, records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astria_widgets.frames import (
    PROMPT_COLUMNS,
    TUNE_COLUMNS,
    prompts_dataframe,
    tunes_dataframe,
)
from astria_widgets.frames.coerce import as_int

any_objects = st.dictionaries(st.text(max_size=10), json_values, max_size=8)
record_lists = st.lists(records() | any_objects, max_size=10)


def _check(frame: pd.DataFrame, items: list[dict], schema) -> None:
    assert len(frame) == len(items)
    assert list(frame.columns[: len(schema)]) == list(schema)
    for name, dtype in schema.items():
        assert frame[name].dtype == dtype, name
    expected = Counter(as_int(r.get("id")) for r in items)
    got = Counter(None if pd.isna(i) else int(i) for i in frame.index)
    assert got == expected
    known = [int(i) for i in frame.index if not pd.isna(i)]
    assert known == sorted(known, reverse=True)
    assert frame.index[len(known) :].isna().all()  # records without a usable id come last


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record_lists)
def test_tunes_dataframe_never_raises_and_keeps_every_record(items):
    _check(tunes_dataframe(items), items, TUNE_COLUMNS)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record_lists)
def test_prompts_dataframe_never_raises_and_keeps_every_record(items):
    _check(prompts_dataframe(items), items, PROMPT_COLUMNS)


@settings(max_examples=30, deadline=None)
@given(record_lists)
def test_json_round_trip_gives_the_same_frame(items):
    """Records straight from ``json.loads`` (what the client returns) build the same frame."""
    try:
        decoded = json.loads(json.dumps(items))
    except ValueError:  # pragma: no cover - NaN is valid for the json module
        return
    left, right = tunes_dataframe(items), tunes_dataframe(decoded)
    assert left.index.equals(right.index)
    assert list(left.columns) == list(right.columns)


scalars_and_more = st.lists(json_values, max_size=12)


@settings(max_examples=150, deadline=None)
@given(scalars_and_more)
def test_fast_paths_equal_the_value_by_value_rules(values):
    """Each column conversion (fast path or not) equals coercing value by value."""
    from astria_widgets.frames import coerce

    def same(got, expected):
        return (expected is None and pd.isna(got)) or (expected is not None and got == expected)

    for converter, one in (
        (coerce.to_int, coerce.as_int),
        (coerce.to_float, coerce.as_float),
        (coerce.to_bool, coerce.as_bool),
        (coerce.to_text, coerce.as_text),
        (coerce.to_category, coerce.as_text),
    ):
        column = converter(values)
        assert len(column) == len(values)
        for got, value in zip(column, values, strict=True):
            assert same(got, one(value)), (converter.__name__, value, got)
    lists = coerce.to_list(values)
    counts = coerce.count(lists)
    for got, n, value in zip(lists, counts, values, strict=True):
        if isinstance(value, list):
            assert got == value and n == len(value)
        else:
            assert got is None and pd.isna(n)
