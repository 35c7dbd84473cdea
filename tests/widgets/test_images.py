"""ImagePicker and its chunked uploader, driven from Python (no browser needed).

The first half drives the picker (paths, folders, bytes, the FileChooser, removal); the second
half feeds the uploader chunk messages with memoryview buffers through its comm, as the
browser's messages arrive. Child widgets are found by DOM class (``widget_tree``), the
FileChooser's parts by what a user sees (a Select button, a file name box, a folder listing).
"""

from __future__ import annotations

import io
import os
import random
from pathlib import Path
from typing import Any

import ipywidgets as w
import pytest
from corpus import build_image_corpus, photo
from PIL import Image
from widget_tree import descendants, dom_classes, find, one

from astria_widgets.imaging import MAX_IMAGES, ImageReport
from astria_widgets.widgets import uploader as uploader_module
from astria_widgets.widgets.images import ImagePicker
from astria_widgets.widgets.uploader import (
    CHUNK_SIZE,
    ChunkedUploader,
    UploadedFile,
    expected_chunks,
    make_uploader,
)


@pytest.fixture
def picker(tmp_path: Path) -> ImagePicker:
    return ImagePicker(path=str(tmp_path))


def changes(picker: ImagePicker) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    picker.observe(lambda c: seen.append((c["name"], c["new"])), names=["count", "version"])
    return seen


def cards(picker: ImagePicker) -> list[w.VBox]:
    return find(one(picker, "astria-thumb-grid"), "astria-thumb")


def browser_sends(widget: w.Widget, content: Any, buffers: Any = ()) -> None:
    """Deliver a custom message to ``widget`` the way the kernel does: through its comm."""
    widget.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}},
                            "buffers": list(buffers)})


def test_adds_paths_folders_bytes_pairs_and_files(picker: ImagePicker, tmp_path: Path) -> None:
    folder = tmp_path / "holiday pics"
    folder.mkdir()
    (folder / "b beach.jpg").write_bytes(photo(seed=1))
    (folder / "A été.png").write_bytes(photo(seed=2, fmt="PNG"))
    (folder / "notes.txt").write_text("not an image")
    single = tmp_path / "single.jpg"
    single.write_bytes(photo(seed=3))
    seen = changes(picker)

    reports = picker.add_images([
        str(single), folder, photo(seed=4), ("pair.jpg", photo(seed=5)),
        io.BytesIO(photo(seed=6)),
    ])
    assert "2 images in holiday pics/ (1 other file ignored)" in picker.status_html
    with open(single, "rb") as handle:  # an open file whose name is a path
        reports += picker.add_images(handle)

    names = [r.name for r in reports]
    # bytes and a nameless file are named by their position, as create_tune names them
    # (client.uploads.read_inputs, the one reader of image inputs)
    assert names == ["single.jpg", "A été.png", "b beach.jpg", "image-3.jpg", "pair.jpg",
                     "image-5.jpg", "single (2).jpg"]
    assert [r.ok for r in reports] == [True] * 6 + [False]  # the last is a duplicate
    assert "single (2).jpg: the same picture as single.jpg" in picker.errors[0]
    assert picker.count == 6 and len(picker.accepted) == 6
    assert [n for n, _ in picker.accepted][:3] == ["single.jpg", "A été.png", "b beach.jpg"]
    assert picker.accepted[1][1] == (folder / "A été.png").read_bytes()
    assert ("count", 6) in seen and [v for n, v in seen if n == "version"] == [2, 3]
    assert "Added 0 of 1 file." in picker.status_html
    assert len(cards(picker)) == 7


def test_every_corpus_case_is_listed_with_its_reason(picker: ImagePicker,
                                                     tmp_path: Path) -> None:
    for case in build_image_corpus(tmp_path / "corpus"):
        if case.case == "too-many":
            continue  # below, on its own
        picker.clear()
        reports = picker.add_images(case.paths)
        target = reports[-1]
        assert target.name == case.name
        if case.expect == "problem":
            assert not target.ok and case.matches(picker.errors), (case.case, picker.errors)
            assert any(case.name in line for line in picker.errors)
            assert "astria-thumb-blocked" in dom_classes(cards(picker)[-1])
        else:
            assert target.ok, (case.case, target.problems)
            assert case.name in dict(picker.accepted)
        if case.expect == "warning":
            assert case.matches(target.warnings)
            assert "astria-thumb-warning" in dom_classes(cards(picker)[-1])
        assert picker.wait_for_thumbnails(timeout=30)


