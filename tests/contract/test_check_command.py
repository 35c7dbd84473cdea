"""``astria-widgets check``: against a temporary sandbox, on the key holder's path, the spending
guard (refused before sending) and a report with no key and no signed URL in it.

Nothing here reaches the internet: the key holder's path runs with ``ASTRIA_BASE_URL`` set to
the session's sandbox, and the guard and the report are tested with a fake API behind the
guard (its ``send`` answers from memory).
"""

from __future__ import annotations

import io
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings
from astria_widgets.commands import check as check_command
from astria_widgets.contract.guard import FreeOnlySession, SpendRefused
from astria_widgets.contract.suite import run_contract
from astria_widgets.contract.traffic import sent_params

pytestmark = pytest.mark.contract
KEY = "sd_canary_SECRET_0123456789"
BASE = "https://api.fake.test"
SIGNED = "https://bucket.fake.test/{}.png?X-Amz-Signature=SIGNATURE-{}&X-Amz-Credential=AKIA"
NOW = "2026-01-02T03:04:05.000Z"
LATER = "2099-01-02T03:04:05.000Z"  # storage still there on any day the tests run


def test_check_against_a_temporary_sandbox_passes_with_no_difference(tmp_path, capsys,
                                                                     monkeypatch, figures):
    monkeypatch.delenv("ASTRIA_API_KEY", raising=False)
    started = time.perf_counter()
    status = check_command.main(["--out", str(tmp_path)])
    seconds = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert err.startswith("Checking a temporary sandbox")
    assert "schema differences: none" in out
    assert "snapshot differences (the docs' example answers): none" in out
    assert "checks: 15 passed, 0 failed, 0 skipped" in out
    report = json.loads((tmp_path / "astria-contract-report.json").read_text())
    assert report["target"] == "sandbox" and report["passed"] is True
    assert [c["status"] for c in report["checks"]] == ["passed"] * 15
    assert report["schema_differences"] == [] and report["snapshot_differences"] == []
    assert (tmp_path / "astria-contract-report.txt").read_text() in out
    figures("astria-widgets check against a temporary sandbox", seconds=round(seconds, 1),
            run_time=report["seconds"], requests=report["traffic"]["requests_checked"])


def test_the_key_holders_path_says_it_spends_nothing_first(sandbox, tmp_path, capsys,
                                                           monkeypatch):
    """With ASTRIA_API_KEY the command takes the real-API path (here: the sandbox's URL as
    ASTRIA_BASE_URL), says how it spends nothing before the first check, checks every
    answer (not only the sandbox's) and cleans up."""
    key = sandbox.create_user()
    monkeypatch.setenv("ASTRIA_API_KEY", key)
    monkeypatch.setenv("ASTRIA_BASE_URL", sandbox.url)
    status = check_command.main(["--out", str(tmp_path), "--timeout", "60"])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    first, second = err.splitlines()[:2]
    assert first == f"Checking {sandbox.url} with your key (ASTRIA_API_KEY)."
    assert second.startswith("This run spends nothing: every create is refused before sending")
    assert "contract check against the Astria API" in out
    report = (tmp_path / "astria-contract-report.json").read_text()
    assert key not in report and key not in out + err
    assert json.loads(report)["schema_differences"] == []
    mine = AstriaClient(api_key=key, base_url=sandbox.url)
    assert mine.list_tunes() == [] and mine.list_prompts() == []


@pytest.mark.parametrize(("argv", "message"), [
    (["--out", "FILE"], "is a file, not a folder"),
    (["--image-url", "ftp://x/y.jpg"], "must be an http(s) URL"),
    (["--timeout", "-3"], "must be a positive number of seconds"),
])
def test_bad_options_are_refused_before_anything_runs(tmp_path, capsys, argv, message):
    (tmp_path / "FILE").write_text("x")
    argv = [str(tmp_path / a) if a == "FILE" else a for a in argv]
    try:
        status = check_command.main(argv)
    except SystemExit as exc:  # argparse's own refusals
        status = exc.code
    assert status == 2
    assert message in capsys.readouterr().err


# -- a fake API behind the guard ------------------------------------------------------------------
def _answer(request, status, body=None, content_type="application/json"):
    response = requests.Response()
    response.status_code = status
    data = body if isinstance(body, bytes) else (json.dumps(body).encode()
                                                 if body is not None else b"")
    response.raw = io.BytesIO(data)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Length"] = str(len(data))
    response.url = request.url
    response.request = request
    return response


