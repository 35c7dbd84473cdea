"""The panel's HTTP API on a real Jupyter server: authentication, paging, a tune's prompts,
error codes, and the key never in a response."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
from PIL import Image

from astria_widgets.client.costs import usd
from astria_widgets.client.status import tune_status
from astria_widgets.server.handlers import ROUTES

from .conftest import CANARY_KEY, SEEDED, PanelAPI


def concrete(path: str, ids: tuple[int, int]) -> str:
    """A route pattern with its groups filled in: the tune's id, the prompt's id after
    ``prompts/``, and image index 0."""
    tune_id, prompt_id = ids
    path = path.replace(r"prompts/(\d+)", f"prompts/{prompt_id}")
    path = path.replace(r"tunes/(\d+)", f"tunes/{tune_id}", 1)
    return path.replace(r"(\d+)", "0")


def tune_with_pictures(panel_api: PanelAPI) -> tuple[int, int]:
    """(tune id, prompt id) of a tune with a training image and a finished prompt's image."""
    for row in panel_api.get("tunes", limit=100).json()["tunes"]:
        if row["thumbnail"] is None:
            continue
        for prompt in panel_api.get(f"tunes/{row['id']}").json()["prompts"]:
            if prompt["images"]:
                return row["id"], prompt["id"]
    raise AssertionError("no seeded tune has a prompt with images")


def test_every_route_needs_the_servers_authentication(panel_api: PanelAPI) -> None:
    ids = tune_with_pictures(panel_api)
    assert len(ROUTES) == 6
    for path, _handler in ROUTES:
        answer = panel_api.get(concrete(path, ids), auth=False)
        assert answer.status_code == 403, (path, answer.status_code)
        assert panel_api.get(concrete(path, ids)).status_code == 200, path


def test_a_wrong_token_is_refused_too(panel_api: PanelAPI) -> None:
    answer = requests.get(panel_api.url("status"), headers={"Authorization": "token nope"},
                          timeout=30)
    assert answer.status_code == 403


def test_status_names_the_sandbox_account_and_balance_in_dollars(
    panel_api: PanelAPI, canary_client
) -> None:
    status = panel_api.get("status").json()
    account = canary_client.account()
    assert status["api"] == "sandbox"
    assert status["account"]["id"] == account["id"]
    assert status["account"]["email"] == account["email"]
    assert status["balance_mc"] == account["usd_balance_mc"]
    assert status["balance"] == usd(account["usd_balance_mc"])
    assert status["refresh_seconds"] > 0


