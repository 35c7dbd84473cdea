"""Issue 16, items 2, 3, 7 and 8 (download part): archives, image reading, download destinations.

- **archive**: a second download into an archive of ours adds to it (a re-run adds and rewrites
  nothing); a file that is not one of ours is refused, named, and left byte for byte as it was.
- **image reading**: devices, FIFOs and oversized files given as image paths (``inspect_image``,
  ``create_tune``, ``generate``'s ``input_image``, the ``ImagePicker``) are refused at once with
  a message naming the parameter and the path; nothing reads without limit or blocks.
- **download destination**: bad ``prompts``/``dest`` values raise ``InputError`` naming them; a
  prompt whose ``images`` is a string is one URL. A hypothesis test throws random names at
  ``client.download`` among existing files, folders and archives.
- **commands**: ``download --expiring`` with a bad ``--dest`` ends with one line and exit 2, and
  a second run says what it saved and what was already there.

Every input tried is counted with :func:`hostile.probe`.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bad_input_cases import good_photos
from hostile import probe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from astria_widgets.client import AstriaClient, InputError, PollPolicy, RetrySettings
from astria_widgets.client.downloads import DownloadCounts

WAIT = 60  # seconds; a guard against hangs, not a timing assertion
SCRIPT = Path(sys.executable).with_name("astria-widgets")


# -- shared state ---------------------------------------------------------------------------------
class Done:
    """A sandbox account with two finished prompts: ``p1`` (two images) and ``p2`` (one)."""

    def __init__(self, client: AstriaClient, p1: dict, p2: dict) -> None:
        self.client, self.p1, self.p2 = client, p1, p2


@pytest.fixture(scope="module")
def done(sandbox) -> Done:
    client = AstriaClient(api_key=sandbox.create_user(), base_url=sandbox.url, sandbox=True,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="fast")
    made = [client.generate(tune, "one", num_images=2), client.generate(tune, "two")]
    p1, p2 = (client.wait_for_prompt(tune["id"], p["id"], timeout=WAIT) for p in made)
    return Done(client, p1, p2)


def messages(stderr: str) -> list[str]:
    """The command's own lines on stderr (``connect()``'s notice of the sandbox is not one)."""
    return [line for line in stderr.strip().splitlines()
            if not line.startswith("astria-widgets: no ASTRIA_API_KEY set")]


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256, or "dir")."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def names_in(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        return sorted(zf.namelist())


def expected_names(*prompts: dict) -> list[str]:
    return sorted(f"prompt-{p['id']}-{i:02d}.png" for p in prompts
                  for i in range(1, len(p["images"]) + 1))


def refused(call: Callable[[], Any], *words: str) -> str:
    """The message of the InputError ``call`` raises; it must contain every word."""
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    return message


# -- 2. archives ----------------------------------------------------------------------------------
def test_a_second_download_adds_to_our_archive_and_a_rerun_rewrites_nothing(done, tmp_path):
    keep = tmp_path / "keep.zip"
    assert done.client.download(done.p1, keep, zip=True) == keep
    first = {n: zipfile.ZipFile(keep).read(n) for n in names_in(keep)}
    probe("archive")
    done.client.download(done.p2, keep, zip=True)
    assert names_in(keep) == expected_names(done.p1, done.p2)  # p1's images are still there
    with zipfile.ZipFile(keep) as zf:
        assert all(zf.read(n) == data for n, data in first.items())
        Image.open(io.BytesIO(zf.read(expected_names(done.p2)[0]))).verify()
    probe("archive")
    before, stamp = keep.read_bytes(), keep.stat().st_mtime_ns
    seen: list[tuple[int, int]] = []
    done.client.download([done.p1, done.p2], keep, zip=True,
                         progress=lambda d, t: seen.append((d, t)))
    assert keep.read_bytes() == before and keep.stat().st_mtime_ns == stamp  # not rewritten
    assert seen[-1] == (3, 3)  # every file accounted for
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.zip"]  # no .part left
    probe("archive")


def test_an_archive_from_before_the_marker_is_still_ours(done, tmp_path):
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(old, "w") as zf:  # what earlier versions wrote: no comment
        for name in expected_names(done.p1):
            zf.writestr(name, b"saved earlier")
    counts = DownloadCounts()
    done.client.download([done.p1, done.p2], old, zip=True, counts=counts)
    assert names_in(old) == expected_names(done.p1, done.p2)
    assert zipfile.ZipFile(old).read(expected_names(done.p1)[0]) == b"saved earlier"
    assert (counts.saved, counts.present) == (1, 2)
    probe("archive")


def _foreign_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("holiday/beach.jpg", b"my own photo")
        zf.writestr("notes.txt", "mine")


def _commented_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("prompt-1-01.png", b"x")
        zf.comment = b"made by another tool"


FOREIGN = {
    "text file": lambda p: p.write_text("not an archive at all"),
    "empty file": lambda p: p.write_bytes(b""),
    "user's zip": _foreign_zip,
    "zip with another tool's comment": _commented_zip,
    "truncated zip": lambda p: (_foreign_zip(p), p.write_bytes(p.read_bytes()[:40])),
    "png named .zip": lambda p: p.write_bytes(good_photos(1)[0][1]),
}


@pytest.mark.parametrize("kind", list(FOREIGN))
def test_a_file_that_is_not_our_archive_is_refused_and_left_alone(done, tmp_path, kind):
    bad = tmp_path / "bad.zip"
    FOREIGN[kind](bad)
    before = snapshot(tmp_path)
    message = refused(lambda: done.client.download(done.p1, bad, zip=True), "dest", str(bad))
    assert "\n" not in message and "Traceback" not in message
    assert snapshot(tmp_path) == before
    probe("archive")


def test_the_default_archive_name_in_a_folder_is_not_overwritten_either(done, tmp_path):
    name = f"prompts-{done.p1['id']}-{done.p1['id']}.zip"
    (tmp_path / name).write_text("a user's file that happens to have our name")
    before = snapshot(tmp_path)
    refused(lambda: done.client.download(done.p1, tmp_path, zip=True), "dest", name)
    assert snapshot(tmp_path) == before
    probe("archive")


# -- 3. image reading -----------------------------------------------------------------------------
def bounded(call: Callable[[], Any], unblock: Path | None = None) -> Any:
    """Run ``call`` in a thread; fail (after unblocking a FIFO reader) if it takes > 10 s."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        if unblock is not None:  # a writer lets the blocked open() return
            fd = os.open(unblock, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
            thread.join(10)
        pytest.fail("reading an image input blocked")
    if "error" in result:
        raise result["error"]
    return result.get("value")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "f.png"
    os.mkfifo(path)
    return path


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = tmp_path / "big.jpg"
    with open(path, "wb") as handle:
        handle.truncate(31 * 1024 * 1024)  # sparse: cheap to make
    return path


def _special(kind: str, fifo: Path, big: Path) -> Path:
    return {"fifo": fifo, "zero": Path("/dev/zero"), "null": Path("/dev/null"),
            "big": big}[kind]


SPECIALS = ["fifo", "zero", "null", "big"]


@pytest.mark.parametrize("kind", SPECIALS)
@pytest.mark.parametrize("as_text", [True, False], ids=["str", "Path"])
def test_inspect_image_refuses_devices_fifos_and_huge_files(client, fifo, big, kind, as_text):
    path = _special(kind, fifo, big)
    image = str(path) if as_text else path
    bounded(lambda: refused(lambda: client.inspect_image(image, "man"), "image", str(path)),
            unblock=fifo)
    probe("image reading")


@pytest.mark.parametrize("kind", SPECIALS)
def test_create_tune_refuses_them_before_sending(client, fifo, big, kind, tmp_path):
    path = _special(kind, fifo, big)
    good = tmp_path / "good.jpg"
    good.write_bytes(good_photos(1)[0][1])
    bounded(lambda: refused(lambda: client.create_tune(name="man", images=[good, path]),
                            "images", str(path)), unblock=fifo)
    assert client.list_tunes() == []
    probe("image reading")


@pytest.mark.parametrize("kind", SPECIALS)
@pytest.mark.parametrize("param", ["input_image", "mask_image"])
def test_generate_refuses_them_naming_the_parameter(client, fifo, big, kind, param):
    path = _special(kind, fifo, big)
    tune = client.create_tune(name="man", image_urls=["https://example.com/a.jpg"],
                              branch="fast")
    params = {param: str(path)}
    if param == "mask_image":  # a mask goes with an input image
        params["input_image"] = good_photos(1)[0]
    bounded(lambda: refused(lambda: client.generate(tune, "x", **params), param, str(path)),
            unblock=fifo)
    assert client.list_prompts(tune["id"]) == []
    probe("image reading")


@pytest.mark.parametrize("kind", SPECIALS)
def test_the_picker_refuses_them_on_the_thumbnail(fifo, big, kind, tmp_path):
    from astria_widgets.widgets.images import ImagePicker

    path = _special(kind, fifo, big)
    picker = ImagePicker(path=str(tmp_path))
    reports = bounded(lambda: picker.add_images([path]), unblock=fifo)
    assert [r.ok for r in reports] == [False]
    assert str(path) in reports[0].problems[0]
    assert picker.count == 0 and picker.errors
    probe("image reading")


def test_an_open_file_on_an_endless_device_is_read_with_a_limit(client):
    with open("/dev/zero", "rb") as endless:
        bounded(lambda: refused(lambda: client.inspect_image(endless, "man"), "image",
                                "limit"))
    probe("image reading")


def test_a_fifo_inside_a_picked_folder_is_skipped(client, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, data in good_photos(2):
        (folder / name).write_bytes(data)
    os.mkfifo(folder / "f.png")
    from astria_widgets.client.uploads import read_images

    named, problems = bounded(lambda: read_images(folder), unblock=folder / "f.png")
    assert sorted(n for n, _ in named) == ["good-0.jpg", "good-1.jpg"] and problems == []
    probe("image reading")


# -- 8. download destinations ---------------------------------------------------------------------
@pytest.mark.parametrize("prompts", [None, 3.5, object(), [None], ["abc"], [{"images": []}]],
                         ids=["None", "float", "object", "list-of-None", "bad-id", "no-id"])
def test_bad_prompts_name_the_parameter(done, tmp_path, prompts):
    refused(lambda: done.client.download(prompts, tmp_path / "d"), "prompts")
    assert list(tmp_path.iterdir()) == []
    probe("download destination")


def _file(tmp: Path) -> Path:
    (tmp / "a.txt").write_text("mine")
    return tmp / "a.txt"


def _under_file(tmp: Path) -> Path:
    return _file(tmp) / "sub"


def _zip_folder(tmp: Path) -> Path:
    (tmp / "x.zip").mkdir()
    return tmp / "x.zip"


BAD_DESTS: dict[str, tuple[Callable[[Path], Any], bool]] = {
    "a file": (_file, False),
    "a file, zip=True": (_file, True),
    "under a file": (_under_file, False),
    "under a file, zip=True": (lambda t: _under_file(t) / "k.zip", True),
    "empty": (lambda t: "", False),
    "empty, zip=True": (lambda t: "", True),
    "blank": (lambda t: "  ", False),
    "None": (lambda t: None, False),
    "a number": (lambda t: 5, True),
    "our archive, zip=False": (lambda t: t / "ours.zip", False),
    "a NUL in it": (lambda t: "a\x00b", False),
    "a NUL in it, zip=True": (lambda t: "a\x00b.zip", True),
}


@pytest.mark.parametrize("case", list(BAD_DESTS))
def test_bad_destinations_are_refused_naming_dest(done, tmp_path, monkeypatch, case):
    work = tmp_path / "work"
    work.mkdir()
    make, as_zip = BAD_DESTS[case]
    if case.startswith("our archive"):
        done.client.download(done.p2, work / "ours.zip", zip=True)
    dest = make(work)
    monkeypatch.chdir(work)  # "" must not mean the current folder
    before = snapshot(work)
    message = refused(lambda: done.client.download(done.p1, dest, zip=as_zip), "dest")
    if isinstance(dest, Path):
        assert str(dest) in message
    assert snapshot(work) == before
    probe("download destination")


def test_a_folder_named_x_zip_receives_the_archive(done, tmp_path):
    folder = _zip_folder(tmp_path)
    archive = done.client.download(done.p1, folder, zip=True)
    assert archive.parent == folder and names_in(archive) == expected_names(done.p1)
    probe("download destination")
    paths = done.client.download(done.p1, folder)  # and the files, without zip
    assert [p.parent for p in paths] == [folder, folder]
    probe("download destination")


def test_images_given_as_one_string_are_one_url(done, tmp_path):
    record = {"id": done.p2["id"], "images": done.p2["images"][0]}
    paths = done.client.download(record, tmp_path / "one")
    assert [p.name for p in paths] == [f"prompt-{done.p2['id']}-01.png"]
    Image.open(paths[0]).verify()
    probe("download destination")


@pytest.mark.parametrize("images", ["not a url", 5, {"a": "b"}, [5], ["ftp://x/y.png"]],
                         ids=["text", "int", "dict", "list-of-int", "ftp"])
def test_images_that_are_not_urls_are_refused(done, tmp_path, images):
    record = {"id": done.p2["id"], "images": images}
    refused(lambda: done.client.download(record, tmp_path / "d"), "images",
            str(done.p2["id"]))
    assert list(tmp_path.iterdir()) == []
    probe("download destination")


# -- the destination fuzzed -----------------------------------------------------------------------
NAME = st.one_of(
    st.sampled_from(["a", "b.zip", "x.zip", "c.png", "deep/er", "keep.zip", "ours.zip",
                     "a/b.zip", "d.ZIP", ".", "", " ", "a.txt/sub"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                                   blacklist_characters="\x00/\\"), min_size=1, max_size=12)
    .filter(lambda n: n != ".."),  # the parent folder is outside the test's own
)
KIND = st.sampled_from(["file", "folder", "our zip", "foreign zip", "text"])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(existing=st.dictionaries(NAME, KIND, max_size=4), name=NAME, as_zip=st.booleans())
def test_download_destination_fuzz(done, tmp_path_factory, existing, name, as_zip):
    base = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    for entry, kind in existing.items():
        path = base / entry
        if not entry.strip() or entry in (".",) or path.exists():
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "folder":
                path.mkdir()
            elif kind == "our zip":
                done.client.download(done.p2, path, zip=True)
            elif kind == "foreign zip":
                _foreign_zip(path)
            else:
                path.write_bytes(os.urandom(20) if kind == "file" else b"text")
        except (OSError, InputError):
            continue  # the pool's own clashes (a file where a folder is wanted)
    dest = base / name if name else ""
    before = snapshot(base)
    try:
        result = done.client.download(done.p1, dest, zip=as_zip)
    except InputError as exc:
        assert "dest" in str(exc) and "Traceback" not in str(exc)
        assert snapshot(base) == before  # a refusal changes nothing
        probe("download destination")
        return
    after = snapshot(base)
    changed = {k for k in before if after.get(k) != before[k]}
    if as_zip:
        assert isinstance(result, Path) and result.is_file()
        assert set(expected_names(done.p1)) <= set(names_in(result))
        # only the archive itself may change (an archive of ours, added to)
        assert changed <= {str(result.relative_to(base))}
        if changed:
            assert set(expected_names(done.p2)) <= set(names_in(result))
    else:
        assert [p.name for p in result] == expected_names(done.p1)
        assert changed == set()  # a folder download only adds files
    assert all(k in after for k in before)  # nothing removed
    probe("download destination")


# -- 7. the download command ----------------------------------------------------------------------
class Expiring:
    """A sandbox of this module's own with one trained tune (two images) expiring in 30 days."""

    def __init__(self, data_dir: Path, tune: dict) -> None:
        self.data_dir, self.tune = data_dir, tune

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """The command in a process of its own, in ``cwd`` (default: the sandbox's folder)."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("ASTRIA_API_KEY", "ASTRIA_BASE_URL")}
        env["ASTRIA_SANDBOX_DIR"] = str(self.data_dir)
        return subprocess.run([str(SCRIPT), "download", "--expiring", "--days", "31", *args],
                              capture_output=True, text=True, timeout=120, env=env,
                              cwd=cwd or self.data_dir)


@pytest.fixture(scope="module")
def expiring(tmp_path_factory):
    from astria_widgets.sandbox import Sandbox

    data_dir = tmp_path_factory.mktemp("expiring")
    with Sandbox(data_dir=data_dir, speed=600) as sb:
        client = AstriaClient(sb.api_key, sb.url, sandbox=True)
        tune = client.create_tune(name="dog", branch="fast", images=good_photos(2),
                                  title="own", prompts=[{"text": "ohwx dog", "num_images": 2}])
        client.wait_for_tune(tune["id"], timeout=WAIT)
        for prompt in client.list_prompts(tune["id"]):
            client.wait_for_prompt(None, prompt["id"], timeout=WAIT)
        yield Expiring(data_dir, tune)


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = messages(result.stderr)
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_a_second_run_says_what_was_already_there(expiring, tmp_path):
    dest = tmp_path / "saved"
    first = expiring.run("--dest", str(dest))
    assert first.returncode == 0, first.stderr
    assert "Saved files: 2, already present: 0" in first.stdout
    probe("commands")
    again = expiring.run("--dest", str(dest))
    assert again.returncode == 0, again.stderr
    assert "Saved files: 0, already present: 2" in again.stdout
    probe("commands")


def test_zip_reruns_rewrite_no_archive(expiring, tmp_path):
    dest = tmp_path / "zips"
    first = expiring.run("--dest", str(dest), "--zip")
    assert first.returncode == 0, first.stderr
    archive = dest / f"tune-{expiring.tune['id']}.zip"
    before, stamp = archive.read_bytes(), archive.stat().st_mtime_ns
    assert len(names_in(archive)) == 2
    probe("archive")
    again = expiring.run("--dest", str(dest), "--zip")
    assert again.returncode == 0, again.stderr
    assert archive.read_bytes() == before and archive.stat().st_mtime_ns == stamp
    assert "Saved files: 0, already present: 2" in again.stdout
    probe("archive")


def test_a_foreign_archive_in_the_way_is_named_and_kept(expiring, tmp_path):
    dest = tmp_path / "zips"
    dest.mkdir()
    archive = dest / f"tune-{expiring.tune['id']}.zip"
    _foreign_zip(archive)
    before = snapshot(dest)
    result = expiring.run("--dest", str(dest), "--zip")
    one_line_error(result, str(archive))
    assert snapshot(dest) == before
    probe("archive")


@pytest.mark.parametrize("case", ["a file", "under a file", "empty"])
def test_a_bad_dest_is_one_line_and_exit_2(expiring, tmp_path, case):
    target = {"a file": lambda: _file(tmp_path), "under a file": lambda: _under_file(tmp_path),
              "empty": lambda: ""}[case]()
    before = snapshot(tmp_path)
    result = expiring.run("--dest", str(target), cwd=tmp_path)  # "" is not the current folder
    one_line_error(result, "--dest")
    assert snapshot(tmp_path) == before
    probe("commands")


def test_a_read_only_dest_is_one_line_and_exit_2(expiring, tmp_path, monkeypatch, capsys):
    from astria_widgets.commands import download

    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.geteuid() != 0:  # root writes into a read-only folder: the real one is not tried
            one_line_error(expiring.run("--dest", str(folder)), "--dest", str(folder))
            probe("commands")
        # the same refusal in-process, where "not writable" is what the system says
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False
                            if Path(p) == folder else real(p, mode, **kw))
        monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(expiring.data_dir))
        monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
        assert download.main(["--expiring", "--days", "31", "--dest", str(folder)]) == 2
        err = messages(capsys.readouterr().err)
        assert len(err) == 1 and "--dest" in err[0] and str(folder) in err[0]
        probe("commands")
    finally:
        folder.chmod(stat.S_IRWXU)
    assert list(folder.iterdir()) == []


def test_a_write_failing_midway_is_one_line_and_exit_2(expiring, tmp_path, monkeypatch,
                                                      capsys):
    from astria_widgets.commands import download

    real = os.replace
    dest = tmp_path / "d"

    def refuse(src: Any, dst: Any, **kw: Any) -> None:
        if str(dst).startswith(str(dest)):  # only ours: the sandbox in this process renames too
            raise PermissionError(13, "Permission denied", str(dst))
        real(src, dst, **kw)

    monkeypatch.setattr(os, "replace", refuse)
    monkeypatch.setenv("ASTRIA_SANDBOX_DIR", str(expiring.data_dir))
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    assert download.main(["--expiring", "--days", "31", "--dest", str(dest)]) == 2
    err = messages(capsys.readouterr().err)
    assert len(err) == 1 and "Permission denied" in err[0] and "--dest" in err[0]
    probe("commands")