def test_too_many_blocks_the_extras_and_removing_one_lets_the_next_in(
        picker: ImagePicker, tmp_path: Path) -> None:
    case = next(c for c in build_image_corpus(tmp_path) if c.case == "too-many")
    picker.add_images(case.folder)
    assert picker.count == MAX_IMAGES and len(picker.reports) == MAX_IMAGES + 1
    assert picker.errors == [r.problems[0] for r in picker.reports if not r.ok]
    assert "set-051.jpg" in picker.errors[0] and "at most 50" in picker.errors[0]
    picker.remove("set-001.jpg")
    assert picker.errors == [] and picker.count == MAX_IMAGES


def test_remove_and_clear_keep_everything_else(picker: ImagePicker) -> None:
    same = photo(seed=9)
    picker.add_images([("a.jpg", same), ("b.jpg", photo(seed=10)), ("c.jpg", same),
                       ("bad.jpg", b"text")])
    assert [r.ok for r in picker.reports] == [True, True, False, False]
    seen = changes(picker)
    picker.remove("a.jpg")  # the duplicate becomes the only copy
    assert [r.name for r in picker.reports] == ["b.jpg", "c.jpg", "bad.jpg"]
    assert [r.ok for r in picker.reports] == [True, True, False]
    assert picker.count == 2 and seen == [("version", 3)]  # same count, a new version
    with pytest.raises(KeyError, match="nope.jpg"):
        picker.remove("nope.jpg")
    picker.remove_rejected()
    assert [r.name for r in picker.reports] == ["b.jpg", "c.jpg"] and picker.errors == []
    card = cards(picker)[0]
    card.children[-1].click()  # the card's own remove button
    assert [r.name for r in picker.reports] == ["c.jpg"]
    assert card.comm is None  # closed: no widget left behind in the front end
    one(picker, "astria-picker-clear").click()
    assert picker.reports == [] and picker.count == 0 and picker.accepted == []


def test_unreadable_inputs_are_rejected_not_raised(picker: ImagePicker,
                                                   tmp_path: Path) -> None:
    text_file = tmp_path / "t.jpg"
    text_file.write_text("hello")
    with open(text_file) as handle:
        reports = picker.add_images([tmp_path / "missing.jpg", handle, 42])
    assert [r.ok for r in reports] == [False, False, False]
    assert "missing.jpg: file not found" in reports[0].problems[0]
    assert "open(path, 'rb')" in reports[1].problems[0]
    assert "int is not an image input" in reports[2].problems[0]
    assert len(picker.errors) == 3


