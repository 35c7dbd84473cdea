"""TuneBrowser against a sandbox with a seeded history of thousands of tunes.

Counts are checked against pandas computations on the same ``tunes_dataframe`` frame; the
detail pane's worker is awaited with a bounded ``Event`` wait, never with sleeps.
The history is seeded relative to the process clock, which the client also uses to judge
expiry, so expectations are relative to it, never to a calendar date (``tests/moved_clock.py``
runs this file under moved clocks).
"""

from __future__ import annotations

import html
import io
import math
import threading
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets
import pandas as pd
import pytest
from PIL import Image
from widget_tree import dom_classes, find, one

from astria_widgets.client import AstriaClient, AuthenticationError, PollPolicy, RetrySettings
from astria_widgets.frames import tunes_dataframe
from astria_widgets.history import TuneHistory
from astria_widgets.sandbox import Sandbox
from astria_widgets.widgets.browser import TuneBrowser

SEED = 2000
WAIT = 60.0  # upper bound for a detail load; the test proceeds as soon as it is done


def visible_rows(browser: TuneBrowser) -> list[tuple[widgets.Button, widgets.HTML]]:
    """(id button, cells) of each row shown in the table grid."""
    grid = one(browser, "astria-browser-grid")
    buttons = [w for w in grid.children if "astria-browser-row-button" in dom_classes(w)]
    cells = [w for w in grid.children if "astria-browser-row" in dom_classes(w)]
    assert len(buttons) == len(cells)
    return list(zip(buttons, cells, strict=True))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(data_dir=tmp_path_factory.mktemp("browser-sandbox"), speed=600.0,
                 seed_history=SEED) as sb:
        yield sb


@pytest.fixture(scope="module")
def seeded_client(seeded: Sandbox) -> AstriaClient:
    return AstriaClient(api_key=seeded.api_key, base_url=seeded.url, sandbox=True,
                        retry=RetrySettings.fast(), poll=PollPolicy.fast())


@pytest.fixture(scope="module")
def frame(seeded_client: AstriaClient) -> pd.DataFrame:
    return tunes_dataframe(seeded_client)


@pytest.fixture
def browser(frame: pd.DataFrame, seeded_client: AstriaClient) -> Iterator[TuneBrowser]:
    b = TuneBrowser(frame, client=seeded_client)
    yield b
    b.close()


@pytest.fixture(scope="module")
def tune_with_prompts(frame: pd.DataFrame, seeded_client: AstriaClient) -> int:
    """A trained seeded tune that has training images and prompts with generated images."""
    candidates = frame[(frame["status"] == "trained") & (frame["n_orig_images"] > 0)]
    for tune_id in candidates.index[:60]:
        prompts = seeded_client.list_prompts(int(tune_id), limit=12)
        if prompts and any(p.get("images") for p in prompts):
            return int(tune_id)
    raise AssertionError("the seeded history has no trained tune with generated images")


# ---------------------------------------------------------------------- building and paging
def test_builds_on_the_whole_seeded_history_from_a_client(seeded: Sandbox,
                                                          seeded_client: AstriaClient,
                                                          frame: pd.DataFrame) -> None:
    b = TuneBrowser(seeded_client, page_size=40)  # returns at once; the worker pages
    try:
        assert b.load_state in ("loading", "ready")
        assert b.wait_loaded(WAIT) and b.loaded and b.load_state == "ready"
        assert b.n_loaded == len(frame)
        assert one(b, "astria-browser-loading-row").layout.display == "none"
        assert one(b, "astria-browser-filters").layout.display == ""
        assert len(frame) >= SEED
        assert len(b.frame) == len(frame) == b.n_matching
        assert b.n_pages == math.ceil(len(frame) / 40)
        assert b.client is seeded_client
        assert len(visible_rows(b)) == 40
        assert f"page 1 of {b.n_pages:,}" in one(b, "astria-browser-page").value
        assert repr(b) == f"TuneBrowser({len(frame):,} tunes, page 1 of {b.n_pages:,})"
        assert seeded.api_key not in repr(b)
    finally:
        b.close()


