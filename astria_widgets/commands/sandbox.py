"""``astria-widgets sandbox [--host] [--port] [--data-dir] [--api-key] [--speed]
[--seed-history N] [--faults RATE]``: run the local sandbox server until Ctrl-C/SIGTERM.

The implementation lives in the sandbox subpackage (``astria_widgets.sandbox.cli``) so that
``python -m astria_widgets.sandbox`` works the same way.
"""

from __future__ import annotations

from astria_widgets.sandbox.cli import HELP, main

__all__ = ["HELP", "main"]
