"""Turn any picture Pillow reads into 8-bit RGB (or grey), upright and without alpha.

``flatten`` is shared by thumbnails and uploads; ``prepare_for_upload`` re-encodes only the
images whose check gave a conversion warning (CMYK, 16-bit, transparency, animation) and
returns every other file byte for byte.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, PngImagePlugin

from astria_widgets.imaging.checks import has_alpha, is_animated, is_sixteen_bit

_BACKGROUND = (255, 255, 255)
_SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 95},
    "WEBP": {"quality": 95},
    "PNG": {},
    "GIF": {},
    "BMP": {},
    "TIFF": {"compression": "tiff_lzw"},
}


def flatten(im: Image.Image) -> Image.Image:
    """An 8-bit ``RGB`` or ``L`` copy of ``im``: 16-bit scaled, CMYK converted, alpha on white."""
    mode = im.mode
    if mode.startswith("I;16") or mode == "I":
        return im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if mode == "F":
        return im.convert("L")
    if has_alpha(im):
        rgba = im.convert("RGBA")
        out = Image.new("RGB", rgba.size, _BACKGROUND)
        out.paste(rgba, mask=rgba.getchannel("A"))
        return out
    if mode in ("RGB", "L"):
        return im
    return im.convert("RGB")


def needs_conversion(im: Image.Image, data: bytes) -> bool:
    """True when the image is CMYK, 16-bit, transparent or animated."""
    return im.mode == "CMYK" or is_sixteen_bit(im, data) or has_alpha(im) or is_animated(im)


def prepare_for_upload(data: bytes) -> bytes:
    """The bytes to send for one checked image: converted when needed, else unchanged.

    The format stays the same (a CMYK JPEG becomes an RGB JPEG, an animated GIF a one-frame
    GIF), so the file name still fits; EXIF rotation is applied when re-encoding.
    Raises Pillow's errors for data that is not a readable image (check it first).
    """
    with Image.open(io.BytesIO(data)) as im:
        if not needs_conversion(im, data):
            return data
        fmt = "JPEG" if im.format == "MPO" else (im.format or "PNG")
        if fmt not in _SAVE_OPTIONS:
            fmt = "PNG"
        out = flatten(ImageOps.exif_transpose(im))  # first frame only
    buffer = io.BytesIO()
    out.save(buffer, format=fmt, **_SAVE_OPTIONS[fmt])
    return buffer.getvalue()


def downscale(data: bytes, max_side: int = 512) -> bytes:
    """``data`` shrunk so its longer side is at most ``max_side`` px (unchanged when it is).

    Upright (EXIF applied) and flattened to 8-bit; a PNG stays a PNG with its text chunks,
    anything else becomes a JPEG. Astria's inspector asks for pictures of 512 px or less.
    """
    with Image.open(io.BytesIO(data)) as im:
        if max(im.size) <= max_side and not needs_conversion(im, data):
            return data
        is_png = im.format == "PNG"
        text = dict(getattr(im, "text", {}) or {}) if is_png else {}
        if im.format in ("JPEG", "MPO") and im.mode in ("RGB", "L"):
            im.draft(im.mode, (max_side, max_side))  # decode at 1/2..1/8 scale, still >= side
        out = flatten(ImageOps.exif_transpose(im))
    out.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if is_png:
        info = PngImagePlugin.PngInfo()
        for key, value in text.items():
            info.add_text(str(key), str(value))
        out.save(buffer, format="PNG", pnginfo=info)
    else:
        out.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()
