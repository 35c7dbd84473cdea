"""Print the hostile-input catalogue's counts (issue 16) at the end of a run."""

from __future__ import annotations

import sys


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    """The counts of :mod:`hostile`, when any of its tests ran."""
    hostile = sys.modules.get("hostile")
    if hostile is None or not hostile.TRIED:
        return
    terminalreporter.section("hostile inputs (issue 16)")
    for line in hostile.summary():
        terminalreporter.write_line(line)
