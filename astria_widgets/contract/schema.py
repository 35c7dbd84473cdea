"""The API contract's schema files: loading, endpoint lookup and compiled validators.

One JSON Schema file per resource lives in ``contract/schema/`` (``tunes.json``,
``prompts.json``...; shared types in ``common.json``). Each holds its definitions under ``$defs``
and its endpoints under ``x-endpoints``: ``{id, method, path, request, response, status, doc}``,
``request``/``response`` being references to the schemas of the parameters (query or body,
as the API reads them) and of a 2xx answer's body. Files refer to each other by relative
``$ref`` (``tunes.json#/$defs/tune``); nothing is fetched from the network.

:class:`Contract` finds the endpoint of a method and path (``.json`` suffix and all),
validates with one compiled validator per schema (built once, cached) and turns validation
errors into :class:`Difference` records: a field that is ``new`` (not in the schema),
``missing`` (required but absent), of another ``type``, or with another ``value`` form
(pattern, enum, range). A difference names fields and JSON types only, never a value.

Speed: every request and answer of the test suite goes through here, so the yes/no question
is asked of a compiled check first: the schema with its references inlined, compiled to
Python by ``fastjsonschema`` (about 50 times faster than walking the schema). Only when it
says no does ``jsonschema`` (the reference validator, Draft 2020-12) list the differences;
when the two disagree ``jsonschema`` wins (``tests/contract/test_schema.py`` checks that they
agree on many altered answers).
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fastjsonschema
    import jsonschema
    from referencing import Registry, Resource
except ImportError as exc:  # pragma: no cover - a broken install
    raise ImportError(
        "the API contract needs jsonschema and fastjsonschema: "
        "pip install 'jsonschema>=4.18' 'fastjsonschema>=2.16'"
    ) from exc

SCHEMA_DIR = Path(__file__).with_name("schema")
BASE_URI = "https://astria-widgets.invalid/contract/"
_ID_SEGMENT = r"[0-9]+"
_SLUG_SEGMENT = r"[^/]+"


@dataclass(frozen=True)
class Endpoint:
    """One documented endpoint: ``id`` (T1, P4...), ``method``, ``path`` (``/tunes/{id}``),
    the schema references of its parameters and answer, the 2xx statuses and its docs page."""

    id: str
    method: str
    path: str
    resource: str
    request: str
    response: str
    status: tuple[int, ...]
    doc: str

    @property
    def label(self) -> str:
        """``"GET /tunes/{id}"``: how reports name the endpoint (no ids, no query)."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Difference:
    """One way a request or answer differs from the schema.

    ``kind``: ``new`` (a field the schema does not have), ``missing`` (a required field is
    absent), ``type`` (another JSON type), ``value`` (the type is right but its form is not:
    pattern, enum, range), ``shape`` (the body as a whole). ``field`` is a path such as
    ``[].orig_images[]`` or ``tune.branch`` (map keys shown as ``*``); ``expected`` and
    ``found`` are types or keyword names, never values.
    """

    endpoint: str
    part: str
    field: str
    kind: str
    expected: str = ""
    found: str = ""

    def line(self) -> str:
        """One readable line: ``GET /tunes response [].eta: type (expected ..., found ...)``."""
        extra = ""
        if self.expected or self.found:
            extra = f" (expected {self.expected or '-'}, found {self.found or '-'})"
        return f"{self.endpoint} {self.part} {self.field}: {self.kind}{extra}"

    def as_dict(self) -> dict[str, str]:
        """The difference as a JSON-able dict."""
        return {"endpoint": self.endpoint, "part": self.part, "field": self.field,
                "kind": self.kind, "expected": self.expected, "found": self.found}


