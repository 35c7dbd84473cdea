"""Request parameters: Rack bracket-key parsing, typed coercion, validation and paging.

- ``parse_body()`` turns a multipart, urlencoded or JSON body into one nested dict. Form keys
  follow Rack's ``normalize_params``: ``tune[title]``, ``tune[images][]`` (array, order kept),
  ``tune[prompts_attributes][0][text]`` (indexed hashes, turned into a list ordered by index)
  and ``tune[prompts_attributes][][text]`` (append form: a new hash starts when a key that the
  last hash already has is repeated), ``tune[characteristics][eye_color]``.
- ``Validator`` coerces strings to bool/int/float (booleans case-insensitive:
  true/false/1/0/yes/no/on/off), collects every problem as ``{field: [messages]}`` and raises
  ``ValidationFailed`` (answered with 422 ``{"error": summary, "errors": {...}}``).
- ``paging()`` reads ``limit``/``before_id``/``offset`` per section 4 of the API notes.

Ambiguity #9: chose to clamp ``limit`` to [1, 120] (gallery lists: [1, 500]), and to answer an
``offset`` above the documented bound (200 for tunes, 10,000 for prompts) with 400 pointing to
``before_id``; ``offset`` of exactly the bound is allowed; non-integers are 400.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Request
from PIL import Image, UnidentifiedImageError
from werkzeug.datastructures import FileStorage, ImmutableMultiDict

_ROOT = re.compile(r"^([^\[\]]*)")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
TRUE = {"true", "1", "yes", "on", "t"}
FALSE = {"false", "0", "no", "off", "f"}


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


# -- scalar coercion -------------------------------------------------------------------------


def to_bool(value: Any) -> bool:
    """Case-insensitive boolean from JSON or form text; raises ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise ValueError("must be true or false")


def to_int(value: Any) -> int:
    """A 64-bit integer from JSON or form text (integral floats allowed); raises ValueError."""
    number = _integer(value)
    if number is None:
        raise ValueError("must be an integer")
    if not -(2**63) <= number < 2**63:
        raise ValueError("is out of range (64-bit integers only)")
    return number


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"[+-]?\d+\.0*", text):
            return int(float(text))
    return None


