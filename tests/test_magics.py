"""The ``%astria`` magic in a real IPython shell: each command returns its object."""

from __future__ import annotations

import pandas as pd
import pytest
from corpus import photo
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from astria_widgets.magics import HELP, AstriaMagics, ConnectionStatus
from astria_widgets.widgets import LoginWidget, TuneForm, TuneProgress

WAIT = 60


@pytest.fixture(scope="module")
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "astria_widgets")
    yield ip
    ip.run_line_magic("unload_ext", "astria_widgets")


@pytest.fixture
def magics(shell, client) -> AstriaMagics:
    instance = shell.magics_manager.registry["AstriaMagics"]
    instance.client = client
    return instance


def test_load_ext_registers_the_magic_once(shell, capsys):
    assert "astria" in shell.magics_manager.magics["line"]
    shell.run_line_magic("load_ext", "astria_widgets")
    assert "already loaded" in capsys.readouterr().out


def test_unload_removes_it_and_load_brings_it_back(shell):
    shell.run_line_magic("unload_ext", "astria_widgets")
    assert "astria" not in shell.magics_manager.magics["line"]
    shell.run_line_magic("load_ext", "astria_widgets")
    assert "astria" in shell.magics_manager.magics["line"]


def test_form_returns_a_tune_form_with_the_given_values(shell, magics, client):
    form = shell.run_line_magic("astria", 'form name=dog branch=sd15 steps=400 prompt="ohwx dog"')
    assert isinstance(form, TuneForm) and form.client is client
    assert form.values["name"] == "dog" and form.values["steps"] == 400
    assert form.values["token"] == "sks"  # the sd15 default
    assert [p["text"] for p in form.values["prompts"]] == ["ohwx dog"]
    with pytest.raises(UsageError, match="unknown field 'colour'"):
        shell.run_line_magic("astria", "form colour=red")


def test_tunes_returns_the_history_dataframe_and_watch_a_progress_view(shell, magics, client):
    tune = client.create_tune(name="cat", images=[("c.jpg", photo(seed=1))], branch="fast",
                              title="magic cat")  # fmt: skip
    frame = shell.run_line_magic("astria", "tunes")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == [tune["id"]] and list(frame["title"]) == ["magic cat"]
    assert len(shell.run_line_magic("astria", "tunes --all")) == 1

    view = shell.run_line_magic("astria", f"watch {tune['id']}")
    assert isinstance(view, TuneProgress) and view.tune_id == tune["id"]
    assert view.wait(timeout=WAIT)["id"] == tune["id"] and view.status == "trained"
    with pytest.raises(UsageError):
        shell.run_line_magic("astria", "watch not-a-number")


def test_status_names_the_api_and_the_account(shell, magics, client):
    status = shell.run_line_magic("astria", "status")
    assert isinstance(status, ConnectionStatus)
    assert status.base_url == client.base_url and status.sandbox and status.error is None
    text = repr(status)
    assert text.startswith(f"API: {client.base_url} (the local sandbox)")
    assert "Account:" in text
    balance = client.account()["usd_balance_mc"]
    assert f"Balance: ${balance / 100_000:,.2f}" in text.splitlines()


def test_login_returns_a_login_widget(shell, magics, monkeypatch):
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    assert isinstance(shell.run_line_magic("astria", "login"), LoginWidget)


def test_sandbox_goes_through_connect_even_with_a_key(shell, magics, monkeypatch, tmp_path,
                                                       capsys):
    from astria_widgets.connect import current_sandbox, stop_sandbox

    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path))
    monkeypatch.setenv("ASTRIA_API_KEY", "sd_real_key_123")
    stop_sandbox()
    magics.client = None
    client = shell.run_line_magic("astria", "sandbox --speed 600")
    try:
        started = current_sandbox()
        assert started is not None and started.speed == 600  # started by connect()
        assert client.is_sandbox and magics.client is client and client.base_url == started.url
        assert "sandbox requested, started the local sandbox" in capsys.readouterr().err
        assert client.account() is not None
        status = shell.run_line_magic("astria", "status")
        assert status.base_url == client.base_url and status.sandbox
        again = shell.run_line_magic("astria", "sandbox --speed 60")
        assert again.base_url == client.base_url  # the running one is reused
        assert "speed 60 not applied" in capsys.readouterr().err
        with pytest.raises(UsageError, match="--speed: must be a positive number"):
            shell.run_line_magic("astria", "sandbox --speed 0")
    finally:
        stop_sandbox()


def test_the_magic_never_imports_the_sandbox_itself():
    import ast
    import inspect

    import astria_widgets.magics as magics_module

    tree = ast.parse(inspect.getsource(magics_module))
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for a in node.names]
    assert "astria_widgets.connect" in imported
    assert not [m for m in imported if m and m.startswith("astria_widgets.sandbox")]


def test_help_for_every_command(shell, capsys):
    assert shell.run_line_magic("astria", "help") is None
    text = capsys.readouterr().out
    for command in ("tunes", "form", "watch", "sandbox", "status", "login"):
        assert f"%astria {command}" in text
    for command, help_text in HELP.items():
        shell.run_line_magic("astria", f"help {command}")
        assert capsys.readouterr().out.strip() == help_text.strip()
    shell.run_line_magic("astria", "watch --help")
    assert capsys.readouterr().out.strip() == HELP["watch"].strip()
    with pytest.raises(UsageError, match="unknown command 'frobnicate'"):
        shell.run_line_magic("astria", "frobnicate")


def test_generate_returns_a_running_handle_with_a_sweep(shell, magics, client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora")
    run = shell.run_line_magic(
        "astria", f'generate {tune["id"]} "in a navy suit" --num-images 2 --seed 9 '
                  "--super-resolution --aspect-ratio 16:9")
    prompts = run.wait(timeout=WAIT)
    assert len(prompts) == 1 and prompts[0]["tune_id"] == 1504944
    assert prompts[0]["text"] == f"<lora:{tune['id']}:1> ohwx man in a navy suit"
    assert (prompts[0]["seed"], prompts[0]["num_images"], prompts[0]["aspect_ratio"],
            prompts[0]["super_resolution"]) == (9, 2, "16:9", True)
    swept = shell.run_line_magic(
        "astria", f'generate {tune["id"]} portrait --sweep seed=1,2 --sweep cfg_scale=3,7')
    assert [(p["seed"], p["cfg_scale"]) for p in swept.wait(timeout=WAIT)] == [
        (1, 3), (1, 7), (2, 3), (2, 7)]
    with pytest.raises(UsageError, match="cfg_scale: 20 is outside 0...15"):
        shell.run_line_magic("astria", f'generate {tune["id"]} x --cfg-scale 20')
    with pytest.raises(UsageError, match="--sweep 'seed=a': 'a' is not a whole number"):
        shell.run_line_magic("astria", f'generate {tune["id"]} x --sweep seed=a')
    with pytest.raises(UsageError, match="argument --steps: 'many' is not a whole number"):
        shell.run_line_magic("astria", f'generate {tune["id"]} x --steps many')
