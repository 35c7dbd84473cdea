"""Durations and byte counts as the widgets show them: one style for every view.

``format_duration`` is used by the progress view and the browser; ``format_size`` (bytes) is
the imaging checks' own, re-exported here so widgets import both from one place and a file's
size reads the same in the picker's messages, the upload bar and the browser uploader.
"""

from __future__ import annotations

import datetime as dt

from astria_widgets.imaging.checks import format_size

__all__ = ["format_duration", "format_size"]


def format_duration(value: float | dt.timedelta) -> str:
    """Seconds (or a timedelta) as ``"42s"``, ``"1m 15s"``, ``"1h 02m"`` or ``"2d 04h"``.

    Negative values count as zero (a clock a little ahead of the server's is no duration).
    """
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"
