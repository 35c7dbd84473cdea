"""The generating calls of the client: plan a prompt, check and read its inputs, create it.

``GenerateCalls`` is mixed into :class:`~astria_widgets.client.AstriaClient`: ``plan_prompt``
(where a prompt for a tune runs and its text as sent, :mod:`.references`), ``prepare_prompt``
(every check of ``generate``, the parameters by :mod:`.prompt_params`, the file inputs read by
:func:`read_prompt_files`; nothing created) and ``generate`` (``prepare_prompt`` then
``create_prompt``). Many prompts at once, followed as they settle, are a
:class:`~astria_widgets.client.generation.GenerationRun` (:mod:`.generation`), which calls
these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from astria_widgets.client import prompt_params, references, uploads
from astria_widgets.client.base import Record
from astria_widgets.client.checks import is_http_url, record_id
from astria_widgets.client.errors import InputError
from astria_widgets.client.prompts import PromptCalls
from astria_widgets.client.references import PromptPlan
from astria_widgets.client.status import TUNE_UNUSABLE, tune_status
from astria_widgets.client.tunes import TuneCalls

FILE_INPUTS: dict[str, str] = {
    "input_image": "image", "mask_image": "image", "video_first_frame": "image",
    "video_last_frame": "image", "input_video": "video", "audio_reference": "audio",
}
"""The single-file inputs of a prompt and what each holds (``uploads.read_media``'s kind).

The API notes (section 2.7) document each as "file / URL": a multipart file upload, or its
``<name>_url`` parameter. That is the reading chosen: a local path (or bytes, an open file, a
``(name, bytes)`` pair) is read and uploaded; an http(s) URL goes in ``<name>_url``. Never is
a path sent as text."""


def read_prompt_files(params: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``(params with their local file inputs read and checked, problems naming each)``.

    Nothing is sent. Each input of :data:`FILE_INPUTS` (``input_image``, ``mask_image``,
    ``video_first_frame``, ``video_last_frame``: pictures; ``input_video``: a video;
    ``audio_reference``: a sound): an http(s) URL moves to ``<name>_url``; a path, bytes, an
    open binary file or a ``(name, bytes)`` pair is read once (``uploads.read_media``: regular
    files only, with a size limit) and must hold its kind. ``image_references``: a list of
    pictures, each read like ``input_image`` (URLs belong in ``image_reference_urls``). Values
    already read pass unchanged, so reading twice is cheap. ``None`` values are dropped.
    """
    out = {k: v for k, v in params.items() if v is not None}
    problems: list[str] = []
    for name, kind in FILE_INPUTS.items():
        value = out.get(name)
        if value is None:
            continue
        if isinstance(value, str) and is_http_url(value):
            if out.get(f"{name}_url") is not None:
                problems.append(f"{name}: give one of {name} and {name}_url, not both")
            else:
                out[f"{name}_url"] = out.pop(name).strip()
            continue
        try:
            out[name] = uploads.read_media(value, name, kind)
        except InputError as exc:
            problems.extend(exc.problems)
    if isinstance(out.get("image_references"), (list, tuple)) and not out["image_references"]:
        del out["image_references"]  # none given
    if out.get("image_references") is not None:
        out["image_references"] = _read_references(out["image_references"], problems)
    return out, problems


def _read_references(given: Any, problems: list[str]) -> list[Any]:
    """The pictures of ``image_references``, read; their problems added to ``problems``."""
    try:
        items = [] if isinstance(given, Mapping) else uploads.as_list(given)
    except TypeError:  # not a list at all, e.g. True
        items = []
    if not items:
        problems.append(f"image_references: give a list of pictures (paths, bytes, open "
                        f"files or (name, bytes) pairs), not {given!r:.60}")
    parts: list[Any] = []
    for index, item in enumerate(items):
        label = f"image_references[{index}]"
        if isinstance(item, str) and is_http_url(item):
            problems.append(f"{label}: {item.strip()!r} is a URL; give URLs as "
                            "image_reference_urls")
            continue
        try:
            parts.append(uploads.read_media(item, label, "image"))
        except InputError as exc:
            problems.extend(exc.problems)
    return parts


class GenerateCalls(TuneCalls, PromptCalls):
    """The client's generating calls (see the module docstring)."""

    def _tune_records(self, tune: Any, label: str = "tune") -> list[Record]:
        """``tune`` (an id, a record, or a list of them) as tune records (ids are fetched)."""
        items = list(tune) if isinstance(tune, (list, tuple)) else [tune]
        if not items:
            raise InputError(f"{label}: give a tune id or record (or a list of them)")
        records = []
        for index, item in enumerate(items):
            name = label if len(items) == 1 else f"{label}[{index}]"
            if isinstance(item, Mapping):
                record_id(item.get("id"), f"{name}['id']")
                records.append(dict(item))
            else:
                records.append(self.get_tune(record_id(item, name)))
        return records

    def plan_prompt(self, tune: Any, text: str, *, weight: float = 1) -> PromptPlan:
        """Where a prompt for ``tune`` runs and its text as it will be sent (no prompt made).

        ``tune``: an id, a tune record (yours or a gallery one), or a list for a multi-subject
        prompt. Ids are fetched; records are used as given. See :mod:`.references`.
        """
        if not isinstance(text, str):
            raise InputError(f"text: the prompt text must be a string, not {type(text).__name__}")
        if references.weight_problem(weight):
            raise InputError(references.weight_problem(weight) or "", context="plan_prompt")
        records = self._tune_records(tune)
        try:
            return references.plan_prompt(records, text, weight=weight)
        except ValueError as exc:
            raise InputError(f"tune: {exc}", context="plan_prompt") from None

    def generate(self, tune: Any, text: str, *, weight: float = 1, **params: Any) -> Record:
        """Create a prompt with your tune (or a gallery model); returns the prompt record.

        Picks where the prompt runs and writes the reference and token for the tune's kind
        (:func:`~astria_widgets.client.references.plan_prompt`); ``tune`` may be a list for a
        multi-subject prompt (each tune once). ``params`` are the documented image parameters
        (:mod:`~astria_widgets.client.prompt_params`), checked before sending; ``input_image``
        and ``mask_image`` take a path, bytes, an open file, a (name, bytes) pair or a URL, and
        ``image_references`` a list of the same (not URLs: ``image_reference_urls``).
        ``weight`` is the adapter strength written into the reference (``<lora:ID:weight>``).
        Raises :class:`InputError` listing every problem, each naming its parameter.
        """
        plan, ready = self.prepare_prompt(tune, text, weight=weight, **params)
        return self.create_prompt(plan.tune_id, plan.text, **ready)

    def prepare_prompt(self, tune: Any, text: str, *, weight: float = 1,
                       **params: Any) -> tuple[PromptPlan, dict[str, Any]]:
        """Everything :meth:`generate` checks and reads, without creating the prompt.

        Returns ``(plan, params ready to send)``; ``create_prompt(plan.tune_id, plan.text,
        **params)`` is then what :meth:`generate` does. Tune ids are fetched
        (records are used as given); image inputs are read (:func:`read_prompt_files`).
        Raises :class:`InputError` listing every problem, each naming its parameter.
        """
        problems: list[str] = []
        weight_problem = references.weight_problem(weight)
        if weight_problem:
            problems.append(weight_problem)
            weight = 1
        if not isinstance(text, str) or not text.strip():
            problems.append("text: the prompt text is empty")
        params, file_problems = read_prompt_files(params)
        params = prompt_params.plain_params(params)  # np.int64(3) -> 3, seed=1.0 -> 1
        problems.extend(prompt_params.problem_list(prompt_params.param_problems(params)))
        problems.extend(file_problems)
        records: list[Record] = []
        try:
            records = self._tune_records(tune)
        except InputError as exc:
            problems.extend(exc.problems)
        for record in records:
            state = tune_status(record, self._transport.server_now())
            if state in TUNE_UNUSABLE:
                what = "failed training" if state == "failed" else "has expired"
                why = f" ({record['error']})" if record.get("error") else ""
                problems.append(f"tune: tune {record.get('id')} {what}{why}; it cannot "
                                "generate")
        plan = None
        if records and isinstance(text, str) and text.strip():
            try:
                plan = references.plan_prompt(records, text, weight=weight)
            except ValueError as exc:
                problems.append(f"tune: {exc}")
        if problems or plan is None:
            raise InputError(list(dict.fromkeys(problems)), context="generate")
        return plan, params
