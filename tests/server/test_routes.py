"""The panel's HTTP API on a real Jupyter server: authentication, paging, a tune's prompts,
error codes, and the key never in a response."""

from __future__ import annotations

import re

import pytest
import requests

from astria_widgets.server.handlers import PREFIX, ROUTES

from .conftest import CANARY_KEY, SEEDED, PanelAPI


def concrete(path: str, tune_id: int) -> str:
    """A route pattern with its id group filled in."""
    return re.sub(r"\(\\d\+\)", str(tune_id), path)


def first_tune_id(panel_api: PanelAPI) -> int:
    return panel_api.get("tunes", limit=1).json()["tunes"][0]["id"]


def test_every_route_needs_the_servers_authentication(panel_api: PanelAPI) -> None:
    tune_id = first_tune_id(panel_api)
    assert len(ROUTES) == 3
    for path, _handler in ROUTES:
        answer = panel_api.get(concrete(path, tune_id), auth=False)
        assert answer.status_code == 403, (path, answer.status_code)
        assert panel_api.get(concrete(path, tune_id)).status_code == 200, path


def test_a_wrong_token_is_refused_too(panel_api: PanelAPI) -> None:
    answer = requests.get(panel_api.url("status"), headers={"Authorization": "token nope"},
                          timeout=30)
    assert answer.status_code == 403


def test_every_handler_method_is_wrapped_by_authenticated() -> None:
    for _path, handler in ROUTES:
        method = handler.get
        assert getattr(method, "__wrapped__", None) is not None, handler.__name__
    assert PREFIX == "astria-widgets/api"


def test_status_names_the_sandbox_account_and_balance_in_dollars(
    panel_api: PanelAPI, canary_client
) -> None:
    status = panel_api.get("status").json()
    account = canary_client.account()
    assert status["api"] == "sandbox"
    assert status["account"]["id"] == account["id"]
    assert status["account"]["email"] == account["email"]
    assert status["balance_usd"] == pytest.approx(account["usd_balance_mc"] / 100_000)
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


def test_a_tune_row_carries_the_status_rule_and_a_thumbnail(panel_api: PanelAPI) -> None:
    rows = panel_api.get("tunes", limit=100).json()["tunes"]
    statuses = {row["status"] for row in rows}
    assert statuses <= {"queued", "training", "trained", "failed", "expired"}
    assert {"trained", "expired"} & statuses
    for row in rows:
        if row["status"] in ("trained", "expired"):
            assert row["progress"] == 1.0
        assert row["thumbnail"] is None or row["thumbnail"].startswith("http")


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
    tune_id = first_tune_id(panel_api)
    answers = [panel_api.get(concrete(path, tune_id)) for path, _ in ROUTES]
    answers += [panel_api.get(concrete(path, tune_id), auth=False) for path, _ in ROUTES]
    answers += [panel_api.get("tunes", limit="x"), panel_api.get("tunes/999999999"),
                panel_api.get("tunes", search=CANARY_KEY[:8])]
    assert len(answers) == 9
    for answer in answers:
        assert CANARY_KEY not in answer.text
        assert CANARY_KEY[-12:] not in answer.text
        assert all(CANARY_KEY not in value for value in answer.headers.values())
