"""One byte format everywhere: image messages, the upload bar and the browser uploader's JS."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib.resources import files

from astria_widgets.client import AstriaClient, TuneWatch
from astria_widgets.imaging import MAX_FILE_BYTES, format_size, size_problem
from astria_widgets.widgets.formatting import format_size as widgets_format_size
from astria_widgets.widgets.progress import TuneProgress

# halves (2.5 KiB, 1.25 MiB) round up in both languages
SIZES = [0, 12, 1023, 1024, 1536, 2560, 740 * 1024, 1_310_720, 1024**2 - 1, 1024**2,
         31 * 1024**2 + 512 * 1024, MAX_FILE_BYTES, 900 * 1024**2, 5 * 1024**3 + 1]


def test_the_picker_message_and_the_upload_bar_show_the_same_units():
    size = 31 * 1024**2 + 512 * 1024
    message = size_problem("big.jpg", size) or ""
    assert "big.jpg: file is 31.5 MiB, over the 30.0 MiB limit" in message
    # a watch whose create reports the whole upload, then stops (nothing is sent anywhere)
    watch = TuneWatch(AstriaClient(api_key="unused", base_url="http://127.0.0.1:9"))
    view = TuneProgress(watch=watch)

    def create(on_upload):
        on_upload(size, size)
        raise InterruptedError("not sent")

    watch.start(create).join(30)
    assert view.upload_label.value == "31.5 MiB of 31.5 MiB"
    assert widgets_format_size is format_size


def test_uploader_js_formats_sizes_exactly_like_python():
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "Node.js (Debian's nodejs) runs the uploader's formatBytes in this test"
    source = files("astria_widgets.widgets").joinpath("uploader.js").read_text()
    function = re.search(r"^function formatBytes\(n\) \{.*?^\}", source, re.M | re.S)
    assert function is not None
    script = function.group(0) + f"\nconsole.log(JSON.stringify({SIZES}.map(formatBytes)));"
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    assert json.loads(out) == [format_size(n) for n in SIZES]


def test_messages_are_escaped_red_lines_and_errors_one_line():
    from astria_widgets.widgets.formatting import ERROR_COLOR, errors_html, short_error

    shown = errors_html(["<b>title</b>: is required", "steps: must be at least 1"])
    assert shown.count(ERROR_COLOR) == 2 and "<br>" in shown
    assert "&lt;b&gt;title&lt;/b&gt;" in shown and "<b>" not in shown
    assert errors_html([]) == ""
    assert short_error(ValueError("first line\nsecond line")) == "ValueError: first line"
    assert short_error(KeyError()) == "KeyError"


def test_image_format_reads_the_magic_bytes():
    import io

    from PIL import Image

    from astria_widgets.widgets.formatting import image_format

    for fmt, name in (("JPEG", "jpeg"), ("PNG", "png"), ("GIF", "gif"), ("WEBP", "webp"),
                      ("BMP", "bmp")):
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, format=fmt)
        assert image_format(out.getvalue()) == name
    assert image_format(b"not an image") == ""
