"""Bytes sent to the browser per result of a 10 x 10 studio grid, against the full image (issue 20).

Run: ``python benchmarks/bench_grid_bytes.py [--size 10] [--side 1024]``

A sandbox in this process makes a ``size x size`` sweep (seed x cfg_scale, one image each) at
``--side`` px (``w``/``h``), and a :class:`~astria_widgets.widgets.studio_results.StudioResults`
shows it. Every widget's comm is a recording one (``comm.create_comm`` replaced), so what is
counted is what ipywidgets would put on the wire to the browser: each message's JSON plus its
binary buffers (image bytes travel as raw buffers, not base64). Printed:

- per result: the bytes the grid's Image widgets carried, all the grid's messages (states,
  captions, buttons) and the full image's size, with their ratios;
  under three rules: now (the previews the watch made in its fetch thread), the code before
  (a 192 px thumbnail made by the grid's render, in the kernel's thread when shown) and the
  old full-image path (each cell's Image widget given the full bytes);
- what one View then sends (the full image crosses once, for that result);
- the kernel time to show the finished 100-cell grid under each rule.

Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from typing import Any

import comm
from comm.base_comm import BaseComm

from astria_widgets.client import AstriaClient, PollPolicy
from astria_widgets.client.generation import GenerationRun
from astria_widgets.imaging.thumbnails import clear_thumbnail_cache, make_thumbnail
from astria_widgets.sandbox import Sandbox
from astria_widgets.widgets.studio_results import THUMB

SENT: dict[str, int] = defaultdict(int)  # comm id (the widget's model id) -> bytes sent


class RecordingComm(BaseComm):
    """A comm that counts what it would send to the browser (JSON text + binary buffers)."""

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None,
                    buffers: Any = None, **keys: Any) -> None:
        """Count one message instead of sending it."""
        size = len(json.dumps(data or {}, default=str)) + len(json.dumps(metadata or {}))
        size += sum(memoryview(b).nbytes for b in buffers or ())
        SENT[self.comm_id] += size


def widget_bytes(widgets: list[Any]) -> int:
    """What the comms of ``widgets`` sent so far."""
    return sum(SENT.get(w.model_id, 0) for w in widgets)


def all_widgets(root: Any) -> list[Any]:
    """``root`` and every widget below it (children, layouts, styles)."""
    import ipywidgets as w

    seen: dict[str, Any] = {}
    stack = [root]
    while stack:
        widget = stack.pop()
        if not isinstance(widget, w.Widget) or widget.model_id in seen:
            continue
        seen[widget.model_id] = widget
        for name in widget.keys:
            value = getattr(widget, name, None)
            stack.extend(value if isinstance(value, (list, tuple)) else [value])
    return list(seen.values())


def run_sweep(size: int, side: int) -> GenerationRun:
    """A finished ``size x size`` sweep on a trained Flux LoRA of a fresh sandbox account."""
    sandbox = Sandbox(port=0, data_dir=tempfile.mkdtemp(prefix="astria-bench-"), speed=600)
    sandbox.start()
    client = AstriaClient(sandbox.create_user(), sandbox.url, poll=PollPolicy.fast())
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora")
    tune = client.wait_for_tune(tune["id"], timeout=600)
    values = list(range(1, size + 1))
    run = GenerationRun.start(client, [tune], "portrait", {"num_images": 1, "w": side, "h": side},
                              {"seed": values, "cfg_scale": values})
    run.wait(timeout=1800)
    return run


class ShownAs:
    """``run`` as a grid would show it under another rule: each image's ``preview`` replaced by
    ``rule(image)`` (the full bytes: the old path; a thumbnail made at render time in the
    kernel: the code before this change). Everything else is the run's."""

    def __init__(self, run: GenerationRun, rule: Any) -> None:
        self._run, self._rule = run, rule

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run, name)

    @property
    def images(self) -> dict[int, list[Any]]:
        """The run's images with the rule's preview."""
        return {pid: [replace(i, preview=self._rule(i)) for i in found]
                for pid, found in self._run.images.items()}


