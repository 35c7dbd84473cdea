"""Bracket-key encoding: flattening, JSON cleaning, query strings, multipart round trip,
and reading bracketed fields back (``unflatten``, what the API contract checks requests with)."""

from __future__ import annotations

import io

from werkzeug.formparser import parse_form_data

from astria_widgets.client.encoding import (
    clean_json,
    flatten,
    has_files,
    query_params,
    unflatten,
)
from astria_widgets.client.uploads import multipart_body


def test_flatten_uses_rack_bracket_keys():
    tune = {
        "title": "t", "name": "man", "steps": 500, "face_crop": True, "branch": None,
        "image_urls": ["https://a/1.jpg", "https://a/2.jpg"],
        "characteristics": {"eye_color": "blue eyes"},
        "prompts_attributes": [{"text": "a", "num_images": 2}, {"text": "b", "seed": 7}],
    }
    assert flatten("tune", tune) == [
        ("tune[title]", "t"), ("tune[name]", "man"), ("tune[steps]", "500"),
        ("tune[face_crop]", "true"),
        ("tune[image_urls][]", "https://a/1.jpg"), ("tune[image_urls][]", "https://a/2.jpg"),
        ("tune[characteristics][eye_color]", "blue eyes"),
        ("tune[prompts_attributes][0][text]", "a"),
        ("tune[prompts_attributes][0][num_images]", "2"),
        ("tune[prompts_attributes][1][text]", "b"),
        ("tune[prompts_attributes][1][seed]", "7"),
    ]


def test_files_stay_parts_and_are_detected():
    part = ("a.jpg", b"\xff\xd8data", "image/jpeg")
    assert flatten("tune", {"images": [part]}) == [("tune[images][]", part)]
    assert has_files({"tune": {"images": [part]}}) and not has_files({"tune": {"x": "y"}})


def test_clean_json_drops_none_recursively():
    assert clean_json({"a": None, "b": {"c": None, "d": 1}, "e": [{"f": None}]}) == {
        "b": {"d": 1}, "e": [{}]}


def test_query_params_lists_and_booleans():
    assert query_params({"name": ["man", "woman"], "is_api": True, "x": None, "limit": 5}) == [
        ("name[]", "man"), ("name[]", "woman"), ("is_api", "true"), ("limit", "5")]


def test_multipart_round_trips_through_a_form_parser_and_reports_progress():
    part = ("ph oto é.jpg", bytes(range(256)) * 40, "image/jpeg")
    fields = flatten("tune", {"title": "naïve ✓ [x]", "images": [part, part],
                              "prompts_attributes": [{"text": "line1\nline2"}]})
    progress = []
    monitor, content_type = multipart_body(fields, lambda sent, total: progress.append(
        (sent, total)))
    body = monitor.read()
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": content_type,
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    _, form, files = parse_form_data(environ)
    assert form["tune[title]"] == "naïve ✓ [x]"
    assert form["tune[prompts_attributes][0][text]"] == "line1\nline2"
    uploaded = files.getlist("tune[images][]")
    assert [f.read() for f in uploaded] == [part[1], part[1]]
    assert uploaded[0].filename == "ph oto é.jpg"
    assert progress[-1] == (len(body), len(body))
    assert all(a <= b for (a, _), (b, _) in zip(progress, progress[1:], strict=False))


def test_unflatten_reads_back_what_flatten_wrote():
    part = ("a.jpg", b"\xff\xd8data", "image/jpeg")
    tune = {
        "title": "t", "steps": "500", "images": [part, part],
        "image_urls": ["https://a/1.jpg", "https://a/2.jpg"],
        "characteristics": {"eye_color": "blue eyes"},
        "prompts_attributes": [{"text": "a", "num_images": "2"}, {"text": "b"}],
    }
    assert unflatten(flatten("tune", tune)) == {"tune": tune}
    assert unflatten(query_params({"name": ["man", "woman"], "limit": 3})) == {
        "name": ["man", "woman"], "limit": "3"}


def test_unflatten_reads_racks_append_form_of_a_list_of_hashes():
    fields = [("tune[prompts_attributes][][text]", "a"),
              ("tune[prompts_attributes][][inpaint_faces]", "true"),
              ("tune[prompts_attributes][][text]", "b"), ("plain", "x"), ("odd]", "y")]
    assert unflatten(fields) == {"tune": {"prompts_attributes": [
        {"text": "a", "inpaint_faces": "true"}, {"text": "b"}]}, "plain": "x", "odd]": "y"}
