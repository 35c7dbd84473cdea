"""PackPicker in a real JupyterLab: the gallery pack's price per class, prompts and preview,
the cost shown before ordering, and the order's total after clicking Order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from .lab import LabServer, NotebookPage, write_notebook
from .pictures import photos_under

PORTRAITS = sorted((Path(__file__).resolve().parents[2] / "notebooks" / "images").glob("*.jpg"))


def test_a_pack_order_shows_its_cost_before_and_its_total_after(
    notebook: NotebookPage, page: Any, lab: LabServer, artifacts: Path,
) -> None:
    folder = photos_under(lab.root)  # relative paths: the picture shows no machine's folders
    photos = [f"{folder}/{p.name}" for p in PORTRAITS[:4]]
    write_notebook(lab.root / "packs.ipynb", [
        "from astria_widgets import PackPicker, connect\n"
        "client = connect()\n"
        f"rex = client.create_tune(name='dog', branch='sd15', images={photos[:2]!r})\n"
        f"max_ = client.create_tune(name='dog', branch='sd15', images={photos[2:]!r})\n"
        "packs = PackPicker(client)\n"
        "packs.choose('pet-portraits')\n"
        "packs.class_name.value = 'dog'\n"
        "packs.mode.value = 'tunes'\n"
        "packs.tune_ids.value = f\"{rex['id']}, {max_['id']}\"\n"
        "packs",
    ])
    notebook.open("packs.ipynb")
    notebook.run_all()
    picker = page.locator(".astria-pack-picker")
    expect(picker).to_be_visible(timeout=60_000)
    detail = picker.locator(".astria-pack-detail")
    expect(detail).to_contain_text("Pet Portraits")
    expect(detail).to_contain_text("ohwx dog as a renaissance oil painting")
    cost = picker.locator(".astria-pack-cost")
    expect(cost).to_contain_text("Cost before ordering: $")
    expect(cost).to_contain_text("2 tune(s) x the dog prompts")
    picker.locator("button.astria-pack-order").click()
    result = picker.locator(".astria-pack-result")
    expect(result).to_contain_text("4 prompts on 2 tune(s)", timeout=60_000)
    before = cost.inner_text().split("Cost before ordering: ")[1].split(" ")[0]
    expect(result).to_contain_text(f"Order total: {before}")  # sd15 tunes: no surprise
    notebook.screenshot(artifacts / "pack-picker.png")
