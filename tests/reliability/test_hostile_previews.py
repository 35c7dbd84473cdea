"""Issue 20 item 2: a generated result the kernel cannot make a preview of (family "image
reading"). The grid then shows a note, never the original bytes (which could be a huge image);
the bytes are kept whole for View, Download and "Use as input"."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hostile import probe
from PIL import Image

from astria_widgets.imaging.thumbnails import preview_jpeg
from astria_widgets.widgets import PromptStudio
from astria_widgets.widgets.studio_results import StudioResults

WAIT = 60  # seconds; a guard against hangs, not a timing assertion


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG header declaring ``width`` x ``height`` px (a pixel bomb: no data to decode)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)))


def _truncated_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 800), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()[:400]


NOT_PREVIEWABLE = {
    "text": b"not an image at all",
    "empty": b"",
    "mp4 video": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200,
    "truncated jpeg": _truncated_jpeg(),
    "pixel bomb png": _png_declaring(20_000, 20_000),
}


@pytest.mark.parametrize("name", sorted(NOT_PREVIEWABLE))
def test_bytes_that_are_no_picture_get_no_preview(name) -> None:
    assert preview_jpeg(NOT_PREVIEWABLE[name]) is None
    probe("image reading")


@pytest.mark.parametrize("name", ["text", "mp4 video", "pixel bomb png"])
def test_the_grid_says_no_preview_and_keeps_the_bytes(client, name) -> None:
    data = NOT_PREVIEWABLE[name]
    client.fetch_bytes = lambda _url, *a, **k: data  # type: ignore[method-assign]
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora")
    studio = PromptStudio(client=client, tune=tune, text="portrait", num_images=1)
    run = studio.submit(sweep={"seed": [1, 2]})
    run.wait(timeout=WAIT)
    used: list[bytes] = []
    results = StudioResults(on_use_as_input=lambda _name, got: used.append(got))
    results.show(run)
    for cell in results.cells:
        assert cell.image.value == b""  # never the original bytes in the grid
        assert "no preview" in cell.state.value and not cell.view.disabled
    results.cells[0].use.click()
    assert used == [data]  # nothing lost: the kernel kept them whole
    probe("image reading")
