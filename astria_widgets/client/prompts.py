"""The prompt calls of the client: create, list, page, read, duplicate, update and delete.

``PromptCalls`` is mixed into :class:`~astria_widgets.client.AstriaClient`. ``create_prompt``
sends what it is given (file inputs as multipart); ``generate`` (:mod:`.generate`) checks the
parameters and writes the text first, then calls it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from astria_widgets.client import uploads
from astria_widgets.client.base import CLOCK_SLACK, ClientBase, Record, first_record
from astria_widgets.client.checks import record_id
from astria_widgets.client.errors import InputError
from astria_widgets.client.pagination import MAX_PAGE_SIZE, iter_keyset
from astria_widgets.client.status import parse_time

PROMPT_FILE_PARAMS = frozenset({
    "input_image", "mask_image", "video_first_frame", "video_last_frame", "input_video",
    "audio_reference", "image_references",
})
"""The prompt attributes that may hold files (sent as multipart parts)."""
PROMPT_UPDATES = ("pack_id", "base_pack_id", "workspace_id")
"""The prompt fields ``update_prompt`` may change."""


def prompt_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with each file input of :data:`PROMPT_FILE_PARAMS` as an upload part."""
    out = dict(fields)
    for key in PROMPT_FILE_PARAMS & out.keys():
        value = out[key]
        if isinstance(value, list):
            out[key] = [uploads.as_file_part(v, key) or v for v in value]
        else:
            out[key] = uploads.as_file_part(value, key) or value
    return out


def _same_value(stated: Any, sent: Any) -> bool:
    """A record's value read as the one sent (``7`` and ``7.0``; text as given)."""
    if isinstance(sent, bool) or isinstance(stated, bool):
        return bool(stated) == bool(sent) if isinstance(stated, bool) == isinstance(sent, bool) \
            else str(stated).lower() == str(sent).lower()
    if isinstance(sent, (int, float)) and isinstance(stated, (int, float, str)):
        try:
            return float(stated) == float(sent)
        except ValueError:
            return False
    return str(stated) == str(sent)


