"""``TuneForm``: pick images, fill in the tune's fields and prompts, submit, watch it train.

The form is a view of a :class:`~astria_widgets.client.form_model.TuneFormModel` (``.model``):
the validation, the recommendations, the token default, the submission and the mapping of a
422's errors onto the fields live there; the form renders it and forwards every edit. It
validates live (each problem next to its field, Submit disabled with the reason), and
``form.errors`` lists every current problem as text naming the field or file. ``submit()``
returns a :class:`SubmitHandle` at once: the model's
:class:`~astria_widgets.client.watch.TuneWatch` creates the tune in its thread through
``client.create_tune(on_progress=...)`` and then follows it; a ``TuneProgress`` renders the
watch. API errors come back inline, every input is kept, and a resubmit with the title of the
tune this form just created shows that tune again instead of creating another.
"""

from __future__ import annotations

import html
import logging
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from astria_widgets.client.background import in_background
from astria_widgets.client.form_model import PRICING, FormInvalid, TuneFormModel
from astria_widgets.client.tune_fields import FIELD_NAMES
from astria_widgets.client.tune_prompts import prompt_list
from astria_widgets.client.watch import TuneWatch
from astria_widgets.history.recorder import record_tune_watch
from astria_widgets.widgets.fallback import StaticFallback
from astria_widgets.widgets.fallback_html import Section, form_section
from astria_widgets.widgets.form_fields import build_fields
from astria_widgets.widgets.formatting import error_html, errors_html, short_error
from astria_widgets.widgets.images import ImagePicker
from astria_widgets.widgets.progress import TuneProgress
from astria_widgets.widgets.prompts import PromptsEditor
from astria_widgets.widgets.submit_handle import SubmitHandle

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient
    from astria_widgets.imaging.checks import ImageReport

__all__ = ["FormInvalid", "SubmitHandle", "TuneForm"]
logger = logging.getLogger(__name__)
# Worker threads log here; without any handler Python's last-resort handler would print
# warnings to stderr, which ipykernel 7 routes to whatever cell runs last.
logger.addHandler(logging.NullHandler())

INITIAL_VALUE_NAMES = (*FIELD_NAMES, "prompts", "images")
_NOTE_STYLE = "color: var(--jp-warn-color1, #ef6c00); font-size: smaller"


