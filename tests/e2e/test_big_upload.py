"""Twenty phone photos (80+ MB) uploaded from the browser on a stock Jupyter server.

A stock server (tornado) closes the websocket on any message over 10 MiB, and ipywidgets'
``FileUpload`` sends a whole selection as one message, so it fails silently past that. The
picker's chunked uploader must get a realistic set through anyway: 20 noisy 12-megapixel JPEGs
of about 4.3 MB each (some EXIF-rotated, two with non-ASCII names) are picked through the
browser's own file chooser in an ``ImagePicker``. The test first proves that this server
really has the 10 MiB cap (an 11 MiB websocket message is refused), then checks that every
file reached the kernel byte for byte (sha256 computed in the kernel), that the thumbnails
are shown upright, and that no bytes sit in widget state (what a saved notebook would carry).
The size and upload time are recorded as figures, not asserted.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from .lab import LabServer, NotebookPage, write_notebook

COUNT = 20
WIDTH, HEIGHT = 4000, 3000  # 12 MP, a phone camera's landscape frame
ROTATED = {3, 8, 14}  # indices saved with EXIF orientation 6 (shot holding the phone upright)
NAMES = {5: "été à la plage.jpg", 11: "東京タワー 夜.jpg"}  # the others: IMG_10NN.jpg
TORNADO_CAP = 10 * 1024 * 1024  # tornado's default websocket_max_message_size

PICKER_CELL = (
    "from astria_widgets.widgets import ImagePicker\n"
    "picker = ImagePicker()\n"
    "picker"
)
CHECK_CELL = """\
import hashlib, json
import ipywidgets
from astria_widgets.widgets.uploader import ChunkedUploader
expected = json.loads({expected!r})
got = {{name: hashlib.sha256(data).hexdigest() for name, data in picker.accepted}}
same = sum(got.get(name) == digest for name, digest in expected.items())
uploader = next(c for c in picker.children if isinstance(c, ChunkedUploader))
# every live widget's state as a saved notebook embeds it (binary buffers base64-encoded)
saved = ipywidgets.Widget.get_manager_state()["state"]
sizes = [len(json.dumps(state, default=str)) for state in saved.values()]
print(f"RESULT same={{same}} expected={{len(expected)}} received={{len(got)}} "
      f"errors={{len(picker.errors)}} pending={{uploader.pending}} "
      f"widgets={{len(sizes)}} state_bytes={{sum(sizes)}} largest={{max(sizes)}}")
"""
RESULT = re.compile(
    r"RESULT same=(\d+) expected=(\d+) received=(\d+) errors=(\d+) pending=(\d+) "
    r"widgets=(\d+) state_bytes=(\d+) largest=(\d+)"
)


def _photo(index: int) -> bytes:
    """A ~4.3 MB 12 MP JPEG: a colour gradient under grain that JPEG cannot squeeze away."""
    rng = np.random.default_rng(1000 + index)
    y = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, WIDTH, dtype=np.float32)[None, :]
    pixels = np.empty((HEIGHT, WIDTH, 3), np.int16)
    pixels[..., 0] = 190 * x + 30 + 2 * index
    pixels[..., 1] = 150 * y + 50
    pixels[..., 2] = 120 * (1 - x) + 60
    grain = rng.integers(-20, 21, (600, 800, 3), dtype=np.int16)
    pixels += np.tile(grain, (HEIGHT // 600, WIDTH // 800, 1))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6 if index in ROTATED else 1  # Orientation
    exif[0x010F] = "astria-e2e phone"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture(scope="module")
def phone_photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The 20 photos in a folder outside the server's root (the user's machine)."""
    folder = tmp_path_factory.mktemp("phone") / "DCIM"
    folder.mkdir()
    paths = []
    for index in range(COUNT):
        path = folder / NAMES.get(index, f"IMG_{1000 + index}.jpg")
        path.write_bytes(_photo(index))
        paths.append(path)
    return paths


