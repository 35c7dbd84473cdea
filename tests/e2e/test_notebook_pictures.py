"""Every picture the example notebooks show displays in JupyterLab.

``./scripts/lab`` serves ``notebooks/`` as JupyterLab's root, so a picture referenced from a
notebook must be a file inside that folder, reached by a relative path. The shipped folder is
copied under the server's root as is, each notebook with a picture is opened, and every
rendered markdown image must have loaded (a broken one has ``naturalWidth`` 0).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect

from .lab import NotebookPage

REPO = Path(__file__).resolve().parents[2]
PICTURE = re.compile(r"!\[[^\]]*\]\(|<img\b", re.IGNORECASE)


def _pictures(path: Path) -> int:
    nb = nbformat.read(str(path), as_version=4)
    return sum(len(PICTURE.findall(c.source)) for c in nb.cells if c.cell_type == "markdown")


WITH_PICTURES = [p.name for p in sorted((REPO / "notebooks").glob("*.ipynb")) if _pictures(p)]


def test_the_shipped_notebooks_show_pictures() -> None:
    assert len(WITH_PICTURES) >= 2, WITH_PICTURES  # the form and browser screenshots


@pytest.mark.parametrize("name", WITH_PICTURES)
def test_every_picture_displays_in_jupyterlab(
    name: str, notebook: NotebookPage, page: Any, lab: Any, artifacts: Path
) -> None:
    folder = lab.root / "shipped-notebooks"
    shutil.copytree(REPO / "notebooks", folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    expected = _pictures(folder / name)
    notebook.open(f"shipped-notebooks/{name}")

    images = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown img")
    expect(images).to_have_count(expected, timeout=30_000)
    for index in range(expected):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        handle = image.element_handle()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=handle, timeout=30_000
        )
        width = image.evaluate("img => img.naturalWidth")
        assert width > 300, f"{name}: picture {index} is {width} px wide"
        image.screenshot(path=str(artifacts / f"picture-{Path(name).stem}-{index}.png"))
