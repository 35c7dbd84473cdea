"""HTML snippets of the TuneBrowser: table rows, the pager line, the detail pane's fields.

Pure functions of plain values. Every value that comes from a record goes through
:func:`html.escape`, so a tune titled ``<script>...`` shows as text and never as markup; links
are emitted only for ``http(s)`` URLs.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from astria_widgets.client.status import parse_time
from astria_widgets.widgets.formatting import format_duration

STATUS_COLOURS: dict[str, str] = {
    "queued": "#6b7280",
    "training": "#2563eb",
    "trained": "#15803d",
    "failed": "#b91c1c",
    "expired": "#92400e",
    "pending": "#2563eb",
    "done": "#15803d",
}

# (column, header, width): the cells after the row's id button.
ROW_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("status", "status", "76px"),
    ("title", "title", "210px"),
    ("name", "class", "80px"),
    ("branch", "branch", "64px"),
    ("created_at", "created", "128px"),
    ("n_orig_images", "imgs", "52px"),
)

# Fields of the detail pane, in order, with their labels; other columns go under "All fields".
DETAIL_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("status", "Status"),
    ("error", "Error"),
    ("name", "Class name"),
    ("token", "Token"),
    ("branch", "Branch"),
    ("model_type", "Model type"),
    ("base_tune_id", "Base tune"),
    ("steps", "Steps"),
    ("face_crop", "Face crop"),
    ("created_at", "Created"),
    ("started_training_at", "Training started"),
    ("trained_at", "Trained"),
    ("queue_wait", "Queue wait"),
    ("training_duration", "Training took"),
    ("expires_at", "Expires"),
    ("days_until_expiry", "Expiry"),
    ("n_orig_images", "Training images"),
    ("ckpt_url", "Checkpoint"),
    ("url", "URL"),
)

_ROW = "white-space:nowrap;width:max-content;line-height:26px"
_CELL = ("display:inline-block;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;"
         "vertical-align:middle;padding:0 4px;box-sizing:border-box;")


def is_missing(value: Any) -> bool:
    """True for None/NA/NaN/NaT (and never raises on lists or arrays)."""
    if value is None:
        return True
    if isinstance(value, str) or hasattr(value, "__len__"):
        return False  # strings, lists, arrays: present (possibly empty)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_value(value: Any) -> str:
    """A record value as short plain text (unescaped): times in UTC, durations rounded."""
    if is_missing(value):
        return "—"
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp
        return stamp.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return format_duration(pd.Timedelta(value))
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, (list, tuple)):
        return f"{len(value)} item" + ("" if len(value) == 1 else "s")
    return str(value)


def status_badge(status: Any) -> str:
    """A coloured, escaped status label."""
    text = format_value(status)
    colour = STATUS_COLOURS.get(text, "#374151")
    return (f'<span class="astria-status astria-status-{html.escape(text)}" '
            f'style="color:{colour};font-weight:600">{html.escape(text)}</span>')


def _cell(content: str, width: str, title: str = "") -> str:
    tip = f' title="{html.escape(title)}"' if title else ""
    return f'<span style="{_CELL}width:{width}"{tip}>{content}</span>'


def _expiring(row: Mapping[str, Any]) -> bool:
    value = row.get("expiring_soon")
    return not is_missing(value) and bool(value)


def row_html(row: Mapping[str, Any]) -> str:
    """One table row (after its id button) as fixed-width cells; every value escaped."""
    cells = []
    for column, _header, width in ROW_COLUMNS:
        value = row.get(column)
        if column == "status" and _expiring(row):
            cells.append(_cell(
                status_badge(value) + '<span class="astria-expiring-soon" '
                'style="color:#b45309;font-weight:600"> &#9888;</span>', width,
                title=f"expiring soon ({expiry_text(row.get('days_until_expiry'))}): its "
                      "model and images are deleted then"))
        elif column == "status":
            cells.append(_cell(status_badge(value), width))
        elif column == "created_at":
            text = format_value(value).removesuffix(" UTC")
            cells.append(_cell(html.escape(text), width))
        else:
            text = format_value(value)
            cells.append(_cell(html.escape(text), width, title=text if column == "title" else ""))
    return f'<div class="astria-browser-cells" style="{_ROW}">' + "".join(cells) + "</div>"


def header_html() -> str:
    """The header line matching :func:`row_html`'s cells."""
    cells = "".join(_cell(f"<b>{html.escape(h)}</b>", w) for _c, h, w in ROW_COLUMNS)
    return f'<div class="astria-browser-cells" style="{_ROW}">' + cells + "</div>"