def test_rows_are_newest_first(browser: TuneBrowser, frame: pd.DataFrame) -> None:
    created = browser.filtered["created_at"]
    assert created.is_monotonic_decreasing
    assert browser.page_ids == [int(i) for i in browser.filtered.index[:25]]
    newest = frame["created_at"].max()
    assert browser.frame.loc[browser.page_ids[0], "created_at"] == newest


def test_pages_forward_and_back_with_the_buttons(browser: TuneBrowser) -> None:
    nxt, prev = one(browser, "astria-browser-next"), one(browser, "astria-browser-prev")
    ids = [int(i) for i in browser.filtered.index]
    assert prev.disabled and not nxt.disabled
    nxt.click()
    nxt.click()
    assert browser.page == 3
    assert browser.page_ids == ids[50:75]
    assert [r[0].description for r in visible_rows(browser)] == [str(i) for i in
                                                                          ids[50:75]]
    assert f"page 3 of {browser.n_pages:,}" in one(browser, "astria-browser-page").value
    prev.click()
    assert browser.page == 2 and browser.page_ids == ids[25:50]


def test_last_page_holds_the_remainder_and_pages_are_clamped(browser: TuneBrowser) -> None:
    n = browser.n_matching
    browser.page = 10**6
    assert browser.page == browser.n_pages
    assert len(visible_rows(browser)) == n - (browser.n_pages - 1) * 25
    assert one(browser, "astria-browser-next").disabled
    browser.page = -3
    assert browser.page == 1


# ---------------------------------------------------------------------- filters
def _most_common(frame: pd.DataFrame, column: str) -> str:
    return str(frame[column].dropna().astype(str).value_counts().index[0])


@pytest.mark.parametrize("status", ["queued", "training", "trained", "failed", "expired"])
def test_status_filter_matches_pandas(browser: TuneBrowser, frame: pd.DataFrame,
                                      status: str) -> None:
    browser.set_filter(status=status)
    expected = frame.index[frame["status"] == status]
    assert browser.n_matching == len(expected)
    assert set(browser.filtered.index) == set(expected)
    assert browser.n_pages == max(1, math.ceil(len(expected) / 25))


def test_seeded_history_has_several_statuses(frame: pd.DataFrame) -> None:
    # the status parametrisation above would be vacuous on a single-status history
    assert frame["status"].nunique() >= 3


@pytest.mark.parametrize("column", ["branch", "name"])
def test_categorical_filters_match_pandas(browser: TuneBrowser, frame: pd.DataFrame,
                                          column: str) -> None:
    value = _most_common(frame, column)
    browser.set_filter(**{column: value})
    expected = (frame[column].astype(str) == value) & frame[column].notna()
    assert 0 < browser.n_matching == int(expected.sum()) < len(frame)
    values = sorted(frame[column].dropna().astype(str).unique())[:2]
    browser.set_filter(**{column: values})
    assert browser.n_matching == int(frame[column].astype(str).isin(values).sum())


def test_date_range_filter_is_inclusive_of_whole_days(browser: TuneBrowser,
                                                      frame: pd.DataFrame) -> None:
    days = frame["created_at"].dt.normalize()  # whole UTC days, as the filter takes them
    since, until = days.quantile(0.25, interpolation="lower"), days.quantile(0.75,
                                                                          interpolation="lower")
    assert since == since.normalize() and until == until.normalize() and since < until
    browser.set_filter(since=since.date(), until=until.date())
    created = frame["created_at"]
    expected = (created >= since) & (created < until + pd.Timedelta(days=1))
    assert browser.n_matching == int(expected.sum()) > 0
    browser.set_filter(since=None)
    assert browser.n_matching == int((created < until + pd.Timedelta(days=1)).sum())


