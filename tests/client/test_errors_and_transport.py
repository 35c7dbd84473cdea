"""Error mapping at the one choke point, and the create-retry rules, with a scripted session.

These are unit tests of the decisions (which class, which message, resend or look up); the
same behaviour is exercised over real HTTP against the sandbox in test_sandbox_*.py.
"""

from __future__ import annotations

import io
import json
import pickle

import pytest
import requests
from urllib3.exceptions import NewConnectionError

from astria_widgets.client import (
    APIError,
    AstriaClient,
    AuthenticationError,
    BadRequestError,
    GatewayTimeoutError,
    NotFoundError,
    PaymentRequiredError,
    RateLimitError,
    RetrySettings,
    ServerError,
    TransportError,
    ValidationError,
)

KEY = "sd_canary_SECRET_1234567890"
BASE = "https://api.test"


def response(status, body=None, headers=None, text=None):
    r = requests.Response()
    r.status_code = status
    r.raw = io.BytesIO(text.encode() if text is not None else (  # read like a socket's body
        json.dumps(body).encode() if body is not None else b""))
    r.headers.update(headers or {})
    r.reason = {200: "OK", 201: "Created", 401: "Unauthorized"}.get(status, "Error")
    r.url = BASE + "/x"
    return r


class ScriptedSession(requests.Session):
    """Answers requests from a script of responses / exceptions, recording each call."""

    def __init__(self, script):
        super().__init__()
        self.script = list(script)
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        item = self.script.pop(0)
        if callable(item) and not isinstance(item, requests.Response):
            item = item(method, url, kwargs)
        if isinstance(item, Exception):
            raise item
        return item


def client_with(script, **kw):
    session = ScriptedSession(script)
    client = AstriaClient(api_key=KEY, base_url=BASE, session=session,
                          retry=RetrySettings.fast(), **kw)
    slept = []
    client.transport.sleep = slept.append
    return client, session, slept


def test_repr_and_messages_never_show_the_key():
    client, _, _ = client_with([response(401, {"error": f"bad key {KEY}"})])
    assert KEY not in repr(client) and "key=set" in repr(client)
    assert "key=missing" in repr(AstriaClient(api_key="", base_url=BASE))
    with pytest.raises(AuthenticationError) as info:
        client.list_tunes()
    text = str(info.value) + repr(info.value.body) + repr(pickle.loads(pickle.dumps(info.value)))
    assert KEY not in text
    assert "ASTRIA_API_KEY" in str(info.value) and "GET /tunes" in str(info.value)


@pytest.mark.parametrize(("status", "cls"), [
    (400, BadRequestError), (401, AuthenticationError), (403, AuthenticationError),
    (402, PaymentRequiredError), (404, NotFoundError), (429, RateLimitError),
    (500, ServerError), (502, ServerError), (504, GatewayTimeoutError), (418, APIError),
])
def test_status_codes_map_to_the_tree(status, cls):
    client, _, _ = client_with([response(status, {"message": "server words"})])
    with pytest.raises(cls) as info:
        client.get_tune(5)
    err = info.value
    assert type(err) is cls and err.status_code == status and err.path == "/tunes/5"
    assert "server words" in str(err) and err.method == "GET"


def test_validation_error_keeps_field_messages():
    body = {"error": "Validation failed", "errors": {"name": ["can't be blank"],
                                                      "images": ["at least one image"]}}
    client, session, _ = client_with([response(422, body)])
    with pytest.raises(ValidationError) as info:
        client.create_tune(name="man", image_urls=["https://x/1.jpg"])
    err = info.value
    assert isinstance(err, ValueError)
    assert err.errors == body["errors"]
    assert "name: can't be blank" in str(err) and "images: at least one image" in str(err)
    assert len(session.calls) == 1  # never retried


def test_rate_limit_error_carries_retry_after():
    client, _, _ = client_with([response(429, {"error": "slow"}, {"Retry-After": "3"})])
    with pytest.raises(RateLimitError) as info:
        client.account()
    assert info.value.retry_after == 3.0 and "Retry after 3 s" in str(info.value)


def test_non_json_success_and_transport_errors():
    client, _, _ = client_with([response(200, text="<html>login</html>"),
                                requests.ConnectionError(f"reset while sending {KEY}")])
    with pytest.raises(APIError, match="ASTRIA_BASE_URL"):
        client.account()
    with pytest.raises(TransportError) as info:
        client.account()
    assert KEY not in str(info.value)
    assert isinstance(info.value.__cause__, requests.RequestException)


