"""Image inputs -> named bytes -> checked upload parts, and the streamed multipart body.

``create_tune`` accepts images as file paths (``str`` / ``Path``; a folder means the image
files in it, plus each ``name.txt`` caption beside a ``name.jpg``), raw ``bytes``, open binary
files, or ``(filename, bytes)`` pairs. A caption (``name.txt`` next to ``name.jpg``, Flux only)
is sent like an image, as a ``tune[images][]`` part of type ``text/plain`` with its file name:
the docs do not describe captions in the API, and this is the reading chosen. They are read
into ``(name, bytes)`` pairs, checked with ``imaging.checks.check_training_set`` (the same
rules as in the form), converted when a check says so (CMYK, 16-bit, alpha:
``imaging.convert.prepare_for_upload``), and become ``(filename, bytes, content_type)`` parts.
The body is streamed with ``requests_toolbelt``'s ``MultipartEncoder`` wrapped in a
``MultipartEncoderMonitor`` so callers see upload progress in bytes.

This module is the one home of reading an image input from a path (``read_path``): the
client's ``create_tune``, ``inspect_image`` and ``generate``'s ``input_image``/``mask_image``,
and the ``ImagePicker``, all read through it. It reads only regular files (a device such as
``/dev/zero``, a FIFO or a socket is refused before it is read: a FIFO would block forever,
a device would read without end) and at most ``imaging.checks.MAX_FILE_BYTES`` (30 MiB, the
limit of an image; a larger file is refused from its size, unread). Open files are read with
the same limit.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Union

from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from astria_widgets.client.encoding import FilePart, is_file_part
from astria_widgets.client.errors import InputError

ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO,
                   tuple[str, bytes]]
ProgressCallback = Callable[[int, int], Any]

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)


def image_format(data: bytes) -> str:
    """The format of image bytes from their magic numbers: ``"jpeg"``, ``"png"``, ``"gif"``,
    ``"webp"``, ``"bmp"``, or ``""`` when it is none of those (no Pillow needed)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((name for magic, name in _MAGIC if data.startswith(magic)), "")


def video_format(data: bytes) -> str:
    """``"mp4"`` for MP4/QuickTime bytes (an ``ftyp`` box first), ``"webm"`` for WebM, else ``""``.

    Video prompts deliver their videos in ``images`` like pictures (astria-api.md §2.7).
    """
    if data[4:8] == b"ftyp":
        return "mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return ""


def image_suffix(data: bytes, default: str = "") -> str:
    """A file suffix for image bytes (``".jpg"``, ``".png"``...), ``default`` when unknown."""
    kind = image_format(data)
    return f".{'jpg' if kind == 'jpeg' else kind}" if kind else default


def _guess_suffix(data: bytes) -> str:
    return image_suffix(data, ".jpg")


def as_list(items: Any) -> list[Any]:
    """Image inputs as a list: one path, bytes, open file or (name, bytes) pair is one item."""
    if items is None:
        return []
    if isinstance(items, (str, os.PathLike, bytes, bytearray, memoryview)) or hasattr(
        items, "read"
    ):
        return [items]
    if isinstance(items, tuple) and len(items) == 2 and isinstance(items[0], str) and \
            isinstance(items[1], (bytes, bytearray)):
        return [items]
    return list(items)


def read_images(items: Any, *, label: str = "") -> tuple[list[tuple[str, bytes]], list[str]]:
    """Read image inputs into ``(name, bytes)`` pairs; also return problems found on the way.

    ``label`` (the parameter's name, e.g. ``"image"``) starts each problem when given.
    """
    named: list[tuple[str, bytes]] = []
    problems: list[str] = []
    for index, item in enumerate(as_list(items), start=1):
        try:
            named.extend(_read_one(item, index))
        except InputError as exc:
            problems.extend(f"{label}: {p}" if label else p for p in exc.problems)
    return named, problems


def _max_bytes() -> int:
    from astria_widgets.imaging.checks import MAX_FILE_BYTES  # the one limit of an image

    return MAX_FILE_BYTES


