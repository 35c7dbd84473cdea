"""``AstriaPanel`` in-process against the sandbox: the store, the watches, the views, the
error mapping (no Jupyter server: the HTTP side is in test_routes.py)."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from corpus import photo

from astria_widgets.client import AstriaClient
from astria_widgets.client.costs import usd
from astria_widgets.client.errors import (
    APIError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    TransportError,
)
from astria_widgets.client.watch import TuneWatch
from astria_widgets.server import views
from astria_widgets.server.errors import PanelInputError, status_for
from astria_widgets.server.panel import AstriaPanel

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def training_record(**changes: Any) -> dict[str, Any]:
    record = {
        "id": 7, "title": "Rex", "name": "dog", "branch": "flux1",
        "created_at": "2026-03-01T11:49:00.000Z",
        "started_training_at": "2026-03-01T11:50:00.000Z",
        "eta": "2026-03-01T12:10:00.000Z", "trained_at": None, "expires_at": None,
        "orig_images": ["https://x.test/1.jpg", "https://x.test/2.jpg"],
    }
    return record | changes


def test_a_training_row_has_its_progress_and_time_left_at_a_pinned_time() -> None:
    row = views.tune_summary(training_record(), NOW)
    assert row["status"] == "training"
    assert row["progress"] == pytest.approx(0.5)
    assert row["seconds_left"] == 600
    assert row["time_left"] == "10m 00s left"  # the panel shows this text as it is sent
    assert row["stalled"] is False
    assert row["thumbnail"] == "tunes/7/images/0"  # the panel's route, not the image's URL


def test_a_trained_row_is_full_and_has_no_time_left() -> None:
    row = views.tune_summary(training_record(trained_at="2026-03-01T11:59:00.000Z"), NOW)
    assert (row["status"], row["progress"], row["seconds_left"]) == ("trained", 1.0, None)
    assert row["time_left"] is None


@pytest.mark.parametrize(("changes", "shown"), [
    ({"eta": "2026-03-01T13:02:05.000Z"}, "1h 02m left"),
    ({"eta": "2026-03-01T12:00:42.000Z"}, "42s left"),
    ({"eta": None}, "training"),
    ({"started_training_at": None}, "queued"),
    ({"eta": "2026-03-01T11:52:00.000Z"}, "overdue"),  # 3x its estimated 2 minutes
    ({"error": "Training failed"}, None),
])
def test_the_time_left_is_one_text_in_the_duration_formatters_style(changes, shown) -> None:
    assert views.tune_summary(training_record(**changes), NOW)["time_left"] == shown


def test_the_detail_lists_present_fields_in_order_and_prompt_images() -> None:
    prompt = {"id": 1, "text": "ohwx dog", "images": [3, "https://x.test/p.png"],
              "trained_at": "2026-03-01T11:59:00.000Z", "user_error": None}
    detail = views.tune_detail(training_record(), [prompt], NOW)
    labels = [label for label, _ in detail["fields"]]
    assert labels[:4] == ["Id", "Title", "Class", "Branch"]
    assert "Trained" not in labels  # null fields are left out
    # the route of the URL at its index in the record (the server looks it up there)
    assert detail["prompts"][0]["images"] == ["tunes/7/prompts/1/images/1"]
    assert detail["prompts"][0]["status"] == "done"


def test_search_matches_title_class_branch_and_id_case_insensitively() -> None:
    record = training_record()
    assert views.matches(record, "REX") and views.matches(record, "dog")
    assert views.matches(record, "flux") and views.matches(record, "7")
    assert views.matches(record, "  ") and not views.matches(record, "cat")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (PanelInputError("limit must be..."), 400),
        (NotFoundError("GET /tunes/1 failed: 404", status_code=404), 404),
        (AuthenticationError("GET /users failed: 401", status_code=401), 502),
        (RateLimitError("429", status_code=429), 503),
        (APIError("boom", status_code=500), 502),
        (TransportError("no answer"), 504),
        (KeyError("x"), 500),
    ],
)
def test_each_error_family_has_its_status_code(error: Exception, code: int) -> None:
    status, message = status_for(error)
    assert status == code
    assert message


def test_a_500_never_echoes_the_exception_text() -> None:
    status, message = status_for(RuntimeError("secret-ish internals"))
    assert status == 500 and "secret-ish" not in message


def test_a_training_tune_is_followed_by_a_tune_watch_until_trained(
    client: AstriaClient, tmp_path: Path
) -> None:
    followed: list[int] = []
    lock = threading.Lock()

    def watch(c: AstriaClient, tune_id: int) -> TuneWatch:
        with lock:
            followed.append(tune_id)
        return TuneWatch(c, tune_id, prompts=False)

    tune = client.create_tune(name="dog", title="panel unit",
                              images=[(f"{i}.jpg", photo(seed=i)) for i in range(4)])
    panel = AstriaPanel(tmp_path, client_factory=lambda: client, watch_factory=watch)
    try:
        first = panel.tunes(limit=5)["tunes"]
        assert first[0]["id"] == tune["id"]
        assert first[0]["status"] in ("queued", "training")
        assert followed == [tune["id"]]
        deadline = time.monotonic() + 60
        while panel.watching and time.monotonic() < deadline:
            time.sleep(0.05)
        assert panel.watching == []
        assert panel.tunes(limit=5)["tunes"][0]["status"] == "trained"
        assert followed.count(tune["id"]) == 1  # a finished tune is not followed again
    finally:
        panel.close()


def test_bad_paging_parameters_name_the_parameter(client: AstriaClient, tmp_path: Path) -> None:
    panel = AstriaPanel(tmp_path, client_factory=lambda: client)
    try:
        for params, name in (({"limit": "x"}, "limit"), ({"limit": 101}, "limit"),
                             ({"before_id": "-3"}, "before_id")):
            with pytest.raises(PanelInputError, match=name):
                panel.tunes(**params)
        with pytest.raises(PanelInputError, match="tune id"):
            panel.tune("abc")
    finally:
        panel.close()


def test_one_history_file_per_api_and_account(client: AstriaClient, sandbox: Any,
                                              tmp_path: Path) -> None:
    other = AstriaClient(api_key=sandbox.create_user(), base_url=sandbox.url, sandbox=True)
    panels = [AstriaPanel(tmp_path, client_factory=lambda c=c: c) for c in (client, other)]
    try:
        for panel in panels:
            panel.tunes()
        assert len(list(tmp_path.glob("tunes-*.sqlite"))) == 2
    finally:
        for panel in panels:
            panel.close()


def test_the_status_reports_the_balance_in_dollars(client: AstriaClient, tmp_path: Path) -> None:
    panel = AstriaPanel(tmp_path, client_factory=lambda: client)
    try:
        status = panel.status()
        account = client.account()
        assert status["balance_mc"] == account["usd_balance_mc"]
        assert status["balance"] == usd(account["usd_balance_mc"])  # the panel shows it as is
        assert re.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d\d", status["balance"])  # $100 at most
        assert status["api"] == "sandbox"
        assert status["list_interval"] == 12 * client.poll.min_interval
    finally:
        panel.close()


def test_concurrent_first_requests_share_one_sync(sandbox: Any, tmp_path: Path) -> None:
    import requests

    sent: list[str] = []

    class Counting(requests.Session):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            sent.append(f"{method} {requests.utils.urlparse(url).path}")
            return super().request(method, url, *args, **kwargs)

    counted = AstriaClient(api_key=sandbox.create_user(), base_url=sandbox.url, sandbox=True,
                           session=Counting())
    panel = AstriaPanel(tmp_path, client_factory=lambda: counted)
    try:
        threads = [threading.Thread(target=panel.tunes) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sent.count("GET /tunes") == 1, sent
    finally:
        panel.close()
