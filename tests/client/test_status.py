"""Lifecycle rules derived from the documented fields (plus the sandbox's ``error``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from astria_widgets.client import prompt_status, tune_is_stalled, tune_status
from astria_widgets.client.status import estimated_duration, parse_time

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def iso(delta_s: float) -> str:
    return (NOW + timedelta(seconds=delta_s)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_parse_time_reads_the_api_format():
    assert parse_time("2023-10-02T14:32:05.067Z") == datetime(
        2023, 10, 2, 14, 32, 5, 67000, tzinfo=timezone.utc)
    assert parse_time(None) is None and parse_time("garbage") is None


def test_tune_states():
    queued = {"created_at": iso(-10), "eta": iso(1200)}
    training = {**queued, "started_training_at": iso(-5)}
    trained = {**training, "trained_at": iso(-1), "expires_at": iso(30 * 86400)}
    expired = {**trained, "expires_at": iso(-60)}
    failed = {**training, "error": "Training failed: boom"}
    assert [tune_status(r, NOW) for r in (queued, training, trained, expired, failed)] == [
        "queued", "training", "trained", "expired", "failed"]


def test_prompt_states():
    assert prompt_status({"images": [], "user_error": None}) == "pending"
    assert prompt_status({"images": ["http://x/1.png"]}) == "done"
    assert prompt_status({"images": [], "user_error": "NSFW"}) == "failed"
    assert prompt_status({}) == "pending"


def test_stalled_only_past_three_times_the_estimate():
    tune = {"created_at": iso(-1000), "started_training_at": iso(-1000), "eta": iso(0)}
    assert estimated_duration(tune) == 1000
    assert not tune_is_stalled(tune, NOW + timedelta(seconds=201))  # 1.2x: late, not stalled
    assert not tune_is_stalled(tune, NOW + timedelta(seconds=1999))
    assert tune_is_stalled(tune, NOW + timedelta(seconds=2001))
    assert tune_is_stalled(tune, NOW + timedelta(seconds=201), stall_factor=1.2)
    assert not tune_is_stalled({**tune, "trained_at": iso(0)}, NOW + timedelta(seconds=500))
    assert not tune_is_stalled({**tune, "error": "x"}, NOW + timedelta(seconds=500))
    assert not tune_is_stalled({"created_at": iso(-5000)}, NOW)  # no eta: never stalled


def test_parse_http_date_reads_date_headers():
    from astria_widgets.client.status import parse_http_date

    assert parse_http_date("Sun, 01 Jun 2025 12:00:00 GMT") == NOW
    assert parse_http_date("garbage") is None and parse_http_date(None) is None


def test_training_fraction_is_the_one_progress_rule():
    from astria_widgets.client.status import training_fraction

    queued = {"created_at": iso(-100), "eta": iso(1100)}
    half = {"created_at": iso(-700), "started_training_at": iso(-600), "eta": iso(600)}
    overdue = {**half, "started_training_at": iso(-2000), "eta": iso(-800)}
    no_eta = {"created_at": iso(-700), "started_training_at": iso(-600)}
    assert training_fraction(queued, NOW) == 0.0
    assert abs(training_fraction(half, NOW) - 0.5) < 1e-9
    assert training_fraction(overdue, NOW) == 0.99  # held below 1 until the service says done
    assert training_fraction({**half, "trained_at": iso(-1)}, NOW) == 1.0
    assert training_fraction(no_eta, NOW) is None
    assert training_fraction({**half, "error": "Training failed"}, NOW) is None
