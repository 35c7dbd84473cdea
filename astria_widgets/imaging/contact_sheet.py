"""A labelled grid of images as one PNG (Pillow only): a sweep's results in a single picture.

The studio's live grid is a widget, which a saved notebook or a report cannot keep; this draws
the same grid (column headers on top, row headers on the left, a caption under each image) so
it can be displayed inline, saved, or shared.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont, ImageOps

BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)
MISSING = (235, 235, 235)


def contact_sheet(cells: Sequence[Sequence[bytes | None]], *, row_labels: Sequence[str] = (),
                  col_labels: Sequence[str] = (), captions: Sequence[Sequence[str]] = (),
                  tile: int = 256) -> bytes:
    """PNG bytes of ``cells`` (rows of image bytes; ``None`` draws an empty tile).

    Each image is fitted into a ``tile`` x ``tile`` square (EXIF-upright, aspect kept).
    """
    rows = len(cells)
    cols = max((len(r) for r in cells), default=0)
    font = ImageFont.load_default(size=max(12, tile // 16))
    pad = tile // 16
    line = int(getattr(font, "size", 14) * 1.4)
    label_w = (max((int(font.getlength(t)) for t in row_labels), default=0) + 2 * pad
               if row_labels else 0)
    head_h = line + pad if col_labels else 0
    cell_h = tile + (line if captions else 0) + pad
    sheet = Image.new("RGB", (label_w + cols * (tile + pad) + pad,
                              head_h + rows * cell_h + pad), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for c, text in enumerate(col_labels[:cols]):
        draw.text((label_w + pad + c * (tile + pad), pad // 2), text, font=font, fill=INK)
    for r, row in enumerate(cells):
        top = head_h + pad + r * cell_h
        if r < len(row_labels):
            draw.text((pad, top + tile // 2 - line // 2), row_labels[r], font=font, fill=INK)
        for c in range(cols):
            left = label_w + pad + c * (tile + pad)
            data = row[c] if c < len(row) else None
            if data:
                with Image.open(io.BytesIO(data)) as im:
                    fitted = ImageOps.contain(ImageOps.exif_transpose(im).convert("RGB"),
                                              (tile, tile))
                sheet.paste(fitted, (left + (tile - fitted.width) // 2,
                                     top + (tile - fitted.height) // 2))
            else:
                draw.rectangle((left, top, left + tile - 1, top + tile - 1), fill=MISSING)
            if r < len(captions) and c < len(captions[r]):
                draw.text((left, top + tile + 2), captions[r][c], font=font, fill=INK)
    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=True)
    return out.getvalue()
