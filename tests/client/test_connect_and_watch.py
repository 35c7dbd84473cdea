"""connect() picks the real API with a key, else reuses or starts a sandbox; the watch CLI."""

from __future__ import annotations

import json

import pytest

from astria_widgets.client import AstriaClient
from astria_widgets.commands import watch
from astria_widgets.connect import connect, current_sandbox, stop_sandbox


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    monkeypatch.delenv("ASTRIA_BASE_URL", raising=False)


def test_a_key_means_the_real_api_without_touching_the_network(monkeypatch):
    monkeypatch.setenv("ASTRIA_API_KEY", "sd_from_env_123")
    monkeypatch.delenv("ASTRIA_BASE_URL", raising=False)
    client = connect()
    assert client.base_url == "https://api.astria.ai" and not client.is_sandbox
    assert "sd_from_env_123" not in repr(client) and "key=set" in repr(client)
    assert connect(api_key="k", base_url="http://127.0.0.1:9").base_url == "http://127.0.0.1:9"


def test_reuses_a_live_sandbox_from_server_json(sandbox, no_key, monkeypatch, capsys):
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(sandbox.data_dir))
    assert json.loads((sandbox.data_dir / "server.json").read_text())["url"] == sandbox.url
    client = connect()
    assert isinstance(client, AstriaClient) and client.is_sandbox
    assert client.base_url == sandbox.url and client.poll.min_interval <= 1.0
    assert client.account()["id"]
    said = capsys.readouterr()
    line = said.err.strip()  # a notice: stderr, so ID=$(python -c ...) captures only results
    assert said.out == ""
    assert line.startswith("astria-widgets: no ASTRIA_API_KEY set") and sandbox.url in line
    assert "\n" not in line


def test_starts_a_sandbox_when_none_answers(tmp_path, no_key, monkeypatch, capsys):
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path))
    (tmp_path / "server.json").write_text(json.dumps(
        {"url": "http://127.0.0.1:9", "api_key": "x", "pid": 1}))  # stale: nobody answers
    stop_sandbox()
    try:
        client = connect(quiet=True)
        started = current_sandbox()
        assert started is not None and client.account()["id"]
        assert client.base_url == started.url
        assert connect(quiet=True).base_url == client.base_url  # kept for the process
        assert current_sandbox() is started
        assert capsys.readouterr() == ("", "")
    finally:
        stop_sandbox()
    assert not started.running and current_sandbox() is None
    assert stop_sandbox() is False  # nothing left to stop


def test_sandbox_true_wins_over_a_key_and_says_when_speed_is_not_applied(
        sandbox, monkeypatch, capsys):
    monkeypatch.setenv("ASTRIA_API_KEY", "sd_from_env_123")
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(sandbox.data_dir))
    stop_sandbox()
    client = connect(sandbox=True)
    assert current_sandbox() is None  # another process's sandbox is reused, not owned
    assert client.is_sandbox and client.base_url == sandbox.url
    line = capsys.readouterr().err.strip()
    assert line.startswith("astria-widgets: sandbox requested, reusing the local sandbox")
    assert "not applied" not in line and "sd_from_env_123" not in line
    assert connect(sandbox=True, speed=5).base_url == sandbox.url  # reused, not restarted
    line = capsys.readouterr().err.strip()
    assert "speed 5 not applied" in line and "\n" not in line
    with pytest.raises(ValueError, match="sandbox=True"):
        connect(sandbox=True, api_key="sd_other")
    with pytest.raises(ValueError, match="speed"):
        connect(sandbox=True, speed=0)


def test_speed_applies_to_a_started_sandbox_and_a_stopped_one_is_replaced(
        tmp_path, no_key, monkeypatch, capsys):
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path))
    stop_sandbox()
    started = []
    try:
        first = connect(speed=600)
        started.append(current_sandbox())
        assert started[0].speed == 600 and first.account()["id"]
        assert "started the local sandbox" in capsys.readouterr().err
        connect(speed=600)
        assert "not applied" not in capsys.readouterr().err  # same speed: nothing to say
        connect(speed=30)
        assert "speed 30 not applied (the running sandbox keeps speed 600)" in (
            capsys.readouterr().err)
        started[0].stop()  # stopped by its owner, not through connect
        assert current_sandbox() is None
        second = connect(quiet=True, speed=300)
        started.append(current_sandbox())
        assert started[1] is not started[0]
        assert started[1].speed == 300 and second.account()["id"]
    finally:
        for sb in started:
            sb.stop()


def _tunes(client: AstriaClient) -> int:
    return sum(1 for _ in client.iter_tunes())


def test_a_new_default_sandbox_is_seeded_and_an_existing_one_never(
        tmp_path, no_key, monkeypatch, capsys):
    stop_sandbox()
    fresh = tmp_path / "fresh"  # not there yet: connect() creates it
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(fresh))
    try:
        assert _tunes(connect(speed=600)) == 300  # the documented history, 300 tunes
        assert "seeded a history of 300 tunes" in capsys.readouterr().err
    finally:
        stop_sandbox()
    try:
        assert _tunes(connect(quiet=True)) == 300  # restarted on it: not seeded again
    finally:
        stop_sandbox()

    empty = tmp_path / "empty"
    empty.mkdir()  # an empty folder is a new one too; seed_history=0 keeps it empty
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(empty))
    try:
        assert _tunes(connect(quiet=True, seed_history=0)) == 0
    finally:
        stop_sandbox()
    try:
        assert _tunes(connect()) == 0  # an existing folder is never seeded
        assert "seeded" not in capsys.readouterr().err
    finally:
        stop_sandbox()


@pytest.mark.parametrize("bad", [-1, True, 2.5, "300"])
def test_a_bad_seed_history_is_refused_before_anything_starts(bad, tmp_path, no_key,
                                                              monkeypatch):
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path / "never"))
    stop_sandbox()
    with pytest.raises(ValueError, match=r"connect\(\): seed_history must be a whole number"):
        connect(seed_history=bad)
    assert current_sandbox() is None and not (tmp_path / "never").exists()


def test_watch_command_exit_codes(sandbox, no_key, monkeypatch, capsys):
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(sandbox.data_dir))
    owner = AstriaClient(api_key=sandbox.api_key, base_url=sandbox.url)
    good = owner.create_tune(name="dog", image_urls=["https://e.x/1.jpg"], branch="fast")
    bad = owner.create_tune(name="dog", image_urls=["https://e.x/1.jpg"], branch="fast",
                            title="watch [fail]")
    assert watch.main([str(good["id"]), "--timeout", "60"]) == 0
    assert "trained" in capsys.readouterr().out
    assert watch.main([str(bad["id"]), "--timeout", "60"]) == 1
    assert "failed" in capsys.readouterr().out
    assert watch.main(["999999999"]) == 1
    assert watch.HELP
