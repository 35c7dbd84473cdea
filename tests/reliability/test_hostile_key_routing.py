"""Issue 16.1: the API key goes to the API's own origin and to nothing else.

Two recording HTTP servers on loopback: the "API" (the client's ``base_url``) and a "collector"
on another port, which must never see ``Authorization``. URLs come from records (a prompt's
``images``, a training image echoed back), so every trick that makes two URL parsers disagree
is tried through ``fetch_bytes`` and ``download``, the calls that take such URLs, plus redirects
from the API host to elsewhere. Positive controls prove the key does reach the API itself.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hostile import probe

from astria_widgets.client import AstriaClient, AstriaError, RetrySettings
from astria_widgets.client.transport import Transport

KEY = "sk-canary-key-routing-5e1f"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
       b"\xef\x00\x00\x00\x00IEND\xaeB`\x82")


@dataclass
class Recorder:
    """A loopback HTTP server that records the Authorization header of every request."""

    family: int = socket.AF_INET
    seen: list[tuple[str, str | None]] = field(default_factory=list)

    def start(self) -> Recorder:
        """Serve in a daemon thread: PNG bytes, or a redirect for ``/redirect?to=URL&code=N``."""
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                recorder.seen.append((self.path, self.headers.get("Authorization")))
                query = parse_qs(urlsplit(self.path).query)
                if urlsplit(self.path).path == "/redirect":
                    self.send_response(int(query.get("code", ["302"])[0]))
                    self.send_header("Location", query.get("to", [self.path])[0])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            address_family = self.family
            daemon_threads = True

        host = "::1" if self.family == socket.AF_INET6 else "127.0.0.1"
        self.server = Server((host, 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def keys(self) -> list[str | None]:
        """The Authorization headers received, in order."""
        return [auth for _path, auth in self.seen]

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()


def ipv6_loopback() -> bool:
    """True when this machine can listen on ``::1``."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, Recorder]]:
    """(api, collector): two recording servers on loopback."""
    api, collector = Recorder().start(), Recorder().start()
    yield api, collector
    api.stop()
    collector.stop()


def make_client(api: Recorder) -> AstriaClient:
    """A client whose API is the recording server (reads retried little, so errors are fast)."""
    return AstriaClient(api_key=KEY, base_url=f"http://127.0.0.1:{api.port}",
                        retry=RetrySettings.fast().with_(read_attempts=0))


# Each trick builds a URL from the API port (A) and the collector's port (C). In every one the
# connection goes to the collector, or the URL carries credentials: the key must go nowhere.
TRICKS = {
    "backslash before @": "http://127.0.0.1:{C}\\@127.0.0.1:{A}/x.png",
    "backslash path before @": "http://127.0.0.1:{C}/\\@127.0.0.1:{A}/x.png",
    "userinfo is the API": "http://127.0.0.1:{A}@127.0.0.1:{C}/x.png",
    "userinfo with password": "http://127.0.0.1:{A}:pw@127.0.0.1:{C}/x.png",
    "userinfo on the API host": "http://user:pw@127.0.0.1:{A}/x.png",
    "hash before @": "http://127.0.0.1:{C}#@127.0.0.1:{A}/x.png",
    "query before @": "http://127.0.0.1:{C}?@127.0.0.1:{A}/x.png",
    "tab before @": "http://127.0.0.1:{C}\t@127.0.0.1:{A}/x.png",
    "newline before @": "http://127.0.0.1:{C}\n@127.0.0.1:{A}/x.png",
    "encoded colon in userinfo": "http://127.0.0.1%3A{A}@127.0.0.1:{C}/x.png",
    "encoded backslash": "http://127.0.0.1:{C}%5C@127.0.0.1:{A}/x.png",
    "upper-case scheme to collector": "HTTP://127.0.0.1:{C}/x.png",
    "localhost is another name": "http://localhost:{A}/x.png",
    "other loopback address": "http://127.0.0.2:{A}/x.png",
    "https on the API port": "https://127.0.0.1:{A}/x.png",
    "collector in path of API-looking URL": "http://127.0.0.1:{C}/127.0.0.1:{A}/x.png",
}
#: URLs on the API's own origin, spelled differently: the key does go there.
SAME_ORIGIN = {
    "plain": "http://127.0.0.1:{A}/files/x.png",
    "upper-case scheme": "HTTP://127.0.0.1:{A}/files/x.png",
    "hash and query": "http://127.0.0.1:{A}/files/x.png?a=@127.0.0.1:{C}#@127.0.0.1:{C}",
    "relative path": "/files/x.png",
    "scheme-relative is a path on the API": "//127.0.0.1:{C}/x.png",
}


@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_no_key_for_a_url_that_connects_elsewhere(servers, trick):
    api, collector = servers
    url = TRICKS[trick].format(A=api.port, C=collector.port)
    client = make_client(api)
    try:
        client.fetch_bytes(url)
    except AstriaError as exc:
        assert KEY not in str(exc)
    assert KEY not in repr(collector.seen), f"{trick}: the collector received the key"
    # (a URL with user:password gets requests' own Basic header from it, never our key)
    assert KEY not in repr(api.seen), f"{trick}: the key went with credentials in the URL"
    probe("key routing")


