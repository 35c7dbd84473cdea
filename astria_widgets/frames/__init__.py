"""Pure functions: API records -> typed pandas DataFrames.

``spend_dataframe(source)`` is one row per charge (training, image, video) with its cost, and
``spend_per_day`` / ``spend_per_tune`` / ``spend_per_model`` group it (see :mod:`.spend`).

``tunes_dataframe(source)`` and ``prompts_dataframe(source)`` return one row per record,
indexed by ``id``, newest first, with the columns and dtypes of :data:`TUNE_COLUMNS` /
:data:`PROMPT_COLUMNS` (then nested and extra fields). See :mod:`.schema` for the rules.

Rows: one per record, whatever it holds. The index is the record's ``id`` coerced to an
integer (``"12"`` -> 12); a record without a usable id keeps its row with ``<NA>`` and comes
after all others; duplicate ids stay separate rows. Nothing here raises on odd records.
"""

from astria_widgets.frames.prompts import prompts_dataframe
from astria_widgets.frames.schema import (
    PROMPT_COLUMNS,
    PROMPT_SCHEMA,
    PROMPT_STATUSES,
    TUNE_COLUMNS,
    TUNE_SCHEMA,
    TUNE_STATUSES,
    Column,
)
from astria_widgets.frames.spend import (
    SPEND_COLUMNS,
    spend_dataframe,
    spend_per,
    spend_per_day,
    spend_per_model,
    spend_per_tune,
    usd_text,
)
from astria_widgets.frames.tunes import tunes_dataframe

__all__ = [
    "PROMPT_COLUMNS",
    "PROMPT_SCHEMA",
    "PROMPT_STATUSES",
    "SPEND_COLUMNS",
    "TUNE_COLUMNS",
    "TUNE_SCHEMA",
    "TUNE_STATUSES",
    "Column",
    "prompts_dataframe",
    "spend_dataframe",
    "spend_per",
    "spend_per_day",
    "spend_per_model",
    "spend_per_tune",
    "tunes_dataframe",
    "usd_text",
]
