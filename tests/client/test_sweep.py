"""The sweep planner: one cell per combination, rows x columns, every value checked."""

from __future__ import annotations

import pytest

from astria_widgets.client import InputError
from astria_widgets.client.costs import usd
from astria_widgets.client.sweep import SWEEPABLE, parse_values, plan_sweep


def test_two_parameters_make_a_row_major_grid_with_labels():
    plan = plan_sweep({"seed": [1, 2, 3], "cfg_scale": [3, 7]}, {"num_images": 2})
    assert plan.shape == (3, 2) and plan.row_param == "seed" and plan.col_param == "cfg_scale"
    assert [(c.row, c.col, c.params) for c in plan.cells[:2]] == [
        (0, 0, {"num_images": 2, "seed": 1, "cfg_scale": 3}),
        (0, 1, {"num_images": 2, "seed": 1, "cfg_scale": 7})]
    assert plan.cells[-1].label == "seed 3 · cfg_scale 7"


def test_one_parameter_or_none():
    plan = plan_sweep({"super_resolution": [True, False]})
    assert plan.shape == (2, 1) and [c.label for c in plan.cells] == [
        "super_resolution on", "super_resolution off"]
    single = plan_sweep(None, {"seed": 4})
    assert single.shape == (1, 1) and single.cells[0].params == {"seed": 4}


def test_every_problem_names_the_sweep_parameter():
    with pytest.raises(InputError) as info:
        plan_sweep({"seed": [1, 1, -5], "cfg_scale": [], "steps": [1]}, {"seed": 2})
    problems = info.value.problems
    assert "sweep: vary at most 2 parameters (rows and columns), not 3: seed, cfg_scale, " \
        "steps" in problems
    assert "sweep[seed]: a value is repeated (1); give each value once (each makes a billed " \
        "prompt)" in problems
    assert "sweep[seed]: seed is also given as a fixed value; give it once" in problems
    assert "sweep[seed]: -5 is outside -1...4294967295" in problems
    assert "sweep[cfg_scale]: the list of values is empty" in problems


def test_combination_rules_apply_to_swept_values():
    with pytest.raises(InputError, match="sweep\\[inpaint_faces\\]: needs super_resolution"):
        plan_sweep({"inpaint_faces": [True, False]})
    with pytest.raises(InputError, match="give a list of values"):
        plan_sweep({"seed": "1,2"})


def test_parse_values_types_them_like_the_catalogue():
    assert parse_values("seed", "1, 2,3") == [1, 2, 3]
    assert parse_values("cfg_scale", "3, 7.5") == [3, 7.5]
    assert parse_values("film_grain", "yes, off") == [True, False]
    assert parse_values("style", "Cinematic, Line art") == ["Cinematic", "Line art"]
    assert parse_values("backend_version", "0,1") == [0, 1]
    for name, text, message in (("seed", "x", "'x' is not a whole number"),
                                ("cfg_scale", "a", "'a' is not a number"),
                                ("film_grain", "maybe", "'maybe' is not yes/no"),
                                ("seed", " , ", "type values separated by commas")):
        with pytest.raises(ValueError, match=message):
            parse_values(name, text)
    assert "seed" in SWEEPABLE and "negative_prompt" not in SWEEPABLE


def test_dollars_from_millicents():
    assert usd(2300) == "$0.0230" and usd(1_234_500_000) == "$12,345.00"
    assert usd(None, missing="—") == "—" and usd(None) == "unknown"


def test_no_arbitrary_cap_a_sweep_of_hundreds_of_prompts_is_planned():
    """Issue 20: the 48-prompt cap is gone (the budget is the limit)."""
    plan = plan_sweep({"seed": list(range(1, 21)), "steps": list(range(10, 40))})
    assert len(plan.cells) == 600 and plan.shape == (20, 30)
    assert plan.cells[-1].params == {"seed": 20, "steps": 39}
