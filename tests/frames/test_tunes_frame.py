"""tunes_dataframe: schema, dtypes, derived columns and coercion of odd records."""

from __future__ import annotations

import copy
import datetime as dt

import pandas as pd
import pytest
from frames_examples import DOC_TUNES, MOCK

from astria_widgets.frames import TUNE_COLUMNS, TUNE_STATUSES, tunes_dataframe

NOW = pd.Timestamp("2023-10-20T00:00:00Z")
UTC = dt.timezone.utc


def assert_schema(frame: pd.DataFrame) -> None:
    """The frame starts with exactly the documented columns and dtypes; index is id."""
    assert list(frame.columns[: len(TUNE_COLUMNS)]) == list(TUNE_COLUMNS)
    for name, dtype in TUNE_COLUMNS.items():
        assert frame[name].dtype == dtype, name
    assert frame.index.name == "id"
    assert frame.index.dtype == "Int64"


def test_empty_list_gives_the_full_typed_schema():
    frame = tunes_dataframe([])
    assert frame.shape == (0, len(TUNE_COLUMNS))
    assert_schema(frame)
    assert list(frame["status"].cat.categories) == list(TUNE_STATUSES)


def test_documented_examples():
    frame = tunes_dataframe(DOC_TUNES, now=NOW)
    assert_schema(frame)
    assert list(frame.index) == [775459, 1]  # newest (highest id) first
    first = frame.loc[1]
    assert first["title"] == "John Doe"
    assert first["name"] == "woman"
    assert pd.isna(frame.loc[775459, "name"])
    assert first["trained_at"] == pd.Timestamp("2023-10-02T14:32:40.363Z")
    assert first["created_at"] == pd.Timestamp("2023-10-02T14:32:05.067Z")
    assert first["ckpt_urls"] == [MOCK]
    assert first["n_orig_images"] == 10
    assert frame.loc[775459, "n_orig_images"] == 9
    assert first["n_ckpt_urls"] == 1
    assert pd.isna(first["is_api"]) and not frame.loc[775459, "is_api"]
    assert pd.isna(first["eta"]) and pd.isna(first["error"])  # absent -> missing
    assert first["training_duration"] == pd.Timedelta(milliseconds=40_363 - 5_229)
    assert first["queue_wait"] == pd.Timedelta(milliseconds=162)
    # at NOW both are trained; tune 775459 expires on 2023-10-23, tune 1 on 2023-11-01
    assert frame.loc[775459, "status"] == "trained"
    assert first["status"] == "trained" and not first["expired"]
    assert first["days_until_expiry"] == pytest.approx(
        (pd.Timestamp("2023-11-01T14:32:40.363Z") - NOW) / pd.Timedelta(days=1)
    )
    later = tunes_dataframe(DOC_TUNES, now=pd.Timestamp("2023-10-25T00:00:00Z"))
    assert later.loc[775459, "status"] == "expired" and later.loc[775459, "expired"]
    assert later.loc[775459, "days_until_expiry"] < 0
    assert later.loc[1, "status"] == "trained"
    assert frame["branch"].cat.categories.tolist() == ["sdxl1"]


def test_now_accepts_naive_and_aware_datetimes_alike():
    naive = tunes_dataframe(DOC_TUNES, now=dt.datetime(2023, 10, 25))
    aware = tunes_dataframe(DOC_TUNES, now=dt.datetime(2023, 10, 25, tzinfo=UTC))
    pd.testing.assert_frame_equal(naive, aware)


def test_lifecycle_states():
    base = {"created_at": "2024-01-01T00:00:00.000Z"}
    records = [
        {"id": 5, **base},
        {"id": 4, **base, "started_training_at": "2024-01-01T00:00:30.000Z"},
        {
            "id": 3,
            **base,
            "started_training_at": "2024-01-01T00:00:30.000Z",
            "trained_at": "2024-01-01T00:20:30.000Z",
            "expires_at": "2024-01-31T00:20:30.000Z",
        },
        {
            "id": 2,
            **base,
            "started_training_at": "2024-01-01T00:00:30.000Z",
            "error": "Training failed: worker timed out",
        },
        {
            "id": 1,
            **base,
            "trained_at": "2023-01-01T00:00:00.000Z",
            "expires_at": "2023-01-31T00:00:00.000Z",
        },
    ]
    frame = tunes_dataframe(records, now=pd.Timestamp("2024-01-10", tz="UTC"))
    assert frame["status"].tolist() == ["queued", "training", "trained", "failed", "expired"]
    assert frame["expired"].tolist() == [False, False, False, False, True]
    assert frame.loc[4, "queue_wait"] == pd.Timedelta(seconds=30)
    assert pd.isna(frame.loc[4, "training_duration"])
    assert frame.loc[3, "training_duration"] == pd.Timedelta(minutes=20)
    assert frame.loc[3, "days_until_expiry"] == pytest.approx(21 + 20.5 / 1440)
    assert pd.isna(frame.loc[5, "days_until_expiry"])


