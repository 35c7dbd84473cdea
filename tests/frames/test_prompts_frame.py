"""prompts_dataframe: schema, dtypes, derived columns and coercion of odd records."""

from __future__ import annotations

import pandas as pd
from frames_examples import DOC_PROMPT

from astria_widgets.frames import PROMPT_COLUMNS, PROMPT_STATUSES, prompts_dataframe


def assert_schema(frame: pd.DataFrame) -> None:
    """The frame starts with exactly the documented columns and dtypes; index is id."""
    assert list(frame.columns[: len(PROMPT_COLUMNS)]) == list(PROMPT_COLUMNS)
    for name, dtype in PROMPT_COLUMNS.items():
        assert frame[name].dtype == dtype, name
    assert frame.index.name == "id" and frame.index.dtype == "Int64"


def test_empty_list_gives_the_full_typed_schema():
    frame = prompts_dataframe([])
    assert frame.shape == (0, len(PROMPT_COLUMNS))
    assert_schema(frame)
    assert list(frame["status"].cat.categories) == list(PROMPT_STATUSES)


def test_documented_example():
    frame = prompts_dataframe([DOC_PROMPT])
    assert_schema(frame)
    row = frame.loc[1]
    assert row["tune_id"] == 1
    assert row["text"] == "a painting of sks man in the style of Van Gogh"
    assert row["created_at"] == pd.Timestamp("2022-10-06T16:12:54.505Z")
    assert pd.isna(row["cfg_scale"]) and pd.isna(row["seed"])
    assert row["status"] == "pending"
    assert row["images"] is None and pd.isna(row["n_images"])  # the docs' example has none
    assert pd.isna(row["generation_time"])


def test_states_counts_and_generation_time():
    created = "2024-01-01T00:00:00.000Z"
    records = [
        {"id": 4, "tune_id": 9, "created_at": created, "images": [], "user_error": None},
        {
            "id": 3,
            "tune_id": 9,
            "created_at": created,
            "started_training_at": "2024-01-01T00:00:10.000Z",
            "trained_at": "2024-01-01T00:00:40.000Z",
            "images": ["a.png", "b.png"],
            "num_images": 2,
            "cfg_scale": 7,
            "seed": 2**32,
        },
        {
            "id": 2,
            "tune_id": "9",
            "created_at": created,
            "images": [],
            "user_error": "Generation failed: content filter triggered",
        },
        {
            "id": 1,
            "tune_id": 9,
            "created_at": created,
            "trained_at": "2024-01-01T00:01:00.000Z",
            "images": ["c.png"],
            "user_error": "ignored once images exist",
        },
    ]
    frame = prompts_dataframe(records)
    assert_schema(frame)
    assert frame["status"].tolist() == ["pending", "done", "failed", "done"]
    assert frame["n_images"].tolist() == [0, 2, 0, 1]
    assert frame["tune_id"].tolist() == [9, 9, 9, 9]
    assert frame.loc[3, "generation_time"] == pd.Timedelta(seconds=30)
    assert frame.loc[1, "generation_time"] == pd.Timedelta(minutes=1)  # from created_at
    assert frame.loc[3, "cfg_scale"] == 7.0 and frame.loc[3, "seed"] == 2**32


def test_nested_tune_and_extras():
    records = [
        {
            "id": 1,
            "tune": {"id": 5, "title": "me"},
            "tunes": [{"id": 5, "title": "me"}],
            "is_video": False,
            "scheduler": "euler_a",
            "w": "512",
            "h": 512.0,
        },
    ]
    frame = prompts_dataframe(records)
    assert_schema(frame)
    assert frame.loc[1, "tune.id"] == 5 and frame["tune.id"].dtype == "Int64"
    assert frame.loc[1, "tune.title"] == "me"
    assert frame.loc[1, "tunes"] == [{"id": 5, "title": "me"}]
    assert frame["is_video"].dtype == "boolean" and frame["scheduler"].dtype == "string"
    assert frame.loc[1, "w"] == 512 and frame.loc[1, "h"] == 512


def test_unexpected_types():
    records = [
        {
            "id": "3",
            "images": "one.png",
            "user_error": ["boom"],
            "cfg_scale": "7.5",
            "denoising_strength": float("nan"),
            "liked": "false",
            "created_at": 12,
        },
    ]
    frame = prompts_dataframe(records)
    assert_schema(frame)
    row = frame.loc[3]
    assert row["images"] is None and pd.isna(row["n_images"])
    assert row["status"] == "done"  # the client's rule tests truthiness of the raw value
    assert row["user_error"] == '["boom"]'
    assert row["cfg_scale"] == 7.5 and pd.isna(row["denoising_strength"])
    assert frame["liked"].tolist() == [False]
    assert pd.isna(row["created_at"])