class FakeAstria(FreeOnlySession):
    """The guard with a fake API under it: ``send`` answers from memory and records what was
    sent. Its answers differ from the docs on purpose: a tune has a new field, lacks ``url``
    and has ``steps`` as text; images are signed URLs; the like fails with a message holding
    a signed URL."""

    def __init__(self):
        super().__init__()
        self.sent = []
        self.fake_tunes = {}
        self.fake_prompts = {}
        self.next_id = 100

    def _tune(self, tune_id):
        return dict(self.fake_tunes[tune_id])

    def send(self, request, **kwargs):
        self.sent.append((request.method, request.url))
        parts = urlsplit(request.url)
        path, query = parts.path, parse_qs(parts.query)
        method = request.method
        if parts.netloc == "bucket.fake.test":
            return _answer(request, 200, b"\x89PNG fake picture", "image/png")
        if (method, path) == ("GET", "/users"):
            return _answer(request, 200, {"id": 1, "usd_balance_mc": 0, "name": "Ada",
                                          "email": "ada@example.com"})
        if (method, path) == ("GET", "/cli/models"):
            return _answer(request, 200, {"models": {"flux": {"tune_id": 1504944}}})
        if method == "GET" and path in ("/gallery/tunes", "/gallery/packs"):
            return _answer(request, 200, [])
        if (method, path) == ("POST", "/tunes"):
            body = request.body
            tune = (json.loads(body) if isinstance(body, bytes)
                    else sent_params(request.url, data=body))["tune"]
            title = tune["title"]
            self.next_id += 1
            self.fake_tunes[self.next_id] = {
                "id": self.next_id, "title": title, "name": "dog", "token": "ohwx",
                "base_tune_id": None, "args": None, "steps": "500", "face_crop": None,
                "ckpt_url": SIGNED.format("model", self.next_id), "ckpt_urls": [],
                "eta": NOW, "trained_at": NOW, "started_training_at": NOW, "expires_at": LATER,
                "created_at": NOW, "updated_at": NOW, "branch": "fast", "model_type": None,
                "orig_images": [], "brand_new_field": True}
            return _answer(request, 201, self._tune(self.next_id))
        if method == "GET" and path == "/tunes":
            before = int(query.get("before_id", ["999999999"])[0])
            limit = int(query.get("limit", ["20"])[0])
            rows = [self._tune(i) for i in sorted(self.fake_tunes, reverse=True) if i < before]
            return _answer(request, 200, rows[:limit])
        match = re.fullmatch(r"/tunes/(\d+)", path)
        if match and method in ("GET", "DELETE"):
            tune_id = int(match.group(1))
            if method == "DELETE":
                self.fake_tunes.pop(tune_id, None)
                return _answer(request, 200, {"message": "deleted"})
            return _answer(request, 200, self._tune(tune_id))
        match = re.fullmatch(r"/tunes/(\d+)/prompts", path)
        if match and method == "POST":
            self.next_id += 1
            pid = self.next_id
            self.fake_prompts[pid] = {
                "id": pid, "tune_id": int(match.group(1)), "text": "t", "negative_prompt": "",
                "callback": None, "cfg_scale": None, "steps": None, "seed": None,
                "trained_at": NOW, "started_training_at": NOW, "created_at": NOW,
                "updated_at": NOW, "url": f"{BASE}/tunes/1/prompts/{pid}.json",
                "images": [SIGNED.format(pid, pid)], "user_error": None}
            return _answer(request, 201, self.fake_prompts[pid])
        if match and method == "GET":
            before = int(query.get("before_id", ["999999999"])[0])
            limit = int(query.get("limit", ["20"])[0])
            rows = [self.fake_prompts[i] for i in sorted(self.fake_prompts, reverse=True)
                    if i < before]
            return _answer(request, 200, rows[:limit])
        match = re.fullmatch(r"(?:/tunes/\d+)?/prompts/(\d+)", path)
        if match:
            pid = int(match.group(1))
            if method == "DELETE":
                self.fake_prompts.pop(pid, None)
                return _answer(request, 200, {"message": "Prompt successfully deleted"})
            return _answer(request, 200, self.fake_prompts[pid])
        if re.fullmatch(r"/prompts/\d+/likes", path):
            return _answer(request, 500, {"error": "like failed for "
                                          + SIGNED.format("x", "LIKE") + f" key {KEY}"})
        return _answer(request, 404, {"error": f"no {method} {path}"})