def shown(run: Any, repeat: int) -> tuple[int, int, float, Any, int]:
    """Show ``run`` in a new grid ``repeat`` times: (bytes of its Image widgets, bytes of all
    its messages, median kernel seconds of a show, the last grid, widget models opened)."""
    from astria_widgets.widgets.studio_results import StudioResults

    seconds = []
    for _ in range(repeat):
        clear_thumbnail_cache()
        SENT.clear()
        began = time.perf_counter()
        results = StudioResults()
        results.show(run)
        seconds.append(time.perf_counter() - began)
    return (widget_bytes([c.image for c in results.cells]), sum(SENT.values()),
            statistics.median(seconds), results, len(SENT))


def main(argv: list[str] | None = None) -> int:
    """Run the sweep, show it under each rule, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10, help="the grid is size x size")
    parser.add_argument("--side", type=int, default=1024, help="the images' side in px")
    parser.add_argument("--repeat", type=int, default=3, help="timings of the kernel's show")
    args = parser.parse_args(argv)
    comm.create_comm = RecordingComm  # type: ignore[assignment]

    run = run_sweep(args.size, args.side)
    count = args.size * args.size
    images = [run.images[int(p["id"])][0] for _c, p in run.cells if p is not None]
    full = statistics.mean(len(i.data or b"") for i in images)
    preview = statistics.mean(len(i.preview or b"") for i in images)
    rules = {
        "previews made in the fetch thread (now)": run,
        "thumbnail made at render, in show (before)": ShownAs(
            run, lambda i: make_thumbnail(i.data, THUMB)),
        "the full image in each cell (old path)": ShownAs(run, lambda i: i.data),
    }
    measured = {name: shown(target, args.repeat) for name, target in rules.items()}

    print(f"{args.size} x {args.size} grid of {args.side} px sandbox images (full image "
          f"{full:,.0f} bytes on average, preview {preview:,.0f} bytes), bytes sent to the "
          "browser per result:\n")
    print(f"| {'rule':<44} | {'Image widgets':>13} | {'x full':>7} | {'all messages':>12} "
          f"| {'x full':>7} |")
    print(f"|{'-' * 46}|{'-' * 15}|{'-' * 9}|{'-' * 14}|{'-' * 9}|")
    for name, (image_bytes, all_bytes, _s, _r, _m) in measured.items():
        print(f"| {name:<44} | {image_bytes / count:>13,.0f} | {image_bytes / count / full:>7.3f} "
              f"| {all_bytes / count:>12,.0f} | {all_bytes / count / full:>7.3f} |")

    _i, before_view, _s, results, models = shown(run, 1)  # the grid as now, messages counted
    print(f"\nwidget models the grid opens in the browser: {models:,} "
          f"({models / count:.1f} per result; its cells share their layouts and styles)")
    last = images[-1]
    results.cells[-1].view.click()
    viewer = widget_bytes(all_widgets(results.viewer))
    after_view = sum(SENT.values())
    print(f"\nafter a View of the last result (its full image {len(last.data or b''):,} bytes):")
    print(f"  the View sent {viewer:,} bytes ({viewer / len(last.data or b''):.3f}x its full "
          f"image); every message so far {after_view / count:,.0f} bytes per result "
          f"({after_view / count / full:.3f}x full; {before_view / count:,.0f} before it)")

    print(f"\nkernel time to show the finished {count}-cell grid (median of {args.repeat}, "
          "recording comm, thumbnail cache cleared):")
    now = measured["previews made in the fetch thread (now)"][2]
    for name, (_i, _a, seconds, _r, _m) in measured.items():
        print(f"  {name:<44} {seconds * 1000:8.1f} ms  ({seconds / now:.2f}x now)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
