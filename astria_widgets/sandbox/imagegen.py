"""Generated images of the sandbox: a picture that shows what a prompt asked for.

``generate(ImageRequest)`` is a pure function of its request (Pillow and numpy, no I/O), so
the same request always gives the same bytes:

- the seed draws the composition and the palette of a landscape (``scene.py``), so each seed
  of a sweep looks different while the same seed keeps its layout when the options change;
  colour words in the text (red, golden, forest, ocean, night...) steer the palette;
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

import io
import textwrap
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps

from .looks import (
    apply_color_grading,
    apply_control,
    apply_detail,
    apply_film_grain,
    apply_guidance,
    apply_style,
)
from .scene import Palette, Subject, draw_scene, figure_places, make_palette

DEFAULT_DENOISING = 0.8
DEFAULT_CONTROL_SCALE = 0.8


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


def _draw_labels(layer: Image.Image, subjects: tuple[Subject, ...], seed: int) -> None:
    draw = ImageDraw.Draw(layer)
    for subject, (cx, unit) in zip(subjects, figure_places(layer.size, len(subjects), seed),
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


def _stylised_copy(source: Image.Image, scene: Image.Image, palette: Palette) -> Image.Image:
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
    palette = make_palette(rng, request.text)
    layout = np.random.default_rng(request.seed)
    scene = draw_scene(request.size, palette, layout, request.subjects, request.seed)
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
