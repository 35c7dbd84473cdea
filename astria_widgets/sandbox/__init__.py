"""A local Astria-compatible HTTP server (Flask over SQLite) for notebooks, tests and demos.

Use it in-process::

    with Sandbox(port=0, speed=60) as sb:      # serves http://127.0.0.1:<port>
        requests.get(f"{sb.url}/tunes", headers={"Authorization": f"Bearer {sb.api_key}"})

or from a shell: ``astria-widgets sandbox --port 8765`` (``python -m astria_widgets.sandbox``).
It imports nothing from the rest of ``astria_widgets``.

What it simulates (``docs/ARCHITECTURE.md``, "The sandbox contract"; API facts from
``shared/astria-api.md``): tunes T1-T5, gallery tunes G1, prompts P1-P8 (video prompts with
real MP4s), packs K1-K5, likes L1-L2, themes H1, the account U1, workspaces W1-W2 and the CLI
catalogue X1, with the documented request encodings (multipart with Rack bracket
keys, urlencoded, JSON), pagination, auth, validation and a lifecycle in accelerated time
(``speed`` times faster than the real service: at the default 60 a demo tune trains in about
20 s). Module docstrings say "Ambiguity #N: chose X" for each choice among the
contradictions listed in section 6 of the API notes. ``docs/SANDBOX.md`` lists what the
sandbox does with every documented list filter, and how workspaces, video and themes work.

Sandbox extensions to the documented objects:

- tune ``error`` (nullable string): set once training failed. A tune whose ``title``
  contains ``[fail]`` fails halfway through training with ``error`` "Training failed: ...";
- prompt ``user_error`` is always present (null); a prompt whose ``text`` contains ``[fail]``
  ends with ``user_error`` set (and so does a prompt whose tune failed);
- tune echoes ``auto_extend``, ``preset``, ``characteristics``; prompt has ``is_video``;
  tune and prompt carry ``workspace_id``; a pack training run answers the tune with
  ``order: {"id", "total_cost_mc", "prompt_ids"}``;
- files are served from ``/files/...`` (training images, generated PNGs that show the
  prompt's text, seed, size and options, derived from its input image under its mask: see
  ``render``, ``imagegen``, ``looks``), without auth;
- ``GET /sandbox/health``, ``GET|POST /sandbox/faults``, ``POST /sandbox/users``;
  every response has the header ``X-Astria-Sandbox: 1``.

Ambiguity choices not documented in a more specific module: Ambiguity #6: chose to always
emit prompt ``images`` (``[]`` until done) and ``user_error`` (null). Ambiguity #8: chose a
nullable tune ``error`` (``trained_at`` stays null). Ambiguity #15: chose to accept the
documented four branches on create; gallery tunes carry other branch strings. Ambiguity
#18: chose to return single objects from creates. Ambiguity #19: chose not to implement
``POST /generate``. Ambiguity #20: ignored. Other choices are in the module that implements
them: ``params`` (#9), ``validate`` (#5, #10, #16, #23, #24, #28, #31), ``video_params`` (#21,
#33), ``catalogue`` (#22), ``create`` (#26, #30), ``objects`` (#7), ``api_tunes`` (#32),
``api_prompts`` (#1-3, #17), ``api_packs`` (#11-14), ``api_themes`` (#4), ``callbacks`` (#27),
``app`` (#29).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["KINDS", "CallbackRecord", "Sandbox", "SandboxConfig", "create_app"]

# Imported on first use, so that ``astria-widgets --help`` and ``python -m
# astria_widgets.sandbox --help`` do not pay for Flask.
_EXPORTS: dict[str, str] = {
    "KINDS": ".faults",
    "CallbackRecord": ".callbacks",
    "Sandbox": ".server",
    "SandboxConfig": ".state",
    "create_app": ".app",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .app import create_app
    from .callbacks import CallbackRecord
    from .faults import KINDS
    from .server import Sandbox
    from .state import SandboxConfig


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
