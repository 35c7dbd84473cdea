"""Static HTML of the widgets' results: pure functions of the models, no ipywidgets import.

A result widget's output carries, beside the widget view in the same display bundle, a
``text/html`` rendering made here: a title, a status line, a few lines of text and small
embedded thumbnails. Front ends with no live widget (GitHub, nbviewer, ``nbconvert --to
html``, a notebook reopened in VS Code) show it instead of the view; a live front end shows
the view and ignores it. :mod:`astria_widgets.widgets.fallback` puts it in the bundle and keeps
it current; this module only turns models into HTML.

A view describes what it shows as :class:`Section` values (``run_section``,
``watch_section``, ``gallery_section``, ``pack_section``, ``browser_sections``,
``form_section``, ``studio_section``) and :func:`render` turns sections into one HTML fragment.
The rules live in :func:`render`, once for every widget:

- **Small.** A thumbnail is a JPEG ``data:`` URI made by
  :func:`astria_widgets.imaging.thumbnails.make_thumbnail`, at most
  :data:`MAX_THUMBNAIL_BYTES`; its side and quality shrink as the number of tiles grows
  (:func:`thumbnail_side`, :func:`thumbnail_quality`) and it steps down further until it
  fits. A whole fallback is at most :data:`MAX_FALLBACK_BYTES`: texts are cut, a grid of more
  than :data:`COMPACT_TILES` tiles is drawn compactly (no caption repeating its row and column
  headers, shorter styles), and every tile is kept: those past the budget keep their note
  without an image, and the copy says how many pictures were left out (a 10 x 10 grid fits
  whole; a few hundred keep every tile and say so).
- **No secrets.** The only URLs in a fallback are ``data:`` URIs: an image is embedded, never
  linked, and any URL inside a text (an error message, a prompt) is replaced by ``[link]`` (a
  bare query string by ``?[query]``), so a signed URL's signature never gets in. No key is
  ever passed here.
- **One line.** The HTML holds no newline, so one sanitize rule can mask it whole (nbval).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from astria_widgets.client.costs import usd
from astria_widgets.client.status import prompt_status
from astria_widgets.widgets.formatting import ERROR_COLOR, short_error

if TYPE_CHECKING:
    from astria_widgets.client.generation import GenerationRun
    from astria_widgets.client.watch import TuneWatch

MAX_FALLBACK_BYTES = 128 * 1024
"""The most one fallback may weigh (its HTML is ASCII: characters are bytes)."""
MAX_THUMBNAIL_BYTES = 8 * 1024
"""The most one embedded thumbnail may weigh (JPEG bytes, before base64)."""
THUMBNAIL_SIDES = (128, 96, 64, 48, 40, 32)
"""Thumbnail sides tried, largest first (see :func:`thumbnail_side`)."""
FALLBACK_CLASS = "astria-fallback"
"""The class of every fallback's outer element (``data-astria-fallback`` names the widget)."""

MAX_TITLE = 200
MAX_STATUS = 400
MAX_LINE = 240
MAX_LINES = 30
MAX_CAPTION = 80
COMPACT_TILES = 48
"""A section with more tiles than this is drawn compactly (see the module docstring)."""
MAX_NOTE = 160
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+")
_QUERY = re.compile(r"\?\S*=\S*")  # "...with url: /files/x.png?sig=..." (no scheme)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SLOT = re.compile(r"\x00(\d+)\x00")
_NO_PREVIEW = '<div style="color:#6b7280"><small>(no preview)</small></div>'
_LEFT_OUT = '<div style="color:#6b7280"><small>(not embedded: size cap)</small></div>'
_SUMMARY = "\x01"  # where the count of pictures left out goes
_SUMMARY_ROOM = 200  # what that count may take
_FOOTER = ('<div class="astria-fallback-note" style="color:#6b7280;margin-top:4px">'
           "<small>A saved copy of the widget's results; run the cell for the live widget."
           "</small></div>")


@dataclass(frozen=True)
class Tile:
    """One picture of a fallback: a caption, the image bytes (any size; thumbnailed when
    rendered) or ``None``, and a short note (a state, an error when ``error``)."""

    caption: str = ""
    image: bytes | None = None
    note: str = ""
    error: bool = False


