"""What the panel is sent: API records -> small JSON views (pure functions of record and time).

The rules (status, progress, stall, time left) are the client's (``client/status.py``), and so
are the words (``client/durations.py``, ``client/costs.py``); this module only picks fields and
phrases, so the browser renders and decides nothing: it shows the strings it is sent. Images
are named by the panel's own routes (``tunes/<id>/images/<n>``,
``tunes/<id>/prompts/<pid>/images/<n>``, relative to ``astria-widgets/api``), never by their
URL at the API or the sandbox, which the browser may not reach and the page must not show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from astria_widgets.client.checks import is_http_url
from astria_widgets.client.costs import usd
from astria_widgets.client.durations import format_duration
from astria_widgets.client.status import (
    TUNE_UNFINISHED,
    prompt_status,
    seconds_left,
    training_fraction,
    tune_is_stalled,
    tune_status,
)

Record = Mapping[str, Any]

# The detail pane's fields, in this order (label, record key); absent or null keys are left out.
DETAIL_FIELDS: tuple[tuple[str, str], ...] = (
    ("Id", "id"),
    ("Title", "title"),
    ("Class", "name"),
    ("Branch", "branch"),
    ("Model type", "model_type"),
    ("Token", "token"),
    ("Steps", "steps"),
    ("Base tune", "base_tune_id"),
    ("Created", "created_at"),
    ("Training started", "started_training_at"),
    ("ETA", "eta"),
    ("Trained", "trained_at"),
    ("Expires", "expires_at"),
    ("Error", "error"),
)


def _image_indexes(images: Any) -> list[int]:
    """Indexes of the http(s) URLs in a record's image list (others are left out)."""
    if not isinstance(images, Sequence) or isinstance(images, str):
        return []
    return [n for n, url in enumerate(images) if is_http_url(url)]


def tune_thumbnail(record: Record) -> str | None:
    """The route of the tune's first training image (``tunes/<id>/images/0``), or None."""
    tune_id = record.get("id")
    first_is_url = _image_indexes(record.get("orig_images"))[:1] == [0]
    return f"tunes/{tune_id}/images/0" if isinstance(tune_id, int) and first_is_url else None


def time_left(record: Record, now: datetime) -> str | None:
    """What the panel shows beside an unfinished tune's bar, as it shows it: ``"overdue"``
    (stalled), ``"queued"``, ``"3m 05s left"`` (the one duration formatter) or
    ``"training"`` (no ``eta``); ``None`` for a tune that is not queued or training."""
    state = tune_status(record, now)
    if state not in TUNE_UNFINISHED:
        return None
    if tune_is_stalled(record, now):
        return "overdue"
    if state == "queued":
        return "queued"
    left = seconds_left(record, now)
    return "training" if left is None else f"{format_duration(left)} left"


def tune_summary(record: Record, now: datetime) -> dict[str, Any]:
    """One row of the panel's list: id, title, class, status, progress, time left, thumbnail."""
    return {
        "id": record.get("id"),
        "title": record.get("title") or "",
        "name": record.get("name") or "",
        "branch": record.get("branch") or "",
        "created_at": record.get("created_at"),
        "status": tune_status(record, now),
        "progress": training_fraction(record, now),
        "seconds_left": seconds_left(record, now),
        "time_left": time_left(record, now),
        "stalled": tune_is_stalled(record, now),
        "thumbnail": tune_thumbnail(record),
    }


def prompt_view(record: Record, tune_id: Any) -> dict[str, Any]:
    """A prompt as the detail pane shows it: text, status and its images' routes (those of
    the prompt as listed under ``tune_id``)."""
    pid = record.get("id")
    routes = (
        [f"tunes/{tune_id}/prompts/{pid}/images/{n}" for n in _image_indexes(record.get("images"))]
        if isinstance(pid, int) and isinstance(tune_id, int)
        else []
    )
    return {
        "id": pid,
        "text": record.get("text") or "",
        "status": prompt_status(record),
        "created_at": record.get("created_at"),
        "images": routes,
        "error": record.get("user_error"),
    }


def tune_detail(record: Record, prompts: Sequence[Record], now: datetime) -> dict[str, Any]:
    """A tune's detail: its summary, its labelled fields and its prompts (newest first)."""
    fields = [
        [label, record[key]] for label, key in DETAIL_FIELDS if record.get(key) not in (None, "")
    ]
    return {
        **tune_summary(record, now),
        "fields": fields,
        "prompts": [prompt_view(p, record.get("id")) for p in prompts],
    }


def matches(record: Record, search: str) -> bool:
    """True when ``search`` (case-insensitive) is in the tune's id, title, class or branch."""
    needle = search.strip().lower()
    if not needle:
        return True
    haystack = " ".join(
        str(record.get(key) or "") for key in ("id", "title", "name", "branch")
    ).lower()
    return needle in haystack


def run_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded run as the panel lists it (a ``runs_dataframe`` row as plain values): id,
    kind, label, when, how many prompts, settled or not, cost and likes as text."""
    prompts, likes = int(row.get("prompts") or 0), int(row.get("likes") or 0)
    parts = [f"{prompts} prompt{'s' if prompts != 1 else ''}"]
    if row.get("cost_mc") is not None:
        parts.append(usd(row["cost_mc"]))
    if likes:
        parts.append(f"{likes} liked")
    if not row.get("done"):
        parts.append(f"{int(row.get('unfinished') or 0)} unfinished")
    return {
        "run_id": str(row["run_id"]),
        "kind": str(row["kind"]),
        "label": str(row.get("label") or row["kind"]),
        "created_at": row.get("created_at"),
        "done": bool(row.get("done")),
        "summary": " · ".join(parts),
    }
