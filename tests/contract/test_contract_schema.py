"""The schema of the documented API: well-formed, complete, and strict enough that a field
renamed in one place fails at once (in an answer or in a request).

Answers are taken from the session's sandbox through the client (so they are the sandbox's
real answers), copied, and changed here; the changed copies never go over the wire.
"""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from astria_widgets.contract.schema import SCHEMA_DIR, Contract, json_type, load_contract

pytestmark = pytest.mark.contract

RESOURCES = ("common", "tunes", "prompts", "packs", "likes", "workspaces", "gallery", "users",
             "images", "themes", "cli")
SOURCES = {"docs", "cli", "mcp", "sandbox"}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="module")
def answers(sandbox):
    """Real sandbox answers of the main endpoints, by endpoint label (one account per module)."""
    from astria_widgets.client import AstriaClient, PollPolicy, RetrySettings

    client = AstriaClient(api_key=sandbox.create_user(), base_url=sandbox.url, sandbox=True,
                          retry=RetrySettings.fast(), poll=PollPolicy.fast())
    tune = client.create_tune(name="dog", branch="fast",
                              image_urls=["https://example.com/dog.jpg"])
    tune = client.wait_for_tune(tune["id"], timeout=60)
    prompt = client.create_prompt(tune["id"], "ohwx dog", num_images=1)
    prompt = client.wait_for_prompt(tune["id"], prompt["id"], timeout=60)
    packs = client.list_packs(gallery=True, limit=2)
    workspace = client.create_workspace("contract")
    return {
        "GET /tunes/{id}": tune,
        "GET /tunes": client.list_tunes(),
        "GET /prompts/{id}": prompt,
        "GET /tunes/{tune_id}/prompts": client.list_prompts(tune["id"]),
        "GET /gallery/packs": packs,
        "GET /p/{pack}": client.get_pack(packs[0]["id"]),
        "GET /users": client.account(),
        "POST /workspaces": workspace,
        "POST /images/inspect": client.inspect_image("https://example.com/me.jpg", "man"),
        "GET /cli/models": client.transport.request("GET", "/cli/models"),
    }


def _endpoint(contract, label):
    method, path = label.split(" ", 1)
    for endpoint in contract.endpoints:
        if endpoint.method == method and endpoint.path == path:
            return endpoint
    raise AssertionError(f"no endpoint {label}")


def test_every_schema_file_is_a_valid_json_schema_with_resolvable_endpoints(contract):
    assert sorted(p.stem for p in SCHEMA_DIR.glob("*.json")) == sorted(RESOURCES)
    for name, document in contract.documents.items():
        jsonschema.Draft202012Validator.check_schema(document)
        assert document["$id"].endswith(f"/{name}.json")
    for endpoint in contract.endpoints:
        for ref in (endpoint.request, endpoint.response):
            assert contract.schema(ref) is not None, (endpoint.label, ref)
            contract.validator(ref)  # every reference inside resolves
            contract.inlined(ref)
    ids = [e.id for e in contract.endpoints]
    assert len(ids) == len(set(ids))


OBJECTS = {"tunes": "tune_fields", "prompts": "prompt_fields", "packs": "pack_fields",
           "users": "user", "workspaces": "workspace", "images": "inspection",
           "cli": "catalogue"}


def test_every_answer_field_says_where_it_is_documented(contract):
    for resource, name in OBJECTS.items():
        fields = contract.documents[resource]["$defs"][name]["properties"]
        for field, schema in fields.items():
            assert schema.get("x-source") in SOURCES, f"{resource}.{name}.{field}"


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("POST", "/tunes", "T1"), ("GET", "/tunes", "T2"), ("GET", "/tunes/5", "T3"),
    ("GET", "/tunes/5.json", "T3"), ("DELETE", "/tunes/5", "T4"), ("PATCH", "/tunes/5", "T5"),
    ("POST", "/tunes/1504944/prompts", "P1"), ("GET", "/tunes/5/prompts", "P2"),
    ("GET", "/prompts", "P3"), ("GET", "/tunes/5/prompts/7", "P4"), ("GET", "/prompts/7.json",
                                                                     "P5"),
    ("DELETE", "/prompts/7", "P6"), ("POST", "/prompts/7/duplicate", "P7"),
    ("PATCH", "/prompts/7", "P8"), ("GET", "/packs", "K1"), ("GET", "/gallery/packs", "K2"),
    ("GET", "/p/corporate-headshots.json", "K3"), ("POST", "/p/260/tunes", "K4"),
    ("POST", "/packs", "K5"), ("POST", "/prompts/7/likes", "L1"),
    ("DELETE", "/prompts/7/likes", "L2"), ("POST", "/images/inspect", "I1"),
    ("POST", "/themes", "H1"), ("GET", "/users", "U1"), ("GET", "/workspaces.json", "W1"),
    ("POST", "/workspaces", "W1c"), ("PATCH", "/workspaces/3.json", "W2u"),
    ("GET", "/gallery/tunes", "G1"), ("GET", "/cli/models", "X1"),
    ("GET", "/files/prompts/7/0.png", None), ("GET", "/sandbox/health", None),
    ("GET", "/tunes/abc", None),
])
def test_every_endpoint_the_kit_uses_is_found_by_method_and_path(contract, method, path,
                                                                  expected):
    found = contract.endpoint(method, path)
    assert (found.id if found else None) == expected


