"""``tunes_dataframe``: tune records -> one typed row per tune, newest first.

Columns and dtypes: :data:`astria_widgets.frames.schema.TUNE_COLUMNS`. Derived columns:

- ``status``: the client's lifecycle table (:data:`astria_widgets.client.status.TUNE_STATUS_RULES`,
  the one definition :func:`~astria_widgets.client.status.tune_status` applies too) evaluated
  over the columns -- ``failed`` when ``error`` is truthy, else ``expired`` when trained and
  ``expires_at`` < ``now``, else ``trained`` / ``training`` / ``queued``;
- ``training_duration`` = ``trained_at - started_training_at``;
- ``queue_wait`` = ``started_training_at - created_at``;
- ``days_until_expiry`` = ``(expires_at - now)`` in days (negative once past);
- ``expired``: the tune's ``status`` is ``expired`` (trained and past ``expires_at``; a failed
  tune or one still training is not expired, whatever its ``expires_at``);
- ``expiring_soon``: the client's
  :data:`~astria_widgets.client.status.EXPIRING_SOON_RULES` (the table
  :func:`~astria_widgets.client.status.tune_expires_soon` applies) evaluated over the columns:
  trained, ``expires_at`` within ``EXPIRING_SOON_DAYS`` (7) of ``now``, no ``auto_extend``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from astria_widgets.client.status import (
    EXPIRING_SOON_DAYS,
    EXPIRING_SOON_RULES,
    SECONDS_PER_DAY,
    TUNE_STATUS_RULES,
)
from astria_widgets.frames.build import Derive, RawValues, build_frame
from astria_widgets.frames.schema import TUNE_COLUMNS, TUNE_SCHEMA
from astria_widgets.frames.sources import tune_records
from astria_widgets.frames.status import status_codes
from astria_widgets.frames.times import as_now, days, naive_utc


def _tune_columns(now: np.datetime64) -> Derive:
    def derive(columns: dict[str, Any], raw: RawValues) -> dict[str, Any]:
        started = naive_utc(columns["started_training_at"])
        trained = naive_utc(columns["trained_at"])
        created = naive_utc(columns["created_at"])
        expires = naive_utc(columns["expires_at"])
        past_expiry = ~np.isnat(expires) & (expires < now)
        facts = {  # the conditions of TUNE_STATUS_RULES, as columns
            "error": raw.truthy("error"),
            "trained": ~np.isnat(trained),
            "past_expiry": past_expiry,
            "started": ~np.isnat(started),
        }
        dtype = TUNE_COLUMNS["status"]
        states = list(dtype.categories)
        codes = status_codes(TUNE_STATUS_RULES, facts, states, len(trained))
        expiry = {  # the conditions of EXPIRING_SOON_RULES, as columns
            "trained": codes == states.index("trained"),
            "extended": raw.truthy("auto_extend"),
            "ends_within": expires - now <= np.timedelta64(
                EXPIRING_SOON_DAYS * SECONDS_PER_DAY, "s"),
        }
        soon = status_codes(EXPIRING_SOON_RULES, expiry, [False, True], len(trained)) == 1
        return {
            "status": pd.Categorical.from_codes(codes, dtype=dtype),
            "training_duration": trained - started,
            "queue_wait": started - created,
            "days_until_expiry": days(expires - now),
            "expired": codes == states.index("expired"),
            "expiring_soon": soon,
        }

    return derive


def tunes_dataframe(
    source: Any = None, *, now: _dt.datetime | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Tunes as a typed DataFrame indexed by ``id``, newest first.

    ``source``: a list of tune records (the JSON of ``GET /tunes``, any pages joined), an
    ``AstriaClient`` (every tune is fetched with ``iter_tunes()``), a ``TuneHistory`` (its
    stored tunes), or None (``connect()``'s client). ``now`` fixes the clock of the
    time-dependent columns (default: the current time, UTC).

    Never raises on odd records: missing, null, extra or wrongly typed fields are coerced or
    left missing; see :mod:`astria_widgets.frames.schema` for the columns and rules.
    """
    return build_frame(
        tune_records(source), TUNE_SCHEMA, _tune_columns(as_now(now)), keep=("error",))
