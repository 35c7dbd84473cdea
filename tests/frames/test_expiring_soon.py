"""Tunes expiring within 7 days: the client's rule, the frames' column and the TuneBrowser's
filter and mark agree. Every time is pinned to a fixed ``NOW``; nothing reads today's date."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from astria_widgets.client.status import tune_expires_soon
from astria_widgets.frames import tunes_dataframe
from astria_widgets.widgets import TuneBrowser

NOW = dt.datetime(2031, 3, 14, 9, 30, tzinfo=dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def tune(tune_id: int, expires_in_days: float | None, **extra: object) -> dict:
    trained = NOW - dt.timedelta(days=20)
    record = {
        "id": tune_id, "title": f"tune {tune_id}", "name": "man", "branch": "flux1",
        "created_at": iso(trained - dt.timedelta(hours=1)),
        "started_training_at": iso(trained - dt.timedelta(minutes=30)),
        "trained_at": iso(trained),
        "expires_at": None if expires_in_days is None
        else iso(NOW + dt.timedelta(days=expires_in_days)),
    }
    record.update(extra)
    return record


CASES = [
    (tune(1, 3), True),
    (tune(2, 6.99), True),
    (tune(3, 7), True),  # exactly 7 days: still within
    (tune(4, 7.01), False),
    (tune(5, 25), False),
    (tune(6, -1), False),  # already expired
    (tune(7, 2, auto_extend=True), False),  # extended, not deleted
    (tune(8, 2, error="Training failed"), False),
    (tune(9, None), False),
    ({**tune(10, 3), "trained_at": None, "started_training_at": None}, False),  # queued
]


@pytest.mark.parametrize(("record", "expected"), CASES, ids=[str(r["id"]) for r, _ in CASES])
def test_the_client_rule(record, expected):
    assert tune_expires_soon(record, NOW) is expected


def test_the_days_argument_moves_the_boundary():
    # the default is 7 days (cases 3 and 4 above sit on either side of it); another
    # within_days moves the boundary with it, for `download --expiring --days N`
    soon = [tune(i, days) for i, days in enumerate((1.99, 2, 2.01, 6.99, 7.01), start=1)]
    assert [tune_expires_soon(r, NOW, within_days=2) for r in soon] == [
        True, True, False, False, False]
    assert [tune_expires_soon(r, NOW, within_days=8) for r in soon] == [True] * 5
    assert tune_expires_soon(tune(6, -1), NOW, within_days=8) is False  # gone already


def test_the_frame_column_agrees_with_the_client_rule():
    frame = tunes_dataframe([r for r, _ in CASES], now=NOW)
    assert frame["expiring_soon"].dtype == bool
    for record, expected in CASES:
        assert bool(frame.loc[record["id"], "expiring_soon"]) is expected, record["id"]


def test_the_browser_filters_and_marks_expiring_tunes():
    frame = tunes_dataframe([r for r, _ in CASES], now=NOW)
    browser = TuneBrowser(frame, page_size=20)
    try:
        assert browser.n_matching == len(CASES)
        browser.expiring_box.value = True  # the "expiring soon" checkbox
        assert browser.n_matching == 3
        assert sorted(browser.filtered.index) == [1, 2, 3]
        assert all("astria-expiring-soon" in row for row in browser.page_rows_html)
        browser.set_filter(expiring_soon=False)
        assert browser.expiring_box.value is False and browser.n_matching == len(CASES)
        marked = [i for i, row in zip(browser.page_ids, browser.page_rows_html, strict=True)
                  if "astria-expiring-soon" in row]
        assert sorted(marked) == [1, 2, 3]
        browser.set_filter(expiring_soon=True, status="failed")
        assert browser.n_matching == 0
    finally:
        browser.close()


def test_an_expiry_cell_is_escaped_and_marked():
    from astria_widgets.widgets.browser_render import row_html

    row = {"status": "trained", "title": "<b>x</b>", "days_until_expiry": 2.5,
           "expiring_soon": True}
    out = row_html(row)
    assert "astria-expiring-soon" in out and html.escape("<b>x</b>") in out
    assert "astria-expiring-soon" not in row_html({**row, "expiring_soon": False})
