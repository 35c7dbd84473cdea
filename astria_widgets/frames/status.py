"""The client's status tables applied to whole columns (the frames' ``status`` columns).

:data:`~astria_widgets.client.status.TUNE_STATUS_RULES` and ``PROMPT_STATUS_RULES`` are the one
definition of each lifecycle rule (and ``EXPIRING_SOON_RULES`` of "expiring soon");
:func:`status_codes` evaluates such a table over boolean arrays of its conditions (one array
per condition, computed from the typed columns), so the frames cannot drift from
``tune_status`` / ``prompt_status`` / ``tune_expires_soon``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def status_codes(
    rules: Sequence[tuple[Any, tuple[str, ...]]],
    facts: Mapping[str, np.ndarray],
    states: Sequence[Any],
    size: int,
) -> np.ndarray:
    """Category codes (index into ``states``) of the first rule whose conditions all hold.

    Rules are applied from the last to the first, each overwriting the rows it matches, so
    the first matching rule wins, as in :func:`astria_widgets.client.status.first_matching`.
    """
    codes = np.full(size, -1, dtype=np.int8)
    for state, conditions in reversed(rules):
        mask = np.ones(size, dtype=bool)
        for condition in conditions:
            mask &= facts[condition]
        codes[mask] = states.index(state)
    return codes
