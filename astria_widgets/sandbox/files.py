"""What lives under ``/files/``: stored uploads, generated prompt images, training photos.

``served_file`` maps a path below ``/files/`` to a file on disk, rendering prompt images and
stand-in training photos on first use (``render.cached_render``). Paths must match a few strict
patterns (hex tokens, integers, sanitised file names), so ``..`` can never leave the folder.
It is shared by the ``GET /files/...`` route and by the renderer, which reads a prompt's input
and mask images through it: a stored upload (``input_image``, ``input_image_base64``,
``mask_image``) or a URL that points back at this sandbox, e.g. a generated image reused as
the next input (the host must be one the caller used, the public URL, or a loopback name on
the same port). A prompt image can only be derived from a prompt created before it, so inputs
never form a cycle. A duplicate made with ``image_index`` keeps a copy of that image of the
original (``reused_image_url_stored``, an upload) and serves it as each of its images.
Sandbox choice: an input URL on another loopback server is fetched when
the image is rendered (5 s timeout, at most ``max_upload_bytes``, no redirects); a URL
elsewhere, or on this sandbox's port under a name it does not know as its own, is not fetched
(``render`` then uses a stand-in).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import requests
from PIL import Image
from werkzeug.security import safe_join

from .callbacks import is_loopback_url
from .render import MAX_INPUT_SIDE, cached_render, prompt_image, training_image
from .state import SandboxState

UPLOAD = re.compile(r"uploads/([0-9a-f]{32})/([A-Za-z0-9][A-Za-z0-9._-]{0,127})")
PROMPT_IMAGE = re.compile(r"prompts/(\d{1,12})/(\d{1,2})\.png")
TRAIN_IMAGE = re.compile(r"tunes/(\d{1,12})/train/(\d{1,3})\.jpg")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
FETCH_TIMEOUT = 5.0


def _open(path: Path | io.BytesIO) -> Image.Image | None:
    """A stored or fetched image, decoded (JPEGs at a reduced scale when far larger than
    needed), or None when it is not an image."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (2 * MAX_INPUT_SIDE, 2 * MAX_INPUT_SIDE))
            image.load()
            return image.copy() if image.mode != "P" else image.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def fetch_loopback_image(url: str, max_bytes: int) -> Image.Image | None:
    """The image at ``url`` when its host is a loopback address (another local server), or
    None: anything else, an error, more than ``max_bytes`` or not an image."""
    if not is_loopback_url(url):
        return None
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, stream=True,
                          allow_redirects=False) as response:
            if response.status_code != 200:
                return None
            data = response.raw.read(max_bytes + 1, decode_content=True)
    except (requests.RequestException, OSError):
        return None
    return None if len(data) > max_bytes else _open(io.BytesIO(data))


def own_hosts(request_host: str, public_url: str = "") -> frozenset[str]:
    """The ``host:port`` names that reach this sandbox, as seen from one request."""
    hosts = {request_host.lower()}
    if public_url:
        hosts.add(urlsplit(public_url).netloc.lower())
    name, _, port = request_host.lower().rpartition(":")
    if name in LOOPBACK_NAMES and port.isdigit():
        hosts.update(f"{loop}:{port}" for loop in LOOPBACK_NAMES)
    return frozenset(hosts)


def _same_port(url: str, hosts: Iterable[str]) -> bool:
    try:
        port = urlsplit(url).port
    except ValueError:
        return False
    return port is not None and any(h.rpartition(":")[2] == str(port) for h in hosts)


def files_subpath(ref: str, hosts: Iterable[str]) -> str | None:
    """The path below ``/files/`` that ``ref`` (``/files/...`` or a URL to us) names."""
    if ref.startswith("/files/"):
        return ref[len("/files/"):]
    try:
        parts = urlsplit(ref)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.netloc.lower() not in set(hosts):
        return None
    return parts.path[len("/files/"):] if parts.path.startswith("/files/") else None


def prompt_png(st: SandboxState, prompt_id: int, index: int,
               hosts: frozenset[str]) -> bytes | None:
    """The PNG of image ``index`` of a finished prompt (rendered if need be), or None."""
    found = served_file(st, f"prompts/{prompt_id}/{index}.png", hosts)
    return None if found is None else found[0].read_bytes()


def served_file(
    st: SandboxState, subpath: str, hosts: frozenset[str], *, now: float | None = None,
    before_prompt: int | None = None,
) -> tuple[Path, str | None] | None:
    """(file, content type or None to guess) for ``/files/<subpath>``, or None (404).

    ``before_prompt``: only prompt images of earlier prompts (reading a prompt's inputs).
    """
    now = st.now() if now is None else now
    if m := UPLOAD.fullmatch(subpath):
        target = safe_join(str(st.files_dir), "uploads", m.group(1), m.group(2))
        return (Path(target), None) if target and Path(target).is_file() else None
    if m := PROMPT_IMAGE.fullmatch(subpath):
        prompt_id, index = int(m.group(1)), int(m.group(2))
        if before_prompt is not None and prompt_id >= before_prompt:
            return None
        prompt = st.store.get_prompt(prompt_id)
        if (prompt is None or prompt["outcome"] != "done" or now < prompt["finish_at"]
                or index >= prompt["num_images"]):
            return None
        path = st.files_dir / "prompts" / str(prompt_id) / f"{index}.png"

        def load(ref: str) -> Image.Image | None:
            sub = files_subpath(ref, hosts)
            if sub is None:
                if _same_port(ref, hosts):  # ourselves under another name: never loop
                    return None
                return fetch_loopback_image(ref, st.config.max_upload_bytes)
            found = served_file(st, sub, hosts, now=now, before_prompt=prompt_id)
            return None if found is None else _open(found[0])

        def render() -> bytes:
            reused = prompt["attrs"].get("reused_image_url_stored")  # a duplicate's image_index
            copy = served_file(st, reused[len("/files/"):], hosts) if reused else None
            if copy is not None:
                return copy[0].read_bytes()
            tunes = st.store.get_tunes([prompt["tune_id"], *prompt["attrs"].get("tune_refs", [])])
            return prompt_image(prompt, index, tunes, load)

        cached_render(path, render)
        return path, "image/png"
    if m := TRAIN_IMAGE.fullmatch(subpath):
        tune_id, index = int(m.group(1)), int(m.group(2))
        tune = st.store.get_tune(tune_id)
        if tune is None or index >= int(tune["attrs"].get("synthetic_images", 0)):
            return None
        path = st.files_dir / "tunes" / str(tune_id) / f"train-{index}.jpg"
        cached_render(path, lambda: training_image(tune_id, tune["name"], index))
        return path, "image/jpeg"
    return None
