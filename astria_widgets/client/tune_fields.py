"""The tune form's field catalogue: choices, defaults, per-field checks, values in and out.

Everything the form knows about a field that is not layout lives here (no widgets), so the
form's model (:mod:`astria_widgets.client.form_model`) and its view share it: the documented
class names, branches and model types, the raw value each field shows by default, the trigger
token default of each branch, a unique default title, the parsing of the optional numeric and
URL fields, the characteristics rows (``key: value``, usable as ``{{key}}`` in prompts) and
image-URL lines, the conversions between a field's raw value (what its widget shows) and the
typed parameter ``create_tune`` takes, and the mapping of the API's 422 error keys onto the
form's fields. The rules themselves are the client's: ids (``record_id``), the token
(``token_problem``), URLs and characteristics (:mod:`astria_widgets.client.checks`), numbers
typed as text (:mod:`astria_widgets.client.prompt_params`). What the docs recommend per branch and
model type lives in :mod:`astria_widgets.client.recommend`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from astria_widgets.client.checks import (
    HTTP_URL_RULE,
    characteristic_problem,
    check_characteristics,
    is_http_url,
    record_id,
    token_problem,
)
from astria_widgets.client.errors import InputError
from astria_widgets.client.prompt_params import Param, parse_text, read_bool, value_problem

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
#: The fields whose raw value is one of a list of (label, value) choices.
FIELD_CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "branch": BRANCHES,
    "model_type": MODEL_TYPES,
    "preset": PRESET_CHOICES,
    "face_crop": FACE_CROP_CHOICES,
    "training_face_correct": TRAINING_FACE_CORRECT_CHOICES,
}
#: What each field shows before anything is set (``title`` gets :func:`default_title`).
DEFAULT_RAW: dict[str, Any] = {
    "title": "", "name": "", "token": "", "branch": DEFAULT_BRANCH,
    "model_type": DEFAULT_MODEL_TYPE, "preset": "none", "base_tune_id": "", "steps": "",
    "face_crop": "default", "training_face_correct": "default", "auto_extend": False,
    "characteristics": "", "callback": "", "image_urls": "",
}
#: The tune's ``steps``: a whole number of at least 1 (read by prompt_params' number rules).
STEPS = Param("steps", "int", "tune", "Steps", "training steps", low=1)
_ROWS = re.compile(r"\r\n|\r|\n")  # what ends a characteristics row (not U+2028)
MAX_TITLE_LENGTH = 255


def default_token(branch: str | None) -> str:
    """The API's trigger token default for ``branch``: ``sks`` for sd15, ``ohwx`` otherwise."""
    return "sks" if branch == "sd15" else "ohwx"


def default_raw() -> dict[str, Any]:
    """The raw value of every field of a new form (a fresh :func:`default_title`)."""
    return {**DEFAULT_RAW, "title": default_title()}


def default_title(now: datetime | None = None) -> str:
    """A fresh, unique tune title (the API uses the title as the idempotency key)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"tune-{stamp}-{uuid.uuid4().hex[:8]}"


def parse_optional_int(text: str, name: str = "steps") -> int | None:
    """The number typed into field ``name``: ``""`` -> ``None``, else by the package's rules.

    ``base_tune_id`` is an id (the client's one id rule, ``record_id``); ``steps`` is a whole
    number of at least 1 (``prompt_params.parse_text`` and ``value_problem``, the rules of a
    number typed as text). Raises ``ValueError`` with the reason (without the field's name).
    """
    text = str(text).strip()
    if not text:
        return None
    if name == "base_tune_id":
        try:
            return record_id(text, name)
        except InputError as exc:
            raise ValueError(exc.problems[0].removeprefix(f"{name}: ")) from None
    value = parse_text(STEPS, text)
    problem = value_problem(STEPS, value)
    if problem is not None:
        raise ValueError(problem)
    return int(value)


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
    if token and (problem := token_problem(token)) is not None:
        add("token", problem)
    for field, choices in FIELD_CHOICES.items():
        known = {value for _, value in choices}
        if (field == "branch" or field in values) and values.get(field) not in known:
            add(field, choice_problem(values.get(field), choices))
    for field in ("base_tune_id", "steps"):
        try:
            parse_optional_int(values.get(field, ""), field)
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


_TRISTATE = {None: "default", True: "yes", False: "no"}


def raw_value(name: str, value: Any) -> Any:
    """What field ``name`` shows for a typed ``value`` given to the form (``None`` = default).

    Raises ``ValueError`` (naming the value) when a yes/no field cannot show it (read by the
    one rule, :func:`~astria_widgets.client.prompt_params.read_bool`) or a characteristics
    dict breaks the characteristics rule.
    """
    if name == "model_type":
        return "checkpoint" if value is None else str(value)
    if name == "preset":
        return "none" if value is None else str(value)
    if name in ("face_crop", "training_face_correct"):
        if value is None:
            return _TRISTATE[None]
        try:  # the one yes/no rule, e.g. %astria form face_crop=true
            return _TRISTATE[read_bool(value)]
        except ValueError:
            return str(value)  # shown as a refused choice next to the field
    if name == "auto_extend":
        return False if value is None else read_bool(value)
    if name == "characteristics":
        return characteristics_text(value) if isinstance(value, Mapping) else str(value or "")
    if name == "image_urls":
        if isinstance(value, (list, tuple)):
            return "\n".join(str(u) for u in value)
        return "" if value is None else str(value)
    return "" if value is None else str(value)


def typed_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The fields' raw values -> the typed tune parameters (invalid text -> ``None``)."""

    def maybe_int(name: str) -> int | None:
        try:
            return parse_optional_int(raw[name], name)
        except ValueError:
            return None

    tristate = {"default": None, "yes": True, "no": False}
    characteristics = parse_characteristics(raw["characteristics"])[0]
    urls = parse_image_urls(raw["image_urls"])[0]
    return {
        "title": raw["title"].strip(),
        "name": (raw["name"] or "").strip(),
        "token": raw["token"].strip() or None,
        "branch": raw["branch"],
        "model_type": None if raw["model_type"] == "checkpoint" else raw["model_type"],
        "preset": None if raw["preset"] in ("none", None) else raw["preset"],
        "base_tune_id": maybe_int("base_tune_id"),
        "steps": maybe_int("steps"),
        "face_crop": tristate.get(raw["face_crop"]),
        "training_face_correct": tristate.get(raw["training_face_correct"]),
        "auto_extend": True if raw["auto_extend"] else None,
        "characteristics": characteristics or None,
        "callback": raw["callback"].strip() or None,
        "image_urls": urls or None,
    }
