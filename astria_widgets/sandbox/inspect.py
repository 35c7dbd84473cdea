"""The sandbox's stand-in for Astria's image inspector (``POST /images/inspect``).

The real service runs a vision model; this module only measures pixels, deterministically,
and reads markers that let tests provoke every documented answer. It is a stand-in: it says
nothing true about a face.

Pixel heuristics (on a grey copy scaled so that its shorter side is 256 px):

- ``blurry``: the variance of a 3x3 Laplacian edge filter is below :data:`BLUR_VARIANCE`
  (sharp photos score about 9 or more; a Gaussian blur of 3 px per 512 px gives under 2;
  a featureless picture counts as blurry too);
- ``low_resolution``: the shorter side of the uploaded picture is below :data:`MIN_SIDE` px;
- ``low_quality``: too dark (mean brightness below :data:`DARK_MEAN` of 255), greyscale (the
  colour channels differ by less than :data:`GREY_DIFFERENCE` on average) or strongly
  cropped (long side over :data:`CROP_RATIO` times the short side).

Every heuristic that fired is named in the extra key ``sandbox_notes`` (a sandbox extension).

Markers: ``[key]`` or ``[key=value]`` anywhere in the uploaded file's name, in ``file_url``, or
in a PNG text chunk named ``astria-inspect``. ``[key]`` sets a documented boolean to true
(``[wearing_sunglasses]``, ``[includes_multiple_people]``, ``[blurry]``...) or a documented
string key to its one value (``[glasses]``, ``[is_bald]``, ``[headcover]``); ``[key=value]``
sets a string key (``[eye_color=blue eyes]``, ``[name=dog]``, ``[age=30 yo]``). ``name``
defaults to the class asked about, every other string key to ``NONE``.
"""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat

BOOLEAN_KEYS: tuple[str, ...] = (
    "funny_face", "wearing_sunglasses", "wearing_hat", "blurry", "includes_multiple_people",
    "full_body_image_or_longshot", "selfie", "low_resolution", "low_quality",
)
STRING_KEYS: tuple[str, ...] = (
    "name", "body_type", "ethnicity", "age", "glasses", "eye_color", "hair_color",
    "hair_length", "hair_style", "facial_hair", "is_bald", "headcover",
)
#: String keys with a single documented value, provoked by ``[key]`` alone.
SINGLE_VALUES = {"glasses": "glasses", "is_bald": "bald", "headcover": "with head cover"}
CLASS_NAMES = ("man", "woman", "boy", "girl", "baby", "cat", "dog")
BLUR_VARIANCE = 5.0
MIN_SIDE = 256
DARK_MEAN = 40.0
GREY_DIFFERENCE = 3.0
CROP_RATIO = 2.0
MARKER_TEXT_KEY = "astria-inspect"
_MARKER = re.compile(r"\[([a-z_]+)(?:=([^\]]+))?\]")
_LAPLACIAN = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128)


def markers(text: str) -> dict[str, Any]:
    """``[key]`` / ``[key=value]`` markers in ``text`` -> answer keys (unknown keys ignored)."""
    found: dict[str, Any] = {}
    for key, value in _MARKER.findall(text or ""):
        if key in BOOLEAN_KEYS and not value:
            found[key] = True
        elif key in SINGLE_VALUES and not value:
            found[key] = SINGLE_VALUES[key]
        elif key in STRING_KEYS and value:
            found[key] = value.strip()
    return found


def measure(data: bytes) -> tuple[dict[str, bool], list[str], str]:
    """Pixel heuristics -> (boolean answers, notes naming what fired, PNG marker text)."""
    with Image.open(io.BytesIO(data)) as im:
        text = str(getattr(im, "text", {}).get(MARKER_TEXT_KEY, "")) if im.format == "PNG" \
            else ""
        im = ImageOps.exif_transpose(im).convert("RGB")
    width, height = im.size
    short, long = min(width, height), max(width, height)
    scale = 256 / short
    small = im.resize((max(1, round(width * scale)), max(1, round(height * scale))),
                      Image.Resampling.BOX)
    grey = small.convert("L")
    edges = grey.filter(_LAPLACIAN).crop((1, 1, grey.width - 1, grey.height - 1))
    sharpness = ImageStat.Stat(edges).var[0]
    brightness = ImageStat.Stat(grey).mean[0]
    red, green, blue = small.split()
    colour = max(ImageStat.Stat(ImageChops.difference(red, green)).mean[0],
                 ImageStat.Stat(ImageChops.difference(green, blue)).mean[0])
    flags = {"blurry": False, "low_resolution": False, "low_quality": False}
    notes: list[str] = []
    if sharpness < BLUR_VARIANCE:
        flags["blurry"] = True
        notes.append(f"blurry: edge variance {sharpness:.1f} < {BLUR_VARIANCE}")
    if short < MIN_SIDE:
        flags["low_resolution"] = True
        notes.append(f"low_resolution: {width}x{height} px, shorter side < {MIN_SIDE}")
    if brightness < DARK_MEAN:
        flags["low_quality"] = True
        notes.append(f"low_quality: too dark (mean brightness {brightness:.0f} < {DARK_MEAN:.0f})")
    if colour < GREY_DIFFERENCE:
        flags["low_quality"] = True
        notes.append("low_quality: greyscale")
    if long > CROP_RATIO * short:
        flags["low_quality"] = True
        notes.append(f"low_quality: strongly cropped ({width}x{height} px)")
    return flags, notes, text


def inspect(name: str, data: bytes | None, filename: str = "", file_url: str = "") -> dict:
    """The inspect answer for class ``name`` and a picture (``data``) or a URL (markers only)."""
    answer: dict[str, Any] = {key: "NONE" for key in STRING_KEYS}
    answer.update({key: False for key in BOOLEAN_KEYS})
    answer["name"] = name if name in CLASS_NAMES else "NONE"
    answer["age"] = "NONE" if answer["name"] in ("cat", "dog", "NONE") else "30 yo"
    notes: list[str] = []
    marker_text = f"{filename} {file_url}"
    if data is not None:
        flags, notes, png_text = measure(data)
        answer.update(flags)
        marker_text += " " + png_text
    found = markers(marker_text)
    if found:
        notes.append("markers: " + ", ".join(sorted(found)))
    answer.update(found)
    answer["sandbox_notes"] = notes
    return answer
