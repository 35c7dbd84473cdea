"""Variations: a sweep over one or two parameters as a labelled grid of prompts (pure).

``plan_sweep({"seed": [1, 2, 3], "cfg_scale": [3, 7]}, base)`` gives one cell per combination,
row-major: the rows are the values of the first parameter, the columns those of the second
(one parameter makes one row per value and a single column). Every value is checked with the
prompt-parameter catalogue together with the base parameters, so a sweep never sends a prompt
the service would refuse; problems name ``sweep[param]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from astria_widgets.client.errors import InputError
from astria_widgets.client.prompt_params import PARAMS, param_problems, parse_text, plain_value

MAX_SWEEP_PARAMS = 2


@dataclass(frozen=True)
class SweepCell:
    """One prompt of a sweep: its grid position and the parameters it is sent with."""

    row: int
    col: int
    params: dict[str, Any] = field(hash=False)
    label: str


@dataclass(frozen=True)
class SweepPlan:
    """The grid: which parameter varies along rows and columns, and every cell."""

    row_param: str | None
    row_values: tuple[Any, ...]
    col_param: str | None
    col_values: tuple[Any, ...]
    cells: tuple[SweepCell, ...]

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return len(self.row_values) or 1, len(self.col_values) or 1


def value_label(name: str, value: Any) -> str:
    """A short label of one swept value, e.g. ``seed 3`` or ``cfg_scale 7``."""
    param = PARAMS.get(name)
    if param is not None and param.kind == "bool":
        return f"{name} {'on' if value else 'off'}"
    return f"{name} {value}"


def _same_key(value: Any) -> Any:
    """A key equal for values the service reads the same (``1`` and ``1.0``, ``0.0`` and
    ``-0.0``), distinct for ``True`` and ``1``; unhashable values compare by their repr."""
    if isinstance(value, bool):
        return ("bool", value)
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value


def repeated_values(values: Sequence[Any]) -> list[str]:
    """The values (as ``repr``) equal to one given earlier in ``values``, in order."""
    seen: set[Any] = set()
    repeated = []
    for value in values:
        key = _same_key(value)
        if key in seen:
            repeated.append(repr(value))
        seen.add(key)
    return repeated


def plan_sweep(sweep: Mapping[str, Sequence[Any]] | None,
               base: Mapping[str, Any] | None = None) -> SweepPlan:
    """Plan the prompts of a sweep over ``base`` parameters (``None`` or ``{}``: one prompt).

    Raises :class:`InputError` listing every problem: a sweep that is not a dict, more than
    two parameters, an empty value list, a value repeated (``1`` and ``1.0`` are the same
    seed), or a value the catalogue refuses. A numpy array (or a pandas
    Series) is a list of values; each value is planned as
    :func:`~astria_widgets.client.prompt_params.plain_value` sends it (``np.int64(1)`` -> 1).
    """
    base = dict(base or {})
    if sweep is not None and not isinstance(sweep, Mapping):
        raise InputError(f"sweep: give a dict of parameter -> list of values, e.g. "
                         f"{{'seed': [1, 2]}}, not {type(sweep).__name__} {sweep!r:.60}",
                         context="sweep")
    sweep = dict(sweep or {})
    problems: list[str] = []
    for name in [n for n in sweep if not isinstance(n, str)]:
        problems.append(f"sweep: {name!r} is not a parameter name")
        del sweep[name]
    if len(sweep) > MAX_SWEEP_PARAMS:
        problems.append(f"sweep: vary at most {MAX_SWEEP_PARAMS} parameters (rows and "
                        f"columns), not {len(sweep)}: {', '.join(sweep)}")
    axes: list[tuple[str, tuple[Any, ...]]] = []
    for name, values in sweep.items():
        label = f"sweep[{name}]"
        if hasattr(values, "tolist") and not isinstance(values, (str, bytes)):
            values = values.tolist()  # a numpy array or a pandas Series: its values
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            problems.append(f"{label}: give a list of values, e.g. [1, 2, 3]")
            continue
        param = PARAMS.get(name)
        values = tuple(values if param is None else (plain_value(param, v) for v in values))
        if not values:
            problems.append(f"{label}: the list of values is empty")
            continue
        repeated = repeated_values(values)
        if repeated:
            problems.append(f"{label}: a value is repeated ({', '.join(repeated)}); give "
                            "each value once (each makes a billed prompt)")
        if name in base:
            problems.append(f"{label}: {name} is also given as a fixed value; give it once")
        for value in values:
            for key, messages in param_problems({**base, name: value}).items():
                where = label if key == name else key
                problems.extend(f"{where}: {m}" for m in messages
                                if f"{where}: {m}" not in problems)
        axes.append((name, values))
    if problems:
        raise InputError(problems, context="sweep")
    (row_param, row_values), (col_param, col_values) = (axes + [(None, ())] * 2)[:2]
    cells = []
    for (r, rv), (c, cv) in product(enumerate(row_values or (None,)),
                                    enumerate(col_values or (None,))):
        params = dict(base)
        labels = []
        if row_param is not None:
            params[row_param] = rv
            labels.append(value_label(row_param, rv))
        if col_param is not None:
            params[col_param] = cv
            labels.append(value_label(col_param, cv))
        cells.append(SweepCell(r, c, params, " · ".join(labels)))
    return SweepPlan(row_param, row_values, col_param, col_values, tuple(cells))


def parse_values(name: str, text: str) -> list[Any]:
    """Comma-separated text (as typed in the studio) -> typed values for parameter ``name``.

    Each value is read by :func:`~astria_widgets.client.prompt_params.parse_text` (the same
    reading as the studio's fields). Raises ``ValueError`` with a readable reason.
    """
    param = PARAMS.get(name)
    if param is None:
        raise ValueError(f"{name!r} is not a prompt parameter")
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise ValueError("type values separated by commas, e.g. 1, 2, 3")
    return [parse_text(param, item) for item in items]


SWEEPABLE: tuple[str, ...] = tuple(
    name for name, p in PARAMS.items()
    if p.group in ("everyday", "quality", "image-to-image")
    and p.kind in ("int", "float", "enum", "bool"))
"""Parameters the studio offers to sweep over."""
