"""Fast, upright thumbnails of training images, cached by content hash.

A JPEG is decoded at reduced size (``Image.draft``: libjpeg scales by 1/2, 1/4 or 1/8 while
decoding), so a 12-megapixel phone photo never exists at full size in memory. EXIF rotation is
applied (``ImageOps.exif_transpose``), so portrait photos stand upright. Results are kept in a
small thread-safe LRU cache keyed by ``(sha256, size, quality)``; the function is safe to call from
worker threads.

:func:`preview_jpeg` is the one rule of what a browser is sent for a result shown small (the
studio's grid): a JPEG thumbnail of :data:`PREVIEW_SIDE` px at most :data:`MAX_PREVIEW_BYTES`,
or nothing when the bytes are no picture Pillow reads, never the original image.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict

from PIL import Image, ImageOps

from astria_widgets.imaging.checks import MAX_PIXELS
from astria_widgets.imaging.convert import flatten

THUMBNAIL_CACHE_SIZE = 512
"""How many thumbnails the cache keeps (a 128 px JPEG is about 5 KB)."""
PREVIEW_SIDE = 192
"""The side in px of a result's preview (the studio grid's cell): what the watches make as a
generated image arrives (``WatchedImage.preview``)."""
MAX_PREVIEW_BYTES = 32 * 1024
"""The most a preview may weigh (JPEG bytes); a busier picture is re-encoded at lower quality."""
_PREVIEW_QUALITIES = (85, 70, 50, 30)


class LRUCache:
    """A bounded mapping that forgets the least recently used entry; thread-safe.

    ``make_thumbnail`` keeps its results in one, keyed by ``(sha256 hex digest, size,
    quality)``.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[tuple[str | int, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str | int, ...]) -> bytes | None:
        """The value stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple[str | int, ...], value: bytes) -> None:
        """Store ``value``; the least recently used entry goes when over ``maxsize``."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_CACHE = LRUCache(THUMBNAIL_CACHE_SIZE)


def make_thumbnail(data: bytes, size: int = 128, quality: int = 85) -> bytes:
    """JPEG bytes (at ``quality``) of an upright thumbnail fitting in ``size`` x ``size`` pixels.

    Transparent areas are flattened onto white; only the first frame of an animation is used.
    Raises ``ValueError`` for an image over ``MAX_PIXELS`` (a possible decompression bomb) and
    Pillow's errors (``UnidentifiedImageError``, ``OSError``) for data it cannot decode.
    """
    if size < 1:
        raise ValueError(f"thumbnail size must be positive, got {size}")
    key = (hashlib.sha256(data).hexdigest(), size, quality)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    thumb = _render(data, size, quality)
    _CACHE.put(key, thumb)
    return thumb


def preview_jpeg(data: bytes, side: int = PREVIEW_SIDE) -> bytes | None:
    """A JPEG of ``data`` fitting ``side`` x ``side`` px and :data:`MAX_PREVIEW_BYTES`, or
    ``None`` when ``data`` is not a picture Pillow can read (a video, a broken download, an
    image over ``MAX_PIXELS``): a view then shows a note, never the original bytes.

    Not cached here: the watch keeps each image's preview beside its bytes.
    """
    if side < 1:
        raise ValueError(f"preview side must be positive, got {side}")
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                return None
            im.draft("RGB" if im.mode in ("RGB", "YCbCr") else None, (side, side))
            upright = ImageOps.exif_transpose(im)
        small = flatten(upright)
        small.thumbnail((side, side), Image.Resampling.LANCZOS)
    except Exception:  # noqa: BLE001 - any undecodable input: no preview
        return None
    out = b""
    for quality in _PREVIEW_QUALITIES:
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=quality, optimize=True)
        out = buffer.getvalue()
        if len(out) <= MAX_PREVIEW_BYTES:
            return out
    return None


def clear_thumbnail_cache() -> None:
    """Forget every cached thumbnail (benchmarks use it to measure cold runs)."""
    _CACHE.clear()


def _render(data: bytes, size: int, quality: int) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        if im.width * im.height > MAX_PIXELS:
            raise ValueError(
                f"{im.width}x{im.height} px is over the {MAX_PIXELS} pixel limit; not decoded"
            )
        im.draft("RGB" if im.mode in ("RGB", "YCbCr") else None, (size, size))
        upright = ImageOps.exif_transpose(im)  # decodes (at the draft scale) and rotates
    small = flatten(upright)
    small.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=quality, optimize=quality < 85)
    return out.getvalue()
