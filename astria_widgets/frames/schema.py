"""Column order and dtypes of the DataFrames, one table per API object.

Each table lists, in the order the columns appear, every documented field of the object
(``docs/astria-api`` §3.1 tunes, §3.2 prompts, plus the sandbox extensions ``error`` and
``user_error``), the count columns placed beside list fields, and the derived columns. The
frame's index is ``id`` (nullable ``Int64``) and is not listed.

A frame always starts with exactly these columns, in this order, with these dtypes, whatever
the records hold -- an empty list of records gives an empty frame with the same schema. After
them come, in sorted order, the columns that depend on the data:

- ``<field>.<key>`` for every key of a nested object (``args``, ``characteristics``, a
  prompt's ``tune``), flattened recursively (``args.a.b``);
- every field the records carry beyond the documented ones, with an inferred dtype
  (``boolean``, ``Int64``, ``Float64``, ``string`` or ``object``); a dict-valued extra field
  is flattened the same way. An extra field whose name is taken by a schema column (say a
  ``status`` key in a tune) is kept as ``<name>_raw``.

Kinds (how a raw JSON value is coerced; a value that cannot be coerced becomes missing, never
an error):

==========  ======================  =====================================================
kind        dtype                   coercion
==========  ======================  =====================================================
int         ``Int64``               ints; integral floats; digit strings ("12")
float       ``Float64``             ints, floats, numeric strings
bool        ``boolean``             bools; "true"/"false"/"1"/"0"; 0 and 1
datetime    ``datetime64[us, UTC]`` ISO-8601 strings (garbage -> NaT), datetime objects
text        ``string``              strings; other JSON values as compact JSON text
                                    (python storage, whether or not pyarrow is installed)
category    ``category``            like text, categories inferred from the data
list        ``object``              lists kept as lists; anything else -> None
nested      ``string``              dicts (or JSON-object strings, as the official CLI
                                    sends ``characteristics``) flattened into
                                    ``<field>.<key>`` columns; any other value kept as
                                    text in the ``<field>`` column
count       ``Int64``               length of the list field named in ``source``
derived     (per column)            computed from other columns (see tunes.py/prompts.py)
==========  ======================  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd

from astria_widgets.client.status import PROMPT_STATUSES, TUNE_STATUSES

INT = "Int64"
FLOAT = "Float64"
BOOL = "boolean"
DATETIME = pd.DatetimeTZDtype(unit="us", tz="UTC")
TIMEDELTA = "timedelta64[us]"
TEXT = pd.StringDtype("python")  # fixed storage: the same dtype with or without pyarrow
CATEGORY = "category"
OBJECT = "object"

_DTYPE_OF_KIND: dict[str, Any] = {
    "int": INT,
    "float": FLOAT,
    "bool": BOOL,
    "datetime": DATETIME,
    "text": TEXT,
    "category": CATEGORY,
    "list": OBJECT,
    "nested": TEXT,
    "count": INT,
}


@dataclass(frozen=True)
class Column:
    """One column of a frame: its name, how it is filled (kind) and its dtype."""

    name: str
    kind: str
    dtype: Any = None
    source: str | None = None  # for "count": the list field counted

    def __post_init__(self) -> None:
        if self.dtype is None:
            object.__setattr__(self, "dtype", _DTYPE_OF_KIND[self.kind])

    @property
    def is_field(self) -> bool:
        """True when the column is read from a record field of the same name."""
        return self.kind not in ("count", "derived")


TUNE_SCHEMA: tuple[Column, ...] = (
    Column("title", "text"),
    Column("name", "category"),
    Column("token", "text"),
    Column("base_tune_id", "int"),
    Column("args", "nested"),
    Column("characteristics", "nested"),
    Column("steps", "int"),
    Column("face_crop", "bool"),
    Column("training_face_correct", "bool"),
    Column("ckpt_url", "text"),
    Column("ckpt_urls", "list"),
    Column("n_ckpt_urls", "count", source="ckpt_urls"),
    Column("eta", "datetime"),
    Column("started_training_at", "datetime"),
    Column("trained_at", "datetime"),
    Column("expires_at", "datetime"),
    Column("created_at", "datetime"),
    Column("updated_at", "datetime"),
    Column("branch", "category"),
    Column("model_type", "category"),
    Column("url", "text"),
    Column("orig_images", "list"),
    Column("n_orig_images", "count", source="orig_images"),
    Column("is_api", "bool"),
    Column("callback", "text"),
    Column("error", "text"),  # sandbox extension: why training failed
    # derived
    Column("status", "derived", pd.CategoricalDtype(list(TUNE_STATUSES))),
    Column("training_duration", "derived", TIMEDELTA),  # trained_at - started_training_at
    Column("queue_wait", "derived", TIMEDELTA),  # started_training_at - created_at
    Column("days_until_expiry", "derived", FLOAT),  # (expires_at - now) in days
    # status == "expired": trained and past expires_at (before issue 18 it was "expires_at <
    # now", true for a failed tune or one still training too); the meaning was fixed, not the
    # name
    Column("expired", "derived", "bool"),
    Column("expiring_soon", "derived", "bool"),  # trained, expires within 7 days, no auto_extend
)

PROMPT_SCHEMA: tuple[Column, ...] = (
    Column("tune_id", "int"),
    Column("text", "text"),
    Column("negative_prompt", "text"),
    Column("callback", "text"),
    Column("cfg_scale", "float"),
    Column("steps", "int"),
    Column("seed", "int"),
    Column("started_training_at", "datetime"),
    Column("trained_at", "datetime"),
    Column("created_at", "datetime"),
    Column("updated_at", "datetime"),
    Column("url", "text"),
    Column("images", "list"),
    Column("n_images", "count", source="images"),
    Column("user_error", "text"),
    Column("num_images", "int"),
    Column("cost_mc", "int"),
    Column("aspect_ratio", "category"),
    Column("resolution", "category"),
    Column("pack_id", "int"),
    Column("base_pack_id", "int"),
    Column("order_id", "int"),
    Column("orig_prompt_id", "int"),
    Column("input_image", "text"),
    Column("mask_image", "text"),
    Column("input_video", "text"),
    Column("image_references", "list"),
    Column("n_image_references", "count", source="image_references"),
    Column("debug_images", "list"),
    Column("debug_filenames", "list"),
    Column("debug_content_types", "list"),
    Column("comments", "list"),
    Column("super_resolution", "bool"),
    Column("controlnet_txt2img", "bool"),
    Column("liked", "bool"),
    Column("ar", "category"),
    Column("style", "category"),
    Column("w", "int"),
    Column("h", "int"),
    Column("denoising_strength", "float"),
    Column("controlnet_conditioning_scale", "float"),
    Column("prompt_likes_count", "int"),
    Column("tune", "nested"),
    Column("tunes", "list"),
    # derived
    Column("status", "derived", pd.CategoricalDtype(list(PROMPT_STATUSES))),
    # trained_at - started_training_at, or trained_at - created_at when it never started
    Column("generation_time", "derived", TIMEDELTA),
)


def _columns(schema: tuple[Column, ...]) -> MappingProxyType[str, Any]:
    return MappingProxyType({column.name: column.dtype for column in schema})


TUNE_COLUMNS: MappingProxyType[str, Any] = _columns(TUNE_SCHEMA)
"""Column name -> dtype of ``tunes_dataframe``, in column order (index ``id`` excluded)."""

PROMPT_COLUMNS: MappingProxyType[str, Any] = _columns(PROMPT_SCHEMA)
"""Column name -> dtype of ``prompts_dataframe``, in column order (index ``id`` excluded)."""
