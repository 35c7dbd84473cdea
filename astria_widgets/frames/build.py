"""Records -> typed DataFrame, shared by the tune and prompt frames.

One pass per field collects the raw values (``None`` where a record lacks the field), then each
column is converted once, vectorised (:mod:`astria_widgets.frames.coerce`). Nested objects and
fields outside the schema become extra columns after the schema ones (see
:mod:`astria_widgets.frames.schema`).

Rows: one per record, in the order newest first (``id`` descending, stable for equal ids).
A record without a usable id (missing, null, not an integer) keeps its row with an ``<NA>``
id, after all rows with ids; duplicate ids are kept as separate rows. A list item that is not
a dict counts as an empty record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from astria_widgets.frames import coerce
from astria_widgets.frames.schema import Column

Derive = Callable[[dict[str, Any], "RawValues"], dict[str, Any]]


class RawValues:
    """The raw (uncoerced) values of every field, read in one pass over the records.

    Records are read in small chunks; within a chunk, one ``itemgetter`` per field appends
    that field's values to its column while the chunk's dicts are still in cache. That is
    several times faster than one pass over all records per field, and it allocates no
    per-record tuple, so the cyclic GC has nothing to collect and stays on (an earlier
    version built a tuple per record and paused the GC process-wide to hide the cost).

    :meth:`take` hands a field's values over and forgets them, so the frame builder holds a
    field's raw values or its typed column, not both (a field read again after that is a
    programming error and raises ``LookupError``).
    """

    CHUNK = 256

    def __init__(self, records: Sequence[dict[str, Any]]) -> None:
        self._n = len(records)
        self._columns: dict[Any, Sequence[Any]] = {}
        self._taken: set[Any] = set()
        first = list(records[0]) if records else []
        if first and set(map(len, records)) == {len(first)}:
            try:  # the usual case: every record has the first one's keys (and no others)
                self._extract(records, first)
                return
            except KeyError:
                pass
        names = list(set().union(*records))
        template = dict.fromkeys(names)
        width = len(names)
        self._extract([r if len(r) == width else {**template, **r} for r in records], names)

    def _extract(self, records: Sequence[dict[str, Any]], names: list[Any]) -> None:
        self.keys = set(names)
        if not names or not records:
            return
        getters = [itemgetter(name) for name in names]
        columns: list[list[Any]] = [[] for _ in names]
        for start in range(0, self._n, self.CHUNK):
            chunk = records[start : start + self.CHUNK]
            for column, getter in zip(columns, getters, strict=True):
                column.extend(map(getter, chunk))
        self._columns = dict(zip(names, columns, strict=True))

    def __call__(self, name: Any) -> Sequence[Any]:
        """The value of ``name`` in every record (``None`` where absent)."""
        values = self._columns.get(name)
        if values is None:
            if name in self._taken:
                raise LookupError(f"the raw values of {name!r} were taken (keep them instead)")
            values = self._columns[name] = (None,) * self._n
        return values

    def take(self, name: Any) -> Sequence[Any]:
        """The values of ``name``, forgotten here (its typed column replaces them)."""
        values = self(name)
        del self._columns[name]
        self._taken.add(name)
        return values

    def truthy(self, name: str) -> np.ndarray:
        """Boolean array: is the raw value truthy (Python truthiness, as the client tests)."""
        if name not in self.keys or coerce.all_none(self(name)):
            return np.zeros(self._n, dtype=bool)
        return np.fromiter(map(bool, self(name)), dtype=bool, count=self._n)


def _as_records(source: Iterable[Any]) -> list[dict[str, Any]]:
    records = source if isinstance(source, list) else list(source)
    if not set(map(type, records)) <= {dict}:
        records = [
            r if type(r) is dict else dict(r) if isinstance(r, Mapping) else {} for r in records
        ]
    return records


def _newest_first(records: list[dict[str, Any]]) -> tuple[RawValues, Any]:
    """Raw values and ids with the rows ordered by id descending (stable, missing ids last)."""
    raw = RawValues(records)
    ids = coerce.to_int(raw("id"))
    if len(ids) < 2:
        return raw, ids
    key = ids.to_numpy(dtype=np.int64, na_value=np.iinfo(np.int64).min)
    if bool(np.all(key[:-1] >= key[1:])):
        return raw, ids
    order = np.argsort(~key, kind="stable")  # ~k reverses the order without overflow
    return RawValues([records[i] for i in order]), ids.take(order)


def _decode_json_object(value: Any) -> Any:
    """A JSON-object string (as the official CLI sends ``characteristics``) -> dict."""
    if type(value) is str and value.startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if type(decoded) is dict:
            return decoded
    return value


def _flatten_into(prefix: str, value: dict[str, Any], out: dict[str, Any]) -> None:
    for key, item in value.items():
        name = f"{prefix}.{key}"
        if type(item) is dict:
            _flatten_into(name, item, out)
        else:
            out[name] = item


def _split_nested(
    name: str, values: Sequence[Any], decode: bool
) -> tuple[Sequence[Any], dict[str, list[Any]]]:
    """Split one field's values into its non-dict values and flattened dict columns."""
    if decode and str in set(map(type, values)):
        values = [_decode_json_object(v) for v in values]
    if dict not in set(map(type, values)):
        return values, {}
    flat_rows: list[dict[str, Any] | None] = []
    base: list[Any] = []
    keys: dict[str, None] = {}
    for value in values:
        if type(value) is dict:
            flat: dict[str, Any] = {}
            _flatten_into(name, value, flat)
            keys.update(dict.fromkeys(flat))
            flat_rows.append(flat)
            base.append(None)
        else:
            flat_rows.append(None)
            base.append(value)
    columns = {
        key: [row.get(key) if row is not None else None for row in flat_rows] for key in keys
    }
    return base, columns


