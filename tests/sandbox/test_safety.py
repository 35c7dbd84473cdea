"""The sandbox's own safety: auth everywhere, 422 messages, 413, traversal, concurrency."""

from __future__ import annotations

import http.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sandbox_helpers import Api, image_parts, jpeg

from astria_widgets.sandbox import Sandbox

ENDPOINTS = [
    ("GET", "/tunes"), ("POST", "/tunes"), ("GET", "/tunes/1504944"),
    ("PATCH", "/tunes/1504944"), ("DELETE", "/tunes/5000001"), ("GET", "/gallery/tunes"),
    ("GET", "/tunes/1504944/prompts"), ("POST", "/tunes/1504944/prompts"),
    ("GET", "/prompts"), ("GET", "/prompts/1"), ("DELETE", "/prompts/1"),
    ("POST", "/prompts/1/duplicate"), ("PATCH", "/prompts/1"),
    ("GET", "/tunes/1/prompts/1"), ("DELETE", "/tunes/1/prompts/1"),
    ("POST", "/prompts/1/likes"), ("DELETE", "/prompts/1/like"), ("GET", "/packs"),
    ("POST", "/packs"), ("GET", "/gallery/packs"), ("GET", "/p/260"),
    ("POST", "/p/260/tunes"), ("GET", "/users"), ("GET", "/sandbox/faults"),
    ("POST", "/sandbox/users"), ("GET", "/tunes.json"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_a_valid_key(sandbox: Sandbox, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Basic x"}):
        response = requests.request(method, sandbox.url + path, headers=headers, timeout=10)
        assert response.status_code == 401, (method, path, headers)
        assert response.json()["error"]
        assert "wrong-key" not in response.text


def test_health_needs_no_key(sandbox: Sandbox) -> None:
    response = requests.get(f"{sandbox.url}/sandbox/health", timeout=5)
    assert response.json() == {"ok": True, "sandbox": True}
    assert response.headers["X-Astria-Sandbox"] == "1"


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
