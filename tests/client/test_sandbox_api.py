"""The client against a running sandbox over loopback: every endpoint, paging, waits."""

from __future__ import annotations

import threading

import pytest
from client_helpers import photos

from astria_widgets.client import (
    BadRequestError,
    InputError,
    NotFoundError,
    WaitTimeout,
    prompt_status,
    tune_status,
)


def _fast_tune(client, **kw):
    args = {"name": "man", "image_urls": ["https://example.com/a.jpg"], "branch": "fast"}
    return client.create_tune(**{**args, **kw})


def test_four_images_two_prompts_trained_and_both_prompts_get_images(client):
    progress = []
    tune = client.create_tune(
        name="woman", images=photos(4), branch="sd15", token="ohwx",
        prompts=["ohwx woman as an astronaut", {"text": "ohwx woman on a beach", "num_images": 2}],
        on_progress=lambda sent, total: progress.append((sent, total)),
    )
    assert tune["name"] == "woman" and tune_status(tune) in {"queued", "training"}
    assert len(tune["orig_images"]) == 4
    assert progress and progress[-1][0] == progress[-1][1] > 4 * 10_000
    updates = []
    final = client.wait_for_tune(tune["id"], timeout=60, on_update=updates.append)
    assert tune_status(final) == "trained" and final["trained_at"]
    assert updates[0]["id"] == tune["id"] and updates[-1] == final
    prompts = client.list_prompts(tune["id"])
    assert sorted(p["text"] for p in prompts) == ["ohwx woman as an astronaut",
                                                 "ohwx woman on a beach"]
    for prompt in prompts:
        done = client.wait_for_prompt(tune["id"], prompt["id"], timeout=60)
        assert prompt_status(done) == "done"
        assert len(done["images"]) == (2 if "beach" in done["text"] else 1)
        assert client.fetch_bytes(done["images"][0]).startswith(b"\x89PNG")
    assert client.fetch_bytes(final["orig_images"][0]) == photos(1)[0][1]


def test_create_by_json_retrieve_update_fields_and_delete(client):
    tune = _fast_tune(client, title="json tune", steps=300, face_crop=True,
                      characteristics={"eye_color": "blue eyes"})
    got = client.get_tune(tune["id"])
    assert got["title"] == "json tune" and got["branch"] == "fast" and got["steps"] == 300
    assert got["characteristics"] == {"eye_color": "blue eyes"}
    assert client.list_tunes(title="json")[0]["id"] == tune["id"]
    client.delete_tune(tune["id"])
    with pytest.raises(NotFoundError, match=f"/tunes/{tune['id']}"):
        client.get_tune(tune["id"])


def test_default_titles_are_unique(client):
    a, b = _fast_tune(client), _fast_tune(client)
    assert a["title"] != b["title"] and a["id"] != b["id"]


def test_tune_pagination_over_three_pages(client):
    ids = [_fast_tune(client)["id"] for _ in range(7)]
    newest_first = sorted(ids, reverse=True)
    first = client.list_tunes(limit=3)
    assert [t["id"] for t in first] == newest_first[:3]
    second = client.list_tunes(limit=3, before_id=first[-1]["id"])
    assert [t["id"] for t in second] == newest_first[3:6]
    assert [t["id"] for t in client.iter_tunes(page_size=3)] == newest_first
    assert [t["id"] for t in client.iter_tunes(page_size=3, before_id=ids[3])] == \
        newest_first[4:]
    assert [t["id"] for t in client.list_tunes(limit=2, offset=2)] == newest_first[2:4]
    with pytest.raises(BadRequestError, match="before_id"):
        client.list_tunes(offset=500)


def test_prompts_endpoints(client):
    tune = client.wait_for_tune(_fast_tune(client)["id"], timeout=30)
    made = [client.create_prompt(tune["id"], f"ohwx man number {i}", seed=i) for i in range(5)]
    assert all(p["tune_id"] == tune["id"] for p in made)
    ids = sorted((p["id"] for p in made), reverse=True)
    assert [p["id"] for p in client.list_prompts(tune["id"], limit=2)] == ids[:2]
    assert [p["id"] for p in client.iter_prompts(tune["id"], page_size=2)] == ids
    assert [p["id"] for p in client.iter_prompts(page_size=2)] == ids  # account-wide
    assert client.get_prompt(None, ids[0])["text"] == client.get_prompt(tune["id"], ids[0])["text"]
    done = client.wait_for_prompt(None, ids[0], timeout=30)
    copy = client.duplicate_prompt(ids[0], seed=99)
    assert copy["id"] not in ids and copy["text"] == done["text"] and copy["seed"] == 99
    client.like_prompt(ids[0])
    client.like_prompt(ids[0])  # harmless twice
    client.unlike_prompt(ids[0])
    client.delete_prompt(ids[1])
    client.delete_prompt(ids[2], tune_id=tune["id"])
    for gone in ids[1:3]:
        with pytest.raises(NotFoundError):
            client.get_prompt(None, gone)


def test_prompt_on_a_gallery_base_tune_waits_for_the_referenced_lora(client):
    tune = _fast_tune(client, model_type="lora", branch="sd15")  # still queued
    prompt = client.create_prompt(1504944, f"<lora:{tune['id']}:1> ohwx man", num_images=1)
    assert prompt["tune_id"] == 1504944 and prompt_status(prompt) == "pending"
    assert client.list_prompts(1504944)[0]["id"] == prompt["id"]
    done = client.wait_for_prompt(1504944, prompt["id"], timeout=60)
    assert prompt_status(done) == "done"
    assert tune_status(client.get_tune(tune["id"])) == "trained"


def test_packs_and_tune_from_pack(client):
    gallery = client.list_packs(gallery=True)
    assert gallery and all("slug" in p for p in gallery)
    pack = client.get_pack(gallery[0]["slug"])
    assert pack["id"] == gallery[0]["id"] == client.get_pack(gallery[0]["id"])["id"]
    assert isinstance(client.list_packs(), list)
    cls = next(iter(pack.get("costs") or pack.get("prompts_per_class")))
    tune = client.create_tune_from_pack(pack["id"], name=cls, image_urls=["https://e.x/1.jpg"])
    assert tune["id"] and client.get_tune(tune["id"])["name"] == cls


def test_account_and_repr(client, api_key):
    assert client.account()["id"]
    assert api_key not in repr(client) and client.is_sandbox


def test_failed_tune_and_failed_prompt_are_final_states(client):
    tune = _fast_tune(client, title="demo [fail]", branch="sd15")
    final = client.wait_for_tune(tune["id"], timeout=60)
    assert tune_status(final) == "failed" and final["error"].startswith("Training failed")
    ok = client.wait_for_tune(_fast_tune(client)["id"], timeout=30)
    bad = client.create_prompt(ok["id"], "a cat [fail]")
    assert prompt_status(client.wait_for_prompt(ok["id"], bad["id"], timeout=30)) == "failed"


def test_wait_stop_and_timeout(client):
    tune = _fast_tune(client, branch="sd15")
    stop = threading.Event()
    stop.set()
    assert tune_status(client.wait_for_tune(tune["id"], stop=stop)) in {"queued", "training"}
    with pytest.raises(WaitTimeout) as info:
        client.wait_for_tune(tune["id"], timeout=0.05)
    assert info.value.last_record["id"] == tune["id"]


def test_bad_ids_never_reach_the_server(client):
    with pytest.raises(InputError):
        client.delete_prompt("12; DROP TABLE")
