"""The studio's parameter fields, built from the one catalogue (``client.prompt_params``).

One field per catalogue entry of the studio's groups: a checkbox for a switch (unchecked means
"not sent": the account default applies), a dropdown with "default" for a choice, a text box for
numbers (so that a wrong entry can be shown next to it instead of being refused silently) and
text. Image fields are :class:`~astria_widgets.widgets.images.ImagePicker` s, picked like
training images. :func:`read_field` turns what a field holds into the value sent, or a message.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from astria_widgets.client.prompt_params import Param, group_params, parse_text, read_bool

STUDIO_GROUPS: tuple[tuple[str, str], ...] = (
    ("everyday", "Everyday"),
    ("quality", "Quality"),
    ("image-to-image", "Image to image"),
)
#: Catalogue entries without a studio field (given another way or not for a studio).
HIDDEN = frozenset({"input_image_base64", "input_image_url", "mask_image_url"})
_STYLE = {"description_width": "120px"}
UNSET = "default"


def studio_params(group: str) -> list[Param]:
    """The catalogue entries shown as fields of ``group``."""
    return [p for p in group_params(group) if p.name not in HIDDEN]


def make_field(param: Param) -> w.Widget:
    """The input widget of one parameter (images: an ``ImagePicker``)."""
    tip = param.help or param.label
    if param.kind == "bool":
        field: w.Widget = w.Checkbox(value=False, description=param.label, indent=False,
                                     tooltip=tip)
    elif param.kind == "enum":
        options = [(f"({UNSET})", UNSET)] + [(str(c), str(c)) for c in param.choices]
        field = w.Dropdown(options=options, value=UNSET, description=param.label,
                           style=_STYLE, tooltip=tip)
    elif param.kind == "file":
        from astria_widgets.widgets.images import ImagePicker

        field = ImagePicker()
    elif param.name == "negative_prompt":
        field = w.Textarea(description=param.label, placeholder=tip, style=_STYLE,
                           layout=w.Layout(width="420px", height="48px"))
    else:
        field = w.Text(description=param.label, placeholder=tip, style=_STYLE,
                       layout=w.Layout(width="300px"))
    field.add_class(f"astria-studio-{param.name.replace('_', '-')}")
    return field


def build_groups(messages: dict[str, w.HTML]) -> tuple[w.Accordion, dict[str, w.Widget]]:
    """The parameter groups as an Accordion (each field beside its message in ``messages``)
    and the fields by parameter name."""
    fields: dict[str, w.Widget] = {}
    groups = []
    for group, _label in STUDIO_GROUPS:
        rows: list[w.Widget] = []
        for param in studio_params(group):
            field = fields[param.name] = make_field(param)
            if param.kind == "file":
                title = w.HTML(f"<b>{html.escape(param.label)}</b> "
                               f"<small>{html.escape(param.help)}</small>")
                rows.append(w.VBox([title, field, messages[param.name]]))
            else:
                rows.append(w.HBox([field, messages[param.name]],
                                   layout=w.Layout(align_items="center")))
        groups.append(w.VBox(rows))
    accordion = w.Accordion(children=groups, selected_index=0)
    for index, (_group, label) in enumerate(STUDIO_GROUPS):
        accordion.set_title(index, label)
    return accordion, fields


def read_field(param: Param, field: w.Widget) -> tuple[Any, str | None]:
    """(value to send or ``None``, why the entry cannot be read or ``None``)."""
    if param.kind == "bool":
        return (True if field.value else None), None
    if param.kind == "enum":
        if field.value in (None, UNSET):
            return None, None
        choice = next((c for c in param.choices if str(c) == field.value), field.value)
        return choice, None
    if param.kind == "file":
        accepted = field.accepted
        if field.errors:
            return None, field.errors[0]
        if len(accepted) > 1:
            return None, f"pick one image, not {len(accepted)}"
        return (accepted[0] if accepted else None), None
    text = str(field.value).strip()
    if not text:
        return None, None
    try:
        return parse_text(param, text), None
    except ValueError as exc:
        return None, str(exc)


def field_value(param: Param, value: Any) -> Any:
    """What the (non-image) field of ``param`` shows for ``value`` (``None`` clears it).

    Raises ``ValueError`` naming the parameter when the field cannot show ``value``: a switch
    that is not a clear yes/no (:func:`~astria_widgets.client.prompt_params.read_bool`), a
    choice that is not one of the catalogue's. Nothing is replaced silently.
    """
    if param.kind == "bool":
        if value is None:
            return False
        try:
            return read_bool(value)
        except ValueError as exc:
            raise ValueError(f"{param.name}: {exc}") from None
    if param.kind == "enum":
        if value is None:
            return UNSET
        text = str(value)
        if isinstance(value, bool) or text not in {str(c) for c in param.choices}:
            raise ValueError(f"{param.name}: {value!r} is not one of "
                             f"{', '.join(str(c) for c in param.choices)}")
        return text
    return "" if value is None else str(value)


def write_field(param: Param, field: w.Widget, value: Any) -> None:
    """Show ``value`` in a field (``None`` clears it); images go through ``add_images``.

    Raises ``ValueError`` (see :func:`field_value`) before changing the field.
    """
    if param.kind == "file":
        field.clear()
        if value is not None:
            field.add_images([value])
    else:
        field.value = field_value(param, value)
