"""X1 ``GET /cli/models`` (no key, like the service): the model catalogue of ``catalogue.py``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from .catalogue import cli_models

bp = Blueprint("catalogue", __name__)


@bp.get("/cli/models")
def models() -> Any:
    """X1: image and video models with durations and prices, and the CLI version gate."""
    return jsonify(cli_models())
