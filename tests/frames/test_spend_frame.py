"""spend_dataframe: one typed row per charge, figures from the records, the groupings."""

from __future__ import annotations

import pandas as pd
import pytest

from astria_widgets.client.costs import MC_PER_USD, pack_training_cost_mc, prompts_cost_mc
from astria_widgets.client.references import FLUX1_DEV
from astria_widgets.frames import (
    SPEND_COLUMNS,
    spend_dataframe,
    spend_per,
    spend_per_day,
    spend_per_model,
    spend_per_tune,
    usd_text,
)

DAY1, DAY2 = "2026-03-01T10:00:00.000Z", "2026-03-02T09:30:00.000Z"

TUNES = [
    {"id": 11, "title": "me", "name": "man", "branch": "flux1", "model_type": "lora",
     "created_at": DAY1},
    {"id": 12, "title": "free", "name": "dog", "branch": "fast", "model_type": None,
     "created_at": DAY1},
    {"id": 13, "title": "packed", "name": "woman", "branch": "sdxl1", "model_type": "pti",
     "created_at": DAY2},
]
PROMPTS = [
    # a LoRA prompt runs on the gallery base tune and references the account's tune 11
    {"id": 101, "tune_id": FLUX1_DEV, "text": "<lora:11:1> ohwx man", "cost_mc": 4600,
     "created_at": DAY1},
    {"id": 102, "tune_id": 12, "text": "sks dog", "cost_mc": 0, "created_at": DAY1},
    {"id": 103, "tune_id": 13, "text": "ohwx woman", "cost_mc": 1500, "created_at": DAY2,
     "base_pack_id": 261, "order_id": 7},
    {"id": 104, "tune_id": 13, "text": "ohwx woman", "cost_mc": 1500, "created_at": DAY2,
     "base_pack_id": 261, "order_id": 7},
    {"id": 105, "tune_id": 11, "text": "a walk", "cost_mc": 42_000, "created_at": DAY2,
     "video_model": "seedance_480p", "is_video": True},
]
PACK = {  # a pack detail (GET /p/:id) training sdxl1 tunes
    "id": 261, "base_tune_id": 666678,
    "costs": {"woman": {"cost_mc": 303_000, "num_images": 2}},
    "template_prompts": [{"name": "woman", "cost_mc": 1500}, {"name": "woman", "cost_mc": 1500}],
}