def test_keyset_pages_cover_every_tune_newest_first_once(
    panel_api: PanelAPI, canary_client
) -> None:
    expected = [t["id"] for t in canary_client.iter_tunes()]
    seen: list[int] = []
    before = None
    pages = 0
    while True:
        params = {"limit": 20} | ({"before_id": before} if before else {})
        page = panel_api.get("tunes", **params).json()
        pages += 1
        seen += [t["id"] for t in page["tunes"]]
        before = page["next_before_id"]
        if before is None:
            break
        assert before == seen[-1]
    assert len(expected) >= SEEDED
    assert seen == expected
    assert pages == -(-len(expected) // 20)


def test_a_tune_row_carries_the_status_rule_and_a_thumbnail(
    panel_api: PanelAPI, canary_client
) -> None:
    rows = panel_api.get("tunes", limit=100).json()["tunes"]
    records = {t["id"]: t for t in canary_client.list_tunes(limit=100)}
    now = canary_client.transport.server_now()
    for row in rows:  # the client's one status rule, applied to the record the panel read
        assert row["status"] == tune_status(records[row["id"]], now), row["id"]
    statuses = {row["status"] for row in rows}
    assert {"trained", "expired"} <= statuses
    for row in rows:
        if row["status"] in ("trained", "expired"):
            assert row["progress"] == 1.0
        assert row["thumbnail"] in (None, f"tunes/{row['id']}/images/0")  # a route, no URL
    assert any(row["thumbnail"] for row in rows)


def test_search_filters_by_title_or_class(panel_api: PanelAPI, canary_client) -> None:
    tunes = list(canary_client.iter_tunes())
    word = tunes[0]["name"]
    found = panel_api.get("tunes", search=word.upper(), limit=100).json()["tunes"]
    expected = [t["id"] for t in tunes if word in (t["name"] or "") or word in (t["title"] or "")]
    assert [t["id"] for t in found] == expected
    assert panel_api.get("tunes", search="no such tune zzz").json() == {
        "tunes": [], "next_before_id": None}


def test_a_tunes_detail_lists_its_prompts_with_images(panel_api: PanelAPI, canary_client) -> None:
    tune = next(t for t in canary_client.iter_tunes() if canary_client.list_prompts(t["id"]))
    prompts = canary_client.list_prompts(tune["id"])
    detail = panel_api.get(f"tunes/{tune['id']}").json()
    assert detail["id"] == tune["id"]
    assert ["Id", tune["id"]] in detail["fields"]
    assert [p["id"] for p in detail["prompts"]] == [p["id"] for p in prompts]
    done = [p for p in detail["prompts"] if p["status"] == "done"]
    assert done and all(p["images"] for p in done)
    assert all(p["text"] for p in detail["prompts"])


@pytest.mark.parametrize(
    ("path", "params", "code", "needle"),
    [
        ("tunes", {"limit": "many"}, 400, "limit"),
        ("tunes", {"limit": "0"}, 400, "limit"),
        ("tunes", {"before_id": "x"}, 400, "before_id"),
        ("tunes/999999999", {}, 404, "404"),
        ("tunes/" + "9" * 31, {}, 400, "tune id"),  # was a 500 (SQLite integer overflow)
        ("tunes", {"before_id": "9" * 31}, 400, "before_id"),
    ],
)
def test_errors_map_to_status_codes_with_a_message(
    panel_api: PanelAPI, path: str, params: dict, code: int, needle: str
) -> None:
    answer = panel_api.get(path, **params)
    assert answer.status_code == code
    assert needle in answer.json()["error"]


def test_the_key_is_in_no_response_body_or_header(panel_api: PanelAPI) -> None:
    ids = tune_with_pictures(panel_api)
    answers = [panel_api.get(concrete(path, ids)) for path, _ in ROUTES]
    answers += [panel_api.get(concrete(path, ids), auth=False) for path, _ in ROUTES]
    answers += [panel_api.get("tunes", limit="x"), panel_api.get("tunes/999999999"),
                panel_api.get("tunes", search=CANARY_KEY[:8])]
    assert len(answers) == 2 * len(ROUTES) + 3
    for answer in answers:
        body = answer.content.decode("latin-1")  # pictures are bytes
        assert CANARY_KEY not in body
        assert CANARY_KEY[-12:] not in body
        assert all(CANARY_KEY not in value for value in answer.headers.values())


def test_a_picture_route_answers_a_small_jpeg_the_browser_may_keep(
    panel_api: PanelAPI, figures: Any,
) -> None:
    tune_id, prompt_id = tune_with_pictures(panel_api)
    sizes = {}
    for path in (f"tunes/{tune_id}/images/0", f"tunes/{tune_id}/prompts/{prompt_id}/images/0"):
        answer = panel_api.get(path)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"] == "image/jpeg"
        assert answer.headers["Cache-Control"] == "private, max-age=86400"
        with Image.open(io.BytesIO(answer.content)) as im:
            assert im.format == "JPEG" and max(im.size) <= 128
        assert len(answer.content) < 8 * 1024
        sizes[path.split("/")[2]] = len(answer.content)
        again = requests.get(panel_api.url(path), timeout=30, headers={
            "Authorization": f"token {panel_api.server.token}",
            "If-None-Match": answer.headers["Etag"]})
        assert again.status_code == 304 and not again.content
        large = panel_api.get(path, size="large")
        assert large.status_code == 200 and len(large.content) > len(answer.content)
    figures("picture route answers (bytes)", training_image=sizes["images"],
            prompt_image=sizes["prompts"])


@pytest.mark.parametrize(
    ("path", "params", "code", "needle"),
    [
        ("tunes/{t}/images/0", {"size": "huge"}, 400, "size"),
        ("tunes/{t}/images/99", {}, 404, "has no image 99"),
        ("tunes/{t}/prompts/{p}/images/99", {}, 404, "has no image 99"),
        ("tunes/999999999/images/0", {}, 404, "404"),
    ],
)
def test_a_bad_picture_request_is_json_naming_the_problem(
    panel_api: PanelAPI, path: str, params: dict, code: int, needle: str,
) -> None:
    tune_id, prompt_id = tune_with_pictures(panel_api)
    answer = panel_api.get(path.format(t=tune_id, p=prompt_id), **params)
    assert answer.status_code == code
    assert answer.headers["Content-Type"].startswith("application/json")
    assert needle in answer.json()["error"]


def test_no_answer_names_the_sandbox_or_an_image_url(panel_api: PanelAPI,
                                                    panel_sandbox: Any) -> None:
    tune_id, _ = tune_with_pictures(panel_api)
    host = panel_sandbox.url.split("//", 1)[1]
    for path, params in (("status", {}), ("tunes", {"limit": 100}), (f"tunes/{tune_id}", {})):
        text = panel_api.get(path, **params).text
        assert host not in text, path
        assert "http://" not in text and "https://" not in text, path
