"""compare(): the same texts and seeds on each tune (or variant), likes tallied per column."""

from __future__ import annotations

from astria_widgets.client import prompt_status
from astria_widgets.client.compare import CompareRun, tally_text

WAIT = 60
FLUX_DEV = 1504944


def _tune(client, **kw):
    args = {"name": "man", "image_urls": ["https://example.com/a.jpg"], "branch": "flux1",
            "model_type": "lora"}
    return client.create_tune(**{**args, **kw})


def test_compare_over_two_tunes_and_three_seeds(client):
    """Six prompts with matching seeds and texts, one column per tune, one wait per base."""
    lora = _tune(client, title="Anna")
    checkpoint = _tune(client, title="Ben", branch="sd15", model_type=None, token="sks")
    client.wait_for_tune(checkpoint["id"], timeout=WAIT)
    run = CompareRun.prepare(client, [lora, checkpoint["id"]], texts=["portrait"],
                             seeds=[1, 2, 3], num_images=1)
    assert [c.label for c in run.columns] == [f"Anna (#{lora['id']})",
                                              f"Ben (#{checkpoint['id']})"]
    assert [r.label for r in run.rows] == ["portrait · seed 1", "portrait · seed 2",
                                           "portrait · seed 3"]
    assert len(run.runs) == 2  # two base tunes: one batched wait each
    assert run.begin() is run and run.status in ("creating", "pending", "done")
    prompts = run.wait(timeout=WAIT)
    assert len(prompts) == 6 and run.done and run.status == "done"
    assert all(prompt_status(p) == "done" for p in prompts)
    cells = run.cells
    for cell in cells:
        assert cell.prompt["seed"] == run.rows[cell.row].seed
        assert "portrait" in cell.prompt["text"]
    left = [c.prompt for c in cells if c.col == 0]
    right = [c.prompt for c in cells if c.col == 1]
    assert {p["tune_id"] for p in left} == {FLUX_DEV}
    assert all(f"<lora:{lora['id']}:1>" in p["text"] for p in left)
    assert {p["tune_id"] for p in right} == {checkpoint["id"]}
    assert [p["seed"] for p in left] == [p["seed"] for p in right] == [1, 2, 3]
    assert run.cost_mc == sum(int(p["cost_mc"]) for p in prompts)
    assert all(run.thumbnail(i) for i in range(6))

    seen = []
    run.subscribe(lambda r: seen.append(len(r.liked)))
    run.like(0)
    run.like(2)
    run.like(4)
    run.like(1)
    run.unlike(1)
    assert seen[-1] == 3
    frame = run.tally()
    assert list(frame.columns) == ["column", "liked", "total", "share"]
    assert frame["liked"].tolist() == [3, 0] and frame["total"].tolist() == [3, 3]
    assert frame["share"].tolist() == [1.0, 0.0]
    assert [tally_text(t) for t in run.tallies()] == [
        f"Anna (#{lora['id']}): 3 of 3 liked", f"Ben (#{checkpoint['id']}): 0 of 3 liked"]
    liked = {p["id"] for p in client.list_prompts(FLUX_DEV, liked=True)}
    assert liked == {left[0]["id"], left[1]["id"], left[2]["id"]}


def test_one_tune_with_two_variants_makes_two_columns(client):
    tune = _tune(client, title="Anna")
    run = CompareRun.prepare(client, [tune], texts=["portrait", "at the beach"], seeds=[7],
                             variants=[{"cfg_scale": 5}, {"cfg_scale": 9}], num_images=1)
    assert [c.label for c in run.columns] == [f"Anna (#{tune['id']}) · cfg_scale 5",
                                              f"Anna (#{tune['id']}) · cfg_scale 9"]
    assert len(run.runs) == 1
    prompts = run.begin().wait(timeout=WAIT)
    assert [(p["seed"], p["cfg_scale"]) for p in prompts] == [(7, 5), (7, 9), (7, 5), (7, 9)]
