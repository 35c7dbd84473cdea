"""``prompts_dataframe``: prompt records -> one typed row per prompt, newest first.

Columns and dtypes: :data:`astria_widgets.frames.schema.PROMPT_COLUMNS`. Derived columns:

- ``status``: the client's rule (:func:`astria_widgets.client.status.prompt_status`),
  vectorised -- ``done`` when ``images`` is truthy, else ``failed`` when ``user_error`` is
  truthy, else ``pending``;
- ``n_images`` (beside ``images``);
- ``generation_time`` = ``trained_at - started_training_at``, or ``trained_at - created_at``
  when the start is unknown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from astria_widgets.frames.build import RawValues, build_frame
from astria_widgets.frames.schema import PROMPT_COLUMNS, PROMPT_SCHEMA
from astria_widgets.frames.sources import prompt_records
from astria_widgets.frames.times import naive_utc

_PENDING, _DONE, _FAILED = range(3)


def _prompt_columns(columns: dict[str, Any], raw: RawValues) -> dict[str, Any]:
    started = naive_utc(columns["started_training_at"])
    trained = naive_utc(columns["trained_at"])
    created = naive_utc(columns["created_at"])
    codes = np.zeros(len(trained), dtype=np.int8)
    codes[raw.truthy("user_error")] = _FAILED
    codes[raw.truthy("images")] = _DONE
    began = np.where(np.isnat(started), created, started)
    return {
        "status": pd.Categorical.from_codes(codes, dtype=PROMPT_COLUMNS["status"]),
        "generation_time": trained - began,
    }


def prompts_dataframe(source: Any = None) -> pd.DataFrame:
    """Prompts as a typed DataFrame indexed by ``id``, newest first.

    ``source``: a list of prompt records, an ``AstriaClient`` (every prompt of the account,
    ``iter_prompts()``), a ``TuneHistory`` holding prompts, or None (``connect()``'s client).
    Never raises on odd records (see :mod:`astria_widgets.frames.schema`).
    """
    return build_frame(prompt_records(source), PROMPT_SCHEMA, _prompt_columns)
