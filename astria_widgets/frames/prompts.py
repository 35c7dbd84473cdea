"""``prompts_dataframe``: prompt records -> one typed row per prompt, newest first.

Columns and dtypes: :data:`astria_widgets.frames.schema.PROMPT_COLUMNS`. Derived columns:

- ``status``: the client's table (:data:`astria_widgets.client.status.PROMPT_STATUS_RULES`,
  the one definition :func:`~astria_widgets.client.status.prompt_status` applies too)
  evaluated over the columns -- ``done`` when ``images`` is truthy, else ``failed`` when
  ``user_error`` is truthy, else ``pending``;
- ``n_images`` (beside ``images``);
- ``generation_time`` = ``trained_at - started_training_at``, or ``trained_at - created_at``
  when the start is unknown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from astria_widgets.client.status import PROMPT_STATUS_RULES
from astria_widgets.frames.build import RawValues, build_frame
from astria_widgets.frames.schema import PROMPT_COLUMNS, PROMPT_SCHEMA
from astria_widgets.frames.sources import prompt_records
from astria_widgets.frames.status import status_codes
from astria_widgets.frames.times import naive_utc


def _prompt_columns(columns: dict[str, Any], raw: RawValues) -> dict[str, Any]:
    started = naive_utc(columns["started_training_at"])
    trained = naive_utc(columns["trained_at"])
    created = naive_utc(columns["created_at"])
    facts = {"images": raw.truthy("images"), "user_error": raw.truthy("user_error")}
    dtype = PROMPT_COLUMNS["status"]
    codes = status_codes(PROMPT_STATUS_RULES, facts, list(dtype.categories), len(trained))
    began = np.where(np.isnat(started), created, started)
    return {
        "status": pd.Categorical.from_codes(codes, dtype=dtype),
        "generation_time": trained - began,
    }


def prompts_dataframe(source: Any = None) -> pd.DataFrame:
    """Prompts as a typed DataFrame indexed by ``id``, newest first.

    ``source``: a list of prompt records, an ``AstriaClient`` (every prompt of the account,
    ``iter_prompts()``), a ``TuneHistory`` holding prompts, or None (``connect()``'s client).
    Never raises on odd records (see :mod:`astria_widgets.frames.schema`).
    """
    return build_frame(
        prompt_records(source), PROMPT_SCHEMA, _prompt_columns, keep=("images", "user_error"))