def test_oversized_path_is_refused_without_reading(picker: ImagePicker, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.jpg"
    with open(big, "wb") as handle:
        handle.truncate(31 * 1024 * 1024)  # sparse: cheap to make
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a refused file"))
    report = picker.add_images(big)[0]
    assert not report.ok and "31.0 MiB, over the 30.0 MiB limit" in report.problems[0]


def test_thumbnails_arrive_from_the_worker_upright(picker: ImagePicker) -> None:
    picker.add_images([("portrait.jpg", photo(800, 600, orientation=6)),
                       ("bomb.png", next(iter(_bomb_items())))])
    assert picker.wait_for_thumbnails(timeout=30)
    images = [card.children[0] for card in cards(picker)]
    thumb = Image.open(io.BytesIO(images[0].value))
    assert thumb.size == (96, 128)
    assert images[1].value == b""  # a bomb is never decoded, not even for a thumbnail


def _bomb_items() -> list[bytes]:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    return [buffer.getvalue()]


def test_accepted_converts_only_what_the_warnings_announce(picker: ImagePicker,
                                                           tmp_path: Path) -> None:
    cases = {c.case: c for c in build_image_corpus(tmp_path)}
    plain, cmyk = cases["non-ascii-name"], cases["cmyk"]
    picker.add_images([plain.path, cmyk.path])
    sent = dict(picker.accepted)
    assert sent[plain.name] == plain.data
    assert Image.open(io.BytesIO(sent[cmyk.name])).mode == "RGB"
    assert picker.reports[1].warnings  # still shown to the user


def test_file_chooser_selection_adds_a_file_then_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        (folder / f"p{i}.jpg").write_bytes(photo(seed=20 + i))
    (tmp_path / "one.jpg").write_bytes(photo(seed=30))
    picker = ImagePicker(path=str(tmp_path))
    chooser = one(picker, "astria-picker-chooser")
    assert chooser.layout is not one(ImagePicker(path=str(tmp_path)),
                                     "astria-picker-chooser").layout
    select, filename, listing = chooser_parts(chooser)

    select.click()  # opens the dialog
    filename.value = "one.jpg"
    select.click()  # applies: the registered callback runs
    assert [r.name for r in picker.reports] == ["one.jpg"]

    select.click()
    filename.value = ""
    listing.value = next(o for o in listing.options if o.endswith(" photos"))  # into the folder
    assert not select.disabled  # a folder can be selected despite the image filter
    select.click()
    assert [r.name for r in picker.reports] == ["one.jpg", "p0.jpg", "p1.jpg", "p2.jpg"]
    assert picker.count == 4


def chooser_parts(chooser: w.Widget) -> tuple[w.Button, w.Text, w.Select]:
    """The FileChooser's Select button, file name box and folder listing, as a user sees them."""
    parts = descendants(chooser)
    buttons = [x for x in parts if isinstance(x, w.Button) and x.description == "Select"]
    texts = [x for x in parts if isinstance(x, w.Text)]
    listings = [x for x in parts if isinstance(x, w.Select)]
    assert len(buttons) == len(texts) == len(listings) == 1
    return buttons[0], texts[0], listings[0]


def test_upload_callbacks_add_files_and_list_refusals(picker: ImagePicker) -> None:
    up = one(picker, "astria-upload")
    assert isinstance(up, ChunkedUploader)
    up.send = lambda content, buffers=None: None  # type: ignore[method-assign]
    data = photo(seed=40)
    browser_sends(up, {"kind": "chunk", "id": "u1", "name": "phone 1.jpg", "index": 0,
                            "total": 1, "size": len(data), "type": "image/jpeg"},
                       [memoryview(data)])
    status_after_one = picker.status_html
    browser_sends(up, {"kind": "skipped", "id": "u2", "name": "video.mov",
                            "size": 200 * 1024 * 1024, "reason": "too-large"}, [])
    assert [r.name for r in picker.reports] == ["phone 1.jpg", "video.mov"]
    assert picker.accepted == [("phone 1.jpg", data)]
    assert "video.mov: file is 200.0 MiB, over the 30.0 MiB limit" in picker.errors[0]
    assert up.pending == 0
    # the status counts the files received so far (they arrive one by one), not "1 of 1"
    assert status_after_one == "Received 1 file from your browser."


def test_fallback_file_upload_is_read_and_cleared(tmp_path: Path) -> None:
    picker = ImagePicker(path=str(tmp_path), uploader=False)
    up = one(picker, "astria-upload")
    assert isinstance(up, w.FileUpload)
    data = photo(seed=50)
    up.set_state({"value": [{"name": "b.jpg", "type": "image/jpeg", "size": len(data),
                             "content": memoryview(data), "last_modified": 0}]})
    assert picker.accepted == [("b.jpg", data)] and up.value == ()


def test_dom_classes_and_no_bytes_in_widget_state(picker: ImagePicker) -> None:
    marker = b"SECRET-PIXELS"
    picker.add_images([("x.jpg", photo(seed=60)), ("y.jpg", marker)])
    assert picker.wait_for_thumbnails()
    assert "astria-image-picker" in dom_classes(picker)
    count_label = one(picker, "astria-picker-count")
    assert "<b>1</b> image ready, <b>1</b> rejected" in count_label.value
    assert count_label.value == picker.count_html
    assert {"astria-thumb", "astria-thumb-ok"} <= set(dom_classes(cards(picker)[0]))
    states, todo = [], [picker]
    while todo:
        widget = todo.pop()
        states.append(widget.get_state())
        todo.extend(getattr(widget, "children", ()))
    assert len(states) > 20 and marker not in repr(states).encode()


def test_bad_start_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a folder"):
        ImagePicker(path=str(tmp_path / "nope"))


def test_reports_are_image_reports(picker: ImagePicker) -> None:
    picker.add_images(photo())
    assert all(isinstance(r, ImageReport) for r in picker.reports)
    assert os.path.splitext(picker.reports[0].name)[1] == ".jpg"


# -- the chunked uploader ------------------------------------------------------------------------
MiB = 1024 * 1024


class Recorder:
    """Collects what the uploader hands on and what it sends back to the browser."""

    def __init__(self, widget: ChunkedUploader) -> None:
        self.files: list[UploadedFile] = []
        self.rejected: list[tuple[str, int, str]] = []
        self.sent: list[dict[str, Any]] = []
        widget.on_file(self.files.append)
        widget.on_reject(lambda *args: self.rejected.append(args))
        widget.send = lambda content, buffers=None: self.sent.append(content)  # type: ignore


@pytest.fixture
def up() -> ChunkedUploader:
    return ChunkedUploader()


def chunk_messages(file_id: str, name: str, data: bytes, chunk: int = CHUNK_SIZE,
                   type_: str = "image/jpeg", batch: str = "b1",
                   ) -> list[tuple[dict[str, Any], list[memoryview]]]:
    total = expected_chunks(len(data), chunk)
    return [
        ({"kind": "chunk", "id": file_id, "name": name, "index": i, "total": total,
          "size": len(data), "type": type_, "batch": batch},
         [memoryview(data[i * chunk:(i + 1) * chunk])])
        for i in range(total)
    ]


def test_twelve_mib_in_one_mib_chunks_arrives_whole(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    data = os.urandom(12 * MiB)
    messages = chunk_messages("f1", "big photo é.jpg", data)
    assert len(messages) == 12
    for content, buffers in messages[:-1]:
        browser_sends(up, content, buffers)
        assert rec.files == []
    assert up.progress[-1]["received"] == 11 * MiB and up.progress[-1]["state"] == "receiving"
    browser_sends(up, *messages[-1])
    assert len(rec.files) == 1 and rec.files[0].data == data
    assert rec.files[0].name == "big photo é.jpg" and rec.files[0].type == "image/jpeg"
    assert [m["index"] for m in rec.sent if m["kind"] == "ack"] == list(range(12))
    assert up.pending == 0  # reassembly buffers dropped
    assert up.progress == [{"id": "f1", "name": "big photo é.jpg", "size": 12 * MiB,
                            "received": 12 * MiB, "state": "done", "batch": "b1"}]


def test_out_of_order_and_repeated_chunks(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    data = os.urandom(5 * 1000 + 17)
    messages = chunk_messages("x", "a.png", data, chunk=1000)
    order = messages[:]
    random.Random(3).shuffle(order)
    order.insert(2, order[0])  # a chunk delivered twice is counted once
    for content, buffers in order:
        browser_sends(up, content, buffers)
    assert [f.data for f in rec.files] == [data]


def test_interleaved_files_are_kept_apart(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    a, b = os.urandom(3000), os.urandom(2500)
    ma, mb = chunk_messages("a", "a.jpg", a, 1000), chunk_messages("b", "b.jpg", b, 1000)
    for pair in zip(ma, mb, strict=False):
        for content, buffers in pair:
            browser_sends(up, content, buffers)
    browser_sends(up, *ma[-1])
    assert {f.name: f.data for f in rec.files} == {"a.jpg": a, "b.jpg": b}
    assert [e["state"] for e in up.progress] == ["done", "done"]


def test_zero_byte_file_is_delivered(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    browser_sends(up, {"kind": "chunk", "id": "z", "name": "empty.jpg", "index": 0,
                            "total": 1, "size": 0, "type": ""}, [memoryview(b"")])
    assert [(f.name, f.data) for f in rec.files] == [("empty.jpg", b"")]


def test_oversized_and_skipped_files_are_rejected_without_data(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    up.max_file_bytes = 10
    content, buffers = chunk_messages("big", "big.jpg", b"x" * 11, chunk=4)[0]
    browser_sends(up, content, buffers)
    browser_sends(up, {"kind": "skipped", "id": "s", "name": "movie.mov",
                            "size": 900 * MiB, "type": "video/quicktime",
                            "reason": "too-large", "batch": "b1"}, [])
    assert rec.files == []
    assert rec.rejected == [("big.jpg", 11, "too-large"), ("movie.mov", 900 * MiB, "too-large")]
    assert {"kind": "error", "id": "big", "reason": "too-large"} in rec.sent
    assert [e["state"] for e in up.progress] == ["rejected", "rejected"]


def test_bad_numbering_and_excess_bytes_fail_the_file(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    browser_sends(up, {"kind": "chunk", "id": "q", "name": "q.jpg", "index": 5,
                            "total": 2, "size": 4}, [memoryview(b"ab")])
    browser_sends(up, {"kind": "chunk", "id": "r", "name": "r.jpg", "index": 0,
                            "total": 2, "size": 3}, [memoryview(b"abcd")])
    assert rec.files == [] and up.pending == 0
    assert [r[0] for r in rec.rejected] == ["q.jpg", "r.jpg"]
    assert [m["id"] for m in rec.sent if m["kind"] == "error"] == ["q", "r"]


def test_abort_and_unknown_messages(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    content, buffers = chunk_messages("p", "p.jpg", b"abcdef", chunk=2)[0]
    browser_sends(up, content, buffers)
    assert up.pending == 1
    browser_sends(up, {"kind": "abort", "id": "p"}, [])
    browser_sends(up, {"kind": "chunk", "id": "bad"}, [])  # malformed: ignored
    browser_sends(up, "not a dict", [])
    assert up.pending == 0 and rec.files == [] and up.progress[0]["state"] == "cancelled"


def test_stale_partial_files_are_dropped(up: ChunkedUploader,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    Recorder(up)
    browser_sends(up, *chunk_messages("old", "old.jpg", b"abcd", chunk=2)[0])
    clock = [uploader_module.time.monotonic() + uploader_module.STALE_SECONDS + 1]
    monkeypatch.setattr(uploader_module.time, "monotonic", lambda: clock[0])
    browser_sends(up, *chunk_messages("new", "new.jpg", b"abcd", chunk=2)[0])
    assert up.pending == 1  # "new" only: "old" went stale and was dropped
    assert [(e["id"], e["state"]) for e in up.progress] == [("old", "cancelled"),
                                                            ("new", "receiving")]


def test_a_new_batch_replaces_finished_progress(up: ChunkedUploader) -> None:
    Recorder(up)
    for content, buffers in chunk_messages("one", "1.jpg", b"abc", chunk=2):
        browser_sends(up, content, buffers)
    browser_sends(up, *chunk_messages("two", "2.jpg", b"abc", chunk=2)[0])
    assert [e["id"] for e in up.progress] == ["one", "two"]  # the same selection
    browser_sends(up, *chunk_messages("three", "3.jpg", b"abc", chunk=2, batch="b2")[0])
    assert [e["id"] for e in up.progress] == ["one", "two", "three"]  # "two" still running
    for content, buffers in chunk_messages("two", "2.jpg", b"abc", chunk=2)[1:]:
        browser_sends(up, content, buffers)
    for content, buffers in chunk_messages("three", "3.jpg", b"abc", chunk=2, batch="b2")[1:]:
        browser_sends(up, content, buffers)
    browser_sends(up, *chunk_messages("four", "4.jpg", b"abc", chunk=2, batch="b3")[0])
    assert [e["id"] for e in up.progress] == ["four"]  # everything before had finished


def test_bytes_never_enter_widget_state(up: ChunkedUploader) -> None:
    Recorder(up)
    secret = b"PHOTO-BYTES-" + os.urandom(64)
    for content, buffers in chunk_messages("s", "s.jpg", secret, chunk=16):
        browser_sends(up, content, buffers)
    state = up.get_state()
    assert secret[:12] not in repr(state).encode()
    assert "astria-upload" in dom_classes(up)


def test_esm_and_css_ship_as_package_files() -> None:
    here = Path(uploader_module.__file__).parent
    assert up_esm_text() == (here / "uploader.js").read_text(encoding="utf-8")
    assert "export default" in up_esm_text() and 'kind: "chunk"' in up_esm_text()


def up_esm_text() -> str:
    return ChunkedUploader().get_state("_esm")["_esm"]  # the module the front end gets


def test_make_uploader_fallback_reads_and_clears_file_upload() -> None:
    got: list[UploadedFile] = []
    widget = make_uploader(got.append, chunked=False)
    assert isinstance(widget, w.FileUpload) and "astria-upload" in dom_classes(widget)
    # as the front end sends it: one state update with the files' bytes as buffers
    widget.set_state({"value": [{"name": "a.jpg", "type": "image/jpeg", "size": 3,
                                 "content": memoryview(b"abc"), "last_modified": 0}]})
    assert [(f.name, f.data) for f in got] == [("a.jpg", b"abc")]
    assert widget.value == ()


def test_make_uploader_prefers_chunks() -> None:
    got: list[UploadedFile] = []
    widget = make_uploader(got.append, chunked=None, max_file_bytes=123)
    assert isinstance(widget, ChunkedUploader) and widget.max_file_bytes == 123
