"""The panel's pictures in-process: a tune's or a prompt's image downloaded by the server with
the client, answered as a small cached JPEG, and no image URL in anything the page is sent."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from corpus import photo
from PIL import Image

from astria_widgets.client import AstriaClient
from astria_widgets.client.errors import NotFoundError
from astria_widgets.server.errors import (
    PanelImageError,
    PanelInputError,
    PanelNotFound,
    status_for,
)
from astria_widgets.server.panel import IMAGE_SIZES, AstriaPanel

SMALL = 8 * 1024  # what a thumbnail may weigh at most


class Counting(requests.Session):
    """A session that notes every request's method and path."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        self.sent.append(f"{method} {requests.utils.urlparse(url).path}")
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def counted(sandbox: Any) -> tuple[AstriaClient, Counting]:
    session = Counting()
    client = AstriaClient(api_key=sandbox.create_user(), base_url=sandbox.url, sandbox=True,
                          session=session)
    return client, session


@pytest.fixture
def trained(counted: tuple[AstriaClient, Counting]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A trained tune with one finished prompt (big images: 1024 px)."""
    client, _ = counted
    tune = client.create_tune(name="dog", title="pictures",
                              images=[(f"{i}.jpg", photo(1024, 1024, seed=i))
                                      for i in range(4)],
                              prompts=["ohwx dog in the snow"])
    client.wait_for_tune(tune["id"], timeout=60)
    (prompt,) = client.list_prompts(tune["id"])
    prompt = client.wait_for_prompt(tune["id"], prompt["id"], timeout=60)
    return client.get_tune(tune["id"]), prompt


def jpeg_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        return im.size


def test_a_tunes_image_is_a_small_jpeg_downloaded_once(
    counted: tuple[AstriaClient, Counting], trained: tuple[dict, dict], tmp_path: Path,
    figures: Any,
) -> None:
    client, session = counted
    tune, _ = trained
    panel = AstriaPanel(tmp_path, client_factory=lambda: client)
    try:
        row = next(r for r in panel.tunes(limit=5)["tunes"] if r["id"] == tune["id"])
        assert row["thumbnail"] == f"tunes/{tune['id']}/images/0"
        original = client.fetch_bytes(tune["orig_images"][0])
        session.sent.clear()
        picture = panel.tune_image(tune["id"], 0)
        assert max(jpeg_size(picture)) == IMAGE_SIZES["thumb"]
        assert len(picture) < min(SMALL, len(original))
        files = [line for line in session.sent if "/files/" in line]
        assert len(files) == 1
        assert panel.tune_image(str(tune["id"]), "0") == picture  # from the cache
        assert [line for line in session.sent if "/files/" in line] == files
        assert not [line for line in session.sent if "/files/" not in line]  # record: stored
        large = panel.tune_image(tune["id"], 0, "large")
        assert max(jpeg_size(large)) == IMAGE_SIZES["large"]
        figures("tune thumbnail from a 1024 px training photo", bytes=len(picture),
                original_bytes=len(original), large_bytes=len(large))
    finally:
        panel.close()


def test_a_prompts_image_uses_the_url_the_detail_saw(
    counted: tuple[AstriaClient, Counting], trained: tuple[dict, dict], tmp_path: Path,
) -> None:
    client, session = counted
    tune, prompt = trained
    assert prompt["images"]
    panel = AstriaPanel(tmp_path, client_factory=lambda: client)
    try:
        detail = panel.tune(tune["id"])
        routes = detail["prompts"][0]["images"]
        assert routes == [f"tunes/{tune['id']}/prompts/{prompt['id']}/images/{n}"
                          for n in range(len(prompt["images"]))]
        session.sent.clear()
        picture = panel.prompt_image(tune["id"], prompt["id"], len(routes) - 1)
        assert len(picture) < SMALL and max(jpeg_size(picture)) <= IMAGE_SIZES["thumb"]
        assert all("/files/" in line for line in session.sent), session.sent  # no API call
        # a panel that never showed the detail asks for the prompt once
        other = AstriaPanel(tmp_path / "other", client_factory=lambda: client)
        try:
            session.sent.clear()
            assert other.prompt_image(tune["id"], prompt["id"], 0)
            assert f"GET /tunes/{tune['id']}/prompts/{prompt['id']}" in session.sent
        finally:
            other.close()
    finally:
        panel.close()


def test_what_the_page_is_sent_holds_no_image_url(
    counted: tuple[AstriaClient, Counting], trained: tuple[dict, dict], sandbox: Any,
    tmp_path: Path,
) -> None:
    client, _ = counted
    tune, _ = trained
    panel = AstriaPanel(tmp_path, client_factory=lambda: client)
    try:
        answers = [panel.status(), panel.tunes(limit=100), panel.tune(tune["id"])]
    finally:
        panel.close()
    text = json.dumps(answers)
    assert sandbox.url not in text
    assert "http://" not in text and "https://" not in text
    assert "base_url" not in answers[0]


@pytest.mark.parametrize(
    ("call", "error", "needle"),
    [
        (lambda p, t, pr: p.tune_image(t, 99), PanelNotFound, "has no image 99"),
        (lambda p, t, pr: p.prompt_image(t, pr, 99), PanelNotFound, "has no image 99"),
        (lambda p, t, pr: p.tune_image(t, 0, "huge"), PanelInputError, "size"),
        (lambda p, t, pr: p.tune_image(t, "-1"), PanelInputError, "image index"),
        (lambda p, t, pr: p.prompt_image(t, "x", 0), PanelInputError, "prompt id"),
        (lambda p, t, pr: p.tune_image(999_999_999, 0), NotFoundError, "404"),
    ],
)
def test_a_bad_picture_request_names_what_is_wrong(
    counted: tuple[AstriaClient, Counting], trained: tuple[dict, dict], tmp_path: Path,
    call: Any, error: type[Exception], needle: str,
) -> None:
    client, _ = counted
    tune, prompt = trained
    panel = AstriaPanel(tmp_path, client_factory=lambda: client)
    try:
        with pytest.raises(error, match=needle) as caught:
            call(panel, tune["id"], prompt["id"])
        code, message = status_for(caught.value)
        assert code in (400, 404) and needle in message
    finally:
        panel.close()


class FakeClient:
    """Just what the picture path uses, with image URLs that fail on purpose."""

    is_sandbox = True

    def __init__(self, records: list[dict[str, Any]], files: dict[str, bytes]) -> None:
        self.records = records  # get_tune answers these in turn (the last one repeats)
        self.files = files
        self.fetched: list[str] = []

    def get_tune(self, tune_id: int) -> dict[str, Any]:
        return self.records.pop(0) if len(self.records) > 1 else self.records[0]

    def fetch_bytes(self, url: str) -> bytes:
        self.fetched.append(url)
        if url not in self.files:
            raise NotFoundError("GET /files/x failed: 404", status_code=404)
        return self.files[url]


def test_an_expired_image_url_is_read_again_from_a_fresh_record(tmp_path: Path) -> None:
    old, new = "https://cdn.test/1.jpg?sig=old", "https://cdn.test/1.jpg?sig=new"
    fake = FakeClient([{"id": 5, "orig_images": [old]}, {"id": 5, "orig_images": [new]}],
                      {new: photo(seed=3)})
    panel = AstriaPanel(tmp_path, client_factory=lambda: fake)  # type: ignore[arg-type,return-value]
    assert jpeg_size(panel.tune_image(5, 0))
    assert fake.fetched == [old, new]


@pytest.mark.parametrize(
    ("files", "needle"),
    [({}, "could not be downloaded (HTTP 404)"),
     ({"https://cdn.test/a.jpg": b"not a picture at all"}, "not a picture")],
)
def test_a_picture_that_cannot_be_had_is_a_502_without_its_url(
    tmp_path: Path, files: dict[str, bytes], needle: str,
) -> None:
    fake = FakeClient([{"id": 5, "orig_images": ["https://cdn.test/a.jpg"]}], files)
    panel = AstriaPanel(tmp_path, client_factory=lambda: fake)  # type: ignore[arg-type,return-value]
    with pytest.raises(PanelImageError) as caught:
        panel.tune_image(5, 0)
    code, message = status_for(caught.value)
    assert code == 502 and needle in message and "cdn.test" not in message
