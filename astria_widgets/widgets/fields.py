"""The tune form's field catalogue: choices, defaults and per-field checks (no widgets).

Everything the form knows about a field that is not layout lives here, so it can be read and
tested without a front end: the documented class names, branches and model types, the trigger
token default of each branch, a unique default title, the parsing of the optional numeric and URL
fields, the characteristics rows (``key: value``, usable as ``{{key}}`` in prompts) and image-URL
lines, and the mapping of the API's 422 error keys onto the form's fields. What the docs
recommend per branch and model type lives in :mod:`astria_widgets.client.recommend`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime

from astria_widgets.client.api import (
    HTTP_URL_RULE,
    characteristic_problem,
    check_characteristics,
    is_http_url,
)

#: Class names from the API documentation; the name field also accepts free text.
CLASS_NAMES: tuple[str, ...] = (
    "man",
    "woman",
    "boy",
    "girl",
    "couple",
    "cat",
    "dog",
    "style",
    "clothing",
    "shirt",
    "pants",
    "coat",
    "swimming suit",
)

#: (label, value) pairs of the documented branches.
BRANCHES: tuple[tuple[str, str], ...] = (
    ("flux1 (Flux.1 dev)", "flux1"),
    ("sdxl1 (SDXL)", "sdxl1"),
    ("sd15 (Stable Diffusion 1.5)", "sd15"),
    ("fast (free mock)", "fast"),
)

#: (label, value) pairs of the model types; ``"checkpoint"`` is sent as ``null``.
MODEL_TYPES: tuple[tuple[str, str], ...] = (
    ("LoRA", "lora"),
    ("PTI", "pti"),
    ("FaceID", "faceid"),
    ("Checkpoint", "checkpoint"),
)

#: (label, value) pairs of the face-crop choice; ``"default"`` is sent as ``null``.
FACE_CROP_CHOICES: tuple[tuple[str, str], ...] = (
    ("account default", "default"),
    ("yes", "yes"),
    ("no", "no"),
)

#: (label, value) pairs of the training face-correction choice (``"default"`` -> ``null``).
TRAINING_FACE_CORRECT_CHOICES: tuple[tuple[str, str], ...] = (
    ("account default", "default"),
    ("yes (GFPGAN on the training photos)", "yes"),
    ("no", "no"),
)

#: (label, value) pairs of the presets; ``"none"`` is sent as ``null`` (the "high" preset).
PRESET_CHOICES: tuple[tuple[str, str], ...] = (
    ("flux-lora-portrait (27 steps/image)", "flux-lora-portrait"),
    ("flux-lora-focus", "flux-lora-focus"),
    ("flux-lora-fast (legacy)", "flux-lora-fast"),
    ("none ('high' on Flux: 100 steps/image)", "none"),
)

#: The form's fields in display order (``prompts`` and image files are edited separately).
FIELD_NAMES: tuple[str, ...] = (
    "title",
    "name",
    "token",
    "branch",
    "model_type",
    "preset",
    "base_tune_id",
    "steps",
    "face_crop",
    "training_face_correct",
    "auto_extend",
    "characteristics",
    "callback",
    "image_urls",
)

DEFAULT_BRANCH = "flux1"
DEFAULT_MODEL_TYPE = "lora"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_]+$")
_ROWS = re.compile(r"\r\n|\r|\n")  # what ends a characteristics row (not U+2028)
MAX_TITLE_LENGTH = 255


def default_token(branch: str | None) -> str:
    """The API's trigger token default for ``branch``: ``sks`` for sd15, ``ohwx`` otherwise."""
    return "sks" if branch == "sd15" else "ohwx"


