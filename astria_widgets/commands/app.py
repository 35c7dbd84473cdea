"""``astria-widgets app``: the form, the studio and the browser as one page, served by Voilà.

For people who never open a notebook. Voilà (the optional extra ``astria-widgets[app]``)
serves the notebook shipped in the package (``astria_widgets/app/astria_app.ipynb``), which
shows an :class:`~astria_widgets.widgets.app.AstriaApp`: the tune form, the prompt studio and
the tune browser as tabs. Each page (each browser tab) gets a kernel of its own.

With ``ASTRIA_API_KEY`` set, the page uses the real API; the key reaches the kernels through
the environment only, never a command line or the notebook. Without it, the page uses the
default sandbox (``$ASTRIA_SANDBOX_DIR``, else ``~/.astria-widgets/sandbox``): one already
running there is reused, else the command starts it as a process of its own (so closing a page
cannot stop it) and stops it on the way out. Downloads made in the page land in the folder the
command was started in. Ctrl-C (or SIGTERM) stops Voilà, which shuts its kernels down.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

HELP = "serve the tune form, the studio and the browser as one web page (through Voila)"
INSTALL_HINT = "pip install 'astria-widgets[app]'"
DEFAULT_PORT = 8866  # Voilà's own default
APP_NOTEBOOK = Path(__file__).resolve().parents[1] / "app" / "astria_app.ipynb"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="astria-widgets app", description=HELP)
    parser.add_argument("--port", type=_port, default=None, metavar="N",
                        help=f"serve on this port of 127.0.0.1 (default {DEFAULT_PORT}, or a "
                             "free one near it when taken)")
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open a browser (the URL is printed)")
    return parser


def _port(text: str) -> int:
    """``--port``: an integer from 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}")
    return port


def voila_installed() -> bool:
    """True when Voilà can be imported in this environment (found, not imported)."""
    try:
        return importlib.util.find_spec("voila") is not None
    except (ImportError, ValueError):  # e.g. sys.modules["voila"] is None
        return False


def voila_command(notebook: Path, port: int | None, *, open_browser: bool) -> list[str]:
    """The ``python -m voila`` command line serving ``notebook`` on 127.0.0.1."""
    cmd = [sys.executable, "-m", "voila", str(notebook), "--Voila.ip=127.0.0.1",
           "--theme=light"]
    if port is None:
        cmd.append(f"--port={DEFAULT_PORT}")
    else:  # a port the user asked for is that port or an error, never another one
        cmd += [f"--port={port}", "--Voila.port_retries=0"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def _stop(process: subprocess.Popen[bytes] | None, grace: float) -> None:
    """SIGTERM ``process``, SIGKILL it after ``grace`` seconds, and reap it."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    """Serve the page until Ctrl-C or SIGTERM; Voilà's exit status (1 when it cannot start)."""
    args = _parser().parse_args(argv)
    if not voila_installed():
        print("astria-widgets app: Voila is not installed in this environment; install it "
              f"with\n  {INSTALL_HINT}", file=sys.stderr)
        return 1
    from astria_widgets.connect import running_sandbox_url, sandbox_dir, start_sandbox_process

    env = dict(os.environ)
    env["ASTRIA_APP_DIR"] = os.getcwd()  # the page's downloads land here
    sandbox: subprocess.Popen[bytes] | None = None
    voila: subprocess.Popen[bytes] | None = None
    stopped_by = [signal.SIGINT]

    def interrupt(number: int, frame: object) -> None:  # SIGTERM/SIGHUP end it like Ctrl-C
        stopped_by[0] = number
        raise KeyboardInterrupt

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            previous[number] = signal.signal(number, interrupt)
    try:
        if env.get("ASTRIA_API_KEY"):
            print("astria-widgets app: ASTRIA_API_KEY is set: the page uses the Astria API "
                  "(tunes and prompts are billed)", file=sys.stderr)
        else:
            directory = sandbox_dir()
            env["ASTRIA_SANDBOX_DIR"] = str(directory)
            url = running_sandbox_url(directory)
            if url is not None:
                how = "reusing the local sandbox"
            else:
                started = start_sandbox_process(directory)
                sandbox, url = started.process, started.url
                how = "started the local sandbox"
            print(f"astria-widgets app: no ASTRIA_API_KEY set, {how} at {url} (simulated, "
                  f"free; data in {directory})", file=sys.stderr)
        voila = subprocess.Popen(
            voila_command(APP_NOTEBOOK, args.port, open_browser=not args.no_browser),
            env=env, stdin=subprocess.DEVNULL, start_new_session=True)
        print("astria-widgets app: starting Voila (its URL follows); Ctrl-C stops it",
              file=sys.stderr)
        return voila.wait()
    except KeyboardInterrupt:
        return 128 + int(stopped_by[0])  # 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP
    except (OSError, RuntimeError) as exc:
        print(f"astria-widgets app: cannot start: {exc}", file=sys.stderr)
        return 1
    finally:
        ctrl_c = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a 2nd Ctrl-C: still clean up
        try:
            _stop(voila, 30)  # Voilà shuts its kernels down on SIGTERM
            if sandbox is not None:
                print("astria-widgets app: stopping the sandbox started here", file=sys.stderr)
                _stop(sandbox, 15)
        finally:
            signal.signal(signal.SIGINT, ctrl_c)
            for number, handler in previous.items():
                signal.signal(number, handler)
