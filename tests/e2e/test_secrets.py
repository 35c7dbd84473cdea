"""No API key in a saved notebook, a repr, an exception message or a log record.

Every notebook in ``notebooks/`` (and a probe notebook that pokes at every surface that holds
the key: ``connect()``, the client's repr, API errors, widgets' state) is executed with a
canary key against a sandbox that accepts it, the way doc builds do it: ``nbclient`` with
``store_widget_state=True``, which writes every live widget's state into the file. The saved
file (widget state and the results widgets' static HTML copies included), a log file fed by a
DEBUG handler on the kernel's root logger, the kernels' stderr and the sandbox's log records must
not contain the canary.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CANARY = "sd_canary_" + secrets.token_hex(16)
CANARY_SHA = hashlib.sha256(CANARY.encode()).hexdigest()
KERNEL_NAME = "astria-secrets-test"
# This test's own kernel traffic, logged by nbclient at DEBUG. The probe types the key into the
# login field from the kernel side, so that message carries it; in a browser it flows the
# other way. Every other record in this process (the sandbox's) is checked.
HARNESS_LOGGERS = ("traitlets", "nbclient", "jupyter_client", "asyncio")

PROBE_CELLS = [
    # connect() with the key from the environment; its repr and text repr as outputs
    "import json, os\n"
    "from astria_widgets import connect\n"
    "client = connect()\n"
    "print(repr(client))\n"
    "client",
    "tunes = client.list_tunes(limit=3)\n"
    "print(len(tunes), 'tunes')",
    # exception messages: a wrong key (the canary is a prefix of it) and a missing tune
    "from astria_widgets.client import AstriaClient\n"
    "wrong = AstriaClient(api_key=os.environ['ASTRIA_API_KEY'] + 'x',\n"
    "                     base_url=os.environ['ASTRIA_BASE_URL'])\n"
    "for call in (wrong.list_tunes, lambda: client.get_tune(1)):\n"
    "    try:\n"
    "        call()\n"
    "    except Exception as exc:\n"
    "        print(type(exc).__name__, '|', exc, '|', repr(exc), '|', exc.args)\n"
    "        print(json.dumps(vars(exc), default=repr))\n"
    "    else:\n"
    "        raise AssertionError('expected an error')",
    # the login widget: the key typed into its password field, then the button clicked
    "import time\n"
    "from astria_widgets import LoginWidget\n"
    "typed = os.environ.pop('ASTRIA_API_KEY')  # the widget asks only when the env has none\n"
    "login = LoginWidget(base_url=os.environ['ASTRIA_BASE_URL'])\n"
    "login.key_field.value = typed\n"
    "login.login_button.click()\n"
    "for _ in range(300):\n"
    "    if login.status in ('ok', 'failed'):\n"
    "        break\n"
    "    time.sleep(0.1)\n"
    "os.environ['ASTRIA_API_KEY'] = typed\n"
    "del typed\n"
    "print(f'login: {login.status} {login!r} {login.client!r}')\n"
    "login",
    # the form, holding the client, then every live widget's state as an output too
    "from astria_widgets import TuneForm\n"
    "form = TuneForm(client, name='dog', branch='fast')\n"
    "form",
    # results widgets: each output also carries a static HTML copy (thumbnails, status) that
    # is saved in the file whatever the widget-state setting
    "from astria_widgets import PromptStudio, watch_tune\n"
    "studio = PromptStudio(client, tune=1504944, text='portrait', num_images=1)\n"
    "run = studio.submit(sweep={'seed': [1, 2]})\n"
    "run.wait(timeout=300)\n"
    "studio",
    "progress = watch_tune(client.list_tunes(limit=1)[0]['id'], client=client)\n"
    "progress.wait(timeout=300)\n"
    "progress",
    "import ipywidgets\n"
    "states = ipywidgets.Widget.get_manager_state()['state']  # what a saved notebook embeds\n"
    "print(len(states), 'widgets')\n"
    "print(json.dumps(states, default=repr)[:200000])",
]


def _logging_cell(log_file: Path) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(
        "import logging as _logging\n"
        f"_handler = _logging.FileHandler({str(log_file)!r})\n"
        "_handler.setFormatter(_logging.Formatter('%(name)s %(levelname)s %(message)s'))\n"
        "_logging.getLogger().addHandler(_handler)\n"
        "_logging.getLogger().setLevel(_logging.DEBUG)"
    )


def _environment_check_cell() -> nbformat.NotebookNode:
    """A last cell proving the kernel ran with the canary (compared by hash, never by value)."""
    return nbformat.v4.new_code_cell(
        "import hashlib as _hashlib, os as _os\n"
        "from astria_widgets import connect as _connect\n"
        "_key = _os.environ.get('ASTRIA_API_KEY', '')\n"
        f"assert _hashlib.sha256(_key.encode()).hexdigest() == {CANARY_SHA!r}\n"
        "assert _connect(quiet=True).base_url.rstrip('/') == "
        "_os.environ['ASTRIA_BASE_URL'].rstrip('/')\n"
        "print('ran with the canary key')"
    )


@pytest.fixture(scope="module")
def canary_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox whose account key is the canary, with a history for the analysis notebook."""
    from astria_widgets.sandbox import Sandbox

    data_dir = tmp_path_factory.mktemp("canary-sandbox")
    with Sandbox(port=0, data_dir=data_dir, api_key=CANARY, speed=600, seed_history=300) as sb:
        yield sb


