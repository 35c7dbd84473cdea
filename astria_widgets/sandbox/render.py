"""Pictures the sandbox serves: generated prompt images and stand-in training photos.

``prompt_image`` turns a stored prompt (its text and parameters) into an ``ImageRequest`` for
``imagegen.generate``, so the picture shows what was asked (see ``imagegen``), and
``output_size`` decides its size. Rendering is lazy: the file route renders on first request
and caches the PNG on disk (``cached_render``), so creating a thousand prompts costs nothing
until their images are looked at.

Sizes (Ambiguity #24: w/h win over ``aspect_ratio``, which wins over ``ar``): ``w`` and ``h``
are kept exactly (only one of them: the other follows the aspect ratio); an aspect ratio gives
a longest side of 512 px, or 1024 with ``resolution=1K`` and 2048 with 2K or 4K; with neither,
an input image's shape is kept (longest side at most 1024), else 512x512. Sandbox choice:
``super_resolution`` doubles the size (the service upscales 4x) and no side exceeds 2048, so a
render stays in the tens of milliseconds. Image ``i`` of a prompt with seed ``s`` is drawn with
seed ``s + i`` (as batch generation does), so it equals image 0 of the same prompt with seed
``s + i``; a prompt without a seed gets a fixed seed per (prompt id, image) and shows it.

Input and mask images come through ``load`` (``files.py`` resolves stored uploads, URLs that
point back at this sandbox and images on other loopback servers). Sandbox choice: a URL it
cannot load (elsewhere: the sandbox is offline) is replaced by a stand-in picture naming the
URL as the input (and a centred oval as the mask), so the result still shows an
image-to-image prompt.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import os
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from .imagegen import ImageRequest, generate_png, load_font
from .scene import Subject

MAX_SIDE = 512
MAX_INPUT_SIDE = 1024
MAX_OUTPUT_SIDE = 2048
RESOLUTION_SIDES = {"1K": 1024, "2K": 2048, "4K": 2048}
ASPECT_RATIOS = {
    "1:1": (1, 1), "16:9": (16, 9), "9:16": (9, 16), "21:9": (21, 9), "9:21": (9, 21),
    "3:2": (3, 2), "2:3": (2, 3), "5:4": (5, 4), "4:5": (4, 5), "4:3": (4, 3), "3:4": (3, 4),
    "portrait": (2, 3), "landscape": (3, 2),
}
NOTE_FLAGS = (("hires_fix", "hires fix"), ("inpaint_faces", "inpaint faces"),
              ("face_correct", "face correct"), ("face_swap", "face swap"))
Loader = Callable[[str], Image.Image | None]


def _multiple_of_8(value: float) -> int:
    return max(64, int(value) // 8 * 8)


def output_size(
    w: int | None, h: int | None, aspect: str | None, *, resolution: str | None = None,
    input_size: tuple[int, int] | None = None, super_resolution: bool = False,
) -> tuple[int, int]:
    """Pixel size of a rendered image (the rules are in the module docstring)."""
    side = RESOLUTION_SIDES.get(resolution or "", MAX_SIDE)
    ratio = ASPECT_RATIOS.get(aspect or "")
    if ratio is None and input_size:
        ratio = input_size
    rw, rh = ratio or (1, 1)
    if w and h:
        width, height = float(w), float(h)
    elif w:
        width, height = float(w), w * rh / rw
    elif h:
        width, height = h * rw / rh, float(h)
    elif aspect in ASPECT_RATIOS or not input_size:
        scale = side / max(rw, rh)
        width, height = rw * scale, rh * scale
    else:
        longest = side if resolution else min(max(input_size), MAX_INPUT_SIDE)
        scale = longest / max(input_size)
        width, height = input_size[0] * scale, input_size[1] * scale
    if super_resolution:
        width, height = width * 2, height * 2
    shrink = min(1.0, MAX_OUTPUT_SIDE / max(width, height))
    return _multiple_of_8(width * shrink), _multiple_of_8(height * shrink)


def image_seed(seed: int | None, prompt_id: int, index: int) -> int:
    """The seed image ``index`` is drawn with: ``seed + index``, or a fixed one per image."""
    if seed is not None:
        return (int(seed) + index) % 2**32
    digest = hashlib.sha256(f"prompt:{prompt_id}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _subjects(prompt: dict[str, Any], tunes: dict[int, dict[str, Any]]) -> tuple[Subject, ...]:
    """The user's tunes the prompt uses: the checkpoint it runs on, then its references."""
    ids = [prompt["tune_id"]] + list(prompt["attrs"].get("tune_refs", []))
    chosen = []
    for tune_id in dict.fromkeys(ids):
        tune = tunes.get(tune_id)
        if tune is not None and tune["user_id"] is not None:
            chosen.append(Subject(tune_id, str(tune["title"] or f"tune {tune_id}")[:20],
                                  str(tune["name"] or "person")))
    return tuple(chosen)


