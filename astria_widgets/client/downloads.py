"""Saving the images (or videos) of prompts: names, streaming, skipping what is complete, zip.

Everything on the service is deleted 30 days after training, so this is how a user keeps
results. Each output is saved as ``prompt-<id>-<NN>.<ext>`` (``NN`` counts from 01 in the order
of the prompt's ``images``; ``ext`` from the response's Content-Type, else the URL's suffix).
Responses are streamed to a ``.part`` file that is renamed when complete, so an interrupted run
never leaves a truncated file under the final name; a file already there whose size matches the
Content-Length (asked with a HEAD request) is not downloaded again. Requests go through the
client's transport (the key is sent only to the API's own host). A tqdm bar shows progress in a
terminal (it stays silent where stderr is not a terminal, e.g. in a kernel or a worker thread).

**Archives.** With ``zip=True`` the outputs go into one zip. An archive already there is added
to when it is one of ours: the outputs it holds (by ``prompt-<id>-<NN>``) are skipped, so a
re-run adds nothing and leaves the file untouched; new ones are written into a copy that then
replaces it (an interrupted run leaves the archive as it was). *Ours* means: the zip comment
is :data:`ARCHIVE_COMMENT` (written into every archive we write), or, for archives written
before the comment existed, no comment and every member named ``prompt-<id>-<NN>.<ext>``.
Any other file there (not a zip, a user's own zip, another tool's) is refused with
:class:`InputError` naming ``dest``, and never overwritten.

**Destinations** are checked before anything is fetched (:func:`destination`): a path (not
empty), not a file where a folder is wanted, not under a file, writable.

``DownloadCalls`` (mixed into :class:`~astria_widgets.client.AstriaClient`) is the client's
``download`` call over these functions.
"""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit

from astria_widgets.client.checks import is_http_url, record_id
from astria_widgets.client.errors import InputError
from astria_widgets.client.prompts import PromptCalls

CHUNK = 256 * 1024
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
               "image/gif": ".gif", "video/mp4": ".mp4", "video/webm": ".webm"}

Progress = Callable[[int, int], Any]
"""``progress(files_done, files_total)``."""

ARCHIVE_COMMENT = b"astria-widgets download archive"
"""The zip comment that marks an archive as ours (see the module docstring)."""
_OUR_MEMBER = re.compile(r"prompt-\d+-\d{2,}\.[A-Za-z0-9]{1,6}")


@dataclass
class DownloadCounts:
    """Filled in by a download: files ``saved`` now, and files ``present`` already (skipped)."""

    saved: int = 0
    present: int = 0


@dataclass(frozen=True)
class Output:
    """One image/video of a prompt to save."""

    prompt_id: int
    index: int  # 1-based
    url: str

    @property
    def stem(self) -> str:
        """``prompt-<id>-<NN>``: the file name without its extension."""
        return f"prompt-{self.prompt_id}-{self.index:02d}"


def output_urls(prompt_id: int, images: Any) -> list[str]:
    """The output URLs of a prompt's ``images``; :class:`InputError` naming it when they are
    not http(s) URLs.

    The API gives a list. A single string is read as one URL, not as a sequence of
    characters: a record written by hand with ``"images": "https://..."`` means that one
    image, and no reading of a string as several URLs makes sense.
    """
    if images is None:
        return []
    urls = [images] if isinstance(images, str) else images
    if not isinstance(urls, (list, tuple)):
        raise InputError(f"prompts: prompt {prompt_id}: images must be a list of http(s) "
                         f"URLs, not {type(images).__name__}")
    bad = [u for u in urls if not is_http_url(u)]
    if bad:
        raise InputError(f"prompts: prompt {prompt_id}: images must be http(s) URLs; "
                         f"{bad[0]!r} is not one")
    return [u.strip() for u in urls]


def outputs_of(prompts: Iterable[Mapping[str, Any]]) -> list[Output]:
    """Every output URL of the given prompt records (with integer ``id``), in order."""
    found = []
    for prompt in prompts:
        prompt_id = int(prompt["id"])
        for index, url in enumerate(output_urls(prompt_id, prompt.get("images")), start=1):
            found.append(Output(prompt_id, index, url))
    return found


