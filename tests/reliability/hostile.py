"""The hostile-input catalogue of issue 16: every probe is counted by family and outcome.

A test that feeds one hostile input calls :func:`probe` with its family (``"key routing"``,
``"archive"``, ``"image reading"``, ``"checks before sending"``, ``"lost or changed"``,
``"sandbox speed"``, ``"commands"``, ``"smaller"``...) and what happened:

- ``handled``: refused with a clear message naming the parameter, or done right;
- ``lost``: something the user typed or picked was lost or silently changed.

The counts are printed in the terminal summary ("hostile inputs tried ..."), and
``test_zz_hostile_catalogue.py`` (collected last in this folder) checks that no probe was lost.
"""

from __future__ import annotations

from collections import Counter

TRIED: Counter[str] = Counter()
HANDLED: Counter[str] = Counter()
LOST: Counter[str] = Counter()


def probe(family: str, *, handled: bool = True, lost: bool = False) -> None:
    """Count one hostile input of ``family`` and its outcome."""
    TRIED[family] += 1
    if handled:
        HANDLED[family] += 1
    if lost:
        LOST[family] += 1


def summary() -> list[str]:
    """One line per family, then the totals."""
    lines = [f"{family}: tried {TRIED[family]}, handled {HANDLED[family]}, "
             f"lost or changed {LOST[family]}" for family in sorted(TRIED)]
    lines.append(f"all families: tried {sum(TRIED.values())}, handled "
                 f"{sum(HANDLED.values())}, lost or changed {sum(LOST.values())}")
    return lines