@pytest.fixture(scope="module")
def kernel_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A kernelspec running this interpreter, so kernels see the package under test."""
    base = tmp_path_factory.mktemp("kernels")
    spec = base / KERNEL_NAME
    spec.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "astria secrets test", "language": "python"})
    )
    return [str(base)]


def _load(source: Path | str, tmp_path: Path) -> tuple[nbformat.NotebookNode, Path]:
    if source == "probe":
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(code) for code in PROBE_CELLS]
        return nb, tmp_path
    path = Path(source)
    return nbformat.read(str(path), as_version=4), path.parent


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "source", ["probe", *NOTEBOOKS], ids=lambda s: s if s == "probe" else Path(s).name
)
def test_canary_key_leaks_nowhere(
    source: Path | str,
    canary_sandbox: Sandbox,
    kernel_dirs: list[str],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    caplog.set_level(logging.DEBUG)
    log_file = tmp_path / "kernel.log"
    nb, workdir = _load(source, tmp_path)
    nb.cells.insert(0, _logging_cell(log_file))
    nb.cells.append(_environment_check_cell())

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASTRIA_")}
    env.update(ASTRIA_API_KEY=CANARY, ASTRIA_BASE_URL=canary_sandbox.url)
    km = KernelManager(
        kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs)
    )
    client = NotebookClient(
        nb,
        km=km,
        timeout=600,
        store_widget_state=True,  # the default, and the leaky one
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=env)
    saved = tmp_path / "executed.ipynb"
    nbformat.write(nb, str(saved))

    last = nb.cells[-1].outputs
    assert any("ran with the canary key" in out.get("text", "") for out in last), last
    text = saved.read_text()
    assert CANARY not in text, f"the key is in the saved notebook {saved}"
    logged = log_file.read_text() if log_file.exists() else ""
    assert "urllib3" in logged or source != "probe", "the kernel's log handler saw no request"
    assert CANARY not in logged, "the key is in a log record of the kernel"
    out, err = capfd.readouterr()
    assert CANARY not in out + err, "the key is in the kernel's stdout/stderr"
    served = [r for r in caplog.records if not r.name.startswith(HARNESS_LOGGERS)]
    leaked = [r.name for r in served if CANARY in r.getMessage()]
    assert not leaked, f"the key is in log records of {leaked}"
    if source == "probe":
        widget_state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
        assert len(widget_state["state"]) > 5  # the form's widgets really were saved
        shown = "".join(
            out.get("text", "") + out.get("data", {}).get("text/plain", "")
            for cell in nb.cells
            for out in cell.get("outputs", [])
        )
        copies = [out["data"]["text/html"] for cell in nb.cells for out in cell.get("outputs", [])
                  if "astria-fallback" in out.get("data", {}).get("text/html", "")]
        assert len(copies) >= 3  # the form, the studio and the progress: checked above too
        assert any(copy.count("<img") == 2 for copy in copies)  # the studio's two results
        assert "key=set" in shown  # the repr says a key is there, without showing it
        assert "AuthenticationError" in shown and "NotFoundError" in shown
        assert "login: ok" in shown
