"""The vectorised columns agree with the client's per-record rules, on any input.

``status`` must equal ``tune_status`` / ``prompt_status`` record by record, and every
timestamp column must mean what ``parse_time`` says it means.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest
from frames_examples import DOC_TUNES, canonical, json_values, moments, records, timestamps
from hypothesis import given, settings
from hypothesis import strategies as st
from tune_records import make_tunes

from astria_widgets.client.status import parse_time, prompt_status, tune_status
from astria_widgets.frames import prompts_dataframe, tunes_dataframe
from astria_widgets.frames.coerce import as_int, to_datetime

UTC = dt.timezone.utc


def _same_time(value: pd.Timestamp, expected: dt.datetime | None) -> bool:
    if expected is None:
        return pd.isna(value)
    return not pd.isna(value) and value == pd.Timestamp(expected)


def _tune_statuses_agree(records: list[dict], now: dt.datetime) -> None:
    frame = tunes_dataframe(records, now=now)
    expected = sorted(
        ((r.get("id"), tune_status(r, now)) for r in records), key=lambda item: -item[0]
    )
    assert list(zip(frame.index, frame["status"], strict=True)) == expected


error_values = st.sampled_from(
    [None, "", "Training failed: x", 0, 1, [], ["x"], {}, {"a": 1}, True, False, 0.0]
)
lifecycle_records = st.fixed_dictionaries(
    {},
    optional={
        "error": error_values,
        "started_training_at": timestamps,
        "trained_at": timestamps,
        "expires_at": timestamps,
        "created_at": timestamps,
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(lifecycle_records, max_size=8), moments)
def test_tune_status_agrees_on_generated_records(items, now):
    records = [{"id": i, **item} for i, item in enumerate(items)]
    _tune_statuses_agree(records, now)


def test_tune_status_agrees_on_many_realistic_records():
    rnd = random.Random(7)
    records = make_tunes(3000, seed=3)
    for record in records:  # move each tune to a random point of its lifecycle
        stage = rnd.randrange(5)
        if stage == 0:
            record["started_training_at"] = record["trained_at"] = record["expires_at"] = None
        elif stage == 1:
            record["trained_at"] = record["expires_at"] = None
        elif stage == 2:
            record["error"] = "Training failed: worker timed out"
            record["trained_at"] = None
    for now in (dt.datetime(2024, 6, 1, tzinfo=UTC), dt.datetime(2026, 1, 1, tzinfo=UTC)):
        _tune_statuses_agree(records, now)
    _tune_statuses_agree(DOC_TUNES, dt.datetime(2023, 10, 23, 16, 7, 49, 137000, tzinfo=UTC))
    _tune_statuses_agree(DOC_TUNES, dt.datetime(2023, 10, 23, 16, 7, 49, 138000, tzinfo=UTC))


prompt_lifecycle = st.fixed_dictionaries(
    {},
    optional={
        "images": st.sampled_from([None, [], ["a.png"], "", "a.png", {}, 0, 1]) | json_values,
        "user_error": st.sampled_from([None, "", "failed", [], ["x"], 0, True]) | json_values,
    },
)


@settings(max_examples=200, deadline=None)
@given(st.lists(prompt_lifecycle, max_size=8))
def test_prompt_status_agrees_on_generated_records(items):
    records = [{"id": i, **item} for i, item in enumerate(items)]
    frame = prompts_dataframe(records)
    for record in records:
        assert frame.loc[record["id"], "status"] == prompt_status(record)


@settings(max_examples=150, deadline=None)
@given(st.lists(timestamps, max_size=20))
def test_timestamp_columns_mean_what_parse_time_says(values):
    parsed = to_datetime(values)
    assert len(parsed) == len(values)
    for value, got in zip(values, parsed, strict=True):
        assert _same_time(got, parse_time(value)), value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.builds(canonical, moments, st.sampled_from([0, 3, 6])), min_size=1))
def test_canonical_timestamps_take_the_vectorised_path_exactly(values):
    parsed = to_datetime(values)
    for value, got in zip(values, parsed, strict=True):
        assert _same_time(got, parse_time(value)), value


def test_timestamps_of_the_right_length_but_wrong_shape():
    values = [
        "2023-10-02T14:32:05.067Z",
        "2023-10-02 14:32:05.067Z",
        "2023-10-02T14:32:05,067Z",
        "2023-13-02T14:32:05.067Z",
        "2023-02-29T14:32:05.067Z",
        "2024-02-29T14:32:05.067Z",
        "2023-10-02T14:32:60.067Z",
        "2023-10-02T14:32:05.067\x00",
        "2023-10-02T14:32:05.06AZ",
        "１０２３-10-02T14:32:05.067Z",
        "2023-04-31T00:00:00Z",
        "2023-10-02T14:32:05.067123Z",
    ]
    parsed = to_datetime(values)
    for value, got in zip(values, parsed, strict=True):
        assert _same_time(got, parse_time(value)), value
    assert parsed[5] == pd.Timestamp("2024-02-29T14:32:05.067Z")
    assert pd.isna(parsed[4]) and pd.isna(parsed[3]) and pd.isna(parsed[10])


def newest_first(items: list[dict]) -> list[dict]:
    """The records in the frame's row order: coerced id descending, stable, no id last."""
    ids = [as_int(r.get("id")) if isinstance(r, dict) else None for r in items]
    order = sorted(range(len(items)), key=lambda i: (ids[i] is None, -(ids[i] or 0)))
    return [items[i] for i in order]


