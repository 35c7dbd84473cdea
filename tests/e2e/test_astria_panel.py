"""The Astria side panel in a real JupyterLab (headless Chromium).

A JupyterLab of its own, against a sandbox of its own (a canary key, a seeded history, slower
than the other browser tests' so that a training lasts ~1 minute): the panel opens, lists the
tunes newest first, shows a tune that is training move to trained while no notebook is open,
and a tune's detail inserts a ``watch_tune`` cell that runs. It counts the requests the
server extension sends to the API while a tune trains and while none does (the sandbox's
access log; ``/files/`` are the server's picture downloads, not API calls) and keeps
screenshots of the panel in the light and dark themes. With every request from the page to
the sandbox's port aborted (a browser that cannot reach it: Binder, a JupyterHub, a remote
server), the thumbnails still load, through the server extension, a few KiB each.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from .lab import LabServer, NotebookPage, lab_on_sandbox, write_notebook

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

PANEL_KEY = "sd_panel_e2e_canary_" + secrets.token_hex(12)
PANEL_SPEED = 20.0  # a standard training (20 min) takes 60 s: long enough to be seen
SEEDED = 60
PANEL = "#astria-widgets-panel"
TAB = '.jp-SideBar [data-id="astria-widgets-panel"]'
_REQUEST_LINE = re.compile(r'"(GET|POST|PUT|PATCH|DELETE) (\S+) HTTP')


class RequestLog(logging.Handler):
    """Counts the sandbox's API requests (its werkzeug access log), by time."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.guard = threading.Lock()  # not `lock`: logging.Handler holds that one in emit
        self.times: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = _REQUEST_LINE.search(re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage()))
        if match and not match.group(2).startswith(("/files/", "/sandbox/health")):
            with self.guard:
                self.times.append((time.monotonic(), f"{match.group(1)} {match.group(2)}"))

    def between(self, start: float, end: float) -> list[str]:
        """The requests seen in [start, end)."""
        with self.guard:
            return [line for t, line in self.times if start <= t < end]


@pytest.fixture(scope="module")
def requests_seen() -> Iterator[RequestLog]:
    handler = RequestLog()
    logger = logging.getLogger("werkzeug")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.fixture(scope="module")
def panel_sandbox(tmp_path_factory: pytest.TempPathFactory,
                  requests_seen: RequestLog) -> Iterator[Sandbox]:
    from astria_widgets.sandbox import Sandbox

    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("panel-e2e-sandbox"),
                 api_key=PANEL_KEY, speed=PANEL_SPEED, seed_history=SEEDED,
                 access_log=True) as sb:
        yield sb


@pytest.fixture(scope="module")
def panel_client(panel_sandbox: Sandbox) -> Any:
    from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings

    return AstriaClient(api_key=PANEL_KEY, base_url=panel_sandbox.url, sandbox=True,
                        retry=RetrySettings.fast(), poll=PollPolicy.fast())


@pytest.fixture(scope="module")
def training_tune(panel_client: Any) -> dict[str, Any]:
    """A tune created before JupyterLab starts; it trains for about a minute."""
    photos = []
    for i in range(4):
        buffer = io.BytesIO()
        Image.new("RGB", (640, 640), (40 * i, 120, 200 - 30 * i)).save(buffer, "JPEG")
        photos.append((f"dog {i}.jpg", buffer.getvalue()))
    return panel_client.create_tune(name="dog", title=f"panel e2e {secrets.token_hex(3)}",
                                    images=photos, branch="sd15",
                                    prompts=["ohwx dog on the beach, golden hour"])


@pytest.fixture(scope="module")
def panel_lab(panel_sandbox: Sandbox, training_tune: dict[str, Any],
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    with lab_on_sandbox(panel_sandbox, tmp_path_factory.mktemp("panel-lab")) as server:
        yield server


def open_panel(page: Any) -> Any:
    """Click the Astria tab in the left sidebar; returns the panel's locator."""
    page.locator(TAB).click()
    panel = page.locator(PANEL)
    expect(panel).to_be_visible()
    expect(panel.locator(".jp-AstriaPanel-tune").first).to_be_visible(timeout=60_000)
    return panel


def set_theme(page: Any, theme: str) -> None:
    page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', "
                  "{theme: t})", theme)
    page.wait_for_function("(t) => document.body.dataset.jpThemeName === t", arg=theme,
                           timeout=30_000)
    page.wait_for_timeout(500)  # the theme's CSS variables apply


