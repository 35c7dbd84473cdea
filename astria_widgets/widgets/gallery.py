"""A wrapping grid of generated images that grows as prompts finish.

The progress view's worker thread downloads each image through the client (the browser may not
reach the API or sandbox directly, e.g. on Binder) and calls :meth:`Gallery.add`; adding only
creates widgets and sets the ``children`` trait, which is safe from a background thread. A lock
keeps concurrent adds from losing each other.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as w
import traitlets

from astria_widgets.widgets.formatting import image_format, shown_thumbnail

_THUMBNAIL_SIZE = 256


class Gallery(w.Box):
    """Generated images with a caption each, appended as they arrive."""

    count = traitlets.Int(0, help="number of images shown")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._urls: list[str] = []
        super().__init__(
            children=(),
            layout=w.Layout(display="flex", flex_flow="row wrap"),
        )
        self.add_class("astria-gallery")

    @property
    def urls(self) -> list[str]:
        """The source URL of each image shown, in order."""
        with self._lock:
            return list(self._urls)

    def add(self, data: bytes, caption: str = "", url: str = "") -> w.Image:
        """Show the image ``data`` with ``caption``; return its ``ipywidgets.Image``."""
        thumb = shown_thumbnail(data, _THUMBNAIL_SIZE)
        image = w.Image(value=thumb, format=image_format(thumb) or "png",
                        layout=w.Layout(width="160px"))
        image.add_class("astria-gallery-image")
        label = w.HTML(f"<small>{html.escape(caption)}</small>") if caption else w.HTML()
        item = w.VBox([image, label], layout=w.Layout(align_items="center", margin="3px"))
        item.add_class("astria-gallery-item")
        with self._lock:
            self._urls.append(url)
            self.children = (*self.children, item)
            self.count = len(self.children)
        return image

    def clear(self) -> None:
        """Remove every image."""
        with self._lock:
            old = self.children
            self.children = ()
            self._urls.clear()
            self.count = 0
        for item in old:
            item.close()

    def __repr__(self) -> str:
        return f"Gallery(images={self.count})"
