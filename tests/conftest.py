"""Shared fixtures: one sandbox on loopback for the session, a fresh account per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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


@pytest.fixture(autouse=True)
def _own_history(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs recorded by the widgets go to a history file of the test's own, never the user's
    (``ASTRIA_HISTORY``: see ``astria_widgets.history.paths``)."""
    monkeypatch.setenv("ASTRIA_HISTORY",
                       str(tmp_path_factory.mktemp("history") / "history.sqlite3"))


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


# --- the API contract ---------------------------------------------------------------------------
# Every request a client sends in this process and every answer the sandbox gives it is checked
# against the documented API (astria_widgets/contract/schema) by an observer on the transport
# (astria_widgets/contract/traffic.py: requests the API accepted; 2xx answers that carry the
# sandbox's header, so a test's scripted fake answer is not held to it). A test whose traffic
# differs fails, naming the endpoint and each field; the counts are printed with the figures.
# Traffic of other processes (the CLI in a subprocess, notebook kernels, Jupyter servers) is
# not seen.

_CONTRACT: dict[str, Any] = {}
_CONTRACT_MARK = pytest.StashKey[int]()


@pytest.fixture(scope="session", autouse=True)
def api_contract() -> Iterator[Any]:
    """The session's contract check of all API traffic (see above); yields the TrafficCheck."""
    from astria_widgets.client.transport import observe
    from astria_widgets.contract.traffic import TrafficCheck

    check = TrafficCheck(answers="sandbox")
    _CONTRACT["check"] = check
    stop = observe(check)
    try:
        yield check
    finally:
        stop()
        counts = check.counts
        _FIGURES.append(
            f"api contract: {counts.requests_checked} requests and {counts.responses_checked} "
            "answers validated against astria_widgets/contract/schema "
            f"({counts.refused} refused requests, {counts.opaque} streamed bodies and "
            f"{counts.unchecked_answers} answers from test fakes not checked, "
            f"{counts.outside} exchanges outside the contract; "
            f"{len(check.findings)} differing; checking took {counts.seconds:.1f} s)")


def _contract_findings_since(item: pytest.Item) -> list[Any]:
    check = _CONTRACT.get("check")
    if check is None:
        return []
    mark = item.stash.get(_CONTRACT_MARK, 0)
    item.stash[_CONTRACT_MARK] = len(check.findings)
    return check.findings[mark:]


def _fail_on_contract_findings(item: pytest.Item, phase: str) -> None:
    found = _contract_findings_since(item)
    if found:
        shown = "\n".join(f.text() for f in found[:10])
        more = f"\n... and {len(found) - 10} more" if len(found) > 10 else ""
        raise AssertionError(
            f"the API traffic of this test ({phase}) differs from the documented API "
            f"(astria_widgets/contract/schema):\n{shown}{more}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    """Mark where this test's traffic starts; fail the setup if its fixtures broke the contract."""
    check = _CONTRACT.get("check")
    item.stash[_CONTRACT_MARK] = len(check.findings) if check is not None else 0
    result = yield
    _fail_on_contract_findings(item, "setup")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Fail the test whose own traffic broke the contract."""
    result = yield
    _fail_on_contract_findings(item, "call")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:  # noqa: ARG001
    """Traffic of a test's teardown counts too (an error of that test)."""
    result = yield
    _fail_on_contract_findings(item, "teardown")
    return result
