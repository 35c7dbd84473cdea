"""The legacy video switches inside a prompt's text (Appendix B of the API notes).

Before the video fields existed, a video was asked for inside ``text``:
``... --video --video_model seedance_v15_720p --duration 5 --video_prompt "smiling"``. The docs
say these switches "are still accepted and promoted to the new columns server-side"
(``features/video.md`` "Backwards compatibility", the create doc's Video section, the changelog
of 2026-04-29), and the duplicate doc's example sends ``--video --video_prompt "..."`` with
no model. ``promote_video_switches`` does that promotion on a prompt hash:

- the switches are read when the text has ``--video`` or ``--video_model``; ``--video_prompt``
  takes a quoted value (``"..."`` or ``'...'``, ``\\"`` inside) or the words up to the next
  ``--switch``; ``--video_model`` and ``--duration`` take one word;
- each switch fills its field (``video_model``, ``video_prompt``, ``video_duration``) unless
  the request sends that field itself: the form field wins;
- ``--video`` without any model gives the catalogue's ``DEFAULT_VIDEO_MODEL`` (the
  ``default_video_model`` of ``GET /cli/models``; sandbox choice, the docs name no default);
- the switches are removed from ``text``, which is left as the first frame's prompt.

Values are checked afterwards like the form fields (``video_params``): an unknown model or a
duration the model does not allow is 422 under the field's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .catalogue import DEFAULT_VIDEO_MODEL

SWITCH = re.compile(r"(?<!\S)--(video_model|video_prompt|duration|video)(?!\S)")
NEXT_SWITCH = re.compile(r"(?<!\S)--[A-Za-z]")
FIELDS = {"video_model": "video_model", "video_prompt": "video_prompt",
          "duration": "video_duration"}


def _value(text: str, start: int, name: str) -> tuple[str, int]:
    """The value of switch ``name`` whose text starts at ``start``: (value, end)."""
    pos = start
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos < len(text) and text[pos] in "\"'":
        quote, chars, i = text[pos], [], pos + 1
        while i < len(text) and text[i] != quote:
            if text[i] == "\\" and i + 1 < len(text) and text[i + 1] == quote:
                i += 1
            chars.append(text[i])
            i += 1
        return "".join(chars), min(i + 1, len(text))
    if name == "video_prompt":
        found = NEXT_SWITCH.search(text, pos)
        end = found.start() if found else len(text)
        return text[pos:end].strip(), end
    match = re.compile(r"\S*").match(text, pos)
    end = match.end() if match else pos
    return text[pos:end], end


def read_switches(text: str) -> tuple[dict[str, str], str] | None:
    """``({field: value}, text without the switches)``, or None when the text asks for no
    video (neither ``--video`` nor ``--video_model``)."""
    values: dict[str, str] = {}
    kept: list[str] = []
    video = False
    pos = 0
    while (match := SWITCH.search(text, pos)) is not None:
        kept.append(text[pos:match.start()])
        name = match.group(1)
        if name == "video":
            video, pos = True, match.end()
            continue
        value, pos = _value(text, match.end(), name)
        values.setdefault(FIELDS[name], value)
    kept.append(text[pos:])
    if not video and "video_model" not in values:
        return None
    return values, " ".join("".join(kept).split())


def promote_video_switches(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """``params`` with the text's legacy video switches promoted to fields (see module doc);
    the same mapping when the text has none."""
    text = params.get("text")
    found = read_switches(text) if isinstance(text, str) else None
    if found is None:
        return params
    values, rest = found
    out = dict(params)
    out["text"] = rest
    values.setdefault("video_model", DEFAULT_VIDEO_MODEL)
    for field, value in values.items():
        current = out.get(field)
        if current is None or (isinstance(current, str) and not current.strip()):
            out[field] = value
    return out
