"""Issue 16, items 6, 7 and the panel route of 8: hostile values for the sandbox's options (the
``Sandbox`` class, ``astria-widgets sandbox``, ``%astria sandbox``, ``connect()``), the
commands' arguments (``sandbox``, ``sync``, ``watch``, ``download``) and the panel's tune id.

Each command runs in-process through its ``main(argv)``: a refused value is exit status 2 with
a one-line message on stderr naming the option, never an exception. Nothing is served: the
sandbox's ``start()`` and ``connect()`` are replaced by stand-ins that record what would have
been served or connected and stop there (:class:`WouldServe`, :class:`WouldConnect`). A few
cases also run as real processes, whose stderr must hold no traceback. The hypothesis tests at
the end fuzz every option of the four commands the same way.
"""

from __future__ import annotations

import importlib
import math
import os
import sqlite3
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile import probe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astria_widgets.commands import download as download_command
from astria_widgets.commands import sync as sync_command
from astria_widgets.commands import watch as watch_command
from astria_widgets.sandbox import cli as sandbox_command

NAN, INF = float("nan"), float("inf")
# the module (``astria_widgets.connect`` may name the lazily exported function instead)
CONNECT_MODULE = importlib.import_module("astria_widgets.connect")


class WouldServe(Exception):
    """Raised by the stand-in ``Sandbox.start``: the command would have served here."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"would serve on {host}:{port}")
        self.host, self.port = host, port


class WouldConnect(Exception):
    """Raised by the stand-in ``connect()``: the command got past its checks."""


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``Sandbox.start`` raises :class:`WouldServe`; the default sandbox folder is tmp."""
    from astria_widgets.sandbox.server import Sandbox

    def start(self: Sandbox) -> Sandbox:
        raise WouldServe(self.host, self.port)

    monkeypatch.setattr(Sandbox, "start", start)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path / "sandbox-dir"))
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)