def _unique(name: str, taken: Mapping[str, Any] | set[str]) -> str:
    while name in taken:
        name = f"{name}_raw"
    return name


def build_frame(
    source: Iterable[Any], schema: Sequence[Column], derive: Derive, keep: Iterable[str] = ()
) -> pd.DataFrame:
    """Build the typed frame of ``schema`` from records; ``derive`` fills derived columns.

    ``keep``: the schema fields whose raw values ``derive`` reads (``raw.truthy``); the raw
    values of every other schema field are dropped as soon as its column is typed.
    """
    return _build(_as_records(source), schema, derive, frozenset(keep))


def _build(
    records: list[dict[str, Any]], schema: Sequence[Column], derive: Derive, keep: frozenset[str]
) -> pd.DataFrame:
    raw, ids = _newest_first(records)
    keys = raw.keys

    columns: dict[str, Any] = {}
    dynamic: list[tuple[str, Sequence[Any]]] = []
    for column in schema:
        if column.kind == "count":
            columns[column.name] = coerce.count(columns[column.source])
        elif column.kind == "derived":
            columns[column.name] = None  # placeholder keeping the schema order
        else:
            values = raw(column.name) if column.name in keep else raw.take(column.name)
            if column.kind == "nested" and not coerce.all_none(values):
                values, flattened = _split_nested(column.name, values, decode=True)
                dynamic.extend(flattened.items())
            columns[column.name] = coerce.CONVERTERS[column.kind](values)
    columns.update(derive(columns, raw))

    fields = {column.name for column in schema if column.is_field} | {"id"}
    for key in keys - fields:
        name = key if type(key) is str else str(key)  # JSON keys are str; be lenient
        values, flattened = _split_nested(name, raw(key), decode=False)
        dynamic.extend(flattened.items())
        if any(v is not None for v in values):
            dynamic.append((name, values))
    dynamic.sort(key=lambda item: item[0])
    for name, values in dynamic:
        columns[_unique(name, columns)] = coerce.infer(values)

    index = pd.Index(ids, name="id")
    return pd.DataFrame(columns, index=index, copy=False)
