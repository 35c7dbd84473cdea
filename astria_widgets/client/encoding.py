"""Rails/Rack bracket-key encoding of request bodies and query strings.

The API takes nested parameters under a root key, as JSON (``{"tune": {...}}``) or as form
fields with bracketed keys (``tune[title]``, ``tune[images][]``,
``tune[prompts_attributes][0][text]``, ``tune[characteristics][eye_color]``). Files force
multipart, and multipart can only carry the bracketed spelling, so this module turns one
nested ``dict`` into either form:

- :func:`flatten` -> ``[(key, value), ...]`` form fields (scalars as strings, files kept as
  ``(filename, bytes, content_type)`` triples); ``None`` is left out, booleans are
  ``true``/``false``, lists of scalars use ``key[]``, lists of hashes use indexed keys;
- :func:`clean_json` -> the same tree for a JSON body with ``None`` values removed;
- :func:`query_params` -> query-string pairs (lists as ``name[]``, booleans ``true``/``false``);
- :func:`unflatten` reads bracketed fields back into the tree, as Rack does (the API contract
  checks what was sent with it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FilePart = tuple[str, bytes, str]
Field = tuple[str, "str | FilePart"]


def is_file_part(value: Any) -> bool:
    """True for an upload part: a ``(filename, bytes, content_type)`` triple."""
    return (
        isinstance(value, tuple)
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], (bytes, bytearray))
        and isinstance(value[2], str)
    )


def scalar_text(value: Any) -> str:
    """The form spelling of a scalar: booleans ``true``/``false``, numbers as ``str``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flatten(root: str, value: Any) -> list[Field]:
    """Flatten a nested value under ``root`` into bracketed form fields, order preserved."""
    out: list[Field] = []
    _flatten_into(out, root, value)
    return out


def _flatten_into(out: list[Field], key: str, value: Any) -> None:
    if value is None:
        return
    if is_file_part(value):
        out.append((key, value))
    elif isinstance(value, Mapping):
        for sub, item in value.items():
            _flatten_into(out, f"{key}[{sub}]", item)
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        if any(isinstance(item, Mapping) for item in value):
            for index, item in enumerate(value):
                _flatten_into(out, f"{key}[{index}]", item)
        else:
            for item in value:
                if item is None:
                    continue
                if is_file_part(item):
                    out.append((f"{key}[]", item))
                else:
                    out.append((f"{key}[]", scalar_text(item)))
    else:
        out.append((key, scalar_text(value)))


def clean_json(value: Any) -> Any:
    """A copy of a JSON tree with ``None`` values left out of every mapping."""
    if isinstance(value, Mapping):
        return {str(k): clean_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def has_files(value: Any) -> bool:
    """True when a nested value contains an upload part anywhere."""
    if is_file_part(value):
        return True
    if isinstance(value, Mapping):
        return any(has_files(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_files(v) for v in value)
    return False


def query_params(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query-string pairs: ``None`` dropped, lists as repeated ``name[]``, bools lower-case."""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            name = key if key.endswith("[]") else f"{key}[]"
            out.extend((name, scalar_text(v)) for v in value if v is not None)
        else:
            out.append((key, scalar_text(value)))
    return out


_BRACKETS = re.compile(r"\[([^\]]*)\]")


def _key_parts(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket or not head:
        return [key]
    return [head, *_BRACKETS.findall("[" + rest)]


def _holds(node: dict[str, Any], parts: list[str]) -> bool:
    """True when storing ``parts`` into ``node`` would repeat a key it already has."""
    child: Any = node
    for part in parts:
        if not isinstance(child, dict) or part == "" or part not in child:
            return False
        child = child[part]
    return True


def _store(node: dict[str, Any], parts: list[str], value: Any) -> None:
    name, rest = parts[0], parts[1:]
    if not rest:
        node[name] = value
        return
    if rest[0] == "":  # name[] -> a list; name[][key] -> a list of hashes (Rack's append form)
        items = node.get(name)
        if not isinstance(items, list):
            items = node[name] = []
        if len(rest) == 1:
            items.append(value)
            return
        if not items or not isinstance(items[-1], dict) or _holds(items[-1], rest[1:]):
            items.append({})
        _store(items[-1], rest[1:], value)
        return
    child = node.get(name)
    if not isinstance(child, dict):
        child = node[name] = {}
    _store(child, rest, value)


def _indexed_lists(value: Any) -> Any:
    if isinstance(value, list):
        return [_indexed_lists(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _indexed_lists(v) for k, v in value.items()}
    if out and all(k.isdigit() for k in out):  # name[0][text], name[1][text] -> a list
        return [out[k] for k in sorted(out, key=int)]
    return out


def unflatten(fields: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The nested tree of bracketed form or query fields: the inverse of :func:`flatten`.

    ``tune[title]`` -> ``{"tune": {"title": ...}}``; ``name[]`` repeated -> a list;
    ``key[0][text]`` (indexed) -> a list of hashes; ``key[][text]`` (Rack's append form) starts
    a new hash whenever a key of the last one repeats. Values are kept as given.
    """
    root: dict[str, Any] = {}
    for key, value in fields:
        _store(root, _key_parts(str(key)), value)
    return _indexed_lists(root)
