"""The looks of a sandbox render: what ``style``, ``color_grading``, ``film_grain``,
``cfg_scale`` and ``steps`` do to a picture (Pillow and numpy, no I/O).

Each function takes and returns an RGB ``PIL.Image`` of the same size, and is deterministic
(grain and sparkles draw from a generator seeded by the caller). The effects are caricatures
chosen to be told apart at a glance in a grid of thumbnails, not imitations of a model:

- styles: Cinematic (letterbox, teal and orange), Animated (flat colours, dark outlines),
  Digital Art (saturated glow), Photographic (gentle contrast, vignette), Fantasy art (violet
  and gold, sparkles), Neonpunk (dark, glowing magenta/cyan edges), Enhance (auto-contrast,
  sharpened), Comic book (posterised, halftone dots, ink lines), Lowpoly (flat triangles),
  Line art (dark lines on paper);
- colour gradings: Film Velvia (saturated, cool shadows), Film Portra (warm, soft, lifted
  blacks), Ektar (vivid warm reds);
- controlnets: the input's outlines or its light and shade, by the conditioning scale;
- ``cfg_scale``: how strongly the prompt is followed, shown as saturation and contrast (0 is
  washed out, 7 neutral, 15 harsh); ``steps``: under 20 steps the picture is unfinished
  (blurred and noisy in proportion).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

NEUTRAL_CFG = 7.0
EDGE_CONTROLNETS = frozenset({"canny", "lineart", "mlsd", "hed", "pose", "segroom", "qr"})
CONVERGED_STEPS = 20


def _array(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255.0


def _image(array: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8), "RGB")


def _split_tone(image: Image.Image, shadows: tuple[int, int, int],
                highlights: tuple[int, int, int], amount: float) -> Image.Image:
    """``image`` with its dark parts pulled towards ``shadows`` and its light parts towards
    ``highlights`` (by ``amount``), keeping its light and dark."""
    toned = ImageOps.colorize(image.convert("L"), shadows, highlights)
    return Image.blend(image, ImageChops.overlay(image, toned), amount)


def _outlines(image: Image.Image, threshold: int, width: int) -> Image.Image:
    """A mask (L) of the strong edges of ``image``, ``width`` pixels thick."""
    edges = image.convert("L").filter(ImageFilter.SMOOTH_MORE).filter(ImageFilter.FIND_EDGES)
    mask = edges.point(lambda v: 255 if v > threshold else 0)
    return mask.filter(ImageFilter.MaxFilter(width)) if width > 1 else mask


def _cinematic(image: Image.Image, _rng: np.random.Generator) -> Image.Image:
    graded = _split_tone(image, (0, 110, 130), (255, 170, 80), 0.8)
    bar = image.height // 9
    draw = ImageDraw.Draw(graded)
    draw.rectangle((0, 0, image.width, bar - 1), fill=(0, 0, 0))
    draw.rectangle((0, image.height - bar, image.width, image.height), fill=(0, 0, 0))
    return graded


def _animated(image: Image.Image, _rng: np.random.Generator) -> Image.Image:
    flat = image.filter(ImageFilter.BoxBlur(2)).quantize(12, Image.Quantize.MEDIANCUT)
    flat = ImageEnhance.Color(flat.convert("RGB")).enhance(1.35)
    ink = _outlines(image, 24, 3)
    return Image.composite(Image.new("RGB", image.size, (25, 20, 35)), flat, ink)


def _digital_art(image: Image.Image, _rng: np.random.Generator) -> Image.Image:
    vivid = ImageEnhance.Color(image).enhance(1.7)
    glow = vivid.filter(ImageFilter.GaussianBlur(max(2, image.width // 60)))
    return ImageChops.screen(vivid, ImageEnhance.Brightness(glow).enhance(0.45))


def _vignette(array: np.ndarray, strength: float) -> np.ndarray:
    height, width = array.shape[:2]
    y = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    fall = 1 - strength * np.clip((x * x + y * y) / 2, 0, 1) ** 1.5
    return array * fall[..., None]


def _photographic(image: Image.Image, _rng: np.random.Generator) -> Image.Image:
    soft = ImageEnhance.Contrast(ImageEnhance.Color(image).enhance(0.85)).enhance(1.15)
    return _image(_vignette(_array(soft), 0.8))


def _sparkles(array: np.ndarray, rng: np.random.Generator, count: int,
              colour: tuple[float, float, float]) -> np.ndarray:
    height, width = array.shape[:2]
    ys = rng.integers(0, height, count)
    xs = rng.integers(0, width, count)
    for y, x, r in zip(ys, xs, rng.integers(1, 4, count), strict=True):
        array[max(0, y - r):y + r + 1, max(0, x - r * 3):x + r * 3 + 1] = colour
        array[max(0, y - r * 3):y + r * 3 + 1, max(0, x - r):x + r + 1] = colour
    return array


def _fantasy_art(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    array = _array(_split_tone(image, (90, 25, 140), (255, 215, 115), 0.85))
    array = _sparkles(array, rng, max(12, array.shape[1] // 12), (1.0, 0.95, 0.75))
    glow = _image(array).filter(ImageFilter.GaussianBlur(max(2, image.width // 80)))
    return ImageChops.screen(_image(array), ImageEnhance.Brightness(glow).enhance(0.3))


def _neonpunk(image: Image.Image, _rng: np.random.Generator) -> Image.Image:
    dark = _array(ImageEnhance.Brightness(image).enhance(0.35))
    edges = _array(_outlines(image, 14, 3).convert("RGB"))[..., :1]
    x = np.linspace(0, 1, image.width, dtype=np.float32)[None, :, None]
    neon = (1 - x) * np.array([1.0, 0.1, 0.8], np.float32) + x * np.array([0.1, 0.95, 1.0],
                                                                           np.float32)
    lines = _image(edges * neon)
    glow = lines.filter(ImageFilter.GaussianBlur(max(2, image.width // 90)))
    return ImageChops.add(ImageChops.screen(_image(dark), glow), lines)


def _enhance(image: Image.Image, _rng: np.random.Generator) -> Image.Image:
    punchy = ImageOps.autocontrast(image, cutoff=2)
    punchy = ImageEnhance.Color(punchy).enhance(1.2)
    return punchy.filter(ImageFilter.UnsharpMask(radius=3, percent=160, threshold=2))


def _comic_book(image: Image.Image, _rng: np.random.Generator) -> Image.Image:
    flat = ImageOps.posterize(ImageEnhance.Color(image).enhance(1.6), 2)
    width, height = image.size
    cell = max(5, width // 90)
    cells = (-(-width // cell), -(-height // cell))
    darkness = 255 - np.asarray(flat.convert("L").resize(cells, Image.Resampling.BOX))
    coverage = np.repeat(np.repeat(darkness, cell, axis=0), cell, axis=1)[:height, :width]
    offsets = np.arange(cell, dtype=np.float32) - (cell - 1) / 2
    tile = np.sqrt(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (cell * 0.7) * 255
    radius = np.tile(tile.astype(np.uint8), (cells[1], cells[0]))[:height, :width]
    dots = Image.fromarray(((radius < coverage) * 90).astype(np.uint8), "L")
    comic = ImageChops.subtract(flat, Image.merge("RGB", (dots, dots, dots)))
    ink = _outlines(image, 22, 3)
    return Image.composite(Image.new("RGB", image.size, (10, 10, 10)), comic, ink)


def _lowpoly(image: Image.Image, _rng: np.random.Generator) -> Image.Image:
    array = _array(image)
    height, width = array.shape[:2]
    cell = max(12, width // 14)
    ys, xs = np.mgrid[0:height, 0:width]
    cy, cx = ys // cell, xs // cell
    upper = (xs % cell) > (ys % cell)  # the diagonal splits a cell in two
    columns = (width + cell - 1) // cell
    labels = ((cy * columns + cx) * 2 + upper).ravel()
    counts = np.bincount(labels)
    flat = np.empty_like(array).reshape(-1, 3)
    for c in range(3):
        sums = np.bincount(labels, weights=array[..., c].ravel(), minlength=counts.size)
        flat[:, c] = (sums / np.maximum(counts, 1))[labels]
    shade = 0.92 + 0.08 * upper[..., None]  # a facet catches the light
    return _image(flat.reshape(array.shape) * shade)


def _line_art(image: Image.Image, _rng: np.random.Generator) -> Image.Image:
    lines = ImageOps.autocontrast(image.convert("L").filter(ImageFilter.SMOOTH_MORE)
                                  .filter(ImageFilter.CONTOUR), cutoff=1)
    paper = Image.new("RGB", image.size, (246, 240, 226))
    ink = ImageOps.invert(lines).point(lambda v: 255 if v > 70 else int(v * 3))
    return Image.composite(Image.new("RGB", image.size, (30, 28, 40)), paper, ink)


STYLES: dict[str, Callable[[Image.Image, np.random.Generator], Image.Image]] = {
    "Cinematic": _cinematic, "Animated": _animated, "Digital Art": _digital_art,
    "Photographic": _photographic, "Fantasy art": _fantasy_art, "Neonpunk": _neonpunk,
    "Enhance": _enhance, "Comic book": _comic_book, "Lowpoly": _lowpoly, "Line art": _line_art,
}


def apply_style(image: Image.Image, style: str | None, rng: np.random.Generator) -> Image.Image:
    """``image`` in the look of ``style`` (unchanged for None or an unknown name)."""
    look = STYLES.get(style or "")
    return look(image, rng) if look else image


def _velvia(image: Image.Image) -> Image.Image:
    vivid = ImageEnhance.Contrast(ImageEnhance.Color(image).enhance(1.5)).enhance(1.15)
    return _split_tone(vivid, (60, 25, 115), (255, 255, 240), 0.35)


def _portra(image: Image.Image) -> Image.Image:
    array = _array(ImageEnhance.Color(image).enhance(0.8))
    return _image(0.08 + 0.88 * array * np.array([1.06, 1.0, 0.86], np.float32))


def _ektar(image: Image.Image) -> Image.Image:
    array = _array(ImageEnhance.Color(image).enhance(1.35))
    warm = _image(array * np.array([1.12, 0.98, 0.9], np.float32))
    return ImageEnhance.Contrast(warm).enhance(1.1)


GRADINGS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "Film Velvia": _velvia, "Film Portra": _portra, "Ektar": _ektar,
}


def apply_color_grading(image: Image.Image, grading: str | None) -> Image.Image:
    """``image`` graded like the film stock ``grading`` (unchanged for None/unknown)."""
    grade = GRADINGS.get(grading or "")
    return grade(image) if grade else image


def apply_film_grain(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """``image`` with seeded monochrome grain."""
    noise = rng.standard_normal((image.height, image.width), dtype=np.float32) * 18 + 128
    grain = Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8), "L").convert("RGB")
    return ImageChops.add(image, grain, scale=1.0, offset=-128)


def apply_guidance(image: Image.Image, cfg_scale: float | None,
                   steps: int | None, rng: np.random.Generator) -> Image.Image:
    """``cfg_scale`` as saturation/contrast and few ``steps`` as an unfinished picture."""
    if cfg_scale is not None:
        strength = float(cfg_scale) / NEUTRAL_CFG
        image = ImageEnhance.Color(image).enhance(0.15 + 0.85 * strength)
        image = ImageEnhance.Contrast(image).enhance(0.55 + 0.45 * strength)
    if steps is not None and steps < CONVERGED_STEPS:
        missing = (CONVERGED_STEPS - steps) / CONVERGED_STEPS
        image = image.filter(ImageFilter.GaussianBlur(missing * image.width / 60))
        noise = rng.normal(0.0, 0.25 * missing, (image.height, image.width, 3))
        image = _image(_array(image) + noise.astype(np.float32))
    return image


def apply_control(image: Image.Image, source: Image.Image, kind: str,
                  scale: float) -> Image.Image:
    """``image`` held to the structure of ``source`` by a controlnet of ``kind``: the edge
    kinds (canny, lineart, mlsd, hed, pose, segroom, qr) draw the input's outlines in ink,
    the others (depth, tile, composition, reference, ipadapter, relight) lay its light and
    shade over the picture; ``scale`` (0-1) is how strongly."""
    if kind in EDGE_CONTROLNETS:
        edges = _outlines(source, 30, 3).point(lambda v: int(v * scale))
        return Image.composite(Image.new("RGB", image.size, (20, 20, 32)), image, edges)
    shade = ImageChops.overlay(image, source.convert("L").convert("RGB"))
    return Image.blend(image, shade, 0.8 * scale)


def apply_detail(image: Image.Image) -> Image.Image:
    """The crisper look of an upscaled (super resolution) picture."""
    return image.filter(ImageFilter.SHARPEN)
