"""Issue 20 item 5: no arbitrary cap. A 15 x 20 sweep (300 prompts) runs through the studio
against the sandbox: every prompt is made once, the grid shows a preview in each of its 300
cells, no more than ``client.concurrency`` requests are ever in flight, and the saved copy
keeps every tile (those over its byte budget counted, never silently dropped)."""

from __future__ import annotations

import io

from PIL import Image

from astria_widgets.client import prompt_status
from astria_widgets.imaging.thumbnails import PREVIEW_SIDE
from astria_widgets.widgets import PromptStudio

WAIT = 300  # seconds; a guard against hangs, not a timing assertion
SEEDS = list(range(1, 16))
STEPS = list(range(10, 30))


def test_a_sweep_of_300_prompts_runs_through_the_studio(client, sandbox):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora", title="big sweep")
    client.concurrency = 4
    studio = PromptStudio(client=client, tune=tune, text="portrait", num_images=1)
    sandbox.latency = 0.01  # every answer waits: the requests overlap, so the bound is tested
    sandbox.state.faults.reset_peak()
    try:
        run = studio.submit(sweep={"seed": SEEDS, "steps": STEPS})
        prompts = run.wait(timeout=WAIT)
    finally:
        sandbox.latency = 0
    assert len(prompts) == 300 and run.sweep.shape == (15, 20)
    assert [prompt_status(p) for p in prompts] == ["done"] * 300
    assert {(p["seed"], p["steps"]) for p in prompts} == {(s, t) for s in SEEDS for t in STEPS}
    assert len({p["id"] for p in prompts}) == 300  # each cell's prompt made once
    assert 1 < sandbox.state.faults.peak_in_flight <= 4
    results = studio.results
    assert len(results.cells) == 300
    sizes = [Image.open(io.BytesIO(c.image.value)).size for c in results.cells]
    assert all(max(size) <= PREVIEW_SIDE for size in sizes)  # previews, not full images
    assert "300 of 300 prompts finished" in results.status.value
    copy = results.static_html()
    assert copy.count('class="astria-fallback-tile"') == 300  # every tile kept
    assert len(copy.encode()) <= 128 * 1024 + 4096
