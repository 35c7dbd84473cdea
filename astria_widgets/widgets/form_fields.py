"""The tune form's field widgets.

The catalogue (choices, defaults, checks, values in and out) is
:mod:`astria_widgets.client.tune_fields`; this module only turns it into ipywidgets:
:func:`build_fields` makes one widget per name of ``FIELD_NAMES``, showing its default.
"""

from __future__ import annotations

import ipywidgets as w

from astria_widgets.client.tune_fields import CLASS_NAMES, DEFAULT_RAW, FIELD_CHOICES

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


def build_fields() -> dict[str, w.ValueWidget]:
    """One fresh widget per field name, with its DOM class ``astria-field-<name>``."""

    def text(name: str, placeholder: str = "") -> w.Text:
        return w.Text(description=LABELS[name], placeholder=placeholder, style=_STYLE,
                      layout=w.Layout(width="420px"))

    def dropdown(name: str) -> w.Dropdown:
        return w.Dropdown(description=LABELS[name], options=list(FIELD_CHOICES[name]),
                          value=DEFAULT_RAW[name], style=_STYLE, layout=w.Layout(width="420px"))

    def rows(name: str, placeholder: str) -> w.Textarea:
        return w.Textarea(description=LABELS[name], placeholder=placeholder, rows=3,
                          style=_STYLE, layout=w.Layout(width="420px"))

    fields: dict[str, w.ValueWidget] = {
        "title": text("title", "a unique label (the API's idempotency key)"),
        "name": w.Combobox(description=LABELS["name"], options=list(CLASS_NAMES),
                           ensure_option=False, placeholder="man, woman, dog... or your own class",
                           style=_STYLE, layout=w.Layout(width="420px")),
        "token": text("token", "ohwx"),
        "branch": dropdown("branch"),
        "model_type": dropdown("model_type"),
        "preset": dropdown("preset"),
        "base_tune_id": text("base_tune_id", "optional, e.g. 1504944 (Flux.1 dev)"),
        "steps": text("steps", "optional: the service's default"),
        "face_crop": dropdown("face_crop"),
        "training_face_correct": dropdown("training_face_correct"),
        "auto_extend": w.Checkbox(value=DEFAULT_RAW["auto_extend"], indent=False,
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
