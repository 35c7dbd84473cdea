"""The text-to-image picture of a sandbox render: a landscape drawn from the seed.

The seed draws the composition and the palette: a sky, a sun or moon, three ridges of hills,
and water or stars when the text asks for them, so each seed of a sweep looks different while
the same seed keeps its layout when the options change. Colour words in the text (red,
golden, forest, ocean, night...) steer the palette. Each referenced tune is a figure in the
foreground whose colours come from its id, drawn after its class name (a person, a woman with
long hair, a dog, a cat); ``figure_places`` says where, so the caption layer can label it.
Pillow drawing and numpy only; no I/O.
"""

from __future__ import annotations

import colorsys
import re
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

HUE_WORDS = {
    "red": 0.0, "crimson": 0.98, "orange": 0.07, "sunset": 0.05, "autumn": 0.08,
    "golden": 0.12, "gold": 0.12, "yellow": 0.15, "desert": 0.11, "green": 0.3, "forest": 0.3,
    "jungle": 0.33, "teal": 0.48, "blue": 0.6, "ocean": 0.56, "sea": 0.56, "purple": 0.76,
    "violet": 0.78, "pink": 0.92, "magenta": 0.88,
}
NIGHT_WORDS = {"night", "moon", "moonlit", "stars", "starry", "midnight", "dark"}
WATER_WORDS = {"sea", "ocean", "lake", "beach", "river", "water", "harbor", "harbour", "coast"}
PALE_WORDS = {"snow", "snowy", "winter", "fog", "foggy", "mist", "misty", "pastel"}
ANIMAL_WORDS = {"dog", "puppy", "cat", "kitten", "pet"}
CAT_WORDS = {"cat", "kitten"}
LONG_HAIR_WORDS = {"woman", "girl"}
WORD = re.compile(r"[a-z]+")
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Subject:
    """A tune shown in the picture: its id (which picks its colours), a label, and its class
    name (``kind``: a dog or cat is drawn as one, a woman or girl with long hair)."""

    tune_id: int
    label: str
    kind: str = "person"


@dataclass(frozen=True)
class Palette:
    """The colours of one picture (from the seed and the text's colour words)."""

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


