"""``LoginWidget``: enter an API key for the real API without it landing in the notebook.

Only for the real API when ``ASTRIA_API_KEY`` is not set. On click the handler reads the
password field, **immediately** sets it back to ``""`` and replaces the form with a status line
(so neither the live widget state nor a saved notebook holds the key), then returns: a worker
thread builds an ``AstriaClient`` with the key and checks it with ``client.account()``, setting
only the widget's traits (``wait()`` blocks until the check ended). The key then lives only
inside that client: never in a trait, a repr, a message or a log. A refused key shows a clear
message and the (empty) form again, so the user can retry.
"""

from __future__ import annotations

import html
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from astria_widgets.client.costs import balance_text
from astria_widgets.client.errors import AuthenticationError
from astria_widgets.widgets.formatting import error_html, short_error

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

logger = logging.getLogger(__name__)
# Worker threads log here; without any handler Python's last-resort handler would print
# warnings to stderr, which ipykernel 7 routes to whatever cell runs last.
logger.addHandler(logging.NullHandler())


def _account_label(account: dict[str, Any]) -> str:
    for key in ("email", "name", "username", "id"):
        if account.get(key) not in (None, ""):
            return f"{key} {account[key]}"
    return "your account"


class LoginWidget(w.VBox):
    """A password field and a button that turn an API key into a checked ``AstriaClient``.

    ``LoginWidget(base_url=None, on_login=None, **client_options)``: ``base_url`` defaults to
    ``ASTRIA_BASE_URL`` / the real API; ``on_login(client)`` is called after a successful check;
    ``client_options`` go to ``AstriaClient``. ``widget.client`` is the checked client (``None``
    before). If ``ASTRIA_API_KEY`` is set, no key is asked: the widget says so and builds the
    client from the environment.
    """

    status = traitlets.Unicode("waiting", help="waiting, checking, ok or failed")

    def __init__(
        self,
        base_url: str | None = None,
        *,
        on_login: Callable[[AstriaClient], Any] | None = None,
        **client_options: Any,
    ) -> None:
        self._base_url = base_url
        self._on_login = on_login
        self._client_options = client_options
        self._client: AstriaClient | None = None
        self._checked = threading.Event()
        self._checked.set()
        self.key_field = w.Password(
            description="API key",
            placeholder="paste your Astria API key",
            style={"description_width": "initial"},
            layout=w.Layout(width="420px"),
        )
        self.key_field.add_class("astria-login-key")
        self.login_button = w.Button(description="Log in", button_style="primary", icon="key")
        self.login_button.add_class("astria-login-button")
        self.login_button.on_click(self._on_login_button_click)
        self.status_line = w.HTML()
        self.status_line.add_class("astria-login-status")
        self._form = w.HBox(
            [self.key_field, self.login_button], layout=w.Layout(align_items="center")
        )
        super().__init__(children=[self._form, self.status_line])
        self.add_class("astria-login")
        if os.environ.get("ASTRIA_API_KEY"):
            self._login_from_environment()
        else:
            self._show(
                "Enter your API key (from astria.ai, API settings). It is cleared from "
                "the field as soon as you click."
            )

    @property
    def client(self) -> AstriaClient | None:
        """The checked client after a successful login, else ``None``."""
        return self._client

    @property
    def base_url(self) -> str | None:
        """The API the key is checked against (``None``: the client's default)."""
        return self._base_url

    def _show(self, text: str, *, error: bool = False) -> None:
        self.status_line.value = error_html(text) if error else html.escape(text)

    def _login_from_environment(self) -> None:
        from astria_widgets.client import AstriaClient

        self.children = [self.status_line]
        self._client = AstriaClient(base_url=self._base_url, **self._client_options)
        self.status = "ok"
        self._show(f"ASTRIA_API_KEY is set: using it for {self._client.base_url}; no login needed.")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the key being checked was accepted or refused; False if ``timeout``
        ran out first (True at once when nothing is being checked)."""
        return self._checked.wait(timeout)

    def _on_login_button_click(self, _button: w.Button) -> None:
        # Read and erase at once: from here on the key is only a local variable.
        key = self.key_field.value
        self.key_field.value = ""
        self.children = [self.status_line]
        try:
            if not key.strip():
                self._fail("Paste a key first.")
                return
            self.status = "checking"
            self._show("Checking the key...")
            self._checked = done = threading.Event()
            threading.Thread(target=self._check_in_thread, args=(key, done),
                             name="astria-login-check", daemon=True).start()
        finally:
            del key

    def _check_in_thread(self, key: str, done: threading.Event) -> None:
        """The worker: check the key (one ``GET /users``); only sets the widget's traits."""
        try:
            self._check(key)
        except Exception as exc:  # noqa: BLE001 - a click never dumps a traceback
            logger.warning("login check failed: %s", type(exc).__name__)
            self._fail(f"Login failed: {type(exc).__name__}. Try again.")
        finally:
            del key
            done.set()

    def _check(self, key: str) -> None:
        from astria_widgets.client import AstriaClient

        client = AstriaClient(api_key=key.strip(), base_url=self._base_url, **self._client_options)
        try:
            account = client.account()
        except AuthenticationError:
            self._fail(f"{client.base_url} refused this key. Check it and try again.")
            return
        except Exception as exc:  # noqa: BLE001 - reported, never raised into the front end
            message = getattr(exc, "message", "") or type(exc).__name__
            self._fail(f"Could not check the key at {client.base_url}: {message}")
            return
        self._client = client
        self.status = "ok"
        done = (f"Logged in to {client.base_url} as {_account_label(account)} "
                f"({balance_text(account)}).")
        self._show(done)
        if self._on_login is not None:
            try:
                self._on_login(client)
            except Exception as exc:  # noqa: BLE001 - the login stands; say what broke
                logger.warning("on_login callback failed: %s", type(exc).__name__)
                self._show(f"{done} Your on_login callback raised {short_error(exc)}", error=True)

    def _fail(self, text: str) -> None:
        self.status = "failed"
        self._show(text, error=True)
        self.children = [self._form, self.status_line]

    def __repr__(self) -> str:
        url = self._client.base_url if self._client is not None else self._base_url
        return f"LoginWidget(status={self.status!r}, base_url={url!r})"
