"""I1 ``POST /images/inspect``: classify one training image (a stand-in, see ``inspect.py``).

Multipart (or JSON / urlencoded) with NO root key: ``name`` (required, the future tune's class),
``file`` (an image) or ``file_url``. Answers a flat object: the documented string keys (value
``NONE`` when absent) and booleans, plus the sandbox extension ``sandbox_notes``. A
``file_url`` pointing at this sandbox's own ``/files/uploads/...`` is read from disk; any other
URL is not fetched (the sandbox reaches no network): only its markers count.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, request

from .inspect import inspect
from .params import parse_body
from .state import state
from .validator import Validator, check_image

bp = Blueprint("images", __name__)
_OWN_UPLOAD = re.compile(r"/files/uploads/([0-9a-f]{32})/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$")


def _own_upload(url: str) -> bytes | None:
    match = _OWN_UPLOAD.search(url)
    if match is None:
        return None
    path = state().files_dir.joinpath("uploads", match.group(1), match.group(2))
    return path.read_bytes() if path.is_file() else None


@bp.post("/images/inspect")
def inspect_image() -> Any:
    """I1: the inspector's verdict on one picture."""
    body = parse_body(request)
    v = Validator(body)
    name = v.string("name", required=True, max_length=64)
    file_url = v.url("file_url")
    upload = body.get("file")
    data = filename = None
    if upload not in (None, ""):
        checked = check_image(upload, "file")
        if isinstance(checked, str):
            v.error("file", checked)
        else:
            data, _fmt, filename = checked
    elif file_url is None and "file_url" not in v.errors:
        v.error("file", "can't be blank (send a file or a file_url)")
    v.raise_if_errors()
    if data is None and file_url:
        data = _own_upload(file_url)
    return jsonify(inspect(name or "", data, filename or "", file_url or ""))
