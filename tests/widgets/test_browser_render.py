"""The browser's HTML helpers read timestamps by the client's one rule and format like the rest."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from astria_widgets.widgets.browser_render import format_value, prompt_html
from astria_widgets.widgets.formatting import format_duration


@pytest.mark.parametrize(("created_at", "shown"), [
    ("2023-10-02T14:32:05.067Z", "2023-10-02 14:32 UTC"),
    ("2023-10-02T16:32:05+02:00", "2023-10-02 14:32 UTC"),
    ("2023-10-02T14:32:05", "2023-10-02 14:32 UTC"),  # no zone: UTC, as the client reads it
    ("10/02/2023", "—"),  # pandas would guess a date; the client (and the frames) reject it
    ("garbage", "—"),
    (None, "—"),
])
def test_prompt_times_follow_the_client_timestamp_rule(created_at, shown):
    text = prompt_html({"id": 7, "text": "a <b>cat</b>", "created_at": created_at}, "done")
    assert f"<small>{shown}</small>" in text
    assert "&lt;b&gt;cat&lt;/b&gt;" in text


@pytest.mark.parametrize(("delta", "shown"), [
    (pd.Timedelta(seconds=42), "42s"),
    (pd.Timedelta(minutes=20, seconds=5), "20m 05s"),
    (dt.timedelta(hours=3, minutes=5), "3h 05m"),
    (pd.Timedelta(days=2, hours=4), "2d 04h"),
])
def test_durations_read_like_the_progress_view(delta, shown):
    assert format_value(delta) == shown == format_duration(delta.total_seconds())
