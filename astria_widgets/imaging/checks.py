"""What is wrong with a training image, found before anything is sent.

``inspect_image`` looks at one file: it reads the header with Pillow and, only when that
is needed, checks the encoded data (a JPEG is decoded at 1/8 scale only when it does not
end cleanly; a PNG is verified chunk by chunk, never inflated). ``check_training_set``
adds the checks that need the whole set: duplicates (same sha256) and too many images.

Every message starts with the file name as the user knows it and says what to do.
*Problems* block sending the image; *warnings* are shown but do not block.

Decisions (also in the README):

- An animated GIF is a warning, not a problem: only its first frame is used
  (``prepare_for_upload`` sends that frame alone).
- CMYK, 16-bit and transparent images are warnings: ``prepare_for_upload`` converts them to
  8-bit RGB (transparent areas flattened onto white) before upload.
- A picture with more than ``MAX_PIXELS`` pixels is a possible decompression bomb and is
  blocked, whether Pillow warns or refuses; it is never decoded.
- An EXIF-rotated photo is fine; sizes are reported upright.
- A caption is a UTF-8 text file ``name.txt`` beside the image ``name.jpg`` (any image
  ending): Flux trains on it as that photo's description. Its report has ``format`` ``"TXT"``;
  a caption without its image, an empty or non-UTF-8 one, or one over
  ``MAX_CAPTION_BYTES`` is blocked; captions do not count as images, and on a branch other
  than ``flux1`` they are a problem (``caption_branch_problems``).
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from PIL import Image, UnidentifiedImageError

MAX_IMAGES = 50
"""The most images one tune takes; extra ones are blocked (the first ones are kept)."""
MIN_SIDE = 256
"""Shorter side below this (pixels) blocks the image."""
RECOMMENDED_SIDE = 512
"""Shorter side below this (pixels) gives a warning (Astria's FAQ asks for 512 px or more)."""
MAX_FILE_BYTES = 30 * 1024 * 1024
"""Files larger than this (30 MiB) are blocked."""
MAX_CAPTION_BYTES = 16 * 1024
"""A caption file larger than this (16 KiB) is blocked (a description, not a document)."""
CAPTION_EXTENSION = ".txt"
CAPTION_BRANCHES = ("flux1",)
"""The branches that train on captions."""
MAX_PIXELS = 89_478_485
"""Pillow's default decompression-bomb threshold (about 9459 x 9459 px); above it: blocked."""

IMAGE_EXTENSIONS: tuple[str, ...] = (
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
    ".mpo", ".heic", ".heif",
)
"""File endings treated as images when a folder is added (HEIC is listed so that the user
gets a message saying how to convert it, not silence)."""

_ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF"}
_ALPHA_MODES = {"RGBA", "LA", "PA", "La", "RGBa"}
_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}
_ORIENTATION_TAG = 0x0112
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")


@dataclass(frozen=True)
class ImageReport:
    """The verdict on one picked image.

    ``problems`` block sending it (``ok`` is False when there is any); ``warnings`` do not.
    ``width``/``height`` are the upright size (EXIF rotation applied), ``None`` when the
    file could not be read as an image.
    """

    name: str
    ok: bool
    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    width: int | None
    height: int | None
    format: str | None
    sha256: str
    size: int

    @property
    def messages(self) -> tuple[str, ...]:
        """Problems first, then warnings."""
        return self.problems + self.warnings

    @property
    def is_caption(self) -> bool:
        """True for a caption file (``name.txt`` beside ``name.jpg``), not a picture."""
        return self.format == "TXT"


def is_caption_name(name: str) -> bool:
    """True for a file name that is a caption (``.txt``)."""
    return name.lower().endswith(CAPTION_EXTENSION)


def caption_stem(name: str) -> str:
    """``"me 1.jpg"`` / ``"me 1.txt"`` -> ``"me 1"``: what pairs a caption with its image."""
    return name.rsplit(".", 1)[0] if "." in name else name


def caption_branch_problems(names: Sequence[str], branch: str | None) -> list[str]:
    """A problem per caption file when ``branch`` does not train on captions."""
    if branch in CAPTION_BRANCHES:
        return []
    return [f"{name}: captions (.txt) are used by Flux only; choose branch flux1 or remove it"
            for name in names if is_caption_name(name)]


def _inspect_caption(data: bytes, name: str, digest: str) -> ImageReport:
    problems: list[str] = []
    if len(data) > MAX_CAPTION_BYTES:
        problems.append(f"{name}: caption is {format_size(len(data))}, over the "
                        f"{format_size(MAX_CAPTION_BYTES)} limit; describe the photo briefly")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
            problems.append(f"{name}: caption is not UTF-8 text; save it as UTF-8")
        if text is not None and not text.strip():
            problems.append(f"{name}: caption is empty; describe the photo or remove the file")
    return ImageReport(name=name, ok=not problems, problems=tuple(problems), warnings=(),
                       width=None, height=None, format="TXT", sha256=digest, size=len(data))


