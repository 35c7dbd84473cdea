"""Fixtures for the browser tests: a sandbox, a JupyterLab server and a Chromium page.

The kernels JupyterLab starts inherit ``ASTRIA_SANDBOX_DIR``, so ``connect()`` in a notebook
reuses the sandbox running in this pytest process (and never the real API: the key and base
URL variables are removed from the server's environment).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import pictures
from .lab import CHROMIUM, CHROMIUM_ARGS, LabServer, NotebookPage

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

# 120x the real service: a standard tune trains in about 10 s, long enough to watch and to
# run another cell meanwhile, short enough for CI.
E2E_SPEED = 120.0
# Historical tunes seeded into the e2e account, for the TuneBrowser test (like binder's 300).
E2E_SEED_HISTORY = 300
# The key the kernels use; a canary, so a saved notebook can be searched for it.
E2E_KEY = "sd_e2e_canary_" + secrets.token_hex(12)
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"


@pytest.fixture(scope="session")
def e2e_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox on loopback that the notebooks' kernels reach through ``connect()``.

    Its account has a seeded history (older than anything the tests create).
    """
    from astria_widgets.sandbox import Sandbox

    data_dir = tmp_path_factory.mktemp("e2e-sandbox")
    with Sandbox(port=0, data_dir=data_dir, api_key=E2E_KEY, speed=E2E_SPEED,
                 seed_history=E2E_SEED_HISTORY) as sb:
        yield sb


@pytest.fixture(scope="session")
def lab(e2e_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """``jupyter lab`` on a temporary root folder, its kernels pointed at the sandbox."""
    base = tmp_path_factory.mktemp("lab")
    server = LabServer(root=base / "root", workdir=base / "work")
    server.start(
        {
            "ASTRIA_SANDBOX_DIR": str(e2e_sandbox.data_dir),
            "ASTRIA_API_KEY": None,
            "ASTRIA_BASE_URL": None,
        }
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (its own browsers can't be fetched)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot is kept when the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    console: list[str] = []
    pg.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    pg.console_messages = console  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = request.node.name.replace("/", "_")
            try:
                pg.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"), full_page=True)
            except Exception:  # noqa: BLE001 - the page may be gone; the failure says enough
                pass
            (ARTIFACTS / f"FAILED-{name}.console.txt").write_text("\n".join(console))
        context.close()


@pytest.fixture
def notebook(page: Any, lab: LabServer) -> NotebookPage:
    """Notebook actions on ``page`` against the ``lab`` server."""
    return NotebookPage(page, lab)


@pytest.fixture
def artifacts() -> Path:
    """Where the browser tests keep their screenshots (gitignored ``artifacts/e2e``)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item so fixtures can see a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session", autouse=True)
def remake_pictures() -> Iterator[None]:
    """With ``ASTRIA_UPDATE_PICTURES=1`` (``scripts/pictures``), ship the pictures made."""
    import time

    started = time.time()
    yield
    if pictures.updating():
        for target in pictures.ship(ARTIFACTS, started):
            print(f"remade {target}")
