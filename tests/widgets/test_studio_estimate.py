"""Issue 20 item 3: the studio shows a run's price next to Generate, updated as the tune, the
values and the sweep change, with no request on the kernel's thread (what it prices by is
fetched with the tunes, in the load)."""

from __future__ import annotations

import threading

from astria_widgets.client import transport
from astria_widgets.widgets import PromptStudio

WAIT = 60
GEMINI = 3618064


def _lora(client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="flux1", model_type="lora")
    return client.wait_for_tune(tune["id"], timeout=WAIT)


def test_the_estimate_follows_the_tune_values_and_sweep_without_a_request(client):
    tune = _lora(client)
    studio = PromptStudio(client, tune=tune["id"], text="ohwx man, portrait", background=True)
    assert studio.wait_loaded(WAIT)
    label = studio.estimate_label
    assert "≈ $0.0230 for 1 prompt · catalogue price" in label.value
    kernel = threading.current_thread()
    on_kernel = []
    remove = transport.observe(
        lambda exchange: on_kernel.append(exchange.url)
        if threading.current_thread() is kernel else None)
    try:
        studio.sweep_rows.value = "seed"
        studio.sweep_row_values.value = ", ".join(str(i) for i in range(10))
        studio.sweep_cols.value = "cfg_scale"
        studio.sweep_col_values.value = ", ".join(str(i) for i in range(1, 11))
        assert "≈ $2.30 for 100 prompts · catalogue price" in label.value
        studio.set_values(num_images=2)
        assert "≈ $4.60 for 100 prompts · catalogue price" in label.value
        studio.max_spend = 10
        assert "≈ $4.60 for 100 prompts · catalogue price · $10.00 left of max_spend" in (
            label.value)
        studio.tune_picker.value = GEMINI  # a gallery model, 1K by default: $0.134 an image
        studio.text.value = "a lighthouse"
        assert "≈ $26.80 for 100 prompts · catalogue price" in label.value
        studio.sweep_row_values.value = "1, 2, x"  # a value the sweep refuses: no price
        assert label.value == ""
        studio.sweep_row_values.value = "1, 2"
        run = studio.submit()  # priced under max_spend from what the load fetched
        assert run.estimate_mc == 2 * 10 * 2 * 13_400
    finally:
        remove()
    assert on_kernel == []
    run.wait(timeout=WAIT)
    assert len(run.prompts) == 20 and run.cost_mc == run.estimate_mc
