"""Property-based (issue 16): random values for every studio parameter and random sweeps.

One studio per test, many examples. Each random value given to a field (``set_values``) is
shown or refused with an ``InputError`` naming that parameter, and a refused value changes no
field. Whatever the fields and the sweep hold, the studio's checks either pass, and then the
run's own checks pass too (a valid plan of at most 48 prompts), or ``submit`` raises
``StudioInvalid`` whose every problem names its input. No request is sent on a refusal (a spy
on the transport's one choke point), and no other exception ever escapes.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astria_widgets.client import InputError
from astria_widgets.client.prompt_params import plain_value
from astria_widgets.client.sweep import SWEEPABLE
from astria_widgets.widgets import PromptStudio, StudioInvalid

FLUX_DEV = 1504944
NAMED = re.compile(r"(?s)^(sweep(\[.*\])?|[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?): \S")

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70), st.integers(min_value=-2, max_value=70),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=0, max_value=16),
    st.text(max_size=10), st.binary(max_size=4),
    st.sampled_from(["1:1", "16:9", "2:1", "euler", "Euler", "Cinematic", "pose", "yes", "no",
                     "off", "maybe", "0", "1", "4K", " 7 ", "1e3", "²"]),
    # what a DataFrame's column gives (issue 16 follow-up: numbers taken as Python's)
    st.integers(min_value=-2, max_value=70).map(np.int64), st.booleans().map(np.bool_),
    st.floats(min_value=0, max_value=16).map(np.float64), st.integers(0, 70).map(float),
)
values = st.one_of(scalars, st.lists(scalars, max_size=2))


@pytest.fixture
def studio_and_posts(client, monkeypatch):
    """A studio on Flux1.dev and the list of every request sent after it was built."""
    studio = PromptStudio(client=client, tune=FLUX_DEV, text="a lighthouse")
    sent: list[tuple[str, str]] = []
    original = client.transport.send

    def spy(method: str, path: str, **kwargs: Any):
        sent.append((method, path))
        return original(method, path, **kwargs)

    monkeypatch.setattr(client.transport, "send", spy)
    return studio, sent


def clear(studio: PromptStudio) -> None:
    studio.set_values(text="a lighthouse", **{
        name: None for name, p in studio.params.items() if p.kind != "file"})


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_field_values_are_shown_or_refused_by_name(studio_and_posts, data):
    studio, sent = studio_and_posts
    clear(studio)
    names = [n for n, p in studio.params.items() if p.kind != "file"] + ["text"]
    given_values = data.draw(st.dictionaries(st.sampled_from(names), values, min_size=1,
                                             max_size=3))
    before = {n: studio.fields[n].value for n in studio.fields if n in given_values}
    try:
        studio.set_values(**given_values)
    except InputError as exc:
        for problem in exc.problems:
            assert problem.split(":", 1)[0] in given_values, problem
        assert {n: studio.fields[n].value for n in before} == before  # all or nothing
    else:
        for name, value in given_values.items():
            assert shown(studio, name) == expected(studio, name, value), (name, value)
    check_submit(studio, sent, None)


YES, NO = ("yes", "true", "on", "1"), ("no", "false", "off", "0")


def shown(studio: PromptStudio, name: str) -> Any:
    return studio.text.value if name == "text" else studio.fields[name].value


def expected(studio: PromptStudio, name: str, value: Any) -> Any:
    """What the field must show for an accepted value: what was given, as it is sent
    (``prompt_params.plain_value``: ``np.int64(3)`` shows 3, ``seed=1.0`` shows 1)."""
    kind = "text" if name == "text" else studio.params[name].kind
    if name != "text":
        value = plain_value(studio.params[name], value)
    if kind == "bool":
        if isinstance(value, str):
            assert value.strip().lower() in YES + NO
            return value.strip().lower() in YES
        assert value in (None, True, False, 0, 1)
        return bool(value)
    if kind == "enum":
        choices = [str(c) for c in studio.params[name].choices]
        assert value is None or str(value) in choices
        return "default" if value is None else str(value)
    return "" if value is None else value if name == "text" else str(value)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_sweeps_give_a_plan_or_a_named_refusal(studio_and_posts, data):
    studio, sent = studio_and_posts
    clear(studio)
    keys = st.one_of(st.sampled_from(SWEEPABLE), st.text(max_size=6), st.integers())
    sweep = data.draw(st.one_of(
        st.dictionaries(keys, st.one_of(st.lists(scalars, max_size=5), scalars), max_size=3),
        st.dictionaries(st.sampled_from(SWEEPABLE),
                        st.lists(st.integers(min_value=-1, max_value=60), min_size=1,
                                 max_size=7, unique=True), min_size=1, max_size=2),
        scalars))
    check_submit(studio, sent, sweep)


def check_submit(studio: PromptStudio, sent: list, sweep: Any) -> None:
    """Either the studio and the run both accept it (nothing sent: the run is not begun), or
    ``submit`` refuses it naming every input, before any request."""
    sent.clear()
    errors = studio.errors if sweep is None else None
    try:
        problems = studio.model.problems(studio.text.value, studio.values, sweep)
    except Exception as exc:  # noqa: BLE001 - the assertion says what escaped
        pytest.fail(f"the studio's checks raised {type(exc).__name__}: {exc}")
    if not problems and not errors:
        run = studio.model.prepare(studio.text.value, studio.values, sweep)  # not begun
        assert len(run.sweep.cells) >= 1  # no cap: the budget is the limit (issue 20)
        assert run.prompts == [] and sent == []
        return
    with pytest.raises(StudioInvalid) as info:
        studio.submit(sweep=sweep)
    for problem in info.value.problems:
        assert NAMED.match(problem), problem
    assert sent == [] and studio.run is None
