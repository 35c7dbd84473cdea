"""Durations, byte counts and messages as the widgets show them: one style for every view.

``shown_thumbnail`` (make_thumbnail, or the original bytes when Pillow cannot read them) is
the gallery's and the studio's. ``format_duration`` (the client's one duration formatter,
re-exported) is used by the progress view and the browser; ``format_size`` (bytes) is the
imaging checks' own, re-exported here so widgets import both from one place and a file's size
reads the same in the picker's messages, the upload bar and the browser uploader.
``error_html`` / ``errors_html`` give every form message the same red, and ``short_error``
(the client's, re-exported) turns an exception into the one line a widget shows instead of a
traceback. ``image_format``
(the client's magic-number sniff, re-exported) names the format of image bytes for
``ipywidgets.Image.format``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from astria_widgets.client.durations import format_duration
from astria_widgets.client.errors import short_error
from astria_widgets.client.uploads import image_format
from astria_widgets.imaging.checks import format_size

__all__ = ["ERROR_COLOR", "error_html", "errors_html", "format_duration", "format_size",
           "image_format", "short_error", "shown_thumbnail"]

ERROR_COLOR = "var(--jp-error-color1, #c62828)"
"""The colour of error messages: JupyterLab's theme colour, a fixed red elsewhere."""


def error_html(text: str) -> str:
    """``text``, escaped, as a red error message."""
    return f'<span style="color: {ERROR_COLOR}">{html.escape(text)}</span>'


def errors_html(messages: Iterable[str]) -> str:
    """One red line per message (``""`` for none)."""
    return "<br>".join(error_html(m) for m in messages)




def shown_thumbnail(data: bytes, size: int) -> bytes:
    """A ``size`` px thumbnail of generated image bytes for a view (keeps widget state small);
    the original bytes when Pillow cannot read them (a view must show *something*)."""
    try:
        from astria_widgets.imaging.thumbnails import make_thumbnail

        return make_thumbnail(data, size=size)
    except Exception:  # noqa: BLE001
        return data