@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_is_api_url_agrees_with_where_requests_connects(servers, trick):
    api, collector = servers
    url = TRICKS[trick].format(A=api.port, C=collector.port)
    transport = Transport(KEY, f"http://127.0.0.1:{api.port}")
    assert transport.is_api_url(url) is False
    probe("key routing")


@pytest.mark.parametrize("spelling", sorted(SAME_ORIGIN))
def test_the_key_does_reach_the_api_itself(servers, spelling):
    api, collector = servers
    url = SAME_ORIGIN[spelling].format(A=api.port, C=collector.port)
    assert make_client(api).fetch_bytes(url) == PNG
    assert api.keys() == [f"Bearer {KEY}"]
    assert collector.seen == []
    probe("key routing")


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_from_the_api_to_another_host_drops_the_key(servers, code):
    api, collector = servers
    target = f"http://127.0.0.1:{collector.port}/stolen.png"
    url = f"http://127.0.0.1:{api.port}/redirect?code={code}&to={target}"
    assert make_client(api).fetch_bytes(url) == PNG
    assert api.keys() == [f"Bearer {KEY}"]  # the API got the key for its own answer
    assert collector.seen == [("/stolen.png", None)]
    probe("key routing")


def test_a_redirect_chain_back_to_the_api_gets_the_key_again_only_there(servers):
    api, collector = servers
    back = f"http://127.0.0.1:{api.port}/files/back.png"
    hop = f"http://127.0.0.1:{collector.port}/redirect?to={back}"
    url = f"http://127.0.0.1:{api.port}/redirect?to={hop}"
    assert make_client(api).fetch_bytes(url) == PNG
    assert collector.keys() == [None]
    assert api.keys() == [f"Bearer {KEY}", f"Bearer {KEY}"]
    probe("key routing")


def test_a_redirect_loop_ends_with_a_clear_error(servers):
    api, _collector = servers
    loop = f"http://127.0.0.1:{api.port}/redirect"  # redirects to itself
    with pytest.raises(AstriaError, match="redirected more than"):
        make_client(api).fetch_bytes(loop)
    probe("key routing")


def test_download_sends_no_key_to_an_image_url_on_another_host(servers, tmp_path: Path):
    api, collector = servers
    trick = TRICKS["backslash before @"].format(A=api.port, C=collector.port)
    record = {"id": 7, "images": [trick, f"http://127.0.0.1:{collector.port}/plain.png"]}
    make_client(api).download(record, tmp_path)
    assert collector.seen and all(auth is None for auth in collector.keys())
    probe("key routing")


def test_ipv6_literals_of_loopback_are_other_hosts(servers):
    """``[::1]`` and ``[::ffff:127.0.0.1]`` reach this machine, but are not the API's name."""
    api, _collector = servers
    six = Recorder(family=socket.AF_INET6).start() if ipv6_loopback() else None
    client = make_client(api)
    urls = [f"http://[::ffff:127.0.0.1]:{api.port}/x", f"http://[::1]:{api.port}/x"]
    if six is not None:
        urls.append(f"http://[::1]:{six.port}/x.png")
    try:
        for url in urls:
            try:
                client.fetch_bytes(url)
            except AstriaError as exc:
                assert KEY not in str(exc)
            probe("key routing")
        assert all(auth is None for auth in api.keys())
        if six is not None:
            assert six.seen and all(auth is None for auth in six.keys())
    finally:
        if six is not None:
            six.stop()


@pytest.mark.parametrize(("base", "url", "same"), [
    ("https://api.astria.ai", "https://api.astria.ai:443/tunes", True),
    ("https://api.astria.ai:443", "https://api.astria.ai/tunes", True),
    ("https://api.astria.ai", "https://API.Astria.AI/tunes", True),
    ("https://api.astria.ai", "http://api.astria.ai/tunes", False),
    ("https://api.astria.ai", "http://api.astria.ai:443/tunes", False),
    ("https://api.astria.ai", "https://api.astria.ai:8443/tunes", False),
    ("https://api.astria.ai", "https://api.astria.ai.evil.example/tunes", False),
    ("https://api.astria.ai", "https://evil.example\\@api.astria.ai/tunes", False),
    ("https://api.astria.ai", "https://api.astria.ai@evil.example/tunes", False),
    ("https://api.astria.ai", "https://api.astria.ai:443@evil.example/tunes", False),
    ("https://api.astria.ai", "https://api.astria.ai:99999/tunes", False),
    ("https://api.astria.ai", "https://[::1]/tunes", False),
    ("https://api.astria.ai", "not a url", False),
    ("http://[::1]:5000", "http://[::1]:5000/tunes", True),
    ("http://[::1]:5000", "http://[0:0:0:0:0:0:0:1]:5000/tunes", False),
])
def test_default_ports_case_and_ipv6_by_the_origin_rule(base, url, same):
    assert Transport(KEY, base).is_api_url(url) is same
    probe("key routing")


def test_origin_reads_the_url_as_the_connection_does():
    from astria_widgets.client.transport import origin

    assert origin("http://127.0.0.1:1\\@127.0.0.1:2/x") == ("http", "127.0.0.1", 1)
    assert origin("https://Example.COM/x") == ("https", "example.com", 443)
    assert origin("http://u:p@example.com/x") is None
    assert origin("http://example.com:70000/x") is None