def extension(content_type: str | None, url: str) -> str:
    """A file extension for a response: from its Content-Type, else the URL, else ``.bin``."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in _EXTENSIONS:
        return _EXTENSIONS[kind]
    guessed = mimetypes.guess_extension(kind) if kind else None
    if guessed:
        return guessed
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return suffix if 1 < len(suffix) <= 6 else ".bin"


def _expected_size(response: Any) -> int | None:
    value = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity") not in ("", "identity")
    return int(value) if value and value.isdigit() and not encoded else None


def sniffed_extension(data: bytes, url: str) -> str:
    """A file extension for bytes already fetched: from their magic number, else the URL."""
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data.startswith(b"\xff\xd8"):
        return ".jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return extension(None, url)


def save_fetched(item: Output, data: bytes, dest: Path,
                 counts: DownloadCounts | None = None) -> Path:
    """Write an output already fetched (a watch's image) as ``prompt-<id>-<NN>.<ext>`` in
    ``dest``, through a ``.part`` file; a file of the same size already there is kept."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / (item.stem + sniffed_extension(data, item.url))
    if path.exists() and path.stat().st_size == len(data):
        if counts is not None:
            counts.present += 1
        return path
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)
    if counts is not None:
        counts.saved += 1
    return path


def save_to_folder(send: Callable[..., Any], items: list[Output], dest: Path,
                   progress: Progress, counts: DownloadCounts | None = None) -> list[Path]:
    """Stream every output into ``dest``; skip files already complete. Returns the paths.

    ``counts`` (when given) is told how many files were saved and how many were there.
    """
    counts = counts if counts is not None else DownloadCounts()
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for done, item in enumerate(items, start=1):
        existing = [p for p in dest.glob(item.stem + ".*") if not p.name.endswith(".part")]
        if existing:
            # a file from an earlier run: its headers say whether it is complete (HEAD keeps
            # the connection reusable, unlike a GET closed before its body was read)
            head = send("HEAD", item.url)
            path = dest / (item.stem + extension(head.headers.get("Content-Type"), item.url))
            size = _expected_size(head)
            if path.exists() and size is not None and path.stat().st_size == size:
                paths.append(path)
                counts.present += 1
                progress(done, len(items))
                continue
        response = send("GET", item.url, stream=True)
        try:
            path = dest / (item.stem + extension(response.headers.get("Content-Type"), item.url))
            size = _expected_size(response)
            if path.exists() and size is not None and path.stat().st_size == size:
                counts.present += 1
            else:
                part = path.with_name(path.name + ".part")
                with part.open("wb") as fh:
                    for chunk in response.iter_content(CHUNK):
                        fh.write(chunk)
                if size is not None and part.stat().st_size != size:
                    got = part.stat().st_size
                    part.unlink()
                    raise OSError(f"{path.name}: the download stopped after {got} of {size} "
                                  "bytes")
                os.replace(part, path)
                counts.saved += 1
        finally:
            response.close()
        paths.append(path)
        progress(done, len(items))
    return paths


def save_to_zip(send: Callable[..., Any], items: list[Output], archive: Path,
                progress: Progress, counts: DownloadCounts | None = None) -> Path:
    """Stream every output into the zip ``archive``, adding to it when it is one of ours.

    Outputs the archive holds already are skipped; when none is left to add, the file is not
    touched. Otherwise a copy is written aside (a fresh hidden ``.part`` name, never a
    user's file) and renamed over it when complete. A file that is not an archive of ours
    raises :class:`InputError` naming ``dest`` and is left as it is.
    """
    counts = counts if counts is not None else DownloadCounts()
    problem = archive_problem(archive)
    if problem:
        raise InputError(problem)
    held = {PurePosixPath(name).stem for name in member_names(archive)} \
        if archive.exists() else set()
    todo = [item for item in items if item.stem not in held]
    counts.present += len(items) - len(todo)
    if not todo and archive.exists():
        progress(len(items), len(items))
        return archive
    archive.parent.mkdir(parents=True, exist_ok=True)
    part, handle = _fresh_part(archive)
    try:
        with handle:
            if archive.exists():
                with archive.open("rb") as source:
                    shutil.copyfileobj(source, handle, CHUNK)
                shutil.copymode(archive, part)
                handle.seek(0)
            with zipfile.ZipFile(handle, "a" if archive.exists() else "w",
                                 compression=zipfile.ZIP_STORED) as zf:
                zf.comment = ARCHIVE_COMMENT
                for done, item in enumerate(items, start=1):
                    if item.stem not in held:
                        _add_member(send, zf, item)
                        counts.saved += 1
                    progress(done, len(items))
        os.replace(part, archive)
    finally:
        part.unlink(missing_ok=True)
    return archive


