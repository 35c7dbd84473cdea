"""Checking a training set with Astria's inspector: ``inspect_images`` against plain loops.

Run: ``python benchmarks/bench_inspect.py [--count 8] [--latency 0.3] [--check]``

``--count`` phone-like photos (4000x3000 JPEG, 2-4 MB each) are sent to ``POST /images/inspect``
of an in-process sandbox. ``--latency`` seconds are added to every answer (the sandbox's
``slow`` fault), standing in for the real service's network and model time. Timed in the same
process, each over the same photos:

- naive baseline: a ``requests.post`` per photo, one after the other, full-size uploads;
- docs baseline: the same loop, each photo first shrunk to 512 px with Pillow's ``thumbnail``
  (what the docs advise; what an expert writes with the well-kept libraries);
- ``inspect_images`` (``astria_widgets.client.inspect``): checked, shrunk to 512 px, at most
  4 requests at once.

Prints the times, the bytes sent and the ratios; ``--check`` exits 1 when ``inspect_images``
is not at least 2x faster than the docs baseline.
"""

from __future__ import annotations

import argparse
import io
import sys
import time

import numpy as np
import requests
from PIL import Image, ImageDraw

from astria_widgets.client import AstriaClient
from astria_widgets.client.inspect import inspect_images
from astria_widgets.sandbox import Sandbox

TARGET_RATIO = 2.0


def make_photo(seed: int, width: int = 4000, height: int = 3000) -> bytes:
    """A synthetic phone-like JPEG: smooth light, shapes, mild sensor noise."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    base = np.empty((height, width, 3), dtype=np.float32)
    base[..., 0] = 60 + 150 * x + 30 * y
    base[..., 1] = 110 + 70 * np.sin(6 * x + 3 * y)
    base[..., 2] = 40 + 180 * (1 - y)
    base += rng.standard_normal((height, width, 3), dtype=np.float32) * 6.0
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x0, y0, r = (int(rng.integers(0, width)), int(rng.integers(0, height)),
                     int(rng.integers(40, 700)))
        draw.ellipse([x0, y0, x0 + r, y0 + r], fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=92)
    return out.getvalue()


def shrink(data: bytes, side: int = 512) -> bytes:
    """The docs' advice with plain Pillow: at most ``side`` px, re-encoded as JPEG."""
    with Image.open(io.BytesIO(data)) as im:
        im.thumbnail((side, side))
        out = io.BytesIO()
        im.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    photos = [(f"photo{i}.jpg", make_photo(i)) for i in range(args.count)]
    total = sum(len(d) for _, d in photos)
    print(f"{args.count} photos, {total / 2**20:.1f} MiB, {args.latency} s added per answer")
    with Sandbox(speed=600, slow_delay=args.latency) as sb:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {sb.api_key}"
        client = AstriaClient(sb.api_key, sb.url)
        sent: dict[str, int] = {}

        def loop(name: str, prepare: object) -> float:
            sb.fail_next("slow", args.count)
            start = time.perf_counter()
            size = 0
            for file_name, data in photos:
                body = prepare(data) if callable(prepare) else data
                size += len(body)
                response = session.post(sb.url + "/images/inspect", data={"name": "man"},
                                        files={"file": (file_name, body, "image/jpeg")},
                                        timeout=60)
                response.raise_for_status()
            sent[name] = size
            return time.perf_counter() - start

        naive = loop("naive", None)
        docs = loop("docs", shrink)
        sb.fail_next("slow", args.count)
        start = time.perf_counter()
        results = inspect_images(client, photos, "man", max_workers=4)
        ours = time.perf_counter() - start
        assert all(r.error is None for r in results), [r.error for r in results]
    for name, seconds in (("naive loop, full size", naive), ("docs loop, 512 px", docs),
                          ("inspect_images", ours)):
        print(f"{name:24s} {seconds:7.2f} s")
    print(f"bytes sent: full size {sent['naive'] / 2**20:.1f} MiB, "
          f"512 px {sent['docs'] / 2**10:.0f} KiB")
    print(f"ratio naive / inspect_images: {naive / ours:.1f}x")
    ratio = docs / ours
    print(f"ratio docs baseline / inspect_images: {ratio:.1f}x (target {TARGET_RATIO}x)")
    return 1 if args.check and ratio < TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
