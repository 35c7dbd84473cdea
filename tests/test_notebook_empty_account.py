"""The history notebook on an account with no history yet (a new key, or a sandbox started
with ``seed_history=0``) runs to the end: its tables stay empty, its charts blank, and it says
why, instead of failing on ``NaT`` dates, an empty group-by or a missing column.

It is built from ``tools/notebooks/build_notebooks.py`` (the source of the saved notebook) and
executed with nbclient in ``notebooks/``, as the example runs, against an empty sandbox.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from astria_widgets.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(600)


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", REPO / "tools" / "notebooks" / "build_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_history_notebook_runs_on_an_empty_account(tmp_path, monkeypatch) -> None:
    from nbclient import NotebookClient

    builder = _builder()
    nb = builder.build("03_tune_history_analysis.ipynb", builder.HISTORY)
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    monkeypatch.delenv("ASTRIA_BASE_URL", raising=False)
    with Sandbox(data_dir=tmp_path / "sandbox", speed=600) as sandbox:  # no history at all
        monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(sandbox.data_dir))  # the kernel's connect()
        NotebookClient(
            nb, timeout=300, kernel_name="python3", store_widget_state=False,
            resources={"metadata": {"path": str(REPO / "notebooks")}},
        ).execute()  # fmt: skip  (raises CellExecutionError naming the cell that failed)
    text = "\n".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
        for out in cell.outputs if out.output_type == "stream"
    )
    assert "no tune older than an hour yet" in text
    assert not [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
                if out.output_type == "error"]