def test_missing_and_null_fields_become_missing_values():
    frame = tunes_dataframe([{"id": 7}, {"id": 8, **dict.fromkeys(TUNE_COLUMNS)}])
    assert_schema(frame)
    assert frame.shape[0] == 2
    for name in TUNE_COLUMNS:
        if name in {"status", "expired", "expiring_soon"}:
            continue
        assert frame[name].isna().all(), name
    assert frame["status"].tolist() == ["queued", "queued"]
    assert frame["expired"].tolist() == [False, False]
    assert frame["expiring_soon"].tolist() == [False, False]


def test_unexpected_types_are_coerced_or_nulled():
    record = {
        "id": "12",
        "title": ["not", "a", "string"],
        "name": 5,
        "steps": "500",
        "base_tune_id": True,  # a bool is not an id
        "face_crop": "true",
        "training_face_correct": "maybe",
        "is_api": 1,
        "created_at": "garbage",
        "started_training_at": 1696257125,  # epoch numbers are not guessed at
        "trained_at": "2023-10-02T16:32:40+02:00",  # an offset is converted to UTC
        "expires_at": {"at": "2023-11-01"},
        "orig_images": "https://example.com/one.jpg",  # a string where a list is expected
        "ckpt_urls": ("a", "b"),
        "error": "",
    }
    frame = tunes_dataframe([record])
    assert_schema(frame)
    row = frame.loc[12]
    assert row["title"] == '["not","a","string"]'
    assert row["name"] == "5"
    assert row["steps"] == 500
    assert pd.isna(row["base_tune_id"])
    assert frame["face_crop"].tolist() == [True]
    assert pd.isna(row["training_face_correct"])
    assert row["is_api"]
    assert pd.isna(row["created_at"]) and pd.isna(row["started_training_at"])
    assert row["trained_at"] == pd.Timestamp("2023-10-02T14:32:40Z")
    assert pd.isna(row["expires_at"])
    assert row["orig_images"] is None and pd.isna(row["n_orig_images"])
    assert row["ckpt_urls"] == ["a", "b"] and row["n_ckpt_urls"] == 2
    assert row["status"] == "trained"  # empty error is not a failure


@pytest.mark.parametrize(
    ("raw_id", "expected"),
    [
        (12, 12),
        ("12", 12),
        (" 12 ", 12),
        (12.0, 12),
        (12.5, None),
        ("x", None),
        (None, None),
        (True, None),
        (2**70, None),
        ([12], None),
    ],
)
def test_id_coercion(raw_id, expected):
    frame = tunes_dataframe([{"id": raw_id, "title": "t"}])
    assert len(frame) == 1
    value = frame.index[0]
    assert (pd.isna(value) and expected is None) or value == expected


def test_rows_newest_first_missing_ids_last_duplicates_kept():
    records = [
        {"id": 3},
        {"title": "no id"},
        {"id": 10},
        {"id": 3, "title": "again"},
        {"id": None},
        {"id": 7},
    ]
    frame = tunes_dataframe(records)
    assert frame.index[:4].tolist() == [10, 7, 3, 3]
    assert frame.index[4:].isna().all()
    assert frame["title"].iloc[2:].tolist()[:2] == [pd.NA, "again"]  # stable among equal ids
    assert frame["title"].iloc[4] == "no id"


def test_nested_objects_are_flattened_with_prefixes():
    records = [
        {
            "id": 2,
            "characteristics": {"eye_color": "blue eyes", "hair": {"color": "red"}},
            "args": {"lr": 1e-4, "rank": 16},
        },
        {"id": 1, "characteristics": '{"eye_color": "green eyes"}', "args": "--flag value"},
    ]
    frame = tunes_dataframe(records)
    assert_schema(frame)
    assert frame.loc[2, "characteristics.eye_color"] == "blue eyes"
    assert frame.loc[1, "characteristics.eye_color"] == "green eyes"  # JSON string decoded
    assert frame.loc[2, "characteristics.hair.color"] == "red"
    assert frame.loc[2, "args.rank"] == 16 and frame["args.rank"].dtype == "Int64"
    assert frame["args.lr"].dtype == "Float64"
    assert frame.loc[1, "args"] == "--flag value" and pd.isna(frame.loc[2, "args"])
    assert frame.columns.get_loc("args.lr") >= len(TUNE_COLUMNS)


