"""The sandbox's fixed latency: every answer (API and files) waits ``latency`` seconds, the
sandbox's own control routes do not; settable while it runs; checked like every setting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from sandbox_helpers import Api

from astria_widgets.sandbox import Sandbox
from astria_widgets.sandbox.cli import build_parser


def timed(call) -> tuple[float, requests.Response]:
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response


def test_every_answer_waits_the_latency_but_the_control_routes(tmp_path: Path) -> None:
    with Sandbox(data_dir=tmp_path, speed=600, latency=0.3) as sb:
        assert sb.latency == 0.3
        api = Api(sb.url, sb.create_user())
        took, response = timed(lambda: api.get("/tunes"))
        assert response.status_code == 200 and took >= 0.3
        took, response = timed(lambda: requests.get(f"{sb.url}/sandbox/health", timeout=10))
        assert response.status_code == 200 and took < 0.3
        tune = api.post("/tunes", json={"tune": {"title": "t", "name": "man",
                                                 "image_urls": ["https://e.com/a.jpg"]}}).json()
        sb.latency = 0
        took, response = timed(lambda: api.get(f"/tunes/{tune['id']}"))
        assert response.status_code == 200 and took < 0.3
        sb.latency = 0.3
        took, _response = timed(lambda: api.get(f"/tunes/{tune['id']}"))
        assert took >= 0.3


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "1", True])
def test_a_bad_latency_is_refused_naming_it(tmp_path: Path, bad: object) -> None:
    with pytest.raises(ValueError, match="latency"):
        Sandbox(data_dir=tmp_path, latency=bad)  # type: ignore[arg-type]
    with Sandbox(data_dir=tmp_path) as sb, pytest.raises(ValueError, match="latency"):
        sb.latency = bad  # type: ignore[assignment]


def test_the_command_takes_a_latency(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["--latency", "0.3"]).latency == 0.3
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--latency", "-2"])
    assert exit_info.value.code == 2
    assert "argument --latency: must be a number of seconds" in capsys.readouterr().err