RENAMES = [
    ("GET /tunes/{id}", ["trained_at"]),
    ("GET /tunes/{id}", ["orig_images"]),
    ("GET /tunes", [0, "branch"]),
    ("GET /prompts/{id}", ["tune_id"]),
    ("GET /prompts/{id}", ["images"]),
    ("GET /tunes/{tune_id}/prompts", [0, "user_error"]),
    ("GET /gallery/packs", [0, "cost_mc_hash"]),
    ("GET /p/{pack}", ["prompts_per_class"]),
    ("GET /users", ["usd_balance_mc"]),
    ("POST /workspaces", ["slug"]),
    ("POST /images/inspect", ["blurry"]),
    ("GET /cli/models", ["models"]),
]


@pytest.mark.parametrize(("label", "where"), RENAMES,
                         ids=[f"{label} {'.'.join(map(str, where))}" for label, where in RENAMES])
def test_a_field_renamed_in_a_copied_answer_fails_at_once(contract, answers, label, where):
    endpoint = _endpoint(contract, label)
    original = answers[label]
    assert contract.response_differences(endpoint, original) == []  # the sandbox conforms
    changed = copy.deepcopy(original)
    holder = changed
    for step in where[:-1]:
        holder = holder[step]
    name = where[-1]
    holder[name + "_renamed"] = holder.pop(name)
    found = contract.response_differences(endpoint, changed)
    kinds = {(d.field.split(".")[-1], d.kind) for d in found}
    assert (name + "_renamed", "new") in kinds, found
    assert not contract.is_valid(endpoint.response, changed)


@pytest.mark.parametrize(("label", "params", "field"), [
    ("GET /tunes", {"limit": "5", "beforeId": "9"}, "beforeId"),
    ("POST /tunes", {"tune": {"title": "t", "name": "dog", "image_url": ["https://x.io/a.jpg"],
                              "branch": "fast"}}, "tune.image_url"),
    ("POST /tunes/{tune_id}/prompts", {"prompt": {"text": "a", "numImages": 2}},
     "prompt.numImages"),
    ("POST /themes", {"theme": {"theme": "x", "tuen_ids": [1]}}, "tune_ids"),
])
def test_a_request_parameter_renamed_fails_at_once(contract, label, params, field):
    endpoint = _endpoint(contract, label)
    found = contract.request_differences(endpoint, params)
    assert found, params
    assert any(d.field.startswith(field) for d in found), found


def _mutations(value):
    """Copies of a JSON object with one field dropped, retyped or renamed, at every level."""
    if isinstance(value, dict):
        for key in list(value):
            for change in ("drop", "string", "null", "list", "rename"):
                copy_ = dict(value)
                item = copy_.pop(key)
                if change == "string":
                    copy_[key] = "x" if not isinstance(item, str) else 7
                elif change == "null":
                    copy_[key] = None
                elif change == "list":
                    copy_[key] = [item]
                elif change == "rename":
                    copy_[key + "X"] = item
                yield copy_
            for inner in _mutations(value[key]):
                yield {**value, key: inner}
    elif isinstance(value, list) and value:
        for inner in _mutations(value[0]):
            yield [inner, *value[1:]]


def test_the_compiled_check_agrees_with_jsonschema_on_altered_answers(contract, answers,
                                                                      figures):
    tried = disagreements = 0
    for label, answer in answers.items():
        endpoint = _endpoint(contract, label)
        if isinstance(answer, list):  # one item shows every field; the rest repeat it
            answer = answer[:1]
        if label == "GET /cli/models":  # one model of each kind, for the same reason
            answer = {**answer, "models": dict(list(answer["models"].items())[:1]),
                      "video_models": dict(list(answer["video_models"].items())[:1])}
        reference = contract.validator(endpoint.response)
        for changed in _mutations(answer):
            tried += 1
            full = next(iter(reference.iter_errors(changed)), None) is None
            if contract.is_valid(endpoint.response, changed) != full:
                disagreements += 1
    figures("altered answers checked by both validators", tried=tried,
            disagreements=disagreements)
    assert tried > 1000 and disagreements == 0


def test_a_difference_names_fields_and_types_never_values(contract, answers):
    endpoint = _endpoint(contract, "GET /prompts/{id}")
    secret_url = "https://bucket.s3.amazonaws.com/x.png?X-Amz-Signature=deadbeef"
    changed = dict(answers["GET /prompts/{id}"], images=secret_url, text=12345,
                   brand_new={"nested": secret_url})
    found = contract.response_differences(endpoint, changed)
    text = json.dumps([d.as_dict() for d in found]) + "\n".join(d.line() for d in found)
    assert {"images", "text", "brand_new"} <= {d.field for d in found}
    assert "deadbeef" not in text and "12345" not in text and "amazonaws" not in text


def test_json_types_are_named_as_json_schema_names_them():
    assert [json_type(v) for v in (None, True, 3, 2.5, "s", [], {})] == [
        "null", "boolean", "integer", "number", "string", "array", "object"]


def test_a_schema_directory_without_files_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no schema files"):
        Contract(tmp_path)


@pytest.mark.parametrize(("expand", "ok"), [
    (["debug_images"], True), (["prompt.debug_images"], True), (["prompt.comments"], True),
    ("debug_images", True), (["debug"], False), (["prompt.images"], False), ("x", False),
])
def test_expand_takes_what_the_official_cli_sends(contract, expand, ok):
    endpoint = contract.endpoint("GET", "/prompts/7")
    assert (contract.request_differences(endpoint, {"expand": expand}) == []) is ok
