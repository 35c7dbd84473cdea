"""Reassembly of chunked browser uploads, driven through the widget's message handler."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import ipywidgets
import pytest

from astria_widgets.widgets import uploader as uploader_module
from astria_widgets.widgets.uploader import (
    CHUNK_SIZE,
    ChunkedUploader,
    UploadedFile,
    expected_chunks,
    make_uploader,
)

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
        up._handle_message(up, content, buffers)
        assert rec.files == []
    assert up.progress[-1]["received"] == 11 * MiB and up.progress[-1]["state"] == "receiving"
    up._handle_message(up, *messages[-1])
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
        up._handle_message(up, content, buffers)
    assert [f.data for f in rec.files] == [data]


def test_interleaved_files_are_kept_apart(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    a, b = os.urandom(3000), os.urandom(2500)
    ma, mb = chunk_messages("a", "a.jpg", a, 1000), chunk_messages("b", "b.jpg", b, 1000)
    for pair in zip(ma, mb, strict=False):
        for content, buffers in pair:
            up._handle_message(up, content, buffers)
    up._handle_message(up, *ma[-1])
    assert {f.name: f.data for f in rec.files} == {"a.jpg": a, "b.jpg": b}
    assert [e["state"] for e in up.progress] == ["done", "done"]


def test_zero_byte_file_is_delivered(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    up._handle_message(up, {"kind": "chunk", "id": "z", "name": "empty.jpg", "index": 0,
                            "total": 1, "size": 0, "type": ""}, [memoryview(b"")])
    assert [(f.name, f.data) for f in rec.files] == [("empty.jpg", b"")]


def test_oversized_and_skipped_files_are_rejected_without_data(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    up.max_file_bytes = 10
    content, buffers = chunk_messages("big", "big.jpg", b"x" * 11, chunk=4)[0]
    up._handle_message(up, content, buffers)
    up._handle_message(up, {"kind": "skipped", "id": "s", "name": "movie.mov",
                            "size": 900 * MiB, "type": "video/quicktime",
                            "reason": "too-large", "batch": "b1"}, [])
    assert rec.files == []
    assert rec.rejected == [("big.jpg", 11, "too-large"), ("movie.mov", 900 * MiB, "too-large")]
    assert {"kind": "error", "id": "big", "reason": "too-large"} in rec.sent
    assert [e["state"] for e in up.progress] == ["rejected", "rejected"]


def test_bad_numbering_and_excess_bytes_fail_the_file(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    up._handle_message(up, {"kind": "chunk", "id": "q", "name": "q.jpg", "index": 5,
                            "total": 2, "size": 4}, [memoryview(b"ab")])
    up._handle_message(up, {"kind": "chunk", "id": "r", "name": "r.jpg", "index": 0,
                            "total": 2, "size": 3}, [memoryview(b"abcd")])
    assert rec.files == [] and up.pending == 0
    assert [r[0] for r in rec.rejected] == ["q.jpg", "r.jpg"]
    assert [m["id"] for m in rec.sent if m["kind"] == "error"] == ["q", "r"]


def test_abort_and_unknown_messages(up: ChunkedUploader) -> None:
    rec = Recorder(up)
    content, buffers = chunk_messages("p", "p.jpg", b"abcdef", chunk=2)[0]
    up._handle_message(up, content, buffers)
    assert up.pending == 1
    up._handle_message(up, {"kind": "abort", "id": "p"}, [])
    up._handle_message(up, {"kind": "chunk", "id": "bad"}, [])  # malformed: ignored
    up._handle_message(up, "not a dict", [])
    assert up.pending == 0 and rec.files == [] and up.progress[0]["state"] == "cancelled"


def test_stale_partial_files_are_dropped(up: ChunkedUploader,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    Recorder(up)
    up._handle_message(up, *chunk_messages("old", "old.jpg", b"abcd", chunk=2)[0])
    clock = [uploader_module.time.monotonic() + uploader_module.STALE_SECONDS + 1]
    monkeypatch.setattr(uploader_module.time, "monotonic", lambda: clock[0])
    up._handle_message(up, *chunk_messages("new", "new.jpg", b"abcd", chunk=2)[0])
    assert list(up._partials) == ["new"]


def test_a_new_batch_replaces_finished_progress(up: ChunkedUploader) -> None:
    Recorder(up)
    for content, buffers in chunk_messages("one", "1.jpg", b"abc", chunk=2):
        up._handle_message(up, content, buffers)
    up._handle_message(up, *chunk_messages("two", "2.jpg", b"abc", chunk=2)[0])
    assert [e["id"] for e in up.progress] == ["one", "two"]  # the same selection
    up._handle_message(up, *chunk_messages("three", "3.jpg", b"abc", chunk=2, batch="b2")[0])
    assert [e["id"] for e in up.progress] == ["one", "two", "three"]  # "two" still running
    for content, buffers in chunk_messages("two", "2.jpg", b"abc", chunk=2)[1:]:
        up._handle_message(up, content, buffers)
    for content, buffers in chunk_messages("three", "3.jpg", b"abc", chunk=2, batch="b2")[1:]:
        up._handle_message(up, content, buffers)
    up._handle_message(up, *chunk_messages("four", "4.jpg", b"abc", chunk=2, batch="b3")[0])
    assert [e["id"] for e in up.progress] == ["four"]  # everything before had finished


def test_bytes_never_enter_widget_state(up: ChunkedUploader) -> None:
    Recorder(up)
    secret = b"PHOTO-BYTES-" + os.urandom(64)
    for content, buffers in chunk_messages("s", "s.jpg", secret, chunk=16):
        up._handle_message(up, content, buffers)
    state = up.get_state()
    assert secret[:12] not in repr(state).encode()
    assert "astria-upload" in up._dom_classes


def test_esm_and_css_ship_as_package_files() -> None:
    here = Path(uploader_module.__file__).parent
    assert up_esm_text() == (here / "uploader.js").read_text(encoding="utf-8")
    assert "export default" in up_esm_text() and 'kind: "chunk"' in up_esm_text()


def up_esm_text() -> str:
    return ChunkedUploader()._esm


def test_make_uploader_fallback_reads_and_clears_file_upload() -> None:
    got: list[UploadedFile] = []
    widget = make_uploader(got.append, chunked=False)
    assert isinstance(widget, ipywidgets.FileUpload) and "astria-upload" in widget._dom_classes
    # as the front end sends it: one state update with the files' bytes as buffers
    widget.set_state({"value": [{"name": "a.jpg", "type": "image/jpeg", "size": 3,
                                 "content": memoryview(b"abc"), "last_modified": 0}]})
    assert [(f.name, f.data) for f in got] == [("a.jpg", b"abc")]
    assert widget.value == ()


def test_make_uploader_prefers_chunks() -> None:
    got: list[UploadedFile] = []
    widget = make_uploader(got.append, chunked=None, max_file_bytes=123)
    assert isinstance(widget, ChunkedUploader) and widget.max_file_bytes == 123
