"""argparse ``type=`` functions for the commands' arguments, written once.

Each turns what was typed into a value or raises ``argparse.ArgumentTypeError`` saying what
was expected and quoting what was typed, so argparse prints one line naming the option
(``argument --timeout: must be a positive number of seconds, not '-1'``) and exits with status
2, before anything connects. What makes a usable history file is decided by
``astria_widgets.history`` when the file is opened; the ``sandbox`` command's options follow the
sandbox's own rules (``astria_widgets/sandbox/options.py``).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import textwrap
from collections.abc import Callable


def _refuse(what: str, text: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"must be {what}, not {text!r}")


def positive_number(what: str = "a positive number") -> Callable[[str], float]:
    """A ``type=`` for a finite number > 0 (``watch --timeout``, ``download --days``);
    ``what`` names it in the message ("a positive number of seconds")."""

    def convert(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            raise _refuse(what, text) from None
        if not math.isfinite(number) or number <= 0:
            raise _refuse(what, text)
        return number

    convert.__name__ = "positive number"  # argparse names the type in its own messages
    return convert


def record_id(text: str) -> int:
    """A ``type=`` for a tune or prompt id: a whole number from 1 to ``history.MAX_ID``."""
    from astria_widgets.history import MAX_ID

    what = f"an id (a whole number from 1 to {MAX_ID})"
    stripped = text.strip()
    if not re.fullmatch(r"\+?[0-9]+", stripped):  # ASCII digits: what the API's ids are
        raise _refuse(what, text)
    number = int(stripped)
    if not 1 <= number <= MAX_ID:
        raise _refuse(what, text)
    return number


def path_text(text: str) -> str:
    """A ``type=`` for a file or folder path as typed: not empty, no NUL character, a name the
    file system can encode (what the path points at is checked where it is used)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a path, not empty")
    try:
        if "\x00" in text:
            raise ValueError
        os.fsencode(text)
    except ValueError:
        raise _refuse("a usable path", text) from None
    return text


class PathFormatter(argparse.HelpFormatter):
    """Help text wrapped at spaces only, so a path shown in it stays whole (argparse would
    break ``/tmp/my-folder`` after the hyphen)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False,
                             break_long_words=False)