def json_type(value: Any) -> str:
    """The JSON type name of a decoded JSON value (``integer`` for whole numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            parts.append(_SLUG_SEGMENT if segment == "{pack}" else _ID_SEGMENT)
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")


class Contract:
    """The schema files of one directory (default: the package's), ready to validate."""

    def __init__(self, directory: Path | str = SCHEMA_DIR) -> None:
        self.directory = Path(directory)
        self.documents: dict[str, dict[str, Any]] = {}
        for path in sorted(self.directory.glob("*.json")):
            self.documents[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        if not self.documents:
            raise FileNotFoundError(f"no schema files in {self.directory}")
        resources = [(doc.get("$id", BASE_URI + name + ".json"), Resource.from_contents(doc))
                     for name, doc in self.documents.items()]
        self.registry: Registry = Registry().with_resources(resources)
        self.endpoints: list[Endpoint] = []
        self._patterns: list[tuple[re.Pattern[str], Endpoint]] = []
        for name, doc in self.documents.items():
            for item in doc.get("x-endpoints", []):
                endpoint = Endpoint(
                    id=item["id"], method=item["method"].upper(), path=item["path"],
                    resource=name, request=self._absolute(name, item["request"]),
                    response=self._absolute(name, item["response"]),
                    status=tuple(item.get("status", (200,))), doc=item.get("doc", ""))
                self.endpoints.append(endpoint)
                self._patterns.append((_path_pattern(endpoint.path), endpoint))
        self._validators: dict[str, Any] = {}
        self._checks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _absolute(self, resource: str, ref: str) -> str:
        base = self.documents[resource].get("$id", BASE_URI + resource + ".json")
        return base + ref if ref.startswith("#") else BASE_URI + ref

    # -- lookup ----------------------------------------------------------------------------
    def endpoint(self, method: str, path: str) -> Endpoint | None:
        """The endpoint serving ``method`` on ``path`` (``/tunes/5.json`` is ``/tunes/{id}``),
        else None (files, sandbox control routes and anything undocumented)."""
        clean = "/" + path.split("?", 1)[0].strip("/")
        if clean.endswith(".json"):
            clean = clean[: -len(".json")]
        method = method.upper()
        for pattern, endpoint in self._patterns:
            if endpoint.method == method and pattern.match(clean):
                return endpoint
        return None

    def schema(self, ref: str) -> Any:
        """The schema a reference (absolute, or ``file.json#/$defs/x``) points at."""
        uri = ref if ref.startswith("http") else BASE_URI + ref
        return self.registry.resolver().lookup(uri).contents

    def inlined(self, ref: str) -> Any:
        """The schema ``ref`` with every ``$ref`` replaced by its target (the files have no
        cycles); a ``$ref`` beside other keywords becomes ``allOf: [target, the others]``."""
        uri = ref if ref.startswith("http") else BASE_URI + ref
        return self._inline(self.schema(uri), uri.split("#", 1)[0])

    def _inline(self, node: Any, base: str) -> Any:
        if isinstance(node, list):
            return [self._inline(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        rest = {key: self._inline(value, base) for key, value in node.items()
                if key != "$ref" and not key.startswith("x-")}
        ref = node.get("$ref")
        if ref is None:
            return rest
        uri = base + ref if ref.startswith("#") else (
            ref if ref.startswith("http") else BASE_URI + ref)
        target = self._inline(self.schema(uri), uri.split("#", 1)[0])
        return {"allOf": [target, rest]} if rest else target

    def is_valid(self, ref: str, instance: Any) -> bool:
        """The fast yes/no: the compiled check of ``ref`` (built once, cached)."""
        uri = ref if ref.startswith("http") else BASE_URI + ref
        check = self._checks.get(uri)
        if check is None:
            with self._lock:
                check = self._checks.get(uri)
                if check is None:
                    check = fastjsonschema.compile(self.inlined(uri))
                    self._checks[uri] = check
        try:
            check(instance)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    def validator(self, ref: str) -> Any:
        """The reference validator (``jsonschema``, Draft 2020-12) of one schema, cached."""
        uri = ref if ref.startswith("http") else BASE_URI + ref
        found = self._validators.get(uri)
        if found is None:
            with self._lock:
                found = self._validators.get(uri)
                if found is None:
                    found = jsonschema.Draft202012Validator({"$ref": uri},
                                                            registry=self.registry)
                    self._validators[uri] = found
        return found

    # -- checking --------------------------------------------------------------------------
    def differences(self, ref: str, instance: Any, *, endpoint: str = "",
                    part: str = "") -> list[Difference]:
        """Every way ``instance`` differs from the schema ``ref`` (empty when it conforms)."""
        if self.is_valid(ref, instance):
            return []
        validator = self.validator(ref)
        found: dict[tuple[str, str], Difference] = {}
        for error in validator.iter_errors(instance):
            for diff in _classify(error, endpoint, part):
                found.setdefault((diff.field, diff.kind), diff)
        return list(found.values())

    def request_differences(self, endpoint: Endpoint, params: Any) -> list[Difference]:
        """How the parameters of a request (query and body as the API reads them) differ."""
        return self.differences(endpoint.request, params, endpoint=endpoint.label,
                                part="request")

    def response_differences(self, endpoint: Endpoint, body: Any) -> list[Difference]:
        """How a 2xx answer's body (None when empty) differs from the documented answer."""
        return self.differences(endpoint.response, body, endpoint=endpoint.label,
                                part="response")


@functools.lru_cache(maxsize=1)
def load_contract() -> Contract:
    """The package's contract (loaded once per process)."""
    return Contract()


# -- validation errors -> differences ----------------------------------------------------------
_SKIP_NEXT = {"properties", "patternProperties", "$defs", "anyOf", "oneOf", "allOf",
              "prefixItems", "dependentSchemas"}


def _field(schema_path: Iterable[Any], extra: str | None = None) -> str:
    """A field path from a schema path: properties by name, items as ``[]``, map values ``*``."""
    tokens = list(schema_path)
    out = ""
    index = 0
    while index < len(tokens) - 1:  # the last token is the failing keyword
        token = tokens[index]
        if token == "properties":
            out += f".{tokens[index + 1]}"
            index += 2
            continue
        if token == "items":
            out += "[]"
        elif token in ("additionalProperties", "patternProperties"):
            out += ".*"
        if token in _SKIP_NEXT:
            index += 2
            continue
        index += 1
    if extra is not None:
        out += f".{extra}"
    return out.lstrip(".") or "(body)"


def _types(schema: dict[str, Any]) -> str:
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return " or ".join(kinds)
    return str(kinds or "")


def _classify(error: Any, endpoint: str, part: str) -> Iterator[Difference]:
    keyword = error.validator
    path = list(error.absolute_schema_path)
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        for name in error.instance:
            if name not in known:
                yield Difference(endpoint, part, _field(path, str(name)), "new",
                                 found=json_type(error.instance[name]))
        return
    if keyword == "required" and isinstance(error.instance, dict):
        for name in error.validator_value:
            if name not in error.instance:
                yield Difference(endpoint, part, _field(path, str(name)), "missing")
        return
    if keyword in ("anyOf", "oneOf") and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        if best is not None and best.validator not in ("anyOf", "oneOf"):
            yield from _classify(best, endpoint, part)
            return
    found = json_type(error.instance)
    if keyword == "type":
        yield Difference(endpoint, part, _field(path), "type", _types(error.schema), found)
    elif keyword in ("anyOf", "oneOf"):
        yield Difference(endpoint, part, _field(path), "shape", keyword, found)
    else:
        yield Difference(endpoint, part, _field(path), "value", str(keyword), found)
