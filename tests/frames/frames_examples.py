"""Records shared by the frame tests: the API docs' own examples and record strategies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from astria_widgets.frames import PROMPT_COLUMNS, TUNE_COLUMNS

MOCK = "https://sdbooth2-production.s3.amazonaws.com/mock"

# The two tunes of the docs' "List all tunes" response (astria-docs docs/api/0-tune/4-list.md).
DOC_TUNES: list[dict[str, Any]] = [
    {
        "id": 1,
        "title": "John Doe",
        "name": "woman",
        "token": "ohwx",
        "base_tune_id": None,
        "args": None,
        "steps": None,
        "face_crop": None,
        "ckpt_url": MOCK,
        "ckpt_urls": [MOCK],
        "trained_at": "2023-10-02T14:32:40.363Z",
        "started_training_at": "2023-10-02T14:32:05.229Z",
        "expires_at": "2023-11-01T14:32:40.363Z",
        "created_at": "2023-10-02T14:32:05.067Z",
        "branch": "sdxl1",
        "model_type": "lora",
        "updated_at": "2023-10-02T14:32:40.363Z",
        "url": "https://www.astria.ai/tunes/788416.json",
        "orig_images": [MOCK] * 10,
    },
    {
        "id": 775459,
        "title": "Marry Jane",
        "name": None,
        "is_api": False,
        "token": "ohwx",
        "base_tune_id": None,
        "args": None,
        "steps": None,
        "face_crop": None,
        "ckpt_url": MOCK,
        "ckpt_urls": [MOCK],
        "trained_at": "2023-09-23T16:07:49.137Z",
        "started_training_at": "2023-09-23T16:07:37.334Z",
        "expires_at": "2023-10-23T16:07:49.137Z",
        "created_at": "2023-09-23T16:07:36.606Z",
        "branch": "sdxl1",
        "model_type": "lora",
        "updated_at": "2023-09-23T16:07:49.138Z",
        "url": "https://www.astria.ai/tunes/775459.json",
        "orig_images": [MOCK] * 9,
    },
]

# The prompt of the docs' "Retrieve a prompt" response (docs/api/1-prompt/2-retrieve.md).
DOC_PROMPT: dict[str, Any] = {
    "id": 1,
    "callback": "https://optional-callback-url.com/to-your-service-when-ready",
    "text": "a painting of sks man in the style of Van Gogh",
    "negative_prompt": "old, blemish, wrinkles, mole",
    "cfg_scale": None,
    "steps": None,
    "seed": None,
    "trained_at": None,
    "started_training_at": None,
    "created_at": "2022-10-06T16:12:54.505Z",
    "updated_at": "2022-10-06T16:12:54.505Z",
    "tune_id": 1,
    "url": "http://api.astria.ai/tunes/1/prompts/1.json",
}


def canonical(moment: dt.datetime, digits: int = 3) -> str:
    """The API's timestamp form: ``2023-10-02T14:32:05.067Z`` (0, 3 or 6 fraction digits)."""
    moment = moment.astimezone(dt.timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{moment.microsecond:06d}"[:digits]
    return text + "Z"


moments = st.datetimes(
    min_value=dt.datetime(1, 1, 2),
    max_value=dt.datetime(9999, 12, 30),
    timezones=st.just(dt.timezone.utc),
)
offsets = st.timedeltas(min_value=-dt.timedelta(hours=23), max_value=dt.timedelta(hours=23)).map(
    lambda d: dt.timezone(dt.timedelta(minutes=int(d.total_seconds() // 60)))
)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)

# timestamps in every shape a record may hold: canonical, other ISO-8601 forms, garbage
timestamps = st.one_of(
    st.none(),
    st.builds(canonical, moments, st.sampled_from([0, 3, 6])),
    st.builds(lambda m, tz: m.astimezone(tz).isoformat(), moments, offsets),
    st.builds(lambda m: m.replace(tzinfo=None).isoformat(sep=" "), moments),
    st.builds(lambda m: m.date().isoformat(), moments),
    st.sampled_from(
        [
            "",
            "garbage",
            "2023-02-30T00:00:00Z",
            "2023-10-02T24:00:00.000Z",
            "0000-01-01T00:00:00Z",
            "2023-W40-1",
            "2023",
            "2023-10-02t14:32:05z",
        ]
    ),
    st.text(max_size=27),
    json_values,
)

FIELDS = sorted(set(TUNE_COLUMNS) | set(PROMPT_COLUMNS) | {"id"})


@st.composite
def records(draw: st.DrawFn, fields: list[str] = FIELDS) -> dict[str, Any]:
    """Any JSON object: documented keys with timestamp-like or arbitrary values, random keys."""
    record: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(fields), max_size=12, unique=True)):
        if key.endswith("_at") or key == "eta":
            record[key] = draw(timestamps)
        elif key == "id":
            record[key] = draw(st.integers() | json_values)
        else:
            record[key] = draw(json_values)
    record.update(draw(st.dictionaries(st.text(max_size=8), json_values, max_size=3)))
    return record
