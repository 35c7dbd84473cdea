"""Issue 6 "Faults": the client against a sandbox failing 20% of requests at random.

Figures (faults injected by kind, requests sent, read retries) are recorded with the
``figures`` fixture and shown in pytest's terminal summary.
"""

from __future__ import annotations

import pytest
from counting import counting_client

from astria_widgets.client import RetrySettings, ValidationError, prompt_status, tune_status

RATE = 0.2
SEEDED = 1000
URLS = ["https://example.com/a.jpg"]


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """A sandbox of its own (faults would disturb other tests) with 1,000 seeded tunes."""
    from astria_widgets.sandbox import Sandbox

    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("faulty"), speed=600.0,
                 seed_history=SEEDED) as sb:
        yield sb


@pytest.fixture
def faults_on(faulty):
    faulty.set_faults(RATE)
    yield faulty
    faulty.set_faults(0.0)


def _report(figures, label, sb, session, before):
    injected = {k: v - before.get(k, 0) for k, v in sb.fault_stats.items()
                if v - before.get(k, 0)}
    figures(label, faults_injected=sum(injected.values()), by_kind=injected,
            requests_sent=len(session.log), transparent_read_retries=session.read_retries,
            survived="all")
    return injected


def test_iter_tunes_returns_exactly_the_stored_ids(faulty, figures):
    client, session = counting_client(faulty.url, faulty.api_key, retry=RetrySettings.fast())
    truth = [t["id"] for t in client.iter_tunes()]  # faults off: the reference listing
    assert len(truth) >= SEEDED and len(set(truth)) == len(truth)
    faulty.set_faults(RATE)
    try:
        before = dict(faulty.fault_stats)
        for _ in range(3):
            got = [t["id"] for t in client.iter_tunes(page_size=100)]
            assert got == truth  # same ids, same order: no gaps, no repeats
    finally:
        faulty.set_faults(0.0)
    assert sum(_report(figures, "iter_tunes x3", faulty, session, before).values()) > 0


def test_twenty_creates_leave_exactly_twenty_tunes(faults_on, figures):
    key = faults_on.create_user()
    client, session = counting_client(faults_on.url, key, retry=RetrySettings.fast())
    before = dict(faults_on.fault_stats)
    made = [client.create_tune(name="man", image_urls=URLS, branch="fast")["id"]
            for _ in range(20)]
    faults_on.set_faults(0.0)
    stored = [t["id"] for t in client.iter_tunes()]
    assert sorted(stored) == sorted(made) and len(set(made)) == 20
    injected = _report(figures, "20 create_tune", faults_on, session, before)
    assert session.counts()["POST"] >= 20 and sum(injected.values()) > 0


def test_waits_reach_the_true_final_state(faults_on):
    key = faults_on.create_user()
    client, session = counting_client(faults_on.url, key, retry=RetrySettings.fast())
    from astria_widgets.client import PollPolicy

    client.poll = PollPolicy.fast()
    good = client.create_tune(name="man", image_urls=URLS, branch="sd15",
                              prompts=["ohwx man, portrait"])
    bad = client.create_tune(name="man", image_urls=URLS, branch="sd15", title="x [fail]")
    finals = {t["id"]: client.wait_for_tune(t["id"], timeout=120) for t in (good, bad)}
    prompt = client.list_prompts(good["id"])[0]
    done = client.wait_for_prompt(good["id"], prompt["id"], timeout=120)
    faults_on.set_faults(0.0)
    for tid, final in finals.items():
        assert tune_status(final) == tune_status(client.get_tune(tid))
    assert tune_status(finals[good["id"]]) == "trained"
    assert tune_status(finals[bad["id"]]) == "failed"
    assert prompt_status(done) == "done" and done["images"]


def test_422s_are_never_retried_and_their_messages_reach_the_user(faults_on):
    client, session = counting_client(faults_on.url, faults_on.create_user(),
                                      retry=RetrySettings.fast())
    for _ in range(10):
        session.log.clear()
        with pytest.raises(ValidationError) as info:
            client.create_tune(name="man", image_urls=URLS, branch="bogus")
        assert "branch" in str(info.value)
        assert session.log[-1][0] == "POST" and session.log[-1][2] == 422
        assert [entry[2] for entry in session.log].count(422) == 1