@dataclass(frozen=True)
class Section:
    """What one part of a widget shows: title, status line, lines, tiles.

    ``columns`` lays the tiles out as a grid of that many columns (with ``row_labels`` and
    ``col_labels`` as headers); ``None`` lets them wrap. ``error`` is shown in red.
    """

    title: str = ""
    status: str = ""
    lines: tuple[str, ...] = ()
    tiles: tuple[Tile, ...] = ()
    columns: int | None = None
    row_labels: tuple[str, ...] = ()
    col_labels: tuple[str, ...] = ()
    error: str = ""


# -- building blocks ---------------------------------------------------------------------------
def text(value: Any, limit: int = MAX_LINE) -> str:
    """``value`` as escaped one-line HTML text: URLs replaced by ``[link]`` and query strings
    by ``?[query]``, whitespace and control characters folded to one space, cut to ``limit``
    characters."""
    plain = _QUERY.sub("?[query]", _URL.sub("[link]", str(value)))
    plain = " ".join(_CONTROL.sub(" ", plain).split())
    if len(plain) > limit:
        plain = plain[:max(0, limit - 1)] + "…"
    return html.escape(plain)


def thumbnail_side(count: int) -> int:
    """The side of the thumbnails of a fallback with ``count`` images: 128 px up to 8, 96 px
    up to 24, 64 px up to 48, 48 px up to 100 (a 10 x 10 grid fits
    :data:`MAX_FALLBACK_BYTES` whole), 32 px beyond."""
    return (128 if count <= 8 else 96 if count <= 24 else 64 if count <= COMPACT_TILES
            else 48 if count <= 100 else 32)


def thumbnail_quality(side: int) -> int:
    """The JPEG quality of a fallback thumbnail of ``side`` px: lower for the small tiles of
    big grids, where a JPEG's fixed cost is most of its bytes."""
    return 85 if side >= 96 else 60 if side >= 64 else 40


def thumbnail_uri(data: bytes, side: int = 128) -> str | None:
    """A ``data:image/jpeg;base64,...`` URI of a thumbnail of ``data`` fitting ``side`` px
    and :data:`MAX_THUMBNAIL_BYTES` (smaller sides are tried until it does); ``None`` when
    the bytes are not a picture Pillow can read (a video, a broken download)."""
    from astria_widgets.imaging.thumbnails import make_thumbnail

    for size in [s for s in THUMBNAIL_SIDES if s <= side] or [side]:
        try:
            thumb = make_thumbnail(data, size=size, quality=thumbnail_quality(size))
        except Exception:  # noqa: BLE001 - not a picture: the tile keeps its caption
            return None
        if len(thumb) <= MAX_THUMBNAIL_BYTES:
            return "data:image/jpeg;base64," + base64.b64encode(thumb).decode("ascii")
    return None


def _tile_html(tile: Tile, images: list[bytes], caption: bool = True) -> str:
    parts = []
    if tile.image is not None:
        images.append(tile.image)
        parts.append(f"\x00{len(images) - 1}\x00")
    if tile.caption and caption:
        parts.append(f"<div><small>{text(tile.caption, MAX_CAPTION)}</small></div>")
    if tile.note:
        colour = f"color:{ERROR_COLOR}" if tile.error else "color:#4b5563"
        parts.append(f'<div style="{colour}"><small>{text(tile.note, MAX_NOTE)}</small></div>')
    return "".join(parts)


_CELL = "border:1px solid #ddd;padding:4px;text-align:center;vertical-align:top"
_COMPACT_CELL = "border:1px solid #ddd;padding:1px;text-align:center"