@pytest.fixture
def no_connecting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``connect()`` raises :class:`WouldConnect` (the commands import it when they run)."""

    def connect(**_: Any) -> Any:
        raise WouldConnect

    monkeypatch.setattr(CONNECT_MODULE, "connect", connect)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path / "sandbox-dir"))
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)


def run_main(main: Callable[[list[str]], int], argv: list[str],
             capsys: pytest.CaptureFixture[str]) -> tuple[Any, str, str]:
    """``(exit status, stdout, stderr)`` of ``main(argv)``; any other exception propagates."""
    try:
        code: Any = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: Any, err: str, option: str, status: int = 2) -> None:
    """Exit ``status`` and one line (after argparse's usage lines) naming ``option``."""
    assert code == status, (code, err)
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert option in last, err


# -- 6. the sandbox's speed and its other numeric settings, one rule for every entry point ----

BAD_SETTINGS = [
    ("speed", NAN), ("speed", INF), ("speed", -INF), ("speed", 0), ("speed", -1.5),
    ("speed", "60"), ("speed", True), ("speed", None),
    ("faults", NAN), ("faults", -0.1), ("faults", 1.5),
    ("retry_after", NAN), ("retry_after", -1), ("retry_after", INF),
    ("slow_delay", NAN), ("slow_delay", -0.5), ("slow_delay", INF),
    ("latency", NAN), ("latency", -1), ("latency", INF), ("latency", "1"), ("latency", True),
    ("duration_spread", (NAN, 1.0)), ("duration_spread", (0.5, INF)),
    ("duration_spread", (2.0, 1.0)), ("duration_spread", "0.3,3"),
    ("seed_history", -5), ("seed_history", NAN), ("seed_history", 1.5),
    ("seed_history", 10**12),
    ("max_upload_bytes", 0), ("max_upload_bytes", NAN),
    ("port", -1), ("port", 70000), ("port", "8000"),
    ("api_key", ""), ("api_key", "two words"),
    ("host", ""), ("host", "local host"),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_the_sandbox_refuses_a_bad_setting_naming_it(name: str, value: Any,
                                                      tmp_path: Path) -> None:
    from astria_widgets.sandbox import Sandbox

    with pytest.raises(ValueError, match=name) as caught:
        Sandbox(data_dir=tmp_path, **{name: value})
    assert type(caught.value) is ValueError or isinstance(caught.value, ValueError)
    probe("sandbox speed")


@pytest.mark.parametrize("speed", [NAN, INF, -1.0])
def test_a_temporary_sandbox_refused_leaves_no_folder(speed: float, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from astria_widgets.sandbox import Sandbox

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(ValueError, match="speed"):
        Sandbox(speed=speed)
    assert list(tmp_path.iterdir()) == []
    probe("sandbox speed")


def test_a_running_sandbox_refuses_a_bad_rate_or_spread(sandbox: Any) -> None:
    before = (sandbox.config.faults, sandbox.duration_spread)
    for change in (lambda: sandbox.set_faults(NAN), lambda: sandbox.set_faults(-1),
                   lambda: setattr(sandbox, "duration_spread", (NAN, 2.0)),
                   lambda: setattr(sandbox, "duration_spread", (1.0, INF))):
        with pytest.raises(ValueError, match="faults|duration_spread"):
            change()
        assert (sandbox.config.faults, sandbox.duration_spread) == before  # nothing changed
        probe("sandbox speed")


@pytest.mark.parametrize("speed", [NAN, INF, 0, -2])
def test_connect_refuses_a_bad_speed_even_when_it_would_reuse_a_sandbox(
        speed: float, no_serving: None) -> None:
    from astria_widgets.connect import connect

    with pytest.raises(ValueError, match="speed"):
        connect(sandbox=True, speed=speed, quiet=True)
    probe("sandbox speed")


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "0", "-3", "fast", "1e999"])
def test_the_magic_refuses_a_bad_speed_naming_it(text: str, no_serving: None) -> None:
    from IPython.core.error import UsageError

    from astria_widgets.magics import AstriaMagics

    magics = AstriaMagics(None)
    with pytest.raises(UsageError, match="--speed") as caught:
        magics.astria(f"sandbox --speed={text}")
    assert text in str(caught.value)
    assert magics.client is None
    probe("sandbox speed")


SANDBOX_REFUSALS = [
    (["--speed", "nan"], "--speed"), (["--speed", "inf"], "--speed"),
    (["--speed", "-inf"], "--speed"), (["--speed", "0"], "--speed"),
    (["--speed", "1e400"], "--speed"), (["--speed", "fast"], "--speed"),
    (["--faults", "nan"], "--faults"), (["--faults", "2"], "--faults"),
    (["--seed-history", "-5"], "--seed-history"), (["--seed-history", "nan"], "--seed-history"),
    (["--seed-history", "1e12"], "--seed-history"),
    (["--duration-spread", "nan,1"], "--duration-spread"),
    (["--duration-spread", "1,inf"], "--duration-spread"),
    (["--duration-spread", "2,1"], "--duration-spread"),
    (["--port", "-1"], "--port"), (["--port", "70000"], "--port"),
    (["--port", "65536"], "--port"), (["--port", "http"], "--port"),
    (["--api-key", ""], "--api-key"), (["--api-key", "   "], "--api-key"),
    (["--api-key", "a b"], "--api-key"),
    (["--data-dir", ""], "--data-dir"), (["--data-dir", "a\x00b"], "--data-dir"),
    (["--now", "yesterday"], "--now"), (["--now", "9999-12-31T23:00:00-14:00"], "--now"),
    (["--now", "0001-01-01T00:00:00+01:00"], "--now"),
    (["--host", ""], "--host"), (["--host", "a b"], "--host"),
]


@pytest.mark.parametrize(("argv", "option"), SANDBOX_REFUSALS)
def test_the_sandbox_command_refuses_naming_the_option(
        argv: list[str], option: str, no_serving: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(sandbox_command.main, argv, capsys)
    assert_refused(code, err, option)
    assert out == ""
    probe("sandbox speed" if option == "--speed" else "commands")


@pytest.mark.parametrize("port", ["0", "1", "8123", "65535"])
def test_the_sandbox_command_serves_on_the_port_asked(port: str, no_serving: None,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(WouldServe) as served:
        sandbox_command.main(["--port", port])
    assert served.value.port == int(port)
    probe("commands")


def test_a_port_in_use_is_a_one_line_error_not_an_exit_from_inside(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from astria_widgets.sandbox import Sandbox

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=str(port)):
            Sandbox(port=port, data_dir=tmp_path / "a").start()  # was SystemExit from Werkzeug
        code, out, err = run_main(sandbox_command.main,
                                  ["--port", str(port), "--data-dir", str(tmp_path / "b")],
                                  capsys)
    assert_refused(code, err, "cannot start", status=1)
    assert str(port) in err.strip().splitlines()[-1]
    probe("commands")


@pytest.mark.parametrize("what", ["not a database", "a folder"])
def test_a_broken_sandbox_database_is_a_one_line_error(
        what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if what == "a folder":
        (data_dir / "sandbox.sqlite3").mkdir()
    else:
        (data_dir / "sandbox.sqlite3").write_text("hello")
    code, out, err = run_main(sandbox_command.main, ["--data-dir", str(data_dir)], capsys)
    assert_refused(code, err, "sandbox.sqlite3", status=1)
    assert "Astria sandbox running" not in out
    probe("commands")


# -- 7. sync, watch -----------------------------------------------------------------------

@pytest.fixture
def sync_client(monkeypatch: pytest.MonkeyPatch, client: Any, tmp_path: Path) -> Any:
    """``connect()`` gives the test's sandbox client (sync runs against the session sandbox)."""
    monkeypatch.setattr(CONNECT_MODULE, "connect", lambda **_: client)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path / "sandbox-dir"))
    return client


def read_only_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A history file that cannot be written. Root writes through file modes, so there the
    history module's SQLite opens it as the OS would for anyone else: read-only."""
    path = tmp_path / "read-only.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE tunes (id INTEGER PRIMARY KEY, json TEXT NOT NULL, "
               "terminal INTEGER NOT NULL, updated_at TEXT, synced_at TEXT NOT NULL)")
    db.commit()
    db.close()
    path.chmod(0o444)
    if os.geteuid() == 0:
        import astria_widgets.history as history_module

        def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
            kwargs.pop("uri", None)
            return sqlite3.connect(f"file:{database}?mode=ro", *args, uri=True, **kwargs)

        shim = types.SimpleNamespace(**{**vars(sqlite3), "connect": connect})
        monkeypatch.setattr(history_module, "sqlite3", shim)
    return path


@pytest.mark.parametrize("what", ["a folder", "not a database", "read-only", "empty",
                                  "under a file", "NUL"])
def test_sync_refuses_a_path_it_cannot_use(what: str, sync_client: Any, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    if what == "a folder":
        path = str(tmp_path)
    elif what == "not a database":
        (tmp_path / "notes.txt").write_text("my notes\n" * 100)
        path = str(tmp_path / "notes.txt")
    elif what == "read-only":
        path = str(read_only_history(tmp_path, monkeypatch))
    elif what == "empty":
        path = ""
    elif what == "under a file":
        (tmp_path / "file").write_text("x")
        path = str(tmp_path / "file" / "history.sqlite3")
    else:
        path = "a\x00b"
    before = Path(path).read_bytes() if what == "not a database" else None
    code, out, err = run_main(sync_command.main, ["--path", path], capsys)
    assert_refused(code, err, "--path")
    assert "history:" not in out
    if before is not None:
        assert Path(path).read_bytes() == before  # the user's file is untouched
    probe("commands")


def test_sync_help_shows_the_real_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ASTRIA_HISTORY", raising=False)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(tmp_path / "sb"))
    code, out, _ = run_main(sync_command.main, ["--help"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert "astria_widgets.commands" not in flat
    assert str(tmp_path / "sb" / "history.sqlite3") in flat
    assert str(Path.home() / ".astria-widgets" / "history.sqlite3") in flat
    probe("commands")


def test_a_sync_result_counts_in_words() -> None:
    from astria_widgets.history import SyncResult

    one = str(SyncResult("tunes", 1, 0, 1, 0, 1, 1, 0))
    assert "1 requests" not in one and "1 request" in one
    assert "2 requests" in str(SyncResult("tunes", 0, 0, 0, 0, 2, 5, 0))
    probe("commands")


def test_sync_still_works_and_says_request_once(sync_client: Any, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(sync_command.main, ["--path", str(tmp_path / "h.sqlite3")],
                              capsys)
    assert code == 0, err
    assert "tunes: 0 new" in out and "1 request" in out and "1 requests" not in out
    probe("commands")


WATCH_REFUSALS = [
    (["7", "--timeout", "-1"], "--timeout"), (["7", "--timeout", "0"], "--timeout"),
    (["7", "--timeout", "nan"], "--timeout"), (["7", "--timeout", "inf"], "--timeout"),
    (["7", "--timeout", "soon"], "--timeout"),
    (["0"], "tune_id"), (["-5"], "tune_id"), (["9" * 31], "tune_id"), (["7.5"], "tune_id"),
    (["x"], "tune_id"),
]


@pytest.mark.parametrize(("argv", "option"), WATCH_REFUSALS)
def test_watch_refuses_naming_the_argument(argv: list[str], option: str, no_connecting: None,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(watch_command.main, argv, capsys)
    assert_refused(code, err, option)
    probe("commands")


DOWNLOAD_REFUSALS = [
    (["--expiring", "--days", d], "--days") for d in ("nan", "inf", "-inf", "0", "-2", "soon")
] + [(["--expiring", "--dest", ""], "--dest"), (["--expiring", "--dest", "a\x00b"], "--dest")]


@pytest.mark.parametrize(("argv", "option"), DOWNLOAD_REFUSALS)
def test_download_refuses_naming_the_argument(argv: list[str], option: str, no_connecting: None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(download_command.main, argv, capsys)
    assert_refused(code, err, option)
    probe("commands")


# -- real processes: the message, the status, and no traceback -------------------------------

def run_process(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASTRIA_API_KEY", "ASTRIA_BASE_URL")}
    env["ASTRIA_SANDBOX_DIR"] = str(tmp_path / "sandbox-dir")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parents[2]),
                                                      env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "astria_widgets.cli", *args],
                          capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)


@pytest.mark.parametrize(("args", "option"), [
    (["sandbox", "--port", "-1"], "--port"),
    (["sandbox", "--port", "70000"], "--port"),
    (["sandbox", "--api-key", ""], "--api-key"),
    (["sandbox", "--speed", "nan"], "--speed"),
    (["sandbox", "--seed-history", "-5"], "--seed-history"),
    (["sync", "--path", "FOLDER"], "--path"),
    (["sync", "--path", "NOTES"], "--path"),
    (["sync", "--path", ""], "--path"),
    (["watch", "7", "--timeout", "-1"], "--timeout"),
])
def test_a_real_process_says_one_line_and_no_traceback(args: list[str], option: str,
                                                       tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("my notes\n")
    args = [{"FOLDER": str(tmp_path / "folder"), "NOTES": str(tmp_path / "notes.txt")}.get(a, a)
            for a in args]
    result = run_process(*args, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert option in result.stderr.strip().splitlines()[-1]
    assert "running at" not in result.stdout and "no ASTRIA_API_KEY" not in result.stdout
    probe("sandbox speed" if option == "--speed" else "commands")


# -- 8 (part). the panel's tune id --------------------------------------------------------

@pytest.mark.parametrize("tune_id", ["9" * 31, str(2**63), "0", "-1", "1e3", "x"])
def test_the_panels_tune_route_refuses_an_impossible_id_with_400(
        tune_id: str, client: Any, tmp_path: Path) -> None:
    from astria_widgets.server.errors import PanelInputError, status_for
    from astria_widgets.server.panel import AstriaPanel

    panel = AstriaPanel(tmp_path, client_factory=lambda: client)
    try:
        panel.refresh(force=True)  # the history store is open, as after the first page
        with pytest.raises(PanelInputError, match="tune id") as caught:
            panel.tune(tune_id)
        assert status_for(caught.value)[0] == 400
    finally:
        panel.close()
    probe("smaller")


def test_a_history_answers_none_for_an_id_it_cannot_hold(tmp_path: Path) -> None:
    from astria_widgets.history import TuneHistory

    with TuneHistory(tmp_path / "h.sqlite3") as history:
        for tune_id in (10**30, 2**63, -(2**70)):
            assert history.get(tune_id) is None
            assert tune_id not in history
            assert history.prompt_records(tune_id) == []
            probe("smaller")


# -- fuzz: every option of every command -----------------------------------------------------

def numbers() -> st.SearchStrategy[str]:
    """Text a user might type for a number: numbers of every size, specials, junk."""
    return st.one_of(
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["nan", "NaN", "inf", "-inf", "1e999", "", " ", "0", "-0", "0x10",
                         "1_000", "１２", "²", "1,5", "--", "-1"]),
        st.text(max_size=8),
    )


def texts() -> st.SearchStrategy[str]:
    """Free text: what a user might type or paste for a string option."""
    return st.one_of(st.text(max_size=12), st.sampled_from(["", " ", "\t", "a b", "-x", "--"]))


def relative_paths() -> st.SearchStrategy[str]:
    """Relative names inside the test's folder (no '/', '~' or '..': nothing outside it)."""
    safe = st.text(st.characters(blacklist_characters="/\\~", blacklist_categories=("Cs",)),
                   max_size=12).filter(lambda s: ".." not in s)
    return st.one_of(safe, st.sampled_from(["", ".", "folder", "notes.txt", "a\x00b"]))


def argv_of(options: dict[str, Any]) -> list[str]:
    argv: list[str] = []
    for flag, value in options.items():
        if value is True:
            argv.append(flag)
        elif value is not None and value is not False:
            argv += [flag, value] if not flag.startswith("<") else [value]
    return argv


FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def outcome(main: Callable[[list[str]], int], argv: list[str],
            capsys: pytest.CaptureFixture[str], allowed: set[int]) -> BaseException | None:
    """Run one fuzzed command line: a refusal must be one of ``allowed`` with a message, no
    exception may escape except the stand-ins'; returns the stand-in's exception if reached."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    except (WouldServe, WouldConnect) as reached:
        capsys.readouterr()
        return reached
    out, err = capsys.readouterr()
    assert code in allowed | {0}, (argv, code, err)
    assert "Traceback" not in err
    if code != 0:
        assert err.strip(), argv
    return None


@FUZZ
@given(port=st.one_of(st.none(), numbers()), speed=st.one_of(st.none(), numbers()),
       faults=st.one_of(st.none(), numbers()), seed=st.one_of(st.none(), numbers()),
       spread=st.one_of(st.none(), texts(), st.tuples(numbers(), numbers()).map(",".join)),
       host=st.one_of(st.none(), texts()), key=st.one_of(st.none(), texts()),
       data_dir=st.one_of(st.none(), relative_paths()), now=st.one_of(st.none(), texts()),
       flags=st.sets(st.sampled_from(["--allow-remote-callbacks", "--access-log"])))
def test_fuzz_sandbox_arguments(port: str | None, speed: str | None, faults: str | None,
                                seed: str | None, spread: str | None, host: str | None,
                                key: str | None, data_dir: str | None, now: str | None,
                                flags: set[str], no_serving: None, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    options = {"--port": port, "--speed": speed, "--faults": faults, "--seed-history": seed,
               "--duration-spread": spread, "--host": host, "--api-key": key,
               "--data-dir": data_dir, "--now": now, **{flag: True for flag in flags}}
    argv = argv_of(options)
    reached = outcome(sandbox_command.main, argv, capsys, {1, 2})
    if isinstance(reached, WouldServe):  # served only on the port asked, a real port
        asked = 0 if port is None else int(float(port))  # "80.0" is port 80
        assert reached.port == asked and 0 <= asked <= 65535, argv
        if speed is not None:
            assert math.isfinite(float(speed)) and float(speed) > 0, argv
    probe("commands")


@FUZZ
@given(path=st.one_of(st.none(), relative_paths()), prompts=st.booleans(), full=st.booleans())
def test_fuzz_sync_arguments(path: str | None, prompts: bool, full: bool, no_connecting: None,
                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir(exist_ok=True)
    (tmp_path / "notes.txt").write_text("my notes\n")
    argv = argv_of({"--path": path, "--prompts": prompts, "--full": full})
    reached = outcome(sync_command.main, argv, capsys, {1, 2})
    if reached is not None and path is not None:  # only a usable file gets to connecting
        assert path.strip() and "\x00" not in path and path != "notes.txt", argv
        assert not (tmp_path / path).is_dir(), argv
    assert (tmp_path / "notes.txt").read_text() == "my notes\n"
    probe("commands")


@FUZZ
@given(tune_id=st.one_of(st.integers(min_value=-(10**40), max_value=10**40).map(str),
                         numbers()),
       timeout=st.one_of(st.none(), numbers()))
def test_fuzz_watch_arguments(tune_id: str, timeout: str | None, no_connecting: None,
                              capsys: pytest.CaptureFixture[str]) -> None:
    argv = argv_of({"<tune_id>": tune_id, "--timeout": timeout})
    reached = outcome(watch_command.main, argv, capsys, {1, 2})
    if reached is not None:
        assert 1 <= int(tune_id) < 2**63, argv
        assert timeout is None or (math.isfinite(float(timeout)) and float(timeout) > 0), argv
    probe("commands")


@FUZZ
@given(expiring=st.booleans(), days=st.one_of(st.none(), numbers()),
       dest=st.one_of(st.none(), relative_paths()), zip_=st.booleans())
def test_fuzz_download_arguments(expiring: bool, days: str | None, dest: str | None,
                                 zip_: bool, no_connecting: None, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    argv = argv_of({"--expiring": expiring, "--days": days, "--dest": dest, "--zip": zip_})
    reached = outcome(download_command.main, argv, capsys, {1, 2})
    if reached is not None:
        assert days is None or (math.isfinite(float(days)) and float(days) > 0), argv
    probe("commands")

