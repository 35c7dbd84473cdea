"""The TuneBrowser in a real JupyterLab, on the sandbox's seeded history.

A notebook shows ``TuneBrowser()`` (``connect()`` finds the harness's sandbox, whose account
holds a seeded history). In headless Chromium the test types a word into the search box and
sees the match count and rows change, pages forward, clicks a row, and sees the detail pane
with the tune's fields and its training-image thumbnails decoded by the browser. The expected
counts come from the API itself, not from the widget.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import expect

from .conftest import E2E_KEY
from .lab import LabServer, NotebookPage, write_notebook

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

BROWSER_CELL = (
    "from astria_widgets import TuneBrowser\n"
    "browser = TuneBrowser()\n"
    "browser"
)
PAGE_SIZE = 25  # TuneBrowser's default


def _search_word(records: list[dict[str, Any]]) -> tuple[str, int]:
    """A title word matching more than one page of tunes, but not all; and how many match."""
    words = Counter(
        word for r in records for word in set(str(r.get("title") or "").lower().split())
        if len(word) > 3 and word.isalpha()
    )
    for word, _count in words.most_common():
        matching = sum(word in str(r.get("title") or "").lower() for r in records)
        if PAGE_SIZE < matching < len(records):
            return word, matching
    raise AssertionError(f"no title word matches 26..{len(records) - 1} tunes: {words}")


def test_tune_browser_in_the_browser(
    notebook: NotebookPage,
    page: Any,
    lab: LabServer,
    e2e_sandbox: Sandbox,
    artifacts: Path,
) -> None:
    from astria_widgets.client import AstriaClient

    client = AstriaClient(api_key=E2E_KEY, base_url=e2e_sandbox.url, sandbox=True)
    records = list(client.iter_tunes())
    by_id = {int(r["id"]): r for r in records}
    total = len(records)
    assert total >= 300  # the seeded history
    word, matching = _search_word(records)

    write_notebook(lab.root / "browser.ipynb", [BROWSER_CELL])
    notebook.open("browser.ipynb")
    notebook.run_all()
    browser = page.locator(".astria-tune-browser")
    pager = browser.locator(".astria-browser-page")
    # loaded in the background, then the table appears with the whole history
    expect(pager).to_have_text(re.compile(rf"page 1 of \d+ · {total:,} tunes$"), timeout=60_000)
    expect(browser.locator(".astria-browser-loading-row")).to_be_hidden()
    rows = browser.locator(".astria-browser-row")
    expect(rows).to_have_count(PAGE_SIZE)

    # typing in the search box narrows the table
    browser.locator(".astria-browser-search input").fill(word.upper())
    pages = -(-matching // PAGE_SIZE)
    expect(pager).to_have_text(f"page 1 of {pages} · {matching:,} of {total:,} tunes match")
    expect(rows).to_have_count(min(PAGE_SIZE, matching))
    for title in browser.locator(".astria-browser-row").all_inner_texts():
        assert word in title.lower(), title

    # the next page holds the next matches
    next_button = browser.locator(".astria-browser-next")
    expect(next_button).to_be_enabled()
    next_button.click()
    expect(pager).to_have_text(re.compile(rf"^page 2 of {pages} "))
    expect(rows).to_have_count(min(PAGE_SIZE, matching - PAGE_SIZE))
    ids = [int(t) for t in browser.locator(".astria-browser-row-button").all_inner_texts()]
    assert all(word in str(by_id[i]["title"]).lower() for i in ids)

    # clicking a row shows its fields and its training images in the detail pane
    chosen = next(i for i in ids if by_id[i].get("orig_images"))
    n_images = min(len(by_id[chosen]["orig_images"]), 40)
    browser.locator(".astria-browser-row-button", has_text=str(chosen)).click()
    fields = browser.locator(".astria-browser-fields")
    expect(fields).to_contain_text(f"#{chosen}", timeout=30_000)
    expect(fields).to_contain_text(str(by_id[chosen]["title"]))
    expect(fields).to_contain_text("Class name")
    thumbs = browser.locator(".astria-browser-training img")
    expect(thumbs).to_have_count(n_images, timeout=60_000)
    notebook.wait_for_images(".astria-browser-training img", n_images)
    expect(browser.locator(".astria-browser-row-button.mod-info")).to_have_text(str(chosen))
    assert page.locator("text=Error displaying widget").count() == 0
    assert "Traceback" not in notebook.output_text(0)
    notebook.screenshot(artifacts / "tune-browser.png")