def _kernel_answers(lab: LabServer, size: int) -> str:
    """Send a ``kernel_info_request`` padded to ``size`` bytes on a kernel's websocket.

    Returns ``"answered"`` when the kernel's reply comes back and ``"closed"`` when the server
    closed the connection instead. Runs in its own thread: Playwright's sync API owns this
    thread's event loop.
    """
    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError, websocket_connect

    kernels = requests.get(f"{lab.url}/api/kernels", params={"token": lab.token}, timeout=10)
    kernel_id = kernels.json()[0]["id"]
    host = lab.url.removeprefix("http://")
    url = f"ws://{host}/api/kernels/{kernel_id}/channels?token={lab.token}"
    msg_id = uuid.uuid4().hex
    message = {
        "header": {"msg_id": msg_id, "msg_type": "kernel_info_request", "session": msg_id,
                   "username": "e2e", "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {"padding": ""}, "content": {}, "channel": "shell",
        "buffers": [],
    }
    message["metadata"]["padding"] = "x" * (size - len(json.dumps(message)))
    result: list[str] = []

    async def probe() -> str:
        conn = await websocket_connect(url)
        try:
            await conn.write_message(json.dumps(message))
            while (answer := await asyncio.wait_for(conn.read_message(), 30)) is not None:
                if msg_id in str(answer) and "kernel_info_reply" in str(answer):
                    return "answered"
        except (WebSocketClosedError, StreamClosedError):
            pass
        finally:
            conn.close()
        return "closed"

    thread = threading.Thread(target=lambda: result.append(asyncio.run(probe())), daemon=True)
    thread.start()
    thread.join(60)
    return result[0] if result else "no result"


def test_twenty_phone_photos_through_a_stock_server(
    notebook: NotebookPage,
    page: Any,
    lab: LabServer,
    phone_photos: list[Path],
    artifacts: Path,
    figures: Any,
) -> None:
    # a stock server: nothing raises tornado's websocket cap on the command line or in config
    assert lab.process is not None
    assert not any("websocket_max_message_size" in str(arg) for arg in lab.process.args)
    assert not any(
        "websocket_max_message_size" in p.read_text(errors="replace")
        for p in (lab.workdir / "config").rglob("*") if p.is_file()
    )
    total = sum(p.stat().st_size for p in phone_photos)
    assert total >= 80 * 1000 * 1000 and max(p.stat().st_size for p in phone_photos) < TORNADO_CAP
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in phone_photos}

    write_notebook(lab.root / "big-upload.ipynb", [PICKER_CELL])
    notebook.open("big-upload.ipynb")
    notebook.run_all()
    picker = page.locator(".astria-image-picker")
    upload = picker.locator(".astria-upload").first
    expect(upload).to_be_visible(timeout=60_000)

    # ... and the cap is really there: a 9 MiB message is answered, an 11 MiB one is refused
    assert _kernel_answers(lab, 9 * 1024 * 1024) == "answered"
    assert _kernel_answers(lab, TORNADO_CAP + 1024 * 1024) == "closed"

    started = time.monotonic()
    with page.expect_file_chooser() as chooser:
        upload.click()
    assert chooser.value.is_multiple()
    chooser.value.set_files([str(p) for p in phone_photos])

    done = picker.locator('.astria-upload-file[data-state="done"]')
    expect(done.first).to_be_attached(timeout=30_000)
    page.screenshot(path=str(artifacts / "big-upload-sending.png"))  # rows while sending
    expect(done).to_have_count(COUNT, timeout=90_000)
    expect(picker.locator(".astria-picker-count")).to_have_text(
        re.compile(rf"^{COUNT} images ready"), timeout=30_000
    )
    uploaded = time.monotonic() - started
    assert picker.locator('.astria-upload-file:not([data-state="done"])').count() == 0

    # every thumbnail is shown, decoded by the browser, and upright (EXIF applied)
    thumbs = picker.locator(".astria-thumb")
    expect(thumbs).to_have_count(COUNT)
    notebook.wait_for_images(".astria-image-picker img.astria-thumb-image", COUNT)
    for index, path in enumerate(phone_photos):
        card = thumbs.filter(has=page.locator(".astria-thumb-name", has_text=path.name))
        expect(card).to_have_count(1)
        width, height = card.locator("img.astria-thumb-image").evaluate(
            "img => [img.naturalWidth, img.naturalHeight]"
        )
        assert max(width, height) <= 128, (path.name, width, height)
        assert (height > width) == (index in ROTATED), (path.name, width, height)
    notebook.screenshot(artifacts / "big-upload.png")

    # in the kernel: every byte arrived, and none of them sits in widget state
    index = notebook.add_cell(CHECK_CELL.format(expected=json.dumps(expected)))
    notebook.run_cell(index)
    text = notebook.output_text(index)
    found = RESULT.search(text)
    assert found, text
    same, n_expected, received, errors, pending, n_widgets, state_bytes, largest = map(
        int, found.groups()
    )
    assert (same, n_expected, received, errors, pending) == (COUNT, COUNT, COUNT, 0, 0), text
    assert state_bytes < total / 50, text  # thumbnails and labels only, no photo bytes
    assert largest < 256 * 1024, text
    console = "\n".join(page.console_messages)  # type: ignore[attr-defined]
    assert "Connection lost" not in console and "message too big" not in console

    figures(
        "browser upload through a stock server (10 MiB websocket cap)",
        files=COUNT,
        total_mb=f"{total / 1e6:.1f}",
        seconds=f"{uploaded:.1f}",
        mb_per_s=f"{total / 1e6 / uploaded:.1f}",
        widget_state_kb=f"{state_bytes / 1024:.0f}",
        widgets=n_widgets,
    )
