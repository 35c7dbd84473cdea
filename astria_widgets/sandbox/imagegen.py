"""Generated images of the sandbox: a picture that shows what a prompt asked for.

``generate(ImageRequest)`` is a pure function of its request (Pillow and numpy, no I/O), so
the same request always gives the same bytes:

- the seed draws the composition and the palette: a sky, a sun or moon, three ridges of hills
  (and water or stars when the text asks for them), so each seed of a sweep looks different
  while the same seed keeps its layout when the options change. Colour words in the text
  (red, golden, forest, ocean, night...) steer the palette;
- the text is written on the image; the negative prompt is shown small, prefixed "not:";
  the seed, cfg scale, steps and other options are listed in a footer;
- each referenced tune (a LoRA or FaceID reference, or the checkpoint the prompt runs on) is a
  figure in the foreground whose colours come from its id, labelled with its title;
- ``cfg_scale``, ``steps``, ``style``, ``color_grading``, ``film_grain`` and
  ``super_resolution`` change the look (``looks.py``);
- with an input image the result is a tinted, stylised copy of it (its light and dark areas
  kept, recoloured with the seed's palette) blended over the input by ``denoising_strength``
  (0 keeps the input, 1 is the full restyle; default 0.8); a mask (white = repaint, grey =
  partly) confines every change, the caption included, to its white area: outside it the
  input's pixels are returned unchanged;
- a ``controlnet`` holds the result to the input's outlines or light and shade
  (``looks.apply_control``) by ``controlnet_conditioning_scale`` (sandbox default 0.8, the
  docs give none); with ``controlnet_txt2img`` the input only guides a text-to-image picture
  (no blending with the input, no mask).
"""

from __future__ import annotations

import colorsys
import io
import re
import textwrap
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFont, ImageOps

from .looks import (
    apply_color_grading,
    apply_control,
    apply_detail,
    apply_film_grain,
    apply_guidance,
    apply_style,
)

DEFAULT_DENOISING = 0.8
DEFAULT_CONTROL_SCALE = 0.8
HUE_WORDS = {
    "red": 0.0, "crimson": 0.98, "orange": 0.07, "sunset": 0.05, "autumn": 0.08,
    "golden": 0.12, "gold": 0.12, "yellow": 0.15, "desert": 0.11, "green": 0.3, "forest": 0.3,
    "jungle": 0.33, "teal": 0.48, "blue": 0.6, "ocean": 0.56, "sea": 0.56, "purple": 0.76,
    "violet": 0.78, "pink": 0.92, "magenta": 0.88,
}
NIGHT_WORDS = {"night", "moon", "moonlit", "stars", "starry", "midnight", "dark"}
WATER_WORDS = {"sea", "ocean", "lake", "beach", "river", "water", "harbor", "harbour", "coast"}
PALE_WORDS = {"snow", "snowy", "winter", "fog", "foggy", "mist", "misty", "pastel"}
WORD = re.compile(r"[a-z]+")
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Subject:
    """A tune shown in the picture: its id (which picks its colours) and a label."""

    tune_id: int
    label: str


@dataclass(frozen=True)
class ImageRequest:
    """Everything one generated image depends on (the rendered pixels follow from it alone)."""

    text: str
    seed: int
    size: tuple[int, int]
    negative_prompt: str | None = None
    cfg_scale: float | None = None
    steps: int | None = None
    style: str | None = None
    color_grading: str | None = None
    film_grain: bool = False
    super_resolution: bool = False
    notes: tuple[str, ...] = ()
    subjects: tuple[Subject, ...] = ()
    input_image: Image.Image | None = None
    mask_image: Image.Image | None = None
    denoising_strength: float | None = None
    controlnet: str | None = None
    controlnet_scale: float | None = None
    controlnet_txt2img: bool = False


@dataclass(frozen=True)
class _Palette:
    sky_top: RGB
    sky_low: RGB
    sun: RGB
    hills: tuple[RGB, RGB, RGB]
    shadow: RGB
    light: RGB
    night: bool
    water: bool


