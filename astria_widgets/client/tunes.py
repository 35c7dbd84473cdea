"""The tune calls of the client: list, page, read, create, update and delete tunes.

``TuneCalls`` is mixed into :class:`~astria_widgets.client.AstriaClient`; its methods are the
client's ``list_tunes``, ``iter_tunes``, ``get_tune``, ``create_tune``, ``update_tune`` and
``delete_tune``. The prompts created with a tune (``create_tune(prompts=...)``) are checked by
the one prompt-parameter catalogue (:mod:`.prompt_params`), as ``generate`` checks its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from astria_widgets.client import prompt_params, uploads
from astria_widgets.client.base import ClientBase, ProgressCallback, Record, first_record
from astria_widgets.client.checks import (
    as_urls,
    callback_problems,
    check_characteristics,
    name_title_problems,
    record_id,
    stripped,
    token_problem,
    url_problems,
)
from astria_widgets.client.errors import InputError
from astria_widgets.client.pagination import MAX_PAGE_SIZE, iter_keyset


def tune_prompt_entries(prompts: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """``(prompts as prompt attributes, problems)`` of the prompts created with a tune.

    Each item is a text or a dict with ``text`` and prompt parameters; the parameters are
    checked by :func:`~astria_widgets.client.prompt_params.param_problems` (and sent as
    :func:`~astria_widgets.client.prompt_params.plain_params` sends them); each problem names
    the prompt: ``prompts[1]: the prompt text is empty``, ``prompts[1][seed]: ...``.
    """
    if prompts is None:
        return [], []
    if isinstance(prompts, (str, Mapping)):
        prompts = [prompts]
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    for index, item in enumerate(prompts):
        entry = {"text": item} if isinstance(item, str) else dict(item) \
            if isinstance(item, Mapping) else None
        if entry is None:
            problems.append(f"prompts[{index}]: give a string or a dict, not "
                            f"{type(item).__name__}")
            continue
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"prompts[{index}]: the prompt text is empty")
        params = {k: v for k, v in entry.items() if k != "text"}
        for name, messages in prompt_params.param_problems(params).items():
            problems.extend(f"prompts[{index}][{name}]: {message}" for message in messages)
        out.append({**entry, **prompt_params.plain_params(params)})
    return out, problems


def tune_param_problems(callback: Any, token: Any, steps: Any, base_tune_id: Any,
                        characteristics: Any) -> list[str]:
    """Problems of ``create_tune``'s optional fields, each naming its argument."""
    problems = callback_problems(callback=callback)
    if token is not None and token_problem(token):
        problems.append(f"token: {token_problem(token)}")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)
                              or steps <= 0):
        problems.append(f"steps: {steps!r} must be a positive whole number")
    if base_tune_id is not None:
        try:
            record_id(base_tune_id, "base_tune_id")
        except InputError as exc:
            problems.extend(exc.problems)
    problems.extend(check_characteristics(characteristics)[1])
    return problems


