"""Shapes of the docs' example answers, kept as snapshot files, and comparing answers with them.

A *shape* is a value's field names and JSON types, not its values: ``"string"``,
``"integer"``, ``"number"``, ``"boolean"``, ``"null"`` (or several joined by ``|`` where the
items of an array differ), an object as a dict of field shapes, an array as ``[item shape]``
(``[]`` when the example's array is empty), and a map keyed by data (a pack's classes in
``cost_mc_hash``, ``costs``, ``prompts_per_class``) as ``{"*": value shape}``.
``contract/snapshots/*.json`` holds one file per JSON example answer of the docs
(``tools/contract/build_snapshots.py`` writes them from a checkout of astriaai/astria-docs):
``{"source", "endpoints", "shape"}``; ``"shape": null`` records a documented answer without
a body (likes, themes).

:func:`compare` lists how an answer differs from a snapshot: a field of the example that is
``missing``, or of another ``type``. A null on either side matches any type (the example's
null says nothing of the type; the schema decides nullability), an integer matches
``number``, and fields beyond the example are not differences (the examples show subsets).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from astria_widgets.contract.schema import Difference, json_type

SNAPSHOT_DIR = Path(__file__).with_name("snapshots")
#: fields whose keys are data (class names, characteristic names), not field names
MAP_FIELDS = frozenset({"cost_mc_hash", "costs", "prompts_per_class", "characteristics"})


@dataclass(frozen=True)
class Snapshot:
    """The shape of one documented example answer and the endpoints it documents."""

    name: str
    source: str
    endpoints: tuple[str, ...]
    shape: Any


def shape_of(value: Any) -> Any:
    """The shape of a decoded JSON value (see the module docstring)."""
    if isinstance(value, dict):
        return {str(key): _map_shape(item) if key in MAP_FIELDS and isinstance(item, dict)
                else shape_of(item) for key, item in value.items()}
    if isinstance(value, list):
        shapes = [shape_of(item) for item in value]
        if not shapes:
            return []
        merged = shapes[0]
        for other in shapes[1:]:
            merged = _merge(merged, other)
        return [merged]
    return json_type(value)


def _map_shape(value: dict[str, Any]) -> Any:
    shapes = [shape_of(item) for item in value.values()]
    if not shapes:
        return {}
    merged = shapes[0]
    for other in shapes[1:]:
        merged = _merge(merged, other)
    return {"*": merged}


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, item in b.items():
            out[key] = _merge(out[key], item) if key in out else item
        return out
    if isinstance(a, list) and isinstance(b, list):
        if not a or not b:
            return a or b
        return [_merge(a[0], b[0])]
    if a == b:
        return a
    names = sorted(set(_names(a)) | set(_names(b)))
    return "|".join(names)


def _names(shape: Any) -> list[str]:
    if isinstance(shape, dict):
        return ["object"]
    if isinstance(shape, list):
        return ["array"]
    return str(shape).split("|")


def compare(snapshot: Snapshot, value: Any, *, endpoint: str = "") -> list[Difference]:
    """How an answer ``value`` differs from a snapshot's shape (empty when it matches)."""
    label = endpoint or (snapshot.endpoints[0] if snapshot.endpoints else snapshot.name)
    found: dict[tuple[str, str], Difference] = {}
    for field, kind, expected, got in _walk(snapshot.shape, value, ""):
        found.setdefault((field, kind), Difference(label, f"snapshot {snapshot.name}",
                                                   field or "(body)", kind, expected, got))
    return list(found.values())


def _walk(shape: Any, value: Any, path: str) -> Iterator[tuple[str, str, str, str]]:
    if shape is None:  # a documented answer without a body
        if value is not None:
            yield path, "type", "no body", json_type(value)
        return
    if value is None:
        return
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            yield path, "type", "object", json_type(value)
            return
        if set(shape) == {"*"}:  # a map: every value has the shape
            for item in value.values():
                yield from _walk(shape["*"], item, f"{path}.*" if path else "*")
            return
        for key, sub in shape.items():
            where = f"{path}.{key}" if path else key
            if key not in value:
                yield where, "missing", "|".join(_names(sub)), ""
            else:
                yield from _walk(sub, value[key], where)
        return
    if isinstance(shape, list):
        if not isinstance(value, list):
            yield path, "type", "array", json_type(value)
            return
        if shape:
            for item in value:
                yield from _walk(shape[0], item, path + "[]")
        return
    kinds = set(str(shape).split("|"))
    got = json_type(value)
    if "null" in kinds or got in kinds or (got == "integer" and "number" in kinds):
        return
    yield path, "type", str(shape), got


@functools.lru_cache(maxsize=1)
def load_snapshots(directory: Path | str = SNAPSHOT_DIR) -> tuple[Snapshot, ...]:
    """Every snapshot file of ``directory`` (default: the package's), by file name."""
    out = []
    for path in sorted(Path(directory).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append(Snapshot(path.stem, str(data.get("source", "")),
                            tuple(data.get("endpoints", ())), data.get("shape")))
    return tuple(out)


def snapshots_for(endpoint_label: str) -> list[Snapshot]:
    """The snapshots documenting one endpoint (``"GET /tunes/{id}"``)."""
    return [s for s in load_snapshots() if endpoint_label in s.endpoints]
