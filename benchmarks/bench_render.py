"""Sandbox prompt images: the option-aware renderer against a plain caption card.

Run: ``python benchmarks/bench_render.py [--repeat 5] [--check]``

Times ``imagegen.generate_png`` (scene, looks, caption, PNG) for typical requests and, in the
same process at the same size, the baseline an expert would write for a placeholder that
only shows the prompt: a Pillow gradient (with an input image: the input fitted and blended
with a tint through the mask), the wrapped text drawn with ``ImageDraw``, numpy grain when
asked, saved as PNG at the same compression level. The two are timed alternately (so a
busy machine slows both alike); prints the median milliseconds of each and their ratio. A
render happens once per image (the file route caches it on disk), so the target is that a
typical 512-1024 px image stays within a few times the plain card: ``--check`` exits 1 when
a ratio is above 6x.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import textwrap
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from astria_widgets.sandbox.imagegen import ImageRequest, Subject, generate_png

TARGET_RATIO = 6.0
TEXT = "<lora:1234:1> ohwx woman as an astronaut on a red desert planet, cinematic light"


def baseline_card(request: ImageRequest) -> bytes:
    """The plain placeholder the renderer is compared to: a gradient (or, with an input image,
    the input fitted and blended with one tint through the mask), the prompt text, numpy
    grain when asked, saved as PNG at the same compression level."""
    width, height = size = request.size
    column = Image.linear_gradient("L").resize((1, height))
    card = Image.composite(Image.new("RGB", (1, height), (40, 60, 120)),
                           Image.new("RGB", (1, height), (200, 150, 90)), column).resize(size)
    if request.input_image is not None:
        source = ImageOps.fit(request.input_image.convert("RGB"), size)
        tinted = Image.blend(source, Image.new("RGB", size, (200, 120, 60)),
                             request.denoising_strength or 0.8)
        mask = (request.mask_image.convert("L").resize(size) if request.mask_image
                else Image.new("L", size, 255))
        card = Image.composite(tinted, source, mask)
    draw = ImageDraw.Draw(card)
    font = ImageFont.load_default(size=max(12, width // 20))
    for i, line in enumerate(textwrap.wrap(request.text, max(10, width // 14))):
        draw.text((width // 32, width // 32 + i * font.size * 1.25), line, font=font)
    if request.film_grain:
        noise = np.random.default_rng(request.seed).normal(0, 18, (height, width, 1))
        card = Image.fromarray(np.clip(np.asarray(card) + noise, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    card.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def photo(size: tuple[int, int]) -> Image.Image:
    """An input photo with structure and noise."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size[1], 0:size[0]]
    base = np.stack([x * 255 / size[0], y * 255 / size[1], 128 + 0 * x], axis=-1)
    return Image.fromarray(np.clip(base + rng.normal(0, 12, base.shape), 0, 255)
                           .astype(np.uint8), "RGB")


def cases() -> dict[str, ImageRequest]:
    """The requests timed: what the studio typically asks for."""
    mask = Image.new("L", (512, 512), 0)
    ImageDraw.Draw(mask).ellipse((128, 128, 384, 448), fill=255)
    everyday = {"text": TEXT, "seed": 42, "cfg_scale": 7.0, "steps": 30,
                "negative_prompt": "blurry, lowres", "subjects": (Subject(1234, "Alice"),)}
    return {
        "512x512 text only": ImageRequest(text=TEXT, seed=1, size=(512, 512)),
        "512x512 everyday": ImageRequest(size=(512, 512), **everyday),
        "512x512 Comic book+Velvia+grain": ImageRequest(
            size=(512, 512), style="Comic book", color_grading="Film Velvia", film_grain=True,
            **everyday),
        "512x512 img2img + mask": ImageRequest(
            size=(512, 512), input_image=photo((512, 512)), mask_image=mask,
            denoising_strength=0.6, **everyday),
        "1024x1024 everyday": ImageRequest(size=(1024, 1024), **everyday),
        "1024x576 16:9 super resolution": ImageRequest(
            size=(1024, 576), super_resolution=True, style="Cinematic", **everyday),
    }


def median_ms(first: Callable[[], object], second: Callable[[], object],
              repeat: int) -> tuple[float, float]:
    """Median wall times of ``first`` and ``second`` in milliseconds, called alternately
    ``repeat`` times each after one warm-up call of each."""
    first()
    second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for function, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            function()
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]) * 1e3, statistics.median(times[1]) * 1e3


def main() -> int:
    """Print the table; with --check, exit 1 when a ratio is above the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    print(f"{'case':<34} {'ours ms':>8} {'card ms':>8} {'ratio':>6} {'PNG kB':>7}")
    worst = 0.0
    for name, request in cases().items():
        ours, card = median_ms(lambda r=request: generate_png(r),
                               lambda r=request: baseline_card(r), args.repeat)
        ratio = ours / card
        worst = max(worst, ratio)
        size_kb = len(generate_png(request)) / 1e3
        print(f"{name:<34} {ours:>8.1f} {card:>8.1f} {ratio:>5.1f}x {size_kb:>7.0f}")
    met = worst <= TARGET_RATIO
    print(f"\nworst ratio {worst:.1f}x (target <= {TARGET_RATIO:.0f}x: "
          f"{'met' if met else 'NOT met'})")
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