def format_size(size: float) -> str:
    """A byte count in binary (IEC) units: ``"31.5 MiB"``, ``"740 KiB"``, ``"12 bytes"``.

    The one byte format of the package: image messages, the upload bar and the browser
    uploader (``widgets/uploader.js`` mirrors it) all show sizes this way.
    """
    for unit, scale, places in (("GiB", 1024**3, "0.1"), ("MiB", 1024**2, "0.1"),
                                ("KiB", 1024, "1")):
        if size >= scale:
            # Halves round up, as JavaScript's toFixed does (the uploader shows the same text).
            value = Decimal(size / scale).quantize(Decimal(places), rounding=ROUND_HALF_UP)
            return f"{value} {unit}"
    return f"{size:.0f} bytes"


def size_problem(name: str, size: int, max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """The blocking message for a file of ``size`` bytes, or ``None`` when the size is fine."""
    if size == 0:
        return f"{name}: empty file (0 bytes); pick the photo again or copy it anew"
    if size > max_bytes:
        return (
            f"{name}: file is {format_size(size)}, over the {format_size(max_bytes)} limit; "
            "export a smaller copy (a JPEG of 2048 px on the long side is plenty)"
        )
    return None


def blocked_report(name: str, problem: str, *, size: int = 0, sha256: str = "") -> ImageReport:
    """A report for an input that could not be read at all (missing file, skipped upload)."""
    return ImageReport(
        name=name, ok=False, problems=(problem,), warnings=(), width=None, height=None,
        format=None, sha256=sha256, size=size,
    )


def inspect_image(data: bytes, name: str) -> ImageReport:
    """Check one image file's bytes; never raises for bad data, never decodes a bomb."""
    data = bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    if is_caption_name(name) and data:
        return _inspect_caption(data, name, digest)
    problems: list[str] = []
    found: list[str] = []
    width = height = None
    fmt = None

    too_big = size_problem(name, len(data))
    if too_big is not None:
        problems.append(too_big)
    else:
        width, height, fmt = _inspect_content(data, name, problems, found)
    return ImageReport(
        name=name, ok=not problems, problems=tuple(problems), warnings=tuple(found),
        width=width, height=height, format=fmt, sha256=digest, size=len(data),
    )


def check_training_set(
    items: Sequence[tuple[str, bytes]], *, max_images: int = MAX_IMAGES
) -> list[ImageReport]:
    """Check every ``(name, bytes)`` item, then the set: duplicates and too many images."""
    return apply_set_checks([inspect_image(data, name) for name, data in items],
                            max_images=max_images)


def apply_set_checks(
    reports: Sequence[ImageReport], *, max_images: int = MAX_IMAGES
) -> list[ImageReport]:
    """Add the set-level problems to per-image reports (same order, new objects).

    The second and later copies of identical content are blocked, naming the first copy.
    Past ``max_images`` usable images, the extra ones are blocked (the first ones are kept).
    A caption whose image is not in the set is blocked; captions are not images.
    """
    first_by_hash: dict[str, str] = {}
    out: list[ImageReport] = []
    image_stems = {caption_stem(r.name) for r in reports if not r.is_caption}
    for report in reports:
        if report.is_caption:
            if caption_stem(report.name) not in image_stems:
                report = _block(report, (
                    f"{report.name}: a caption needs its photo beside it (a picture named "
                    f"{caption_stem(report.name)}.jpg or .png); add it or remove the caption"))
            out.append(report)
            continue
        if report.size and report.sha256:
            first = first_by_hash.setdefault(report.sha256, report.name)
            if first != report.name:
                report = _block(report, (
                    f"{report.name}: the same picture as {first} (identical file); "
                    "remove one of them"
                ))
        out.append(report)

    usable = [i for i, r in enumerate(out) if r.ok and not r.is_caption]
    extra = len(usable) - max_images
    for position, index in enumerate(usable[max_images:], start=max_images + 1):
        report = out[index]
        out[index] = _block(report, (
            f"{report.name}: image {position} of {len(usable)}; a tune takes at most "
            f"{max_images} images: remove {extra}"
        ))
    return out


def _block(report: ImageReport, problem: str) -> ImageReport:
    return replace(report, ok=False, problems=report.problems + (problem,))


def _inspect_content(
    data: bytes, name: str, problems: list[str], found: list[str]
) -> tuple[int | None, int | None, str | None]:
    """Fill ``problems``/``found`` (warnings) for non-empty data; return upright size, format."""
    if _is_heif(data):
        problems.append(
            f"{name}: HEIC/HEIF photo, which cannot be read here; export it as JPEG "
            "(on an iPhone: Settings > Camera > Formats > Most Compatible)"
        )
        return None, None, "HEIF"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        problems.append(_bomb_message(name, str(exc)))
        return None, None, None
    except UnidentifiedImageError:
        problems.append(f"{name}: not an image ({_describe_non_image(data)}); "
                        "choose a JPEG or PNG photo")
        return None, None, None
    except Exception as exc:  # Pillow raises many types for damaged headers
        problems.append(_damaged_message(name, exc))
        return None, None, None

    with im:
        fmt = "JPEG" if im.format == "MPO" else im.format
        width, height = im.size
        if width * height > MAX_PIXELS:  # when a user raised Image.MAX_IMAGE_PIXELS
            problems.append(_bomb_message(name, f"{width * height} pixels"))
            return width, height, fmt
        if im.format not in _ACCEPTED_FORMATS:
            problems.append(f"{name}: {im.format} files are not accepted; save it as JPEG or PNG")
            return width, height, fmt
        if _orientation(im) in (5, 6, 7, 8):
            width, height = height, width
        _mode_warnings(im, data, name, found)
        damage = _integrity_error(im, data)
    if damage is not None:
        problems.append(_damaged_message(name, damage))
        return width, height, fmt

    short = min(width, height)
    if short < MIN_SIDE:
        problems.append(
            f"{name}: too small ({width}×{height} px); training needs at least {MIN_SIDE} px "
            f"on the shorter side (1024 px or more is best)"
        )
    elif short < RECOMMENDED_SIDE:
        found.insert(0, (
            f"{name}: small ({width}×{height} px); Astria recommends at least "
            f"{RECOMMENDED_SIDE} px on the shorter side, 1024–2048 px is best"
        ))
    return width, height, fmt


def has_alpha(im: Image.Image) -> bool:
    """True when the image has an alpha channel or a transparent colour."""
    return im.mode in _ALPHA_MODES or "transparency" in im.info


def is_animated(im: Image.Image) -> bool:
    """True for an image with more than one frame."""
    return getattr(im, "is_animated", False) and getattr(im, "n_frames", 1) > 1


def is_sixteen_bit(im: Image.Image, data: bytes) -> bool:
    """True when the image stores more than 8 bits per channel (``data``: its file bytes)."""
    if im.mode in _SIXTEEN_BIT_MODES or im.mode.startswith("I;16"):
        return True
    if im.format == "PNG" and len(data) > 24 and data[12:16] == b"IHDR":
        return data[24] == 16  # bit depth byte of IHDR: Pillow reads 48-bit RGB as 8-bit RGB
    if im.format == "TIFF":
        bits = getattr(im, "tag_v2", {}).get(258)
        bits = bits if isinstance(bits, tuple) else (bits,)
        return any(isinstance(b, int) and b > 8 for b in bits)
    return False


def _mode_warnings(im: Image.Image, data: bytes, name: str, found: list[str]) -> None:
    if is_animated(im):
        found.append(f"{name}: animated ({im.n_frames} frames); only the first frame is used")
    if im.mode == "CMYK":
        found.append(f"{name}: CMYK colours (a print file); converted to RGB before upload")
    if is_sixteen_bit(im, data):
        found.append(f"{name}: 16 bits per channel; converted to 8-bit before upload")
    if has_alpha(im):
        found.append(
            f"{name}: has transparency; transparent areas are flattened onto white before upload"
        )


def _integrity_error(im: Image.Image, data: bytes) -> Exception | None:
    """Damage found in the encoded data, reading no more than needed."""
    try:
        if im.format in ("JPEG", "MPO"):
            if data.rstrip(b"\0").endswith(b"\xff\xd9"):
                return None  # ends with the End-Of-Image marker: complete
            im.draft(im.mode if im.mode in ("RGB", "L") else None, (1, 1))
            im.load()  # decodes at 1/8 scale
        elif im.format == "PNG":
            with Image.open(io.BytesIO(data)) as fresh:  # verify() must come right after open
                fresh.verify()  # chunk structure and CRCs, without inflating the pixels
        else:
            im.load()  # GIF/WEBP/BMP/TIFF: first frame only
    except Exception as exc:
        return exc
    return None


def _orientation(im: Image.Image) -> int:
    if im.format == "PNG" and "exif" not in im.info:
        return 1  # PngImageFile.getexif() would decode the whole image to look for eXIf
    try:
        value = im.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) else 1


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _describe_non_image(data: bytes) -> str:
    head = data[:2048]
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "it is an HTML page, perhaps a download that failed"
    if head.startswith(b"%PDF"):
        return "it is a PDF document"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end
            return "its content is not a known picture format"
    return "it holds text"


def _bomb_message(name: str, detail: str) -> str:
    match = re.search(r"(\d+) pixels", detail)  # Pillow: "Image size (N pixels) exceeds..."
    count = f"{int(match.group(1)) / 1e6:.0f} million pixels" if match else "too many pixels"
    return (
        f"{name}: {count}, over the {MAX_PIXELS / 1e6:.0f} million safety limit (a possible "
        "decompression bomb), so it was not decoded; downscale it to at most 2048 px on the "
        "long side"
    )


def _damaged_message(name: str, exc: BaseException) -> str:
    text = str(exc).lower()
    what = "truncated (the file ends early)" if "truncat" in text else "damaged"
    return f"{name}: image data is {what}; copy the file again from where it came from"
