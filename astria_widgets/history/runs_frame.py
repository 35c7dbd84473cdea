"""``runs_dataframe(source)``: one typed row per recorded run, read from a history (no request).

Columns (in this order, whatever the runs hold; an empty history gives an empty frame with
the same columns and dtypes): ``run_id`` (string), ``kind`` (category), ``created_at``
(datetime, UTC), ``label`` (string), ``tunes``, ``prompts`` (Int64: items of the run),
``unfinished`` (Int64: items not yet settled), ``done`` (boolean), ``images`` (Int64: images
of the stored prompts), ``cost_mc`` (Int64: the sum the API states, ``<NA>`` if none),
``likes`` (Int64: liked prompts). Newest first.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from astria_widgets.client.costs import prompts_cost_mc

if TYPE_CHECKING:
    import pandas as pd

    from astria_widgets.history import TuneHistory
    from astria_widgets.history.runs import StoredRun

RUN_COLUMNS = ("run_id", "kind", "created_at", "label", "tunes", "prompts", "unfinished",
               "done", "images", "cost_mc", "likes")


def history_of(source: Any) -> TuneHistory:
    """``source`` as a history: a ``TuneHistory`` (an object with ``runs``), a file path,
    a client (its account's default history) or None (``connect()``'s)."""
    from astria_widgets.history import TuneHistory
    from astria_widgets.history.paths import default_history

    if hasattr(source, "runs") and hasattr(source, "prompt_records"):
        return source
    if isinstance(source, (str, os.PathLike)):
        return TuneHistory(source)
    if source is None or hasattr(source, "list_prompts"):
        return default_history(source)
    raise TypeError(f"source must be a TuneHistory, a history file path, an AstriaClient or "
                    f"None, not {type(source).__name__}")


def run_row(run: StoredRun) -> dict[str, Any]:
    """The frame's values of one run (plain Python)."""
    prompts = [run.prompts[p] for p in run.prompt_ids if p in run.prompts]
    return {
        "run_id": run.run_id,
        "kind": run.kind,
        "created_at": run.info.created_at,
        "label": run.info.label,
        "tunes": len(run.tune_ids),
        "prompts": len(run.prompt_ids),
        "unfinished": len(run.unfinished_prompt_ids) + len(run.unfinished_tune_ids),
        "done": run.done,
        "images": sum(len(p.get("images") or []) for p in prompts
                      if isinstance(p.get("images"), list)),
        "cost_mc": prompts_cost_mc(prompts),
        "likes": sum(1 for p in prompts if p.get("liked") is True),
    }


def runs_dataframe(source: Any = None, *, kind: str | None = None,
                   limit: int | None = None) -> pd.DataFrame:
    """One row per recorded run of ``source`` (see :func:`history_of`), newest first; only
    runs of ``kind`` when given, at most ``limit``. Reads the history only."""
    import pandas as pd

    from astria_widgets.frames import coerce

    history = history_of(source)
    rows = [run_row(run) for run in history.runs.all(kind, limit)]
    column = {name: [row[name] for row in rows] for name in RUN_COLUMNS}
    kinds = pd.Categorical(column["kind"], categories=["training", "sweep", "pack", "compare"])
    return pd.DataFrame({
        "run_id": pd.array(column["run_id"], dtype="string"),
        "kind": kinds,
        "created_at": coerce.to_datetime(column["created_at"]),
        "label": pd.array(column["label"], dtype="string"),
        **{name: coerce.to_int(column[name])
           for name in ("tunes", "prompts", "unfinished")},
        "done": pd.array(column["done"], dtype="boolean"),
        **{name: coerce.to_int(column[name]) for name in ("images", "cost_mc", "likes")},
    }, columns=list(RUN_COLUMNS))
