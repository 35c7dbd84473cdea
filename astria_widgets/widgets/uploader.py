"""Files from the user's browser, sent in chunks that fit under the websocket message cap.

ipywidgets' ``FileUpload`` sends a whole selection in one websocket message; a stock Jupyter
server (tornado) drops messages over 10 MiB and the upload fails silently. ``ChunkedUploader``
is an anywidget (``uploader.js``) with a file input and a drop zone: the browser slices each
file into ``chunk_size`` pieces (1 MiB) and sends each as a custom message with one binary
buffer, at most ``window`` chunks ahead of the kernel's acknowledgements. Python reassembles
the pieces per file id (in any order) and calls ``on_file`` callbacks with an ``UploadedFile``.
The bytes travel only in custom messages: they are never a trait, so they never reach widget
state or a saved notebook, and the reassembly buffers are dropped as soon as a file completes.

Progress is the synced trait ``progress``: one dict per file with ``id``, ``name``, ``size``,
``received`` (bytes the kernel has), ``state`` (``receiving``, ``done``, ``rejected``,
``failed``, ``cancelled``) and ``batch`` (one id per selection or drop); the browser draws
it. A new selection made after every file of the previous ones finished starts a fresh list.

Browser tests: click any element with class ``astria-upload`` (the whole widget; its drop
zone is ``.astria-upload-drop``) inside ``page.expect_file_chooser()``; or
``set_input_files`` on ``.astria-upload input[type=file]``; or dispatch a ``drop`` event
with a ``DataTransfer`` on ``.astria-upload-drop``.

``make_uploader`` falls back to ``ipywidgets.FileUpload`` (read, then ``value = ()``) when
anywidget is not installed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets
import traitlets

from astria_widgets.imaging.checks import MAX_FILE_BYTES

try:  # anywidget is a dependency, but the kit must keep working without it
    import anywidget
except ImportError:  # pragma: no cover - exercised by make_uploader(chunked=False)
    anywidget = None

__all__ = ["CHUNK_SIZE", "HAVE_ANYWIDGET", "UploadedFile", "make_uploader"]

CHUNK_SIZE = 1024 * 1024
"""Bytes per message (1 MiB: far below tornado's 10 MiB cap, few enough messages)."""
STALE_SECONDS = 600.0
"""A partly received file with no chunk for this long is dropped (the browser went away)."""
HAVE_ANYWIDGET = anywidget is not None

_HERE = Path(__file__).parent
_FINISHED = {"done", "rejected", "failed", "cancelled"}


@dataclass(frozen=True)
class UploadedFile:
    """One file received from the browser."""

    name: str
    data: bytes = field(repr=False)
    type: str = ""

    @property
    def size(self) -> int:
        """Length of ``data`` in bytes."""
        return len(self.data)


FileCallback = Callable[[UploadedFile], Any]
RejectCallback = Callable[[str, int, str], Any]


@dataclass
class _Partial:
    name: str
    type: str
    size: int
    total: int
    chunks: dict[int, bytes] = field(default_factory=dict)
    received: int = 0
    touched: float = field(default_factory=time.monotonic)


if anywidget is not None:

    class ChunkedUploader(anywidget.AnyWidget):
        """A drop zone and file input whose files reach Python in acknowledged chunks."""

        _esm = _HERE / "uploader.js"
        _css = _HERE / "uploader.css"

        accept = traitlets.Unicode("image/*").tag(sync=True)
        multiple = traitlets.Bool(True).tag(sync=True)
        disabled = traitlets.Bool(False).tag(sync=True)
        description = traitlets.Unicode(
            "Drop photos here, or click to choose them from your computer"
        ).tag(sync=True)
        chunk_size = traitlets.Int(CHUNK_SIZE).tag(sync=True)
        window = traitlets.Int(4).tag(sync=True)
        max_file_bytes = traitlets.Int(MAX_FILE_BYTES).tag(sync=True)
        progress = traitlets.List(traitlets.Dict()).tag(sync=True)

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._partials: dict[str, _Partial] = {}
            self._file_handlers = ipywidgets.CallbackDispatcher()
            self._reject_handlers = ipywidgets.CallbackDispatcher()
            self.on_msg(self._handle_message)
            self.add_class("astria-upload")

        def on_file(self, callback: FileCallback, remove: bool = False) -> None:
            """Call ``callback(UploadedFile)`` whenever a file has fully arrived."""
            self._file_handlers.register_callback(callback, remove=remove)

        def on_reject(self, callback: RejectCallback, remove: bool = False) -> None:
            """Call ``callback(name, size, reason)`` for a file the browser did not send.

            ``reason`` is ``"too-large"`` (over ``max_file_bytes``) or ``"failed"``.
            """
            self._reject_handlers.register_callback(callback, remove=remove)

        @property
        def pending(self) -> int:
            """How many files are partly received."""
            return len(self._partials)

        def reset(self) -> None:
            """Drop partly received files and clear the progress list."""
            self._partials.clear()
            self.progress = []

        # -- messages from the browser ---------------------------------------------------
        def _handle_message(self, _widget: Any, content: Any, buffers: Sequence[Any]) -> None:
            if not isinstance(content, dict):
                return
            kind = content.get("kind")
            if kind == "chunk":
                self._on_chunk(content, buffers)
            elif kind == "skipped":
                self._on_skipped(content)
            elif kind == "abort":
                file_id = str(content.get("id", ""))
                if self._partials.pop(file_id, None) is not None:
                    self._set_state(file_id, "cancelled")

        def _on_chunk(self, content: dict[str, Any], buffers: Sequence[Any]) -> None:
            try:
                file_id = str(content["id"])
                index, total, size = int(content["index"]), int(content["total"]), int(
                    content["size"])
                name = str(content.get("name") or "upload")
                batch = str(content.get("batch", ""))
            except (KeyError, TypeError, ValueError):
                return  # not one of ours
            if size > self.max_file_bytes:
                self._partials.pop(file_id, None)
                self._upsert(file_id, name, size, 0, "rejected", batch)
                self.send({"kind": "error", "id": file_id, "reason": "too-large"})
                self._reject_handlers(name, size, "too-large")
                return
            self._drop_stale()
            partial = self._partials.get(file_id)
            if partial is None:
                if self._finished(file_id):
                    return  # a late duplicate of a finished file
                partial = _Partial(name, str(content.get("type") or ""), size, total)
                self._partials[file_id] = partial
                self._upsert(file_id, name, size, 0, "receiving", batch)
            if not 0 <= index < partial.total or total != partial.total:
                self._fail(file_id, partial, "chunk numbering does not add up")
                return
            if index not in partial.chunks:
                chunk = bytes(buffers[0]) if buffers else b""  # copy out of the message frame
                partial.chunks[index] = chunk
                partial.received += len(chunk)
                partial.touched = time.monotonic()
            if partial.received > partial.size:
                self._fail(file_id, partial, "more bytes than announced")
                return
            self.send({"kind": "ack", "id": file_id, "index": index})
            if len(partial.chunks) < partial.total:
                self._upsert(file_id, name, size, partial.received, "receiving")
                return
            data = b"".join(partial.chunks[i] for i in range(partial.total))
            del self._partials[file_id]  # the reassembly buffers go now
            if len(data) != partial.size:
                self._fail(file_id, partial, "size does not match")
                return
            self._upsert(file_id, name, size, len(data), "done")
            self._file_handlers(UploadedFile(name, data, partial.type))

        def _on_skipped(self, content: dict[str, Any]) -> None:
            name = str(content.get("name") or "upload")
            size = int(content.get("size") or 0)
            reason = str(content.get("reason") or "failed")
            self._upsert(str(content.get("id", "")), name, size, 0, "rejected",
                     str(content.get("batch", "")))
            self._reject_handlers(name, size, reason)

        def _fail(self, file_id: str, partial: _Partial, why: str) -> None:
            self._partials.pop(file_id, None)
            self._upsert(file_id, partial.name, partial.size, partial.received, "failed")
            self.send({"kind": "error", "id": file_id, "reason": why})
            self._reject_handlers(partial.name, partial.size, "failed")

        def _drop_stale(self) -> None:
            now = time.monotonic()
            for file_id, partial in list(self._partials.items()):
                if now - partial.touched > STALE_SECONDS:
                    del self._partials[file_id]
                    self._set_state(file_id, "cancelled")

        # -- the progress trait ----------------------------------------------------------
        def _finished(self, file_id: str) -> bool:
            return any(e["id"] == file_id and e["state"] in _FINISHED for e in self.progress)

        def _upsert(self, file_id: str, name: str, size: int, received: int, state: str,
                    batch: str | None = None) -> None:
            entries = list(self.progress)
            for i, old in enumerate(entries):
                if old["id"] == file_id:
                    entries[i] = dict(old, received=received, state=state)
                    break
            else:
                if entries and all(e["state"] in _FINISHED for e in entries) and all(
                        e.get("batch") != batch for e in entries):
                    entries = []  # a new selection after the last one finished: start afresh
                entry = {"id": file_id, "name": name, "size": size, "received": received,
                         "state": state, "batch": batch or ""}
                entries.append(entry)
            self.progress = entries

        def _set_state(self, file_id: str, state: str) -> None:
            self.progress = [dict(e, state=state) if e["id"] == file_id else e
                             for e in self.progress]

else:  # pragma: no cover
    ChunkedUploader = None  # type: ignore[assignment,misc]


def make_uploader(
    on_file: FileCallback,
    on_reject: RejectCallback | None = None,
    *,
    chunked: bool | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> ipywidgets.DOMWidget:
    """A browser-upload widget calling ``on_file`` per received file (class ``astria-upload``).

    ``chunked=None`` uses ``ChunkedUploader`` when anywidget is installed, else a
    ``FileUpload`` whose value is read and reset at once (subject to the 10 MiB cap).
    """
    if chunked is None:
        chunked = HAVE_ANYWIDGET
    if chunked:
        if ChunkedUploader is None:
            raise RuntimeError("anywidget is not installed: pip install anywidget")
        uploader = ChunkedUploader(max_file_bytes=max_file_bytes)
        uploader.on_file(on_file)
        if on_reject is not None:
            uploader.on_reject(on_reject)
        return uploader
    return _file_upload(on_file)


def _file_upload(on_file: FileCallback) -> ipywidgets.FileUpload:
    upload = ipywidgets.FileUpload(
        accept="image/*", multiple=True, description="Upload photos",
        tooltip="Files from your computer (at most 10 MiB per selection on a stock server)",
    )
    upload.add_class("astria-upload")

    def _on_value(change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        upload.value = ()  # the bytes leave widget state at once
        for item in files:
            on_file(UploadedFile(str(item["name"]), bytes(item["content"]),
                                 str(item.get("type") or "")))

    upload.observe(_on_value, names="value")
    return upload


def expected_chunks(size: int, chunk_size: int = CHUNK_SIZE) -> int:
    """How many chunk messages the browser sends for a file of ``size`` bytes (at least 1)."""
    return max(1, math.ceil(size / chunk_size))
