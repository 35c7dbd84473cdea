"""Runs after the hostile-input tests of this folder (file order): the catalogue's verdict.

Every probe counted by :mod:`hostile` was handled, none lost or changed what the user gave, and
each family whose tests were collected in this session was tried at least once.
"""

from __future__ import annotations

import hostile
import pytest


def test_no_hostile_input_was_lost_or_changed(request: pytest.FixtureRequest, figures) -> None:
    collected = {item.path.name for item in request.session.items}
    ran_hostile = any(name.startswith("test_hostile_") for name in collected)
    assert sum(hostile.LOST.values()) == 0, hostile.summary()
    assert hostile.HANDLED == hostile.TRIED, hostile.summary()
    if ran_hostile:
        assert sum(hostile.TRIED.values()) > 0
    figures("hostile inputs", tried=sum(hostile.TRIED.values()),
            handled=sum(hostile.HANDLED.values()), lost_or_changed=sum(hostile.LOST.values()))
