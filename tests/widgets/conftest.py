"""Fixtures shared by the widget tests: distinct, valid training photos."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import pytest
from PIL import Image


def make_photo(seed: int, size: int = 600) -> bytes:
    """A distinct, valid training JPEG (noise, so no two seeds are duplicates)."""
    rng = random.Random(seed)
    im = Image.new("RGB", (size, size), (rng.randrange(256), rng.randrange(256), 90))
    pixels = im.load()
    for _ in range(400):
        pixels[rng.randrange(size), rng.randrange(size)] = (rng.randrange(256),) * 3
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def photo() -> Callable[..., bytes]:
    """``photo(seed, size=600)``: one distinct, valid training JPEG."""
    return make_photo


@pytest.fixture
def photos() -> Callable[..., list[tuple[str, bytes]]]:
    """``photos(count, start=0)``: ``count`` distinct photos as ``(faceN.jpg, bytes)`` pairs."""

    def make(count: int, start: int = 0) -> list[tuple[str, bytes]]:
        return [(f"face{i}.jpg", make_photo(i)) for i in range(start, start + count)]

    return make
