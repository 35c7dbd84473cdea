"""The frame builder hands raw values over column by column (peak memory: raw or typed)."""

from __future__ import annotations

import pandas as pd
import pytest
from tune_records import make_tunes

from astria_widgets.frames import coerce
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