def _tiles_html(section: Section, images: list[bytes]) -> str:
    if not section.tiles:
        return ""
    if section.columns is None:
        cells = "".join(
            f'<div class="astria-fallback-tile" style="display:inline-block;{_CELL};'
            f'margin:2px">{_tile_html(t, images)}</div>' for t in section.tiles)
        return f'<div class="astria-fallback-tiles">{cells}</div>'
    cols = max(1, section.columns)
    rows = [section.tiles[i:i + cols] for i in range(0, len(section.tiles), cols)]
    compact = len(section.tiles) > COMPACT_TILES
    style = _COMPACT_CELL if compact else _CELL
    # a big grid's headers name each tile: its caption would repeat them
    captions = not (compact and section.row_labels and section.col_labels)
    head = ""
    if section.col_labels:
        corner = "<th></th>" if section.row_labels else ""
        head = "<tr>" + corner + "".join(
            f'<th style="padding:2px 4px">{text(c, MAX_CAPTION)}</th>'
            for c in section.col_labels) + "</tr>"
    body = []
    for index, row in enumerate(rows):
        label = ""
        if section.row_labels:
            name = section.row_labels[index] if index < len(section.row_labels) else ""
            label = f'<th style="padding:2px 4px;text-align:right">{text(name, MAX_CAPTION)}</th>'
        cells = "".join(f'<td class="astria-fallback-tile" style="{style}">'
                        f"{_tile_html(t, images, captions)}</td>" for t in row)
        body.append(f"<tr>{label}{cells}</tr>")
    return ('<table class="astria-fallback-grid" style="border-collapse:collapse;'
            f'margin-top:4px">{head}{"".join(body)}</table>')


def _section_html(section: Section, images: list[bytes]) -> str:
    parts = []
    if section.title:
        parts.append(f'<div class="astria-fallback-title"><b>{text(section.title, MAX_TITLE)}'
                     "</b></div>")
    if section.status:
        parts.append(f'<div class="astria-fallback-status">{text(section.status, MAX_STATUS)}'
                     "</div>")
    if section.error:
        parts.append(f'<div class="astria-fallback-error" style="color:{ERROR_COLOR}">'
                     f"{text(section.error, MAX_STATUS)}</div>")
    lines = list(section.lines)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES - 1] + [f"... and {len(lines) - MAX_LINES + 1} more"]
    parts.extend(f'<div class="astria-fallback-line"><small>{text(line)}</small></div>'
                 for line in lines)
    parts.append(_tiles_html(section, images))
    return f'<div class="astria-fallback-section" style="margin-bottom:6px">{"".join(parts)}</div>'


def render(sections: Iterable[Section], *, kind: str = "widget") -> str:
    """One HTML fragment (one line) of ``sections``, within :data:`MAX_FALLBACK_BYTES`.

    ``kind`` names the widget (``data-astria-fallback``). Thumbnails are embedded in order
    while they fit the budget left by the text; the tiles past it say so instead, and a line
    above the footer counts them.
    """
    sections = list(sections)
    images: list[bytes] = []
    body = "".join(_section_html(s, images) for s in sections)
    shell = (f'<div class="{FALLBACK_CLASS}" data-astria-fallback="{text(kind, 40)}" '
             'style="font-family:sans-serif;font-size:13px;line-height:1.3">'
             f"{body}{_SUMMARY}{_FOOTER}</div>")
    room = MAX_FALLBACK_BYTES - len(_SLOT.sub("", shell)) - _SUMMARY_ROOM
    if room < len(images) * len(_LEFT_OUT):  # absurd section counts only: keep the status
        return render_text_only(sections, kind=kind)
    side = thumbnail_side(len(images))
    pending = len(images)  # placeholders not filled yet: each takes a note at least
    left_out = 0

    def fill(match: re.Match[str]) -> str:
        nonlocal room, pending, left_out
        pending -= 1
        uri = thumbnail_uri(images[int(match.group(1))], side)
        note = _NO_PREVIEW if uri is None else _LEFT_OUT
        if uri is not None:
            tag = (f'<img src="{uri}" alt="result" style="max-width:{side}px;'
                   f'max-height:{side}px;display:block;margin:0 auto">')
            if len(tag) + pending * len(_LEFT_OUT) <= room:
                room -= len(tag)
                return tag
            left_out += 1
        room -= len(note)
        return note

    page = _SLOT.sub(fill, shell)
    summary = ""
    if left_out:
        summary = (f'<div class="astria-fallback-left-out" style="color:#6b7280"><small>'
                   f"{left_out} of {len(images)} pictures not embedded (this saved copy is "
                   f"kept under {MAX_FALLBACK_BYTES // 1024} KiB); run the cell to see them"
                   "</small></div>")
    return page.replace(_SUMMARY, summary, 1)


