"""TuneProgress / watch_tune: live progress of a tune created elsewhere, and the rendering rules."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from astria_widgets.client import NotFoundError, TuneWatch, WaitTimeout, tune_status
from astria_widgets.widgets import TuneProgress, watch_tune
from astria_widgets.widgets.formatting import format_duration, format_size

WAIT = 60
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(**fields) -> dict:
    base = {"id": 42, "title": "demo", "name": "man", "branch": "flux1",
            "created_at": iso(NOW - timedelta(minutes=5)), "started_training_at": None,
            "trained_at": None, "eta": None, "expires_at": None, "error": None}  # fmt: skip
    base.update(fields)
    return base


def rendered(tune: dict) -> TuneProgress:
    view = TuneProgress(tune["id"])
    view.show(tune, now=NOW)
    return view


def test_watch_tune_follows_a_tune_created_elsewhere(client, photo):
    tune = client.create_tune(
        name="dog", images=[(f"dog{i}.jpg", photo(i)) for i in range(3)], branch="fast",
        prompts=[{"text": "ohwx dog in the snow", "num_images": 2}],
    )  # fmt: skip
    view = watch_tune(tune["id"], client=client)
    assert isinstance(view, TuneProgress) and view.tune_id == tune["id"]
    assert isinstance(view.watch, TuneWatch) and view.watch.tune_id == tune["id"]
    final = view.wait(timeout=WAIT)
    assert final["id"] == tune["id"] and tune_status(final) == "trained"
    assert view.status == "trained" and view.status_label.value == "trained"
    assert view.bar.bar_style == "success"
    assert [p["text"] for p in view.prompts] == ["ohwx dog in the snow"]
    assert view.gallery.count == 2 and len(view.gallery.urls) == 2
    assert repr(view) == (
        f"TuneProgress(tune={tune['id']}, status='trained', title={tune['title']!r}, "
        "prompts=1, images=2)"
    )
    assert view.stop_button.disabled  # nothing left to stop


def test_wait_times_out_then_stop_ends_the_watch(client, photo):
    tune = client.create_tune(name="cat", images=[("c.jpg", photo(9))], branch="flux1")
    view = watch_tune(tune["id"], client=client)
    with pytest.raises(WaitTimeout) as info:
        view.wait(timeout=0.01)  # a flux1 training takes seconds even at the test speed
    assert isinstance(info.value, TimeoutError)
    view.stop()
    final = view.wait(timeout=WAIT)
    assert tune_status(final) in ("queued", "training") and view.stopped


def test_watching_a_missing_tune_shows_the_error_without_raising_in_the_thread(client):
    view = watch_tune(987654321, client=client)
    with pytest.raises(NotFoundError):
        view.wait(timeout=WAIT)
    assert view.status == "error" and view.bar.bar_style == "danger"
    assert "NotFoundError" in view.message.value
    assert "Traceback" not in view.message.value


def test_queued_shows_time_to_the_estimate():
    view = rendered(record(eta=iso(NOW + timedelta(minutes=20))))
    assert view.status_label.value == "queued" and view.bar.value == 0
    assert view.bar.bar_style == "info"
    assert "queued for 5m 00s" in view.detail.value and "20m 00s" in view.detail.value


def test_training_shows_elapsed_time_left_and_a_proportional_bar():
    view = rendered(record(started_training_at=iso(NOW - timedelta(minutes=5)),
                           eta=iso(NOW + timedelta(minutes=15))))  # fmt: skip
    assert view.status_label.value == "training"
    assert view.bar.value == pytest.approx(0.25)
    assert "training for 5m 00s" in view.detail.value
    assert "about 15m 00s left" in view.detail.value


def test_a_tune_long_past_its_estimate_is_shown_stalled():
    late = rendered(record(started_training_at=iso(NOW - timedelta(minutes=40)),
                           eta=iso(NOW - timedelta(minutes=20))))  # fmt: skip
    assert late.bar.bar_style == "info" and "stalled" not in late.detail.value  # 2x: late only
    view = rendered(record(started_training_at=iso(NOW - timedelta(minutes=70)),
                           eta=iso(NOW - timedelta(minutes=50))))  # fmt: skip
    assert view.status_label.value == "training"
    assert view.bar.bar_style == "warning" and view.bar.value == 0.99
    assert view.detail.value.startswith("<small>stalled:")
    assert "past the estimate" in view.detail.value


def test_trained_is_success_and_failed_is_danger_with_the_error():
    done = rendered(record(started_training_at=iso(NOW - timedelta(minutes=20)),
                           trained_at=iso(NOW - timedelta(minutes=1)),
                           expires_at=iso(NOW + timedelta(days=30))))  # fmt: skip
    assert done.status == "trained" and done.bar.bar_style == "success"
    assert done.bar.value == 1.0 and "trained in 19m 00s" in done.detail.value
    failed = rendered(record(started_training_at=iso(NOW - timedelta(minutes=3)),
                             error="Training failed: not enough faces"))  # fmt: skip
    assert failed.status == "failed" and failed.bar.bar_style == "danger"
    assert "Training failed: not enough faces" in failed.detail.value


def test_the_view_renders_its_watch_upload_included(client, photo):
    total = 80 * 1024 * 1024
    watch = TuneWatch(client)
    view = TuneProgress(watch=watch, title="big upload")
    changes = []
    view.upload_bar.observe(lambda change: changes.append(change["new"]), names="value")
    statuses = []
    view.observe(lambda change: statuses.append(change["new"]), names="status")

    def create(on_upload):
        for sent in range(0, total + 1, 8_192):  # 10,241 callbacks, like 8 KiB chunks
            on_upload(sent, total)
        raise ConnectionRefusedError("the upload went nowhere")

    with pytest.raises(ConnectionRefusedError):
        watch.start(create).wait(WAIT)
    assert len(changes) <= 101 and changes[-1] == 1.0
    assert view.upload_label.value == "80.0 MiB of 80.0 MiB"
    assert view.upload_bar.bar_style == "success"
    assert statuses == ["submitting", "uploading", "error"]
    assert "ConnectionRefusedError: the upload went nowhere" in view.message.value
    assert view.bar.bar_style == "danger" and view.stop_button.disabled
    assert view.error is watch.error and view.done and not view.stopped
    with pytest.raises(RuntimeError, match="already shows a watch"):
        view.attach(TuneWatch(client, 1))


def test_plain_text_repr_and_formatting_helpers():
    assert repr(TuneProgress(5)) == "TuneProgress(tune=5, status='waiting')"
    assert format_duration(75) == "1m 15s" and format_duration(3725) == "1h 02m"
    assert format_duration(-3) == "0s" and format_duration(42.4) == "42s"
    assert format_duration(timedelta(days=2, hours=4, minutes=59)) == "2d 04h"
    assert format_duration(timedelta(hours=47, minutes=59)) == "47h 59m"
    assert format_size(1536) == "2 KiB" and format_size(999) == "999 bytes"
    assert format_size(80_000_000) == "76.3 MiB" and format_size(3 * 1024**3) == "3.0 GiB"


def test_a_failing_watch_prints_nothing(sandbox, api_key):
    """Worker threads never write to stdout/stderr (ipykernel 7 would put it in another cell),
    not even through logging's last-resort handler when no logging is configured."""
    script = (
        "from astria_widgets.client import AstriaClient\n"
        "from astria_widgets.widgets import watch_tune\n"
        f"client = AstriaClient(api_key={api_key!r}, base_url={sandbox.url!r}, sandbox=True)\n"
        "view = watch_tune(987654321, client=client)\n"
        "assert view.watch.join(60)\n"
        "assert view.status == 'error', view.status\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_in_a_kernel_loop_the_times_tick_without_a_thread_or_a_request():
    """The render timer runs on the running event loop (a kernel's), not in a thread."""
    import asyncio
    import threading

    from astria_widgets.client import AstriaClient

    offline = AstriaClient(api_key="unused", base_url="http://127.0.0.1:9")  # never called
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    tune = record(started_training_at=iso(start), eta=iso(start + timedelta(minutes=20)))

    async def scenario() -> tuple[str, str, int, int]:
        threads = threading.active_count()
        view = TuneProgress(watch=TuneWatch(offline, tune))  # not started: no request
        first = view.detail.value
        await asyncio.sleep(2.3)
        later, during = view.detail.value, threading.active_count()
        view.stop()
        return first, later, threads, during

    # A loop of its own in a fresh thread, like a kernel's: the main thread may already have a
    # running loop registered (Playwright's sync API keeps one while the e2e tests' browser is
    # open), where asyncio.run() refuses to start.
    results: list[tuple[str, str, int, int]] = []
    runner = threading.Thread(target=lambda: results.append(asyncio.run(scenario())))
    runner.start()
    runner.join(30)
    first, later, threads, during = results[0]
    assert "training for 5m 00s" in first
    assert "training for 5m 01s" in later or "training for 5m 02s" in later  # ticked
    assert during == threads
