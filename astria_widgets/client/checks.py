"""The input checks of the package, shared by the client's calls and the widgets (pure).

Each rule here is the one home of what it checks, so the client, the form, the studio, the
browser and the commands cannot drift apart:

- :func:`whole_number`: the one integer rule of user input (ints, numpy ints, integral floats,
  digits as text); :func:`record_id` (an object id) is built on it;
- :func:`is_http_url` / :data:`HTTP_URL_RULE`: a URL input (callbacks, image URLs);
- :func:`token_problem`: a tune's trigger token;
- :func:`characteristic_problem` / :func:`check_characteristics`: a tune's characteristics;
- :func:`name_title_problems`, :func:`url_problems`, :func:`callback_problems`: what the
  creates check before sending.

Every check returns problems (or raises :class:`~astria_widgets.client.errors.InputError`)
whose text names the input.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from astria_widgets.client.errors import InputError

_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


def whole_number(value: Any) -> int | None:
    """``value`` as an int when it is a whole number, else ``None`` (never rounded).

    The one integer rule of user input on the client side: an ``int`` (a numpy integer too),
    an integral real (``5.0``, ``numpy.float32(5)``) or its digits as text (``" 12 "``,
    ``"-3"``; ASCII digits, no ``1e3``, ``1_000`` or ``5.0``). ``True``/``False`` are not
    numbers here. :func:`record_id`, the prompt parameters typed as text and the frames'
    ``as_int`` read integers through it.
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return int(value) if math.isfinite(value) and float(value).is_integer() else None
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    return None


def record_id(value: Any, label: str) -> int:
    """An object id as int, or :class:`InputError` naming the argument ``label``.

    The one id rule of the package: a whole number by :func:`whole_number`, at least 1.
    ``True``/``False``, ``5.7``, ``"1e3"`` and the like are refused, never truncated or read
    as 1. Every id a user gives (the client's calls, the studio, the browser, the watches,
    ``watch_tune``, the magic and the commands) goes through it.
    """
    number = whole_number(value)
    if number is None:
        if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
            raise InputError(f"{label}: {value!r} is not a whole number (ids are whole "
                             "numbers)")
        raise InputError(f"{label}: {value!r} is not a numeric id")
    if number < 1:
        raise InputError(f"{label}: {value!r} is not a valid id (ids are positive numbers)")
    return number


def workspace_value(value: Any) -> int | str | None:
    """A workspace setting: None, ``"all"`` or a workspace id; else :class:`InputError`."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "all"):
        return None if value is None else "all"
    try:
        return record_id(value, "workspace_id")
    except InputError:
        raise InputError(f"workspace_id: {value!r} is not a workspace id (give a number, "
                         "'all', or None for your personal scope)") from None


def spend_limit(value: Any, context: str) -> float | None:
    """The one ``max_spend`` rule (client, studio, form, pack picker): dollars, 0 or more and
    finite, or None (no limit); else :class:`InputError` naming ``max_spend``."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not math.isfinite(value) or value < 0):
        raise InputError(f"max_spend: give dollars (0 or more) or None, not {value!r:.40}",
                         context=context)
    return None if value is None else float(value)


def pack_key(value: Any, label: str) -> str:
    """A pack id or slug as one path segment, or :class:`InputError` naming the argument."""
    key = str(value).strip()
    if not key or "/" in key:
        raise InputError(f"{label}: {value!r} is not a pack id or slug")
    return key


HTTP_URL_RULE = "must be an http(s):// URL with a host, e.g. https://example.com/hook"
"""What a URL input must be: the one message of the client and the form."""


def is_http_url(value: Any) -> bool:
    """True for an absolute http(s) URL with a host once surrounding whitespace is stripped.

    The one URL rule of the package: the client checks ``callback`` and ``image_urls`` with it
    (and sends them stripped), the form checks its callback field with it.
    """
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text or any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)


def as_urls(image_urls: Any) -> list[Any]:
    """``image_urls`` as a list (a single string is one URL)."""
    return [image_urls] if isinstance(image_urls, str) else list(image_urls or ())


