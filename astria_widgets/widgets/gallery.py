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

from astria_widgets.client.uploads import video_format
from astria_widgets.widgets.fallback import StaticFallback
from astria_widgets.widgets.fallback_html import Section, gallery_section
from astria_widgets.widgets.formatting import format_size, image_format, shown_thumbnail

_THUMBNAIL_SIZE = 256
#: Videos up to this size play inline; a bigger one would not fit one widget message (the
#: server's websocket cap is 10 MiB by default), so it gets a card saying how to keep it.
MAX_INLINE_VIDEO_BYTES = 8 * 1024 * 1024


class Gallery(StaticFallback, w.Box):
    """Generated images with a caption each, appended as they arrive.

    Its output also carries a static copy (thumbnails and captions) for saved notebooks
    (:mod:`astria_widgets.widgets.fallback`).
    """

    count = traitlets.Int(0, help="number of images shown")
    static_kind = "gallery"
    static_interval = 5.0  # a copy update rebuilds the live view: not at every image

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._urls: list[str] = []
        self._items: list[tuple[str, bytes | None, str]] = []  # (caption, picture, note)
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

    def add(self, data: bytes, caption: str = "", url: str = "") -> w.DOMWidget:
        """Show the image (or video) ``data`` with ``caption``; return the widget showing it.

        Pictures become an ``ipywidgets.Image`` thumbnail, videos an ``ipywidgets.Video``
        player (or, past :data:`MAX_INLINE_VIDEO_BYTES`, a card pointing at
        ``client.download``).
        """
        image = self._view(data)
        label = w.HTML(f"<small>{html.escape(caption)}</small>") if caption else w.HTML()
        item = w.VBox([image, label], layout=w.Layout(align_items="center", margin="3px"))
        item.add_class("astria-gallery-item")
        picture = None if video_format(data) else data
        with self._lock:
            self._urls.append(url)
            self._items.append((caption, picture, "" if picture is not None else "video"))
            self.children = (*self.children, item)
            self.count = len(self.children)
        self.refresh_static()
        return image

    def static_sections(self) -> list[Section]:
        """Every picture's thumbnail and caption (videos by name), for the static copy."""
        with self._lock:
            items = list(self._items)
        return [gallery_section(items)]

    @staticmethod
    def _view(data: bytes) -> w.DOMWidget:
        kind = video_format(data)
        if kind and len(data) <= MAX_INLINE_VIDEO_BYTES:
            view: w.DOMWidget = w.Video(value=data, format=kind, autoplay=False, loop=False,
                                        controls=True, layout=w.Layout(width="160px"))
            view.add_class("astria-gallery-video")
        elif kind:
            view = w.HTML(
                f"<div style='width:160px;padding:8px;border:1px solid #ccc'>{kind.upper()} "
                f"video, {format_size(len(data))}: too big to play here; keep it with "
                "<code>client.download(prompts, folder)</code></div>")
            view.add_class("astria-gallery-video")
        else:
            thumb = shown_thumbnail(data, _THUMBNAIL_SIZE)
            view = w.Image(value=thumb, format=image_format(thumb) or "png",
                           layout=w.Layout(width="160px"))
            view.add_class("astria-gallery-image")
        return view

    def clear(self) -> None:
        """Remove every image."""
        with self._lock:
            old = self.children
            self.children = ()
            self._urls.clear()
            self._items.clear()
            self.count = 0
        self.refresh_static()
        for item in old:
            item.close()

    def __repr__(self) -> str:
        return f"Gallery(images={self.count})"
