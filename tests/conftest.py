"""Shared fixtures: one sandbox on loopback for the session, a fresh account per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient
    from astria_widgets.sandbox import Sandbox

TEST_SPEED = 600.0  # 600x the real service: a 20-minute training takes 2 s


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A real sandbox HTTP server on 127.0.0.1, shared by the whole session."""
    from astria_widgets.sandbox import Sandbox

    with Sandbox(port=0, data_dir=tmp_path_factory.mktemp("sandbox"), speed=TEST_SPEED) as sb:
        yield sb


@pytest.fixture
def api_key(sandbox: Sandbox) -> str:
    """The key of a fresh, empty sandbox account (isolates each test's data)."""
    return sandbox.create_user()


@pytest.fixture
def client(sandbox: Sandbox, api_key: str) -> AstriaClient:
    """A client for a fresh sandbox account, with short retry and poll timings."""
    from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings

    return AstriaClient(
        api_key=api_key,
        base_url=sandbox.url,
        sandbox=True,
        retry=RetrySettings.fast(),
        poll=PollPolicy.fast(),
    )


# --- measured figures -------------------------------------------------------------------------
# Tests that measure something (faults injected, requests survived, inputs tried) record it with
# the ``figures`` fixture; the lines are printed in pytest's terminal summary so a CI log shows
# them without ``-s``.

_FIGURES: list[str] = []


@pytest.fixture
def figures(request: pytest.FixtureRequest):
    """Record a measured figure: ``figures("20 creates", faults=3, requests=26)``."""

    def record(label: str, **values: object) -> None:
        detail = ", ".join(f"{k}={v}" for k, v in values.items())
        _FIGURES.append(f"{request.node.name}: {label}" + (f" ({detail})" if detail else ""))

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    """Print every recorded figure at the end of the run."""
    if _FIGURES:
        terminalreporter.section("measured figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
