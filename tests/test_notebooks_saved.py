"""Checks on the committed example notebooks, as saved (nothing is executed here).

A notebook opened before it runs (GitHub, nbviewer, Binder) must show its saved tables, plots
and text with no "Error displaying widget" placeholders and no widget state (which could hold
secrets); nbval must have stored outputs to compare; and the files must be what
``tools/notebooks/build_notebooks.py`` generates.
"""

from __future__ import annotations

import base64
import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO / "notebooks"
EXPECTED = (
    "01_quickstart.ipynb",
    "02_training_with_the_form.ipynb",
    "03_tune_history_analysis.ipynb",
    "04_prompts_and_packs.ipynb",
    "05_generating_with_a_trained_tune.ipynb",
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TOKEN_PATTERNS = (
    re.compile(r"\bsd_[A-Za-z0-9_-]{8,}"),  # Astria API keys
    re.compile(r"\bsb_[0-9a-f]{8,}"),  # sandbox account keys (create_user)
    re.compile(r"Bearer\s+[A-Za-z0-9._-]+"),
    re.compile(r"[?&]token=[0-9a-zA-Z]{8,}"),  # Jupyter server tokens in URLs
    re.compile(r"AstriaClient\([^)]*key=(?!set\b|missing\b)"),  # a repr showing a key
    re.compile(r"api_key['\"]?\s*[:=]\s*['\"][^'\"]{6,}"),
)
MAX_BYTES = 1_500_000


def _load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(str(NOTEBOOKS_DIR / name), as_version=4)


def _outputs(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def _pngs(nb: nbformat.NotebookNode) -> list[bytes]:
    return [
        base64.b64decode(out["data"]["image/png"])
        for out in _outputs(nb)
        if "image/png" in out.get("data", {})
    ]


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", REPO / "tools" / "notebooks" / "build_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_notebooks_are_there() -> None:
    found = sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb"))
    assert found == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_valid_notebook_with_python3_kernelspec(name: str) -> None:
    nb = _load(name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["kernelspec"]["language"] == "python"
    assert (NOTEBOOKS_DIR / name).stat().st_size < MAX_BYTES
    ids = [cell.id for cell in nb.cells]
    assert len(ids) == len(set(ids))
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("name", EXPECTED)
def test_no_widget_state_and_no_widget_views(name: str) -> None:
    nb = _load(name)
    raw = (NOTEBOOKS_DIR / name).read_text()
    assert "widgets" not in nb.metadata
    assert WIDGET_STATE not in raw
    for out in _outputs(nb):
        data = out.get("data", {})
        assert WIDGET_VIEW not in data, f"a widget view would show 'Error displaying widget': {out}"
        if out.output_type in ("execute_result", "display_data"):
            assert "text/plain" in data or "image/png" in data, out


@pytest.mark.parametrize("name", EXPECTED)
def test_every_code_cell_ran_in_order_without_errors(name: str) -> None:
    nb = _load(name)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    # nbval compares only cells with an execution count; a fresh top-to-bottom run numbers 1..n
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    for cell in code:
        for out in cell.outputs:
            assert out.output_type != "error", f"{cell.id}: {out.get('ename')}"
            if out.output_type == "stream" and out.name == "stderr":  # connect()'s notice only
                unexpected = [line for line in out.text.splitlines()
                              if not line.startswith("astria-widgets: ")]
                assert not unexpected, f"{cell.id} wrote to stderr: {out.text[:300]}"
    ignored = [cell.id for cell in code if "NBVAL_IGNORE_OUTPUT" in cell.source]
    assert len(ignored) <= 1, f"too many unchecked cells: {ignored}"


@pytest.mark.parametrize("name", EXPECTED)
def test_no_token_like_strings(name: str) -> None:
    raw = (NOTEBOOKS_DIR / name).read_text()
    for pattern in TOKEN_PATTERNS:
        match = pattern.search(raw)
        assert match is None, f"{name}: token-like string {match.group(0)[:24]!r}..."


def test_analysis_notebook_has_its_plots_saved() -> None:
    pngs = _pngs(_load("03_tune_history_analysis.ipynb"))
    assert len(pngs) >= 4
    assert all(png.startswith(PNG_SIGNATURE) and len(png) > 5_000 for png in pngs)


@pytest.mark.parametrize("name", ["01_quickstart.ipynb", "04_prompts_and_packs.ipynb",
                                  "05_generating_with_a_trained_tune.ipynb"])
def test_generated_images_are_saved_inline(name: str) -> None:
    pngs = _pngs(_load(name))
    assert pngs and all(png.startswith(PNG_SIGNATURE) for png in pngs)


def test_notebooks_match_their_generator() -> None:
    builder = _builder()
    assert sorted(builder.NOTEBOOKS) == sorted(EXPECTED)
    for name, cells in builder.NOTEBOOKS.items():
        saved = _load(name)
        assert [(c.cell_type, c.source) for c in saved.cells] == [
            ("markdown" if kind == "md" else "code", source)
            for kind, source in cells
        ], f"{name} is out of date: run python tools/notebooks/build_notebooks.py"


def test_training_images_are_small_portraits() -> None:
    from PIL import Image

    paths = sorted((NOTEBOOKS_DIR / "images").glob("*.jpg"))
    assert 4 <= len(paths) <= 6
    for path in paths:
        assert 2_000 < path.stat().st_size < 150_000
        with Image.open(path) as image:
            assert image.format == "JPEG"
            assert 512 <= min(image.size) and max(image.size) <= 768
            assert image.height > image.width  # portrait orientation


MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)


def _image_references(nb: nbformat.NotebookNode) -> list[str]:
    refs: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            refs += MARKDOWN_IMAGE.findall(cell.source) + HTML_IMAGE.findall(cell.source)
    return refs


def test_image_reference_parser_finds_both_syntaxes() -> None:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell('![a](images/x.png "t") and ![b](<../y.png>)'),
            nbformat.v4.new_markdown_cell('<img src="/abs/z.png" width=3>'),
            nbformat.v4.new_code_cell("# ![not](markdown.png)"),
        ]
    )
    assert _image_references(nb) == ["images/x.png", "../y.png", "/abs/z.png"]


