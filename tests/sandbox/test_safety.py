"""The sandbox's own safety: auth everywhere, bound SQL parameters, 422 messages, 413,
traversal, loopback-only callbacks without redirects, concurrency."""

from __future__ import annotations

import http.client
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from sandbox_helpers import Api, image_parts, jpeg

from astria_widgets.sandbox import Sandbox, SandboxConfig, create_app
from astria_widgets.sandbox.callbacks import CallbackSender, is_loopback_url
from astria_widgets.sandbox.state import SandboxState


def _served_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the sandbox app, URL variables filled with 1."""
    with tempfile.TemporaryDirectory() as tmp:
        state = SandboxState(SandboxConfig(data_dir=Path(tmp)))
        try:
            rules = list(create_app(state.config, state).url_map.iter_rules())
        finally:
            state.close()
    return sorted(
        (method, re.sub(r"<[^>]+>", "1", rule.rule))
        for rule in rules
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


ROUTES = _served_routes()
PUBLIC = [("GET", "/cli/models"), ("GET", "/files/1"), ("GET", "/files/prompts/1/1.mp4"),
          ("GET", "/sandbox/health")]
PRIVATE = [route for route in ROUTES if route not in PUBLIC]


def test_the_route_table_was_read() -> None:
    assert len(PRIVATE) >= 30 and set(PUBLIC) <= set(ROUTES)


@pytest.mark.parametrize(("method", "path"), [*PRIVATE, ("GET", "/tunes.json")])
def test_every_route_but_health_and_files_needs_a_valid_key(
    sandbox: Sandbox, method: str, path: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Basic x"}):
        response = requests.request(method, sandbox.url + path, headers=headers, timeout=10)
        assert response.status_code == 401, (method, path, headers)
        assert response.json()["error"]
        assert "wrong-key" not in response.text


def test_health_and_files_need_no_key(sandbox: Sandbox, api: Api) -> None:
    response = requests.get(f"{sandbox.url}/sandbox/health", timeout=5)
    assert response.json() == {"ok": True, "sandbox": True}
    assert response.headers["X-Astria-Sandbox"] == "1"
    tune = api.post("/tunes", data={"tune[title]": "public files", "tune[name]": "man"},
                    files=image_parts(1)).json()
    image = requests.get(tune["orig_images"][0], timeout=10)
    assert image.status_code == 200 and image.content == image_parts(1)[0][1][1]


INJECTIONS = ["' OR 1=1 --", "x'); DROP TABLE tunes; --", "%' OR '1'='1", '" OR ""="', "?"]


def test_parameters_are_bound_never_spliced_into_sql(sandbox: Sandbox, api: Api) -> None:
    someone_else = Api(sandbox.url, sandbox.create_user())
    theirs = someone_else.make_tune("someone else's tune")
    created = {}
    for text in INJECTIONS:
        tune = api.make_tune(text, name="man")
        assert api.get(f"/tunes/{tune['id']}").json()["title"] == text
        created[text] = tune["id"]
        prompt = api.post(f"/tunes/{tune['id']}/prompts", json={"prompt": {"text": text}})
        assert prompt.status_code == 201 and prompt.json()["text"] == text
    for text, tune_id in created.items():
        by_title = api.get("/tunes", params={"title": text})
        assert [t["id"] for t in by_title.json()] == [tune_id], text
        for params in ({"name[]": text}, {"branch": text}):
            assert api.get("/tunes", params=params).json() == [], params
        refused = api.get("/tunes", params={"model_type": text})  # not a model type: 400
        assert refused.status_code == 400 and "model_type" in refused.json()["error"]
        by_text = api.get("/prompts", params={"text": text}).json()
        assert [p["tune_id"] for p in by_text] == [tune_id], text
    assert [t["id"] for t in someone_else.get("/tunes").json()] == [theirs["id"]]
    assert len(api.get("/tunes", params={"limit": 120}).json()) == len(INJECTIONS)


def test_tune_validation_messages(api: Api) -> None:
    response = api.post("/tunes", data={
        "tune[title]": "   ", "tune[token]": "oh wx", "tune[callback]": "ftp://x",
        "tune[model_type]": "dreambooth", "tune[preset]": "best", "tune[base_tune_id]": "abc",
        "tune[steps]": "-1"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"title", "name", "images", "token", "callback", "model_type",
                           "preset", "base_tune_id", "steps"}
    assert errors["token"] == ["must not contain spaces"]
    assert "URL" in errors["callback"][0]
    assert "integer" in errors["base_tune_id"][0]
    unknown_base = api.post("/tunes", json={"tune": {"title": "t", "name": "man",
                            "base_tune_id": 42, "image_urls": ["https://e.com/a.jpg"]}})
    assert unknown_base.status_code == 422 and "base_tune_id" in unknown_base.json()["errors"]


def test_uploaded_files_must_be_images(api: Api) -> None:
    files = image_parts(1) + [
        ("tune[images][]", ("fake.jpg", b"this is not a jpeg", "image/jpeg")),
        ("tune[images][]", ("empty.png", b"", "image/png")),
        ("tune[images][]", ("cut.jpg", jpeg()[:200], "image/jpeg")),
    ]
    response = api.post("/tunes", data={"tune[title]": "t", "tune[name]": "man"}, files=files)
    assert response.status_code == 422
    messages = response.json()["errors"]["images"]
    assert len(messages) == 3
    assert [m.split(":")[0] for m in messages] == ["fake.jpg", "empty.png", "cut.jpg"]
    assert api.get("/tunes").json() == []


def test_upload_limit_413(tmp_path: Path) -> None:
    with Sandbox(data_dir=tmp_path, max_upload_bytes=1024 * 1024) as sb:
        api = Api(sb.url, sb.api_key)
        big = ("tune[images][]", ("big.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg"))
        response = api.post("/tunes", data={"tune[title]": "big", "tune[name]": "man"},
                            files=[big])
        assert response.status_code == 413
        assert "1048576" in response.json()["error"]
        ok = api.post("/tunes", data={"tune[title]": "small", "tune[name]": "man"},
                      files=image_parts(2))
        assert ok.status_code == 201


HUGE = 10**30  # beyond SQLite's 64-bit integers: binding it would raise OverflowError


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("GET", f"/tunes/{HUGE}", None, 404), ("GET", f"/prompts/{HUGE}", None, 404),
    ("GET", f"/p/{HUGE}", None, 404), ("POST", f"/prompts/{HUGE}/likes", None, 404),
    ("GET", f"/tunes?before_id={HUGE}", None, 400), ("GET", f"/prompts?order_id={HUGE}", None, 400),
    ("POST", "/tunes", {"tune": {"title": "t", "name": "man", "base_tune_id": HUGE,
                                 "image_urls": ["https://e.com/a.jpg"]}}, 422),
    ("POST", "/tunes/1504944/prompts", {"prompt": {"text": f"<lora:{HUGE}:1> x"}}, 422),
    ("POST", "/p/260/tunes", {"tune": {"tune_ids": [HUGE]}}, 422),
])
def test_ids_beyond_64_bits_are_refused_not_crashed_on(
    api: Api, method: str, path: str, body: dict | None, status: int
) -> None:
    response = getattr(api, method.lower())(path, json=body)
    assert response.status_code == status, response.text
    assert "Internal" not in response.json()["error"]


@pytest.mark.parametrize("path", [
    "/files/../sandbox.sqlite3", "/files/%2e%2e/sandbox.sqlite3",
    "/files/uploads/..%2f..%2fsandbox.sqlite3", "/files/%2e%2e%2fsandbox.sqlite3",
    "/files/uploads/../../sandbox.sqlite3", "/files//etc/passwd", "/files/prompts/1/../../x",
    "/files/..%5csandbox.sqlite3", "/files/server.json",
])
def test_file_routes_resist_traversal(sandbox: Sandbox, path: str) -> None:
    parts = urlsplit(sandbox.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", path)  # sent verbatim: no client-side dot-segment removal
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status == 308:  # Werkzeug merges "//" and redirects within /files/
        assert urlsplit(response.getheader("Location")).path.startswith("/files/")
    else:
        assert response.status in (400, 404), path
    assert b"SQLite format" not in body and b"root:" not in body and b"api_key" not in body


def test_concurrent_creates_and_reads_lose_nothing(api: Api) -> None:
    def create(i: int) -> int:
        response = api.post("/tunes", data={"tune[title]": f"concurrent {i}",
                                            "tune[name]": "man"}, files=image_parts(1))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def read(_: int) -> int:
        response = api.get("/tunes", params={"limit": 120})
        assert response.status_code == 200
        return len(response.json())

    with ThreadPoolExecutor(max_workers=20) as pool:
        creates = [pool.submit(create, i) for i in range(10)]
        reads = [pool.submit(read, i) for i in range(50)]
        ids = [f.result() for f in creates]
        counts = [f.result() for f in reads]
    assert len(set(ids)) == 10
    listed = api.get("/tunes", params={"limit": 120}).json()
    assert sorted(t["id"] for t in listed) == sorted(ids)
    assert {t["title"] for t in listed} == {f"concurrent {i}" for i in range(10)}
    assert all(0 <= c <= 10 for c in counts)


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:9/cb", True), ("http://localhost:9/cb", True), ("http://[::1]:9/cb", True),
    ("https://127.0.0.1/cb?x=1", True), ("http://192.0.2.1:9/cb", False),
    ("http://0.0.0.0:9/cb", False), ("http://10.0.0.1/cb", False), ("http:///cb", False),
    ("http://host.invalid/cb", False), ("not a url", False), ("http://[::1/cb", False),
])
def test_only_loopback_urls_count_as_loopback(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


class _Redirector(BaseHTTPRequestHandler):
    """Answers every POST with a redirect off the machine."""

    hits: list[str] = []

    def do_POST(self) -> None:  # the name http.server dispatches to
        self.hits.append(self.path)
        self.send_response(307)
        self.send_header("Location", "http://192.0.2.1:9/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_callbacks_do_not_follow_redirects_and_refuse_remote_hosts() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sender = CallbackSender(timeout=5)
    try:
        sender.submit(f"http://127.0.0.1:{server.server_port}/cb", "tune", 1, {"tune": {}})
        sender.submit("http://192.0.2.1:9/cb", "tune", 2, {"tune": {}})
        sender.shutdown()  # waits for both
    finally:
        server.shutdown()
        server.server_close()
    outcomes = {(r.object_id, r.outcome, r.status) for r in sender.log}
    assert outcomes == {(1, "failed", 307), (2, "refused", None)}
    assert _Redirector.hits == ["/cb"]
