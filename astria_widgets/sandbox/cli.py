"""``astria-widgets sandbox`` / ``python -m astria_widgets.sandbox``: run a sandbox server.

Prints one line with the URL (``Astria sandbox running at http://HOST:PORT``), flushed at once
so a parent process can read it, then serves until Ctrl-C or SIGTERM. The API key is not
printed; it is in ``<data dir>/server.json`` while the server runs. A new data dir starts with
the documented history (``DEFAULT_HISTORY`` tunes, see ``history_to_seed``), an existing one as
it was; ``--seed-history 0`` starts a new one empty.

Every option is checked by the rule of its setting in ``options`` (the same rules as
``Sandbox(...)``): a bad value exits with status 2 and one line naming the option; a sandbox
that cannot start (port in use, host not available here, a data folder it cannot use) exits
with status 1 and one line saying why.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

from .options import argument, check, pair, whole

HELP = "run a local Astria-compatible sandbox server (until Ctrl-C)"
DEFAULT_HISTORY = 300  # the default sandbox's documented history: 300 tunes over the past year


def default_data_dir() -> Path:
    """``$ASTRIA_SANDBOX_DIR``, else ``~/.astria-widgets/sandbox``."""
    env = os.environ.get("ASTRIA_SANDBOX_DIR")
    return Path(env).expanduser() if env else Path.home() / ".astria-widgets" / "sandbox"


def history_to_seed(data_dir: str | os.PathLike[str], requested: int | None = None) -> int:
    """How many historical tunes a default sandbox on ``data_dir`` seeds at its start.

    ``requested`` None (the default): ``DEFAULT_HISTORY`` when the folder is new (no sandbox
    database in it yet), else 0: an existing folder is never re-seeded. A number is used as
    given (0: no seeding; N: top the account up to N tunes, as ``Sandbox(seed_history=N)``).
    """
    if requested is not None:
        return check("seed_history", requested)  # ValueError naming seed_history if bad
    from .state import DB_NAME

    try:
        new = not (Path(data_dir).expanduser() / DB_NAME).exists()
    except (OSError, ValueError):  # cannot look inside: never seed what may hold data
        new = False
    return DEFAULT_HISTORY if new else 0


def start_time(text: str) -> datetime:
    """``--now``: an ISO 8601 date or date-time (UTC unless it names an offset)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date-time, e.g. 2025-06-15T12:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser."""
    parser = argparse.ArgumentParser(prog="astria-widgets sandbox", description=HELP)
    parser.add_argument("--host", type=argument("host", str), default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; 0.0.0.0: every interface)")
    parser.add_argument("--port", type=argument("port", whole), default=0,
                        help="port, 0 to 65535 (default 0: any free port)")
    parser.add_argument("--data-dir", type=argument("data_dir", str), default=None,
                        help="state directory (default $ASTRIA_SANDBOX_DIR or "
                             "~/.astria-widgets/sandbox)")
    parser.add_argument("--api-key", type=argument("api_key", str), default=None,
                        help="the key to accept (default 'sandbox')")
    parser.add_argument("--speed", type=argument("speed"), default=60.0,
                        help="times faster than the real service (default 60)")
    parser.add_argument("--seed-history", type=argument("seed_history", whole), default=None,
                        metavar="N",
                        help=f"top the default account up to N realistic historical tunes "
                             f"(default: {DEFAULT_HISTORY} when the data dir is new, none in "
                             f"an existing one; 0: no seeding)")
    parser.add_argument("--faults", type=argument("faults"), default=0.0, metavar="RATE",
                        help="random faults on this fraction of API requests (0..1)")
    parser.add_argument("--latency", type=argument("latency"), default=0.0, metavar="SECONDS",
                        help="wait this long before every answer, as a far service would "
                             "(default 0; e.g. 0.3, the order of the real service)")
    parser.add_argument("--allow-remote-callbacks", action="store_true",
                        help="also POST callbacks to non-loopback addresses")
    parser.add_argument("--now", type=argument("now", start_time), default=None, metavar="ISO",
                        help="start the sandbox's clock at this UTC date-time (it ticks on "
                             "in real time), e.g. 2025-06-15T12:00:00Z; default: the real time")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument("--duration-spread", type=argument("duration_spread", pair),
                        default=(0.8, 1.2), metavar="LOW,HIGH",
                        help="actual training durations are the eta's estimate times a factor "
                             "in this range (default 0.8,1.2; e.g. 0.3,3 to test waits)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until interrupted; returns the exit status."""
    from .server import Sandbox

    args = build_parser().parse_args(argv)
    data_dir = Path(args.data_dir) if args.data_dir is not None else default_data_dir()
    try:
        sandbox = Sandbox(
            port=args.port, data_dir=data_dir, api_key=args.api_key, speed=args.speed,
            seed_history=history_to_seed(data_dir, args.seed_history), faults=args.faults,
            host=args.host,
            allow_remote_callbacks=args.allow_remote_callbacks, access_log=args.access_log,
            now=args.now, duration_spread=args.duration_spread, latency=args.latency,
        )
    except ValueError as exc:  # the options were checked: a guard, never a traceback
        print(f"astria-widgets sandbox: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
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
            print("Astria sandbox stopped", flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
