"""Fixtures of the plain-HTTP sandbox tests: a fresh account, a loopback callback receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_helpers import Api, Receiver

from astria_widgets.sandbox import Sandbox


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    """A fresh account on the session sandbox."""
    return Api(sandbox.url, sandbox.create_user())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A callback receiver on 127.0.0.1."""
    rec = Receiver()
    yield rec
    rec.close()