@pytest.mark.parametrize("name", EXPECTED)
def test_every_image_reference_resolves_inside_notebooks(name: str) -> None:
    # JupyterLab started by ./scripts/lab serves notebooks/ only, and GitHub resolves a
    # notebook's relative links from its folder: a picture must be a relative path to a file
    # inside notebooks/ (no "../", no absolute path, no URL to somewhere that may move).
    root = NOTEBOOKS_DIR.resolve()
    for ref in _image_references(_load(name)):
        assert "://" not in ref and not ref.startswith("/"), f"{name}: {ref} is not relative"
        target = (NOTEBOOKS_DIR / ref).resolve()
        assert target.is_relative_to(root), f"{name}: {ref} points outside notebooks/"
        assert target.is_file(), f"{name}: {ref} does not exist"


def test_the_screenshots_are_shown() -> None:
    refs = [ref for name in EXPECTED for ref in _image_references(_load(name))]
    assert sorted(refs) == [
        "images/screenshots/prompt-studio.png",
        "images/screenshots/tune-browser.png",
        "images/screenshots/tune-form.png",
    ]


def test_notebooks_folder_holds_notebooks_and_images_only() -> None:
    # what JupyterLab's file browser shows a newcomer (tooling lives in tools/notebooks/)
    tracked = subprocess.run(
        ["git", "ls-files", "notebooks"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "git ls-files found nothing under notebooks/"
    for path in tracked:
        relative = Path(path).relative_to("notebooks")
        is_notebook = len(relative.parts) == 1 and relative.suffix == ".ipynb"
        is_image = relative.parts[0] == "images" and relative.suffix in (".jpg", ".png")
        assert is_notebook or is_image, f"{path} does not belong in notebooks/"
