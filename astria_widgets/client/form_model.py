"""``TuneFormModel``: what the tune form knows and does, without any widget.

The model behind ``TuneForm`` (``widgets/form.py`` only renders it and forwards edits):

- the fields' raw values (what each input shows, :mod:`~astria_widgets.client.tune_fields`)
  and the typed parameters they make (:attr:`TuneFormModel.values`);
- the validation: each field's problems, the training images' (an
  :class:`~astria_widgets.client.image_set.ImageSet`), the prompt rows' (the rules of
  :mod:`~astria_widgets.client.tune_prompts`, read by the client's prompt catalogue), and
  what the service
  refused last time (a 422's errors mapped onto fields and rows by
  :func:`~astria_widgets.client.tune_fields.map_server_error_key`);
- the recommendations (:mod:`~astria_widgets.client.recommend`): recommended fields the user
  did not set follow them; a field the user set is an override until set back;
- the token default of the branch until a token is typed;
- the submission: a :class:`~astria_widgets.client.watch.TuneWatch` whose thread creates the
  tune through ``client.create_tune`` (the client's create path: after a 5xx or a dropped
  connection it looks the title up instead of creating a duplicate) and follows it; a resubmit
  with the title of the tune just created shows that tune again.

A view gives the model a ``show(field, value)`` function: the model calls it to put a value
it chose (a recommendation, the token default) into the field, and the view's observer of that
field calls :meth:`TuneFormModel.changed`, as for a user's edit. Subscribers
(:meth:`TuneFormModel.subscribe`) hear of a new message, possibly from the watch's thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astria_widgets.client.errors import (
    APIError,
    InputError,
    ServerError,
    TransportError,
    ValidationError,
    short_error,
)
from astria_widgets.client.image_set import ImageSet
from astria_widgets.client.pricing import (
    Estimate,
    SpendLimit,
    limited,
    limits_of,
    price_tune,
    spend_refusal,
)
from astria_widgets.client.recommend import (
    RECOMMENDED_FIELDS,
    Recommendation,
    override_notes,
    recommend,
)
from astria_widgets.client.tune_fields import (
    FIELD_CHOICES,
    FIELD_NAMES,
    choice_problem,
    default_raw,
    default_token,
    field_problems,
    map_server_error_key,
    raw_value,
    typed_values,
)
from astria_widgets.client.watch import TuneWatch
from astria_widgets.imaging.checks import caption_branch_problems

if TYPE_CHECKING:
    from astria_widgets.client.api import AstriaClient

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())  # the watch thread logs here

Record = dict[str, Any]
Show = Callable[[str, Any], Any]

class FormInvalid(InputError):
    """``TuneForm.submit()`` on a form that is not valid; ``.problems`` lists every problem."""

    def __init__(self, problems: list[str] | str, *, context: str = "") -> None:
        super().__init__(problems, context=context or "The tune form is not ready to submit")


# -- the form ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problems:
    """The form's current problems: by field, of the images, by prompt row, and the rest."""

    fields: dict[str, list[str]]
    images: list[str]
    prompts: dict[int, list[str]]
    general: list[str]

    def as_list(self) -> list[str]:
        """Every problem as text naming its field, file or prompt row."""
        found = [f"{name}: {m}" for name in FIELD_NAMES for m in self.fields.get(name, [])]
        found += self.images
        found += [f"prompt {i + 1}: {m}" for i in sorted(self.prompts) for m in self.prompts[i]]
        return found + self.general


PRICING = "Pricing the tune before sending..."
"""The form's message while a click's submit prices the tune (a max_spend holds it)."""


@dataclass(eq=False)
class Submission:
    """One submission: its title and the :class:`TuneWatch` that creates and follows the tune
    (``existing``: the tune just created with this title, shown again instead)."""

    title: str
    watch: TuneWatch
    existing: Record | None
    values: dict[str, Any] = field(repr=False)
    images: list[tuple[str, bytes]] = field(repr=False)
    error_summary: str | None = None
    #: its price before sending (a max_spend held it), counted as spent once created
    estimate: Estimate | None = None

    @property
    def submitting(self) -> bool:
        """True until the tune was created (or the creation failed)."""
        watch = self.watch
        return watch.tune is None and watch.error is None and not watch.done


