"""Issue 6 "Faults": the form's submission and ``watch_tune`` against a sandbox failing 20% of
API requests at random (429, 500, 502, 503, 504 after processing, dropped connections, slow).

Each test compares what the widget ended with to a fault-free read of the truth, checks that
exactly one tune exists, and records the faults injected and the requests that survived them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from bad_input_cases import good_photos

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings, tune_status
from astria_widgets.widgets import TuneForm, watch_tune

RATE = 0.2
WAIT = 120  # seconds; a guard against hangs, not a timing assertion


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory):
    """A sandbox of this module's own, failing 20% of API requests from the start."""
    from astria_widgets.sandbox import Sandbox

    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("form-faults"), speed=600.0,
                 faults=RATE) as sb:
        yield sb


class TallySession(requests.Session):
    """Counts what every send ended with (a status code or the exception's name) and the
    attempts urllib3 retried inside a send (a faulted read answered by a later attempt)."""

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: Counter[Any] = Counter()
        self.inner_retries = 0

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            self.outcomes[type(exc).__name__] += 1
            raise
        self.outcomes[response.status_code] += 1
        history = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        self.inner_retries += len(history)
        return response

    @property
    def attempts(self) -> int:
        """Every HTTP request made, retries included."""
        return sum(self.outcomes.values()) + self.inner_retries

    @property
    def faulted(self) -> int:
        """Requests that got a fault: retried inside urllib3, or 429/5xx/no answer at the end."""
        return self.inner_retries + sum(n for k, n in self.outcomes.items()
                                        if not isinstance(k, int) or k == 429 or k >= 500)


def tally_client(sb) -> tuple[AstriaClient, TallySession]:
    """A client of a fresh account whose session (retry adapter mounted) counts every send."""
    session = TallySession()
    client = AstriaClient(api_key=sb.create_user(), base_url=sb.url, sandbox=True,
                          session=session, retry=RetrySettings.fast(), poll=PollPolicy.fast())
    client.transport.mount_retries(session)
    return client, session


@contextmanager
def faults_off(sb) -> Iterator[None]:
    """Read the truth without faults, then restore the module's rate."""
    sb.set_faults(0.0)
    try:
        yield
    finally:
        sb.set_faults(RATE)


def record_faults(figures, label: str, sb, before: dict, session: TallySession) -> int:
    injected = {k: v - before.get(k, 0) for k, v in sb.fault_stats.items() if v > before.get(k, 0)}
    total = sum(injected.values())
    figures(label, faults_injected=total, by_kind=dict(sorted(injected.items())),
            requests=session.attempts, requests_faulted=session.faulted, survived="all")
    return total


@pytest.mark.parametrize(("title", "final"), [("faults form", "trained"),
                                               ("faults form [fail]", "failed")])
def test_form_submission_reaches_the_true_final_state(faulty, figures, title, final):
    client, session = tally_client(faulty)
    form = TuneForm(client=client, title=title, name="man", branch="sd15",
                    prompts=["ohwx man, portrait", {"text": "ohwx man, beach", "num_images": 2}])
    form.add_images(good_photos(3))
    before = dict(faulty.fault_stats)
    faulty.fail_next("504")  # the hard case first: the create is processed, the answer lost
    handle = form.submit()
    record = handle.wait(timeout=WAIT)

    with faults_off(faulty):
        truth = client.get_tune(record["id"])
        tunes = client.list_tunes()
        prompts = {p["id"]: p for p in client.list_prompts(record["id"])}
    assert [t["id"] for t in tunes] == [record["id"]]  # exactly one tune, no retry duplicate
    assert handle.error is None and form.errors == []
    assert tune_status(record) == tune_status(truth) == final == handle.status
    assert record["trained_at"] == truth["trained_at"] and record["error"] == truth["error"]
    progress = handle.progress
    assert progress.status_label.value == final
    assert progress.bar.bar_style == ("success" if final == "trained" else "danger")
    assert sorted(p["id"] for p in handle.prompts) == sorted(prompts)
    if final == "trained":
        for seen in handle.prompts:  # every prompt settled as the truth says
            assert seen["images"] == prompts[seen["id"]]["images"] and len(seen["images"])
        assert progress.gallery.count == 3  # 1 + 2 generated images
    else:
        assert progress.gallery.count == 0 and "Training failed" in progress.detail.value
    assert record_faults(figures, f"form submit under {RATE:.0%} faults ({final})", faulty,
                         before, session) >= 1


def test_watch_tune_reaches_the_true_final_state(faulty, figures):
    client, session = tally_client(faulty)
    before = dict(faulty.fault_stats)
    tune = client.create_tune(name="dog", branch="sdxl1", images=good_photos(2),
                              prompts=[{"text": "ohwx dog in the snow", "num_images": 2}])
    faulty.fail_next("drop")  # the watch's first read loses its connection
    view = watch_tune(tune["id"], client=client)
    final = view.wait(timeout=WAIT)

    with faults_off(faulty):
        truth = client.get_tune(tune["id"])
        prompts = client.list_prompts(tune["id"])
        count = len(client.list_tunes())
    assert count == 1 and view.error is None
    assert tune_status(final) == tune_status(truth) == "trained" == view.status
    assert final["trained_at"] == truth["trained_at"]
    assert view.bar.bar_style == "success" and view.bar.value == 1.0
    assert [p["images"] for p in view.prompts] == [p["images"] for p in prompts]
    assert view.gallery.count == 2
    assert record_faults(figures, f"watch_tune under {RATE:.0%} faults", faulty, before,
                         session) >= 1
