"""Short real MP4 files for simulated video prompts (PyAV, the optional ``video`` extra).

``pip install 'astria-widgets[video]'`` installs PyAV (FFmpeg in its wheels). Without it the
sandbox still starts; a video prompt is then refused with 422 saying so (``video_params``), so
nobody gets a PNG where a video belongs. A video shows the prompt text over a moving colour
field with a progress bar, at ``FPS`` frames per second for the prompt's ``video_duration``,
H.264 in an MP4 container, longest side ``MAX_SIDE`` px (even sizes, as H.264 needs).
"""

from __future__ import annotations

import colorsys
import hashlib
import importlib.util
import io
import textwrap
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

FPS = 4
MAX_SIDE = 320
EXTRA_HINT = "pip install 'astria-widgets[video]' (PyAV)"
RATIOS = {"1:1": (1, 1), "16:9": (16, 9), "9:16": (9, 16), "21:9": (21, 9), "9:21": (9, 21),
          "3:2": (3, 2), "2:3": (2, 3), "5:4": (5, 4), "4:5": (4, 5), "4:3": (4, 3),
          "3:4": (3, 4)}


def encoder_available() -> bool:
    """True when PyAV can be imported (the ``video`` extra is installed)."""
    return importlib.util.find_spec("av") is not None


def video_size(aspect_ratio: str | None) -> tuple[int, int]:
    """Frame size for an aspect ratio (default 16:9), longest side ``MAX_SIDE``, even."""
    rw, rh = RATIOS.get(aspect_ratio or "16:9", (16, 9))
    scale = MAX_SIDE / max(rw, rh)
    return max(16, int(rw * scale) // 2 * 2), max(16, int(rh * scale) // 2 * 2)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _frame(size: tuple[int, int], lines: list[str], footer: str, hue: float,
           progress: float) -> Image.Image:
    width, height = size
    shift = (hue + 0.25 * progress) % 1
    top = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(shift, 0.6, 0.85))
    bottom = tuple(int(c * 255) for c in colorsys.hsv_to_rgb((shift + 0.15) % 1, 0.7, 0.4))
    column = Image.linear_gradient("L").resize((1, height))
    image = Image.composite(Image.new("RGB", (1, height), bottom),
                            Image.new("RGB", (1, height), top), column).resize(size)
    draw = ImageDraw.Draw(image)
    font, small = _font(max(12, width // 22)), _font(max(10, width // 32))
    y = height // 10
    for line in lines[:6]:
        draw.text((width // 16 + 1, y + 1), line, font=font, fill=(0, 0, 0))
        draw.text((width // 16, y), line, font=font, fill=(255, 255, 255))
        y += int(font.size * 1.3) if hasattr(font, "size") else 16
    bar_y = height - height // 6
    draw.rectangle((width // 16, bar_y, width - width // 16, bar_y + 4), fill=(30, 30, 30))
    draw.rectangle((width // 16, bar_y, width // 16 + int((width - width // 8) * progress),
                    bar_y + 4), fill=(255, 255, 255))
    draw.text((width // 16, bar_y + 8), footer, font=small, fill=(240, 240, 240))
    return image


def render_mp4(text: str, seconds: int, *, label: str, seed: int | None = None,
               aspect_ratio: str | None = None) -> bytes:
    """An H.264 MP4 of ``seconds`` showing ``text``; ``label`` goes in the footer."""
    import av  # the optional extra; callers check encoder_available() first

    size = video_size(aspect_ratio)
    digest = hashlib.sha256(f"{label}:{seed}".encode()).digest()
    hue = digest[0] / 255
    lines = textwrap.wrap(text or "(no text)", width=max(12, size[0] // 11))
    frames = max(1, int(seconds * FPS))
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "30"}
        for i in range(frames):
            footer = f"{label} - {i / FPS:.2f}s / {seconds}s"
            image = _frame(size, lines, footer, hue, i / max(1, frames - 1))
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
