"""contact_sheet: a labelled grid of images as one PNG."""

from __future__ import annotations

import io

from PIL import Image

from astria_widgets.imaging import contact_sheet
from astria_widgets.imaging.contact_sheet import MISSING


def _png(colour, size=(300, 200)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def test_tiles_land_in_their_row_and_column_and_missing_ones_are_grey():
    red, blue, green = _png((255, 0, 0)), _png((0, 0, 255)), _png((0, 255, 0), (100, 400))
    data = contact_sheet([[red, blue], [green, None]], row_labels=["seed = 1", "seed = 2"],
                         col_labels=["cfg_scale = 3", "cfg_scale = 7"],
                         captions=[["#1", "#2"], ["#3", "#4"]], tile=64)
    sheet = Image.open(io.BytesIO(data))
    assert sheet.format == "PNG"
    pad = 64 // 16
    width, height = sheet.size
    left = width - 2 * (64 + pad) - pad + pad  # the tiles' first column (after the labels)
    top = height - 2 * (64 + 18 + pad)  # rows start below the column headers
    centres = {(r, c): sheet.getpixel((left + c * (64 + pad) + 32, top + r * (64 + 18 + pad)
                                       + 40)) for r in (0, 1) for c in (0, 1)}
    assert centres[(0, 0)] == (255, 0, 0) and centres[(0, 1)] == (0, 0, 255)
    assert centres[(1, 0)] == (0, 255, 0) and centres[(1, 1)] == MISSING
