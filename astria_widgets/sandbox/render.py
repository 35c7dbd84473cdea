"""Pillow pictures for the sandbox: generated images showing the prompt text, and stand-in
training photos for seeded history.

Images are small (longest side 512 px, the requested aspect ratio kept) and their colours
follow a hash of (prompt id, seed, image index), so images of different prompts or seeds look
different while one image is the same every time it is rendered. Rendering is lazy: the file
route renders on first request and caches the PNG on disk (``cached_render``), so creating a
thousand prompts costs nothing until their images are looked at.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import os
import tempfile
import textwrap
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

MAX_SIDE = 512
ASPECT_RATIOS = {
    "1:1": (1, 1), "16:9": (16, 9), "9:16": (9, 16), "21:9": (21, 9), "9:21": (9, 21),
    "3:2": (3, 2), "2:3": (2, 3), "5:4": (5, 4), "4:5": (4, 5), "4:3": (4, 3), "3:4": (3, 4),
    "portrait": (2, 3), "landscape": (3, 2),
}


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def output_size(w: int | None, h: int | None, aspect: str | None) -> tuple[int, int]:
    """Pixel size of a rendered image: w/h win over the aspect ratio; longest side 512."""
    if w and h:
        rw, rh = w, h
    else:
        rw, rh = ASPECT_RATIOS.get(aspect or "1:1", (1, 1))
    scale = MAX_SIDE / max(rw, rh)
    return max(64, int(rw * scale) // 8 * 8), max(64, int(rh * scale) // 8 * 8)


def _palette(key: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(key.encode()).digest()
    hue = digest[0] / 255
    top = colorsys.hsv_to_rgb(hue, 0.55 + digest[1] / 255 * 0.3, 0.85)
    bottom = colorsys.hsv_to_rgb((hue + 0.12 + digest[2] / 255 * 0.2) % 1, 0.7, 0.45)
    return (
        tuple(int(c * 255) for c in top),  # type: ignore[return-value]
        tuple(int(c * 255) for c in bottom),
    )


def _gradient(size: tuple[int, int], key: str) -> Image.Image:
    top, bottom = _palette(key)
    column = Image.linear_gradient("L").resize((1, size[1]))
    image = Image.composite(
        Image.new("RGB", (1, size[1]), bottom), Image.new("RGB", (1, size[1]), top), column
    )
    return image.resize(size)


def _caption(image: Image.Image, lines: list[str], footer: str) -> None:
    draw = ImageDraw.Draw(image)
    width, height = image.size
    font = _font(max(14, width // 22))
    small = _font(max(11, width // 34))
    y = height // 8
    for line in lines[:10]:
        draw.text((width // 16 + 1, y + 1), line, font=font, fill=(0, 0, 0))
        draw.text((width // 16, y), line, font=font, fill=(255, 255, 255))
        y += int(font.size * 1.3) if hasattr(font, "size") else 18
    draw.text((width // 16, height - height // 10), footer, font=small, fill=(240, 240, 240))


def prompt_image(
    prompt_id: int, text: str, seed: int | None, index: int, count: int,
    size: tuple[int, int] = (MAX_SIDE, MAX_SIDE),
) -> bytes:
    """A PNG showing the prompt text, coloured by (prompt id, seed, index)."""
    image = _gradient(size, f"{prompt_id}:{seed}:{index}")
    chars = max(12, size[0] // 14)
    lines = textwrap.wrap(text or "(no text)", width=chars)
    footer = f"sandbox prompt {prompt_id} - seed {seed} - image {index + 1}/{count}"
    _caption(image, lines, footer)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def training_image(tune_id: int, name: str | None, index: int) -> bytes:
    """A JPEG stand-in for a training photo of a seeded tune."""
    image = _gradient((MAX_SIDE, MAX_SIDE), f"train:{tune_id}:{index}")
    draw = ImageDraw.Draw(image)
    draw.ellipse((156, 96, 356, 336), fill=(235, 200, 170), outline=(60, 40, 30), width=4)
    draw.rectangle((126, 356, 386, 512), fill=(70, 90, 140))
    _caption(image, [f"training photo {index + 1}", f"class: {name or '-'}"], f"tune {tune_id}")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def cached_render(path: Path, make: Callable[[], bytes]) -> Path:
    """Return ``path``, rendering it first (atomically) when it does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(make())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path
