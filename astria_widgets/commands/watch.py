"""``astria-widgets watch TUNE_ID``: follow a tune's training with a tqdm bar.

The bar runs over the estimated duration (from ``eta``) and is a view of a
:class:`~astria_widgets.client.watch.TuneWatch` (the same watch model as the widgets; it waits
through ``client.wait_for_tune``). Exit status 0 when trained, 1 when failed or on error, 2 on a
bad argument (a tune id that is not a positive whole number, a timeout that is not a positive
number of seconds).
"""

from __future__ import annotations

import argparse
import sys

from astria_widgets.commands.arguments import positive_number, record_id

HELP = "follow a tune until it is trained or failed (tqdm progress bar)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="astria-widgets watch", description=HELP)
    parser.add_argument("tune_id", type=record_id, help="the tune to follow")
    parser.add_argument("--timeout", type=positive_number("a positive number of seconds"),
                        default=None,
                        help="give up after this many seconds (default: wait until done)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Follow a tune; 0 when trained, 1 when failed, timed out or on an API error."""
    args = _parser().parse_args(argv)
    from tqdm import tqdm

    from astria_widgets.client import AstriaError, TuneWatch, tune_status
    from astria_widgets.client.status import training_fraction
    from astria_widgets.connect import connect

    client = connect(quiet=False)
    bar = tqdm(total=100, unit="%", desc=f"tune {args.tune_id}", file=sys.stderr,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}")
    watch = TuneWatch(client, args.tune_id, prompts=False, timeout=args.timeout)

    def on_change(current: TuneWatch) -> None:
        record = current.tune
        if record is None:
            return
        now = client.transport.server_now()
        status = "stalled (3x past its estimate)" if current.stalled else tune_status(record, now)
        bar.n = int(100 * (training_fraction(record, now) or 0.0))
        bar.set_postfix_str(status)
        bar.refresh()

    watch.subscribe(on_change)
    try:
        with client, bar:  # closed on every way out (Ctrl-C too), before any message
            try:
                final = watch.start().wait()
            finally:
                watch.stop()
    except AstriaError as exc:
        print(f"astria-widgets watch: {exc}", file=sys.stderr)
        return 1
    status = tune_status(final)
    if status == "failed":
        print(f"tune {args.tune_id} failed: {final.get('error') or 'no reason given'}")
        return 1
    print(f"tune {args.tune_id} {status}: {final.get('title', '')}")
    return 0
