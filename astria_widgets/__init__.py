"""astria-widgets: Jupyter widgets, DataFrames and a local sandbox for the Astria API.

Where things live (see docs/ARCHITECTURE.md):

- ``astria_widgets.client``   -- the HTTP client (``AstriaClient``), errors, waits, status rules
- ``astria_widgets.connect``  -- ``connect()``: the real API with a key, the sandbox without one
- ``astria_widgets.frames``   -- ``tunes_dataframe()`` / ``prompts_dataframe()`` /
  ``spend_dataframe()``
- ``astria_widgets.history``  -- ``TuneHistory``: a local store synced incrementally
- ``astria_widgets.imaging``  -- image checks and thumbnails (Pillow), no widgets
- ``astria_widgets.widgets``  -- ipywidgets: ``TuneForm``, ``watch_tune``, ``TuneBrowser``...
- ``astria_widgets.magics``   -- the ``%astria`` IPython magic (``%load_ext astria_widgets``)
- ``astria_widgets.sandbox``  -- a local Astria-compatible server (imports nothing from the rest)
- ``astria_widgets.server``   -- the Jupyter Server extension behind JupyterLab's Astria panel

Public names are imported lazily so that ``import astria_widgets`` stays cheap and a
terminal user never pays for ipywidgets.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from astria_widgets._lazy import lazy_exports
from astria_widgets._version import __version__

# Library logging stays silent unless the application configures it: a record logged from a
# worker thread must never fall through to Python's last-resort stderr handler, which
# ipykernel 7 would print into whichever cell happens to be running.
logging.getLogger(__name__).addHandler(logging.NullHandler())

_EXPORTS: dict[str, str] = {
    # client
    "AstriaClient": "astria_widgets.client",
    "PollPolicy": "astria_widgets.client",
    "RetrySettings": "astria_widgets.client",
    "tune_status": "astria_widgets.client",
    "prompt_status": "astria_widgets.client",
    "AstriaError": "astria_widgets.client",
    "TuneWatch": "astria_widgets.client",
    "PromptsWatch": "astria_widgets.client",
    "connect": "astria_widgets.connect",
    # frames and history
    "tunes_dataframe": "astria_widgets.frames",
    "prompts_dataframe": "astria_widgets.frames",
    "spend_dataframe": "astria_widgets.frames",
    "TuneHistory": "astria_widgets.history",
    "runs_dataframe": "astria_widgets.history.runs_frame",
    "default_history": "astria_widgets.history.paths",
    # widgets
    "TuneForm": "astria_widgets.widgets",
    "watch_tune": "astria_widgets.widgets",
    "TuneBrowser": "astria_widgets.widgets",
    "LoginWidget": "astria_widgets.widgets",
    "SubmitHandle": "astria_widgets.widgets",
    "FormInvalid": "astria_widgets.widgets",
    "TuneProgress": "astria_widgets.widgets",
    "ImagePicker": "astria_widgets.widgets",
    "PackPicker": "astria_widgets.widgets",
    "PromptStudio": "astria_widgets.widgets",
    "CompareView": "astria_widgets.widgets",
    "compare": "astria_widgets.widgets",
    "resume": "astria_widgets.widgets.resume",
    "InputError": "astria_widgets.client",
    # sandbox
    "Sandbox": "astria_widgets.sandbox",
}

__all__ = [
    "AstriaClient",
    "AstriaError",
    "CompareView",
    "FormInvalid",
    "ImagePicker",
    "InputError",
    "LoginWidget",
    "PackPicker",
    "PollPolicy",
    "PromptStudio",
    "PromptsWatch",
    "RetrySettings",
    "Sandbox",
    "SubmitHandle",
    "TuneBrowser",
    "TuneForm",
    "TuneHistory",
    "TuneProgress",
    "TuneWatch",
    "compare",
    "connect",
    "default_history",
    "prompt_status",
    "prompts_dataframe",
    "resume",
    "runs_dataframe",
    "spend_dataframe",
    "tune_status",
    "tunes_dataframe",
    "watch_tune",
    "__version__",
    "load_ipython_extension",
    "unload_ipython_extension",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from astria_widgets.client import (
        AstriaClient,
        AstriaError,
        InputError,
        PollPolicy,
        PromptsWatch,
        RetrySettings,
        TuneWatch,
        prompt_status,
        tune_status,
    )
    from astria_widgets.connect import connect
    from astria_widgets.frames import prompts_dataframe, spend_dataframe, tunes_dataframe
    from astria_widgets.history import TuneHistory
    from astria_widgets.history.paths import default_history
    from astria_widgets.history.runs_frame import runs_dataframe
    from astria_widgets.sandbox import Sandbox
    from astria_widgets.widgets import (
        CompareView,
        FormInvalid,
        ImagePicker,
        LoginWidget,
        PackPicker,
        PromptStudio,
        SubmitHandle,
        TuneBrowser,
        TuneForm,
        TuneProgress,
        compare,
        watch_tune,
    )
    from astria_widgets.widgets.resume import resume


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%astria`` magic (called by ``%load_ext astria_widgets``)."""
    from astria_widgets.magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the ``%astria`` magic (called by ``%unload_ext astria_widgets``)."""
    from astria_widgets.magics import unload_ipython_extension as _unload

    _unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt JupyterLab extension is (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "astria-widgets"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The Jupyter Server extension serving the Astria panel (``astria_widgets.server``)."""
    return [{"module": "astria_widgets.server"}]
