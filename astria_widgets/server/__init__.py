"""The Jupyter Server extension behind JupyterLab's Astria panel.

Enabled on install by ``etc/jupyter/jupyter_server_config.d/astria_widgets.json`` (shipped in
the wheel), found through ``astria_widgets._jupyter_server_extension_points``. It serves
``GET {base_url}astria-widgets/api/status``, ``.../tunes``, ``.../tunes/<id>`` and the small
pictures ``.../tunes/<id>/images/<n>`` and ``.../tunes/<id>/prompts/<pid>/images/<n>`` to the
front end (``src/`` in the repository, shipped prebuilt under ``share/jupyter/labextensions``).

- ``panel.py``    ``AstriaPanel``: client, history store and tune watches (no tornado)
- ``views.py``    records -> the JSON the panel renders (pure)
- ``errors.py``   exceptions -> HTTP status codes, in one place
- ``handlers.py`` the thin authenticated handlers and their route table
"""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Create the server's :class:`~astria_widgets.server.panel.AstriaPanel` and its routes."""
    from astria_widgets.server.handlers import register
    from astria_widgets.server.panel import AstriaPanel

    panel = AstriaPanel(Path(serverapp.data_dir) / "astria-widgets")
    register(serverapp.web_app, panel)
    # Jupyter Server 2 calls no unload hook of a module extension (only ExtensionApps are
    # stopped), so the panel closes when the server's process exits: its watches end and the
    # sandbox process it may have started stops with it.
    atexit.register(panel.close)
    serverapp.log.info("astria_widgets: the Astria panel's API is at /astria-widgets/api/")


def _unload_jupyter_server_extension(serverapp: Any) -> None:
    """Stop the panel's watches (and its sandbox process) when the server shuts down (for
    hosts that call it; the ``atexit`` hook does it otherwise)."""
    from astria_widgets.server.handlers import SETTINGS_KEY

    panel = serverapp.web_app.settings.get(SETTINGS_KEY)
    if panel is not None:
        panel.close()