def to_float(value: Any) -> float:
    """A finite float from JSON or form text; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError("must be a number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def is_url(value: str) -> bool:
    """True for an absolute http(s) URL without whitespace."""
    if not isinstance(value, str) or re.search(r"\s", value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


# -- validation ------------------------------------------------------------------------------


class Validator:
    """Reads fields of one parameter hash, coercing and collecting every problem."""

    def __init__(self, params: Mapping[str, Any] | None, prefix: str = "") -> None:
        self.params = params if isinstance(params, Mapping) else {}
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}

    def key(self, field: str) -> str:
        """The error key of ``field`` (prefixed for nested hashes)."""
        return f"{self.prefix}[{field}]" if self.prefix else field

    def error(self, field: str, message: str) -> None:
        """Record a problem with ``field``."""
        self.errors.setdefault(self.key(field), []).append(message)

    def merge(self, other: Validator) -> None:
        """Take over the errors of a nested validator."""
        for field, messages in other.errors.items():
            self.errors.setdefault(field, []).extend(messages)

    def raise_if_errors(self) -> None:
        """Raise ``ValidationFailed`` when any problem was recorded."""
        if self.errors:
            raise ValidationFailed(self.errors)

    def present(self, field: str) -> bool:
        """True when the field was sent (even as an empty string)."""
        return field in self.params

    def _get(self, field: str) -> Any:
        value = self.params.get(field)
        if isinstance(value, FileStorage):
            self.error(field, "must be a value, not a file")
            return None
        return value

    def string(
        self, field: str, *, required: bool = False, max_length: int = 10_000,
        no_whitespace: bool = False, default: str | None = None,
    ) -> str | None:
        """A string; blank counts as missing."""
        value = self._get(field)
        if isinstance(value, (dict, list)):
            self.error(field, "must be a string")
            return default
        if _blank(value):
            if required:
                self.error(field, "can't be blank")
            return default
        text = str(value)
        if required:
            text = text.strip()
        if len(text) > max_length:
            self.error(field, f"is too long (maximum is {max_length} characters)")
        if no_whitespace and re.search(r"\s", text):
            self.error(field, "must not contain spaces")
        return text

    def boolean(self, field: str, default: bool | None = None) -> bool | None:
        """A boolean (case-insensitive text accepted); blank means default."""
        value = self._get(field)
        if _blank(value):
            return default
        try:
            return to_bool(value)
        except ValueError as exc:
            self.error(field, str(exc))
            return default

    def integer(
        self, field: str, *, low: int | None = None, high: int | None = None,
        default: int | None = None, multiple_of: int | None = None,
    ) -> int | None:
        """An integer within [low, high]; blank means default."""
        value = self._get(field)
        if _blank(value):
            return default
        try:
            number = to_int(value)
        except ValueError as exc:
            self.error(field, str(exc))
            return default
        if (low is not None and number < low) or (high is not None and number > high):
            self.error(field, f"must be between {low} and {high}")
        if multiple_of and number % multiple_of:
            self.error(field, f"must be a multiple of {multiple_of}")
        return number

    def number(
        self, field: str, *, low: float | None = None, high: float | None = None
    ) -> float | None:
        """A float within [low, high]; blank means None."""
        value = self._get(field)
        if _blank(value):
            return None
        try:
            number = to_float(value)
        except ValueError as exc:
            self.error(field, str(exc))
            return None
        if (low is not None and number < low) or (high is not None and number > high):
            self.error(field, f"must be between {low:g} and {high:g}")
        return number

    def enum(self, field: str, values: Iterable[str], default: str | None = None) -> str | None:
        """One of ``values`` (exact match); blank or ``null`` means default."""
        value = self._get(field)
        if _blank(value) or value == "null":
            return default
        allowed = list(values)
        if str(value) not in allowed:
            self.error(field, f"is not included in the list ({', '.join(allowed)})")
            return default
        return str(value)

    def url(self, field: str) -> str | None:
        """An absolute http(s) URL; blank means None."""
        value = self._get(field)
        if _blank(value):
            return None
        if not is_url(value):
            self.error(field, "is not a valid URL (expected http:// or https://)")
            return None
        return str(value).strip()

    def url_list(self, field: str) -> list[str]:
        """An array of http(s) URLs."""
        urls = []
        for i, value in enumerate(as_list(self.params.get(field))):
            if _blank(value):
                continue
            if not is_url(value):
                self.error(field, f"item {i} is not a valid URL")
            else:
                urls.append(str(value).strip())
        return urls

    def int_list(self, field: str) -> list[int]:
        """An array of integers."""
        out = []
        for value in as_list(self.params.get(field)):
            if _blank(value):
                continue
            try:
                out.append(to_int(value))
            except ValueError as exc:
                self.error(field, f"item {value!r} {exc}")
        return out

    def string_map(self, field: str) -> dict[str, str] | None:
        """A key -> string hash, also accepted as a JSON-encoded string."""
        value = self.params.get(field)
        if _blank(value):
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                self.error(field, "must be a hash or a JSON object")
                return None
        if not isinstance(value, dict):
            self.error(field, "must be a hash or a JSON object")
            return None
        out: dict[str, str] = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                self.error(field, f"value of {key!r} must be a string")
            elif item is not None:
                out[str(key)] = str(item)
        return out


def _check_image_bytes(data: bytes, name: str) -> tuple[bytes, str, str] | str:
    if not data:
        return f"{name}: is empty (0 bytes)"
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or "PNG"
            image.verify()
    except Image.DecompressionBombError:
        return f"{name}: has too many pixels (possible decompression bomb)"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return f"{name}: is not a valid image ({exc})"
    except Exception as exc:  # any decoder failure means "not an image"
        return f"{name}: is not a valid image ({type(exc).__name__})"
    return data, fmt, name


def check_image(upload: Any, label: str) -> tuple[bytes, str, str] | str:
    """Read an uploaded image; returns (data, format, filename) or an error naming the file."""
    if not isinstance(upload, FileStorage):
        return f"{label}: must be a file upload"
    name = upload.filename or label
    return _check_image_bytes(upload.read(), name)


def check_base64_image(text: str, label: str) -> tuple[bytes, str, str] | str:
    """Decode a ``data:image/...;base64,`` URL (or bare base64) holding an image; returns
    (data, format, name) or an error message."""
    payload = text.strip()
    if payload.startswith("data:"):
        header, _, payload = payload.partition(",")
        if ";base64" not in header:
            return "must be a base64 data URL (data:image/png;base64,...)"
    try:
        data = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    checked = _check_image_bytes(data, label)
    if isinstance(checked, str):
        return checked.removeprefix(f"{label}: ")
    return checked


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
