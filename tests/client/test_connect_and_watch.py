"""connect() picks the real API with a key, else reuses or starts a sandbox; the watch CLI."""

from __future__ import annotations

import json

import pytest

import astria_widgets.connect as connect_module
from astria_widgets.client import AstriaClient
from astria_widgets.commands import watch
from astria_widgets.connect import connect


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
    line = capsys.readouterr().out.strip()
    assert line.startswith("astria-widgets: no ASTRIA_API_KEY set") and sandbox.url in line
    assert "\n" not in line


def test_starts_a_sandbox_when_none_answers(tmp_path, no_key, monkeypatch, capsys):
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path))
    (tmp_path / "server.json").write_text(json.dumps(
        {"url": "http://127.0.0.1:9", "api_key": "x", "pid": 1}))  # stale: nobody answers
    monkeypatch.setattr(connect_module, "_sandbox", None)
    try:
        client = connect(quiet=True)
        assert connect_module._sandbox is not None and client.account()["id"]
        assert client.base_url == connect_module._sandbox.url
        assert connect(quiet=True).base_url == client.base_url  # kept for the process
        assert capsys.readouterr().out == ""
    finally:
        if connect_module._sandbox is not None:
            connect_module._sandbox.stop()


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
