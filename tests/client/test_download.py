"""``client.download``: every image of the given prompts, named, valid, resumable, or zipped."""

from __future__ import annotations

import io
import zipfile

import pytest
from counting import CountingSession
from PIL import Image

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings
from astria_widgets.client.downloads import extension


@pytest.fixture
def counted(sandbox, api_key):
    session = CountingSession()
    client = AstriaClient(api_key=api_key, base_url=sandbox.url, session=session,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())
    return client, session


def _done_prompts(client):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="fast")
    made = [client.generate(tune, "a", num_images=2), client.generate(tune, "b")]
    return [client.wait_for_prompt(tune["id"], p["id"], timeout=60) for p in made]


def _files(session):
    return [entry for entry in session.log if "/files/" in entry[1]]


def test_files_are_named_valid_and_complete_ones_are_skipped(counted, tmp_path):
    client, session = counted
    prompts = _done_prompts(client)
    seen = []
    paths = client.download(prompts, tmp_path / "out", progress=lambda d, t: seen.append((d, t)))
    first, second = prompts[0]["id"], prompts[1]["id"]
    assert [p.name for p in paths] == [f"prompt-{first}-01.png", f"prompt-{first}-02.png",
                                       f"prompt-{second}-01.png"]
    for path in paths:
        with Image.open(path) as im:
            im.verify()
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    stamps = [p.stat().st_mtime_ns for p in paths]
    paths[2].write_bytes(paths[2].read_bytes()[:100])  # a truncated file is fetched again
    again = client.download([p["id"] for p in prompts], tmp_path / "out")
    assert again == paths
    assert [p.stat().st_mtime_ns for p in again[:2]] == stamps[:2]
    assert Image.open(again[2]).size == Image.open(paths[0]).size
    # the second run asks each file's size with HEAD and fetches only the truncated one
    assert [m for m, _path, _status in _files(session)] == ["GET"] * 3 + ["HEAD"] * 3 + ["GET"]


def test_zip_writes_one_archive_with_the_same_names(client, tmp_path):
    prompts = _done_prompts(client)
    archive = client.download(prompts, tmp_path, zip=True)
    ids = sorted(p["id"] for p in prompts)
    assert archive == tmp_path / f"prompts-{ids[0]}-{ids[1]}.zip"
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert names == [f"prompt-{ids[0]}-01.png", f"prompt-{ids[0]}-02.png",
                         f"prompt-{ids[1]}-01.png"]
        Image.open(io.BytesIO(zf.read(names[0]))).verify()
    named = client.download(prompts[0], tmp_path / "mine.zip", zip=True)
    assert named == tmp_path / "mine.zip" and not list(tmp_path.glob("*.part"))


def test_an_unfinished_prompt_has_nothing_to_download(client, tmp_path):
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="sd15")
    prompt = client.generate(tune, "later")
    assert client.download(prompt, tmp_path / "none") == []


def test_extension_comes_from_the_content_type_then_the_url():
    assert extension("image/jpeg", "https://x/a") == ".jpg"
    assert extension("video/mp4; codecs=avc1", "https://x/a") == ".mp4"
    assert extension("application/octet-stream", "https://x/a.webp") == ".bin"
    assert extension(None, "https://x/a.webp") == ".webp"
    assert extension("", "https://x/noext") == ".bin"
