"""``astria-widgets download --expiring``: save the images of tunes about to be deleted.

A trained tune's model, training images and generated images are deleted at its
``expires_at`` (30 days after training, §5.6 of the API notes) unless ``auto_extend`` is on.
This command finds the tunes expiring within ``--days`` (default 7: the client's
``status.tune_expires_soon``), collects every prompt made with them (under the tune itself,
or under a base tune with ``<lora:ID:w>`` / ``<faceid:ID:w>`` in its text) and saves their
images through ``AstriaClient.download`` into ``--dest`` (one sub-folder per tune), or into one
zip per tune with ``--zip`` (an archive of ours already there is added to; any other file
in the way is refused and left as it is). Files already complete (or already in the archive)
are skipped and counted apart, so it can run every day and says what it saved.
Exit status 0 when everything was saved (or nothing expires), 1 on an API error or a failed
transfer, 2 on bad input: a usage error, a ``--dest`` that cannot be written (a file, under a
file, no permission), or a file in the way of one tune (the other tunes are still saved).
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from astria_widgets.commands.arguments import positive_number

HELP = "save the images of tunes expiring soon (--expiring [--days N] [--dest DIR] [--zip])"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="astria-widgets download", description=HELP)
    parser.add_argument("--expiring", action="store_true", required=True,
                        help="the prompts of tunes whose storage ends soon (required)")
    parser.add_argument("--days", type=positive_number("a positive number of days"),
                        default=None,
                        help="how soon counts as soon, in days (default 7)")
    parser.add_argument("--dest", default="astria-downloads",
                        help="folder to save into (default ./astria-downloads)")
    parser.add_argument("--zip", action="store_true", help="one zip archive per tune")
    return parser


def prompts_of_tune(prompts: Iterable[Mapping[str, Any]], tune_id: int) -> list[dict]:
    """The prompts made with tune ``tune_id``: under it, or referencing it in their text."""
    from astria_widgets.client.references import referenced_tune_ids

    return [dict(p) for p in prompts
            if p.get("tune_id") == tune_id or tune_id in referenced_tune_ids(
                str(p.get("text") or ""))]


_BAD_DEST_ERRORS = (PermissionError, NotADirectoryError, IsADirectoryError, FileExistsError)


def _is_dest_error(exc: OSError) -> bool:
    """True when writing failed because of where ``--dest`` points (bad input: exit 2)."""
    return isinstance(exc, _BAD_DEST_ERRORS) or exc.errno == errno.EROFS


def _fail(message: str, status: int) -> int:
    print(f"astria-widgets download: {message}", file=sys.stderr)
    return status


def _save(client: Any, prompts: list[dict], target: Path, zip: bool,
          counts: Any) -> None:
    """Save one tune's prompts: into a folder one prompt per request through the client's
    executor (at most ``client.concurrency`` at once, paused by 429s), into a zip in turn."""
    if zip:
        client.download(prompts, target, zip=True, counts=counts)
        return
    from astria_widgets.client.downloads import DownloadCounts

    def one(prompt: dict) -> DownloadCounts:
        got = DownloadCounts()
        client.download(prompt, target, progress=lambda *_: None, counts=got)
        return got

    results = client.run_all(one, prompts)
    for result in results:
        if isinstance(result, DownloadCounts):
            counts.saved += result.saved
            counts.present += result.present
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]


def main(argv: list[str] | None = None) -> int:
    """Save the images of the tunes expiring soon; 0 when done, 1 on an API error, 2 on bad
    input (options, ``--dest``, a file in the way)."""
    args = _parser().parse_args(argv)
    if args.days is not None and args.days <= 0:
        return _fail("--days must be positive", 2)
    if not args.dest.strip():
        return _fail("--dest: empty; give a folder to save into", 2)
    from astria_widgets.client import AstriaError, InputError
    from astria_widgets.client.downloads import DownloadCounts, archive_problem, folder_problem
    from astria_widgets.client.status import EXPIRING_SOON_DAYS, tune_expires_soon
    from astria_widgets.connect import connect

    days = EXPIRING_SOON_DAYS if args.days is None else args.days
    dest = Path(args.dest).expanduser()
    problem = folder_problem(dest, "--dest")  # before connecting: nothing made to find out
    if problem:
        return _fail(problem, 2)
    client = connect(quiet=False)
    counts, archives, refused = DownloadCounts(), 0, 0
    try:
        with client:
            now = client.transport.server_now()
            tunes = [t for t in client.iter_tunes()
                     if tune_expires_soon(t, now, within_days=days)]
            if not tunes:
                print(f"No tune expires within {days:g} days: nothing to save.")
                return 0
            prompts = list(client.iter_prompts())
            for tune in tunes:
                mine = [p for p in prompts_of_tune(prompts, int(tune["id"])) if p.get("images")]
                folder = dest / f"tune-{tune['id']}"
                target = folder.with_suffix(".zip") if args.zip else folder
                if mine:
                    # a file in the way (or a record the client refuses): this tune only
                    problem = (archive_problem if args.zip else folder_problem)(target, "--dest")
                    try:
                        if problem:
                            raise InputError(problem)
                        _save(client, mine, target, args.zip, counts)
                    except InputError as exc:
                        _fail(f"tune {tune['id']}: " + "; ".join(exc.problems), 2)
                        refused += 1
                        continue
                    archives += 1 if args.zip else 0
                print(f"tune {tune['id']} ({tune.get('title')}) expires "
                      f"{tune.get('expires_at')}: {len(mine)} prompt(s)"
                      + (f" -> {target}" if mine else ", nothing to save"))
    except AstriaError as exc:
        return _fail(str(exc), 1)
    except OSError as exc:
        if _is_dest_error(exc):
            where = f" ({exc.filename})" if exc.filename else ""
            return _fail(f"--dest {dest}: cannot write: {exc.strerror or exc}{where}", 2)
        return _fail(str(exc), 1)
    print(f"Saved files: {counts.saved}, already present: {counts.present}"
          + (f", in {archives} archive(s)" if args.zip else "") + f" under {dest}")
    return 2 if refused else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