def assert_typed(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(SPEND_COLUMNS)
    for name, dtype in SPEND_COLUMNS.items():
        assert frame[name].dtype == dtype, name


def test_no_records_give_the_typed_empty_frame():
    frame = spend_dataframe([])
    assert frame.shape == (0, len(SPEND_COLUMNS))
    assert_typed(frame)
    assert list(frame["kind"].cat.categories) == ["training", "image", "video"]
    assert spend_per_day(frame).empty and spend_per_model(frame).empty


def test_one_row_per_charge_with_kind_model_and_tune():
    frame = spend_dataframe(TUNES + PROMPTS)
    assert_typed(frame)
    assert len(frame) == len(TUNES) + len(PROMPTS)
    prompts = frame[frame["kind"] != "training"].set_index("prompt_id")
    assert prompts.loc[101, "tune_id"] == 11 and prompts.loc[101, "model"] == "flux1"
    assert prompts.loc[105, "kind"] == "video" and prompts.loc[105, "model"] == "seedance_480p"
    assert prompts.loc[103, "model"] == "sdxl1" and prompts.loc[103, "kind"] == "image"
    # the prompts' costs are the API's own figures: summed, they are the records' sum
    assert prompts["cost_mc"].sum() == prompts_cost_mc(PROMPTS)
    assert not prompts["estimate"].any()
    assert (prompts["dollars"] == prompts["cost_mc"] / MC_PER_USD).all()
    training = frame[frame["kind"] == "training"].set_index("tune_id")
    assert training.loc[12, "cost_mc"] == 0 and training.loc[12, "basis"] == "fast branch"
    # without packs or orders the API states no training price: unknown, left out of sums
    assert pd.isna(training.loc[11, "cost_mc"]) and training.loc[11, "basis"] == "unknown"
    assert frame["time"].is_monotonic_decreasing


def test_training_priced_by_the_pack_detail_is_an_estimate():
    frame = spend_dataframe(TUNES + PROMPTS, packs=[PACK])
    training = frame[frame["kind"] == "training"].set_index("tune_id")
    assert training.loc[13, "cost_mc"] == pack_training_cost_mc(PACK, "woman") == 300_000
    assert training.loc[13, "basis"] == "pack costs" and training.loc[13, "estimate"]
    assert pd.isna(training.loc[11, "cost_mc"])  # no pack trains flux1 here


def test_same_branch_estimate_and_the_order_total_wins():
    tunes = [*TUNES, {"id": 14, "name": "man", "branch": "sdxl1", "created_at": DAY2}]
    answer = {"id": 13, "order": {"id": 7, "total_cost_mc": 290_000, "prompt_ids": [103, 104]}}
    frame = spend_dataframe(tunes + PROMPTS, packs=[PACK], orders=[answer])
    training = frame[frame["kind"] == "training"].set_index("tune_id")
    assert training.loc[13, "cost_mc"] == 290_000 - 3000
    assert training.loc[13, "basis"] == "order total_cost_mc"
    assert not training.loc[13, "estimate"]
    assert training.loc[14, "cost_mc"] == 300_000 and training.loc[14, "estimate"]
    assert training.loc[14, "basis"] == "pack costs, same branch"


def test_groupings_add_up_to_the_frame():
    frame = spend_dataframe(TUNES + PROMPTS, packs=[PACK])
    total = frame["cost_mc"].sum()
    per_model = spend_per_model(frame)
    assert per_model["cost_mc"].sum() == total
    assert per_model.loc[("seedance_480p", "video"), "cost_mc"] == 42_000
    assert per_model["cost_mc"].dtype == "Int64" and per_model["dollars"].dtype == "Float64"
    per_tune = spend_per_tune(frame)
    assert per_tune["cost_mc"].sum() == total
    assert per_tune.loc[11, "charges"] == 3 and per_tune.loc[11, "priced"] == 2
    per_day = spend_per_day(frame)
    assert list(per_day.columns) == ["training", "image", "video"]
    assert [d.day for d in per_day.index] == [1, 2]
    assert per_day.to_numpy().sum() == pytest.approx(total / MC_PER_USD)
    assert per_day.loc[pd.Timestamp("2026-03-02", tz="UTC"), "video"] == pytest.approx(0.42)
    by_basis = spend_per(frame, "basis")
    assert by_basis.loc["unknown", "priced"] == 0
    assert list(usd_text(per_model["cost_mc"]).loc[("seedance_480p", "video")]) == list("$0.4200")


def test_a_client_source_with_a_pack_order(client, sandbox, api_key):
    """Against the sandbox: seeded tunes and prompts, a free tune and a pack order. The frame
    fetches the details of the pack the account's prompts came from; the ordered tune's
    training is the answer's ``total_cost_mc`` less its prompts when the answer is given."""
    sandbox.seed_history(20, api_key=api_key)
    client.create_tune(name="dog", image_urls=["https://e.x/1.jpg"], branch="fast")
    answer = client.create_tune_from_pack(262, name="dog", image_urls=["https://e.x/1.jpg"])
    tunes, prompts = list(client.iter_tunes()), list(client.iter_prompts())

    frame = spend_dataframe(client)
    assert_typed(frame)
    assert len(frame) == len(tunes) + len(prompts)
    charged = frame[frame["kind"] != "training"]
    assert charged["cost_mc"].sum() == prompts_cost_mc(prompts)
    ordered = frame[(frame["kind"] == "training") & (frame["tune_id"] == answer["id"])]
    pack = client.get_pack(262)
    assert ordered["cost_mc"].tolist() == [pack_training_cost_mc(pack, "dog")]
    assert ordered["basis"].tolist() == ["pack costs"]

    frame = spend_dataframe(client, orders=[answer])
    ordered = frame[(frame["kind"] == "training") & (frame["tune_id"] == answer["id"])]
    own = prompts_cost_mc([p for p in prompts if p["id"] in answer["order"]["prompt_ids"]])
    assert ordered["cost_mc"].tolist() == [answer["order"]["total_cost_mc"] - own]
    assert ordered["basis"].tolist() == ["order total_cost_mc"]
    assert spend_per_tune(frame)["cost_mc"].sum() == frame["cost_mc"].sum()


def test_a_history_source_reads_both_kinds(tmp_path, client, sandbox, api_key):
    from astria_widgets.history import TuneHistory

    sandbox.seed_history(10, api_key=api_key)
    history = TuneHistory(tmp_path / "h.sqlite", client=client)
    history.sync()
    history.sync_prompts()
    frame = spend_dataframe(history)
    assert len(frame) == len(history.records()) + len(history.prompt_records())
    assert frame.loc[frame["kind"] != "training", "cost_mc"].sum() == prompts_cost_mc(
        history.prompt_records())


@pytest.mark.parametrize("source", ["tunes", b"x", {"id": 1}, 5])
def test_a_wrong_source_names_the_parameter(source):
    with pytest.raises(TypeError, match="source must be"):
        spend_dataframe(source)
