"""``Validator``: reads the fields of one parameter hash, coercing and collecting problems.

Every problem is kept as ``{field: [messages]}``; ``raise_if_errors`` raises
:class:`~astria_widgets.sandbox.params.ValidationFailed` (answered with 422). Values are read
by the scalar rules of :mod:`.scalars`; uploaded and base64 images are checked here too.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from PIL import Image, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from .params import ValidationFailed, as_list
from .scalars import blank, is_url, to_bool, to_float, to_int


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
        if blank(value):
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
        if blank(value):
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
        if blank(value):
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
        if blank(value):
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
        if blank(value) or value == "null":
            return default
        allowed = list(values)
        if str(value) not in allowed:
            self.error(field, f"is not included in the list ({', '.join(allowed)})")
            return default
        return str(value)

    def url(self, field: str) -> str | None:
        """An absolute http(s) URL; blank means None."""
        value = self._get(field)
        if blank(value):
            return None
        if not is_url(value):
            self.error(field, "is not a valid URL (expected http:// or https://)")
            return None
        return str(value).strip()

    def url_list(self, field: str) -> list[str]:
        """An array of http(s) URLs."""
        urls = []
        for i, value in enumerate(as_list(self.params.get(field))):
            if blank(value):
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
            if blank(value):
                continue
            try:
                out.append(to_int(value))
            except ValueError as exc:
                self.error(field, f"item {value!r} {exc}")
        return out

    def string_map(self, field: str) -> dict[str, str] | None:
        """A key -> string hash, also accepted as a JSON-encoded string."""
        value = self.params.get(field)
        if blank(value):
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
