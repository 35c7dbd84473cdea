"""A real Jupyter server with the panel's server extension, against a sandbox whose key is a
canary, so any response can be searched for it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests
from e2e.lab import LabServer, lab_on_sandbox

if TYPE_CHECKING:
    from astria_widgets.sandbox import Sandbox

CANARY_KEY = "sd_panel_canary_" + secrets.token_hex(12)
SEEDED = 45  # historical tunes in the canary account: three pages of 20


@pytest.fixture(scope="session")
def panel_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox whose only key is the canary, with a seeded history."""
    from astria_widgets.sandbox import Sandbox

    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("panel-sandbox"), api_key=CANARY_KEY,
                 speed=600.0, seed_history=SEEDED) as sb:
        yield sb


@pytest.fixture(scope="session")
def panel_server(panel_sandbox: Sandbox,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """``jupyter lab`` (the server part is what is tested) reaching the sandbox via connect()."""
    with lab_on_sandbox(panel_sandbox, tmp_path_factory.mktemp("panel-server")) as server:
        yield server


class PanelAPI:
    """GETs to the panel's routes, with or without the server's token."""

    def __init__(self, server: LabServer) -> None:
        self.server = server

    def url(self, path: str) -> str:
        """The full URL of ``astria-widgets/api/<path>``."""
        return f"{self.server.url}/astria-widgets/api/{path}"

    def get(self, path: str, *, auth: bool = True, **params: Any) -> requests.Response:
        """GET a route; ``auth=False`` sends no token."""
        headers = {"Authorization": f"token {self.server.token}"} if auth else {}
        return requests.get(self.url(path), params=params, headers=headers, timeout=60)


@pytest.fixture(scope="session")
def panel_api(panel_server: LabServer) -> PanelAPI:
    """The panel's API on the running server."""
    return PanelAPI(panel_server)


@pytest.fixture
def canary_client(panel_sandbox: Sandbox) -> Any:
    """A client of the canary account (to compare the panel's answers with the API's)."""
    from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings

    return AstriaClient(api_key=CANARY_KEY, base_url=panel_sandbox.url, sandbox=True,
                        retry=RetrySettings.fast(), poll=PollPolicy.fast())