def default_title(now: datetime | None = None) -> str:
    """A fresh, unique tune title (the API uses the title as the idempotency key)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"tune-{stamp}-{uuid.uuid4().hex[:8]}"


def parse_optional_int(text: str, *, minimum: int = 1) -> int | None:
    """``""`` -> ``None``; digits -> int; raise ``ValueError`` with a readable reason otherwise."""
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"must be a whole number, not {text!r}") from None
    if value < minimum:
        raise ValueError(f"must be at least {minimum}")
    return value


def parse_characteristics(text: str) -> tuple[dict[str, str], list[str]]:
    """``"key: value"`` rows (or ``key=value``) -> ``({key: value}, problems)``.

    Blank rows are skipped; each row follows the client's one characteristics rule
    (:func:`~astria_widgets.client.api.characteristic_problem`: a key of letters, digits or
    ``_`` so that ``{{key}}`` can name it). Rows end at line breaks only (``\n``, ``\r``), the
    ones that rule refuses in a value.
    """
    found: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(_ROWS.split(text or ""), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            problems.append(f"row {number}: write key: value (e.g. eye_color: blue eyes)")
        elif (problem := characteristic_problem(key, value)) is not None:
            problems.append(f"row {number}: {problem}")
        elif key in found:
            problems.append(f"row {number}: {key!r} is given twice")
        else:
            found[key] = value
    return found, problems


def characteristics_text(values: Mapping[str, object] | None) -> str:
    """``{key: value}`` -> the rows :func:`parse_characteristics` reads.

    Raises ``ValueError`` naming the entries that break the one characteristics rule (a line
    break in a value would otherwise become a second row).
    """
    found, problems = check_characteristics(values)
    if problems:
        raise ValueError("; ".join(p.split(": ", 1)[1] for p in problems))
    return "\n".join(f"{k}: {v}" for k, v in found.items())


def parse_image_urls(text: str) -> tuple[list[str], list[str]]:
    """One URL per row (blank rows skipped) -> ``(urls, problems)``."""
    urls: list[str] = []
    problems: list[str] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        url = line.strip()
        if not url:
            continue
        if is_http_url(url):
            urls.append(url)
        else:
            problems.append(f"row {number}: {url!r} {HTTP_URL_RULE}")
    return urls, problems


def choice_problem(value: object, choices: tuple[tuple[str, str], ...]) -> str:
    """The message for a value that is not one of ``choices`` ((label, value) pairs)."""
    allowed = ", ".join(v for _, v in choices)
    if value is None or value == "":
        return f"choose one of {allowed}"
    return f"{value!r} is not one of {allowed}; choose one of those"


def field_problems(values: Mapping[str, str]) -> dict[str, list[str]]:
    """Check the raw (string) field values; return ``{field: [problem, ...]}`` for bad ones."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    title = values.get("title", "").strip()
    if not title:
        add("title", "is required")
    elif len(title) > MAX_TITLE_LENGTH:
        add("title", f"is longer than {MAX_TITLE_LENGTH} characters")
    if not values.get("name", "").strip():
        add("name", "is required (a class such as man, woman, dog, or your own word)")
    token = values.get("token", "").strip()
    if token and not _TOKEN_RE.match(token):
        add("token", "must be one word of letters, digits or _")
    for field, choices in (("branch", BRANCHES), ("model_type", MODEL_TYPES),
                           ("face_crop", FACE_CROP_CHOICES), ("preset", PRESET_CHOICES),
                           ("training_face_correct", TRAINING_FACE_CORRECT_CHOICES)):
        known = {value for _, value in choices}
        if (field == "branch" or field in values) and values.get(field) not in known:
            add(field, choice_problem(values.get(field), choices))
    for field in ("base_tune_id", "steps"):
        try:
            parse_optional_int(values.get(field, ""))
        except ValueError as exc:
            add(field, str(exc))
    callback = values.get("callback", "").strip()
    if callback and not is_http_url(callback):
        add("callback", HTTP_URL_RULE)
    for message in parse_characteristics(values.get("characteristics", ""))[1]:
        add("characteristics", message)
    for message in parse_image_urls(values.get("image_urls", ""))[1]:
        add("image_urls", message)
    return problems


_PROMPT_KEY = re.compile(r"^prompts?(?:_attributes)?(?:\[(\d+)\]|\.(\d+))?(?:[\[.](\w+)\]?)?")


def map_server_error_key(key: str) -> tuple[str, int | None]:
    """Map a 422 ``errors`` key to ``(target, prompt_index)``.

    ``target`` is a field name from :data:`FIELD_NAMES`, ``"images"``, ``"prompts"`` (with the
    0-based row index when the key names one) or ``"general"``. Keys such as ``tune[name]``,
    ``tune.name``, ``image_urls``, ``prompts_attributes[1].text`` and ``prompts_attributes.0.seed``
    are understood.
    """
    key = key.strip()
    for prefix in ("tune[", "tune."):
        if key.startswith(prefix):
            key = key[len(prefix) :].replace("]", "", 1)
            break
    match = _PROMPT_KEY.match(key)
    if match and key.startswith("prompt"):
        index = match.group(1) or match.group(2)
        return "prompts", int(index) if index is not None else None
    base = re.split(r"[\[.]", key, maxsplit=1)[0]
    if base == "image_urls":
        return "image_urls", None
    if base in ("images", "image", "orig_images"):
        return "images", None
    if base in FIELD_NAMES:
        return base, None
    return "general", None