def _notes(attrs: dict[str, Any]) -> tuple[str, ...]:
    notes = [label for key, label in NOTE_FLAGS if attrs.get(key)]
    if attrs.get("scheduler"):
        notes.append(str(attrs["scheduler"]))
    return tuple(notes)


def offline_stand_in(url: str, mask: bool = False) -> Image.Image:
    """What the sandbox uses for an input (or mask) URL it cannot fetch (it is offline)."""
    if mask:
        image = Image.new("L", (MAX_SIDE, MAX_SIDE), 0)
        ImageDraw.Draw(image).ellipse((128, 96, 384, 416), fill=255)
        return image
    image = _gradient((MAX_SIDE, MAX_SIDE), f"url:{url}")
    lines = ["input image not fetched", "(the sandbox is offline):", *textwrap.wrap(url, 36)]
    _caption(image, lines[:8], "sandbox stand-in")
    return image


def _input(attrs: dict[str, Any], kind: str, load: Loader) -> Image.Image | None:
    ref = attrs.get(f"{kind}_url_stored") or attrs.get(f"{kind}_url")
    if not ref:
        return None
    image = load(ref)
    return image if image is not None else offline_stand_in(ref, mask=kind == "mask_image")


def prompt_image(
    prompt: dict[str, Any], index: int, tunes: dict[int, dict[str, Any]], load: Loader,
) -> bytes:
    """The PNG of image ``index`` of a stored prompt (a store row with its ``attrs``)."""
    a = prompt["attrs"]
    source = _input(a, "input_image", load)
    mask = _input(a, "mask_image", load) if source is not None else None
    size = output_size(a.get("w"), a.get("h"), a.get("aspect_ratio") or a.get("ar"),
                       resolution=a.get("resolution"),
                       input_size=source.size if source is not None else None,
                       super_resolution=bool(a.get("super_resolution")))
    request = ImageRequest(
        text=prompt["text"] or a.get("video_prompt") or "", size=size,
        seed=image_seed(a.get("seed"), prompt["id"], index),
        negative_prompt=a.get("negative_prompt"), cfg_scale=a.get("cfg_scale"),
        steps=a.get("steps"), style=a.get("style"), color_grading=a.get("color_grading"),
        film_grain=bool(a.get("film_grain")), super_resolution=bool(a.get("super_resolution")),
        notes=_notes(a), subjects=_subjects(prompt, tunes), input_image=source,
        mask_image=mask, denoising_strength=a.get("denoising_strength"),
        controlnet=a.get("controlnet"), controlnet_scale=a.get("controlnet_conditioning_scale"),
        controlnet_txt2img=bool(a.get("controlnet_txt2img")),
    )
    return generate_png(request)


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
    font = load_font(max(14, width // 22))
    small = load_font(max(11, width // 34))
    y = height // 8
    for line in lines[:10]:
        draw.text((width // 16 + 1, y + 1), line, font=font, fill=(0, 0, 0))
        draw.text((width // 16, y), line, font=font, fill=(255, 255, 255))
        y += int(font.size * 1.3) if hasattr(font, "size") else 18
    draw.text((width // 16, height - height // 10), footer, font=small, fill=(240, 240, 240))


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