def _fake_client():
    fake = FakeAstria()
    client = AstriaClient(api_key=KEY, base_url=BASE, session=fake,
                          retry=RetrySettings.fast().with_(read_attempts=0, create_attempts=1),
                          poll=PollPolicy.fast())
    client.transport.sleep = lambda seconds: None
    return client, fake


def test_the_report_holds_no_key_and_no_signed_url(tmp_path):
    client, fake = _fake_client()
    report = run_contract(client, workdir=tmp_path / "work", target="astria", guard=fake)
    states = {c.name: c.status for c in report.checks}
    assert states["like_prompt"] == "failed" and states["download"] == "passed"
    json_path, text_path = report.write(tmp_path, secret=KEY)
    written = json_path.read_text() + text_path.read_text()
    assert KEY not in written and "SIGNATURE" not in written and "AKIA" not in written
    assert "?[query]" in written  # the like's message kept its URL, without the query
    assert "Ada" not in written and "ada@example.com" not in written
    data = json.loads(json_path.read_text())
    diffs = {(d["endpoint"], d["field"], d["kind"]) for d in data["schema_differences"]}
    assert ("POST /tunes", "brand_new_field", "new") in diffs
    assert ("GET /tunes/{id}", "url", "missing") in diffs
    assert ("GET /tunes", "[].steps", "type") in diffs
    snapshot = {(d["endpoint"], d["field"], d["kind"]) for d in data["snapshot_differences"]}
    assert ("GET /tunes/{id}", "url", "missing") in snapshot
    assert data["api"] == BASE and data["target"] == "astria"
    # it cleaned up after itself
    assert fake.fake_tunes == {} and fake.fake_prompts == {}


@pytest.mark.parametrize(("call", "why"), [
    (lambda c: c.create_tune(name="dog", branch="sd15", image_urls=["https://x.io/a.jpg"]),
     "branch 'sd15' would cost money"),
    (lambda c: c.create_tune(name="dog", image_urls=["https://x.io/a.jpg"]),
     "no branch (the service then trains on sd15)"),
    (lambda c: c.create_tune(name="dog", branch="flux1", base_tune_id=1504944,
                             images=[("a.jpg", _picture())]),
     "branch 'flux1' would cost money"),
    (lambda c: c.create_prompt(1504944, "<lora:5:1> ohwx dog"), "on tune 1504944 would be billed"),
    (lambda c: c.create_tune_from_pack(260, name="man", image_urls=["https://x.io/a.jpg"]),
     "POST /p/{pack}/tunes is not part of the free contract run"),
    (lambda c: c.create_theme("autumn", [5]), "POST /themes is not part of"),
    (lambda c: c.duplicate_prompt(7, seed=3), "POST /prompts/{id}/duplicate is not part of"),
    (lambda c: c.delete_tune(5), "tune 5 was not made by this run"),
    (lambda c: c.like_prompt(7), "prompt 7 was not made by this run"),
    (lambda c: c.update_tune(5, title="x"), "PATCH /tunes/{id} is not part of"),
], ids=["sd15", "no-branch", "flux1-files", "prompt-on-base", "pack", "theme", "duplicate",
        "delete-other", "like-other", "update"])
def test_a_create_that_could_spend_is_refused_before_sending(call, why):
    client, fake = _fake_client()
    with pytest.raises(SpendRefused) as info:
        call(client)
    assert why in str(info.value)
    assert fake.sent == []  # nothing left the machine
    assert fake.refused and why in fake.refused[0]


def test_a_fast_tune_and_prompts_on_it_are_sent():
    client, fake = _fake_client()
    tune = client.create_tune(name="dog", branch="fast", images=[("a.jpg", _picture())])
    prompt = client.create_prompt(tune["id"], "ohwx dog")
    client.delete_prompt(prompt["id"])
    client.delete_tune(tune["id"])
    assert [m for m, _ in fake.sent] == ["POST", "POST", "DELETE", "DELETE"]
    assert fake.refused == []


def _picture():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), "green").save(buffer, "JPEG")
    return buffer.getvalue()