def render_text_only(sections: Iterable[Section], *, kind: str = "widget") -> str:
    """The titles, status lines and errors of ``sections`` alone (no lines, no tiles)."""
    parts = "".join(_section_html(Section(s.title, s.status, error=s.error), [])
                    for s in list(sections)[:20])
    return (f'<div class="{FALLBACK_CLASS}" data-astria-fallback="{text(kind, 40)}" '
            f'style="font-family:sans-serif;font-size:13px">{parts}{_FOOTER}</div>')


# -- sections of the models --------------------------------------------------------------------
def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run_status_text(run: GenerationRun) -> str:
    """The studio's status line of a run: prompts finished, status (and why creating stopped
    early, when max_spend did it), cost."""
    cells = run.cells
    done = sum(1 for _c, p in cells if p is not None and prompt_status(p) != "pending")
    return (f"{done} of {len(cells)} prompts finished · status {run.status_text} · "
            f"cost of this run {usd(run.cost_mc, missing='—')}")


def run_section(run: GenerationRun) -> Section:
    """A studio run as a labelled grid: each cell's first image, its prompt's state."""
    plan = run.sweep
    _rows, cols = plan.shape
    images = run.images
    tiles = []
    for cell, prompt in run.cells:
        label = cell.label or "result"
        if prompt is None:
            tiles.append(Tile(label, note="creating..."))
            continue
        pid = int(prompt["id"])
        state = prompt_status(prompt)
        got = [i for i in images.get(pid, []) if i.data or i.preview]
        if state == "failed":
            note, error = str(prompt.get("user_error") or "failed"), True
        elif state == "pending":
            note, error = f"#{pid} generating...", False
        else:
            count = len(prompt.get("images") or [])
            note, error = f"#{pid} · seed {prompt.get('seed')} · {_plural(count, 'image')}", False
        # the preview the watch made (small to decode) stands for the image
        shown = (got[0].preview or got[0].data) if got else None
        tiles.append(Tile(label, shown, note, error))
    return Section(
        title=f"Results on tune {run.plan.tune_id}",
        status=run_status_text(run),
        lines=(f"Prompt: {run.plan.text}",),
        tiles=tuple(tiles), columns=cols,
        row_labels=tuple(f"{plan.row_param} = {v}" for v in plan.row_values)
        if plan.row_param is not None else (),
        col_labels=tuple(f"{plan.col_param} = {v}" for v in plan.col_values)
        if plan.col_param is not None else (),
        error=short_error(run.error) if run.error is not None else "")


def studio_section(tune: Mapping[str, Any] | None, text_as_sent: str | None) -> Section:
    """The studio's heading: the tune chosen and the prompt as it will be sent."""
    lines = []
    if tune is not None:
        lines.append(f"Tune #{tune.get('id')} {tune.get('title') or ''}".strip())
    if text_as_sent:
        lines.append(f"Prompt as sent: {text_as_sent}")
    return Section(title="Prompt studio", lines=tuple(lines))


def watch_section(watch: TuneWatch | None, *, title: str | None = None,
                  error_message: str | None = None) -> Section:
    """A tune's progress: heading, status with prompt and image counts, each prompt's state,
    thumbnails of the generated images."""
    if watch is None:
        return Section(title=title or "Tune", status="status waiting")
    record = watch.tune
    if record is not None:
        bits = " · ".join(str(b) for b in (record.get("name"), record.get("branch")) if b)
        heading = f"Tune #{record.get('id')} {record.get('title') or ''}".strip() + (
            f" ({bits})" if bits else "")
    else:
        heading = f"{title or 'The new tune'} ({watch.status})"
    prompts = watch.prompts
    states = [prompt_status(p) for p in prompts]
    images = watch.images
    status = f"status {watch.status}"
    if watch.stalled:
        status += " (stalled)"
    if prompts:
        status += (f" · {_plural(len(prompts), 'prompt')}: {states.count('done')} done, "
                   f"{states.count('failed')} failed")
    shown = [i for i in images if i.data]
    if shown:
        status += f" · {_plural(len(shown), 'image')}"
    if watch.done and watch.stopped:
        status += " · stopped watching (the tune goes on in the service)"
    lines = tuple(f"#{p.get('id')} {p.get('text') or ''} — {s}"
                  for p, s in zip(prompts, states, strict=True))
    tiles = tuple(
        Tile(f"prompt #{i.prompt_id} · {i.index}/{i.count}", i.data,
             note="" if i.data else "could not be downloaded", error=i.data is None)
        for i in images)
    error = ""
    if watch.error is not None:
        error = error_message or short_error(watch.error)
    elif record is not None and record.get("error"):
        error = str(record["error"])
    return Section(title=heading, status=status, lines=lines, tiles=tiles, error=error)


