"""Static copies of the results widgets (issue 17, part 3): the ``text/html`` beside the view.

Each results widget's display bundle holds a ``text/html`` fallback with its status line and one
small embedded JPEG thumbnail per result (``data:`` URIs, no other URL); it is displayed with a
display id and updated (throttled) as the model changes; a fallback is capped in size and
holds no key. The browser-level proof (nbclient -> nbconvert -> Chromium without JavaScript)
is tests/e2e/test_static_fallback.py.
"""

from __future__ import annotations

import base64
import io
import json
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from IPython.display import display
from PIL import Image

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings
from astria_widgets.widgets import (
    Gallery,
    PackPicker,
    PromptStudio,
    TuneBrowser,
    TuneForm,
    TuneProgress,
    watch_tune,
)
from astria_widgets.widgets.fallback import StaticDisplay
from astria_widgets.widgets.fallback_html import (
    MAX_FALLBACK_BYTES,
    MAX_THUMBNAIL_BYTES,
    Section,
    Tile,
    render,
    text,
    thumbnail_uri,
)

WAIT = 60
FLUX_DEV = 1504944
IMG = re.compile(r'<img src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"')
THUMB_LIMIT = 8 * 1024  # "a few KiB each"
VIEW = "application/vnd.jupyter.widget-view+json"


def fallback(widget) -> str:
    """The ``text/html`` of the widget's display bundle (what a saved notebook keeps)."""
    bundle = widget._repr_mimebundle_()
    assert VIEW in bundle  # the live view is still there
    return bundle["text/html"]


def thumbnails(page: str) -> list[bytes]:
    """The embedded images of a fallback, decoded; every one a small JPEG."""
    found = [base64.b64decode(data) for data in IMG.findall(page)]
    assert page.count("<img") == len(found)  # no image other than the embedded thumbnails
    for jpeg in found:
        assert jpeg.startswith(b"\xff\xd8") and len(jpeg) <= THUMB_LIMIT
    return found


def assert_clean(page: str) -> None:
    """One line, within the cap, and no URL but data: URIs."""
    assert "\n" not in page and len(page) <= MAX_FALLBACK_BYTES
    assert "://" not in page and "http" not in IMG.sub("", page)


def studio_run(client: AstriaClient, text: str = "a lighthouse at dusk") -> PromptStudio:
    studio = PromptStudio(client=client, tune=FLUX_DEV, text=text, num_images=1)
    studio.submit(sweep={"seed": [1, 2, 3], "cfg_scale": [3, 7]}).wait(timeout=WAIT)
    return studio


@pytest.fixture
def published() -> Iterator[list[dict]]:
    """Displays and updates captured from a real IPython shell (what a kernel would send)."""
    shell = InteractiveShell.instance()
    saved = shell.display_pub
    capture = CapturingDisplayPublisher()
    shell.display_pub = capture
    try:
        yield capture.outputs
    finally:
        shell.display_pub = saved


# -- the pure part -----------------------------------------------------------------------------
def test_the_html_module_imports_no_ipywidgets() -> None:
    code = ("import sys, astria_widgets.widgets.fallback_html as f; "
            "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'; print(f.render([]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'data-astria-fallback="widget"' in out.stdout


def test_text_is_escaped_one_line_and_keeps_no_url() -> None:
    signed = "https://bucket.example/x.png?X-Amz-Signature=abc123&token=s3cr3t"
    shown = text(f"<b>oops</b>\nfetch {signed} failed\x00")
    assert shown == "&lt;b&gt;oops&lt;/b&gt; fetch [link] failed"
    path = "HTTPConnectionPool(host='h', port=1): Max retries with url: /f/1.png?sig=abc&x=1"
    assert text(path).endswith("with url: /f/1.png?[query]") and "sig" not in text(path)
    assert text("x" * 500, 10) == "x" * 9 + "…"


def noise(seed: int, size: int) -> bytes:
    """A JPEG of pure noise: the worst case for a JPEG thumbnail's size."""
    rng = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", (size, size), rng.randbytes(size * size * 3)).save(
        out, "JPEG", quality=95)
    return out.getvalue()


def test_a_thumbnail_is_a_small_jpeg_even_of_a_big_noisy_photo() -> None:
    big = noise(3, 2000)
    assert len(big) > 1_000_000
    uri = thumbnail_uri(big, 128)
    assert uri is not None and uri.startswith("data:image/jpeg;base64,")
    assert len(base64.b64decode(uri.split(",", 1)[1])) <= MAX_THUMBNAIL_BYTES
    assert thumbnail_uri(b"not an image") is None


