"""Where frames read records from, and agreement with the hand-written recipe."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest
from frames_examples import DOC_PROMPT, DOC_TUNES
from tune_records import TIMESTAMPS, make_tunes, recipe

from astria_widgets.frames import prompts_dataframe, tunes_dataframe


class FakeClient:
    """Just the iteration methods the frames use."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def iter_tunes(self):
        self.calls.append("iter_tunes")
        yield from DOC_TUNES

    def iter_prompts(self):
        self.calls.append("iter_prompts")
        yield DOC_PROMPT


class FakeHistory:
    def records(self):
        return list(DOC_TUNES)

    def prompt_records(self):
        return [DOC_PROMPT]


def test_a_client_source_fetches_everything():
    client = FakeClient()
    assert tunes_dataframe(client).index.tolist() == [775459, 1]
    assert prompts_dataframe(client).index.tolist() == [1]
    assert client.calls == ["iter_tunes", "iter_prompts"]


def test_a_history_source_reads_its_records():
    assert tunes_dataframe(FakeHistory()).index.tolist() == [775459, 1]
    assert prompts_dataframe(FakeHistory()).index.tolist() == [1]


def test_no_source_uses_connect(monkeypatch):
    connecting = importlib.import_module("astria_widgets.connect")  # the module, not connect()

    monkeypatch.setattr(connecting, "connect", lambda **kw: FakeClient())
    assert len(tunes_dataframe()) == 2
    assert len(prompts_dataframe(None)) == 1


def test_an_iterable_of_records_is_accepted():
    assert len(tunes_dataframe(iter(DOC_TUNES))) == 2
    assert len(tunes_dataframe(tuple(DOC_TUNES))) == 2


@pytest.mark.parametrize("bad", ["tunes", b"x", {"id": 1}, 5])
def test_a_wrong_source_is_a_type_error(bad):
    with pytest.raises(TypeError, match="source must be"):
        tunes_dataframe(bad)
    with pytest.raises(TypeError, match="source must be"):
        prompts_dataframe(bad)


def test_same_values_as_the_hand_written_recipe():
    """The benchmark compares like with like: same rows, same timestamps, same text."""
    records = make_tunes(300, seed=11)
    frame = tunes_dataframe(records)
    expected = recipe(records)
    assert frame.index.tolist() == expected.index.tolist()
    for column in TIMESTAMPS:
        left = frame[column].dt.as_unit("ns").tolist()
        assert left == expected[column].dt.as_unit("ns").tolist(), column
    assert frame["title"].tolist() == expected["title"].tolist()
    assert frame["n_orig_images"].tolist() == expected["orig_images"].map(len).tolist()
    assert (
        frame["steps"].astype("Float64").tolist()
        == pd.array(expected["steps"], dtype="Float64").tolist()
    )


def test_against_a_seeded_sandbox_account(sandbox, api_key, client):
    sandbox.seed_history(60, api_key=api_key)
    tunes = tunes_dataframe(client)
    assert len(tunes) == 60
    assert tunes.index.is_monotonic_decreasing
    assert set(tunes["status"].unique()) <= {"trained", "expired", "failed", "training", "queued"}
    assert (tunes.loc[tunes["status"] == "failed", "error"].notna()).all()
    prompts = prompts_dataframe(client)
    assert len(prompts) > 0
    assert prompts["tune_id"].isin(tunes.index).all()
    done = prompts["status"] == "done"
    assert (prompts.loc[done, "n_images"] > 0).all()
