"""prepare_for_upload: plain files pass untouched; odd ones become 8-bit, upright, opaque."""

from __future__ import annotations

import io

from corpus import build_image_corpus, photo
from PIL import Image

from astria_widgets.imaging import inspect_image, prepare_for_upload


def _open(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def test_plain_images_are_sent_byte_for_byte() -> None:
    for data in (photo(), photo(fmt="PNG"), photo(800, 600, orientation=6)):
        assert prepare_for_upload(data) is data


def test_converted_images_keep_their_format_and_pass_the_checks(tmp_path) -> None:
    cases = {c.case: c for c in build_image_corpus(tmp_path)}
    expected = {"cmyk": ("JPEG", "RGB"), "sixteen-bit": ("PNG", "L"), "alpha": ("PNG", "RGB"),
                "palette-transparency": ("PNG", "RGB"), "animated-gif": ("GIF", None)}
    for case_id, (fmt, mode) in expected.items():
        out = prepare_for_upload(cases[case_id].data)
        im = _open(out)
        assert im.format == fmt, case_id
        if mode is not None:
            assert im.mode == mode, case_id
        report = inspect_image(out, cases[case_id].name)
        assert report.ok and report.warnings == (), (case_id, report.warnings)


def test_sixteen_bit_is_scaled_not_clipped(tmp_path) -> None:
    case = next(c for c in build_image_corpus(tmp_path) if c.case == "sixteen-bit")
    low, high = _open(prepare_for_upload(case.data)).getextrema()
    assert low <= 5 and high >= 250


def test_transparent_areas_become_white_and_rotation_is_applied() -> None:
    im = Image.new("RGBA", (800, 600), (200, 0, 0, 255))
    im.paste((0, 0, 0, 0), (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    im.save(buffer, "PNG", exif=exif)
    out = _open(prepare_for_upload(buffer.getvalue()))
    assert out.size == (600, 800)
    assert out.getpixel((599, 0)) == (255, 255, 255)  # the transparent corner, rotated
    assert out.getpixel((300, 400)) == (200, 0, 0)