@pytest.mark.parametrize("count", [48, 100, 300])
@pytest.mark.parametrize("kind", ["photos", "noise"])
def test_the_size_cap_holds_and_every_tile_stays_in_a_big_grid(photo, kind, count) -> None:
    # issue 20: no cap on a sweep's size, so none on its copy; noise is the worst case for JPEG
    # (noise small enough that the thumbnail keeps it: an average would be flat grey)
    make = (lambda i: photo(i, 900)) if kind == "photos" else (lambda i: noise(i, 70))
    tiles = tuple(Tile(f"seed {i}", make(i), note=f"#{i} · seed 1 · 1 image")
                  for i in range(count))
    cols = 10 if count > 48 else 8
    rows = -(-count // cols)
    page = render([Section(title="Results", status=f"{count} of {count} prompts finished",
                           tiles=tiles, columns=cols,
                           row_labels=tuple(f"seed = {r}" for r in range(rows)),
                           col_labels=tuple(f"cfg = {c}" for c in range(cols)))],
                  kind="studio-results")
    assert_clean(page)
    embedded = len(thumbnails(page))
    left_out = page.count("(not embedded: size cap)")
    assert page.count('class="astria-fallback-tile"') == count  # every tile is there
    assert f"#{count - 1} · seed 1" in page and f"{count} of {count} prompts finished" in page
    assert embedded + left_out == count
    if left_out:  # said once, with the count, never silently
        assert f"{left_out} of {count} pictures not embedded" in page
    else:
        assert "pictures not embedded" not in page
    if kind == "photos" and count <= 100:
        assert embedded == count  # an ordinary 10 x 10 grid fits whole
    else:
        assert embedded >= 10
    # texts are cut too: a flood of long lines stays under the cap
    flood = render([Section(title="t" * 10_000, lines=tuple("y" * 5_000 for _ in range(500)))])
    assert len(flood) < 20_000 and "... and 471 more" in flood


# -- each results widget's bundle --------------------------------------------------------------
def test_the_studio_bundle_shows_the_grid_status_and_six_thumbnails(client) -> None:
    studio = studio_run(client)
    for widget in (studio, studio.results):
        page = fallback(widget)
        assert_clean(page)
        assert "6 of 6 prompts finished · status done" in page
        assert len(thumbnails(page)) == 6
        assert "seed = 3" in page and "cfg_scale = 7" in page  # the grid's labels
    assert "Prompt as sent: a lighthouse at dusk" in fallback(studio)


def test_the_progress_gallery_and_form_bundles_show_status_and_images(client, photos) -> None:
    tune = client.create_tune(name="dog", images=photos(3), branch="fast",
                              prompts=[{"text": "ohwx dog in the snow", "num_images": 2}])
    view = watch_tune(tune["id"], client=client)
    view.wait(timeout=WAIT)
    page = fallback(view)
    assert_clean(page)
    assert f"Tune #{tune['id']}" in page and "status trained" in page
    assert "1 prompt: 1 done, 0 failed · 2 images" in page and "ohwx dog in the snow" in page
    assert len(thumbnails(page)) == 2
    assert len(thumbnails(fallback(view.gallery))) == 2

    form = TuneForm(client, name="woman", branch="fast", prompts=["ohwx woman, oil painting"])
    before = fallback(form)
    assert "New tune" in before and "not submitted" in before and not thumbnails(before)
    form.add_images(photos(4, start=10))
    handle = form.submit()
    handle.wait(timeout=WAIT)
    page = fallback(form)
    assert_clean(page)
    assert "4 training images · 1 prompt" in page and "status trained" in page
    assert len(thumbnails(page)) == 1  # one image of the one prompt


def test_a_gallery_embeds_pictures_and_names_videos(client, photo) -> None:
    gallery = Gallery()
    assert "0 results" in fallback(gallery)
    for i in range(3):
        gallery.add(photo(i), caption=f"prompt #1 · {i + 1}/3", url="https://x.example/a?sig=1")
    gallery.add(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64, caption="a clip")
    page = fallback(gallery)
    assert_clean(page)
    assert "4 results" in page and "video" in page and "prompt #1 · 3/3" in page
    assert len(thumbnails(page)) == 3


def test_the_pack_picker_bundle_shows_the_pack_estimate_and_order(client, photos) -> None:
    picker = PackPicker(client)
    picker.choose(260)
    picker.class_name.value = "woman"
    page = fallback(picker)
    assert_clean(page)
    assert "Pack: Corporate Headshots (#260)" in page and "cost before ordering: $" in page
    assert len(thumbnails(page)) == 1  # the pack's preview, fetched through the client
    picker.picker.add_images(photos(4))
    picker.order()
    page = fallback(picker)
    assert picker.last_order_summary.startswith("Ordered Corporate Headshots for woman")
    assert text(picker.last_order_summary) in page


def test_the_browser_bundle_shows_the_page_and_the_chosen_tunes_images(client, photos) -> None:
    tune = client.create_tune(name="cat", images=photos(2), branch="fast", title="Felix",
                              prompts=[{"text": "ohwx cat on a sofa", "num_images": 2}])
    TuneProgress(tune["id"]).start(client).wait(timeout=WAIT)
    browser = TuneBrowser(client)
    assert browser.wait_loaded(WAIT)
    page = fallback(browser)
    assert "page 1 of 1 · 1 tune" in page and f"#{tune['id']} trained · Felix" in page
    browser.select(tune["id"])
    assert browser.detail.wait(WAIT)
    page = fallback(browser)
    assert_clean(page)
    assert f"Selected: tune #{tune['id']} Felix" in page and "branch: fast" in page
    assert len(thumbnails(page)) == 2


# -- kept current: a display id, throttled updates ----------------------------------------------
def test_a_displayed_studio_gets_one_update_its_final_grid(client, published) -> None:
    studio = PromptStudio(client=client, tune=FLUX_DEV, text="a red barn", num_images=1)
    display(studio)
    assert len(published) == 1
    shown = published[0]
    display_id = shown["transient"]["display_id"]
    assert not shown["update"] and "no run yet" in shown["data"]["text/html"]
    assert VIEW in shown["data"]
    studio.submit(sweep={"seed": [1, 2, 3], "cfg_scale": [3, 7]}).wait(timeout=WAIT)
    # JupyterLab rebuilds the view on each update: one, when the run is done (before wait()
    # returned), none while it ran and the user may be typing the next prompt
    (update,) = published[1:]
    assert update["update"] and update["transient"]["display_id"] == display_id
    # only the static copy changes: the repr and the view stay as displayed (nbval compares it)
    assert update["data"]["text/plain"] == shown["data"]["text/plain"]
    assert update["data"][VIEW] == shown["data"][VIEW]
    final = update["data"]["text/html"]
    assert "6 of 6 prompts finished · status done" in final and len(thumbnails(final)) == 6
    assert final == fallback(studio)
    # a second display of the same widget shares the id, so both outputs stay current
    display(studio)
    assert published[-1]["transient"]["display_id"] == display_id


def sent(published: list[dict], widget) -> list[dict]:
    """The displays and updates of ``widget``'s outputs (other widgets' timers may fire too)."""
    display_id = widget.static_display.display_id
    return [o for o in published if (o["transient"] or {}).get("display_id") == display_id]


def test_the_other_widgets_update_when_their_work_ends(client, photos, published) -> None:
    tune = client.create_tune(name="dog", images=photos(2), branch="fast",
                              prompts=[{"text": "ohwx dog", "num_images": 1}])
    view = watch_tune(tune["id"], client=client)
    display(view)
    view.wait(timeout=WAIT)
    assert [o["update"] for o in sent(published, view)] == [False, True]
    assert "status trained" in sent(published, view)[-1]["data"]["text/html"]

    form = TuneForm(client, name="cat", branch="fast", prompts=["ohwx cat"])
    display(form)
    form.add_images(photos(2, start=5))  # typing and picking: no update
    assert len(sent(published, form)) == 1
    form.submit().wait(timeout=WAIT)
    assert [o["update"] for o in sent(published, form)] == [False, True]
    assert "status trained" in sent(published, form)[-1]["data"]["text/html"]

    picker = PackPicker(client)
    display(picker)
    picker.choose(260)
    picker.class_name.value = "woman"
    assert len(sent(published, picker)) == 1  # choosing: no update
    picker.picker.add_images(photos(4, start=20))
    picker.order()
    assert [o["update"] for o in sent(published, picker)] == [False, True]
    assert "Ordered Corporate Headshots" in sent(published, picker)[-1]["data"]["text/html"]

    browser = TuneBrowser(client)
    display(browser)
    browser.wait_loaded(WAIT)

    def last() -> str:
        return sent(published, browser)[-1]["data"]["text/html"]

    deadline = time.monotonic() + 5  # the load's end, throttled after the display
    while "page 1 of 1" not in last() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "page 1 of 1 · 3 tunes" in last()  # the dog, the cat and the pack's new tune
    count = len(sent(published, browser))
    browser.select(tune["id"])
    browser.detail.wait(WAIT)
    time.sleep(0.3)
    assert len(sent(published, browser)) == count  # a click: no update...
    browser.refresh_static(now=True)  # ...until asked
    assert f"Selected: tune #{tune['id']}" in last()


def test_a_displayed_gallery_updates_throttled(photo, published) -> None:
    gallery = Gallery()
    gallery.static_display.interval = 0.2
    display(gallery)
    for i in range(5):
        gallery.add(photo(i), caption=f"#{i}")
    assert len(sent(published, gallery)) == 1  # held back
    deadline = time.monotonic() + 5
    while len(sent(published, gallery)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    (_shown, update) = sent(published, gallery)
    assert update["update"] and len(thumbnails(update["data"]["text/html"])) == 5


def test_updates_are_throttled_and_the_last_change_always_goes(published) -> None:
    state = {"n": 0}
    static = StaticDisplay(lambda: {"text/plain": "x", "text/html": f"<p>{state['n']}</p>"},
                           interval=0.3)
    static.changed()
    assert not [o for o in published if o["transient"]["display_id"] == static.display_id]

    def mine() -> list[dict]:
        return [o for o in published if o["transient"]["display_id"] == static.display_id]

    static.show()
    assert len(mine()) == 1 and not mine()[0]["update"]
    for n in range(1, 51):  # a burst of changes within the interval
        state["n"] = n
        static.changed()
    assert len(mine()) == 1  # held back...
    deadline = time.monotonic() + 5
    while len(mine()) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.4)
    assert len(mine()) == 2 and mine()[1]["update"]  # ...then one update, the latest
    assert mine()[1]["data"]["text/html"] == "<p>50</p>"
    state["n"] = 51
    static.changed(now=True)  # the final state goes at once
    assert len(mine()) == 3 and mine()[2]["data"]["text/html"] == "<p>51</p>"
    static.changed(now=True)  # unchanged: nothing sent
    assert len(mine()) == 3 and static.updates == 2


def test_updates_from_many_threads_arrive_in_order_and_end_on_the_last(published) -> None:
    lock = threading.Lock()
    state = {"n": 0}
    static = StaticDisplay(lambda: {"text/html": f"<p>{state['n']}</p>"}, interval=0.05)
    static.show()

    def bump() -> None:
        for _ in range(40):
            with lock:
                state["n"] += 1
            static.changed()
            time.sleep(0.002)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    static.changed(now=True)
    shown = [int(re.sub(r"\D", "", o["data"]["text/html"])) for o in published
             if o["transient"]["display_id"] == static.display_id]
    assert shown == sorted(shown) and shown[-1] == 160
    assert len(shown) < 60  # throttled: far fewer than the 160 changes


# -- no secrets ---------------------------------------------------------------------------------
def test_no_key_and_no_url_in_any_fallback(sandbox, photos) -> None:
    canary = f"sd_canary_{uuid.uuid4().hex}"
    sandbox.create_user(canary)
    client = AstriaClient(api_key=canary, base_url=sandbox.url, sandbox=True,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())
    studio = studio_run(client, text=f"see {sandbox.url}/files/x.png?token={canary}")
    tune = client.create_tune(name="dog", images=photos(2), branch="fast",
                              callback=f"https://hooks.example/done?key={canary}",
                              prompts=[{"text": "ohwx dog", "num_images": 1}])
    view = watch_tune(tune["id"], client=client)
    view.wait(timeout=WAIT)
    form = TuneForm(client, name="dog", branch="fast",
                    callback=f"https://hooks.example/done?key={canary}")
    picker = PackPicker(client)
    browser = TuneBrowser(client)
    browser.wait_loaded(WAIT)
    browser.select(tune["id"])
    browser.detail.wait(WAIT)
    broken = AstriaClient(api_key=canary + "x", base_url=sandbox.url, sandbox=True,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())
    failed = watch_tune(tune["id"], client=broken)  # an AuthenticationError in the copy
    with pytest.raises(Exception):  # noqa: B017 - any refusal; the copy is what is checked
        failed.wait(timeout=WAIT)
    pages = {type(w).__name__ + str(i): fallback(w) for i, w in enumerate(
        (studio, studio.results, view, view.gallery, form, picker, browser, failed))}
    for name, page in pages.items():
        assert canary not in page, name
        assert_clean(page)
    assert "[link]" in pages["PromptStudio0"] and "AuthenticationError" in pages[
        "TuneProgress7"]
    assert canary not in json.dumps(pages)
