"""Property-based (issue 16): random parameter values and sweeps give a plan or a named refusal.

For any value of any prompt parameter, any sweep (a dict or not, any keys, any value lists) and
any typed text, the checks either accept it (a plan whose every cell the catalogue accepts) or
raise ``InputError`` / ``ValueError`` whose every problem names the parameter; never another
exception. ``client.prepare_prompt`` sends nothing, whatever it is given.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astria_widgets.client import InputError
from astria_widgets.client.prompt_params import PARAMS, param_problems, parse_text, read_bool
from astria_widgets.client.sweep import SWEEPABLE, parse_values, plan_sweep

NAMES = sorted(PARAMS)
# every problem starts with what it is about: sweep, sweep[param], a parameter, tune, text...
NAMED = re.compile(r"(?s)^(sweep(\[.*\])?|[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?(\['[^']*'\])?): \S")

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70), st.integers(min_value=-2, max_value=70),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=-1, max_value=20),
    st.text(max_size=12), st.binary(max_size=6),
    st.sampled_from([c for p in PARAMS.values() for c in p.choices] + ["1:1 ", "Euler", "yes",
                                                                        "no", "maybe"]),
    # what a DataFrame's column gives: numpy numbers, integral floats
    st.integers(min_value=-2, max_value=70).map(np.int64), st.booleans().map(np.bool_),
    st.floats(min_value=-1, max_value=20).map(np.float64),
    st.floats(min_value=-1, max_value=20, width=32).map(np.float32),
    st.integers(min_value=-2, max_value=70).map(float),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.text(max_size=3), scalars, max_size=2))
sweep_keys = st.one_of(st.sampled_from(SWEEPABLE), st.sampled_from(NAMES), st.text(max_size=8),
                       st.integers(), st.none())
sweeps = st.one_of(
    st.dictionaries(sweep_keys, st.one_of(st.lists(scalars, max_size=5), scalars),
                    max_size=3),
    st.dictionaries(st.sampled_from(SWEEPABLE),
                    st.lists(st.integers(min_value=-1, max_value=60), min_size=1, max_size=6),
                    max_size=2),
    scalars, st.lists(st.text(max_size=5), max_size=2),
)
bases = st.dictionaries(st.sampled_from(NAMES), scalars, max_size=3)


def assert_named(problems: list[str]) -> None:
    assert problems
    for problem in problems:
        assert isinstance(problem, str) and NAMED.match(problem), problem


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sweep=sweeps, base=bases)
def test_a_sweep_is_a_valid_plan_or_a_named_refusal(sweep, base):
    try:
        plan = plan_sweep(sweep, base)
    except InputError as exc:
        assert_named(exc.problems)
        return
    assert len(plan.cells) >= 1
    if sweep or not param_problems(base):  # without a sweep the base is the caller's to check
        for cell in plan.cells:
            assert param_problems(cell.params) == {}, cell.params
    for values_ in (plan.row_values, plan.col_values):  # no two cells bill the same prompt
        assert len({repr(v) for v in values_}) == len(values_)
        assert len(set(values_)) == len(values_)


@settings(max_examples=400, deadline=None)
@given(name=st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), value=values)
def test_any_parameter_value_is_accepted_or_named(name, value):
    problems = param_problems({name: value})
    for messages in problems.values():
        assert all(isinstance(m, str) and m for m in messages)
    assert set(problems) <= {name, *PARAMS}


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(SWEEPABLE), text=st.text(max_size=30))
def test_typed_values_are_read_or_refused_with_a_reason(name, text):
    try:
        parsed = parse_values(name, text)
    except ValueError as exc:
        assert str(exc)
        return
    assert parsed and all(v is not None for v in parsed)
    for item in (part for part in text.split(",") if part.strip()):
        parse_text(PARAMS[name], item)  # each item alone reads the same way


@settings(max_examples=300, deadline=None)
@given(value=values)
def test_the_yes_no_rule_gives_a_bool_or_says_what_was_given(value):
    try:
        result = read_bool(value)
    except ValueError as exc:
        assert "is not yes/no" in str(exc)
        return
    assert isinstance(result, bool)
    assert value in (True, False, 0, 1) or str(value).strip().lower() in (
        "yes", "no", "true", "false", "on", "off", "1", "0")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(NAMES), values, max_size=3),
       text=st.one_of(st.text(max_size=20), st.none(), st.integers()))
def test_prepare_prompt_sends_nothing_and_names_every_problem(client, params, text):
    gallery: dict[str, Any] = {"id": 1504944, "title": "Flux1.dev", "name": None,
                               "branch": "flux1", "model_type": None,
                               "trained_at": "2024-01-01T00:00:00.000Z", "expires_at": None}
    sent: list[tuple[str, str]] = []
    transport = client.transport
    original = transport.send

    def spy(method: str, path: str, **kwargs: Any):
        sent.append((method, path))
        return original(method, path, **kwargs)

    transport.send = spy
    try:
        plan, ready = client.prepare_prompt(gallery, text, **params)
    except InputError as exc:
        assert_named(exc.problems)
    else:
        assert plan.tune_id == 1504944 and param_problems(ready) == {}
        for name, value in ready.items():  # numbers go out as Python's, whole ones as int
            kind = PARAMS[name].kind if name in PARAMS else ""
            if kind in ("int", "float", "bool"):
                assert type(value) in {"int": (int,), "float": (int, float),
                                       "bool": (bool,)}[kind], (name, value)
    finally:
        del transport.send
    assert sent == []
