"""Fault injection: every kind, random rate, the control endpoint; health never faulted."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from sandbox_helpers import Api

from astria_widgets.sandbox import Sandbox


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of its own, so injected faults never hit other tests."""
    with Sandbox(data_dir=tmp_path_factory.mktemp("faults"), speed=600, slow_delay=0.3,
                 fault_seed=1) as sb:
        yield sb


@pytest.fixture
def fapi(faulty: Sandbox) -> Iterator[Api]:
    faulty.clear_faults()
    yield Api(faulty.url, faulty.create_user())
    faulty.clear_faults()


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_errors_before_processing(faulty: Sandbox, fapi: Api, kind: str) -> None:
    faulty.fail_next(kind)
    response = fapi.post("/tunes", json={"tune": {"title": kind, "name": "man",
                                                  "image_urls": ["https://e.com/a.jpg"]}})
    assert response.status_code == int(kind) and "error" in response.json()
    assert response.headers["X-Astria-Sandbox"] == "1"
    assert fapi.get("/tunes").json() == []  # not processed


def test_429_has_retry_after(faulty: Sandbox, fapi: Api) -> None:
    faulty.fail_next("429", count=2)
    first, second = fapi.get("/tunes"), fapi.get("/tunes")
    for response in (first, second):
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "0"  # whole seconds only (RFC 9110)
        assert float(response.headers["X-Sandbox-Retry-After"]) == pytest.approx(0.1)
        assert response.json()["retry_after"] == pytest.approx(0.1)
    assert fapi.get("/tunes").status_code == 200


def test_504_after_processing_creates_the_object(faulty: Sandbox, fapi: Api) -> None:
    faulty.fail_next("504")
    response = fapi.post("/tunes", json={"tune": {"title": "gateway", "name": "man",
                                                  "image_urls": ["https://e.com/a.jpg"]}})
    assert response.status_code == 504
    assert [t["title"] for t in fapi.get("/tunes", params={"title": "gateway"}).json()] == [
        "gateway"]


def test_drop_closes_the_connection_after_processing(faulty: Sandbox, fapi: Api) -> None:
    faulty.fail_next("drop")
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{faulty.url}/tunes", headers=fapi.session.headers, timeout=10,
                      json={"tune": {"title": "dropped", "name": "man",
                                     "image_urls": ["https://e.com/a.jpg"]}})
    assert len(fapi.get("/tunes", params={"title": "dropped"}).json()) == 1


def test_slow_answers_normally(faulty: Sandbox, fapi: Api, figures) -> None:
    faulty.fail_next("slow")
    started = time.monotonic()
    response = fapi.get("/tunes")
    elapsed = time.monotonic() - started
    figures("slow fault answered", seconds=f"{elapsed:.2f}")
    assert response.status_code == 200
    assert faulty.fault_stats["slow"] >= 1


def test_health_and_files_are_never_faulted(faulty: Sandbox, fapi: Api) -> None:
    faulty.fail_next("500", count=3)
    for _ in range(3):
        assert requests.get(f"{faulty.url}/sandbox/health", timeout=5).json() == {
            "ok": True, "sandbox": True}
    assert faulty.state.faults.pending() == ["500"] * 3


def test_random_rate_and_stats(faulty: Sandbox, fapi: Api, figures) -> None:
    before = sum(faulty.fault_stats.values())
    faulty.set_faults(0.5)
    statuses = []
    for _ in range(40):
        try:
            statuses.append(requests.get(f"{faulty.url}/users", headers=fapi.session.headers,
                                         timeout=10).status_code)
        except requests.ConnectionError:
            statuses.append("drop")
    faulty.set_faults(0)
    injected = sum(faulty.fault_stats.values()) - before
    figures("random faults at rate 0.5", injected=injected, requests=40, statuses=statuses)
    assert 5 <= injected <= 35
    assert set(faulty.fault_stats) == {"429", "500", "502", "503", "504", "drop", "slow"}
    assert statuses.count(200) >= 40 - injected


def test_control_endpoint(faulty: Sandbox, fapi: Api) -> None:
    response = fapi.post("/sandbox/faults", json={"kind": "503", "count": 2})
    assert response.status_code == 200 and response.json()["pending"] == ["503", "503"]
    assert fapi.get("/tunes").status_code == 503
    assert fapi.post("/sandbox/faults", json={"rate": 0.25}).json()["rate"] == 0.25
    cleared = fapi.post("/sandbox/faults", json={"clear": True}).json()
    assert cleared["pending"] == [] and cleared["rate"] == 0
    assert fapi.post("/sandbox/faults", json={"kind": "418"}).status_code == 422
    assert requests.post(f"{faulty.url}/sandbox/faults", json={"rate": 1}).status_code == 401
    with pytest.raises(ValueError):
        faulty.fail_next("teapot")