def test_extra_fields_are_kept_after_the_schema_with_inferred_dtypes():
    records = [
        {
            "id": 2,
            "auto_extend": True,
            "preset": "flux-lora-portrait",
            "score": 3,
            "ratio": 1,
            "tags": ["a"],
            "status": "custom",
            "workspace": {"id": 9},
        },
        {"id": 1, "auto_extend": None, "preset": None, "score": None, "ratio": 0.5, "tags": "b"},
    ]
    frame = tunes_dataframe(records)
    assert_schema(frame)
    extras = list(frame.columns[len(TUNE_COLUMNS) :])
    assert extras == sorted(extras)
    assert set(extras) == {
        "auto_extend",
        "preset",
        "score",
        "ratio",
        "tags",
        "status_raw",
        "workspace.id",
    }
    assert frame["auto_extend"].dtype == "boolean"
    assert frame["preset"].dtype == "string"
    assert frame["score"].dtype == "Int64"
    assert frame["ratio"].dtype == "Float64"
    assert frame["tags"].dtype == object and frame.loc[1, "tags"] == "b"
    assert frame.loc[2, "status_raw"] == "custom"
    assert frame.loc[2, "status"] == "queued"  # the derived status is not overwritten
    assert frame.loc[2, "workspace.id"] == 9


def test_records_are_not_modified():
    records = copy.deepcopy(DOC_TUNES) + [{"id": "5", "characteristics": {"a": "b"}}]
    before = copy.deepcopy(records)
    tunes_dataframe(records)
    assert records == before


def test_non_dict_items_count_as_empty_records():
    frame = tunes_dataframe([DOC_TUNES[0], None, 5, "x"])
    assert len(frame) == 4
    assert frame.index[0] == 1 and frame.index[1:].isna().all()


def test_building_a_frame_leaves_the_garbage_collector_alone(monkeypatch):
    # the package runs threads beside the user's code: no process-wide gc switch, ever
    import gc

    def refuse() -> None:
        raise AssertionError("gc.disable() called while building a frame")

    monkeypatch.setattr(gc, "disable", refuse)
    monkeypatch.setattr(gc, "freeze", refuse)
    records = [{"id": i, "title": f"t{i}", "orig_images": [f"u{i}"]} for i in range(20_000)]
    frame = tunes_dataframe(records)
    assert len(frame) == 20_000 and gc.isenabled()


def test_expired_means_the_expired_status_not_a_past_expires_at():
    """Issue 18: the column was ``expires_at < now``, true for a failed tune and for one still
    training; it now means the tune's status is ``expired`` (frames/schema.py says so)."""
    past = "2024-01-01T00:00:00.000Z"
    records = [
        {"id": 1, "error": "Training failed", "expires_at": past},  # failed
        {"id": 2, "started_training_at": "2024-01-09T00:00:00.000Z", "expires_at": past},
        {"id": 3, "created_at": "2024-01-09T00:00:00.000Z", "expires_at": past},  # queued
        {"id": 4, "trained_at": "2023-12-01T00:00:00.000Z", "expires_at": past},  # expired
    ]
    frame = tunes_dataframe(records, now=pd.Timestamp("2024-01-10", tz="UTC"))
    assert frame.loc[[1, 2, 3, 4], "status"].tolist() == ["failed", "training", "queued",
                                                          "expired"]
    assert frame.loc[[1, 2, 3, 4], "expired"].tolist() == [False, False, False, True]
    assert (frame["expired"] == (frame["status"] == "expired")).all()


@pytest.mark.parametrize("value", [5, "12", " -3 ", 5.0, True, 5.5, "1e3", "٣", "１２", "5.0",
                                   2**63, -(2**63), None, [1]])
def test_the_frames_read_integers_by_the_clients_rule(value):
    """Issue 18: one integer rule on the package's side (the sandbox keeps its own)."""
    from astria_widgets.client.checks import whole_number
    from astria_widgets.frames.coerce import as_int

    number = whole_number(value)
    in_range = number is not None and -(2**63) <= number < 2**63
    assert as_int(value) == (number if in_range else None)
