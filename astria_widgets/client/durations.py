"""Durations as people read them: the one duration formatter of the package (pure).

The progress view, the browser, the panel's server (its "time left", which the panel's front
end shows as it is sent) and the commands format a duration with :func:`format_duration`.
"""

from __future__ import annotations

import datetime as dt


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