class TuneForm(StaticFallback, w.VBox):
    """A form to create a tune: training images, fields, prompts, Submit and live progress.

    ``TuneForm(client=None, **initial_values)``: ``client`` defaults to ``connect()`` at the first
    submit (constructing the form starts nothing); ``initial_values`` are any of ``title``,
    ``name``, ``token``, ``branch``, ``model_type``, ``preset``, ``base_tune_id``, ``steps``,
    ``face_crop``, ``training_face_correct``, ``auto_extend``, ``characteristics`` (a dict),
    ``callback``, ``image_urls``, ``prompts`` (strings or dicts) and ``images`` (anything
    :meth:`add_images` takes).

    The branch, model type, class name and number of images fill ``model_type``, ``preset``
    and ``base_tune_id`` as the docs recommend (:mod:`astria_widgets.client.recommend`), with
    the reasons above the fields; a field the user changes keeps their value, and its row says
    what the override means.

    ``max_spend`` (dollars) is the form's own limit (the client's holds too). Under a limit a
    tune is priced before sending (its training estimated from the gallery packs on its branch,
    a click pricing in the background) and one over what is left, or unpriced, is refused,
    said in the form's message, every field kept.
    """

    valid = traitlets.Bool(False, help="True when Submit is possible")
    reason = traitlets.Unicode("", help="why Submit is disabled ('' when it is not)")
    static_kind = "tune-form"  # its output's static copy: widgets/fallback.py

    def __init__(self, client: AstriaClient | None = None, *, max_spend: float | None = None,
                 **initial_values: Any) -> None:
        unknown = set(initial_values) - set(INITIAL_VALUE_NAMES)
        if unknown:
            raise TypeError(
                f"TuneForm got unknown field(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(INITIAL_VALUE_NAMES)}"
            )
        self._handle: SubmitHandle | None = None
        self._opening: Future[Any] | None = None  # "Generate with this tune" building a studio
        self._connecting: Future[None] | None = None  # Submit without a client: connect()
        self.fields: dict[str, w.ValueWidget] = build_fields()
        self.picker = ImagePicker(client=client)
        #: what the form shows and does (validation, recommendations, submission)
        self.model = TuneFormModel(client, images=self.picker.images, show=self._show_value,
                                   max_spend=max_spend)
        self._lock = self.model.lock
        self._field_messages = {name: w.HTML() for name in FIELD_NAMES}
        for name, message in self._field_messages.items():
            message.add_class("astria-field-message")
            message.add_class(f"astria-field-{name.replace('_', '-')}-message")
        self.offer_label = w.HTML()
        self.offer_label.add_class("astria-characteristics-offer")
        self.offer_button = w.Button(description="Use as characteristics", icon="plus",
                                      layout=w.Layout(width="auto", display="none"))
        self.offer_button.add_class("astria-use-characteristics")
        self.offer_button.on_click(self._on_offer_click)
        self._images_message = w.HTML()
        self._images_message.add_class("astria-images-message")
        self.prompt_editor = PromptsEditor()
        self.submit_button = w.Button(
            description="Submit",
            button_style="primary",
            icon="rocket",
            tooltip="Create the tune and watch it train",
            disabled=True,
        )
        self.submit_button.add_class("astria-submit")
        self.submit_button.on_click(self._on_submit_button_click)
        self.reason_label = w.HTML()
        self.reason_label.add_class("astria-submit-reason")
        self.message = w.HTML()
        self.message.add_class("astria-form-message")
        self.progress_box = w.VBox()
        self.progress_box.add_class("astria-form-progress")
        self.advice = w.HTML()
        self.advice.add_class("astria-form-advice")
        self.balance_label = w.HTML()
        self.balance_label.add_class("astria-form-balance")
        self.generate_button = w.Button(description="Generate with this tune", icon="magic",
                                        layout=w.Layout(display="none", width="auto"))
        self.generate_button.add_class("astria-form-generate")
        self.generate_button.on_click(lambda _b: self._on_generate_click())
        self.studio_box = w.VBox()
        self.studio_box.add_class("astria-form-studio")

        rows = {
            name: w.HBox(
                [self.fields[name], self._field_messages[name]],
                layout=w.Layout(align_items="center"),
            )
            for name in FIELD_NAMES
        }
        field_rows = [self.advice] + [rows[n] for n in FIELD_NAMES if n != "image_urls"]
        images_box = w.VBox([w.HTML("<b>Training images</b>"), self.picker,
                             w.HBox([self.offer_label, self.offer_button],
                                    layout=w.Layout(align_items="center")),
                             rows["image_urls"], self._images_message])
        images_box.add_class("astria-form-images")
        super().__init__(
            children=[
                w.HTML("<h3 style='margin: 0'>New tune</h3>"),
                images_box,
                w.VBox(field_rows),
                self.prompt_editor,
                w.HBox(
                    [self.submit_button, self.reason_label, self.balance_label],
                    layout=w.Layout(align_items="center"),
                ),
                self.message,
                self.progress_box,
                self.generate_button,
                self.studio_box,
            ]
        )
        self.add_class("astria-tune-form")

        for name, value in self.model.raw.items():  # the model's defaults (a fresh title)
            self.fields[name].value = value
        self.set_values(**initial_values)
        self.model.set_up()
        for name, widget in self.fields.items():
            widget.observe(
                lambda change, name=name: self._on_field_change(name, change), names="value"
            )
        self.picker.observe(self._on_picker_version, names="version")
        self.picker.observe(self._on_picker_characteristics, names="characteristics")
        self.picker.class_name = self.values["name"]
        self.model.subscribe(lambda _model: self._show_message())
        if client is not None:
            self.refresh_balance()
        self.prompt_editor.observe(self._on_prompts_version, names="version")
        self._refresh()

    # ------------------------------------------------------------------ values
    def set_values(self, **values: Any) -> None:
        """Set fields (same names as the constructor's ``initial_values``)."""
        unknown = set(values) - set(INITIAL_VALUE_NAMES)
        if unknown:
            raise TypeError(f"unknown field(s): {', '.join(sorted(unknown))}")
        if "prompts" in values:  # checked before any field changes: all or nothing
            values = {**values, "prompts": prompt_list(values["prompts"])}
        self.model.set_values(values)
        if "prompts" in values:
            self.prompt_editor.set_prompts(values["prompts"])
        if values.get("images"):
            self.add_images(values["images"])
        with self._lock:
            self.model.apply_recommendation()
            self._refresh()

    @property
    def values(self) -> dict[str, Any]:
        """The tune parameters the form would send (without the images), typed."""
        return {**self.model.values, "prompts": self.prompt_editor.value}

    def add_images(self, items: Any) -> list[ImageReport]:
        """Add training images (paths, folders, bytes, (name, bytes) pairs, open files)."""
        return self.picker.add_images(items)

    def add_prompt(self, text: str = "", **options: Any) -> None:
        """Add a prompt row (``num_images``, ``negative_prompt``, ``seed``... as options)."""
        self.prompt_editor.add_prompt(text, **options)

    def field_message(self, name: str) -> str:
        """The HTML shown next to field ``name``: its problems, else what an override means."""
        return self._field_messages[name].value

    @property
    def client(self) -> AstriaClient | None:
        """The client the form submits with (``None`` until resolved by the first submit)."""
        return self.model.client

    @property
    def handle(self) -> SubmitHandle | None:
        """The latest submission's handle, if any."""
        return self._handle

    # ------------------------------------------------------------------ model -> view
    def _show_value(self, name: str, value: Any) -> None:
        """The model puts ``value`` into field ``name`` (its observer tells the model)."""
        self.fields[name].value = value

    @property
    def errors(self) -> list[str]:
        """Every current problem, as text naming the field or the file (empty when valid)."""
        return self.model.problems(self.prompt_editor.problems()).as_list()

    @property
    def field_messages(self) -> dict[str, w.HTML]:
        """The message shown next to each field (field name -> its ``HTML`` widget)."""
        return dict(self._field_messages)

    @property
    def warnings(self) -> list[str]:
        """Things worth knowing that do not block submitting (e.g. image warnings)."""
        return self.model.images.warnings

    def _refresh(self) -> None:
        """Render every message, the advice, the Submit button and ``valid`` from the model."""
        with self._lock:
            found = self.model.problems(self.prompt_editor.problems())
            notes = self.model.override_notes()
            for name, message in self._field_messages.items():
                message.value = errors_html(found.fields.get(name, [])) or (
                    f'<span style="{_NOTE_STYLE}">{html.escape(notes[name])}</span>'
                    if name in notes else "")
            # the picker shows each file's problems and warnings itself, on its thumbnail
            picker_errors = set(self.picker.errors)
            self._images_message.value = errors_html(
                m for m in found.images if m not in picker_errors)
            self.prompt_editor.show_messages(found.prompts)
            self.advice.value = "<div style='font-size: smaller'><b>Recommended:</b> " + " ".join(
                html.escape(reason) for reason in self.model.advice) + "</div>"
            problems = found.as_list()
            busy = self._handle is not None and self._handle.submitting
            self.valid = not problems
            if busy:
                self.reason = "submitting..."
            elif problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                self.reason = f"{problems[0]}{more}"
            else:
                self.reason = ""
            self.submit_button.disabled = busy or bool(problems)
            self.reason_label.value = (
                html.escape(self.reason)
                if busy
                else errors_html([self.reason] if self.reason else [])
            )

    def _show_message(self) -> None:
        text, error = self.model.message
        self.message.value = error_html(text) if error else html.escape(text)

    # ------------------------------------------------------------------ view -> model
    def _on_field_change(self, name: str, change: dict[str, Any]) -> None:
        try:
            with self._lock:
                self.model.changed(name, change["new"])
                if name == "name":
                    self.picker.class_name = str(change["new"] or "").strip()
                self._refresh()
        except Exception:  # noqa: BLE001 - an observer must never raise into the front end
            logger.exception("form update failed")

    def _on_picker_version(self, _change: dict[str, Any]) -> None:
        try:
            with self._lock:
                self.model.images_changed()
                self._refresh()
        except Exception:  # noqa: BLE001
            logger.exception("form update failed")

    def _on_prompts_version(self, _change: dict[str, Any]) -> None:
        try:
            with self._lock:
                self.model.prompts_changed()
                self._refresh()
        except Exception:  # noqa: BLE001
            logger.exception("form update failed")

    def refresh_balance(self) -> str:
        """Show the account's balance in dollars next to Submit (one ``GET /users``)."""
        from astria_widgets.client.costs import balance_text

        client = self.model.client or self.picker.client
        if client is None:
            return ""
        try:
            text = balance_text(client.account())
        except Exception as exc:  # noqa: BLE001 - a balance is a courtesy, never a failure
            text = f"balance unknown ({short_error(exc)})"
        self.balance_label.value = f"<span style='font-size: smaller'>{html.escape(text)}</span>"
        return text

    def _on_picker_characteristics(self, change: dict[str, Any]) -> None:
        """Offer what the inspector found in most photos (never applied without a click)."""
        found = change["new"] or {}
        self.offer_label.value = "" if not found else (
            "Astria found in most photos: " + html.escape(
                "; ".join(f"{k}: {v}" for k, v in found.items())))
        self.offer_button.layout.display = None if found else "none"

    def _on_offer_click(self, _button: w.Button) -> None:
        """Add the offered characteristics to the field, keeping every row already there."""
        text = self.fields["characteristics"].value
        rows = [line for line in text.splitlines() if line.strip()]
        have = {line.partition(":")[0].strip() for line in rows}
        rows += [f"{k}: {v}" for k, v in self.picker.characteristics.items() if k not in have]
        self.fields["characteristics"].value = "\n".join(rows)

    # ------------------------------------------------------------------ submitting
    def submit(self) -> SubmitHandle:
        """Start the submission and return its :class:`SubmitHandle` at once.

        Raises :class:`FormInvalid` (a ``ValueError``) listing :attr:`errors` when the form is
        not valid. While a submission is still being created, returns that submission's handle.
        The client is resolved here (``connect()`` when none was given).
        """
        with self._lock:
            if self._handle is not None and self._handle.submitting:
                return self._handle
            if self.model.client is None and self.picker.client is not None:
                self.model.client = self.picker.client  # the one "Check with Astria" connected
            if self.model.client is None:
                from astria_widgets.connect import connect

                self.model.use_client(connect(quiet=True))
            prompts = self.prompt_editor.value
        # under a max_spend the tune is priced first: requests, so outside the form's lock
        # (the kernel's edits take it); a click runs this in the background
        estimate = self.model.price(prompts)
        with self._lock:
            if self._handle is not None and self._handle.submitting:
                return self._handle
            try:
                submission = self.model.prepare(self.prompt_editor.value,
                                                self.prompt_editor.problems(),
                                                estimate=estimate)
            except FormInvalid:
                self._refresh()
                raise
            if self.picker.client is None:
                self.picker.client = self.model.client
            if self._handle is not None:
                self._handle.stop()
            watch = submission.watch
            progress = TuneProgress(watch=watch, title=submission.title)
            handle = SubmitHandle(submission.title, watch, progress)
            self._offer_generate(watch)
            self._handle = handle
            watch.subscribe(lambda _watch: self._on_watch_change(handle))
            record_tune_watch(watch, params=submission.values, label=submission.title)
            self.progress_box.children = (progress,)
            self.model.start(submission, on_failed=lambda summary: progress.set_error_message(
                "Not submitted: " + summary))
            self._refresh()
        return handle

    def _on_watch_change(self, handle: SubmitHandle) -> None:
        """Subscriber: once the submission is no longer being created, refresh Submit."""
        try:
            with self._lock:
                if handle is self._handle and not handle.submitting:
                    self._refresh()
        except Exception:  # noqa: BLE001 - a subscriber must never raise
            logger.exception("form update failed")
        if handle is self._handle and handle.done:  # once (widgets/fallback.py: when copies update)
            self.refresh_static(now=True)

    def static_sections(self) -> list[Section]:
        """The form's title, class and counts, then its submission's progress (static copy)."""
        raw = {name: self.fields[name].value for name in ("title", "name", "branch")}
        heading = form_section({**raw, "prompts": self.prompt_editor.value}, self.picker.count,
                               submitted=self._handle is not None)
        progress = self._handle.progress.static_sections() if self._handle is not None else []
        return [heading, *progress]

    def _on_submit_button_click(self, _button: w.Button) -> None:
        if self.model.client is None and self.picker.client is None:
            # connect() may look for a sandbox or start one: not on the kernel's thread
            self.submit_button.disabled = True
            self.model.set_message("Connecting...")
            self._connecting = in_background(self._connect_and_submit, "astria-connect")
            return
        if self.model.client is None:
            self.model.client = self.picker.client  # the one "Check with Astria" connected
        if self.model.priced():
            # a max_spend holds it: the tune is priced first (the gallery packs, the
            # catalogue, recent prompts): not on the kernel's thread
            self.submit_button.disabled = True
            self.model.set_message(PRICING)
            self._connecting = in_background(self._submit_from_click, "astria-price-tune")
            return
        self._submit_from_click()

    def _connect_and_submit(self) -> None:
        from astria_widgets.connect import connect

        try:
            self.model.use_client(connect(quiet=True))
        except Exception as exc:  # noqa: BLE001 - a click never dumps a traceback
            self.model.set_message(f"Could not connect: {short_error(exc)}", error=True)
            self._refresh()
            return
        self._submit_from_click()

    def _submit_from_click(self) -> None:
        try:
            self.submit()
        except FormInvalid:
            if self.model.message[0].endswith(PRICING):  # refused by a field, not by price
                self.model.set_message("")
            self._refresh()
        except Exception as exc:  # noqa: BLE001 - a click never dumps a traceback
            logger.exception("submit failed")
            self.model.set_message(f"Could not submit: {short_error(exc)}", error=True)

    # ------------------------------------------------------------------ generating
    def _offer_generate(self, watch: TuneWatch) -> None:
        """Show "Generate with this tune" once the submitted tune is trained."""
        self.generate_button.layout.display = "none"

        def on_change(changed: TuneWatch) -> None:
            if changed.status == "trained" and changed.tune_id is not None:
                self.generate_button.layout.display = ""

        watch.subscribe(on_change)

    def open_studio(self) -> Any:
        """Open a ``PromptStudio`` on the tune this form created (below the form); return it.

        The studio loads its tunes and the balance in the background (``wait_loaded()``).
        """
        from astria_widgets.widgets.studio import PromptStudio

        tune = self._handle.tune if self._handle is not None else None
        if tune is None:
            raise ValueError("no tune was created yet")
        studio = PromptStudio(client=self.model.client, tune=tune, background=True)
        self.studio_box.children = (studio,)
        return studio

    def _on_generate_click(self) -> None:
        """Build the studio in a worker thread (hundreds of widgets): the click returns."""

        def job() -> Any:
            try:
                return self.open_studio()
            except Exception as exc:  # noqa: BLE001 - a click never dumps a traceback
                self.model.set_message(f"Could not open the studio: {short_error(exc)}",
                                       error=True)
                return None

        self._opening = in_background(job, "astria-open-studio")

    def wait_studio(self, timeout: float | None = None) -> Any:
        """The studio "Generate with this tune" opened, once it is built (``None`` if none
        was opened, or it could not be); ``TimeoutError`` when ``timeout`` runs out."""
        if self._opening is not None:
            self._opening.result(timeout)
        return self.studio_box.children[0] if self.studio_box.children else None

    def __repr__(self) -> str:
        values = self.values
        return (
            f"TuneForm(name={values['name']!r}, branch={values['branch']!r}, "
            f"images={self.picker.count}, prompts={len(values['prompts'])}, "
            f"valid={not self.errors})"
        )
