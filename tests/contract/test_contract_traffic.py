"""The observer hook on the transport and the traffic check behind the session-wide contract.

- the hook sees API exchanges only: a picture or video download (even from the sandbox's own
  host) is none, and it never changes what a call does, even when the observer raises;
- the TrafficCheck reads requests as the API reads them (JSON, form, multipart), checks the
  requests the API accepted and the answers it is told to trust, and counts the rest;
- the session's check fails the test whose traffic breaks the contract (a real pytest run in
  a subprocess, so its traffic is not this session's).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from astria_widgets.client import AstriaClient
from astria_widgets.client.transport import Exchange, Transport, observe
from astria_widgets.contract.traffic import TrafficCheck, request_params, sent_params

pytestmark = pytest.mark.contract
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seen():
    exchanges: list[Exchange] = []
    stop = observe(exchanges.append)
    yield exchanges
    stop()


def test_the_hook_sees_api_calls_and_not_downloads(client, seen, tmp_path):
    tune = client.create_tune(name="dog", branch="fast",
                              image_urls=["https://example.com/a.jpg"])
    client.wait_for_tune(tune["id"], timeout=60)
    prompt = client.create_prompt(tune["id"], "ohwx dog", num_images=2)
    prompt = client.wait_for_prompt(tune["id"], prompt["id"], timeout=60)
    api_paths = {e.response.url.split(client.base_url)[1].split("?")[0] for e in seen}
    assert {"/tunes", f"/tunes/{tune['id']}", f"/tunes/{tune['id']}/prompts"} <= api_paths
    before = len(seen)
    saved = client.download([prompt], tmp_path)
    picture = client.fetch_bytes(prompt["images"][0])
    assert len(saved) == 2 and picture.startswith(b"\x89PNG")
    assert prompt["images"][0].startswith(client.base_url)  # the sandbox's own host
    assert len(seen) == before  # two files, one picture: none of them an API exchange
    assert all("/files/" not in e.url for e in seen)


def test_a_raising_observer_never_changes_the_call(client, seen, caplog):
    def broken(exchange):
        raise RuntimeError("observer bug")

    stop = observe(broken)
    try:
        assert client.list_tunes() == []
    finally:
        stop()
    assert "an exchange observer raised" in caplog.text
    assert len(seen) == 1  # the other observers still ran


def test_the_hook_is_removed_by_the_function_it_returns(client):
    calls = []
    stop = observe(calls.append)
    client.list_tunes()
    stop()
    client.list_tunes()
    assert len(calls) == 1


def _response(status, body=None, headers=None):
    r = requests.Response()
    r.status_code = status
    r.raw = io.BytesIO(json.dumps(body).encode() if body is not None else b"")
    r.headers.update({"Content-Type": "application/json", **(headers or {})})
    r.url = "https://api.test/tunes"
    return r


def _exchange(method, url, response, *, params=None, json_body=None, data=None):
    return Exchange(Transport("k", "https://api.test"), method, url, params, json_body, data,
                    response)


def test_requests_are_read_as_the_api_reads_them():
    from requests_toolbelt import MultipartEncoder

    encoder = MultipartEncoder(fields=[("tune[title]", "t"), ("tune[name]", "dog"),
                                       ("tune[images][]", ("a.jpg", b"\xff\xd8x", "image/jpeg")),
                                       ("tune[prompts_attributes][0][text]", "hi")])
    tree = sent_params("https://api.test/tunes", data=encoder)
    assert tree == {"tune": {"title": "t", "name": "dog", "prompts_attributes": [{"text": "hi"}],
                             "images": [{"filename": "a.jpg", "content_type": "image/jpeg",
                                         "size": 3}]}}
    assert sent_params("https://api.test/tunes?title=a", params=[("name[]", "man"),
                                                                 ("limit", "3")]) == {
        "title": "a", "name": ["man"], "limit": "3"}
    assert sent_params("u", json={"tune": {"title": "x"}}) == {"tune": {"title": "x"}}
    assert sent_params("u", data={"name": "man", "file_url": "https://x.io/a.jpg"}) == {
        "name": "man", "file_url": "https://x.io/a.jpg"}
    exchange = _exchange("GET", "https://api.test/tunes?limit=2", _response(200, []))
    assert request_params(exchange) == {"limit": "2"}


def test_the_check_counts_what_it_does_not_check():
    check = TrafficCheck(answers="sandbox")
    tune = {"id": "not an id"}
    # a fake answer (no sandbox header): the request is checked, the answer not
    check(_exchange("GET", "https://api.test/tunes/5", _response(200, tune)))
    # a refused request: neither
    check(_exchange("POST", "https://api.test/tunes", _response(422, {"error": "x"}),
                    json_body={"tune": {"colour": "red"}}))
    # outside the contract
    check(_exchange("GET", "https://api.test/sandbox/health", _response(200, {"ok": True})))
    # a streamed body cannot be read back
    check(_exchange("POST", "https://api.test/images/inspect", _response(200, {}),
                    data=io.BytesIO(b"--x--")))
    counts = check.counts
    assert (counts.requests_checked, counts.responses_checked, counts.refused,
            counts.unchecked_answers, counts.outside, counts.opaque) == (1, 0, 1, 2, 1, 1)
    assert check.findings == []


def test_the_check_finds_a_sandbox_answer_and_a_request_that_differ():
    found = []
    check = TrafficCheck(answers="sandbox", on_finding=found.append)
    bad = _response(200, [{"id": 1}], headers={"X-Astria-Sandbox": "1"})
    check(_exchange("GET", "https://api.test/tunes", bad, params=[("colour", "red")]))
    assert len(found) == 1 and found[0].endpoint == "T2"
    fields = {(d.part, d.field, d.kind) for d in found[0].differences}
    assert ("request", "colour", "new") in fields
    assert ("response", "[].title", "missing") in fields
    assert "GET /tunes (T2, HTTP 200)" in found[0].text()
    odd = _response(202, [], headers={"X-Astria-Sandbox": "1"})
    check(_exchange("GET", "https://api.test/tunes", odd))
    assert [(d.field, d.expected, d.found) for d in found[1].differences] == [
        ("(status)", "200", "202")]


def test_only_the_given_transports_are_checked(sandbox, client):
    other = AstriaClient(api_key=sandbox.create_user(), base_url=sandbox.url, sandbox=True)
    check = TrafficCheck(transports=[client.transport])
    stop = observe(check)
    try:
        client.list_tunes()
        other.list_tunes()
        other.list_tunes()
    finally:
        stop()
    assert check.counts.requests_checked == 1
    with pytest.raises(ValueError, match="answers"):
        TrafficCheck(answers="some")


def test_the_session_check_fails_the_test_whose_traffic_breaks_the_contract(tmp_path):
    """A real pytest run with this suite's conftest: the test that sends an undocumented
    parameter (which the sandbox ignores, answering 200) fails naming it; the other passes."""
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "test_inner.py").write_text(textwrap.dedent("""
        def test_sends_an_undocumented_filter(client):
            assert client.list_tunes(colour="red") == []

        def test_sends_documented_calls(client):
            assert client.list_tunes(limit=2, title="x") == []
    """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ASTRIA_API_KEY", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "no:randomly", str(tmp_path)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=240)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "1 failed, 1 passed" in out, out
    assert "FAILED test_inner.py::test_sends_an_undocumented_filter" in out
    assert "GET /tunes request colour: new" in out
    assert "api contract: 2 requests and 2 answers validated" in out
