"""The pictures the README and the notebooks show, made by the browser tests.

Each browser test that makes one of these screenshots saves it under ``artifacts/e2e`` as
usual. ``scripts/pictures`` runs those tests with ``ASTRIA_UPDATE_PICTURES=1``, and then the
session copies each picture it made to where the repository keeps it (``SHIPPED``), so the
pictures are remade from the current widgets with one command. The notebooks the tests write
use relative paths under the server's root (``photos/``), so no picture shows a temporary
folder of the machine that made it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: artifact file name -> the repository path that ships it
SHIPPED: dict[str, str] = {
    "tune-form.png": "notebooks/images/screenshots/tune-form.png",
    "picker-inspect.png": "notebooks/images/screenshots/picker-inspect.png",
    "tune-browser.png": "notebooks/images/screenshots/tune-browser.png",
    "studio-grid.png": "notebooks/images/screenshots/prompt-studio.png",
    "studio-10x10.png": "docs/screenshots/studio-10x10.png",
    "pack-picker.png": "docs/screenshots/pack-picker.png",
    "astria-panel-light.png": "docs/screenshots/astria-panel-light.png",
    "astria-panel-dark.png": "docs/screenshots/astria-panel-dark.png",
    "astria-panel-detail-light.png": "docs/screenshots/astria-panel-detail-light.png",
    "astria-panel-detail-dark.png": "docs/screenshots/astria-panel-detail-dark.png",
    "astria-panel-watch-cell.png": "docs/screenshots/astria-panel-watch-cell.png",
    "compare-tally.png": "docs/screenshots/compare-tally.png",
    "studio-refused.png": "docs/screenshots/studio-refused.png",
    "resumed-sweep.png": "docs/screenshots/resumed-sweep.png",
}
#: the tests that make them, for ``scripts/pictures``
MAKERS = ("tests/e2e/test_tune_form.py", "tests/e2e/test_inspect_picker.py",
          "tests/e2e/test_browser_widget.py", "tests/e2e/test_studio.py",
          "tests/e2e/test_studio_10x10.py",
          "tests/e2e/test_pack_picker.py", "tests/e2e/test_astria_panel.py",
          "tests/e2e/test_compare_panel.py", "tests/e2e/test_resumed_sweep.py")


def updating() -> bool:
    """True when this run remakes the shipped pictures."""
    return os.environ.get("ASTRIA_UPDATE_PICTURES") == "1"


def ship(artifacts: Path, since: float) -> list[str]:
    """Copy every shipped picture written after ``since`` (epoch seconds); returns the paths."""
    copied = []
    for name, target in SHIPPED.items():
        made = artifacts / name
        if made.exists() and made.stat().st_mtime >= since:
            shutil.copyfile(made, REPO / target)
            copied.append(target)
    return copied


def photos_under(root: Path, count: int = 4) -> str:
    """Copy ``count`` of the shipped sample portraits to ``root/photos``; returns ``"photos"``.

    The kernel's working folder is the notebook's, so a cell reads them as ``'photos'``.
    """
    folder = root / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((REPO / "notebooks" / "images").glob("portrait_*.jpg"))[:count]:
        shutil.copyfile(path, folder / path.name)
    return "photos"