def make_palette(rng: np.random.Generator, text: str) -> Palette:
    """Colours drawn from ``rng``, steered by colour, night, water and pale words in ``text``."""
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
    return Palette(
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


def draw_scene(size: tuple[int, int], palette: Palette, rng: np.random.Generator,
               subjects: tuple[Subject, ...] = (), seed: int = 0) -> Image.Image:
    """The picture for a palette: its layout drawn from ``rng``, ``subjects`` standing in
    front (moved sideways by ``seed``)."""
    width, height = size
    horizon = float(rng.uniform(0.5, 0.68))
    scene = _column(size, palette.sky_top, palette.sky_low, 0.0, horizon)
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
        mask = Image.new("L", size, 0)
        ImageDraw.Draw(mask).polygon(outline + [(width, height), (0, height)], fill=255)
        top = float(ridge.min())
        fill = _column(size, palette.hills[k], palette.shadow, top, top + 0.9)
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
    if subjects:
        _draw_subjects(scene, subjects, seed)
    return scene


def _subject_colours(tune_id: int) -> tuple[RGB, RGB, RGB]:
    key = zlib.crc32(f"tune:{tune_id}".encode())
    hue = (key & 0xFFFF) / 0xFFFF
    skins = ((241, 204, 170), (222, 172, 130), (172, 118, 82), (120, 80, 54))
    hair = ((40, 30, 25), (95, 60, 30), (200, 160, 90), (140, 50, 30))
    return skins[key >> 16 & 3], hair[key >> 18 & 3], _rgb(hue, 0.65, 0.8)


def figure_places(size: tuple[int, int], count: int, seed: int) -> list[tuple[float, float]]:
    """(centre x, unit) of each of ``count`` figures standing at the bottom of the picture
    (the seed moves them a little sideways)."""
    width, height = size
    unit = min(width / (count * 2.4 + 0.6), height / 4.2)
    shift = (seed * 2654435761 % 1000 / 1000 - 0.5) * 0.12 / max(count, 1)
    return [(width * ((i + 1) / (count + 1) + shift), unit) for i in range(count)]


def _draw_person(draw: ImageDraw.ImageDraw, cx: float, top: float, bottom: float,
                 unit: float, colours: tuple[RGB, RGB, RGB], long_hair: bool) -> None:
    skin, hair, clothes = colours
    line = max(1, int(unit / 25))
    if long_hair:
        draw.rounded_rectangle((cx - unit * 0.46, top + unit * 0.1, cx + unit * 0.46,
                                top + unit * 1.55), radius=int(unit * 0.3), fill=hair)
    draw.rounded_rectangle((cx - unit * 0.85, top + unit * 1.35, cx + unit * 0.85, bottom),
                           radius=int(unit * 0.45), fill=clothes, outline=(20, 20, 20),
                           width=line)
    draw.rectangle((cx - unit * 0.14, top + unit * 1.0, cx + unit * 0.14, top + unit * 1.4),
                   fill=skin, outline=(20, 20, 20), width=line)
    draw.ellipse((cx - unit * 0.42, top - unit * 0.06, cx + unit * 0.42, top + unit * 0.6),
                 fill=hair)
    draw.ellipse((cx - unit * 0.36, top + unit * 0.08, cx + unit * 0.36, top + unit * 1.1),
                 fill=skin, outline=(20, 20, 20), width=line)
    _face(draw, cx, top + unit * 0.52, unit, line)


def _draw_animal(draw: ImageDraw.ImageDraw, cx: float, top: float, bottom: float,
                 unit: float, colours: tuple[RGB, RGB, RGB], cat: bool) -> None:
    _, fur, collar = colours
    line = max(1, int(unit / 25))
    ink = (20, 20, 20)
    draw.ellipse((cx - unit * 0.95, top + unit * 1.2, cx + unit * 0.95, bottom + unit * 0.6),
                 fill=fur, outline=ink, width=line)
    for side in (-1, 1):
        if cat:  # pointed ears
            draw.polygon([(cx + side * unit * 0.5, top + unit * 0.45),
                          (cx + side * unit * 0.45, top - unit * 0.2),
                          (cx + side * unit * 0.12, top + unit * 0.2)], fill=fur, outline=ink)
        else:  # floppy ears
            draw.ellipse((cx + side * unit * 0.62 - unit * 0.2, top + unit * 0.05,
                          cx + side * unit * 0.62 + unit * 0.2, top + unit * 0.85),
                         fill=collar, outline=ink, width=line)
    draw.ellipse((cx - unit * 0.55, top, cx + unit * 0.55, top + unit * 1.1), fill=fur,
                 outline=ink, width=line)
    draw.rectangle((cx - unit * 0.5, top + unit * 1.12, cx + unit * 0.5, top + unit * 1.26),
                   fill=collar, outline=ink, width=line)
    draw.ellipse((cx - unit * 0.1, top + unit * 0.62, cx + unit * 0.1, top + unit * 0.76),
                 fill=ink)
    _face(draw, cx, top + unit * 0.45, unit, line, mouth=False)


def _face(draw: ImageDraw.ImageDraw, cx: float, eyes_y: float, unit: float, line: int,
          mouth: bool = True) -> None:
    eye = max(1.5, unit * 0.05)
    for side in (-1, 1):
        ex = cx + side * unit * 0.14
        draw.ellipse((ex - eye, eyes_y - eye, ex + eye, eyes_y + eye), fill=(30, 25, 25))
    if mouth:
        draw.arc((cx - unit * 0.14, eyes_y + unit * 0.1, cx + unit * 0.14, eyes_y + unit * 0.34),
                 20, 160, fill=(120, 40, 40), width=line)


def _draw_subjects(scene: Image.Image, subjects: tuple[Subject, ...], seed: int) -> None:
    draw = ImageDraw.Draw(scene)
    height = scene.height
    for subject, (cx, unit) in zip(subjects, figure_places(scene.size, len(subjects), seed),
                                   strict=True):
        colours = _subject_colours(subject.tune_id)
        top, bottom = height - unit * 2.9, height + unit
        kind = subject.kind.lower()
        if kind in ANIMAL_WORDS:
            _draw_animal(draw, cx, top, bottom, unit, colours, cat=kind in CAT_WORDS)
        else:
            _draw_person(draw, cx, top, bottom, unit, colours, long_hair=kind in LONG_HAIR_WORDS)
