"""The panel's HTTP routes: thin ``APIHandler`` subclasses over one :class:`AstriaPanel`.

Each handler reads its query, calls one method of the panel in the server's executor (the
methods block: HTTP and SQLite) and answers JSON. Every handler needs the Jupyter server's
authentication (``@tornado.web.authenticated``; ``tests/server`` walks :data:`ROUTES`), and
every error is turned into a status code by ``errors.status_for``, in :meth:`PanelHandler.answer`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop

from astria_widgets.server.errors import status_for
from astria_widgets.server.panel import AstriaPanel

SETTINGS_KEY = "astria_widgets_panel"
PREFIX = "astria-widgets/api"
IMAGE_MAX_AGE = 86_400  # seconds a browser may reuse a picture (an image's content never changes)


class PanelHandler(APIHandler):
    """The shared part: the panel from the server's settings, and one way to answer."""

    @property
    def panel(self) -> AstriaPanel:
        """The server's one :class:`AstriaPanel`."""
        return self.settings[SETTINGS_KEY]  # type: ignore[no-any-return]

    async def answer(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``method`` off the event loop and finish with its JSON, or with the error's
        status code and ``{"error": message}``."""
        try:
            result = await IOLoop.current().run_in_executor(None, lambda: method(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - every error gets its status, in one place
            self.fail(error)
            return
        self.finish(json.dumps(result))

    def fail(self, error: Exception) -> None:
        """Finish with the error's status code and ``{"error": message}`` (``status_for``)."""
        code, message = status_for(error)
        if code >= 500:  # a bug (500) comes with its traceback in the server's log
            self.log.warning("Astria panel: %s %s -> %s: %s", self.request.method,
                             self.request.path, code, message,
                             exc_info=error if code == 500 else None)
        self.set_status(code)
        self.finish(json.dumps({"error": message}))

    async def answer_image(self, method: Callable[..., bytes], *args: Any) -> None:
        """Run ``method`` off the event loop and finish with its JPEG bytes, cacheable by
        this browser only (``private``: the route needs the user's token), or as
        :meth:`answer` does with an error. Tornado answers 304 to a matching ETag."""
        try:
            picture = await IOLoop.current().run_in_executor(None, lambda: method(*args))
        except Exception as error:  # noqa: BLE001 - every error gets its status, in one place
            self.fail(error)
            return
        self.set_header("Cache-Control", f"private, max-age={IMAGE_MAX_AGE}")
        self.finish(picture, set_content_type="image/jpeg")


class StatusHandler(PanelHandler):
    """``GET /astria-widgets/api/status``: which API, the account, the balance (shown as sent)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        """Answer the panel's status."""
        await self.answer(self.panel.status)


class TunesHandler(PanelHandler):
    """``GET /astria-widgets/api/tunes?before_id=&limit=&search=&refresh=1``: a keyset page."""

    @tornado.web.authenticated
    async def get(self) -> None:
        """Answer one page of tunes, newest first."""
        await self.answer(
            self.panel.tunes,
            before_id=self.get_query_argument("before_id", None),
            limit=self.get_query_argument("limit", "20"),
            search=self.get_query_argument("search", ""),
            refresh=self.get_query_argument("refresh", "") in ("1", "true"),
        )


class TuneHandler(PanelHandler):
    """``GET /astria-widgets/api/tunes/<id>``: a tune's fields and its prompts."""

    @tornado.web.authenticated
    async def get(self, tune_id: str) -> None:
        """Answer one tune's detail."""
        await self.answer(self.panel.tune, tune_id)


class TuneImageHandler(PanelHandler):
    """``GET /astria-widgets/api/tunes/<id>/images/<n>?size=thumb|large``: a training image,
    small (the server downloads it; the browser never needs the API's or sandbox's URL)."""

    @tornado.web.authenticated
    async def get(self, tune_id: str, index: str) -> None:
        """Answer the tune's image ``index`` as a JPEG."""
        size = self.get_query_argument("size", "thumb")
        await self.answer_image(self.panel.tune_image, tune_id, index, size)


class PromptImageHandler(PanelHandler):
    """``GET /astria-widgets/api/tunes/<id>/prompts/<pid>/images/<n>?size=thumb|large``: a
    generated image, small, as :class:`TuneImageHandler`."""

    @tornado.web.authenticated
    async def get(self, tune_id: str, prompt_id: str, index: str) -> None:
        """Answer the prompt's image ``index`` as a JPEG."""
        size = self.get_query_argument("size", "thumb")
        await self.answer_image(self.panel.prompt_image, tune_id, prompt_id, index, size)


class RunsHandler(PanelHandler):
    """``GET /astria-widgets/api/runs?limit=20``: the newest runs recorded in the history."""

    @tornado.web.authenticated
    async def get(self) -> None:
        """Answer the recent runs (read from the history file: no API request)."""
        await self.answer(self.panel.runs, limit=self.get_query_argument("limit", "20"))


# (path under the server's base_url and PREFIX, handler): every route the extension registers.
ROUTES: list[tuple[str, type[PanelHandler]]] = [
    ("status", StatusHandler),
    ("tunes", TunesHandler),
    ("runs", RunsHandler),
    (r"tunes/(\d+)", TuneHandler),
    (r"tunes/(\d+)/images/(\d+)", TuneImageHandler),
    (r"tunes/(\d+)/prompts/(\d+)/images/(\d+)", PromptImageHandler),
]


def register(web_app: Any, panel: AstriaPanel) -> None:
    """Add the panel's routes to the server's tornado application."""
    web_app.settings[SETTINGS_KEY] = panel
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$", [(url_path_join(base_url, PREFIX, path), handler) for path, handler in ROUTES]
    )
