"""Small vectorised time helpers for the derived columns."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd


def naive_utc(array: Any) -> np.ndarray:
    """A ``datetime64[us, UTC]`` array as a plain numpy ``datetime64[us]`` array (UTC)."""
    return np.asarray(array.tz_convert(None), dtype="datetime64[us]")


def as_now(now: _dt.datetime | pd.Timestamp | None) -> np.datetime64:
    """``now`` (default: the current time; naive means UTC) as ``datetime64[us]`` in UTC."""
    stamp = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return np.datetime64(stamp.tz_convert("UTC").tz_localize(None).as_unit("us"), "us")


def days(delta: np.ndarray) -> Any:
    """A ``timedelta64`` array in days, as nullable ``Float64`` (NaT -> <NA>)."""
    values = delta / np.timedelta64(1, "D")
    return pd.array(values, dtype="Float64")