def test_title_search_is_case_insensitive_plain_text(browser: TuneBrowser,
                                                     frame: pd.DataFrame) -> None:
    word = str(frame["title"].dropna().iloc[len(frame) // 2]).split()[0]
    browser.set_filter(search=word.upper())
    titles = frame["title"].astype(str).str.lower()
    assert browser.n_matching == int(titles.str.contains(word.lower(), regex=False).sum()) > 0
    browser.set_filter(search="(.*")  # not a regex
    assert browser.n_matching == int(titles.str.contains("(.*", regex=False).sum())
    some_id = int(frame.index[7])
    browser.set_filter(search=f"#{some_id}")
    assert some_id in browser.filtered.index


def test_filters_combine_and_clear(browser: TuneBrowser, frame: pd.DataFrame) -> None:
    branch = _most_common(frame, "branch")
    browser.page = 4
    browser.set_filter(status="trained", branch=branch)
    assert browser.page == 1
    expected = (frame["status"] == "trained") & (frame["branch"].astype(str) == branch)
    assert browser.n_matching == int(expected.sum())
    assert "match" in one(browser, "astria-browser-page").value
    one(browser, "astria-browser-reset").click()
    assert browser.n_matching == len(frame) and not browser.filters.active


def test_controls_drive_the_filters(browser: TuneBrowser, frame: pd.DataFrame) -> None:
    one(browser, "astria-browser-status").value = "failed"
    assert browser.n_matching == int((frame["status"] == "failed").sum())
    one(browser, "astria-browser-search").value = "zz-no-such-title-zz"
    assert browser.n_matching == 0 and visible_rows(browser) == []
    assert "No tunes match" in one(browser, "astria-browser-empty").value
    assert "page 1 of 1" in one(browser, "astria-browser-page").value
    browser.set_filter(search=None, status="trained")  # and the filters drive the controls
    assert one(browser, "astria-browser-status").value == "trained"
    assert one(browser, "astria-browser-search").value == ""


def test_bad_filters_are_refused_with_a_clear_message(browser: TuneBrowser) -> None:
    with pytest.raises(ValueError, match="unknown status 'traned'"):
        browser.set_filter(status="traned")
    with pytest.raises(ValueError, match="after"):
        browser.set_filter(since="2030-01-02", until="2030-01-01")
    one(browser, "astria-browser-until").value = pd.Timestamp("2030-01-01").date()
    assert browser.n_matching == len(browser.frame)  # every seeded tune is older
    one(browser, "astria-browser-since").value = pd.Timestamp("2030-01-02").date()
    assert "after" in one(browser, "astria-browser-error").value
    assert browser.n_matching == len(browser.frame)  # the last valid filter still applies


# ---------------------------------------------------------------------- detail pane
def _decoded(image: widgets.Image) -> Image.Image:
    with Image.open(io.BytesIO(image.value)) as img:
        img.load()
        return img


def test_selecting_a_tune_fills_the_detail_pane(browser: TuneBrowser, frame: pd.DataFrame,
                                                seeded_client: AstriaClient,
                                                tune_with_prompts: int,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    tune_id = tune_with_prompts
    browser.select(tune_id)
    detail = one(browser, "astria-browser-detail")
    assert detail is browser.detail and browser.selected_id == tune_id
    assert browser.detail.wait(WAIT), "detail worker did not finish"
    assert browser.detail.state == "ready", browser.detail.note

    fields = browser.detail.fields_html
    row = frame.loc[tune_id]
    assert f"#{tune_id}" in fields and "trained" in fields
    assert html.escape(str(row["title"])) in fields and str(row["branch"]) in fields

    orig = list(row["orig_images"])
    thumbs = browser.detail.thumbnails
    assert len(thumbs) == min(len(orig), browser.detail.max_images) > 0
    for thumb in thumbs:
        img = _decoded(thumb)
        assert max(img.size) <= browser.detail.thumbnail_size

    prompts = seeded_client.list_prompts(tune_id, limit=browser.detail.max_prompts)
    shown = browser.detail.prompt_thumbnails
    assert list(shown) == [int(p["id"]) for p in prompts]
    for prompt in prompts:
        assert len(shown[int(prompt["id"])]) == len(prompt.get("images") or [])
    assert sum(len(v) for v in shown.values()) > 0
    assert all(max(_decoded(i).size) <= 128 for v in shown.values() for i in v)
    assert capsys.readouterr() == ("", "")  # the worker never prints


def test_clicking_a_row_selects_its_tune(browser: TuneBrowser) -> None:
    rows = visible_rows(browser)
    rows[3][0].click()
    assert browser.selected_id == browser.page_ids[3]
    assert rows[3][0].button_style == "info"
    assert rows[0][0].button_style == ""
    assert browser.detail.wait(WAIT)
    assert f"#{browser.page_ids[3]}" in browser.detail.fields_html
    assert f"selected=#{browser.page_ids[3]}" in repr(browser)


def test_a_newer_selection_wins_over_a_slower_one(browser: TuneBrowser, frame: pd.DataFrame,
                                                  tune_with_prompts: int) -> None:
    first = int(frame.index[(frame["n_orig_images"] > 0) & (frame.index != tune_with_prompts)][0])
    browser.select(first)
    browser.select(tune_with_prompts)
    assert browser.detail.wait(WAIT)
    assert browser.detail.tune_id == tune_with_prompts
    assert f"#{tune_with_prompts}" in browser.detail.fields_html
    expected = len(frame.loc[tune_with_prompts, "orig_images"])
    assert len(browser.detail.thumbnails) == min(expected, browser.detail.max_images)


def test_select_unknown_or_none(browser: TuneBrowser) -> None:
    with pytest.raises(KeyError, match="no tune 1"):
        browser.select(1)
    browser.select(browser.page_ids[0])
    browser.select(None)
    assert browser.selected_id is None and browser.detail.state == "empty"
    assert browser.detail.thumbnails == []


def test_broken_image_urls_become_placeholders(seeded: Sandbox, seeded_client: AstriaClient,
                                               frame: pd.DataFrame) -> None:
    tune_id = int(frame.index[frame["n_orig_images"] > 0][0])
    record = seeded_client.get_tune(tune_id)
    record["orig_images"] = [record["orig_images"][0], f"{seeded.url}/files/no-such-image.png"]
    b = TuneBrowser([record], client=seeded_client)
    try:
        b.select(tune_id)
        assert b.detail.wait(WAIT)
        assert b.detail.state == "ready", b.detail.note
        assert len(b.detail.thumbnails) == 1
        assert len(find(b.detail, "astria-browser-thumb-missing")) == 1
        assert "1 image(s) could not be loaded (NotFoundError" in b.detail.note
    finally:
        b.close()


def test_a_tune_the_server_does_not_know_is_reported_in_the_pane(
        seeded_client: AstriaClient, capsys: pytest.CaptureFixture[str]) -> None:
    record = {"id": 42, "title": "deleted meanwhile", "created_at": "2024-01-01T00:00:00.000Z",
              "orig_images": []}
    b = TuneBrowser([record], client=seeded_client)
    try:
        b.select(42)
        assert b.detail.wait(WAIT)
        assert b.detail.state == "error"
        assert "Could not load the prompts: NotFoundError" in b.detail.note
        assert "none stored" in one(b.detail, "astria-browser-training-title").value
        assert capsys.readouterr() == ("", "")  # no traceback printed from the worker
    finally:
        b.close()


# ---------------------------------------------------------------------- loading a client
def _paused_client(seeded: Sandbox, after: int) -> tuple[AstriaClient, threading.Event,
                                                       threading.Event]:
    """A client whose ``iter_tunes`` stops after ``after`` tunes until ``release`` is set."""
    client = AstriaClient(api_key=seeded.api_key, base_url=seeded.url, sandbox=True,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())
    real = client.iter_tunes
    paused, release = threading.Event(), threading.Event()

    def iter_tunes(**kwargs: Any) -> Iterator[dict[str, Any]]:
        for count, record in enumerate(real(**kwargs), start=1):
            yield record
            if count == after:
                paused.set()
                release.wait(WAIT)

    client.iter_tunes = iter_tunes  # type: ignore[method-assign]
    return client, paused, release


def test_a_client_loads_in_the_background_with_visible_progress(
        seeded: Sandbox, frame: pd.DataFrame) -> None:
    client, paused, release = _paused_client(seeded, after=240)
    b = TuneBrowser(client)
    try:
        assert paused.wait(WAIT), "the worker never fetched two pages"
        # the constructor returned while the worker is mid-way; the user sees how far it got
        assert b.load_state == "loading" and not b.loaded and b.n_loaded == 240
        assert "Loading tunes… 240 so far" in one(b, "astria-browser-loading").value
        assert one(b, "astria-browser-loading-row").layout.display == "flex"
        assert one(b, "astria-browser-filters").layout.display == "none"
        assert repr(b) == "TuneBrowser(loading, 240 tunes so far)"
        assert b.wait_loaded(0) is False
        with pytest.raises(KeyError, match="still loading"):
            b.select(int(frame.index[0]))
        b.set_filter(status="failed")  # kept, and applied when the tunes are in
        release.set()
        assert b.wait_loaded(WAIT)
        assert len(b.frame) == len(frame) == b.n_loaded
        assert b.n_matching == int((frame["status"] == "failed").sum()) > 0
        assert one(b, "astria-browser-loading-row").layout.display == "none"
        assert len(visible_rows(b)) == min(25, b.n_matching)
    finally:
        release.set()
        b.close()


def test_a_failed_load_says_why_and_retry_loads(seeded: Sandbox, frame: pd.DataFrame,
                                                seeded_client: AstriaClient) -> None:
    wrong_key = "sd_wrong_" + "k" * 20
    client = AstriaClient(api_key=wrong_key, base_url=seeded.url, sandbox=True,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())
    b = TuneBrowser(client)
    try:
        with pytest.raises(AuthenticationError):
            b.wait_loaded(WAIT)
        assert b.load_state == "error"
        shown = one(b, "astria-browser-loading").value
        assert "Could not load the tunes: AuthenticationError" in shown
        assert wrong_key not in shown and wrong_key not in repr(b)
        retry = one(b, "astria-browser-retry")
        assert retry.layout.display == ""
        client.iter_tunes = seeded_client.iter_tunes  # type: ignore[method-assign]
        retry.click()
        assert b.wait_loaded(WAIT) and len(b.frame) == len(frame)
        assert retry.layout.display == "none"
    finally:
        b.close()


def test_closing_while_loading_stops_the_worker(seeded: Sandbox) -> None:
    client, paused, release = _paused_client(seeded, after=120)
    b = TuneBrowser(client)
    assert paused.wait(WAIT)
    assert b.load_running  # paused after the first page
    b.close()
    release.set()
    assert b.wait_loaded(WAIT) is False  # ended, without the tunes
    assert not b.load_running and b.n_loaded == 120


# ---------------------------------------------------------------------- list sources
def test_works_from_a_plain_list_of_records(seeded_client: AstriaClient) -> None:
    records = seeded_client.list_tunes(limit=120)
    b = TuneBrowser(records, page_size=10)
    try:
        assert b.client is None and len(b.frame) == len(records) == 120
        assert b.n_pages == 12
        statuses = tunes_dataframe(records)["status"]
        b.set_filter(status="trained")
        assert b.n_matching == int((statuses == "trained").sum())
        b.clear_filters()
        b.select(int(records[5]["id"]))
        assert b.detail.state == "fields"
        assert "need a client" in b.detail.note
        assert html.escape(records[5]["title"]) in b.detail.fields_html
        assert b.detail.thumbnails == [] and b.detail.prompt_thumbnails == {}
    finally:
        b.close()


def test_works_from_a_synced_tune_history(tmp_path: Any, seeded_client: AstriaClient,
                                          frame: pd.DataFrame, tune_with_prompts: int) -> None:
    history = TuneHistory(tmp_path / "history.sqlite", client=seeded_client)
    history.sync()
    b = TuneBrowser(history)
    try:
        assert b.client is seeded_client  # lent by the history for images and prompts
        assert len(b.frame) == len(frame)
        b.set_filter(status="failed")
        assert b.n_matching == int((frame["status"] == "failed").sum())
        b.select(tune_with_prompts)
        assert b.detail.wait(WAIT) and b.detail.state == "ready"
        assert len(b.detail.thumbnails) > 0 and b.detail.prompt_thumbnails
    finally:
        b.close()
    offline = TuneBrowser(TuneHistory(tmp_path / "history.sqlite"))
    assert offline.client is None and len(offline.frame) == len(frame)
    offline.close()


def test_without_a_source_it_browses_connects_sandbox(seeded: Sandbox, frame: pd.DataFrame,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    monkeypatch.delenv("ASTRIA_BASE_URL", raising=False)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(seeded.data_dir))  # connect() reuses it
    b = TuneBrowser(page_size=50)
    try:
        assert b.wait_loaded(WAIT)
        assert b.client is not None and b.client.base_url.rstrip("/") == seeded.url
        assert len(b.frame) == len(frame) and b.n_pages == math.ceil(len(frame) / 50)
    finally:
        b.close()


def _photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (512, 512), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_refresh_picks_up_new_tunes_and_keeps_the_selection(seeded: Sandbox) -> None:
    client = AstriaClient(api_key=seeded.create_user(), base_url=seeded.url, sandbox=True,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())
    first = client.create_tune(name="dog", title="first", branch="fast",
                               images=[("a.jpg", _photo((200, 30, 30)))])
    b = TuneBrowser(client)
    try:
        assert b.wait_loaded(WAIT)
        b.select(int(first["id"]))
        assert len(b.frame) == 1
        second = client.create_tune(name="cat", title="second <new>", branch="fast",
                                    images=[("b.jpg", _photo((30, 30, 200)))])
        b.set_filter(search="second")
        assert b.n_matching == 0
        b.refresh()  # in the background: the old table stays until the new one is in
        assert b.wait_loaded(WAIT)
        assert len(b.frame) == 2 and b.filtered.index.tolist() == [int(second["id"])]
        assert b.selected_id == int(first["id"])
        assert "cat (1)" in [label for label, _v in one(b, "astria-browser-name").options]
    finally:
        b.close()


def test_an_empty_history(seeded_client: AstriaClient) -> None:
    b = TuneBrowser([])
    assert b.loaded and b.wait_loaded(0)  # lists load synchronously
    assert b.n_matching == 0 and b.n_pages == 1 and visible_rows(b) == []
    assert "No tunes yet" in one(b, "astria-browser-empty").value
    assert repr(b) == "TuneBrowser(0 tunes, page 1 of 1)"


def test_rejects_sources_it_cannot_read() -> None:
    with pytest.raises(TypeError, match="list of tune records"):
        TuneBrowser("tunes.json")
    with pytest.raises(TypeError, match="must be dicts"):
        TuneBrowser([1, 2])
    with pytest.raises(ValueError, match="page_size"):
        TuneBrowser([], page_size=0)


def test_titles_are_escaped_in_every_rendering() -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    records = [{"id": 7, "title": evil, "name": "<b>man</b>", "branch": "fast",
                "created_at": "2024-05-01T10:00:00.000Z", "orig_images": []}]
    b = TuneBrowser(records)
    b.select(7)
    rendered = [r[1].value for r in visible_rows(b)] + [b.detail.fields_html]
    for markup in rendered:
        assert "<script" not in markup and "<img" not in markup and "<b>man" not in markup
        assert "&lt;script&gt;" in markup
    options = [label for label, _v in one(b, "astria-browser-name").options]
    assert "<b>man</b> (1)" in options  # plain-text dropdown labels are not HTML
