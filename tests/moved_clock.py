"""Run pytest with the process clock moved to another date (``time-machine``).

    python tests/moved_clock.py --at 2028-02-29T23:59:00Z -- tests/sandbox -q
    python tests/moved_clock.py --at 2026-12-31T23:59Z --at 2027-06-15T12:00Z -- tests/frames

Each ``--at`` runs pytest once, in a child process of its own, with
``time_machine.travel(AT, tick=True)`` started before pytest is even imported: ``time.time``,
``datetime.now`` and friends start at AT and tick on in real time, while ``time.monotonic``,
``time.sleep`` and thread waits are untouched (libfaketime, which moves those too, breaks
sleeps and threads here). The suite must pass on any date, so it must pass under these.

Processes the tests start (the CLI, kernels, JupyterLab) do not inherit the moved clock; the
sandbox of the ``sandbox`` fixture runs in-process, so it does. Exit status: 0 when every run
passed, else the first failing run's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import datetime, timezone


def instant(text: str) -> datetime:
    """An ISO 8601 date-time; UTC unless it names an offset."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def run_moved(at: datetime, pytest_args: list[str]) -> int:
    """pytest in this process with the clock travelled to ``at`` (ticking); its exit code."""
    import time_machine

    with time_machine.travel(at, tick=True):
        import pytest

        print(f"moved clock: {datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} UTC", flush=True)
        # time-machine is imported before pytest, so pytest cannot rewrite its plugin (unused)
        quiet = ("ignore:Module already imported so cannot be rewritten; time_machine:"
                 "pytest.PytestAssertRewriteWarning")
        return int(pytest.main(["-p", "no:time_machine", "-W", quiet, *pytest_args]))


def main(argv: list[str] | None = None) -> int:
    """Parse ``--at WHEN ... -- PYTEST ARGS`` and run pytest once per date."""
    argv = sys.argv[1:] if argv is None else argv
    ours, pytest_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) \
        if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(prog="python tests/moved_clock.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--at", type=instant, action="append", required=True,
                        help="the date-time to move the clock to (repeatable)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(ours)
    if args.child:
        return run_moved(args.at[0], pytest_args)
    status = 0
    for at in args.at:  # a fresh interpreter per date: nothing carries over between runs
        child = [sys.executable, __file__, "--child", "--at", at.isoformat(), "--", *pytest_args]
        code = subprocess.call(child)
        print(f"moved clock {at:%Y-%m-%dT%H:%MZ}: pytest exit {code}", flush=True)
        status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main())
