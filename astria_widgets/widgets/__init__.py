"""ipywidgets for Astria: the tune form, live progress, login, history browser, image picker.

Widgets talk to an ``AstriaClient`` only (never HTTP). Names are imported lazily so that
importing one widget does not pull in the others.

- ``TuneForm`` / ``SubmitHandle`` / ``FormInvalid`` -- create a tune and watch it (``form.py``)
- ``TuneProgress`` / ``watch_tune`` -- live progress of a tune and its prompts (``progress.py``)
- ``Gallery`` -- generated images as they arrive (``gallery.py``)
- ``LoginWidget`` -- an API key in, cleared at once (``login.py``)
- ``TuneBrowser`` -- filterable paged history (``browser.py``)
- ``ImagePicker`` -- training images with checks and thumbnails (``images.py``)
- ``PackPicker`` -- packs with their prices and prompts, ordered with the cost shown (``packs.py``)
- ``PromptStudio`` -- generate with a tune, sweep parameters, keep results (``studio*.py``)
- ``compare`` / ``CompareView`` -- tunes or presets side by side, likes tallied (``compare.py``)
- ``AstriaApp`` -- the form, the studio, the browser and the runs as tabs: the page of
  ``astria-widgets app`` (``app.py``)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from astria_widgets._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "AstriaApp": "astria_widgets.widgets.app",
    "TuneForm": "astria_widgets.widgets.form",
    "SubmitHandle": "astria_widgets.widgets.form",
    "FormInvalid": "astria_widgets.widgets.form",
    "TuneProgress": "astria_widgets.widgets.progress",
    "watch_tune": "astria_widgets.widgets.progress",
    "Gallery": "astria_widgets.widgets.gallery",
    "LoginWidget": "astria_widgets.widgets.login",
    "TuneBrowser": "astria_widgets.widgets.browser",
    "ImagePicker": "astria_widgets.widgets.images",
    "PackPicker": "astria_widgets.widgets.packs",
    "PromptStudio": "astria_widgets.widgets.studio",
    "CompareView": "astria_widgets.widgets.compare",
    "compare": "astria_widgets.widgets.compare",
    "StudioInvalid": "astria_widgets.widgets.studio",
}

__all__ = [
    "AstriaApp",
    "CompareView",
    "FormInvalid",
    "Gallery",
    "ImagePicker",
    "LoginWidget",
    "PackPicker",
    "PromptStudio",
    "StudioInvalid",
    "SubmitHandle",
    "TuneBrowser",
    "TuneForm",
    "TuneProgress",
    "compare",
    "watch_tune",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from astria_widgets.widgets.app import AstriaApp
    from astria_widgets.widgets.browser import TuneBrowser
    from astria_widgets.widgets.compare import CompareView, compare
    from astria_widgets.widgets.form import FormInvalid, SubmitHandle, TuneForm
    from astria_widgets.widgets.gallery import Gallery
    from astria_widgets.widgets.images import ImagePicker
    from astria_widgets.widgets.login import LoginWidget
    from astria_widgets.widgets.packs import PackPicker
    from astria_widgets.widgets.progress import TuneProgress, watch_tune
    from astria_widgets.widgets.studio import PromptStudio, StudioInvalid


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