@settings(max_examples=100, deadline=None)
@given(st.lists(records(), max_size=6), moments)
def test_status_agrees_on_arbitrary_records(items, now):
    frame = tunes_dataframe(items, now=now)
    expected = [tune_status(r, now) for r in newest_first(items)]
    assert frame["status"].tolist() == expected
    prompts = prompts_dataframe(items)
    assert prompts["status"].tolist() == [prompt_status(r) for r in newest_first(items)]


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_the_vectorised_table_picks_what_first_matching_picks(data):
    """``status_codes`` (the frames) and ``first_matching`` (the client) read one table."""
    from astria_widgets.client.status import (
        PROMPT_STATUS_RULES,
        PROMPT_STATUSES,
        TUNE_STATUS_RULES,
        TUNE_STATUSES,
        first_matching,
    )
    from astria_widgets.frames import status as frame_status
    from astria_widgets.frames import tunes as frame_tunes

    assert frame_tunes.TUNE_STATUS_RULES is TUNE_STATUS_RULES  # the same object, no copy
    for rules, states in ((TUNE_STATUS_RULES, TUNE_STATUSES),
                          (PROMPT_STATUS_RULES, PROMPT_STATUSES)):
        names = sorted({c for _, conditions in rules for c in conditions})
        rows = data.draw(st.lists(st.fixed_dictionaries({n: st.booleans() for n in names}),
                                  min_size=1, max_size=20))
        arrays = {n: np.array([row[n] for row in rows], dtype=bool) for n in names}
        codes = frame_status.status_codes(rules, arrays, list(states), len(rows))
        assert [states[c] for c in codes] == [first_matching(rules, row) for row in rows]


def test_forms_pandas_accepts_but_the_client_rule_rejects_stay_missing():
    # pandas' ISO-8601 parser (used for the canonical shape) is laxer than fromisoformat;
    # the shape gate in frames/isotime.py must keep these out of it
    values = [
        "0000-01-01T00:00:00Z",  # year 0
        "2023",
        "2023-10",
        "2023-10-02T14:32:05.123456789Z",  # nanoseconds: pandas keeps them, Python truncates
        "2023-10-02T14:32:60Z",
        "2023-10-02T14:3２:05Z",  # a non-ASCII digit, right length
        "2023-1-02T14:32:05.00Z",  # right length, wrong shape
    ]
    parsed = to_datetime(values)
    for value, got in zip(values, parsed, strict=True):
        assert _same_time(got, parse_time(value)), value
    assert parsed[3] == pd.Timestamp("2023-10-02T14:32:05.123456Z")
    assert parsed.isna().sum() == len(values) - 1