_NOT_REGULAR = ((stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a device"),
                (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISDIR, "a folder"))


def _not_regular(mode: int) -> str | None:
    """What a non-regular file is ("a device"...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _NOT_REGULAR if test(mode)), "not a regular file")


def read_path(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> bytes:
    """The bytes of the image file at ``path``: a regular file of at most ``max_bytes``.

    ``max_bytes`` defaults to ``imaging.checks.MAX_FILE_BYTES``. Raises :class:`InputError`
    naming the file and its path when it is missing, not a regular file (a device, FIFO,
    socket or folder: refused unread, so nothing blocks or reads without end), larger than
    the limit (refused from its size, unread), or unreadable. The file is opened
    non-blocking and checked again on the open descriptor, so a file swapped for a FIFO
    between the check and the open cannot block either.
    """
    from astria_widgets.imaging.checks import size_problem

    limit = _max_bytes() if max_bytes is None else max_bytes
    path = Path(path).expanduser()
    name = path.name or str(path)
    try:
        kind = _not_regular(os.stat(path).st_mode)
        if kind is not None:
            raise InputError(f"{name}: is {kind}, not an image file; give a photo file ({path})")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            kind = _not_regular(info.st_mode)
            if kind is not None:
                raise InputError(f"{name}: is {kind}, not an image file; give a photo file "
                                 f"({path})")
            too_big = size_problem(name, info.st_size, limit) if info.st_size else None
            if too_big is not None:
                raise InputError(f"{too_big} ({path})")
            data = handle.read(limit + 1)  # a file growing (or /proc's size 0) stops here
    except FileNotFoundError:
        raise InputError(f"{name}: file not found ({path})") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read: {exc.strerror or exc} ({path})") from None
    if len(data) > limit:
        raise InputError(f"{_over_limit(name, limit)} ({path})")
    return data


def _over_limit(name: str, limit: int) -> str:
    """The message of an input found larger than ``limit`` while reading (size unknown)."""
    from astria_widgets.imaging.checks import format_size

    return (f"{name}: more than {format_size(limit)}, the limit of an image; export a "
            "smaller copy")


def read_file_object(item: Any, name: str, *, max_bytes: int | None = None) -> bytes:
    """The bytes of an open binary file, read with the size limit of :func:`read_path`.

    Raises :class:`InputError` naming ``name`` when it cannot be read, is in text mode or
    holds more than the limit (``open("/dev/zero", "rb")`` reads the limit, not forever).
    """
    limit = _max_bytes() if max_bytes is None else max_bytes
    try:
        data = item.read(limit + 1)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{name}: cannot be read ({exc})") from None
    if isinstance(data, str):
        raise InputError(f"{name}: file opened in text mode; open it with "
                         "open(path, 'rb')")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"{name}: read() gave {type(data).__name__}, not bytes")
    if len(data) > limit:
        raise InputError(_over_limit(name, limit))
    return bytes(data)


def _read_one(item: Any, index: int) -> list[tuple[str, bytes]]:
    if isinstance(item, (str, os.PathLike)):
        path = Path(item).expanduser()
        if path.is_dir():
            from astria_widgets.imaging.checks import IMAGE_EXTENSIONS  # the picker's list

            files = folder_files(path, IMAGE_EXTENSIONS)
            if not files:
                raise InputError(f"{path}: folder contains no image files")
            named, problems = [], []
            for file in files:
                try:
                    named.append((file.name, read_path(file)))
                except InputError as exc:
                    problems.extend(exc.problems)
            if problems:
                raise InputError(problems)
            return named
        return [(path.name, read_path(path))]
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
        return [(f"image-{index}{_guess_suffix(data)}", data)]
    if isinstance(item, tuple) and len(item) == 2:
        name, data = item
        if not isinstance(name, str) or not isinstance(data, (bytes, bytearray, memoryview)):
            raise InputError(f"image #{index}: a pair must be (filename: str, data: bytes)")
        return [(os.path.basename(name) or f"image-{index}", bytes(data))]
    if hasattr(item, "read"):
        raw_name = getattr(item, "name", None)
        name = os.path.basename(raw_name) if isinstance(raw_name, str) else ""
        data = read_file_object(item, name or f"image #{index}")
        return [(name or f"image-{index}{_guess_suffix(data)}", data)]
    raise InputError(
        f"image #{index}: unsupported type {type(item).__name__}; give a path, bytes, an "
        "open binary file or a (filename, bytes) pair"
    )


def folder_files(path: Path, image_extensions: Sequence[str]) -> list[Path]:
    """The images of a folder, each followed by its caption (``name.txt``) when there is one."""
    entries = sorted((p for p in path.iterdir() if p.is_file()), key=lambda p: p.name.casefold())
    images = [p for p in entries if p.suffix.lower() in image_extensions]
    captions = {p.stem: p for p in entries if p.suffix.lower() == ".txt"}
    out: list[Path] = []
    for image in images:
        out.append(image)
        if image.stem in captions:
            out.append(captions.pop(image.stem))
    return out


def check_images(named: Sequence[tuple[str, bytes]]) -> list[Any]:
    """The ``ImageReport`` of every image, set-level checks included (imaging.checks)."""
    from astria_widgets.imaging.checks import check_training_set

    return list(check_training_set(list(named)))


def _converted(data: bytes, report: Any) -> bytes:
    """Bytes to upload: re-encoded when a check warned of a conversion (CMYK, alpha...)."""
    if not getattr(report, "warnings", ()):
        return data
    from astria_widgets.imaging.convert import prepare_for_upload

    return prepare_for_upload(data)


def prepare_training_images(items: Any, *, context: str = "create_tune",
                            branch: str | None = "flux1") -> list[FilePart]:
    """Read, check and convert training images; raise :class:`InputError` listing problems.

    ``branch`` is the tune's branch when known (captions are refused off ``flux1``); pass
    ``"flux1"`` when it is not known.
    """
    from astria_widgets.imaging.checks import caption_branch_problems

    named, problems = read_images(items)
    problems.extend(caption_branch_problems([name for name, _ in named], branch))
    reports = check_images(named) if named else []
    problems.extend(problem for report in reports for problem in report.problems)
    if problems:
        raise InputError(problems, context=f"{context}: the training images have problems")
    return [file_part(name, _converted(data, report))
            for (name, data), report in zip(named, reports, strict=True)]


def file_part(name: str, data: bytes) -> FilePart:
    """A ``(filename, bytes, content_type)`` upload part."""
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return (name, bytes(data), content_type)


def as_file_part(value: Any, label: str) -> FilePart | None:
    """A file-like parameter value (Path, bytes, open file, pair) as an upload part, else None.

    Plain strings are not files here (they are URLs or text). A value that cannot be read
    raises :class:`InputError` whose problems start with ``label`` (the parameter).
    """
    if is_file_part(value):
        return value
    if isinstance(value, (os.PathLike, bytes, bytearray, memoryview)) or hasattr(value, "read") \
            or (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)):
        try:
            named = _read_one(value, 1)
        except InputError as exc:
            raise InputError([f"{label}: {p}" for p in exc.problems]) from None
        name, data = named[0]
        if isinstance(value, (bytes, bytearray, memoryview)):
            name = f"{label}{_guess_suffix(bytes(value))}"
        return file_part(name, data)
    return None


def multipart_body(
    fields: Iterable[tuple[str, Any]], on_progress: ProgressCallback | None = None
) -> tuple[MultipartEncoderMonitor, str]:
    """A streamed multipart body (monitor) and its content type, reporting bytes sent."""
    encoder = MultipartEncoder(fields=list(fields))
    total = encoder.len

    def callback(monitor: MultipartEncoderMonitor) -> None:
        if on_progress is not None:
            on_progress(min(monitor.bytes_read, total), total)

    monitor = MultipartEncoderMonitor(encoder, callback)
    return monitor, monitor.content_type