def test_key_goes_to_the_api_host_only():
    client, session, _ = client_with([response(200, {"id": 1}),
                                      response(200, text="PNGDATA"),
                                      response(200, text="API-FILE")])
    client.account()
    assert session.calls[0][2]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert session.calls[0][2]["timeout"] == 30.0  # a timeout is always passed
    assert client.fetch_bytes("https://cdn.example/img.png") == b"PNGDATA"
    assert "Authorization" not in session.calls[1][2]["headers"]
    assert client.fetch_bytes("/files/a.png") == b"API-FILE"
    assert session.calls[2][1] == BASE + "/files/a.png"
    assert "Authorization" in session.calls[2][2]["headers"]


def tune(title, tid=7):
    return {"id": tid, "title": title, "created_at": "2025-01-01T00:00:00.000Z"}


def _title_of(kwargs):
    return kwargs["json"]["tune"]["title"]


def test_create_after_504_finds_the_tune_instead_of_resending():
    titles = []

    def record_title(method, url, kwargs):
        titles.append(_title_of(kwargs))
        return response(504, {"error": "timeout"})

    def lookup(method, url, kwargs):
        assert dict(kwargs["params"])["title"] == titles[0]
        return response(200, [tune(titles[0] + " (copy)", 9), tune(titles[0])])

    client, session, slept = client_with([record_title, lookup])
    found = client.create_tune(name="man", image_urls=["https://x/1.jpg"])
    assert found["id"] == 7 and found["title"] == titles[0]
    assert [c[0] for c in session.calls] == ["POST", "GET"]
    assert slept == [RetrySettings.fast().wait_after_timeout]


def test_create_after_500_resends_only_when_not_found():
    client, session, slept = client_with([
        response(500, {"error": "boom"}),
        response(200, []),                      # title filter: nothing
        response(200, []),                      # newest page scan: nothing
        lambda m, u, kw: response(201, tune(_title_of(kw), 11)),
    ])
    created = client.create_tune(name="man", image_urls=["https://x/1.jpg"], title="mine")
    assert created["id"] == 11
    assert [c[0] for c in session.calls] == ["POST", "GET", "GET", "POST"]
    assert slept == [RetrySettings.fast().wait_after_error]


def test_create_resends_after_429_without_looking():
    client, session, slept = client_with([
        response(429, {"error": "slow"}, {"Retry-After": "0"}),
        lambda m, u, kw: response(201, tune(_title_of(kw))),
    ])
    client.retry = RetrySettings.fast().with_(max_retry_after=5)
    client.transport.sleep = slept.append
    assert client.create_tune(name="man", image_urls=["https://x/1.jpg"])["id"] == 7
    assert [c[0] for c in session.calls] == ["POST", "POST"]
    assert len(slept) == 1


def test_create_gives_up_after_bounded_attempts():
    attempts = RetrySettings.fast().create_attempts
    script = []
    for _ in range(attempts):
        script += [response(503, {"error": "busy"}), response(200, []), response(200, [])]
    client, session, _ = client_with(script)
    with pytest.raises(ServerError):
        client.create_tune(name="man", image_urls=["https://x/1.jpg"])
    assert sum(1 for c in session.calls if c[0] == "POST") == attempts


def test_create_not_resent_when_the_server_cannot_be_reached():
    refused = requests.ConnectionError(NewConnectionError(None, "Connection refused"))
    client, session, _ = client_with([refused])
    with pytest.raises(TransportError, match="could not connect"):
        client.create_tune(name="man", image_urls=["https://x/1.jpg"])
    assert len(session.calls) == 1


def test_prompt_lookup_needs_same_text_seed_and_recent_creation():
    recent = "2999-01-01T00:00:00.000Z"
    old = "2000-01-01T00:00:00.000Z"
    listing = [
        {"id": 5, "text": "a cat", "seed": 2, "created_at": recent},   # other seed
        {"id": 4, "text": "a cat", "seed": 1, "created_at": old},      # too old
        {"id": 3, "text": "a dog", "seed": 1, "created_at": recent},   # other text
        {"id": 2, "text": "a cat", "seed": 1, "created_at": recent},   # it
    ]
    client, session, _ = client_with([
        requests.ConnectionError("Connection aborted: RemoteDisconnected"),
        response(200, listing),
    ])
    assert client.create_prompt(1504944, "a cat", seed=1)["id"] == 2
    assert session.calls[1][1].endswith("/tunes/1504944/prompts")


def test_read_retry_never_covers_post():
    retry = RetrySettings().read_retry()
    assert "POST" not in retry.allowed_methods and "GET" in retry.allowed_methods
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert retry.respect_retry_after_header and not retry.raise_on_status


def test_non_json_snippet_never_shows_part_of_the_key():
    # The key straddles the 80-character cut of the shown snippet: scrub first, then cut.
    echoed = "x" * 70 + KEY + " rest of the page"
    client, _, _ = client_with([response(200, text=echoed)])
    with pytest.raises(APIError) as info:
        client.account()
    shown = str(info.value) + repr(info.value.body)
    assert KEY[:10] not in shown and "***" in shown
