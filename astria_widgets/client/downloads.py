"""Saving the images (or videos) of prompts: names, streaming, skipping what is complete, zip.

Everything on the service is deleted 30 days after training, so this is how a user keeps
results. Each output is saved as ``prompt-<id>-<NN>.<ext>`` (``NN`` counts from 01 in the order
of the prompt's ``images``; ``ext`` from the response's Content-Type, else the URL's suffix).
Responses are streamed to a ``.part`` file that is renamed when complete, so an interrupted run
never leaves a truncated file under the final name; a file already there whose size matches the
Content-Length (asked with a HEAD request) is not downloaded again. Requests go through the
client's transport (the key is sent only to the API's own host). A tqdm bar shows progress in a
terminal (it stays silent where stderr is not a terminal, e.g. in a kernel or a worker thread).
"""

from __future__ import annotations

import mimetypes
import os
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

CHUNK = 256 * 1024
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
               "image/gif": ".gif", "video/mp4": ".mp4", "video/webm": ".webm"}

Progress = Callable[[int, int], Any]
"""``progress(files_done, files_total)``."""


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


def outputs_of(prompts: Iterable[Mapping[str, Any]]) -> list[Output]:
    """Every output URL of the given prompt records, in order."""
    found = []
    for prompt in prompts:
        for index, url in enumerate(prompt.get("images") or (), start=1):
            found.append(Output(int(prompt["id"]), index, str(url)))
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


def save_to_folder(send: Callable[..., Any], items: list[Output], dest: Path,
                   progress: Progress) -> list[Path]:
    """Stream every output into ``dest``; skip files already complete. Returns the paths."""
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
                progress(done, len(items))
                continue
        response = send("GET", item.url, stream=True)
        try:
            path = dest / (item.stem + extension(response.headers.get("Content-Type"), item.url))
            size = _expected_size(response)
            if not (path.exists() and size is not None and path.stat().st_size == size):
                part = path.with_name(path.name + ".part")
                with part.open("wb") as fh:
                    for chunk in response.iter_content(CHUNK):
                        fh.write(chunk)
                if size is not None and part.stat().st_size != size:
                    part.unlink()
                    raise OSError(f"{path.name}: the download stopped after "
                                  f"{part.stat().st_size if part.exists() else 0} of {size} bytes")
                os.replace(part, path)
        finally:
            response.close()
        paths.append(path)
        progress(done, len(items))
    return paths


def save_to_zip(send: Callable[..., Any], items: list[Output], archive: Path,
                progress: Progress) -> Path:
    """Stream every output into one zip archive (written aside, then renamed)."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    part = archive.with_name(archive.name + ".part")
    try:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as zf:
            for done, item in enumerate(items, start=1):
                response = send("GET", item.url, stream=True)
                try:
                    name = item.stem + extension(response.headers.get("Content-Type"), item.url)
                    with zf.open(name, "w", force_zip64=True) as member:
                        for chunk in response.iter_content(CHUNK):
                            member.write(chunk)
                finally:
                    response.close()
                progress(done, len(items))
        os.replace(part, archive)
    finally:
        part.unlink(missing_ok=True)
    return archive


def archive_path(dest: Path, items: list[Output]) -> Path:
    """``dest`` itself when it ends in ``.zip``, else ``dest/prompts-<first>-<last>.zip``."""
    if dest.suffix.lower() == ".zip":
        return dest
    ids = sorted({i.prompt_id for i in items})
    name = f"prompts-{ids[0]}-{ids[-1]}.zip" if ids else "prompts.zip"
    return dest / name