class TuneCalls(ClientBase):
    """The client's tune calls (see the module docstring)."""

    def list_tunes(self, *, limit: int | None = None, before_id: int | None = None,
                   offset: int | None = None, **filters: Any) -> list[Record]:
        """One page of your tunes, newest first. Filters: ``title``, ``name``, ``branch``..."""
        return self._list("/tunes", limit, before_id, offset, filters)

    def iter_tunes(self, *, page_size: int = MAX_PAGE_SIZE, before_id: int | None = None,
                   **filters: Any) -> Iterator[Record]:
        """Every tune (newest first), paged by ``before_id``; no id twice, none skipped."""
        return iter_keyset(lambda p: self._get("/tunes", {**filters, **p}) or [],
                           page_size=page_size, before_id=before_id)

    def get_tune(self, tune_id: int) -> Record:
        """One tune by id."""
        return self._get(f"/tunes/{record_id(tune_id, 'tune_id')}")

    def delete_tune(self, tune_id: int) -> None:
        """Delete a tune (its model, images and, for checkpoints, its prompts)."""
        self._delete(f"/tunes/{record_id(tune_id, 'tune_id')}")

    def update_tune(self, tune_id: int, *, title: str | None = None, name: str | None = None,
                    characteristics: Mapping[str, str] | None = None) -> Record:
        """Change a tune's title, class name or characteristics; returns the updated tune."""
        tid = record_id(tune_id, "tune_id")
        problems = []
        fields: dict[str, Any] = {}
        for label, value in (("title", title), ("name", name)):
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{label}: {value!r} must be non-empty text")
            else:
                fields[label] = value.strip()
        if characteristics is not None:
            found, bad = check_characteristics(characteristics)
            problems.extend(bad)
            fields["characteristics"] = found
        if not fields and not problems:
            problems.append("give at least one of title, name, characteristics")
        if problems:
            raise InputError(problems, context="update_tune")
        return self._transport.request("PATCH", f"/tunes/{tid}", json={"tune": fields})

    def create_tune(
        self,
        *,
        name: str,
        images: Any = (),
        image_urls: Iterable[str] = (),
        title: str | None = None,
        prompts: Any = (),
        callback: str | None = None,
        branch: str | None = None,
        steps: int | None = None,
        token: str | None = None,
        face_crop: bool | None = None,
        training_face_correct: bool | None = None,
        base_tune_id: int | None = None,
        model_type: str | None = None,
        auto_extend: bool | None = None,
        preset: str | None = None,
        characteristics: Mapping[str, str] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Record:
        """Create a fine-tune from images (paths, bytes, files, pairs) and/or image URLs.

        ``prompts`` (strings, or dicts of ``text`` and prompt parameters checked like
        ``generate``'s) become ``prompts_attributes``. ``title`` defaults to a fresh UUID so
        that a retried create finds its tune instead of making a duplicate. File images are
        checked first (``InputError`` lists every problem). Multipart with bracketed keys when
        files are sent, JSON otherwise; ``on_progress(sent, total)`` reports upload bytes.
        """
        problems = name_title_problems(name, title)
        title = str(uuid.uuid4()) if title is None else title
        urls = as_urls(image_urls)
        problems.extend(url_problems("image_urls", urls))
        problems.extend(tune_param_problems(callback, token, steps, base_tune_id,
                                            characteristics))
        prompt_list, prompt_problems = tune_prompt_entries(prompts)
        problems.extend(prompt_problems)
        image_inputs = uploads.as_list(images)
        if not image_inputs and not urls:
            problems.append("images: give at least one training image or image URL")
        if problems:
            raise InputError(problems, context="create_tune")
        # the service's branch: the one given, else the base tune's (unknown here), else sd15
        known_branch = branch if branch is not None else (
            "flux1" if base_tune_id is not None else "sd15")
        parts = uploads.prepare_training_images(image_inputs, branch=known_branch) \
            if image_inputs else []
        tune: dict[str, Any] = {
            "title": title, "name": name.strip(), "callback": stripped(callback),
            "branch": branch, "steps": steps, "token": token, "face_crop": face_crop,
            "training_face_correct": training_face_correct,
            "base_tune_id": None if base_tune_id is None else int(base_tune_id),
            "model_type": model_type, "auto_extend": auto_extend, "preset": preset,
            "characteristics": check_characteristics(characteristics)[0] or None,
            "image_urls": [u.strip() for u in urls] or None,
            "prompts_attributes": prompt_list or None,
        }
        return first_record(self._transport.create(
            "/tunes", self._body("tune", tune, parts, "images", on_progress),
            find_existing=lambda started: self._find_tune_by_title(title),
        ))

    def _find_tune_by_title(self, title: str) -> Record | None:
        """The newest tune with exactly this title (title filter, then the newest pages).

        The title is the documented idempotency key of a tune, so a tune carrying it is the
        one the failed create made (or the one it would have returned).
        """
        for tune in self.list_tunes(title=title, limit=MAX_PAGE_SIZE):
            if tune.get("title") == title:
                return tune
        pages = self._transport.retry.lookup_pages
        for index, tune in enumerate(self.iter_tunes(page_size=MAX_PAGE_SIZE)):
            if index >= pages * MAX_PAGE_SIZE:
                break
            if tune.get("title") == title:
                return tune
        return None