def per_minute(count: int, seconds: float) -> float:
    return round(count * 60.0 / seconds, 1)



def assert_theme(path: Path, *, dark: bool) -> None:
    """The picture is in the theme asked, by pixel statistics: the background (the median
    luminance) is dark with some light text (the brightest 1%), or the other way round."""
    from PIL import Image

    counts = Image.open(path).convert("L").histogram()  # pixels per luminance 0..255
    total = sum(counts)

    def percentile(share: float) -> int:
        seen = 0
        for level, count in enumerate(counts):
            seen += count
            if seen > share * total:
                return level
        return 255

    median, top, bottom = percentile(0.5), percentile(0.99), percentile(0.01)
    if dark:
        assert median < 90 and top > 170, (path.name, median, top)
    else:
        assert median > 170 and bottom < 90, (path.name, median, bottom)

def test_the_panel_follows_a_training_tune_with_no_notebook_open(
    page: Any, panel_lab: LabServer, training_tune: dict[str, Any],
    requests_seen: RequestLog, artifacts: Path, figures: Any,
) -> None:
    tune_id = training_tune["id"]
    # JupyterLab with no document: a fresh workspace, nothing restored
    page.goto(f"{panel_lab.url}/lab/workspaces/e2e-{secrets.token_hex(6)}"
              f"?token={panel_lab.token}")
    page.wait_for_function("() => !!window.jupyterapp && !!window.jupyterapp.shell")
    start = time.monotonic()
    panel = open_panel(page)
    assert page.locator(".jp-LabShell .jp-NotebookPanel").count() == 0

    expect(panel.locator(".jp-AstriaPanel-api")).to_have_text("Sandbox")
    expect(panel.locator(".jp-AstriaPanel-balance")).to_have_text(re.compile(r"^\$\d+\.\d\d$"))
    rows = panel.locator(".jp-AstriaPanel-tune")
    expect(rows).to_have_count(20)
    ids = [int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.id)")]
    assert ids == sorted(ids, reverse=True)
    assert ids[0] == tune_id

    row = panel.locator(f'.jp-AstriaPanel-tune[data-id="{tune_id}"]')
    expect(row).to_have_attribute("data-status", re.compile("queued|training"))
    expect(row).to_have_attribute("data-status", "training", timeout=30_000)
    expect(row.locator(".jp-AstriaPanel-progress")).to_be_visible()
    expect(row.locator(".jp-AstriaPanel-left")).to_have_text(re.compile(r"left|overdue"))
    page.wait_for_function(  # the bar moves
        """(id) => {
          const f = document.querySelector(
            `.jp-AstriaPanel-tune[data-id="${id}"] .jp-AstriaPanel-progressFill`);
          return !!f && parseFloat(f.style.width) >= 10;
        }""", arg=tune_id, timeout=60_000)
    page.wait_for_function(  # the thumbnails came through the server extension
        f"""() => Array.from(document.querySelectorAll('{PANEL} img.jp-AstriaPanel-thumb'))
                 .slice(0, 3).every(i => i.complete && i.naturalWidth > 0)""")
    panel.screenshot(path=str(artifacts / "astria-panel-light.png"))
    assert_theme(artifacts / "astria-panel-light.png", dark=False)
    set_theme(page, "JupyterLab Dark")
    panel.screenshot(path=str(artifacts / "astria-panel-dark.png"))
    assert_theme(artifacts / "astria-panel-dark.png", dark=True)
    set_theme(page, "JupyterLab Light")

    expect(row).to_have_attribute("data-status", "trained", timeout=150_000)
    expect(row.locator(".jp-AstriaPanel-badge")).to_have_text("trained")
    trained_at = time.monotonic()
    assert page.locator(".jp-LabShell .jp-NotebookPanel").count() == 0

    # then nothing trains: the panel keeps polling the server extension, which serves its cache
    page.wait_for_timeout(40_000)
    idle_end = time.monotonic()
    training = requests_seen.between(start, trained_at)
    idle = requests_seen.between(trained_at, idle_end)
    span, idle_span = trained_at - start, idle_end - trained_at
    ours = [r for r in training if r == f"GET /tunes/{tune_id}"]
    listing = [r for r in training if r.startswith(("GET /tunes?", "GET /users"))]
    others = len(training) - len(ours) - len(listing)  # watches of seeded tunes still training
    figures("requests/min from the server extension to the API while tunes train "
            f"(sandbox speed {PANEL_SPEED:g}: a training lasts ~{1200 / PANEL_SPEED:.0f} s)",
            per_minute=per_minute(len(training), span), seconds=round(span, 1),
            our_tune_polls=len(ours), list_and_account=len(listing),
            other_training_tunes_polls=others)
    figures("requests/min from the server extension to the API, nothing training",
            per_minute=per_minute(len(idle), idle_span), requests=len(idle),
            seconds=round(idle_span, 1))
    (artifacts / "astria-panel-requests.txt").write_text(
        "training:\n" + "\n".join(training) + "\n\nidle:\n" + "\n".join(idle) + "\n")
    # the list and the account are asked at most once per 12 x the poll floor (1 s here);
    # a training tune's polls are its wait's, never closer than the floor
    floor = 1.0
    assert len(idle) <= 2 * (idle_span / (12 * floor) + 1)
    assert len(listing) <= 2 * (span / (12 * floor) + 1)
    assert 3 <= len(ours) <= span / floor + 2

    # more on scroll (keyset pages from the server's store), then a search
    # (scrolled again until the next page shows: on a loaded machine the first scroll can come
    # before the list box has laid out its rows, and the page can take longer than 5 s)
    deadline = time.monotonic() + 30
    while rows.count() < 40 and time.monotonic() < deadline:
        panel.locator(".jp-AstriaPanel-listBox").evaluate(
            "b => { b.scrollTop = b.scrollHeight; }")
        page.wait_for_timeout(500)
    expect(rows).to_have_count(40)
    ids = [int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.id)")]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 40
    panel.locator(".jp-AstriaPanel-search").fill(training_tune["title"].upper())
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", str(tune_id))
    panel.locator(".jp-AstriaPanel-search").fill("no such tune zzz")
    expect(panel.locator(".jp-AstriaPanel-more")).to_have_text("No tune matches the search.")
    panel.locator(".jp-AstriaPanel-search").fill("")
    expect(rows).to_have_count(20)