def gallery_section(items: Sequence[tuple[str, bytes | None, str]]) -> Section:
    """A gallery's ``(caption, image bytes or None, note)`` items as tiles."""
    return Section(status=_plural(len(items), "result"),
                   tiles=tuple(Tile(caption, data, note) for caption, data, note in items))


def form_section(values: Mapping[str, Any], image_count: int, submitted: bool) -> Section:
    """The tune form's heading: title, class, branch, training images, prompts (no callback
    URL, no token)."""
    prompts = values.get("prompts") or []
    return Section(
        title="New tune",
        status="submitted" if submitted else "not submitted",
        lines=(f"title: {values.get('title')}",
               f"class: {values.get('name')} · branch: {values.get('branch')}",
               f"{_plural(image_count, 'training image')} · {_plural(len(prompts), 'prompt')}"))


def pack_section(pack: Mapping[str, Any] | None, class_name: str | None,
                 estimate_mc: int | None, order_summary: str = "", *,
                 cover: bytes | None = None) -> Section:
    """The pack picker: the chosen pack, its price per class, the estimate, the last order,
    and its preview (``cover``: image bytes)."""
    if not pack:
        return Section(title="Packs", status="no pack chosen")
    lines = []
    for cls, entry in (pack.get("costs") or {}).items():
        prompts = (pack.get("prompts_per_class") or {}).get(cls) or []
        cost = entry.get("cost_mc") if isinstance(entry, Mapping) else None
        lines.append(f"{cls}: {usd(cost)}, {_plural(len(prompts), 'prompt')}")
    estimate = f"cost before ordering: {usd(estimate_mc)}" if class_name else ""
    status = order_summary or " · ".join(b for b in (f"class {class_name}" if class_name
                                                     else "", estimate) if b)
    return Section(title=f"Pack: {pack.get('title')} (#{pack.get('id')})",
                   status=status or "choose a class", lines=tuple(lines),
                   tiles=(Tile("preview", cover),) if cover is not None else ())


_ROW_FIELDS = ("status", "title", "name", "branch", "created_at")
_DETAIL_FIELDS = ("status", "name", "branch", "model_type", "created_at", "trained_at",
                  "expires_at", "error")


def browser_sections(pager: str, rows: Sequence[Mapping[str, Any]],
                     selected: Mapping[str, Any] | None, thumbnails: Sequence[bytes] = (),
                     error: str = "") -> list[Section]:
    """The tune browser: the page as text lines, the selected tune's fields and
    ``thumbnails`` (its generated images)."""
    from astria_widgets.widgets.browser_render import format_value

    def line(row: Mapping[str, Any]) -> str:
        values = [format_value(row.get(c)) for c in _ROW_FIELDS]
        return f"#{row.get('id')} " + " · ".join(values)

    sections = [Section(title="Tune history", status=pager, lines=tuple(line(r) for r in rows),
                        error=error)]
    if selected is not None:
        fields = tuple(f"{name.replace('_', ' ')}: {format_value(selected.get(name))}"
                       for name in _DETAIL_FIELDS if name in selected)
        sections.append(Section(
            title=f"Selected: tune #{selected.get('id')} {format_value(selected.get('title'))}",
            lines=fields, tiles=tuple(Tile(image=data) for data in thumbnails)))
    return sections
