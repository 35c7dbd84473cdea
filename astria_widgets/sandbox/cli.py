"""``astria-widgets sandbox`` / ``python -m astria_widgets.sandbox``: run a sandbox server.

Prints one line with the URL (``Astria sandbox running at http://HOST:PORT``), flushed at once
so a parent process can read it, then serves until Ctrl-C or SIGTERM. The API key is not
printed; it is in ``<data dir>/server.json`` while the server runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

HELP = "run a local Astria-compatible sandbox server (until Ctrl-C)"


def default_data_dir() -> Path:
    """``$ASTRIA_SANDBOX_DIR``, else ``~/.astria-widgets/sandbox``."""
    env = os.environ.get("ASTRIA_SANDBOX_DIR")
    return Path(env).expanduser() if env else Path.home() / ".astria-widgets" / "sandbox"


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser."""
    parser = argparse.ArgumentParser(prog="astria-widgets sandbox", description=HELP)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="state directory (default $ASTRIA_SANDBOX_DIR or "
                             "~/.astria-widgets/sandbox)")
    parser.add_argument("--api-key", default=None, help="the key to accept (default 'sandbox')")
    parser.add_argument("--speed", type=float, default=60.0,
                        help="times faster than the real service (default 60)")
    parser.add_argument("--seed-history", type=int, default=0, metavar="N",
                        help="add N realistic historical tunes to the default account")
    parser.add_argument("--faults", type=float, default=0.0, metavar="RATE",
                        help="random faults on this fraction of API requests (0..1)")
    parser.add_argument("--allow-remote-callbacks", action="store_true",
                        help="also POST callbacks to non-loopback addresses")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument("--duration-spread", type=_spread, default=(0.8, 1.2),
                        metavar="LOW,HIGH",
                        help="actual training durations are the eta's estimate times a factor "
                             "in this range (default 0.8,1.2; e.g. 0.3,3 to test waits)")
    return parser


def _spread(text: str) -> tuple[float, float]:
    """``"0.3,3"`` -> ``(0.3, 3.0)`` for ``--duration-spread``."""
    from .lifecycle import check_spread

    try:
        low, high = (float(v) for v in text.split(","))
        return check_spread((low, high))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected LOW,HIGH with 0 < LOW <= HIGH (e.g. 0.3,3), got {text!r}") from exc


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until interrupted; returns the exit status."""
    from .server import Sandbox

    args = build_parser().parse_args(argv)
    if not 0.0 <= args.faults <= 1.0:
        print("astria-widgets sandbox: --faults must be between 0 and 1", file=sys.stderr)
        return 2
    if args.speed <= 0:
        print("astria-widgets sandbox: --speed must be positive", file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sandbox = Sandbox(
        port=args.port, data_dir=args.data_dir or default_data_dir(), api_key=args.api_key,
        speed=args.speed, seed_history=args.seed_history, faults=args.faults, host=args.host,
        allow_remote_callbacks=args.allow_remote_callbacks, access_log=args.access_log,
        duration_spread=args.duration_spread,
    )
    try:
        sandbox.start()
    except OSError as exc:
        print(f"astria-widgets sandbox: cannot start: {exc}", file=sys.stderr)
        return 1
    print(f"Astria sandbox running at {sandbox.url}", flush=True)
    print(f"  data dir: {sandbox.data_dir} (key and URL in server.json); Ctrl-C stops it",
          flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        signal.signal(signal.SIGTERM, previous)
        print("Astria sandbox stopped", flush=True)
    return 0
