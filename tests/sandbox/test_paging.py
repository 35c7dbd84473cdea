"""Pagination (section 4 of the API notes): id desc, before_id, limit clamp, offset caps;
boolean list filters."""

from __future__ import annotations

import pytest
from sandbox_helpers import Api


def _bulk_tunes(api: Api, count: int) -> list[int]:
    return [api.make_tune(f"page {i}")["id"] for i in range(count)]


def test_before_id_walks_three_pages_without_gaps(api: Api) -> None:
    ids = _bulk_tunes(api, 25)
    seen, before, pages = [], None, 0
    while True:
        params = {"limit": 10, **({"before_id": before} if before else {})}
        page = api.get("/tunes", params=params).json()
        if not page:
            break
        pages += 1
        seen += [t["id"] for t in page]
        before = page[-1]["id"]
    assert pages == 3
    assert seen == sorted(ids, reverse=True)


def test_limit_default_and_clamp(api: Api) -> None:
    _bulk_tunes(api, 22)
    assert len(api.get("/tunes").json()) == 20
    assert len(api.get("/tunes", params={"limit": 0}).json()) == 1
    assert len(api.get("/tunes", params={"limit": -3}).json()) == 1
    assert len(api.get("/tunes", params={"limit": 500}).json()) == 22


def test_offset_caps_and_bad_values(api: Api) -> None:
    ids = _bulk_tunes(api, 5)
    assert [t["id"] for t in api.get("/tunes", params={"offset": 2}).json()] == ids[2::-1]
    assert api.get("/tunes", params={"offset": 200}).status_code == 200
    too_deep = api.get("/tunes", params={"offset": 400})
    assert too_deep.status_code == 400 and "before_id" in too_deep.json()["error"]
    assert api.get("/prompts", params={"offset": 10_000}).status_code == 200
    deep_prompts = api.get("/prompts", params={"offset": 10_001})
    assert deep_prompts.status_code == 400 and "before_id" in deep_prompts.json()["error"]
    for params in ({"limit": "ten"}, {"before_id": "x"}, {"offset": "1.5"}):
        response = api.get("/tunes", params=params)
        assert response.status_code == 400, params
        assert list(params)[0] in response.json()["error"]


def test_prompt_pages(api: Api) -> None:
    tune = api.make_tune("prompt pages")
    ids = [api.post(f"/tunes/{tune['id']}/prompts", data={"prompt[text]": f"p{i}"}).json()["id"]
           for i in range(7)]
    first = api.get(f"/tunes/{tune['id']}/prompts", params={"limit": 3}).json()
    rest = api.get(f"/tunes/{tune['id']}/prompts",
                   params={"limit": 120, "before_id": first[-1]["id"]}).json()
    assert [p["id"] for p in first + rest] == ids[::-1]


@pytest.mark.parametrize(("path", "flag"), [
    ("/gallery/packs", "public"), ("/packs", "listed"), ("/prompts", "liked"),
    ("/prompts", "is_video"),
])
def test_boolean_filters_accept_booleans_and_refuse_the_rest(api: Api, path: str,
                                                              flag: str) -> None:
    for value in ("true", "FALSE", "1", "no", ""):
        assert api.get(path, params={flag: value}).status_code == 200, value
    refused = api.get(path, params={flag: "maybe"})
    assert refused.status_code == 400
    assert refused.json()["error"] == f"{flag} must be true or false, got 'maybe'"