class TuneFormModel:
    """The tune form's state and actions (see the module docstring).

    ``client`` may be ``None`` until the view gives one (:meth:`use_client`: the form connects
    at its first submit). ``images`` is the training images' set (default: a new one);
    ``show`` the view's way of putting a value into a field (see the module docstring).
    """

    def __init__(self, client: AstriaClient | None = None, *, images: ImageSet | None = None,
                 show: Show | None = None, max_spend: float | None = None) -> None:
        #: the form's own max_spend and what its tunes spent (the client's limit holds too)
        self.limit = SpendLimit(max_spend, context="TuneForm")
        self.client = client
        self.images = images if images is not None else ImageSet()
        self.raw: dict[str, Any] = default_raw()
        self.lock = threading.RLock()  # the kernel's edits and the watch's thread
        self.rejected: dict[str, str] = {}  # field -> why a value given was refused
        self.server_errors: dict[str, list[str]] = {}
        self.server_prompt_errors: dict[int, list[str]] = {}
        self.overridden: set[str] = set()  # recommended fields the user set themselves
        self.token_typed = False
        self.note = ""  # said before every message (e.g. that the sandbox is used)
        self.message: tuple[str, bool] = ("", False)  # (text, is an error)
        self.advice: tuple[str, ...] = ()  # why the recommended values are recommended
        self.last_created: Record | None = None
        self.submission: Submission | None = None
        self._show = show
        self._live = False  # until set_up(): changes only record the value
        self._setting_token = False
        self._applying = False
        self._subscribers: list[Callable[[TuneFormModel], Any]] = []

    # -- values ------------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        """The typed tune parameters of the fields (no prompts, no images)."""
        return typed_values(self.raw)

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Set fields from typed values (the names of ``FIELD_NAMES``; as ``TuneForm(...)``).

        A value a field cannot show is kept out of it and said next to it (``rejected``); a
        recommended field given is the caller's choice (an override).
        """
        with self.lock:
            for name in FIELD_NAMES:
                if name not in values or name == "token":
                    continue
                try:
                    choice = raw_value(name, values[name])
                except ValueError as exc:
                    self.rejected[name] = str(exc)
                    continue
                if name in RECOMMENDED_FIELDS:
                    self.overridden.add(name)
                choices = FIELD_CHOICES.get(name)
                if choices is not None and choice not in {v for _label, v in choices}:
                    self._write(name, None)  # a choice it cannot hold: nothing, and why
                    self.rejected[name] = choice_problem(values[name], choices)
                    continue
                self._write(name, choice)
                self.rejected.pop(name, None)
            if "token" in values:
                token = raw_value("token", values["token"])  # text, shown and checked as typed
                self.token_typed = bool(token)
                self._set_token(token)
                if not self.token_typed:
                    self._set_token(default_token(self.raw["branch"]))

    def set_up(self) -> None:
        """End of construction: the branch's token unless one was given, the recommendation,
        and from now on every change counts."""
        with self.lock:
            if not self.token_typed:
                self._set_token(default_token(self.raw["branch"]))
            self.apply_recommendation()
            self._live = True

    def changed(self, name: str, value: Any) -> None:
        """Field ``name`` now shows ``value`` (typed by the user, or put there by the model)."""
        with self.lock:
            self.raw[name] = value
            if not self._live:
                return
            if name == "token" and not self._setting_token:
                self.token_typed = bool(str(value).strip())
            if name == "branch" and not self.token_typed:
                self._set_token(default_token(value))
            if name in RECOMMENDED_FIELDS and not self._applying:
                self._mark_override(name)
            if name in ("branch", "model_type", "name", "image_urls"):
                self.apply_recommendation()
            self.server_errors.pop(name, None)
            self.server_errors.pop("general", None)
            self.rejected.pop(name, None)

    def images_changed(self) -> None:
        """The training images changed (the recommendation counts them)."""
        with self.lock:
            self.apply_recommendation()
            self.server_errors.pop("images", None)
            self.server_errors.pop("general", None)

    def prompts_changed(self) -> None:
        """A prompt row was added, removed or edited."""
        with self.lock:
            self.server_errors.pop("prompts", None)
            self.server_errors.pop("general", None)
            self.server_prompt_errors.clear()

    def _write(self, name: str, value: Any) -> None:
        """Put ``value`` into field ``name``: through the view (whose observer calls
        :meth:`changed`), else directly."""
        old = self.raw.get(name)
        if self._show is not None:
            self._show(name, value)
        if self._show is None or not self._live:
            if old != value:
                self.changed(name, value)

    def _set_token(self, token: str) -> None:
        self._setting_token = True
        try:
            self._write("token", token)
        finally:
            self._setting_token = False

    # -- recommendations ---------------------------------------------------------------------
    def image_count(self) -> int:
        """Training images: files picked and URLs given."""
        return self.images.count + len(self.values["image_urls"] or ())

    def recommendation(self) -> Recommendation:
        """What the docs recommend for the current branch, model type, class and images."""
        values = self.values
        return recommend(values["branch"], values["model_type"], values["name"],
                         self.image_count())

    def apply_recommendation(self) -> None:
        """Fill the recommended fields the user did not set; keep the reasons (``advice``)."""
        if self._applying or self.raw["branch"] is None or self.raw["model_type"] is None:
            return  # re-entered from a field it set, or a refused value shows its message
        rec = self.recommendation()
        self._applying = True
        try:
            for name, value in rec.values.items():
                if name not in self.overridden:
                    self._write(name, raw_value(name, value))
        finally:
            self._applying = False
        self.advice = self.recommendation().reasons  # the model type may have changed it

    def _mark_override(self, name: str) -> None:
        rec = self.recommendation()
        if name in rec.values and self.values[name] == rec.values[name]:
            self.overridden.discard(name)  # back to the recommendation: follow it again
        else:
            self.overridden.add(name)

    def override_notes(self) -> dict[str, str]:
        """``{field: what its value means}`` for the fields that differ from the advice."""
        if self.raw["branch"] is None or self.raw["model_type"] is None:
            return {}
        return override_notes(self.values, self.recommendation(), self.image_count())

    # -- validation --------------------------------------------------------------------------
    def problems(self, prompts: Mapping[int, list[str]] | None = None) -> Problems:
        """Every current problem; ``prompts`` are the rows' own (:func:`prompt_problems`)."""
        with self.lock:
            fields = field_problems(self.raw)
            for name, message in self.rejected.items():
                fields[name] = [message]  # names the refused value, not just "choose one"
            for name, messages in self.server_errors.items():
                if name in FIELD_NAMES:
                    fields.setdefault(name, []).extend(messages)
            images: list[str] = []
            if self.images.count == 0 and not self.values["image_urls"]:
                images.append("images: add at least one training image or image URL")
            images.extend(self.images.errors)
            images.extend(f"images: {m}" for m in caption_branch_problems(
                [r.name for r in self.images.reports if r.ok], self.raw["branch"]))
            images.extend(f"images: {m}" for m in self.server_errors.get("images", []))
            rows = {i: list(found) for i, found in (prompts or {}).items()}
            for index, messages in self.server_prompt_errors.items():
                rows.setdefault(index, []).extend(messages)
            general = [f"prompts: {m}" for m in self.server_errors.get("prompts", [])]
            general += self.server_errors.get("general", [])
            return Problems(fields, images, rows, general)

    @property
    def submitting(self) -> bool:
        """True while the latest submission's tune is being created."""
        return self.submission is not None and self.submission.submitting

    # -- messages ----------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[TuneFormModel], Any]) -> None:
        """Call ``callback(model)`` after each new message (from any thread)."""
        self._subscribers.append(callback)

    def set_message(self, text: str, *, error: bool = False) -> None:
        """Say ``text`` (after the note, if any) and tell the subscribers."""
        self.message = (self.note + text if text else "", error)
        for callback in list(self._subscribers):
            try:
                callback(self)
            except Exception:  # noqa: BLE001 - a subscriber never breaks the form
                logger.exception("a form subscriber raised")

    # -- submitting --------------------------------------------------------------------------
    def use_client(self, client: AstriaClient) -> None:
        """Submit with ``client`` (connected for the user) from now on; a sandbox is said
        before every message."""
        self.client = client
        if client.is_sandbox:
            self.note = f"No ASTRIA_API_KEY: using the local sandbox at {client.base_url}. "

    def priced(self) -> bool:
        """True when a submit is priced first: a ``max_spend`` holds it (the client's or the
        form's own). Pricing sends requests (:meth:`price`): a view's click then submits in
        the background."""
        client = self.client
        return client is not None and limited(limits_of(client, self.limit))

    def price(self, prompts: list[dict[str, Any]]) -> Estimate | None:
        """The tune's estimate with ``prompts`` (:func:`~astria_widgets.client.pricing.
        price_tune`) when :meth:`priced`, else None. Sends requests (the gallery packs once
        per client): call it without holding :attr:`lock`, off the kernel's thread."""
        with self.lock:
            client, values = self.client, {**self.values, "prompts": prompts}
            if client is None or not self.priced():
                return None
        return price_tune(client, values)

    def prepare(self, prompts: list[dict[str, Any]],
                prompt_rows: Mapping[int, list[str]] | None = None, *,
                estimate: Estimate | None = None) -> Submission:
        """A submission of the current values, not started (a view subscribes to its watch,
        then calls :meth:`start`). Raises :class:`FormInvalid` listing every problem, or
        the ``max_spend`` refusal (said in the form's message too). ``estimate``: the
        tune's price from :meth:`price` (when a limit holds and none is given, it is priced
        here first, before :attr:`lock` is taken)."""
        if estimate is None and self.priced():
            estimate = self.price(prompts)
        with self.lock:
            problems = self.problems(prompt_rows).as_list()
            if problems:
                raise FormInvalid(problems)
            client = self.client
            if client is None:
                raise ValueError("no client to submit with: give one to use_client() first")
            values = {**self.values, "prompts": prompts}
            refusal = estimate is not None and spend_refusal(
                limits_of(client, self.limit), estimate,
                f"this tune ({values.get('title')!r}, with {len(prompts)} prompt(s))")
            if refusal:  # said in the form's message; every field keeps its value
                self.set_message(refusal, error=True)
                raise FormInvalid([refusal])
            images = self.images.accepted
            if self.submission is not None:
                self.submission.watch.stop()
            title = values["title"]
            shown = self.last_created
            existing = shown if shown is not None and shown.get("title") == title else None
            submission = Submission(title, TuneWatch(client, existing, fetch_images=True),
                                    existing, values, images, estimate=estimate)
            self.submission = submission
            return submission

    def start(self, submission: Submission,
              on_failed: Callable[[str], Any] | None = None) -> None:
        """Start ``submission``'s watch: it creates the tune in its thread, then follows it.
        ``on_failed(summary)`` runs in that thread when the service refuses the tune."""
        self.set_message("")
        if submission.existing is not None:
            self.set_message(f"A tune titled {submission.title!r} exists already "
                             f"(#{submission.existing.get('id')}); showing it instead of "
                             "creating a duplicate.")
            submission.watch.start()
        else:
            submission.watch.start(lambda upload: self._create(submission, upload, on_failed))

    def _create(self, submission: Submission, on_upload: Any,
                on_failed: Callable[[str], Any] | None) -> Record:
        """The watch's create step (in its thread): ``client.create_tune``, outcome said."""
        values = submission.values
        params = {k: v for k, v in values.items() if k != "prompts" and v is not None}
        try:
            tune = submission.watch.client.create_tune(
                images=submission.images, prompts=values["prompts"], on_progress=on_upload,
                **params)
        except Exception as exc:
            logger.warning("submitting tune %r failed: %s", submission.title, short_error(exc),
                           exc_info=not isinstance(exc, (APIError, InputError)))
            with self.lock:
                summary = submission.error_summary = self.absorb_error(exc)
                if on_failed is not None:
                    on_failed(summary)
                self.set_message("Not submitted: " + summary + " Your inputs are kept; fix "
                                 "and submit again.", error=True)
            raise  # ends the watch with status "error"; wait() re-raises it
        with self.lock:
            self.last_created = tune
            spent = submission.estimate.mc if submission.estimate is not None else None
            for holder in limits_of(submission.watch.client, self.limit) if spent else ():
                holder.spent_mc += spent  # what max_spend has left counts it
            self.set_message(f"Created tune #{tune.get('id')}. Submitting again with this "
                             "title shows it again; change the title for a new tune.")
        return tune

    def absorb_error(self, exc: BaseException) -> str:
        """Put the service's per-field messages on the fields; return a one-line summary."""
        if isinstance(exc, ValidationError):
            for key, messages in (exc.errors or {}).items():
                target, index = map_server_error_key(key)
                texts = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
                if target == "prompts" and index is not None:
                    self.server_prompt_errors.setdefault(index, []).extend(texts)
                elif target == "general":
                    self.server_errors.setdefault("general", []).extend(
                        f"{key}: {t}" for t in texts)
                else:
                    self.server_errors.setdefault(target, []).extend(texts)
            if not exc.errors:
                self.server_errors.setdefault("general", []).append(exc.message or str(exc))
            unplaced = self.server_errors.get("general", []) + [
                f"prompts: {m}" for m in self.server_errors.get("prompts", [])]
            return "the service refused some values (marked below)" + (
                ": " + "; ".join(unplaced) + "." if unplaced else ".")
        if isinstance(exc, InputError):
            self.server_errors.setdefault("general", []).extend(exc.problems)
            return "; ".join(exc.problems) + "."
        if isinstance(exc, (TransportError, ServerError)):
            return (f"{short_error(exc)}. The service did not confirm the tune (the client "
                    "looked for its title and found none); if in doubt, check your tunes before "
                    "submitting again.")
        if isinstance(exc, APIError):
            return f"{short_error(exc)}."
        return f"unexpected {short_error(exc)}."