def _rgb(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return int(r * 255), int(g * 255), int(b * 255)


def _palette(rng: np.random.Generator, text: str) -> _Palette:
    found = WORD.findall(text.lower())
    words = set(found)
    hue = float(rng.random())
    spread = float(rng.uniform(0.06, 0.2))
    named = [HUE_WORDS[w] for w in found if w in HUE_WORDS]
    if named:
        hue = named[0] + (hue - 0.5) * 0.16
    hill_hue = hue + (0.03 if named else 0.5)  # a named colour tints the land too
    night = bool(words & NIGHT_WORDS)
    pale = 0.45 if words & PALE_WORDS else 1.0
    light = 0.35 if night else 1.0
    hills = tuple(
        _rgb(hill_hue + spread * (k - 1) / 2, (0.35 + 0.15 * k) * pale, (0.62 - 0.17 * k) * light)
        for k in range(3)
    )
    return _Palette(
        sky_top=_rgb(hue, 0.6 * pale, 0.72 * light),
        sky_low=_rgb(hue + spread, 0.28 * pale, 0.98 * light ** 0.7),
        sun=(235, 235, 250) if night else _rgb(hue + 0.1, 0.35, 1.0),
        hills=hills,  # type: ignore[arg-type]
        shadow=_rgb(hill_hue + 0.05, 0.7, 0.22),
        light=_rgb(hue + spread, 0.25, 1.0),
        night=night,
        water=bool(words & WATER_WORDS),
    )


def _column(size: tuple[int, int], top: RGB, bottom: RGB, start: float = 0.0,
            stop: float = 1.0) -> Image.Image:
    """A vertical gradient: ``top`` above ``start`` (a fraction of the height), ``bottom``
    below ``stop``, linear between."""
    width, height = size
    t = np.clip((np.linspace(0.0, 1.0, height) - start) / max(stop - start, 1e-6), 0, 1)
    colours = np.array(top, np.float32) + (np.array(bottom, np.float32)
                                           - np.array(top, np.float32)) * t[:, None]
    column = Image.fromarray(colours.astype(np.uint8)[:, None, :], "RGB")
    return column.resize((width, height), Image.Resampling.NEAREST)


def _scene(request: ImageRequest, palette: _Palette, rng: np.random.Generator) -> Image.Image:
    width, height = request.size
    horizon = float(rng.uniform(0.5, 0.68))
    scene = _column(request.size, palette.sky_top, palette.sky_low, 0.0, horizon)
    sun_x, sun_y = float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.12, horizon - 0.12))
    radius = float(rng.uniform(0.05, 0.1)) * height
    cx, cy = sun_x * width, sun_y * height
    glow = int(radius * 3.5)
    halo = ImageOps.invert(Image.radial_gradient("L")).resize((2 * glow, 2 * glow))
    halo = halo.point(lambda v: int(v * v / 255 * 0.55))
    scene.paste(palette.sun, (int(cx) - glow, int(cy) - glow), halo)
    ImageDraw.Draw(scene).ellipse((cx - radius, cy - radius, cx + radius, cy + radius),
                                  fill=palette.sun)
    draw = ImageDraw.Draw(scene)
    if palette.night:
        count = width * height // 900
        xs, ys = rng.integers(0, width, count), rng.integers(0, int(horizon * height), count)
        draw.point(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=(255, 255, 240))
    x = np.linspace(0.0, 1.0, max(2, width // 4 + 1))
    for k in range(3):
        phases = rng.uniform(0, 2 * np.pi, 3)
        freqs = rng.uniform(1.0, 4.0, 3) * (k + 1)
        amps = rng.uniform(0.02, 0.07, 3) / (k + 1) ** 0.3
        ridge = horizon - 0.1 + 0.13 * k + sum(
            a * np.sin(2 * np.pi * f * x + p) for a, f, p in zip(amps, freqs, phases,
                                                                 strict=True))
        outline = [(float(u) * width, float(v) * height) for u, v in zip(x, ridge, strict=True)]
        mask = Image.new("L", request.size, 0)
        ImageDraw.Draw(mask).polygon(outline + [(width, height), (0, height)], fill=255)
        top = float(ridge.min())
        fill = _column(request.size, palette.hills[k], palette.shadow, top, top + 0.9)
        scene.paste(fill, (0, 0), mask)
    if palette.water:
        line = int(height * (horizon + 0.12))
        if line < height:
            depth = height - line
            mirrored = scene.crop((0, max(0, line - depth), width, line)).transpose(
                Image.Transpose.FLIP_TOP_BOTTOM)
            mirrored = ImageEnhance.Brightness(mirrored).enhance(0.8)
            ripples = ImageDraw.Draw(mirrored)
            for row in range(3, mirrored.height, max(3, height // 60)):
                ripples.line((0, row, width, row), fill=palette.sky_low, width=1)
            scene.paste(mirrored.resize((width, depth)), (0, line))
    if request.subjects:
        _draw_subjects(scene, request.subjects, request.seed)
    return scene


def _subject_colours(tune_id: int) -> tuple[RGB, RGB, RGB]:
    key = zlib.crc32(f"tune:{tune_id}".encode())
    hue = (key & 0xFFFF) / 0xFFFF
    skins = ((241, 204, 170), (222, 172, 130), (172, 118, 82), (120, 80, 54))
    hair = ((40, 30, 25), (95, 60, 30), (200, 160, 90), (140, 50, 30))
    return skins[key >> 16 & 3], hair[key >> 18 & 3], _rgb(hue, 0.65, 0.8)


def _figure_places(size: tuple[int, int], count: int, seed: int) -> list[tuple[float, float]]:
    """(centre x, unit) of each of ``count`` figures standing at the bottom of the picture
    (the seed moves them a little sideways)."""
    width, height = size
    unit = min(width / (count * 2.4 + 0.6), height / 4.2)
    shift = (seed * 2654435761 % 1000 / 1000 - 0.5) * 0.12 / max(count, 1)
    return [(width * ((i + 1) / (count + 1) + shift), unit) for i in range(count)]


def _draw_subjects(scene: Image.Image, subjects: tuple[Subject, ...], seed: int) -> None:
    draw = ImageDraw.Draw(scene)
    height = scene.height
    for subject, (cx, unit) in zip(subjects, _figure_places(scene.size, len(subjects), seed),
                                   strict=True):
        skin, hair, clothes = _subject_colours(subject.tune_id)
        line = max(1, int(unit / 25))
        top = height - unit * 2.9
        draw.rounded_rectangle((cx - unit * 0.85, top + unit * 1.35, cx + unit * 0.85,
                                height + unit), radius=int(unit * 0.45), fill=clothes,
                               outline=(20, 20, 20), width=line)
        draw.rectangle((cx - unit * 0.14, top + unit * 1.0, cx + unit * 0.14, top + unit * 1.4),
                       fill=skin, outline=(20, 20, 20), width=line)
        draw.ellipse((cx - unit * 0.42, top - unit * 0.06, cx + unit * 0.42, top + unit * 0.6),
                     fill=hair)
        draw.ellipse((cx - unit * 0.36, top + unit * 0.08, cx + unit * 0.36, top + unit * 1.1),
                     fill=skin, outline=(20, 20, 20), width=line)
        eye = max(1.5, unit * 0.05)
        for side in (-1, 1):
            ex, ey = cx + side * unit * 0.14, top + unit * 0.52
            draw.ellipse((ex - eye, ey - eye, ex + eye, ey + eye), fill=(30, 25, 25))
        draw.arc((cx - unit * 0.14, top + unit * 0.62, cx + unit * 0.14, top + unit * 0.86),
                 20, 160, fill=(120, 40, 40), width=line)


def _draw_labels(layer: Image.Image, subjects: tuple[Subject, ...], seed: int) -> None:
    draw = ImageDraw.Draw(layer)
    for subject, (cx, unit) in zip(subjects, _figure_places(layer.size, len(subjects), seed),
                                   strict=True):
        font = load_font(max(10, int(unit / 5)))
        label = subject.label[:24]
        box = draw.textbbox((0, 0), label, font=font)
        lx, ly = cx - (box[2] - box[0]) / 2, layer.height - unit * 1.05
        draw.rounded_rectangle((lx - 5, ly - 3, lx + box[2] - box[0] + 5, ly + box[3] + 3),
                               radius=4, fill=(250, 250, 250, 230))
        draw.text((lx, ly), label, font=font, fill=(20, 20, 20, 255))


@lru_cache(maxsize=16)
def load_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at ``size`` pixels (cached)."""
    return ImageFont.load_default(size=size)


def fit(image: Image.Image, size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """``image`` (EXIF-upright) scaled and centre-cropped to exactly ``size``, in ``mode``."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGBA")
        background = Image.new("RGBA", upright.size, (255, 255, 255, 255))
        upright = Image.alpha_composite(background, upright)
    converted = upright.convert(mode)
    if converted.size == size:
        return converted
    return ImageOps.fit(converted, size, Image.Resampling.LANCZOS)


def _stylised_copy(source: Image.Image, scene: Image.Image, palette: _Palette) -> Image.Image:
    """The input recoloured with the palette (a gradient map of its light), with a hint of
    the scene: its structure stays, so a strong denoising still looks like the input."""
    tinted = ImageOps.colorize(source.convert("L"), palette.shadow, palette.light)
    return Image.blend(Image.blend(source, tinted, 0.7), scene, 0.15)


def _footer(request: ImageRequest) -> list[str]:
    first = [f"seed {request.seed}"]
    if request.cfg_scale is not None:
        first.append(f"cfg {request.cfg_scale:g}")
    if request.steps is not None:
        first.append(f"{request.steps} steps")
    guide_only = bool(request.controlnet and request.controlnet_txt2img)
    if request.input_image is not None and not guide_only:
        strength = (DEFAULT_DENOISING if request.denoising_strength is None
                    else request.denoising_strength)
        first.append(f"denoise {strength:g}")
    if request.input_image is not None and request.controlnet:
        scale = (DEFAULT_CONTROL_SCALE if request.controlnet_scale is None
                 else request.controlnet_scale)
        first.append(f"controlnet {request.controlnet} {scale:g}"
                     + (" txt2img" if guide_only else ""))
    second = [s for s in (request.style, request.color_grading) if s]
    if request.film_grain:
        second.append("film grain")
    if request.super_resolution:
        second.append("super resolution")
    second += request.notes
    return [" · ".join(first)] + ([" · ".join(second)] if second else [])


def _caption(request: ImageRequest, size: tuple[int, int]) -> Image.Image:
    """The text, negative prompt and footer on a transparent layer of ``size``."""
    width, height = size
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    font = load_font(max(12, min(width, height * 2) // 20))
    small = load_font(max(10, min(width, height * 2) // 36))
    margin = max(6, width // 32)
    chars = max(10, int((width - 2 * margin) / (font.size * 0.52)))
    lines = textwrap.wrap(request.text or "(no text)", width=chars)
    limit = max(1, int(height * 0.42 / (font.size * 1.25)))
    if len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = lines[-1][: max(1, chars - 1)] + "…"
    negative = textwrap.wrap(f"not: {request.negative_prompt}",
                             width=int(chars * font.size / small.size))[:2] \
        if request.negative_prompt else []
    step, small_step = font.size * 1.25, small.size * 1.3
    panel_bottom = margin + len(lines) * step + len(negative) * small_step + margin / 2
    draw.rectangle((0, 0, width, panel_bottom), fill=(0, 0, 0, 120))
    y = margin
    for line in lines:
        draw.text((margin, y), line, font=font, fill=(255, 255, 255, 255))
        y += step
    for line in negative:
        draw.text((margin, y), line, font=small, fill=(255, 200, 200, 255))
        y += small_step
    footer = _footer(request)
    top = height - margin / 2 - len(footer) * small_step
    draw.rectangle((0, top - margin / 3, width, height), fill=(0, 0, 0, 110))
    for i, line in enumerate(footer):
        draw.text((margin, top + i * small_step), line, font=small, fill=(235, 235, 235, 255))
    return layer


def generate(request: ImageRequest) -> Image.Image:
    """The RGB picture for ``request`` (deterministic)."""
    rng = np.random.default_rng([request.seed, 7])
    palette = _palette(rng, request.text)
    layout = np.random.default_rng(request.seed)
    scene = _scene(request, palette, layout)
    source = None if request.input_image is None else fit(request.input_image, request.size)
    guide_only = source is not None and bool(request.controlnet and request.controlnet_txt2img)
    layer = scene if source is None or guide_only else _stylised_copy(source, scene, palette)
    if source is not None and request.controlnet:
        scale = (DEFAULT_CONTROL_SCALE if request.controlnet_scale is None
                 else float(request.controlnet_scale))
        layer = apply_control(layer, source, request.controlnet, scale)
    layer = apply_guidance(layer, request.cfg_scale, request.steps, rng)
    layer = apply_style(layer, request.style, rng)
    layer = apply_color_grading(layer, request.color_grading)
    if request.super_resolution:
        layer = apply_detail(layer)
    if request.film_grain:
        layer = apply_film_grain(layer, rng)
    mask = (None if source is None or guide_only or request.mask_image is None
            else fit(request.mask_image, request.size, "L"))
    box = (0, 0, *request.size) if mask is None else mask.getbbox() or (0, 0, *request.size)
    caption = Image.new("RGBA", request.size, (0, 0, 0, 0))
    _draw_labels(caption, request.subjects, request.seed)
    caption.alpha_composite(_caption(request, (box[2] - box[0], box[3] - box[1])), box[:2])
    if source is None or guide_only:
        layer.paste(caption, (0, 0), caption)
        return layer
    strength = (DEFAULT_DENOISING if request.denoising_strength is None
                else float(request.denoising_strength))
    if mask is None:
        mask = Image.new("L", request.size, 255)
    blend = mask.point(lambda v: int(v * strength + 0.5))
    result = Image.composite(layer, source, blend)
    result.paste(caption, (0, 0), ImageChops.multiply(caption.getchannel("A"), mask))
    return result


def generate_png(request: ImageRequest) -> bytes:
    """``generate(request)`` encoded as PNG."""
    buffer = io.BytesIO()
    generate(request).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
