"""The prompts editor of the tune form: rows of prompt text plus the common options.

Each :class:`PromptRow` edits one prompt (text, number of images, negative prompt, seed, aspect
ratio, super resolution, face correction) and shows its own problems next to it; the
:class:`PromptsEditor` adds and removes rows and bumps ``version`` on every change so the form can
re-validate live. The rules (what a value reads as, what is a problem, what is sent) are the
client's (:mod:`astria_widgets.client.tune_prompts`), over the client's prompt catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import ipywidgets as w
import traitlets

from astria_widgets.client.tune_prompts import (
    ASPECT_RATIOS,
    PROMPT_OPTIONS,
    prompt_problems,
    prompt_value,
    read_prompt,
)
from astria_widgets.widgets.formatting import errors_html

_NARROW = {"description_width": "initial"}


class PromptRow(w.VBox):
    """One prompt: its text, the common options, a remove button and its messages."""

    def __init__(self, text: str = "", **options: Any) -> None:
        unknown = set(options) - set(PROMPT_OPTIONS)
        if unknown:
            raise TypeError(f"unknown prompt option(s): {', '.join(sorted(unknown))}")
        self.text = w.Textarea(
            value=text,
            placeholder="ohwx man as an astronaut, photo, 50mm",
            rows=2,
            layout=w.Layout(width="100%"),
        )
        self.text.add_class("astria-prompt-text")
        # IntText, not BoundedIntText: a typed 9 is shown as a problem, never silently made 8
        self.num_images = w.IntText(
            value=1,
            description="images",
            style=_NARROW,
            layout=w.Layout(width="110px"),
        )
        self.num_images.add_class("astria-prompt-num-images")
        self.negative_prompt = w.Text(
            placeholder="negative prompt (optional)", layout=w.Layout(width="220px")
        )
        self.negative_prompt.add_class("astria-prompt-negative")
        self.seed = w.Text(placeholder="seed (random)", layout=w.Layout(width="120px"))
        self.seed.add_class("astria-prompt-seed")
        self.aspect_ratio = w.Dropdown(
            options=[("aspect: default", "")] + [(r, r) for r in ASPECT_RATIOS],
            value="",
            layout=w.Layout(width="140px"),
        )
        self.aspect_ratio.add_class("astria-prompt-aspect-ratio")
        self.super_resolution = w.Checkbox(
            value=False,
            description="super resolution",
            indent=False,
            layout=w.Layout(width="auto"),
        )
        self.face_correct = w.Checkbox(
            value=False, description="face correct", indent=False, layout=w.Layout(width="auto")
        )
        self.remove_button = w.Button(
            description="Remove",
            icon="trash",
            tooltip="Remove this prompt",
            layout=w.Layout(width="auto"),
        )
        self.remove_button.add_class("astria-prompt-remove")
        self.message = w.HTML()
        self.message.add_class("astria-prompt-message")
        # option -> why a value given to set_value was refused (cleared when that input changes)
        self._rejected: dict[str, str] = {}
        for key in ("num_images", "aspect_ratio"):
            getattr(self, key).observe(
                lambda _change, key=key: self._rejected.pop(key, None), names="value"
            )
        self.set_value({"text": text, **options})
        options_row = w.HBox(
            [
                self.num_images,
                self.seed,
                self.aspect_ratio,
                self.negative_prompt,
                self.super_resolution,
                self.face_correct,
                self.remove_button,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        super().__init__(
            children=[self.text, options_row, self.message],
            layout=w.Layout(border="1px solid var(--jp-border-color2, #ddd)", padding="4px"),
        )
        self.add_class("astria-prompt-row")

    @property
    def inputs(self) -> tuple[w.ValueWidget, ...]:
        """The value widgets of this row (observed by the editor)."""
        return (
            self.text,
            self.num_images,
            self.negative_prompt,
            self.seed,
            self.aspect_ratio,
            self.super_resolution,
            self.face_correct,
        )

    @property
    def raw(self) -> dict[str, Any]:
        """What the row's inputs show, by option name."""
        return {key: getattr(self, key).value for key in PROMPT_OPTIONS}

    def set_value(self, value: str | Mapping[str, Any]) -> None:
        """Fill the row from a prompt text or a dict of prompt attributes."""
        raw, rejected = read_prompt(value)
        for key, shown in raw.items():
            getattr(self, key).value = shown
        # recorded after the widgets were set (setting them clears earlier refusals)
        self._rejected.clear()
        self._rejected.update(rejected)

    def problems(self) -> list[str]:
        """What is wrong with this row (messages without the row label)."""
        return prompt_problems(self.raw, self._rejected)

    @property
    def value(self) -> dict[str, Any]:
        """The prompt attributes to send (options left at their defaults are omitted)."""
        return prompt_value(self.raw)

    def show_messages(self, messages: Iterable[str]) -> None:
        """Show ``messages`` under the row (an empty iterable clears them)."""
        self.message.value = errors_html(messages)


class PromptsEditor(w.VBox):
    """A list of :class:`PromptRow` with an "Add prompt" button."""

    version = traitlets.Int(0, help="bumped whenever a row is added, removed or edited")

    def __init__(self, prompts: Iterable[str | Mapping[str, Any]] = ()) -> None:
        self.rows: list[PromptRow] = []
        self._rows_box = w.VBox()
        self.add_button = w.Button(
            description="Add prompt", icon="plus", tooltip="Add a prompt to run once trained"
        )
        self.add_button.add_class("astria-add-prompt")
        self.add_button.on_click(self._on_add_button_click)
        super().__init__(
            children=[
                w.HTML("<b>Prompts</b> (run when training ends)"),
                self._rows_box,
                self.add_button,
            ],
        )
        self.add_class("astria-prompts")
        for prompt in prompts:
            self.add_prompt(prompt)

    def add_prompt(self, prompt: str | Mapping[str, Any] = "", **options: Any) -> PromptRow:
        """Append a row for ``prompt`` (text or dict) plus ``options``; return it."""
        data = {"text": prompt} if isinstance(prompt, str) else dict(prompt)
        data.update(options)
        row = PromptRow(**data)
        for child in row.inputs:
            child.observe(self._on_row_change, names="value")
        row.remove_button.on_click(lambda _button, row=row: self.remove_prompt(row))
        self.rows.append(row)
        self._rows_box.children = tuple(self.rows)
        self.version += 1
        return row

    def remove_prompt(self, row: PromptRow | int) -> None:
        """Remove a row (the row itself or its 0-based index)."""
        target = self.rows[row] if isinstance(row, int) else row
        self.rows.remove(target)
        self._rows_box.children = tuple(self.rows)
        target.close()
        self.version += 1

    def set_prompts(self, prompts: Iterable[str | Mapping[str, Any]]) -> None:
        """Replace every row."""
        for row in list(self.rows):
            self.remove_prompt(row)
        for prompt in prompts:
            self.add_prompt(prompt)

    @property
    def value(self) -> list[dict[str, Any]]:
        """Every prompt's attributes, in order."""
        return [row.value for row in self.rows]

    def problems(self) -> dict[int, list[str]]:
        """``{row index: [problem, ...]}`` for the rows that have problems."""
        return {i: found for i, row in enumerate(self.rows) if (found := row.problems())}

    def show_messages(self, messages: Mapping[int, Iterable[str]]) -> None:
        """Show each row's messages (rows missing from ``messages`` are cleared)."""
        for i, row in enumerate(self.rows):
            row.show_messages(messages.get(i, ()))

    def _on_add_button_click(self, _button: w.Button) -> None:
        self.add_prompt()

    def _on_row_change(self, _change: dict[str, Any]) -> None:
        self.version += 1
