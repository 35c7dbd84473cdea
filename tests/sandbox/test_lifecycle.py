"""The simulated lifecycle: training, failure, eta error bound, prompts, callbacks."""

from __future__ import annotations

import socket
import time
from datetime import datetime
from pathlib import Path

import pytest
from sandbox_helpers import Api, Receiver

from astria_widgets.sandbox import Sandbox


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _settled(tune: dict) -> bool:
    return bool(tune["trained_at"] or tune["error"])


def test_tune_trains_with_eta_within_20_percent(api: Api, figures) -> None:
    created = api.make_tune("trains", branch="sdxl1")
    assert created["started_training_at"] is None and created["trained_at"] is None
    assert created["model_type"] == "pti"
    tune = api.wait(f"/tunes/{created['id']}", _settled)
    assert tune["error"] is None and tune["trained_at"] is not None
    start, eta, end = (_ts(tune[k]) for k in ("started_training_at", "eta", "trained_at"))
    ratio = (end - start) / (eta - start)
    figures("actual/estimated training time", ratio=f"{ratio:.3f}")
    assert 0.8 <= ratio <= 1.2
    assert _ts(tune["expires_at"]) - end == pytest.approx(30 * 86400, abs=1)
    assert tune["ckpt_url"] and tune["ckpt_urls"] == [tune["ckpt_url"]]
    assert api.session.get(tune["ckpt_url"], timeout=10).status_code == 200


def test_fail_marker_fails_training_and_its_prompts(api: Api) -> None:
    created = api.post("/tunes", json={"tune": {
        "title": "please [fail]", "name": "man", "image_urls": ["https://example.com/a.jpg"],
        "prompts_attributes": [{"text": "never"}]}}).json()
    tune = api.wait(f"/tunes/{created['id']}", _settled)
    assert tune["trained_at"] is None and tune["error"].startswith("Training failed")
    assert tune["started_training_at"] is not None
    prompt = api.get(f"/tunes/{created['id']}/prompts").json()[0]
    assert prompt["images"] == [] and "failed" in prompt["user_error"]


def test_prompt_fail_marker_and_fast_branch(api: Api) -> None:
    tune = api.make_tune("fast", branch="fast")
    prompt = api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": "x [fail]"}).json()
    done = api.wait(f"/prompts/{prompt['id']}", lambda p: bool(p["user_error"]))
    assert done["user_error"] and done["images"] == [] and done["trained_at"] is None
    assert done["cost_mc"] == 0


def test_faceid_is_trained_at_creation(api: Api) -> None:
    tune = api.make_tune("face", model_type="faceid", branch="sd15")
    assert tune["trained_at"] is not None and tune["ckpt_url"] is None
    assert tune["ckpt_urls"] == []


def test_callbacks_for_tune_and_prompt(api: Api, receiver: Receiver) -> None:
    tune = api.post("/tunes", json={"tune": {
        "title": "with callbacks", "name": "man", "branch": "fast",
        "image_urls": ["https://example.com/a.jpg"],
        "callback": f"{receiver.url}/tune?user=1",
        "prompts_attributes": [{"text": "hello", "callback": f"{receiver.url}/prompt"}]}}).json()
    got = dict(receiver.get() for _ in range(2))
    assert got["/tune?user=1"]["tune"]["id"] == tune["id"]
    assert got["/tune?user=1"]["tune"]["trained_at"] is not None
    assert got["/prompt"]["prompt"]["images"]


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_non_loopback_callback_is_refused(sandbox: Sandbox, api: Api) -> None:
    address = _non_loopback_address()
    receiver = Receiver(address) if address else None
    url = f"{receiver.url}/cb" if receiver else "http://192.0.2.1:9/cb"
    try:
        tune = api.make_tune("remote callback", branch="fast", callback=url)
        api.wait(f"/tunes/{tune['id']}", _settled)
        records = []
        for _ in range(100):
            records = [r for r in sandbox.callback_log if r.object_id == tune["id"]]
            if records:
                break
            time.sleep(0.05)
        assert [r.outcome for r in records] == ["refused"]
        if receiver:
            assert receiver.bodies.empty()
    finally:
        if receiver:
            receiver.close()


def test_speed_scales_training(tmp_path: Path, figures) -> None:
    with Sandbox(data_dir=tmp_path, speed=3000) as sb:
        api = Api(sb.url, sb.api_key)
        created = api.make_tune("very fast")
        tune = api.wait(f"/tunes/{created['id']}", _settled, timeout=10)
        duration = _ts(tune["trained_at"]) - _ts(tune["created_at"])
        figures("speed 3000: trained after creation", seconds=f"{duration:.2f}")
        assert tune["trained_at"] is not None
        assert duration <= (30 + 1200 * 1.2) / 3000 + 0.01


def _actual_over_estimate(api: Api, tune: dict) -> float:
    """Wait for a tune to train; its actual training time over the estimated one."""
    done = api.wait(f"/tunes/{tune['id']}", lambda t: bool(t["trained_at"]), timeout=20)
    started = _ts(done["started_training_at"])
    return (_ts(done["trained_at"]) - started) / (_ts(done["eta"]) - started)


def test_duration_spread_sets_the_actual_training_time(tmp_path: Path) -> None:
    # speed 6000: a 20-minute training is estimated at 0.2 s
    with Sandbox(data_dir=tmp_path, speed=6000, duration_spread=(0.3, 3.0)) as sb:
        api = Api(sb.url, sb.api_key)
        tunes = [api.make_tune(f"spread {i}", branch="flux1") for i in range(24)]
        ratios = [_actual_over_estimate(api, tune) for tune in tunes]
        assert all(0.299 <= r <= 3.001 for r in ratios), ratios
        assert min(ratios) < 0.8 and max(ratios) > 1.2, ratios  # wider than the default band
        sb.duration_spread = (2.5, 2.5)
        pinned = _actual_over_estimate(api, api.make_tune("pinned", branch="flux1"))
        assert pinned == pytest.approx(2.5, rel=0.01)
        with pytest.raises(ValueError, match="0 < low <= high"):
            sb.duration_spread = (1.5, 1.0)


def test_default_spread_keeps_trainings_within_20_percent(tmp_path: Path) -> None:
    with Sandbox(data_dir=tmp_path, speed=6000) as sb:
        api = Api(sb.url, sb.api_key)
        tunes = [api.make_tune(f"default {i}", branch="flux1") for i in range(8)]
        assert all(0.799 <= _actual_over_estimate(api, t) <= 1.201 for t in tunes)