def test_the_detail_inserts_a_watch_tune_cell_that_runs(
    page: Any, panel_lab: LabServer, training_tune: dict[str, Any], panel_client: Any,
    artifacts: Path,
) -> None:
    tune_id = training_tune["id"]
    panel_client.wait_for_tune(tune_id, timeout=180)
    (prompt,) = panel_client.list_prompts(tune_id)
    panel_client.wait_for_prompt(tune_id, prompt["id"], timeout=120)
    write_notebook(panel_lab.root / "panel.ipynb", ["# cells from the Astria panel"])
    notebook = NotebookPage(page, panel_lab)
    notebook.open("panel.ipynb")
    panel = open_panel(page)
    panel.locator(f'.jp-AstriaPanel-tune[data-id="{tune_id}"]').click()
    detail = panel.locator(".jp-AstriaPanel-detail")
    expect(detail).to_be_visible()
    expect(detail.locator(".jp-AstriaPanel-fields")).to_contain_text(str(tune_id))
    expect(detail.locator(".jp-AstriaPanel-badge").first).to_have_text("trained")
    expect(detail.locator(".jp-AstriaPanel-prompt")).to_have_count(1)
    expect(detail.locator(".jp-AstriaPanel-promptText")).to_have_text(
        "ohwx dog on the beach, golden hour")
    page.wait_for_function(
        f"""() => {{
          const imgs = document.querySelectorAll('{PANEL} img.jp-AstriaPanel-image');
          return imgs.length > 0 && Array.from(imgs).every(i => i.complete && i.naturalWidth > 0);
        }}""", timeout=60_000)

    detail.locator(".jp-AstriaPanel-insertWatch").click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.length"
                           " === 2")
    index = 1
    source = page.evaluate(
        "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i]"
        ".model.sharedModel.getSource()", index)
    assert source == f"from astria_widgets import watch_tune\n\nwatch_tune({tune_id})"
    panel.screenshot(path=str(artifacts / "astria-panel-detail-light.png"))
    assert_theme(artifacts / "astria-panel-detail-light.png", dark=False)
    set_theme(page, "JupyterLab Dark")
    panel.screenshot(path=str(artifacts / "astria-panel-detail-dark.png"))
    assert_theme(artifacts / "astria-panel-detail-dark.png", dark=True)
    set_theme(page, "JupyterLab Light")

    notebook.run_cell(index, timeout_ms=120_000)
    output = notebook.cell(index).locator(".jp-OutputArea")
    expect(output).to_contain_text("trained", timeout=60_000)
    assert "Traceback" not in notebook.output_text(index)
    page.screenshot(path=str(artifacts / "astria-panel-watch-cell.png"))