def url_problems(label: str, values: Sequence[Any]) -> list[str]:
    """A problem naming ``label[i]`` for each value that breaks :data:`HTTP_URL_RULE`."""
    return [f"{label}[{i}]: {u!r} {HTTP_URL_RULE}" for i, u in enumerate(values)
            if not is_http_url(u)]


def callback_problems(**callbacks: Any) -> list[str]:
    """A problem for each given callback URL that breaks :data:`HTTP_URL_RULE`."""
    return [f"{label}: {url!r} {HTTP_URL_RULE}" for label, url in callbacks.items()
            if url is not None and not is_http_url(url)]


def stripped(value: Any) -> Any:
    """Text without surrounding whitespace; anything else as given."""
    return value.strip() if isinstance(value, str) else value


def name_title_problems(name: Any, title: Any) -> list[str]:
    """Problems of a new tune's class name and title (``None`` means a generated title)."""
    problems = []
    if not isinstance(name, str):
        problems.append(f"name: the class name must be text (e.g. 'man', 'woman', 'dog'), "
                        f"not {type(name).__name__}")
    elif not name.strip():
        problems.append("name: the class name is empty (e.g. 'man', 'woman', 'dog')")
    if title is not None and not isinstance(title, str):
        problems.append(f"title: the title must be text, not {type(title).__name__}")
    elif title is not None and not title.strip():
        problems.append("title: the title is empty")
    return problems


TOKEN = re.compile(r"[A-Za-z0-9_]+")
"""What a trigger token may be: one word of ASCII letters, digits or ``_``."""


def token_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a tune's trigger token (``None`` when it can); no name prefix.

    The one token rule of the package (the client's ``create_tune`` and the form's token
    field): one word of ASCII letters, digits or ``_`` such as ``ohwx`` or ``sks``, without
    spaces; the form strips what the user typed before asking.
    """
    if isinstance(value, str) and TOKEN.fullmatch(value):
        return None
    return (f"{value!r} must be one word of letters, digits or _, without spaces "
            "(e.g. 'ohwx')")


CHARACTERISTIC_KEY = re.compile(r"[A-Za-z0-9_]+")
"""What a characteristic's key may be: one word, so that ``{{key}}`` can name it in prompts."""
_LINE_BREAKS = ("\n", "\r")


def characteristic_problem(key: Any, value: Any) -> str | None:
    """Why one characteristic cannot be sent (``None`` when it can); the message names it.

    The one characteristics rule of the package (the client's creates and ``update_tune``,
    the form's dict and its typed rows): the key is one word of ASCII letters, digits or
    ``_``; the value is one line of non-empty text (a whole or decimal number is taken as its
    text). Line breaks would make one value two rows of the form, so they are refused.
    """
    if not isinstance(key, str) or not CHARACTERISTIC_KEY.fullmatch(key):
        return (f"{key!r} must be one word of letters, digits or _ (it is used as "
                "{{" + "key}} in prompts)")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or (
            isinstance(value, float) and not math.isfinite(value)):
        return f"{key!r}: the value must be text, not {value!r}"
    text = str(value)
    if not text.strip():
        return f"{key!r}: the value is empty"
    if any(mark in text for mark in _LINE_BREAKS):
        return f"{key!r}: the value must be one line (no line breaks): {text!r}"
    return None


def check_characteristics(value: Any, label: str = "characteristics"
                          ) -> tuple[dict[str, str], list[str]]:
    """``(characteristics as {key: text}, problems naming ``label``)`` by
    :func:`characteristic_problem`; ``value`` must be a dict (``None`` is "not given")."""
    if value is None:
        return {}, []
    if not isinstance(value, Mapping):
        return {}, [f"{label}: give a dict of name -> value, not {type(value).__name__}"]
    found: dict[str, str] = {}
    problems: list[str] = []
    for key, item in value.items():
        problem = characteristic_problem(key, item)
        if problem:
            problems.append(f"{label}: {problem}")
        else:
            found[key] = str(item)
    return found, problems
