"""The contract suite against the sandbox, the sandbox against the docs' example answers.

``pytest -m contract`` runs these (and the rest of tests/contract); they also run in every
``pytest tests/`` run. By default the suite runs against a fresh account of the session's
sandbox. A key holder may point it at the real API: ``ASTRIA_CONTRACT_LIVE=1`` together with
``ASTRIA_API_KEY`` (both, on purpose; the suite then spends nothing, see
``astria_widgets/contract/guard.py``); a differing field is then reported, not failed.
"""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings
from astria_widgets.client.transport import observe
from astria_widgets.contract.snapshots import compare, load_snapshots, shape_of
from astria_widgets.contract.suite import CHECKS, run_contract
from astria_widgets.contract.traffic import TrafficCheck

pytestmark = pytest.mark.contract
LIVE = os.environ.get("ASTRIA_CONTRACT_LIVE") == "1" and bool(os.environ.get("ASTRIA_API_KEY"))


@pytest.fixture
def contract_client(client):
    """The sandbox client, or the real API's when the key holder asked for it (see above)."""
    if LIVE:
        return AstriaClient(api_key=os.environ["ASTRIA_API_KEY"])
    return client


def test_the_contract_suite_passes(contract_client, tmp_path, figures):
    report = run_contract(contract_client, workdir=tmp_path)
    text = report.text()
    figures(f"contract suite against the {report.target}", seconds=round(report.seconds, 2),
            checks=len(report.checks), requests=report.traffic["requests_checked"])
    assert [c.name for c in report.checks] == [name for name, _, _ in CHECKS]
    assert report.passed, text
    assert all(c.status == "passed" for c in report.checks), text
    assert report.refused == []
    if report.target == "sandbox":
        assert report.schema_differences == [] and report.snapshot_differences == [], text
        assert "schema differences: none" in text
        assert "snapshot differences (the docs' example answers): none" in text
    # everything it made is gone
    assert contract_client.list_tunes(title="astria-widgets contract") == []


def _jpeg(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_sandbox_answers_have_the_shapes_of_the_docs_examples(client, figures):
    """Every documented example answer (a snapshot) against a real sandbox answer of it."""
    check = TrafficCheck(transports=[client.transport])
    check.keep_bodies = True
    stop = observe(check)
    try:
        tune = client.create_tune(name="woman", branch="fast",
                                  images=[("a.jpg", _jpeg("red")), ("b.jpg", _jpeg("blue"))])
        client.get_tune(tune["id"])
        client.list_tunes()
        tune = client.wait_for_tune(tune["id"], timeout=60)
        prompt = client.create_prompt(tune["id"], "ohwx woman", num_images=1)
        prompt = client.wait_for_prompt(tune["id"], prompt["id"], timeout=60)
        client.get_prompt(tune["id"], prompt["id"])
        client.duplicate_prompt(prompt["id"], seed=5)
        client.list_prompts(tune["id"])
        client.like_prompt(prompt["id"])
        client.create_theme("autumn", [tune["id"]])
        client.inspect_image("https://example.com/me.jpg", "woman")
        gallery = client.list_packs(gallery=True)
        pack = next(p for p in gallery if "woman" in p["cost_mc_hash"])
        client.get_pack(pack["id"])
        client.create_tune_from_pack(pack["id"], name="woman", title="from a pack",
                                     image_urls=["https://example.com/w.jpg"])
        own = client.create_pack("mine")
        client.update_prompt(prompt["id"], pack_id=own["id"])
        client.list_packs()
        client.delete_prompt(prompt["id"])
    finally:
        stop()
    compared = {}
    problems = []
    for endpoint, body in check.bodies:
        for shot in load_snapshots():
            if endpoint.label in shot.endpoints:
                compared[shot.name] = compared.get(shot.name, 0) + 1
                problems += compare(shot, body, endpoint=endpoint.label)
    figures("sandbox answers compared with the docs' example answers",
            snapshots=len(compared), answers=sum(compared.values()))
    assert sorted(compared) == sorted(s.name for s in load_snapshots())
    assert problems == [], [p.line() for p in problems]
    assert check.findings == []


def test_a_snapshot_comparison_names_missing_fields_and_other_types():
    shot = next(s for s in load_snapshots() if s.name == "tune_retrieve")
    answer = {"id": "7", "title": "x", "orig_images": [1], "extra": True}
    found = {(d.field, d.kind) for d in compare(shot, answer)}
    assert ("id", "type") in found and ("orig_images[]", "type") in found
    assert ("branch", "missing") in found and ("trained_at", "missing") in found
    assert not any(f == "extra" for f, _ in found)  # the examples show subsets
    likes = next(s for s in load_snapshots() if s.name == "like_create")
    assert compare(likes, None) == [] and compare(likes, {"id": 1})[0].kind == "type"


def test_shapes_merge_array_items_and_read_maps():
    assert shape_of([{"a": 1}, {"a": None, "b": "x"}]) == [{"a": "integer|null", "b": "string"}]
    assert shape_of({"costs": {"man": {"cost": 1}, "woman": {"cost": 2}}}) == {
        "costs": {"*": {"cost": "integer"}}}
    assert shape_of([]) == [] and shape_of(2.5) == "number"


def test_every_snapshot_names_its_docs_page_and_known_endpoints():
    from astria_widgets.contract.schema import load_contract

    labels = {e.label for e in load_contract().endpoints}
    for shot in load_snapshots():
        assert shot.source.startswith("astriaai/astria-docs docs/api/"), shot.name
        assert shot.endpoints and set(shot.endpoints) <= labels, shot.name


def test_a_run_on_a_failing_server_reports_failed_and_skipped_checks(sandbox, tmp_path):
    """Every answer a 500: each check that runs fails, each that needs a failed one is
    skipped saying so, and the report does not pass."""
    client = AstriaClient(api_key=sandbox.create_user(), base_url=sandbox.url, sandbox=True,
                          retry=RetrySettings.fast().with_(create_attempts=1, read_attempts=0),
                          poll=PollPolicy.fast())
    client.transport.sleep = lambda seconds: None
    sandbox.fail_next("500", count=1000)
    try:
        report = run_contract(client, workdir=tmp_path)
    finally:
        sandbox.clear_faults()
    states = {c.name: c.status for c in report.checks}
    assert states["account"] == states["create_tune_from_files"] == "failed"
    assert states["wait_for_tunes"] == states["download"] == "skipped"
    waited = next(c for c in report.checks if c.name == "wait_for_tunes")
    assert waited.detail == "needs create_tune_from_files, create_tune_from_urls"
    assert "500" in next(c.detail for c in report.checks if c.name == "account")
    assert not report.passed and "FAIL  account" in report.text()
