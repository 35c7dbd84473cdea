"""Account, files and sandbox-control endpoints.

- U1 ``GET /users``: the caller's account (``usd_balance_mc`` = 10,000,000 mc minus what the
  account's prompts cost).
- ``GET /files/...`` (no auth, like the real service's public CDN): stored uploads and lazily
  rendered images. The path is matched against a few strict patterns (hex tokens, integers,
  sanitised file names) and joined with ``safe_join``; anything else is 404, so ``..`` (plain
  or percent-encoded) can never leave the files folder.
- ``GET /sandbox/health`` (no auth): ``{"ok": true, "sandbox": true}``.
- ``GET|POST /sandbox/faults`` (auth): read or drive fault injection from another process:
  ``{"kind": "500", "count": 2}``, ``{"rate": 0.2}`` or ``{"clear": true}``.
- ``POST /sandbox/users`` (auth): a fresh isolated account; answers ``{"api_key": ...}``.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from flask import Blueprint, abort, jsonify, request, send_file
from werkzeug.security import safe_join

from .faults import KINDS
from .objects import downloadable
from .params import ValidationFailed, Validator, parse_body
from .render import cached_render, output_size, prompt_image, training_image
from .state import current_user, state

bp = Blueprint("misc", __name__)
START_BALANCE_MC = 10_000_000
UPLOAD = re.compile(r"uploads/([0-9a-f]{32})/([A-Za-z0-9][A-Za-z0-9._-]{0,127})")
PROMPT_IMAGE = re.compile(r"prompts/(\d{1,12})/(\d{1,2})\.png")
TRAIN_IMAGE = re.compile(r"tunes/(\d{1,12})/train/(\d{1,3})\.jpg")
CHECKPOINT = re.compile(r"tunes/(\d{1,12})/model\.safetensors")


@bp.get("/sandbox/health")
def health() -> Any:
    """Liveness probe (no auth, never faulted)."""
    return jsonify({"ok": True, "sandbox": True})


@bp.get("/users")
def account() -> Any:
    """U1: the caller's account."""
    user = current_user()
    spent = state().store.prompt_cost_total(user["id"])
    return jsonify({
        "id": user["id"], "name": user["name"], "email": user["email"],
        "usd_balance_mc": START_BALANCE_MC - spent, "purchased_plugin_at": None,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(user["created_at"])),
        "sandbox": True,
    })


@bp.post("/sandbox/users")
def new_user() -> Any:
    """A fresh isolated account (sandbox control)."""
    key = "sb_" + secrets.token_hex(12)
    state().store.ensure_user(key, "Sandbox user", f"{key[:11]}@example.invalid", time.time())
    return jsonify({"api_key": key}), 201


@bp.route("/sandbox/faults", methods=["GET", "POST"])
def faults() -> Any:
    """Read or set fault injection (sandbox control)."""
    injector = state().faults
    if request.method == "POST":
        body = parse_body(request)
        v = Validator(body)
        if body.get("clear"):
            injector.clear()
        if v.present("rate"):
            rate = v.number("rate", low=0, high=1)
            v.raise_if_errors()
            injector.set_rate(rate or 0.0)
        if v.present("kind"):
            kind = v.enum("kind", KINDS)
            count = v.integer("count", low=0, high=100_000, default=1)
            v.raise_if_errors()
            if kind:
                injector.fail_next(kind, count or 0)
        if not any(k in body for k in ("rate", "kind", "clear")):
            raise ValidationFailed({"kind": ["send kind (+count), rate or clear"]})
    return jsonify({"rate": injector.rate, "pending": injector.pending(),
                    "stats": injector.stats})


def _send(path: str, mimetype: str) -> Any:
    return send_file(path, mimetype=mimetype, max_age=3600)


@bp.get("/files/<path:subpath>")
def files(subpath: str) -> Any:
    """Stored uploads and rendered images (public, traversal-proof)."""
    st = state()
    root = str(st.files_dir)
    if m := UPLOAD.fullmatch(subpath):
        target = safe_join(root, "uploads", m.group(1), m.group(2))
        if target is None or not st.files_dir.joinpath("uploads", m.group(1), m.group(2)).is_file():
            abort(404)
        return send_file(target, max_age=3600)
    if m := PROMPT_IMAGE.fullmatch(subpath):
        prompt_id, index = int(m.group(1)), int(m.group(2))
        prompt = st.store.get_prompt(prompt_id)
        if (prompt is None or prompt["outcome"] != "done" or time.time() < prompt["finish_at"]
                or index >= prompt["num_images"]):
            abort(404)
        a = prompt["attrs"]
        size = output_size(a.get("w"), a.get("h"), a.get("aspect_ratio") or a.get("ar"))
        path = st.files_dir / "prompts" / str(prompt_id) / f"{index}.png"
        cached_render(path, lambda: prompt_image(prompt_id, prompt["text"], a.get("seed"),
                                                 index, prompt["num_images"], size))
        return _send(str(path), "image/png")
    if m := TRAIN_IMAGE.fullmatch(subpath):
        tune_id, index = int(m.group(1)), int(m.group(2))
        tune = st.store.get_tune(tune_id)
        if tune is None or index >= int(tune["attrs"].get("synthetic_images", 0)):
            abort(404)
        path = st.files_dir / "tunes" / str(tune_id) / f"train-{index}.jpg"
        cached_render(path, lambda: training_image(tune_id, tune["name"], index))
        return _send(str(path), "image/jpeg")
    if m := CHECKPOINT.fullmatch(subpath):
        tune = st.store.get_tune(int(m.group(1)))
        if (tune is None or tune["outcome"] != "trained" or time.time() < tune["finish_at"]
                or not downloadable(tune)):
            abort(404)
        data = f"astria-sandbox fake checkpoint of tune {tune['id']}\n".encode()
        return data, 200, {"Content-Type": "application/octet-stream"}
    abort(404)
