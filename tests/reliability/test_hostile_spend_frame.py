"""Issue 20 item 4: ``spend_dataframe`` over hostile records and sources.

An odd record keeps its row (an odd cost is unknown, never a guess and never an error); an odd
pack or order answer prices nothing; a source that is no list, client or history is refused
naming ``source``. Every input tried is counted with :func:`hostile.probe` ("frames").
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hostile import probe

from astria_widgets.frames import SPEND_COLUMNS, spend_dataframe

DAY = "2026-03-01T10:00:00.000Z"
GOOD_TUNE = {"id": 1, "name": "man", "branch": "sdxl1", "created_at": DAY}

ODD_COSTS: list[Any] = [True, "12abc", 1.5, -1e300, 10**40, None, [], {"mc": 1}, "NaN"]


@pytest.mark.parametrize("cost", ODD_COSTS, ids=repr)
def test_an_odd_prompt_cost_is_unknown_and_keeps_its_row(cost):
    frame = spend_dataframe([GOOD_TUNE, {"id": 5, "tune_id": 1, "cost_mc": cost,
                                         "created_at": DAY}])
    row = frame[frame["kind"] == "image"].iloc[0]
    assert len(frame) == 2 and list(frame.dtypes) == list(SPEND_COLUMNS.values())
    assert pd.isna(row["cost_mc"]) or row["cost_mc"] == int(cost)  # 1.5 is no whole number
    assert pd.isna(row["cost_mc"]) == (row["basis"] == "unknown")
    probe("frames")


ODD_PACKS: list[Any] = [
    {"id": 9, "base_tune_id": 666678, "costs": "lots"},
    {"id": 9, "base_tune_id": 666678, "costs": {"man": {"cost_mc": 10}},
     "template_prompts": [{"name": "man", "cost_mc": 50}]},  # less than its prompts
    {"id": 9, "base_tune_id": "x", "costs": {"man": {"cost_mc": 10}}},
    {"id": None},
    "not a pack",
]


@pytest.mark.parametrize("pack", ODD_PACKS, ids=range(len(ODD_PACKS)))
def test_an_odd_pack_prices_no_training(pack):
    frame = spend_dataframe([GOOD_TUNE], packs=[pack])
    assert frame["basis"].tolist() == ["unknown"] and pd.isna(frame["cost_mc"].iloc[0])
    probe("frames")


ODD_ORDERS: list[Any] = [
    {"id": 1, "order": {"total_cost_mc": "lots", "prompt_ids": []}},
    {"id": 1, "order": {"total_cost_mc": 100, "prompt_ids": [404]}},  # a prompt not known
    {"id": "one", "order": {"total_cost_mc": 100, "prompt_ids": []}},
    {"id": 1, "order": ["total_cost_mc", 100]},
]


@pytest.mark.parametrize("answer", ODD_ORDERS, ids=range(len(ODD_ORDERS)))
def test_an_odd_order_answer_is_no_charged_total(answer):
    frame = spend_dataframe([GOOD_TUNE], orders=[answer])
    assert frame["basis"].tolist() == ["unknown"]
    probe("frames")


ODD_RECORDS: list[Any] = [None, "tune", 5, {"tune_id": None}, {"id": "x", "branch": 3}]


@pytest.mark.parametrize("record", ODD_RECORDS, ids=repr)
def test_an_odd_record_keeps_a_row(record):
    frame = spend_dataframe([GOOD_TUNE, record])
    assert len(frame) == 2
    probe("frames")


@pytest.mark.parametrize("source", ["tunes", b"x", {"id": 1}, 5, 2.5], ids=repr)
def test_a_wrong_source_is_refused_naming_it(source):
    with pytest.raises(TypeError, match="^source must be a list of tune or prompt records"):
        spend_dataframe(source)
    probe("frames")
