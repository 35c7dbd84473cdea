"""Issue 21 (compare): hostile inputs to compare() are refused before anything is sent.

Each input must be refused with a message naming its parameter and no prompt created; every
input tried is counted with :func:`hostile.probe` ("checks before sending").
"""

from __future__ import annotations

import pytest
from hostile import probe

from astria_widgets.client import InputError
from astria_widgets.client.compare import CompareRun

FLUX_DEV = 1504944


def _tune(client, **kw):
    args = {"name": "man", "image_urls": ["https://example.com/a.jpg"], "branch": "flux1",
            "model_type": "lora"}
    return client.create_tune(**{**args, **kw})


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"texts": []}, "texts: give a list"),
    ({"texts": ["a", " "]}, "texts[1]: must be non-empty text"),
    ({"seeds": ["x"]}, "seeds[0]:"),
    ({"seeds": [1, 1]}, "seeds: 1 is given twice"),
    ({"variants": [{"cfg": 3}]}, "variants[0].cfg: is not a documented prompt parameter"),
    ({"variants": [{"cfg_scale": 99}]}, "variants[0].cfg_scale:"),
    ({"cfg_scale": "high"}, "cfg_scale:"),
    ({"texts": "portrait"}, "texts: give a list"),
    ({"seeds": [True]}, "seeds[0]:"),
    ({"seeds": 5}, "seeds: give a list"),
    ({"variants": ["cfg_scale=5"]}, "variants[0]: must be a dict"),
    ({"variants": [{"seed": 3}]}, "variants[0].seed: the seeds are the rows"),
    ({"seed": 3}, "seed: the seeds are the rows"),
    ({"seeds": list(range(150))}, "more than 200"),
])
def test_bad_compare_inputs_are_refused_before_anything_is_sent(client, kwargs, expected):
    tune = _tune(client)
    args = {"texts": ["portrait"], "seeds": [1], **kwargs}
    before = len(client.list_prompts(FLUX_DEV))
    with pytest.raises(InputError) as info:
        CompareRun.prepare(client, [tune, FLUX_DEV], **args)
    assert any(expected in p for p in info.value.problems), info.value.problems
    assert len(client.list_prompts(FLUX_DEV)) == before
    probe("checks before sending")


def test_one_column_is_not_a_comparison(client):
    tune = _tune(client)
    with pytest.raises(InputError, match="tunes: give at least two tunes"):
        CompareRun.prepare(client, [tune], texts=["portrait"], seeds=[1])
    probe("checks before sending")
    with pytest.raises(InputError, match="tunes: tune .* is given twice"):
        CompareRun.prepare(client, [tune, tune], texts=["portrait"], seeds=[1])
    probe("checks before sending")
    for bad_tune in (True, -3, "abc", {"id": None}):
        with pytest.raises(InputError, match=r"tunes\[1\]"):
            CompareRun.prepare(client, [tune, bad_tune], texts=["portrait"], seeds=[1])
        probe("checks before sending")


@pytest.mark.parametrize("run_id", ["nope", "", "   ", None, 5, ["abc"]])
def test_open_run_names_run_id_for_a_run_the_history_does_not_hold(tmp_path, run_id):
    from astria_widgets.history import TuneHistory
    from astria_widgets.widgets import PromptStudio

    TuneHistory(tmp_path / "h.sqlite3").close()
    with pytest.raises(InputError, match="run_id: "):
        PromptStudio.open_run(run_id, history=tmp_path / "h.sqlite3")
    probe("checks before sending")
