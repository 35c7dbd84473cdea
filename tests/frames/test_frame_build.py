"""The frame builder hands raw values over column by column (peak memory: raw or typed)."""

from __future__ import annotations

import pandas as pd
import pytest
from tune_records import TIMESTAMPS, make_tunes

from astria_widgets.frames import coerce, tunes_dataframe
from astria_widgets.frames.build import RawValues, build_frame
from astria_widgets.frames.schema import TUNE_SCHEMA


def test_taken_raw_values_are_forgotten_and_a_second_read_says_so():
    raw = RawValues([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    assert list(raw.take("a")) == [1, 2]
    assert "a" not in raw._columns  # the list is released, not kept beside the typed column
    with pytest.raises(LookupError, match="'a'"):
        raw("a")
    assert list(raw("b")) == ["x", "y"]
    assert list(raw("missing")) == [None, None]  # an absent field is still all None


def test_derive_sees_the_kept_fields_and_no_other_schema_field_raw():
    seen = {}

    def derive(columns, raw):
        seen["error"] = list(raw("error"))
        seen["auto_extend"] = raw.truthy("auto_extend").tolist()  # not a schema field
        with pytest.raises(LookupError):
            raw("title")
        return {}

    records = make_tunes(3)
    records[1]["error"] = "boom"
    build_frame(records, TUNE_SCHEMA, derive, keep=("error",))
    assert seen == {"error": [None, "boom", None], "auto_extend": [False] * 3}


@pytest.mark.parametrize(
    "values",
    [
        ["a", None, "b", None, "a"],
        ["a", None, pd.NA, "a"],  # pandas' null that the per-value rule writes out as text
        [pd.NA, None, "a"],
        ["a", float("nan"), None, "b"],
        [None, None],
        [True, None, False],
    ],
)
def test_categories_and_bools_equal_the_value_by_value_rules(values):
    # the fast paths (factorize with its uncoded rows checked; bools straight into numpy)
    column = coerce.to_category(values)
    assert [None if pd.isna(v) else v for v in column] == [coerce.as_text(v) for v in values]
    flags = coerce.to_bool(values)
    assert [None if pd.isna(v) else bool(v) for v in flags] == [coerce.as_bool(v) for v in values]


def _no_fraction(stamp: str) -> str:
    return stamp[:19] + "Z"


def test_timestamps_parsed_while_extracted_equal_the_column_conversion():
    # blocks of 4096 rows are parsed as they are read; a block of another canonical length
    # is parsed on its own, and a block with a null, garbage or a second length inside it is
    # converted from its values: the column is the same either way
    records = make_tunes(10_000, seed=3)
    for record in records[:4096]:
        record["expires_at"] = _no_fraction(record["expires_at"])
    records[5000]["trained_at"] = None
    records[9999]["started_training_at"] = None  # in the last, short block
    records[7000]["eta"] = "garbage"
    records[9000]["created_at"] = _no_fraction(records[9000]["created_at"])
    records[1]["updated_at"] = 12  # a number in the first chunk
    frame = tunes_dataframe(records, now=pd.Timestamp("2025-06-01", tz="UTC"))
    for name in TIMESTAMPS:
        expected = coerce.to_datetime([r[name] for r in records])
        assert frame[name].array.equals(expected), name
    assert frame["trained_at"].isna().sum() == 1 and frame["eta"].isna().sum() == 1


def test_raw_values_hand_over_parsed_blocks_or_lists():
    records = [{"t": f"2024-01-0{1 + i % 9}T00:00:00Z", "u": "x" if i else None} for i in range(9)]

    def parse(joined: str, n: int):
        return joined.split("\n") if n > 1 else None  # refuses a block of one row

    RawValues.BLOCK, block = 4, RawValues.BLOCK
    try:
        raw = RawValues(records, {"t": parse, "u": parse})
    finally:
        RawValues.BLOCK = block
    assert raw.parsed("t") == [[r["t"] for r in records[i : i + 4]] for i in (0, 4, 8)]
    assert raw.parsed("t")[2] == [records[8]["t"]]  # the last block of one row: its values
    # a block with a value that is not a str (or one the parser refuses) comes as its values
    assert raw.parsed("u") == [[None, "x", "x", "x"], ["x"] * 4, ["x"]]
    assert raw.parsed("missing") is None and list(raw("missing")) == [None] * 9
    assert list(raw("t")) == [r["t"] for r in records]  # asked for: read from the records
    raw.drop("t")
    with pytest.raises(LookupError):
        raw("t")
