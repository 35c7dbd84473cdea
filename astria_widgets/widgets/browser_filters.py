"""Vectorised filtering and paging of a tunes DataFrame, for the TuneBrowser.

Pure pandas, no widgets: every filter is one boolean mask over whole columns, so a history of
tens of thousands of tunes filters in milliseconds and only one page is ever rendered.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from astria_widgets.client.prompt_params import read_bool
from astria_widgets.client.status import TUNE_STATUSES  # every value of the status column
from astria_widgets.frames.coerce import as_int

FILTER_COLUMNS: tuple[str, ...] = ("status", "branch", "name", "created_at", "title")
"""Columns the filters read; a frame lacking one gets it as an all-missing column."""

Choice = str | tuple[str, ...] | None
"""A categorical filter: ``None`` (any), one value, or a tuple of accepted values."""


@dataclass(frozen=True)
class TuneFilter:
    """The browser's filter state; ``None`` everywhere means "every tune".

    ``since``/``until`` bound ``created_at`` (UTC). A date-only ``until`` includes that whole day.
    ``search`` matches titles case-insensitively as plain text, and a number also matches the id.
    ``expiring_soon`` keeps the tunes of the frame's ``expiring_soon`` column (trained, storage
    ending within 7 days: the client's ``tune_expires_soon``).
    """

    status: Choice = None
    branch: Choice = None
    name: Choice = None
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None
    search: str = ""
    expiring_soon: bool = False

    def updated(self, **changes: Any) -> TuneFilter:
        """A copy with the given filters normalised and replaced (``None`` clears one)."""
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "status":
                clean[key] = normalise_choice(value, key, allowed=TUNE_STATUSES)
            elif key in ("branch", "name"):
                clean[key] = normalise_choice(value, key)
            elif key == "since":
                clean[key] = to_utc_bound(value, end_of_day=False)
            elif key == "until":
                clean[key] = to_utc_bound(value, end_of_day=True)
            elif key == "search":
                clean[key] = "" if value is None else str(value).strip()
            elif key == "expiring_soon":
                try:  # the one yes/no rule: "no" is False, "maybe" is refused by name
                    clean[key] = False if value is None else read_bool(value)
                except ValueError as exc:
                    raise ValueError(f"expiring_soon: {exc}") from None
            else:
                raise TypeError(f"unknown filter {key!r}; use one of {sorted(FILTERS)}")
        since, until = clean.get("since", self.since), clean.get("until", self.until)
        if since is not None and until is not None and since > until:
            raise ValueError(f"since ({since:%Y-%m-%d %H:%M}) is after "
                             f"until ({until:%Y-%m-%d %H:%M})")
        return replace(self, **clean)

    @property
    def active(self) -> bool:
        """True when any filter narrows the history."""
        return self != TuneFilter()


FILTERS: frozenset[str] = frozenset(("status", "branch", "name", "since", "until", "search",
                                     "expiring_soon"))


def normalise_choice(value: Any, label: str, allowed: Iterable[str] | None = None) -> Choice:
    """``None``/``""``/empty -> ``None``; a string -> itself; an iterable -> a sorted tuple.

    With ``allowed``, an unknown value raises ``ValueError`` naming the valid ones.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    values = tuple(str(v).strip() for v in values if v is not None and str(v).strip())
    if not values:
        return None
    if allowed is not None:
        allowed = tuple(allowed)
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"unknown {label} {', '.join(map(repr, unknown))}; "
                             f"use one of {', '.join(allowed)}")
    if len(values) == 1:
        return values[0]
    return tuple(sorted(set(values)))


