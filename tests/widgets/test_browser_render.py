"""The browser's HTML helpers read timestamps by the client's one rule and format like the rest."""

from __future__ import annotations

import pytest

from astria_widgets.widgets.browser_render import prompt_html


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