@pytest.mark.parametrize(
    "values",
    [
        # lengths that add up to whole canonical rows, but the values are not those rows
        ["2023-10-02T14:32:05Z", "2023-10-02T14:32:05", "Z2023-10-02T14:32:05Z"],
        # a newline inside a value (the joiner of the one-length fast path)
        ["2023-10-02T14:32:05Z", "2023-10-02T14:32:05Z\n2023-10-02T14:32:05Z", "x"],
        ["2023-10-02T14:32:05Z", "2023-10-\n02T14:32Z"],
        ["2023-10-02T14:32:05.067Z"] * 3 + ["2023-10-02T14:32:05.067Z "],
        # every value of the canonical shape, one an impossible date
        ["2023-02-30T00:00:00Z", "2023-02-28T00:00:00Z"],
    ],
)
def test_canonical_rows_are_the_values_themselves(values):
    parsed = to_datetime(values)
    for value, got in zip(values, parsed, strict=True):
        assert _same_time(got, parse_time(value)), value


_EDGE_STAMPS = [
    "0001-01-01T00:00:00", "9999-12-31T23:59:59", "2024-02-29T12:00:00", "2000-02-29T00:00:00",
    "1900-02-29T00:00:00", "2023-02-29T00:00:00", "2023-04-31T00:00:00", "2023-13-01T00:00:00",
    "2023-00-10T00:00:00", "2023-01-00T00:00:00", "2023-10-02T24:00:00", "2023-10-02T23:60:00",
    "2023-10-02T23:59:60", "1969-12-31T23:59:59", "1970-01-01T00:00:00",
]  # fmt: skip


@pytest.mark.parametrize("fraction", ["", ".999", ".000001"])
@pytest.mark.parametrize("edge", _EDGE_STAMPS)
def test_a_one_length_canonical_column_means_what_the_client_rule_says(edge, fraction):
    # one canonical length throughout: numpy's parser reads the gate's byte grid (and rejects
    # the whole column on one impossible date, which then goes the per-value way)
    values = [f"2023-10-02T14:32:05{fraction}Z", f"{edge}{fraction}Z", None]
    parsed = to_datetime(values)
    for value, got in zip(values, parsed, strict=True):
        assert _same_time(got, None if value is None else parse_time(value)), value
    alone = to_datetime([f"{edge}{fraction}Z"] * 3)
    assert all(_same_time(got, parse_time(f"{edge}{fraction}Z")) for got in alone)


@pytest.mark.parametrize(
    "values",
    [
        # one canonical length first, newlines where the grid's rows end, and a row of the
        # canonical shape that is not its value ("2023", which pandas would read): the
        # second value holds a newline of its own
        ["2023-10-02T14:32:05Z", "x" * 20 + "\n2023-10-02T14:32:05Z", "2023", "y" * 15],
        ["2023-10-02T14:32:05Z", "2023-10-02T14:32:0", "\n2023-10-02T14:32:05Z"],
        # one length throughout, one row off the canonical shape (no newline inside)
        ["2023-10-02T14:32:05Z", "2023-10-02X14:32:05Z", "2023-10-02T14:32:06Z"],
    ],
)
def test_a_row_of_the_grid_that_is_not_a_value_is_never_parsed_as_one(values):
    # the one-length grid reads rows at a stride; when a row is off, the newline count
    # decides whether the rows are still the values
    parsed = to_datetime(values)
    for value, got in zip(values, parsed, strict=True):
        assert _same_time(got, parse_time(value)), repr(value)
