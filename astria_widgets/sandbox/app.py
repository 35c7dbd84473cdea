"""The Flask application: the URL table, auth, error bodies and the sandbox header.

- Auth: ``Authorization: Bearer <key>`` on every endpoint except ``GET /sandbox/health``,
  ``GET /cli/models`` (no key on the service either) and ``GET /files/...``; a missing or
  unknown key gets 401 ``{"error": ...}`` (Ambiguity #29: chose auth everywhere else, gallery
  lists included).
- Errors: 400 ``{"error"}`` (bad paging, malformed body), 401, 403, 404, 405,
  413 (upload larger than ``max_upload_bytes``, Flask's ``MAX_CONTENT_LENGTH``),
  422 ``{"error": summary, "errors": {field: [messages]}}``, 500 ``{"error"}``.
- ``/x.json`` is the same as ``/x`` on every resource path (``/files/`` excepted).
- Every response carries ``X-Astria-Sandbox: 1``; fault injection wraps the WSGI app
  (``faults.FaultMiddleware``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from . import (
    api_catalogue,
    api_images,
    api_misc,
    api_packs,
    api_prompts,
    api_themes,
    api_tunes,
    api_video,
    api_workspaces,
)
from .faults import FaultMiddleware
from .params import BadRequest, SandboxRequest, ValidationFailed
from .state import SandboxConfig, SandboxState
from .state import state as current_state

PUBLIC_PREFIXES = ("/files/",)
PUBLIC_PATHS = {"/sandbox/health", "/cli/models"}
log = logging.getLogger(__name__)


class _StripJsonSuffix:
    """WSGI middleware: ``/tunes/1.json`` -> ``/tunes/1`` (Rails format suffix)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.endswith(".json") and not path.startswith("/files/"):
            environ["PATH_INFO"] = path[: -len(".json")]
        return self.app(environ, start_response)


def _error(status: int, message: str, **extra: Any) -> Any:
    return jsonify({"error": message, **extra}), status


def _authenticate() -> Any:
    if request.path in PUBLIC_PATHS or request.path.startswith(PUBLIC_PREFIXES):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return _error(401, "Missing API key: send the header 'Authorization: Bearer <key>'")
    user = current_state().store.user_by_key(key)
    if user is None:
        return _error(401, "Invalid API key")
    g.user = user
    return None


def create_app(config: SandboxConfig, state: SandboxState | None = None) -> Flask:
    """Build the sandbox's Flask app (creating its state unless one is given)."""
    st = state or SandboxState(config)
    app = Flask("astria_widgets.sandbox")
    app.request_class = SandboxRequest
    app.config["MAX_CONTENT_LENGTH"] = config.max_upload_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = min(config.max_upload_bytes, 16 * 1024 * 1024)
    app.config["MAX_FORM_PARTS"] = 10_000
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["astria_sandbox"] = st
    for module in (api_misc, api_tunes, api_prompts, api_packs, api_workspaces, api_catalogue,
                   api_themes, api_video, api_images):
        app.register_blueprint(module.bp)

    app.before_request(_authenticate)

    @app.after_request
    def _after(response: Any) -> Any:
        response.headers["X-Astria-Sandbox"] = "1"
        return response

    @app.errorhandler(ValidationFailed)
    def _validation(exc: ValidationFailed) -> Any:
        return _error(422, exc.summary, errors=exc.errors)

    @app.errorhandler(BadRequest)
    def _bad_request(exc: BadRequest) -> Any:
        return _error(400, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        message = exc.description or exc.name
        if exc.code == 413:
            message = (f"Request too large: the sandbox accepts at most "
                       f"{config.max_upload_bytes} bytes per request")
        return _error(exc.code or 500, message)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Any:
        log.exception("sandbox error on %s %s", request.method, request.path)
        return _error(500, f"Internal sandbox error ({type(exc).__name__})")

    app.wsgi_app = FaultMiddleware(_StripJsonSuffix(app.wsgi_app), st.faults)  # type: ignore
    return app
