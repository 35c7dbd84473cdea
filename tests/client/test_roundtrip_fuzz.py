"""Issue 6 "Fuzzing": the bracket encoder round-trips arbitrary values through the sandbox.

Multipart (with a training image) and JSON bodies are both generated; every value sent is
read back from the created tune and its prompts.
"""

from __future__ import annotations

from client_helpers import photos
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1, max_size=40,
).map(str.strip).filter(bool)
KEYS = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
IMAGE = photos(1, start=50)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXT, chars=st.dictionaries(KEYS, TEXT, max_size=3),
       texts=st.lists(TEXT, min_size=1, max_size=3), multipart=st.booleans(),
       steps=st.integers(min_value=1, max_value=5000), face_crop=st.booleans())
def test_tune_fields_round_trip(client, title, chars, texts, multipart, steps, face_crop):
    images = {"images": IMAGE} if multipart else {"image_urls": ["https://example.com/a.jpg"]}
    tune = client.create_tune(name="man", title=title, characteristics=chars or None,
                              prompts=texts, branch="fast", steps=steps, face_crop=face_crop,
                              **images)
    back = client.get_tune(tune["id"])
    assert back["title"] == title
    assert back["steps"] == steps and back["face_crop"] is face_crop
    assert (back.get("characteristics") or {}) == chars
    assert sorted(p["text"] for p in client.list_prompts(tune["id"])) == sorted(texts)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT, negative=TEXT, seed=st.integers(min_value=0, max_value=2**32 - 1),
       with_file=st.booleans())
def test_prompt_fields_round_trip(client, text, negative, seed, with_file):
    extra = {"input_image": IMAGE[0]} if with_file else {}
    prompt = client.create_prompt(1504944, text, negative_prompt=negative, seed=seed, **extra)
    back = client.get_prompt(1504944, prompt["id"])
    assert (back["text"], back["negative_prompt"], back["seed"]) == (text, negative, seed)
    assert bool(back.get("input_image")) is with_file
