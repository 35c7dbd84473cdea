"""Account, files and sandbox-control endpoints.

- U1 ``GET /users``: the caller's account (``usd_balance_mc`` = 10,000,000 mc minus what the
  account's prompts cost).
- ``GET /files/...`` (no auth, like the real service's public CDN): stored uploads and lazily
  rendered images (``files.py``: strict path patterns and ``safe_join``; anything else is
  404, so ``..`` (plain or percent-encoded) can never leave the files folder).
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

from .faults import KINDS
from .files import own_hosts, served_file
from .objects import downloadable
from .params import ValidationFailed, parse_body
from .state import current_user, state
from .validator import Validator

bp = Blueprint("misc", __name__)
START_BALANCE_MC = 10_000_000
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
    state().store.ensure_user(key, "Sandbox user", f"{key[:11]}@example.invalid", state().now())
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


@bp.get("/files/<path:subpath>")
def files(subpath: str) -> Any:
    """Stored uploads and rendered images (public, traversal-proof)."""
    st = state()
    if m := CHECKPOINT.fullmatch(subpath):
        tune = st.store.get_tune(int(m.group(1)))
        if (tune is None or tune["outcome"] != "trained" or state().now() < tune["finish_at"]
                or not downloadable(tune)):
            abort(404)
        data = f"astria-sandbox fake checkpoint of tune {tune['id']}\n".encode()
        return data, 200, {"Content-Type": "application/octet-stream"}
    found = served_file(st, subpath, own_hosts(request.host, st.config.public_url))
    if found is None:
        abort(404)
    path, mimetype = found
    return send_file(path, mimetype=mimetype, max_age=3600)
