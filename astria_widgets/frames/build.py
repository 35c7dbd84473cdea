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

    The fields given a parser in ``parsers`` (timestamps, whose parser reads newline-joined
    strings) are joined chunk by chunk instead, while their values are still in cache, and
    parsed a block of ``BLOCK`` rows at a time (``parser(joined, rows)`` -> an array, or None
    when it cannot take them all): joining a whole column afterwards revisits 100,000
    scattered strings, several times slower than the same bytes in cache, and only the parsed
    blocks are held. :meth:`parsed` gives them in row order; a block holding a value that is
    not a str, or one the parser did not take, is given as its list of values instead.
    """

    CHUNK = 256
    BLOCK = 4096  # rows per parser call: a block's bytes stay in cache (a multiple of CHUNK)

    def __init__(
        self,
        records: Sequence[dict[str, Any]],
        parsers: Mapping[Any, Callable[[str, int], Any]] | None = None,
    ) -> None:
        self._n = len(records)
        self._columns: dict[Any, Sequence[Any]] = {}
        self._parsed: dict[Any, list[Any]] = {}
        self._records = records
        self._taken: set[Any] = set()
        self._parsers = dict(parsers or {})
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
        self._records = [r if len(r) == width else {**template, **r} for r in records]
        self._extract(self._records, names)

    def _extract(self, records: Sequence[dict[str, Any]], names: list[Any]) -> None:
        self.keys = set(names)
        if not names or not records:
            return
        getters = [itemgetter(name) for name in names]
        columns: list[list[Any]] = [[] for _ in names]  # values, or a block's joined chunks
        parsers = [self._parsers.get(name) for name in names]
        blocks: dict[int, list[Any]] = {i: [] for i, p in enumerate(parsers) if p is not None}
        odd: set[int] = set()  # fields with a value that is not a str in the current block
        for block in range(0, self._n, self.BLOCK):
            end = min(block + self.BLOCK, self._n)
            for start in range(block, end, self.CHUNK):
                chunk = records[start : min(start + self.CHUNK, end)]
                for i, (column, getter) in enumerate(zip(columns, getters, strict=True)):
                    if parsers[i] is None:
                        column.extend(map(getter, chunk))
                    elif i not in odd:
                        try:
                            column.append("\n".join(map(getter, chunk)))
                        except TypeError:
                            odd.add(i)
            for i, parts in blocks.items():
                parsed = None if i in odd else parsers[i]("\n".join(columns[i]), end - block)
                if parsed is None:  # the block's values instead, read again while still warm
                    parsed = list(map(getters[i], records[block:end]))
                parts.append(parsed)
                columns[i].clear()
            odd.clear()
        self._columns = {
            name: column
            for name, column, parser in zip(names, columns, parsers, strict=True)
            if parser is None
        }
        self._parsed = {names[i]: parsed for i, parsed in blocks.items()}

    def __call__(self, name: Any) -> Sequence[Any]:
        """The value of ``name`` in every record (``None`` where absent)."""
        values = self._columns.get(name)
        if values is None:
            if name in self._taken:
                raise LookupError(f"the raw values of {name!r} were taken (keep them instead)")
            if name in self._parsers and name in self.keys:  # read from the records now
                values = list(map(itemgetter(name), self._records))
            else:
                values = (None,) * self._n
            self._columns[name] = values
        return values

    def parsed(self, name: Any) -> list[Any] | None:
        """The blocks of a field given a parser, in row order (each the parser's result, or
        the block's list of values where it gave None), or None (no parser, or taken)."""
        return self._parsed.get(name)

    def take(self, name: Any) -> Sequence[Any]:
        """The values of ``name``, forgotten here (its typed column replaces them)."""
        values = self(name)
        del self._columns[name]
        self._parsed.pop(name, None)
        self._taken.add(name)
        return values

    def drop(self, name: Any) -> None:
        """Forget ``name`` without reading it (its typed column was made from :meth:`parsed`)."""
        self._columns.pop(name, None)
        self._parsed.pop(name, None)
        self._taken.add(name)

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


def _newest_first(
    records: list[dict[str, Any]], parsers: Mapping[str, Callable[[str, int], Any]]
) -> tuple[RawValues, Any]:
    """Raw values and ids with the rows ordered by id descending (stable, missing ids last)."""
    raw = RawValues(records, parsers)
    ids = coerce.to_int(raw("id"))
    if len(ids) < 2:
        return raw, ids
    key = ids.to_numpy(dtype=np.int64, na_value=np.iinfo(np.int64).min)
    if bool(np.all(key[:-1] >= key[1:])):
        return raw, ids
    order = np.argsort(~key, kind="stable")  # ~k reverses the order without overflow
    return RawValues([records[i] for i in order], parsers), ids.take(order)


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
    parsers = {  # timestamps parsed while extracted (RawValues), the rest typed below
        column.name: coerce.canonical_times
        for column in schema
        if column.kind == "datetime" and column.name not in keep
    }
    raw, ids = _newest_first(records, parsers)
    keys = raw.keys

    columns: dict[str, Any] = {}
    dynamic: list[tuple[str, Sequence[Any]]] = []
    for column in schema:
        if column.kind == "count":
            columns[column.name] = coerce.count(columns[column.source])
        elif column.kind == "derived":
            columns[column.name] = None  # placeholder keeping the schema order
        elif (blocks := raw.parsed(column.name)) is not None:  # timestamps, parsed already
            columns[column.name] = coerce.datetime_blocks(blocks)
            raw.drop(column.name)
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
