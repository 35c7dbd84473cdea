"""Request parameters: Rack bracket-key parsing, query parameters and paging.

- ``parse_body()`` turns a multipart, urlencoded or JSON body into one nested dict. Form keys
  follow Rack's ``normalize_params``: ``tune[title]``, ``tune[images][]`` (array, order kept),
  ``tune[prompts_attributes][0][text]`` (indexed hashes, turned into a list ordered by index)
  and ``tune[prompts_attributes][][text]`` (append form: a new hash starts when a key that the
  last hash already has is repeated), ``tune[characteristics][eye_color]``.
- ``Validator`` (:mod:`.validator`) coerces strings to bool/int/float by the rules of
  :mod:`.scalars` (booleans case-insensitive: true/false/1/0/yes/no/on/off), collects every
  problem as ``{field: [messages]}`` and raises ``ValidationFailed`` (answered with 422
  ``{"error": summary, "errors": {...}}``).
- ``paging()`` reads ``limit``/``before_id``/``offset`` per section 4 of the API notes.

Ambiguity #9: chose to clamp ``limit`` to [1, 120] (gallery lists: [1, 500]), and to answer an
``offset`` above the documented bound (200 for tunes, 10,000 for prompts) with 400 pointing to
``before_id``; ``offset`` of exactly the bound is allowed; non-integers are 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from .scalars import to_bool, to_int

_ROOT = re.compile(r"^([^\[\]]*)")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class BadRequest(Exception):
    """A malformed request: answered with 400 ``{"error": message}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(Exception):
    """Invalid parameters: answered with 422 ``{"error": summary, "errors": {...}}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        """One sentence listing every problem (``field message; ...``)."""
        parts = [f"{field} {msg}" for field, msgs in self.errors.items() for msg in msgs]
        return "Validation failed: " + "; ".join(parts)


# -- Rack bracket keys ----------------------------------------------------------------------


def _split_key(name: str) -> tuple[str, list[str]]:
    root = _ROOT.match(name).group(1)  # type: ignore[union-attr]
    rest = name[len(root) :]
    segments = _SEGMENT.findall(rest)
    if not root and segments:  # "[a][b]" -> root "a"
        root, segments = segments[0], segments[1:]
    return root, segments


def _has_path(container: Any, segments: list[str]) -> bool:
    node = container
    for seg in segments:
        if seg == "":
            return False
        if not isinstance(node, dict) or seg not in node:
            return False
        node = node[seg]
    return True


def _normalize(params: dict, root: str, segments: list[str], value: Any) -> None:
    if not segments:
        params[root] = value
        return
    head, rest = segments[0], segments[1:]
    if head == "":
        array = params.setdefault(root, [])
        if not isinstance(array, list):
            raise BadRequest(f"conflicting types for parameter {root!r}: expected an array")
        if not rest:
            array.append(value)
            return
        if array and isinstance(array[-1], dict) and not _has_path(array[-1], rest):
            _normalize(array[-1], rest[0], rest[1:], value)
        else:
            child: dict = {}
            array.append(child)
            _normalize(child, rest[0], rest[1:], value)
        return
    child = params.setdefault(root, {})
    if not isinstance(child, dict):
        raise BadRequest(f"conflicting types for parameter {root!r}: expected a hash")
    _normalize(child, head, rest, value)


def rack_parse(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Nest ``(bracket_key, value)`` pairs the way Rack does."""
    params: dict[str, Any] = {}
    for name, value in pairs:
        root, segments = _split_key(name)
        if not root:
            continue
        _normalize(params, root, segments, value)
    return params


class OrderedPairs(ImmutableMultiDict):
    """A MultiDict that also remembers its pairs in arrival order (``.pairs``).

    Werkzeug's MultiDict groups values by key, which loses the interleaving that Rack's
    append form (``a[][x]=1&a[][y]=2&a[][x]=3``) depends on.
    """

    def __init__(self, mapping: Any = None) -> None:
        super().__init__(mapping)
        if isinstance(mapping, (list, tuple)):
            self.pairs = list(mapping)
        elif isinstance(mapping, ImmutableMultiDict):
            self.pairs = list(getattr(mapping, "pairs", mapping.items(multi=True)))
        else:
            self.pairs = list(super().items(multi=True))


class SandboxRequest(Request):
    """Flask's request, with form and file pairs kept in arrival order."""

    parameter_storage_class = OrderedPairs


def _pairs(multidict: Any) -> list[tuple[str, Any]]:
    pairs = getattr(multidict, "pairs", None)
    return list(pairs) if pairs is not None else list(multidict.items(multi=True))


def parse_body(request: Request) -> dict[str, Any]:
    """The request body (JSON, multipart or urlencoded) as one nested dict."""
    if request.is_json:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BadRequest(f"request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BadRequest("request body must be a JSON object")
        return data
    pairs = _pairs(request.form) + _pairs(request.files)
    return rack_parse(pairs)


def root_params(request: Request, root: str) -> Any:
    """The ``root`` hash of the body (``tune[...]``, ``{"tune": {...}}``).

    Like Rails' ``wrap_parameters``, a bare JSON object is taken as the hash itself; a form
    body without ``root[...]`` keys gives an empty hash.
    """
    body = parse_body(request)
    if root in body:
        return body[root]
    return body if request.is_json else {}


def as_list(value: Any) -> list[Any]:
    """A Rack array: lists stay, index-keyed hashes become lists ordered by index."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(str(k).isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    return [value]


def query_list(request: Request, name: str) -> list[str]:
    """Values of ``name[]`` and ``name`` in the query string."""
    return [v for v in request.args.getlist(f"{name}[]") + request.args.getlist(name) if v != ""]


def query_flag(request: Request, name: str) -> bool | None:
    """A boolean query parameter: None when absent or blank; 400 when not a boolean."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return None
    try:
        return to_bool(raw)
    except ValueError:
        raise BadRequest(f"{name} must be true or false, got {raw!r}") from None


# -- paging ----------------------------------------------------------------------------------


def paging(
    request: Request, *, max_offset: int | None, max_limit: int = 120
) -> tuple[int, int | None, int]:
    """(limit, before_id, offset) of a list request; raises BadRequest per section 4."""
    args = request.args
    values: dict[str, int | None] = {}
    for name in ("limit", "before_id", "offset"):
        raw = args.get(name)
        if raw is None or raw.strip() == "":
            values[name] = None
            continue
        try:
            values[name] = to_int(raw)
        except ValueError as exc:
            raise BadRequest(f"{name} {exc}, got {raw!r}") from None
    limit = values["limit"]
    limit = 20 if limit is None else min(max(limit, 1), max_limit)
    offset = values["offset"] or 0
    if offset < 0:
        raise BadRequest("offset must not be negative")
    if max_offset is not None and offset > max_offset:
        raise BadRequest(
            f"offset {offset} is too large (maximum {max_offset}); "
            "use before_id for deep pagination"
        )
    return limit, values["before_id"], offset
