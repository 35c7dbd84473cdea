"""The tune form's field widgets: building them, and converting values in and out.

The catalogue (choices, defaults, checks) is :mod:`astria_widgets.widgets.fields`; this module
only turns it into ipywidgets and back: :func:`build_fields` makes one widget per name of
``FIELD_NAMES``, :func:`widget_value` says what a widget shows for a typed value given to the
form, and :func:`typed_values` reads every widget into the parameters ``create_tune`` takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from astria_widgets.client.prompt_params import read_bool
from astria_widgets.widgets.fields import (
    BRANCHES,
    CLASS_NAMES,
    DEFAULT_BRANCH,
    DEFAULT_MODEL_TYPE,
    FACE_CROP_CHOICES,
    MODEL_TYPES,
    PRESET_CHOICES,
    TRAINING_FACE_CORRECT_CHOICES,
    characteristics_text,
    parse_characteristics,
    parse_image_urls,
    parse_optional_int,
)

LABELS = {
    "title": "Title",
    "name": "Class name",
    "token": "Token",
    "branch": "Branch",
    "model_type": "Model type",
    "preset": "Preset",
    "base_tune_id": "Base tune",
    "steps": "Steps",
    "face_crop": "Face crop",
    "training_face_correct": "Face correct",
    "auto_extend": "Auto-extend",
    "characteristics": "Characteristics",
    "callback": "Callback URL",
    "image_urls": "Image URLs",
}
_STYLE = {"description_width": "110px"}
_TRISTATE = {None: "default", True: "yes", False: "no"}


def build_fields() -> dict[str, w.ValueWidget]:
    """One fresh widget per field name, with its DOM class ``astria-field-<name>``."""

    def text(name: str, placeholder: str = "") -> w.Text:
        return w.Text(description=LABELS[name], placeholder=placeholder, style=_STYLE,
                      layout=w.Layout(width="420px"))

    def dropdown(name: str, options: Any, value: str) -> w.Dropdown:
        return w.Dropdown(description=LABELS[name], options=list(options), value=value,
                          style=_STYLE, layout=w.Layout(width="420px"))

    def rows(name: str, placeholder: str) -> w.Textarea:
        return w.Textarea(description=LABELS[name], placeholder=placeholder, rows=3,
                          style=_STYLE, layout=w.Layout(width="420px"))

    fields: dict[str, w.ValueWidget] = {
        "title": text("title", "a unique label (the API's idempotency key)"),
        "name": w.Combobox(description=LABELS["name"], options=list(CLASS_NAMES),
                           ensure_option=False, placeholder="man, woman, dog... or your own class",
                           style=_STYLE, layout=w.Layout(width="420px")),
        "token": text("token", "ohwx"),
        "branch": dropdown("branch", BRANCHES, DEFAULT_BRANCH),
        "model_type": dropdown("model_type", MODEL_TYPES, DEFAULT_MODEL_TYPE),
        "preset": dropdown("preset", PRESET_CHOICES, "none"),
        "base_tune_id": text("base_tune_id", "optional, e.g. 1504944 (Flux.1 dev)"),
        "steps": text("steps", "optional: the service's default"),
        "face_crop": dropdown("face_crop", FACE_CROP_CHOICES, "default"),
        "training_face_correct": dropdown("training_face_correct",
                                          TRAINING_FACE_CORRECT_CHOICES, "default"),
        "auto_extend": w.Checkbox(value=False, indent=False,
                                  description="Auto-extend storage past 30 days (paid)"),
        "characteristics": rows("characteristics",
                                "optional rows of key: value, e.g. eye_color: blue eyes "
                                "(use as {{eye_color}} in prompts)"),
        "callback": text("callback", "optional: https://... POSTed when training ends"),
        "image_urls": rows("image_urls", "optional: one https:// image URL per row"),
    }
    for name, widget in fields.items():
        widget.add_class(f"astria-field-{name.replace('_', '-')}")
    return fields


def widget_value(name: str, value: Any) -> Any:
    """What the widget of ``name`` shows for a typed ``value`` (``None`` = the default).

    Raises ``ValueError`` (naming the value) when a checkbox cannot show it (yes/no is read by
    the one rule, :func:`~astria_widgets.client.prompt_params.read_bool`) or a characteristics
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
    """The widgets' raw values -> the typed tune parameters (invalid text -> ``None``)."""

    def maybe_int(text: str) -> int | None:
        try:
            return parse_optional_int(text)
        except ValueError:
            return None

    tristate = {"default": None, "yes": True, "no": False}
    characteristics = parse_characteristics(raw["characteristics"])[0]
    urls = parse_image_urls(raw["image_urls"])[0]
    return {
        "title": raw["title"].strip(),
        "name": raw["name"].strip(),
        "token": raw["token"].strip() or None,
        "branch": raw["branch"],
        "model_type": None if raw["model_type"] == "checkpoint" else raw["model_type"],
        "preset": None if raw["preset"] in ("none", None) else raw["preset"],
        "base_tune_id": maybe_int(raw["base_tune_id"]),
        "steps": maybe_int(raw["steps"]),
        "face_crop": tristate.get(raw["face_crop"]),
        "training_face_correct": tristate.get(raw["training_face_correct"]),
        "auto_extend": True if raw["auto_extend"] else None,
        "characteristics": characteristics or None,
        "callback": raw["callback"].strip() or None,
        "image_urls": urls or None,
    }
