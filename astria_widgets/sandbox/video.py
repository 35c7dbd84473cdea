"""Short real MP4 files for simulated video prompts (PyAV, the optional ``video`` extra).

``pip install 'astria-widgets[video]'`` installs PyAV (FFmpeg in its wheels). Without it the
sandbox still starts; a video prompt is then refused with 422 saying so (``video_params``), so
nobody gets a PNG where a video belongs. A video shows the prompt text over a moving colour
field with a progress bar, at ``FPS`` frames per second for the prompt's ``video_duration``,
H.264 in an MP4 container, longest side ``MAX_SIDE`` px (even sizes, as H.264 needs). A video
with generated audio (``video_audio``) also has an AAC soundtrack: a short beep each second.
"""

from __future__ import annotations

import colorsys
import hashlib
import importlib.util
import io
import math
import textwrap
from array import array
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

FPS = 4
MAX_SIDE = 320
AUDIO_RATE = 16_000  # Hz, mono
AUDIO_CHUNK = 1_000  # samples per AudioFrame (a video frame holds four)
TONE_HZ = 440
BEEP_SECONDS = 0.25
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


@lru_cache(maxsize=1)
def _beeps() -> bytes:
    """Two seconds of the soundtrack, which repeats every second: a short 440 Hz beep, then
    silence (16-bit mono PCM); any one-second stretch is a slice of it."""
    samples = array("h")
    for n in range(AUDIO_RATE):
        t = n / AUDIO_RATE
        envelope = max(0.0, 1 - t / BEEP_SECONDS) if t < BEEP_SECONDS else 0.0
        samples.append(int(9000 * envelope * math.sin(2 * math.pi * TONE_HZ * t)))
    return samples.tobytes() * 2


def _audio_frames(av: Any, start: float, end: float) -> Iterator[Any]:
    """AudioFrames of the soundtrack between ``start`` and ``end`` seconds."""
    beeps = _beeps()
    first, last = round(start * AUDIO_RATE), round(end * AUDIO_RATE)
    for pts in range(first, last, AUDIO_CHUNK):
        count = min(AUDIO_CHUNK, last - pts)
        offset = pts % AUDIO_RATE
        data = beeps[2 * offset: 2 * (offset + count)]
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(data)
        frame.sample_rate, frame.pts = AUDIO_RATE, pts
        yield frame


def render_mp4(text: str, seconds: int, *, label: str, seed: int | None = None,
               aspect_ratio: str | None = None, audio: bool = False) -> bytes:
    """An H.264 MP4 of ``seconds`` showing ``text``; ``label`` goes in the footer; ``audio``:
    with an AAC soundtrack (a beep each second) as long as the video."""
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
        sound = container.add_stream("aac", rate=AUDIO_RATE, layout="mono") if audio else None
        for i in range(frames):
            footer = f"{label} - {i / FPS:.2f}s / {seconds}s"
            image = _frame(size, lines, footer, hue, i / max(1, frames - 1))
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
            for frame in _audio_frames(av, i / FPS, (i + 1) / FPS) if sound else ():
                container.mux(sound.encode(frame))  # type: ignore[union-attr]
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            container.mux(sound.encode())
    return buffer.getvalue()
