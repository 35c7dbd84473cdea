"""Each error class and the retry rules, provoked on a running sandbox (``fail_next``)."""

from __future__ import annotations

import pytest
from counting import counting_client

from astria_widgets.client import (
    AstriaClient,
    AuthenticationError,
    GatewayTimeoutError,
    NotFoundError,
    RateLimitError,
    RetrySettings,
    ServerError,
    TransportError,
    ValidationError,
)

URLS = ["https://example.com/a.jpg"]


@pytest.fixture
def counted(sandbox, api_key):
    return counting_client(sandbox.url, api_key, retry=RetrySettings.fast())


def test_401_names_the_fix_and_hides_the_key(sandbox):
    bad = AstriaClient(api_key="sd_wrong_key_987654", base_url=sandbox.url)
    with pytest.raises(AuthenticationError) as info:
        bad.list_tunes()
    assert info.value.status_code == 401 and "ASTRIA_API_KEY" in str(info.value)
    assert "sd_wrong_key_987654" not in str(info.value) + repr(info.value.body)


def test_404_and_422_with_the_servers_messages(client):
    with pytest.raises(NotFoundError):
        client.get_tune(999_999_999)
    with pytest.raises(ValidationError) as info:
        client.create_tune(name="man", image_urls=URLS, branch="no-such-branch")
    assert "branch" in info.value.errors and "branch" in str(info.value)


def test_422_is_never_retried(counted):
    client, session = counted
    with pytest.raises(ValidationError):
        client.create_tune(name="man", image_urls=URLS, branch="no-such-branch")
    assert session.counts()["POST"] == 1 and session.read_retries == 0


def test_429_surfaces_with_retry_after_when_reads_are_not_retried(sandbox, api_key):
    client = AstriaClient(api_key=api_key, base_url=sandbox.url,
                          retry=RetrySettings.fast().with_(read_attempts=0))
    sandbox.fail_next("429")
    with pytest.raises(RateLimitError) as info:
        client.list_tunes()
    assert info.value.retry_after is not None


@pytest.mark.parametrize(("kind", "cls"), [("500", ServerError), ("502", ServerError),
                                           ("503", ServerError), ("504", GatewayTimeoutError)])
def test_5xx_surfaces_once_read_retries_are_spent(sandbox, api_key, kind, cls):
    client = AstriaClient(api_key=api_key, base_url=sandbox.url,
                          retry=RetrySettings.fast().with_(read_attempts=1))
    sandbox.fail_next(kind, count=2)
    with pytest.raises(cls) as info:
        client.list_tunes()
    assert info.value.status_code == int(kind)


def test_dropped_connection_on_a_read_is_a_transport_error_without_retries(sandbox, api_key):
    client = AstriaClient(api_key=api_key, base_url=sandbox.url,
                          retry=RetrySettings.fast().with_(read_attempts=0))
    sandbox.fail_next("drop")
    with pytest.raises(TransportError):
        client.list_tunes()


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "504", "drop", "slow"])
def test_reads_survive_every_fault_kind(sandbox, counted, kind):
    client, session = counted
    tune = client.create_tune(name="man", image_urls=URLS, branch="fast")
    before = sandbox.fault_stats.get(kind, 0)
    sandbox.fail_next(kind)
    assert client.get_tune(tune["id"])["id"] == tune["id"]
    assert sandbox.fault_stats.get(kind, 0) == before + 1
    if kind != "slow":
        assert session.read_retries >= 1


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "504", "drop"])
def test_a_create_that_fails_makes_exactly_one_tune(sandbox, counted, kind):
    client, session = counted
    sandbox.fail_next(kind)
    tune = client.create_tune(name="man", image_urls=URLS, branch="fast")
    listed = client.list_tunes()
    assert [t["id"] for t in listed] == [tune["id"]]
    posts = session.counts()["POST"]
    # processed-then-failed faults are found by title, never resent; the others are resent
    assert posts == (1 if kind in {"504", "drop"} else 2)


@pytest.mark.parametrize("kind", ["504", "drop", "500"])
def test_a_prompt_create_that_fails_makes_exactly_one_prompt(sandbox, client, kind):
    tune = client.create_tune(name="man", image_urls=URLS, branch="fast")
    sandbox.fail_next(kind)
    prompt = client.create_prompt(tune["id"], "ohwx man in a hat", seed=5)
    assert [p["id"] for p in client.list_prompts(tune["id"])] == [prompt["id"]]


def test_delete_retried_after_a_drop_still_succeeds(sandbox, client):
    tune = client.create_tune(name="man", image_urls=URLS, branch="fast")
    sandbox.fail_next("drop")
    client.delete_tune(tune["id"])
    with pytest.raises(NotFoundError):
        client.get_tune(tune["id"])
