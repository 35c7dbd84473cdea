"""Helpers for plain-HTTP sandbox tests: images, a requests wrapper, a callback receiver."""

from __future__ import annotations

import io
import json
import queue
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from PIL import Image


def jpeg(color: tuple[int, int, int] = (200, 30, 30), size: int = 256) -> bytes:
    """A small real JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, "JPEG")
    return buffer.getvalue()


def image_parts(count: int = 4) -> list[tuple[str, tuple[str, bytes, str]]]:
    """``tune[images][]`` multipart file parts."""
    return [("tune[images][]", (f"photo{i}.jpg", jpeg((40 * i, 90, 160)), "image/jpeg"))
            for i in range(count)]


class Api:
    """A tiny requests wrapper bound to one sandbox account (no astria_widgets.client)."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def __getattr__(self, method: str) -> Callable[..., requests.Response]:
        def call(path: str, **kwargs: Any) -> requests.Response:
            kwargs.setdefault("timeout", 30)
            return self.session.request(method.upper(), self.url + path, **kwargs)

        return call

    def make_tune(self, title: str = "t", **fields: Any) -> dict[str, Any]:
        """Create a tune by JSON (image_urls) and return it."""
        tune = {"title": title, "name": "man", "image_urls": ["https://example.com/a.jpg"]}
        tune.update(fields)
        response = self.post("/tunes", json={"tune": tune})
        assert response.status_code == 201, response.text
        return response.json()

    def wait(self, path: str, done: Callable[[dict], bool], timeout: float = 20) -> dict:
        """Poll ``path`` until ``done(record)``."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.get(path).json()
            if done(record) or time.monotonic() > deadline:
                return record
            time.sleep(0.05)


class Receiver:
    """A loopback HTTP server recording POSTed JSON bodies."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.bodies: queue.Queue[tuple[str, Any]] = queue.Queue()
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the name http.server dispatches to
                length = int(self.headers.get("Content-Length") or 0)
                received.put((self.path, json.loads(self.rfile.read(length) or b"null")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def get(self, timeout: float = 10) -> tuple[str, Any]:
        """The next (path, body) received."""
        return self.bodies.get(timeout=timeout)

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()
