"""LoginWidget, and the rule that no live widget's state ever holds the API key."""

from __future__ import annotations

import logging
import uuid

import ipywidgets as w
import pytest
from widget_tree import find

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings, tune_status
from astria_widgets.widgets import LoginWidget, TuneForm, watch_tune

WAIT = 60


@pytest.fixture
def no_env_key(monkeypatch):
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)


def canary_key(sandbox) -> str:
    return sandbox.create_user(f"sd_canary_{uuid.uuid4().hex}")


def login(widget: LoginWidget, key: str) -> None:
    widget.key_field.value = key
    widget.login_button.click()  # returns at once: the key is checked in a worker thread
    assert widget.wait(WAIT)


def test_a_good_key_is_cleared_at_once_and_gives_a_checked_client(sandbox, no_env_key):
    key = canary_key(sandbox)
    logged_in = []
    widget = LoginWidget(base_url=sandbox.url, on_login=logged_in.append, sandbox=True)
    assert widget.client is None and widget.status == "waiting"
    values_seen = []
    widget.key_field.observe(lambda change: values_seen.append(change["new"]), names="value")

    login(widget, key)

    assert widget.key_field.value == "" and values_seen[-1] == ""
    assert widget.status == "ok" and widget.children == (widget.status_line,)
    assert "Logged in" in widget.status_line.value
    assert isinstance(widget.client, AstriaClient) and logged_in == [widget.client]
    balance = widget.client.account()["usd_balance_mc"]
    assert f"(balance ${balance / 100_000:,.2f})" in widget.status_line.value
    assert key not in repr(widget) and key not in repr(widget.client)
    assert key not in str(widget.get_state()) and key not in str(widget.key_field.get_state())


def test_a_wrong_key_says_so_and_allows_a_retry(sandbox, no_env_key):
    widget = LoginWidget(base_url=sandbox.url, sandbox=True)
    login(widget, "sd_not_a_real_key_123")
    assert widget.status == "failed" and widget.client is None
    assert "refused this key" in widget.status_line.value
    assert widget.key_field.value == ""
    # the form is back for another try: key field and button are shown again, above the status
    assert find(widget, "astria-login-key") == [widget.key_field]
    assert find(widget, "astria-login-button") == [widget.login_button]
    assert widget.children[-1] is widget.status_line and len(widget.children) == 2
    assert "sd_not_a_real_key_123" not in widget.status_line.value

    login(widget, canary_key(sandbox))
    assert widget.status == "ok" and widget.client is not None


def test_an_empty_key_is_not_sent(sandbox, no_env_key):
    widget = LoginWidget(base_url=sandbox.url, sandbox=True)
    login(widget, "   ")
    assert widget.status == "failed" and "Paste a key" in widget.status_line.value


def test_with_the_key_in_the_environment_no_key_is_asked(sandbox, monkeypatch):
    key = canary_key(sandbox)
    monkeypatch.setenv("ASTRIA_API_KEY", key)
    widget = LoginWidget(base_url=sandbox.url, sandbox=True)
    assert widget.status == "ok" and widget.key_field not in widget.children
    assert widget.client is not None and widget.client.account() is not None
    assert key not in widget.status_line.value


def test_no_live_widget_state_contains_the_key(sandbox, no_env_key, caplog, photo):
    caplog.set_level(logging.DEBUG)
    key = canary_key(sandbox)
    client = AstriaClient(api_key=key, base_url=sandbox.url, sandbox=True,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())  # fmt: skip
    form = TuneForm(client=client, name="man", branch="fast",
                    prompts=[{"text": "ohwx man smiling", "num_images": 1}])  # fmt: skip
    form.add_images([(f"k{i}.jpg", photo(i)) for i in range(3)])
    record = form.submit().wait(timeout=WAIT)
    assert tune_status(record) == "trained" and form.handle.progress.gallery.count == 1
    watched = watch_tune(record["id"], client=client)
    watched.wait(timeout=WAIT)
    widget = LoginWidget(base_url=sandbox.url, sandbox=True)
    login(widget, key)
    assert widget.status == "ok"
    # a refused submission shows messages too: they must not echo the key either
    broken = TuneForm(client=AstriaClient(api_key=key + "x", base_url=sandbox.url,
                                          sandbox=True, retry=RetrySettings.fast()),
                      name="man", branch="fast")  # fmt: skip
    broken.add_images([("z.jpg", photo(99))])
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do
        broken.submit().wait(timeout=WAIT)

    # every live widget's state, as a saved notebook would embed it
    saved = w.Widget.get_manager_state()["state"]
    states = [(state["model_name"], str(state)) for state in saved.values()]
    assert len(states) > 50  # the form, progress views, gallery images and login are all live
    leaking = [name for name, state in states if key in state]
    assert leaking == []
    assert key not in caplog.text
    for shown in (form, watched, widget, broken, form.handle, broken.handle):
        assert key not in repr(shown)


def test_an_on_login_callback_that_raises_does_not_undo_a_good_login(sandbox, no_env_key):
    def broken_callback(_client: AstriaClient) -> None:
        raise RuntimeError("the user's callback broke")

    widget = LoginWidget(base_url=sandbox.url, on_login=broken_callback, sandbox=True)
    login(widget, canary_key(sandbox))
    assert widget.status == "ok" and widget.client is not None
    assert widget.children == (widget.status_line,)  # no key form asking for a retry
    assert "Logged in" in widget.status_line.value
    assert "on_login" in widget.status_line.value and "RuntimeError" in widget.status_line.value