def test_new_astria_tune_in_the_launcher_opens_a_notebook_with_the_form(
    page: Any, panel_lab: LabServer, artifacts: Path,
) -> None:
    page.goto(f"{panel_lab.url}/lab/workspaces/e2e-{secrets.token_hex(6)}"
              f"?token={panel_lab.token}")
    page.wait_for_function(  # every plugin is activated: ours and the launcher
        """() => !!window.jupyterapp && ['launcher:create', 'astria-widgets:new-tune',
               'apputils:activate-command-palette'].every(
                 c => window.jupyterapp.commands.hasCommand(c))""", timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('launcher:create')")
    card = page.locator('.jp-LauncherCard:has-text("New Astria tune")')
    expect(card).to_be_visible(timeout=30_000)  # the launcher is in before the palette opens
    # in the palette (the modal palette closes when focus moves: open it again until it shows)
    palette = page.locator(".lm-CommandPalette-input")
    for _attempt in range(5):
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:activate-command-palette')")
        try:
            expect(palette).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            continue
    palette.fill("astria tune")
    expect(page.locator('.lm-CommandPalette-item:has-text("New Astria tune")')).to_be_visible()
    page.keyboard.press("Escape")
    # in the launcher
    expect(card).to_be_visible(timeout=30_000)
    card.click()
    notebook = page.locator(".jp-NotebookPanel")
    expect(notebook).to_be_visible(timeout=60_000)
    first = notebook.locator(".jp-Cell").first
    expect(first.locator(".jp-InputArea")).to_contain_text("TuneForm()")
    # the cell ran: the form is there, with its fields, and no traceback
    expect(first.locator(".jp-OutputArea .astria-tune-form")).to_be_visible(timeout=90_000)
    expect(first.locator(".jp-OutputArea .astria-form-images")).to_be_visible()
    assert "Traceback" not in first.locator(".jp-OutputArea").inner_text()
    page.screenshot(path=str(artifacts / "astria-panel-new-tune.png"))


def test_notebook_7_shows_the_panel_and_inserts_into_its_notebook(
    page: Any, panel_lab: LabServer, training_tune: dict[str, Any], artifacts: Path,
) -> None:
    """Notebook 7 loads the same prebuilt extension: the panel opens in its left area."""
    tune_id = training_tune["id"]
    write_notebook(panel_lab.root / "nb7.ipynb", ["# Notebook 7"])
    page.goto(f"{panel_lab.url}/notebooks/nb7.ipynb?token={panel_lab.token}")
    page.wait_for_function(
        """() => !!window.jupyterapp && window.jupyterapp.name === 'Jupyter Notebook'
             && window.jupyterapp.commands.hasCommand('astria-widgets:open-panel')
             && !!document.querySelector('.jp-NotebookPanel .jp-Cell')""", timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('astria-widgets:open-panel')")
    panel = page.locator(PANEL)
    expect(panel.locator(".jp-AstriaPanel-tune").first).to_be_visible(timeout=60_000)
    panel.locator(f'.jp-AstriaPanel-tune[data-id="{tune_id}"]').click()
    panel.locator(".jp-AstriaPanel-insertStudio").click()
    page.wait_for_function(
        """(code) => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Cell'))
             .some(c => c.textContent.includes(code))""",
        arg=f"PromptStudio(tune={tune_id})", timeout=30_000)
    page.screenshot(path=str(artifacts / "astria-panel-notebook7.png"))


SMALL_PICTURE = 8 * 1024


def test_the_thumbnails_load_when_the_browser_cannot_reach_the_sandbox(
    page: Any, panel_lab: LabServer, panel_sandbox: Sandbox, training_tune: dict[str, Any],
    panel_client: Any, artifacts: Path, figures: Any,
) -> None:
    tune_id = training_tune["id"]
    panel_client.wait_for_tune(tune_id, timeout=180)
    (prompt,) = panel_client.list_prompts(tune_id)
    panel_client.wait_for_prompt(tune_id, prompt["id"], timeout=120)
    origin = panel_sandbox.url  # http://127.0.0.1:PORT
    blocked: list[str] = []

    def block(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    page.context.route(f"{origin}/**", block)  # nothing from the page reaches the sandbox
    responses: list[Any] = []  # the picture routes' answers, read once the page is done

    def on_response(response: Any) -> None:
        if "/astria-widgets/api/tunes/" in response.url and "/images/" in response.url:
            responses.append(response)

    page.on("response", on_response)
    page.goto(f"{panel_lab.url}/lab/workspaces/e2e-{secrets.token_hex(6)}"
              f"?token={panel_lab.token}")
    page.wait_for_function("() => !!window.jupyterapp && !!window.jupyterapp.shell")
    panel = open_panel(page)
    expect(panel.locator(".jp-AstriaPanel-tune")).to_have_count(20)
    thumbs = panel.locator("img.jp-AstriaPanel-thumb")
    shown = thumbs.count()
    assert shown >= 10  # most seeded tunes have a training image
    page.wait_for_function(
        f"""(n) => {{
          const imgs = document.querySelectorAll('{PANEL} img.jp-AstriaPanel-thumb');
          return imgs.length === n && Array.from(imgs).every(
            i => i.src.startsWith('blob:') && i.complete && i.naturalWidth > 0);
        }}""", arg=shown, timeout=60_000)
    panel.screenshot(path=str(artifacts / "panel-blocked-sandbox.png"))  # docs/screenshots/

    # the detail's prompt images too
    panel.locator(f'.jp-AstriaPanel-tune[data-id="{tune_id}"]').click()
    images = panel.locator("img.jp-AstriaPanel-image")
    expect(images.first).to_be_visible(timeout=30_000)
    page.wait_for_function(
        f"""() => {{
          const imgs = document.querySelectorAll('{PANEL} img.jp-AstriaPanel-image');
          return imgs.length > 0 && Array.from(imgs).every(
            i => i.src.startsWith('blob:') && i.complete && i.naturalWidth > 0);
        }}""", timeout=60_000)
    panel.screenshot(path=str(artifacts / "panel-blocked-sandbox-detail.png"))
    # a click opens a larger copy (still through the server) in a new tab
    with page.context.expect_page() as opened:
        images.first.click()
    tab = opened.value
    tab.wait_for_function("() => location.protocol === 'blob:' && document.images.length === 1"
                          " && document.images[0].naturalWidth > 128", timeout=30_000)
    tab.close()

    # no URL of the sandbox anywhere in the page, so the page never even tried it
    host = origin.split("//", 1)[1]
    assert host not in page.content()
    assert blocked == []
    pictures = {  # route -> (status, type, bytes the page received)
        r.url.split("/astria-widgets/api/", 1)[1]: (
            r.status, r.headers.get("content-type", ""), r.request.sizes()["responseBodySize"])
        for r in responses}
    assert {(status, kind) for status, kind, _ in pictures.values()} == {(200, "image/jpeg")}
    large = [size for route, (_, _, size) in pictures.items() if route.endswith("size=large")]
    small = {route: size for route, (_, _, size) in pictures.items() if "?" not in route}
    thumb_sizes = [size for route, size in small.items() if "/prompts/" not in route]
    prompt_sizes = [size for route, size in small.items() if "/prompts/" in route]
    assert len(large) == 1, sorted(pictures)  # the copy the click opened, larger on purpose
    # no cache-busting query: the browser's HTTP cache may keep them (Cache-Control: private)
    assert len(small) + len(large) == len(pictures), sorted(pictures)
    assert len(thumb_sizes) >= shown and prompt_sizes
    assert min(thumb_sizes + prompt_sizes) > 0
    figures("image bytes the page received per thumbnail, sandbox port blocked",
            thumbnails=len(thumb_sizes), mean=round(sum(thumb_sizes) / len(thumb_sizes)),
            max=max(thumb_sizes), prompt_images=len(prompt_sizes), prompt_max=max(prompt_sizes),
            large_copy_opened=large[0])
    assert max(thumb_sizes + prompt_sizes) < SMALL_PICTURE