def _add_member(send: Callable[..., Any], zf: zipfile.ZipFile, item: Output) -> None:
    response = send("GET", item.url, stream=True)
    try:
        name = item.stem + extension(response.headers.get("Content-Type"), item.url)
        size, written = _expected_size(response), 0
        with zf.open(name, "w", force_zip64=True) as member:
            for chunk in response.iter_content(CHUNK):
                member.write(chunk)
                written += len(chunk)
        if size is not None and written != size:
            raise OSError(f"{name}: the download stopped after {written} of {size} bytes")
    finally:
        response.close()


def _fresh_part(path: Path) -> tuple[Path, IO[bytes]]:
    """A new hidden file beside ``path`` to write into (created exclusively: never a user's)."""
    while True:
        part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            return part, part.open("x+b")
        except FileExistsError:  # pragma: no cover - 32 random bits taken
            continue


def member_names(archive: Path) -> list[str]:
    """The member names of a zip archive (``[]`` when it cannot be read as one)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            return zf.namelist()
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        return []


def is_our_archive(path: Path) -> bool:
    """True for a zip we wrote: our comment, or (older archives) no comment and every
    member named ``prompt-<id>-<NN>.<ext>``."""
    try:
        with zipfile.ZipFile(path) as zf:
            comment, names = zf.comment, zf.namelist()
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        return False
    if comment == ARCHIVE_COMMENT:
        return True
    return comment == b"" and bool(names) and all(_OUR_MEMBER.fullmatch(n) for n in names)


def archive_problem(archive: Path, label: str = "dest") -> str | None:
    """Why ``archive`` cannot be written or added to (naming ``label``), else None."""
    if not archive.exists() and not archive.is_symlink():
        return folder_problem(archive.parent, label, shown=archive)
    if archive.is_dir():
        return f"{label}: {archive} is a folder, not an archive; give another name"
    if not archive.is_file():
        return f"{label}: {archive} is not a regular file; give another name"
    if not is_our_archive(archive):
        return (f"{label}: {archive} exists and is not an archive written by astria-widgets "
                "download (it was left as it is); give another name or move it away")
    return folder_problem(archive.parent, label, shown=archive)


def folder_problem(folder: Path, label: str = "dest", *, shown: Path | None = None) -> str | None:
    """Why files cannot be saved into ``folder`` (made if missing), naming ``label``; else None.

    A file where the folder (or one of its parents) should be, or no permission to write
    where it would be made. Nothing is created to find out. ``shown`` is the path the user
    gave when it is not ``folder`` itself (an archive in it).
    """
    shown = folder if shown is None else shown
    if "\x00" in str(folder):  # the file system cannot name it (os.stat raises ValueError)
        return f"{label}: {str(shown)!r} contains a NUL character; give a folder path"
    existing = folder
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():  # a dangling link: mkdir would fail on it
            return f"{label}: {shown} cannot be made: {existing} is a broken link"
        existing = existing.parent
    if not existing.is_dir():
        if existing == shown:
            return f"{label}: {shown} is a file, not a folder; give a folder to save into"
        return f"{label}: {shown} cannot be made: {existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{label}: {shown}: no permission to write in {existing}"
    return None


def destination(dest: Any, *, zip: bool) -> Path:
    """``dest`` checked as where to save: a path, not empty, not a file where a folder goes.

    Raises :class:`InputError` naming ``dest``. With ``zip=True`` an existing folder (even one
    named ``x.zip``) receives the archive; a path ending in ``.zip`` is the archive itself,
    checked by :func:`archive_problem` once the outputs are known (see :func:`archive_path`).
    """
    if not isinstance(dest, (str, os.PathLike)):
        raise InputError(f"dest: give a folder path{' or a .zip path' if zip else ''}, not "
                         f"{type(dest).__name__}")
    text = os.fspath(dest)
    if not isinstance(text, str) or not text.strip():
        raise InputError("dest: empty; give a folder to save into"
                         + (" or a .zip path" if zip else " (\".\" for the current one)"))
    if "\x00" in text:  # no file system can name it
        raise InputError(f"dest: {text!r} contains a NUL character; give a folder path")
    target = Path(text).expanduser()
    if zip and not target.is_dir() and target.suffix.lower() == ".zip":
        problem = folder_problem(target.parent, shown=target)
        if problem is None and target.exists() and not target.is_file():
            problem = f"dest: {target} is not a regular file; give another name"
        if problem is None and target.is_file() and not is_our_archive(target):
            problem = archive_problem(target)
    else:
        problem = folder_problem(target)
        if problem and not zip and target.is_file() and is_our_archive(target):
            problem += " (it is an archive of ours: pass zip=True to add to it)"
    if problem:
        raise InputError(problem)
    return target


def archive_path(dest: Path, items: list[Output]) -> Path:
    """``dest`` itself when it ends in ``.zip`` and is no folder, else
    ``dest/prompts-<first>-<last>.zip``."""
    if dest.suffix.lower() == ".zip" and not dest.is_dir():
        return dest
    ids = sorted({i.prompt_id for i in items})
    name = f"prompts-{ids[0]}-{ids[-1]}.zip" if ids else "prompts.zip"
    return dest / name


class DownloadCalls(PromptCalls):
    """The client's ``download`` call (see the module docstring)."""

    def download(self, prompts: Any, dest: str | os.PathLike[str], *, zip: bool = False,
                 progress: Callable[[int, int], Any] | None = None,
                 counts: DownloadCounts | None = None) -> list[Path] | Path:
        """Save every image (or video) of ``prompts`` into the folder ``dest``.

        ``prompts``: prompt records or ids (a single one too). Files are named
        ``prompt-<id>-<NN>.<ext>`` (see :mod:`.downloads`); files already complete are skipped.
        Returns the paths, or with ``zip=True`` the path of one archive (``dest`` itself when
        it ends in ``.zip`` and is not a folder, else ``prompts-<first>-<last>.zip`` in it).
        An archive of ours already there is added to (what it holds is skipped); any other
        file is refused and left as it is. ``progress(done, total)`` replaces the tqdm bar
        shown in a terminal; ``counts`` (a :class:`~.downloads.DownloadCounts`) is told how
        many files were saved and how many were already there. Raises :class:`InputError`
        naming ``prompts`` or ``dest`` before anything is fetched when they are unusable.
        """
        try:
            return self._download(prompts, dest, zip=zip, progress=progress, counts=counts)
        except InputError as exc:
            raise InputError(exc.problems, context="download") from None

    def _download(self, prompts: Any, dest: Any, *, zip: bool,
                  progress: Callable[[int, int], Any] | None,
                  counts: DownloadCounts | None) -> list[Path] | Path:
        target = destination(dest, zip=zip)
        if prompts is None or isinstance(prompts, (bool, float, bytes)) or not isinstance(
                prompts, (Mapping, int, str, Iterable)):
            raise InputError(f"prompts: give prompt records or ids, not "
                             f"{type(prompts).__name__}")
        items = [prompts] if isinstance(prompts, (Mapping, int, str)) else list(prompts)
        records = [{**p, "id": record_id(p.get("id"), "prompts")} if isinstance(p, Mapping)
                   else self.get_prompt(None, record_id(p, "prompts")) for p in items]
        outputs = outputs_of(records)
        from tqdm import tqdm  # the terminal bar: disable=None hides it off a terminal

        with tqdm(total=len(outputs), unit="file", desc="download",
                  disable=True if progress is not None else None) as bar:
            def report(done: int, total: int) -> None:
                bar.update(done - bar.n)
                if progress is not None:
                    progress(done, total)

            if zip:
                return save_to_zip(self._transport.send, outputs,
                                   archive_path(target, outputs), report, counts)
            return save_to_folder(self._transport.send, outputs, target, report, counts)
