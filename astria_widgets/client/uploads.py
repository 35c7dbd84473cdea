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

This module is the one home of reading image inputs: :func:`read_inputs` reads paths,
folders, bytes, open files and pairs file by file (default names, messages) for the client's
``create_tune`` and the ``ImagePicker`` alike, and every path is read by ``read_path`` (also
for ``inspect_image`` and ``generate``'s file inputs, ``read_media``). It reads only regular
files (a device such as ``/dev/zero``, a FIFO or a socket is refused before it is read: a FIFO
would block forever, a device would read without end) and at most
``imaging.checks.MAX_FILE_BYTES`` (30 MiB, the limit of an image; a larger file is refused
from its size, unread). Open files are read with the same limit. A prompt's video and sound
inputs (``input_video``, ``audio_reference``) are read the same way with the limit
:data:`MAX_MEDIA_BYTES`.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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


def audio_format(data: bytes) -> str:
    """The format of sound bytes from their magic numbers: ``"mp3"`` (an ID3 tag or an MPEG
    audio frame), ``"aac"`` (ADTS), ``"wav"``, ``"ogg"``, ``"flac"``, ``"m4a"`` (an MP4
    ``ftyp`` box) or ``"webm"``; ``""`` when it is none of those."""
    if data.startswith(b"ID3"):
        return "mp3"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:  # a frame's sync bits
        return "aac" if data[1] & 0xF6 == 0xF0 else "mp3"  # ADTS: 12 sync bits, layer 00
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data.startswith(b"OggS"):
        return "ogg"
    if data.startswith(b"fLaC"):
        return "flac"
    return {"mp4": "m4a", "webm": "webm"}.get(video_format(data), "")


MAX_MEDIA_BYTES = 100 * 1024 * 1024
"""The limit of a prompt's video or sound input (100 MiB). The API notes state none; this is
the package's choice, so that a wrong path (a disk image, ``/dev/zero``) is refused unread."""

_KINDS: dict[str, tuple[str, str, Callable[[bytes], str], str]] = {
    "image": ("an image", "an image file; give a photo file", image_format,
              "JPEG, PNG, WebP, GIF or BMP"),
    "video": ("a video", "a video file; give a video file", video_format, "MP4, MOV or WebM"),
    "audio": ("a sound file", "a sound file; give a sound file", audio_format,
              "MP3, AAC, WAV, OGG, FLAC or M4A"),
}
"""Per kind of file input: what it is called, what a path must be, how its bytes are
recognised and the formats named in a refusal."""


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
    if _is_pair(items):
        return [items]
    return list(items)


def _is_pair(item: Any) -> bool:
    """A ``(name, bytes)`` pair (not a tuple of two inputs)."""
    return (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
            and isinstance(item[1], (bytes, bytearray, memoryview)))


@dataclass(frozen=True)
class ReadFile:
    """One file read from an image input: ``data``, or ``problem`` (naming the file) when it
    could not be read. ``item`` is the 1-based position of the input it came from."""

    name: str
    data: bytes | None = field(repr=False)
    problem: str | None
    item: int


@dataclass(frozen=True)
class FolderRead:
    """What a folder given as an image input held: its images, their captions
    (``name.txt`` beside ``name.jpg``) and the other files, which are ignored."""

    path: Path
    item: int
    images: int
    captions: int
    ignored: int

    @property
    def note(self) -> str:
        """One line for the user, e.g. ``"2 images in pics/ (1 other file ignored)."``."""
        text = f"{self.images} image{'s' if self.images != 1 else ''} in {self.path.name}/"
        if self.captions:
            text += f" with {self.captions} caption(s)"
        if self.ignored:
            text += f" ({self.ignored} other file{'s' if self.ignored != 1 else ''} ignored)"
        return text + "."


def read_inputs(items: Any) -> tuple[list[ReadFile], list[FolderRead]]:
    """Read image inputs file by file: the ONE reader of paths, folders, bytes, files, pairs.

    ``items`` is one input or an iterable of them: a path (``str``/``PathLike``; ``~``
    expanded) to an image or a folder (its images sorted by name, each followed by its
    caption), ``bytes``, a ``(name, bytes)`` pair or an open binary file. Bytes and nameless
    files are called ``image-<N>.<ext>`` (``N`` the input's position). Nothing raises: a file
    that cannot be read is a :class:`ReadFile` with its ``problem`` (paths by
    :func:`read_path`, open files by :func:`read_file_object`). ``create_tune`` (through
    :func:`read_images`) and the ``ImagePicker`` (through its image set) both read here.
    """
    files: list[ReadFile] = []
    folders: list[FolderRead] = []
    for index, item in enumerate(as_list(items), start=1):
        if isinstance(item, (str, os.PathLike)):
            path = Path(item).expanduser()
            if path.is_dir():
                files.extend(_read_folder(path, index, folders))
            else:
                files.append(_read_file(path, index))
        elif isinstance(item, (bytes, bytearray, memoryview)):
            data = bytes(item)
            files.append(ReadFile(f"image-{index}{_guess_suffix(data)}", data, None, index))
        elif isinstance(item, tuple) and len(item) == 2:
            name, data = item
            if _is_pair(item):
                files.append(ReadFile(os.path.basename(name) or f"image-{index}", bytes(data),
                                      None, index))
            else:
                files.append(ReadFile(f"image #{index}", None, f"image #{index}: a pair must "
                                      "be (filename: str, data: bytes)", index))
        elif hasattr(item, "read"):
            raw_name = getattr(item, "name", None)
            name = os.path.basename(raw_name) if isinstance(raw_name, str) else ""
            try:
                data = read_file_object(item, name or f"image #{index}")
            except InputError as exc:
                files.append(ReadFile(name or f"image #{index}", None, exc.problems[0], index))
            else:
                files.append(ReadFile(name or f"image-{index}{_guess_suffix(data)}", data,
                                      None, index))
        else:
            files.append(ReadFile(f"image #{index}", None, (
                f"image #{index}: {type(item).__name__} is not an image input; give a path, "
                "bytes, an open binary file or a (filename, bytes) pair"), index))
    return files, folders


def _read_file(path: Path, index: int) -> ReadFile:
    try:
        return ReadFile(path.name, read_path(path), None, index)
    except InputError as exc:
        return ReadFile(path.name or str(path), None, exc.problems[0], index)


def _read_folder(path: Path, index: int, folders: list[FolderRead]) -> list[ReadFile]:
    from astria_widgets.imaging.checks import IMAGE_EXTENSIONS  # the picker's list

    try:
        every = [p for p in path.iterdir() if p.is_file()]
        files = folder_files(path, IMAGE_EXTENSIONS)
    except OSError as exc:
        return [ReadFile(path.name, None, f"{path.name}/: the folder cannot be read: "
                         f"{exc.strerror or exc} ({path})", index)]
    captions = sum(1 for p in files if p.suffix.lower() == ".txt")
    folders.append(FolderRead(path, index, len(files) - captions, captions,
                              len(every) - len(files)))
    return [_read_file(file, index) for file in files]


def read_images(items: Any, *, label: str = "") -> tuple[list[tuple[str, bytes]], list[str]]:
    """Read image inputs (:func:`read_inputs`) into ``(name, bytes)`` pairs; also return the
    problems found on the way (a folder without images is one).

    ``label`` (the parameter's name, e.g. ``"image"``) starts each problem when given.
    """
    files, folders = read_inputs(items)
    problems = [f.problem for f in files if f.problem is not None]
    problems += [f"{folder.path}: folder contains no image files" for folder in folders
                 if not folder.images and not folder.captions]
    named = [(f.name, f.data) for f in files if f.data is not None]
    return named, [f"{label}: {p}" if label else p for p in problems]


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


def read_path(path: str | os.PathLike[str], *, max_bytes: int | None = None,
              kind: str = "image") -> bytes:
    """The bytes of the image file at ``path``: a regular file of at most ``max_bytes``.

    ``max_bytes`` defaults to ``imaging.checks.MAX_FILE_BYTES`` for an image and to
    :data:`MAX_MEDIA_BYTES` for the other ``kind`` s (``"video"``, ``"audio"``, named in the
    messages). Raises :class:`InputError`
    naming the file and its path when it is missing, not a regular file (a device, FIFO,
    socket or folder: refused unread, so nothing blocks or reads without end), larger than
    the limit (refused from its size, unread), or unreadable. The file is opened
    non-blocking and checked again on the open descriptor, so a file swapped for a FIFO
    between the check and the open cannot block either.
    """
    from astria_widgets.imaging.checks import format_size, size_problem

    limit = _limit(kind, max_bytes)
    what, wanted = _KINDS[kind][:2]
    path = Path(path).expanduser()
    name = path.name or str(path)
    try:
        special = _not_regular(os.stat(path).st_mode)
        if special is not None:
            raise InputError(f"{name}: is {special}, not {wanted} ({path})")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            special = _not_regular(info.st_mode)
            if special is not None:
                raise InputError(f"{name}: is {special}, not {wanted} ({path})")
            if kind == "image":
                too_big = size_problem(name, info.st_size, limit) if info.st_size else None
            else:
                too_big = (f"{name}: file is {format_size(info.st_size)}, over the "
                           f"{format_size(limit)} limit of {what}") \
                    if info.st_size > limit else None
            if too_big is not None:
                raise InputError(f"{too_big} ({path})")
            data = handle.read(limit + 1)  # a file growing (or /proc's size 0) stops here
    except FileNotFoundError:
        raise InputError(f"{name}: file not found ({path})") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read: {exc.strerror or exc} ({path})") from None
    if len(data) > limit:
        raise InputError(f"{_over_limit(name, limit, kind)} ({path})")
    return data


def _limit(kind: str, max_bytes: int | None) -> int:
    """The size limit of an input of ``kind`` (``max_bytes`` when given)."""
    if max_bytes is not None:
        return max_bytes
    return _max_bytes() if kind == "image" else MAX_MEDIA_BYTES


def _over_limit(name: str, limit: int, kind: str = "image") -> str:
    """The message of an input found larger than ``limit`` while reading (size unknown)."""
    from astria_widgets.imaging.checks import format_size

    return (f"{name}: more than {format_size(limit)}, the limit of {_KINDS[kind][0]}; export "
            "a smaller copy")


def read_file_object(item: Any, name: str, *, max_bytes: int | None = None,
                     kind: str = "image") -> bytes:
    """The bytes of an open binary file, read with the size limit of :func:`read_path`.

    Raises :class:`InputError` naming ``name`` when it cannot be read, is in text mode or
    holds more than the limit (``open("/dev/zero", "rb")`` reads the limit, not forever).
    """
    limit = _limit(kind, max_bytes)
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
        raise InputError(_over_limit(name, limit, kind))
    return bytes(data)


def read_media(value: Any, label: str, kind: str = "image") -> FilePart:
    """One file input of a prompt, read and checked, as a ``(name, bytes, type)`` upload part.

    ``kind`` is ``"image"`` (``input_image``, ``mask_image``, ``image_references``, the video
    frames), ``"video"`` (``input_video``) or ``"audio"`` (``audio_reference``). ``value``: a
    path (``str`` or ``PathLike``; ``~`` expanded; a regular file only, see
    :func:`read_path`), bytes, an open binary file, a ``(name, bytes)`` pair, or a part
    already read (checked again, cheap). The bytes must be of the kind (magic numbers). Raises
    :class:`InputError` whose one problem starts with ``label``.
    """
    what, _wanted, recognise, formats = _KINDS[kind]
    if isinstance(value, str):
        if not value.strip():
            raise InputError(f"{label}: the path is empty")
        value = Path(value)
    name: str | None = None
    try:
        if is_file_part(value):
            name, data = value[0], bytes(value[1])
        elif isinstance(value, os.PathLike):
            path = Path(value).expanduser()
            name, data = path.name, read_path(path, kind=kind)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
        elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) \
                and isinstance(value[1], (bytes, bytearray, memoryview)):
            name, data = os.path.basename(value[0]) or None, bytes(value[1])
        elif hasattr(value, "read"):
            raw_name = getattr(value, "name", None)
            name = os.path.basename(raw_name) if isinstance(raw_name, str) else None
            data = read_file_object(value, name or "the open file", kind=kind)
        else:
            raise InputError(f"give a path, bytes, an open binary file, a (name, bytes) "
                             f"pair or an http(s) URL, not {type(value).__name__}")
    except InputError as exc:
        raise InputError([f"{label}: {p}" for p in exc.problems]) from None
    found = recognise(data)
    if not name:  # bytes: named after the parameter and what they hold
        default = {"image": "jpg", "video": "mp4", "audio": "mp3"}[kind]
        name = f"{label}.{'jpg' if found == 'jpeg' else found or default}"
    if not data:
        raise InputError(f"{label}: {name} is empty (0 bytes)")
    if not found:
        raise InputError(f"{label}: {name} is not {what} ({formats})")
    return value if is_file_part(value) else file_part(name, data)


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
        files, _folders = read_inputs([value])
        if not files or files[0].data is None:
            problem = files[0].problem if files else f"{value}: folder contains no image files"
            raise InputError(f"{label}: {problem}")
        name, data = files[0].name, files[0].data
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
