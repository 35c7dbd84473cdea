"""Helpers of the render tests: create a prompt over HTTP, wait, read its images as arrays."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import requests
from PIL import Image
from sandbox_helpers import Api

GALLERY_FLUX = 1504944  # prompts on a gallery tune run at once (nothing to wait for)


def png(image: Image.Image) -> bytes:
    """``image`` as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def pattern(size: tuple[int, int] = (512, 512)) -> Image.Image:
    """A structured input photo: coloured blocks of different lightness and a bright disc."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    blocks = ((x * 4 // width) + (y * 4 // height) * 2) % 5
    levels = np.array([[30, 40, 90], [220, 60, 50], [70, 200, 90], [240, 230, 220],
                       [20, 90, 200]], np.uint8)
    array = levels[blocks]
    disc = (x - width * 0.62) ** 2 + (y - height * 0.55) ** 2 < (min(size) * 0.18) ** 2
    array[disc] = (255, 240, 120)
    return Image.fromarray(array, "RGB")


def create(api: Api, tune_id: int = GALLERY_FLUX, files: dict[str, Any] | None = None,
           **params: Any) -> dict[str, Any]:
    """POST a prompt (multipart with ``prompt[...]`` keys) and return the created record."""
    data = {f"prompt[{k}]": (str(v).lower() if isinstance(v, bool) else str(v))
            for k, v in params.items()}
    parts = {f"prompt[{k}]": v for k, v in (files or {}).items()}
    response = api.post(f"/tunes/{tune_id}/prompts", data=data, files=parts or None)
    assert response.status_code == 201, response.text
    return response.json()


def images(api: Api, prompt: dict[str, Any]) -> list[bytes]:
    """The image bytes of a prompt, once it is done."""
    done = api.wait(f"/prompts/{prompt['id']}", lambda r: bool(r["images"] or r["user_error"]))
    assert done["images"], done
    out = []
    for url in done["images"]:
        served = requests.get(url, timeout=30)
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
        out.append(served.content)
    return out


def render(api: Api, tune_id: int = GALLERY_FLUX, files: dict[str, Any] | None = None,
           **params: Any) -> np.ndarray:
    """The first image of a new prompt as an RGB array (int16, so differences do not wrap)."""
    return pixels(images(api, create(api, tune_id, files, **params))[0])


def pixels(data: bytes | Image.Image) -> np.ndarray:
    """RGB pixels of PNG/JPEG bytes or an image, as int16."""
    image = Image.open(io.BytesIO(data)) if isinstance(data, bytes) else data
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference per channel (0-255)."""
    return float(np.abs(a - b).mean())


def middle(a: np.ndarray) -> np.ndarray:
    """The band between the caption at the top and the footer at the bottom."""
    height = a.shape[0]
    return a[int(height * 0.45):int(height * 0.85)]


def small_gray(a: np.ndarray, side: int = 16) -> np.ndarray:
    """``a`` reduced to ``side`` x ``side`` grey levels (float)."""
    image = Image.fromarray(a.astype(np.uint8), "RGB").convert("L").resize(
        (side, side), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float64)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two arrays of the same shape."""
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


class ImageServer:
    """A loopback HTTP server answering GET /<name> with the bytes given for it (else 404)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the name http.server dispatches to
                body = files.get(self.path.lstrip("/"))
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> ImageServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