def _states_the_same(record: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    """True unless ``record`` states a plain value other than the one ``sent``."""
    for key, value in sent.items():
        if key == "text" or not isinstance(value, (bool, int, float, str)):
            continue
        stated = record.get(key)
        if stated is not None and not _same_value(stated, value):
            return False
    return True


def prompts_path(tune_id: int | None) -> str:
    """``/prompts`` (the account's), or ``/tunes/:id/prompts`` of one tune."""
    if tune_id is None:
        return "/prompts"
    return f"/tunes/{record_id(tune_id, 'tune_id')}/prompts"


class PromptCalls(ClientBase):
    """The client's prompt calls (see the module docstring)."""

    def create_prompt(self, tune_id: int, text: str, **params: Any) -> Record:
        """Create a prompt on a tune (for LoRA/FaceID, a base tune with ``<lora:ID:1>``).

        ``params`` are any documented prompt attributes; file inputs (``input_image``,
        ``mask_image``... as Path, bytes, open file or (name, bytes)) are sent as multipart.
        """
        tid = record_id(tune_id, "tune_id")
        if not isinstance(text, str) or (not text.strip() and "video_model" not in params):
            raise InputError("text: the prompt text is empty", context="create_prompt")
        prompt = prompt_fields({"text": text, **params})
        seed = params.get("seed")
        return first_record(self._transport.create(
            f"/tunes/{tid}/prompts", self._body("prompt", prompt, (), "", None),
            find_existing=lambda started: self._find_prompt(tid, text, seed, started,
                                                            sent=params),
        ))

    def _find_prompt(self, tune_id: int, text: str, seed: Any, started: datetime,
                     exclude: int | None = None,
                     sent: Mapping[str, Any] | None = None) -> Record | None:
        """The prompt a failed create made, if any (a heuristic; the API has no request id).

        Among the newest prompts of the tune, the newest one with the same ``text`` (and the
        same ``seed`` when one was given) created no earlier than the create began (minus
        :data:`~astria_widgets.client.base.CLOCK_SLACK`). An identical prompt made by someone
        else in that instant would be taken for it; pass a distinct ``seed`` to rule that out.
        Every other plain value ``sent`` (``cfg_scale``, ``steps``...) that the record states
        must match too, so the cells of a sweep sent at once are never taken for each other.
        """
        for prompt in self.list_prompts(tune_id, limit=50):
            if prompt.get("id") == exclude or prompt.get("text") != text:
                continue
            if seed is not None and prompt.get("seed") != seed:
                continue
            if not _states_the_same(prompt, sent or {}):
                continue
            created = parse_time(prompt.get("created_at"))
            if created is not None and created < started - CLOCK_SLACK:
                continue
            return prompt
        return None

    def list_prompts(self, tune_id: int | None = None, *, limit: int | None = None,
                     before_id: int | None = None, offset: int | None = None,
                     **filters: Any) -> list[Record]:
        """One page of prompts of a tune, or of the whole account without ``tune_id``."""
        return self._list(prompts_path(tune_id), limit, before_id, offset, filters)

    def iter_prompts(self, tune_id: int | None = None, *, page_size: int = MAX_PAGE_SIZE,
                     before_id: int | None = None, **filters: Any) -> Iterator[Record]:
        """Every prompt (of a tune, or account-wide), newest first, paged by ``before_id``."""
        path = prompts_path(tune_id)
        return iter_keyset(lambda p: self._get(path, {**filters, **p}) or [],
                           page_size=page_size, before_id=before_id)

    def get_prompt(self, tune_id: int | None, prompt_id: int) -> Record:
        """One prompt; ``tune_id`` may be None (then ``GET /prompts/:id``)."""
        pid = record_id(prompt_id, "prompt_id")
        if tune_id is None:
            return self._get(f"/prompts/{pid}")
        return self._get(f"/tunes/{record_id(tune_id, 'tune_id')}/prompts/{pid}")

    def duplicate_prompt(self, prompt_id: int, *, image_index: int | None = None,
                         **overrides: Any) -> Record:
        """Clone a prompt, overriding any attribute (e.g. a new ``seed``)."""
        pid = record_id(prompt_id, "prompt_id")

        def find(started: datetime) -> Record | None:
            original = self.get_prompt(None, pid)
            text = overrides.get("text", original.get("text"))
            return self._find_prompt(original["tune_id"], text, overrides.get("seed"), started,
                                     exclude=pid)

        extra = {"image_index": image_index} if image_index is not None else None
        return first_record(self._transport.create(
            f"/prompts/{pid}/duplicate",
            self._body("prompt", prompt_fields(overrides), (), "", None, extra),
            find_existing=find,
        ))

    def update_prompt(self, prompt_id: int, *, tune_id: int | None = None,
                      **fields: int | None) -> Record:
        """Set a prompt's ``pack_id`` (make it a template of your pack), ``base_pack_id`` or
        ``workspace_id`` (move it); ``None`` clears one. Returns the updated prompt."""
        pid = record_id(prompt_id, "prompt_id")
        allowed = ", ".join(PROMPT_UPDATES)
        problems = [f"{key}: not a prompt field that can be changed (use {allowed})"
                    for key in fields if key not in PROMPT_UPDATES]
        body: dict[str, Any] = {}
        for key, value in fields.items():
            if key not in PROMPT_UPDATES:
                continue
            try:
                body[key] = None if value is None else record_id(value, key)
            except InputError as exc:
                problems.extend(exc.problems)
        if not fields:
            problems.append(f"give at least one of {', '.join(PROMPT_UPDATES)}")
        if problems:
            raise InputError(problems, context="update_prompt")
        path = f"/prompts/{pid}" if tune_id is None else \
            f"/tunes/{record_id(tune_id, 'tune_id')}/prompts/{pid}"
        return self._transport.request("PATCH", path, json={"prompt": body})

    def delete_prompt(self, prompt_id: int, tune_id: int | None = None) -> None:
        """Delete a prompt (``DELETE /prompts/:id``, or under its tune when given)."""
        pid = record_id(prompt_id, "prompt_id")
        if tune_id is None:
            self._delete(f"/prompts/{pid}")
        else:
            self._delete(f"/tunes/{record_id(tune_id, 'tune_id')}/prompts/{pid}")
