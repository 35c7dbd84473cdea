"""The reference syntax and where a prompt runs, as pure functions of tune records."""

from __future__ import annotations

import pytest

from astria_widgets.client.references import (
    plan_prompt,
    reference,
    referenced_tune_ids,
    run_on_tune_id,
    tune_kind,
)


def tune(id_, model_type=None, branch="flux1", name="man", token="ohwx", base=None):
    return {"id": id_, "model_type": model_type, "branch": branch, "name": name,
            "token": token, "base_tune_id": base}


@pytest.mark.parametrize(("record", "kind", "runs_on"), [
    (tune(1, None, "sd15"), "checkpoint", 1),
    (tune(2, "lora", "flux1"), "lora", 1504944),
    (tune(3, "pti", "sdxl1"), "lora", 666678),
    (tune(4, "lora", "sd15"), "lora", 690204),
    (tune(5, "faceid", "sd15"), "faceid", 690204),
    (tune(6, "faceid", "flux1"), "faceid", 1504944),
    (tune(7, "lora", "flux1", base=3063697), "lora", 3063697),
])
def test_kind_and_where_each_tune_runs(record, kind, runs_on):
    assert tune_kind(record) == kind and run_on_tune_id(record) == runs_on


def test_reference_tags_and_parsing_them_back():
    assert reference(tune(9, "lora")) == "<lora:9:1>"
    assert reference(tune(9, "faceid"), 0.5) == "<faceid:9:0.5>"
    with pytest.raises(ValueError, match="checkpoint"):
        reference(tune(9))
    assert referenced_tune_ids("<lora:12:1> <faceid:34:0.7> <lora:noise:0.5> <lora:56>") == [
        12, 34, 56]


def test_a_style_tune_and_a_class_less_gallery_lora_get_the_reference_alone():
    assert plan_prompt(tune(8, "lora", name="style"), "a city").text == "<lora:8:1> a city"
    assert plan_prompt(tune(8, "lora", name=None), "a city").text == "<lora:8:1> a city"


def test_faceid_class_already_written_is_not_added_again():
    assert plan_prompt(tune(5, "faceid", name="woman"), "a Woman skiing").text == \
        "<faceid:5:1> a Woman skiing"


def test_no_tunes_is_an_error():
    with pytest.raises(ValueError, match="at least one tune"):
        plan_prompt([], "x")
