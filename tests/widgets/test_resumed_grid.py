"""A resumed (or reopened) sweep holds the previews its history stored, not the full images.

Its grid shows those previews with no request; View, "Use as input" and "Download all" fetch
the full image (once, in a worker thread), so what is saved is never a stored thumbnail.
"""

from __future__ import annotations

import io
from pathlib import Path

from counting import BASE_TUNE, counting_client
from PIL import Image

from astria_widgets.client import PollPolicy, RetrySettings
from astria_widgets.client.generation import GenerationRun
from astria_widgets.history import TuneHistory
from astria_widgets.history.recorder import record_generation
from astria_widgets.history.resume import rebuild_sweep
from astria_widgets.imaging.thumbnails import PREVIEW_SIDE
from astria_widgets.widgets.studio_results import StudioResults

SWEEP = {"seed": [1, 2], "cfg_scale": [3, 7]}


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        return im.size


def _recorded_run(sandbox, history: TuneHistory) -> tuple[str, str]:
    key = sandbox.create_user()
    client, _ = counting_client(sandbox.url, key, retry=RetrySettings.fast(),
                                poll=PollPolicy.fast())
    run = GenerationRun.prepare(client, [client.get_tune(BASE_TUNE)], "a red square",
                                {"num_images": 1}, SWEEP)
    run_id = record_generation(run, history)
    run.begin().wait(60)
    assert run.status == "done"
    return key, run_id


def test_a_resumed_grid_shows_stored_previews_and_fetches_full_images_on_demand(
        sandbox, tmp_path: Path) -> None:
    history = TuneHistory(tmp_path / "h.sqlite3")
    key, run_id = _recorded_run(sandbox, history)
    stored = history.runs.get(run_id)
    thumbs = history.runs.thumbnails(stored.prompt_ids)
    assert len(thumbs) == 4
    assert all(max(_size(t[0])) <= PREVIEW_SIDE for t in thumbs.values())  # the grid's size

    client, session = counting_client(sandbox.url, key, retry=RetrySettings.fast(),
                                      poll=PollPolicy.fast())
    resumed = rebuild_sweep(stored, history, client, owner="kernel-2")
    run = resumed.run
    results = StudioResults()
    results.show(run)
    # the grid: every cell shows its stored preview, without a request
    assert all(c.image.value for c in results.cells)
    assert {bytes(c.image.value) for c in results.cells} == {t[0] for t in thumbs.values()}
    assert session.log == []

    # View: the full image, fetched once in a worker thread
    results._view(0)
    for job in results._fetches.values():
        job.result(30)
    full = [c for c in results.viewer.children if "astria-studio-full-image" in c._dom_classes]
    assert len(full) == 1 and max(_size(bytes(full[0].value))) > PREVIEW_SIDE
    files = [p for _m, p, _s in session.log if p.startswith("/files/")]
    assert len(files) == 1

    # Download all saves the full images: the one fetched for View is not fetched again
    saved = run.download(tmp_path / "out")
    assert len(saved) == 4 and all(max(_size(p.read_bytes())) > PREVIEW_SIDE for p in saved)
    files = [p for _m, p, _s in session.log if p.startswith("/files/")]
    assert len(files) == 4
    results.close()