def to_utc_bound(value: Any, *, end_of_day: bool) -> pd.Timestamp | None:
    """A date, datetime, string or Timestamp as a tz-aware UTC bound (``None`` stays ``None``).

    Naive datetimes are taken as UTC. With ``end_of_day``, a date-only value (a ``date``, or a
    string without a time) becomes the last instant of that day, so ``until`` is inclusive.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    date_only = (isinstance(value, dt.date) and not isinstance(value, dt.datetime)) or (
        isinstance(value, str) and len(value.strip()) <= 10
    )
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a date or time: {value!r}") from exc
    if pd.isna(stamp):
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if date_only and end_of_day:
        stamp = stamp.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return stamp


def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame newest first (``created_at``, then id, descending), with every filter column."""
    missing = [c for c in FILTER_COLUMNS if c not in frame.columns]
    if missing:
        frame = frame.assign(**{c: pd.Series(pd.NA, index=frame.index, dtype="object")
                                for c in missing})
    if "created_at" in missing or frame["created_at"].dtype == object:
        frame = frame.assign(created_at=pd.to_datetime(frame["created_at"], utc=True,
                                                       errors="coerce"))
    frame = frame.sort_index(ascending=False, kind="stable")
    return frame.sort_values("created_at", ascending=False, kind="stable", na_position="last")


def _choice_mask(column: pd.Series, choice: Choice) -> np.ndarray:
    values = [choice] if isinstance(choice, str) else list(choice or ())
    return column.astype("object").isin(values).to_numpy(dtype=bool)


def filter_mask(frame: pd.DataFrame, flt: TuneFilter) -> np.ndarray:
    """A boolean array: which rows of a :func:`prepare_frame` frame pass ``flt``."""
    mask = np.ones(len(frame), dtype=bool)
    for key in ("status", "branch", "name"):
        choice = getattr(flt, key)
        if choice is not None:
            mask &= _choice_mask(frame[key], choice)
    created = frame["created_at"]
    if flt.since is not None:
        mask &= (created >= flt.since).fillna(False).to_numpy(dtype=bool)
    if flt.until is not None:
        mask &= (created <= flt.until).fillna(False).to_numpy(dtype=bool)
    if flt.search:
        titles = frame["title"].astype("string")
        hit = titles.str.contains(flt.search, case=False, regex=False, na=False)
        hit = hit.to_numpy(dtype=bool)
        wanted = as_int(flt.search.lstrip("#"))  # decimal digits in the id range, else None
        if wanted is not None:
            ids = pd.to_numeric(pd.Series(frame.index), errors="coerce")
            hit |= (ids == wanted).fillna(False).to_numpy(dtype=bool)
        mask &= hit
    if flt.expiring_soon:
        if "expiring_soon" in frame.columns:
            mask &= frame["expiring_soon"].fillna(False).to_numpy(dtype=bool)
        else:
            mask[:] = False
    return mask


def apply_filter(frame: pd.DataFrame, flt: TuneFilter) -> pd.DataFrame:
    """The rows of a :func:`prepare_frame` frame that pass ``flt``, in the frame's order."""
    if not flt.active:
        return frame
    return frame[filter_mask(frame, flt)]


def page_count(n_rows: int, page_size: int) -> int:
    """Number of pages for ``n_rows`` rows (at least 1, so an empty result is "page 1 of 1")."""
    return max(1, math.ceil(n_rows / page_size))


def page_slice(frame: pd.DataFrame, page: int, page_size: int) -> pd.DataFrame:
    """Rows of the 1-based ``page``."""
    start = (page - 1) * page_size
    return frame.iloc[start:start + page_size]


def choice_counts(frame: pd.DataFrame, column: str) -> list[tuple[str, int]]:
    """``(value, count)`` for every non-missing value of ``column``; statuses in lifecycle order."""
    if column not in frame.columns or frame.empty:
        return []
    counts = frame[column].dropna().astype("object").astype(str).value_counts()
    if column == "status":
        return [(s, int(counts[s])) for s in TUNE_STATUSES if s in counts.index]
    return sorted(((str(k), int(v)) for k, v in counts.items() if str(k)),
                  key=lambda kv: kv[0].lower())