def pager_text(page: int, n_pages: int, n_matching: int, n_total: int) -> str:
    """``"page 3 of 412 · 10,283 of 12,000 tunes"`` (escaped HTML)."""
    if n_matching == n_total:
        count = f"{n_total:,} tune" + ("" if n_total == 1 else "s")
    else:
        count = f"{n_matching:,} of {n_total:,} tunes match"
    return html.escape(f"page {page:,} of {n_pages:,} · {count}")


def link_or_text(value: Any) -> str:
    """An http(s) URL as an escaped link, anything else as escaped text."""
    text = format_value(value)
    if text.startswith(("http://", "https://")):
        safe = html.escape(text, quote=True)
        return f'<a href="{safe}" target="_blank" rel="noopener noreferrer">{safe}</a>'
    return html.escape(text)


def expiry_text(days: Any) -> str:
    """``days_until_expiry`` as words: ``"in 12 days"``, ``"expired 170 days ago"``."""
    if is_missing(days):
        return "—"
    whole = int(round(float(days)))
    if whole == 0:
        return "today" if float(days) >= 0 else "expired today"
    unit = "day" if abs(whole) == 1 else "days"
    return f"in {whole} {unit}" if whole > 0 else f"expired {-whole} {unit} ago"


def _field_rows(items: list[tuple[str, Any]]) -> str:
    rows = []
    for label, value in items:
        if label.lower() == "status":
            shown = status_badge(value)
        elif label == "Expiry":
            shown = html.escape(expiry_text(value))
        elif isinstance(value, str) or not isinstance(value, (list, tuple)):
            shown = link_or_text(value)
        else:
            shown = html.escape(format_value(value))
        rows.append(f'<tr><th style="text-align:left;padding-right:8px;white-space:nowrap">'
                    f'{html.escape(label)}</th><td style="word-break:break-all">{shown}</td></tr>')
    return "<table>" + "".join(rows) + "</table>"


def detail_html(tune_id: int, row: Mapping[str, Any]) -> str:
    """The detail pane's field table for one tune; other columns under a collapsed "All fields"."""
    known = dict(DETAIL_FIELDS)
    main = [(label, row[col]) for col, label in DETAIL_FIELDS
            if col in row and not (col == "error" and is_missing(row[col]))]
    rest = [(col, row[col]) for col in row if col not in known]
    title = format_value(row.get("title"))
    return (f'<h4 style="margin:4px 0">#{int(tune_id)} · {html.escape(title)}</h4>'
            + _field_rows(main)
            + (f"<details><summary>All fields ({len(rest)} more)</summary>"
               f"{_field_rows(rest)}</details>" if rest else ""))


def prompt_html(prompt: Mapping[str, Any], status: str) -> str:
    """A prompt's header line: id, status, text (escaped), its error if any."""
    text = html.escape(str(prompt.get("text") or ""))
    error = prompt.get("user_error")
    err = (f'<div style="color:{STATUS_COLOURS["failed"]}">{html.escape(str(error))}</div>'
           if error else "")
    created = html.escape(format_value(parse_time(prompt.get("created_at"))))
    return (f'<div class="astria-browser-prompt-text"><b>#{html.escape(str(prompt.get("id")))}'
            f"</b> {status_badge(status)} <small>{created}</small><br>{text}{err}</div>")


def note_html(text: str, *, error: bool = False) -> str:
    """A short escaped note for the detail pane (muted, or red when ``error``)."""
    colour = STATUS_COLOURS["failed"] if error else "#6b7280"
    return f'<span style="color:{colour}">{html.escape(text)}</span>'
