"""Issue 20 item 2: the studio's grid gets previews made in the kernel, never a full image.

A preview is the JPEG the watch makes in its fetch thread as an image arrives
(``WatchedImage.preview``, by ``imaging.thumbnails.preview_jpeg``); the full image crosses to
the browser only when View opens it, and stays in the kernel for Download and "Use as input".
"""

from __future__ import annotations

import io
import random
import threading

from PIL import Image

from astria_widgets.imaging import thumbnails
from astria_widgets.imaging.thumbnails import MAX_PREVIEW_BYTES, PREVIEW_SIDE, preview_jpeg
from astria_widgets.widgets import PromptStudio
from astria_widgets.widgets.studio_results import THUMB, StudioResults

WAIT = 60  # seconds; a guard against hangs, not a timing assertion


def big_photo(seed: int, side: int = 1024) -> bytes:
    """A noisy ``side`` px JPEG (a real service's image is about this big; noise is JPEG's
    worst case)."""
    rng = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(
        out, "JPEG", quality=92)
    return out.getvalue()


def _studio(client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora")
    return PromptStudio(client=client, tune=tune, text="portrait", num_images=1)


def _serve(client, data: bytes) -> None:
    """Every image the client fetches is ``data`` (a big photo, or bytes that are no picture)."""
    client.fetch_bytes = lambda _url, *a, **k: data  # type: ignore[method-assign]


def test_a_preview_is_a_small_jpeg_of_the_cell_size_even_of_a_big_noisy_photo() -> None:
    big = big_photo(1, 2000)
    assert len(big) > 1_000_000
    preview = preview_jpeg(big)
    assert preview is not None and preview[:3] == b"\xff\xd8\xff"
    assert len(preview) <= MAX_PREVIEW_BYTES
    assert max(Image.open(io.BytesIO(preview)).size) == PREVIEW_SIDE == THUMB


def test_the_grid_gets_previews_and_the_kernel_keeps_the_full_images(client) -> None:
    full = big_photo(2)
    _serve(client, full)
    studio = _studio(client)
    run = studio.submit(sweep={"seed": [1, 2], "cfg_scale": [3, 7]})
    run.wait(timeout=WAIT)
    for cell, (_c, prompt) in zip(studio.results.cells, run.cells, strict=True):
        sent = cell.image.value
        assert sent[:3] == b"\xff\xd8\xff" and cell.image.format == "jpeg"
        assert len(sent) <= MAX_PREVIEW_BYTES and len(sent) * 5 < len(full)
        assert max(Image.open(io.BytesIO(sent)).size) <= THUMB
        kept = run.images[int(prompt["id"])][0]
        assert kept.data == full and kept.preview == sent  # full bytes stay in the kernel
    used: list[tuple[str, bytes]] = []
    results = StudioResults(on_use_as_input=lambda name, data: used.append((name, data)))
    results.show(run)
    results.cells[0].use.click()
    assert used and used[0][1] == full  # "Use as input" gets the image, not the preview


def test_previews_are_never_made_in_the_kernels_thread(client, monkeypatch) -> None:
    studio = _studio(client)
    run = studio.submit(sweep={"seed": [1, 2, 3]})
    run.wait(timeout=WAIT)
    thumbnails.clear_thumbnail_cache()
    made_in: list[str] = []
    shrink = Image.Image.thumbnail

    def spy(self, *args, **kwargs):
        made_in.append(threading.current_thread().name)
        return shrink(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "thumbnail", spy)
    results = StudioResults()
    results.show(run)  # a finished run shown again, from the kernel's thread
    assert all(c.image.value for c in results.cells)
    assert threading.main_thread().name not in made_in


def test_view_sends_the_full_image_and_closes_the_previous_one(client) -> None:
    full = big_photo(3, 640)
    _serve(client, full)
    studio = _studio(client)
    run = studio.submit(sweep={"seed": [1, 2]})
    run.wait(timeout=WAIT)
    results = studio.results
    results.cells[0].view.click()
    first = results.viewer.children
    assert first[1].value == full
    results.cells[1].view.click()
    assert all(widget.comm is None for widget in first)  # gone from the browser's state
    assert results.viewer.children[1].value == full


def test_a_10x10_runs_saved_copy_keeps_all_100_pictures(client) -> None:
    from astria_widgets.widgets.fallback_html import MAX_FALLBACK_BYTES, render, run_section

    studio = _studio(client)
    run = studio.submit(sweep={"seed": list(range(1, 11)),
                               "cfg_scale": [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5]})
    run.wait(timeout=WAIT * 3)
    page = render([run_section(run)], kind="studio-results")
    assert len(page) <= MAX_FALLBACK_BYTES
    assert page.count("<img ") == 100 and "not embedded" not in page
    assert "100 of 100 prompts finished" in page


def _open_models() -> int:
    """How many widget models are open (each one a model the browser holds)."""
    from ipywidgets.widgets.widget import _instances

    return len(_instances)


def test_a_grids_cells_share_their_layouts_and_a_new_run_closes_the_old_grid(client) -> None:
    studio = _studio(client)
    first = studio.submit(sweep={"seed": [1, 2, 3], "cfg_scale": [3, 5, 7]})
    first.wait(timeout=WAIT)
    results = StudioResults()
    before = _open_models()
    results.show(first)
    per_cell = (_open_models() - before) / 9
    assert per_cell <= 12  # 8 of its own + the headers; layouts and styles are shared (was 23)
    old = results.cells
    second = studio.submit(sweep={"seed": [4, 5]})
    second.wait(timeout=WAIT)
    results.show(second)
    assert all(c.box.comm is None and c.image.comm is None and c.view.comm is None
               for c in old)
    assert all(c.image.comm is not None and c.image.value for c in results.cells)
