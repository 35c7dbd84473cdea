"""``astria-widgets check``: run the API contract suite and write a report you can send us.

Without ``ASTRIA_API_KEY`` it runs against a temporary sandbox of its own (nothing of the
default sandbox is touched). With the key it runs against the real API (``ASTRIA_BASE_URL``
or ``https://api.astria.ai``) and spends nothing: before it starts it says so, every create
is refused before sending unless it is free (``contract.suite.SPENDING_RULE``), and what it
created is deleted at the end. The report (``astria-contract-report.json`` and ``.txt`` in
``--out``, default the current folder) lists each check passed/failed with its time and every
response field that differs from the schema or from the docs' example answers; it holds no
key and no query string of any URL.

Exit status 0 when every check passed (against the sandbox also: no difference at all), 1 when
a check failed (or the sandbox differs), 2 on a bad option or a missing package.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from astria_widgets.commands.arguments import path_text, positive_number

HELP = "run the API contract suite (sandbox, or your account with ASTRIA_API_KEY); write a report"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="astria-widgets check", description=HELP)
    parser.add_argument("--out", type=path_text, default=".",
                        help="folder for astria-contract-report.json/.txt (default: here)")
    parser.add_argument("--timeout", type=positive_number("a positive number of seconds"),
                        default=None,
                        help="longest wait for a tune or prompts (default 120 s on the "
                             "sandbox, 1800 s on the real API)")
    parser.add_argument("--image-url", action="append", default=None, metavar="URL",
                        help="training image URL for the from-URLs check (repeatable; "
                             "default: the docs' example image)")
    parser.add_argument("--sandbox", action="store_true",
                        help="use a temporary sandbox even when ASTRIA_API_KEY is set")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the contract suite; see the module docstring for the exit statuses."""
    args = _parser().parse_args(argv)
    try:
        from astria_widgets.contract.suite import DOCS_IMAGE_URLS, SPENDING_RULE, run_contract
    except ImportError as exc:
        print(f"astria-widgets check: {exc}. Install it with: pip install 'astria-widgets' "
              "(or pip install 'jsonschema>=4.18' 'fastjsonschema>=2.16')", file=sys.stderr)
        return 2
    for url in args.image_url or ():
        if not url.startswith(("https://", "http://")):
            print(f"astria-widgets check: argument --image-url: must be an http(s) URL, "
                  f"not {url!r}", file=sys.stderr)
            return 2
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"astria-widgets check: argument --out: {out} is a file, not a folder",
              file=sys.stderr)
        return 2
    image_urls = tuple(args.image_url or DOCS_IMAGE_URLS)
    key = None if args.sandbox else os.environ.get("ASTRIA_API_KEY")

    def log(line: str) -> None:
        print(f"  {line}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="astria-contract-") as work:
        if key:
            from astria_widgets.client import AstriaClient

            client = AstriaClient(api_key=key)
            print(f"Checking {client.base_url} with your key (ASTRIA_API_KEY).\n"
                  f"This run spends nothing: {SPENDING_RULE}", file=sys.stderr)
            with client:
                report = run_contract(client, workdir=work, image_urls=image_urls,
                                      timeout=args.timeout, log=log)
        else:
            from astria_widgets.connect import temporary_sandbox

            print("Checking a temporary sandbox (no ASTRIA_API_KEY set; simulated, free).",
                  file=sys.stderr)
            with temporary_sandbox() as client:
                report = run_contract(client, workdir=work, image_urls=image_urls,
                                      timeout=args.timeout, log=log)
    try:
        json_path, text_path = report.write(out, secret=key)
    except OSError as exc:
        print(f"astria-widgets check: cannot write the report into {out}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        print(report.text(secret=key))
        return 2
    print(report.text(secret=key), end="")
    print(f"report: {json_path} and {text_path}")
    differs = report.target == "sandbox" and bool(report.schema_differences
                                                   or report.snapshot_differences)
    return 0 if report.passed and not differs else 1
