"""``AstriaClient``: one method per documented endpoint, and the two waits.

Transport, encoding, uploads, paging and polling live in their own modules; this file only
says which path each call uses, what it sends and how a failed create is recognised as done.
Records are returned as the JSON came (plain ``dict``).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from astria_widgets.client import downloads, encoding, prompt_params, references, uploads
from astria_widgets.client.errors import AstriaError, InputError, NotFoundError
from astria_widgets.client.pagination import MAX_PAGE_SIZE, iter_keyset
from astria_widgets.client.references import PromptPlan, referenced_tune_ids
from astria_widgets.client.status import (
    parse_time,
    prompt_is_terminal,
    tune_is_stalled,
    tune_is_terminal,
    tune_status,
)
from astria_widgets.client.transport import RetrySettings, Transport
from astria_widgets.client.waiting import PollPolicy, next_delay, next_prompt_delay, wait

DEFAULT_BASE_URL = "https://api.astria.ai"
Record = dict[str, Any]
ProgressCallback = Callable[[int, int], Any]

#: A prompt found after a failed create must be this new (s of slack before the create began).
CLOCK_SLACK = timedelta(seconds=2)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_PROMPT_FILE_PARAMS = frozenset({
    "input_image", "mask_image", "video_first_frame", "video_last_frame", "input_video",
    "audio_reference", "image_references",
})


def record_id(value: Any, label: str) -> int:
    """An object id as int, or :class:`InputError` naming the argument ``label``.

    The one id rule of the package: a whole number (``int``, a numpy integer, an integral
    float such as ``5.0`` or ``numpy.float32(5)``) or its digits as text, at least 1.
    ``True``/``False``, ``5.7``, ``"1e3"`` and the like are refused, never truncated or read
    as 1. Every id a user gives (the client's calls, the studio, the browser, the watches,
    ``watch_tune``, the magic and the commands) goes through it.
    """
    number: int | None = None
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        number = None
    elif isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None:
        if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
            raise InputError(f"{label}: {value!r} is not a whole number (ids are whole "
                             "numbers)")
        raise InputError(f"{label}: {value!r} is not a numeric id")
    if number < 1:
        raise InputError(f"{label}: {value!r} is not a valid id (ids are positive numbers)")
    return number


_record_id = record_id  # the short name used throughout this module


_PROMPT_UPDATES = ("pack_id", "base_pack_id", "workspace_id")


def _workspace_value(value: Any) -> int | str | None:
    """A workspace setting: None, ``"all"`` or a workspace id; else :class:`InputError`."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "all"):
        return None if value is None else "all"
    try:
        return _record_id(value, "workspace_id")
    except InputError:
        raise InputError(f"workspace_id: {value!r} is not a workspace id (give a number, "
                         "'all', or None for your personal scope)") from None


def _pack_key(value: Any, label: str) -> str:
    """A pack id or slug as one path segment, or :class:`InputError` naming the argument."""
    key = str(value).strip()
    if not key or "/" in key:
        raise InputError(f"{label}: {value!r} is not a pack id or slug")
    return key


HTTP_URL_RULE = "must be an http(s):// URL with a host, e.g. https://example.com/hook"
"""What a URL input must be: the one message of the client and the form."""


def is_http_url(value: Any) -> bool:
    """True for an absolute http(s) URL with a host once surrounding whitespace is stripped.

    The one URL rule of the package: the client checks ``callback`` and ``image_urls`` with it
    (and sends them stripped), the form checks its callback field with it.
    """
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text or any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)


def _as_urls(image_urls: Any) -> list[Any]:
    """``image_urls`` as a list (a single string is one URL)."""
    return [image_urls] if isinstance(image_urls, str) else list(image_urls or ())


def _url_problems(label: str, values: Sequence[Any]) -> list[str]:
    return [f"{label}[{i}]: {u!r} {HTTP_URL_RULE}" for i, u in enumerate(values)
            if not is_http_url(u)]


def _callback_problems(**callbacks: Any) -> list[str]:
    """A problem for each given callback URL that breaks :data:`HTTP_URL_RULE`."""
    return [f"{label}: {url!r} {HTTP_URL_RULE}" for label, url in callbacks.items()
            if url is not None and not is_http_url(url)]


def _name_title_problems(name: Any, title: Any) -> list[str]:
    """Problems of a new tune's class name and title (``None`` means a generated title)."""
    problems = []
    if not isinstance(name, str):
        problems.append(f"name: the class name must be text (e.g. 'man', 'woman', 'dog'), "
                        f"not {type(name).__name__}")
    elif not name.strip():
        problems.append("name: the class name is empty (e.g. 'man', 'woman', 'dog')")
    if title is not None and not isinstance(title, str):
        problems.append(f"title: the title must be text, not {type(title).__name__}")
    elif title is not None and not title.strip():
        problems.append("title: the title is empty")
    return problems


CHARACTERISTIC_KEY = re.compile(r"[A-Za-z0-9_]+")
"""What a characteristic's key may be: one word, so that ``{{key}}`` can name it in prompts."""
_LINE_BREAKS = ("\n", "\r")


def characteristic_problem(key: Any, value: Any) -> str | None:
    """Why one characteristic cannot be sent (``None`` when it can); the message names it.

    The one characteristics rule of the package (the client's creates and ``update_tune``,
    the form's dict and its typed rows): the key is one word of ASCII letters, digits or
    ``_``; the value is one line of non-empty text (a whole or decimal number is taken as its
    text). Line breaks would make one value two rows of the form, so they are refused.
    """
    if not isinstance(key, str) or not CHARACTERISTIC_KEY.fullmatch(key):
        return (f"{key!r} must be one word of letters, digits or _ (it is used as "
                "{{" + "key}} in prompts)")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or (
            isinstance(value, float) and not math.isfinite(value)):
        return f"{key!r}: the value must be text, not {value!r}"
    text = str(value)
    if not text.strip():
        return f"{key!r}: the value is empty"
    if any(mark in text for mark in _LINE_BREAKS):
        return f"{key!r}: the value must be one line (no line breaks): {text!r}"
    return None


def token_problem(token: Any) -> str | None:
    """Why ``token`` cannot be a tune's trigger token (``None`` when it can).

    The one token rule of the package (``create_tune`` and the form's token field): one word
    of ASCII letters, digits or ``_``, like a characteristic's key (e.g. ``ohwx``).
    """
    if isinstance(token, str) and CHARACTERISTIC_KEY.fullmatch(token):
        return None
    return f"{token!r} must be one word of letters, digits or _, without spaces (e.g. 'ohwx')"


def check_characteristics(value: Any, label: str = "characteristics"
                          ) -> tuple[dict[str, str], list[str]]:
    """``(characteristics as {key: text}, problems naming ``label``)`` by
    :func:`characteristic_problem`; ``value`` must be a dict (``None`` is "not given")."""
    if value is None:
        return {}, []
    if not isinstance(value, Mapping):
        return {}, [f"{label}: give a dict of name -> value, not {type(value).__name__}"]
    found: dict[str, str] = {}
    problems: list[str] = []
    for key, item in value.items():
        problem = characteristic_problem(key, item)
        if problem:
            problems.append(f"{label}: {problem}")
        else:
            found[key] = str(item)
    return found, problems


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
        given = out["image_references"]
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
        out["image_references"] = parts
    return out, problems


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _first(value: Any) -> Any:
    """Some clients in the wild get a one-element list from create: accept both."""
    if isinstance(value, list) and value:
        return value[0]
    return value


def _normalise_prompts(prompts: Any, problems: list[str]) -> list[dict[str, Any]]:
    if prompts is None:
        return []
    if isinstance(prompts, (str, Mapping)):
        prompts = [prompts]
    out: list[dict[str, Any]] = []
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
        out.append(entry)
    return out


class AstriaClient:
    """A client for the Astria fine-tuning API (or the local sandbox).

    ``api_key`` defaults to ``$ASTRIA_API_KEY``; ``base_url`` to ``$ASTRIA_BASE_URL``, else
    ``https://api.astria.ai``. ``retry`` and ``poll`` hold the retry and polling timings;
    ``session`` injects a ``requests.Session`` (used as given, without the retry adapter).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        retry: RetrySettings | None = None,
        poll: PollPolicy | None = None,
        workspace_id: str | int | None = None,
        sandbox: bool = False,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("ASTRIA_API_KEY")
        base = base_url or os.environ.get("ASTRIA_BASE_URL") or DEFAULT_BASE_URL
        self._transport = Transport(
            (key or "").strip() or None, base, timeout=timeout, session=session,
            retry=retry, workspace_id=workspace_id,
        )
        self.poll: PollPolicy = poll or PollPolicy()
        self.is_sandbox = bool(sandbox)
        self.workspace_id = workspace_id  # checked by the setter

    # -- settings ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The API root this client talks to."""
        return self._transport.base_url

    @property
    def has_key(self) -> bool:
        """True when an API key is configured (the key itself is never exposed)."""
        return self._transport.has_key

    @property
    def retry(self) -> RetrySettings:
        """Retry and backoff timings."""
        return self._transport.retry

    @retry.setter
    def retry(self, value: RetrySettings) -> None:
        self._transport.retry = value

    @property
    def transport(self) -> Transport:
        """The underlying transport (session, retries, error mapping)."""
        return self._transport

    def __repr__(self) -> str:
        key = "set" if self.has_key else "missing"
        extra = ", sandbox" if self.is_sandbox else ""
        return f"AstriaClient(base_url={self.base_url!r}, key={key}{extra})"

    def close(self) -> None:
        """Close pooled connections."""
        self._transport.close()

    def __enter__(self) -> AstriaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._transport.request(
            "GET", path, params=encoding.query_params(params or {}) or None
        )

    def _delete(self, path: str) -> None:
        try:
            self._transport.request("DELETE", path)
        except NotFoundError as exc:
            # A retried DELETE whose first attempt went through answers 404: that is success.
            if not exc.retried:
                raise

    def _list(self, path: str, limit: int | None, before_id: int | None, offset: int | None,
              filters: Mapping[str, Any]) -> list[Record]:
        params = {**filters, "limit": limit, "before_id": before_id, "offset": offset}
        return list(self._get(path, params) or [])

    # -- tunes -----------------------------------------------------------------------------
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
        return self._get(f"/tunes/{_record_id(tune_id, 'tune_id')}")

    def delete_tune(self, tune_id: int) -> None:
        """Delete a tune (its model, images and, for checkpoints, its prompts)."""
        self._delete(f"/tunes/{_record_id(tune_id, 'tune_id')}")

    # -- workspaces and updates -------------------------------------------------------------
    @property
    def workspace_id(self) -> int | str | None:
        """The workspace every request is scoped to (sent as ``X-Workspace-Id``).

        ``None``: your personal scope; ``"all"``: every workspace you belong to (lists); a
        number: that workspace (lists show its objects, creates land in it).
        """
        return self._transport.workspace_id

    @workspace_id.setter
    def workspace_id(self, value: int | str | None) -> None:
        self._transport.workspace_id = _workspace_value(value)

    def list_workspaces(self) -> list[Record]:
        """Your workspaces (``id``, ``title``, ``slug``...)."""
        return list(self._get("/workspaces") or [])

    def create_workspace(self, title: str) -> Record:
        """Create a workspace; a create that may have gone through is looked up by title."""
        if not isinstance(title, str) or not title.strip():
            raise InputError("title: the workspace title is empty", context="create_workspace")
        clean = title.strip()

        def find(started: datetime) -> Record | None:
            mine = [w for w in self.list_workspaces() if w.get("title") == clean
                    and (parse_time(w.get("created_at")) or started) >= started - CLOCK_SLACK]
            return max(mine, key=lambda w: w.get("id") or 0) if mine else None

        return _first(self._transport.create(
            "/workspaces", lambda: {"json": {"workspace": {"title": clean}}},
            find_existing=find))

    def update_tune(self, tune_id: int, *, title: str | None = None, name: str | None = None,
                    characteristics: Mapping[str, str] | None = None) -> Record:
        """Change a tune's title, class name or characteristics; returns the updated tune."""
        tid = _record_id(tune_id, "tune_id")
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

    def update_prompt(self, prompt_id: int, *, tune_id: int | None = None,
                      **fields: int | None) -> Record:
        """Set a prompt's ``pack_id`` (make it a template of your pack), ``base_pack_id`` or
        ``workspace_id`` (move it); ``None`` clears one. Returns the updated prompt."""
        pid = _record_id(prompt_id, "prompt_id")
        allowed = ", ".join(_PROMPT_UPDATES)
        problems = [f"{key}: not a prompt field that can be changed (use {allowed})"
                    for key in fields if key not in _PROMPT_UPDATES]
        body: dict[str, Any] = {}
        for key, value in fields.items():
            if key not in _PROMPT_UPDATES:
                continue
            try:
                body[key] = None if value is None else _record_id(value, key)
            except InputError as exc:
                problems.extend(exc.problems)
        if not fields:
            problems.append(f"give at least one of {', '.join(_PROMPT_UPDATES)}")
        if problems:
            raise InputError(problems, context="update_prompt")
        path = f"/prompts/{pid}" if tune_id is None else \
            f"/tunes/{_record_id(tune_id, 'tune_id')}/prompts/{pid}"
        return self._transport.request("PATCH", path, json={"prompt": body})

    def create_pack(self, title: str, *, base_tune_id: int | None = None,
                    model_type: str | None = None, subtitle: str | None = None) -> Record:
        """Create an (empty, private) pack; fill it with ``update_prompt(id, pack_id=...)``."""
        problems = []
        if not isinstance(title, str) or not title.strip():
            problems.append("title: the pack title is empty")
        if base_tune_id is not None:
            try:
                base_tune_id = _record_id(base_tune_id, "base_tune_id")
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError(problems, context="create_pack")
        clean = title.strip()
        pack = {"title": clean, "base_tune_id": base_tune_id, "model_type": model_type,
                "subtitle": subtitle}

        def find(started: datetime) -> Record | None:
            mine = [p for p in self.list_packs(limit=MAX_PAGE_SIZE) if p.get("title") == clean
                    and (parse_time(p.get("created_at")) or started) >= started - CLOCK_SLACK]
            return max(mine, key=lambda p: p.get("id") or 0) if mine else None

        return _first(self._transport.create(
            "/packs", lambda: {"json": {"pack": encoding.clean_json(pack)}},
            find_existing=find))

    def create_theme(self, theme: str, tune_ids: Sequence[int], *,
                     num_images: int | None = None, w: int | None = None,
                     h: int | None = None) -> None:
        """Have the service write ten prompts per tune from a theme (``POST /themes``).

        The prompts are queued in the background; list them with ``list_prompts(tune_id)``.
        """
        problems = []
        if not isinstance(theme, str) or not theme.strip():
            problems.append("theme: the theme is empty")
        ids = []
        for index, value in enumerate(tune_ids or ()):
            try:
                ids.append(_record_id(value, f"tune_ids[{index}]"))
            except InputError as exc:
                problems.extend(exc.problems)
        if not ids and not problems:
            problems.append("tune_ids: give at least one tune id")
        if problems:
            raise InputError(problems, context="create_theme")
        extra = encoding.clean_json({"num_images": num_images, "w": w, "h": h})
        body = {"theme": theme.strip(), "tune_ids": ids, "prompt_attributes": extra or None}
        self._transport.create("/themes", lambda: {"json": {"theme": encoding.clean_json(body)}})

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

        ``prompts`` (strings or dicts) become ``prompts_attributes``. ``title`` defaults to a
        fresh UUID so that a retried create finds its tune instead of making a duplicate.
        File images are checked first (``InputError`` lists every problem). Multipart with
        bracketed keys when files are sent, JSON otherwise; ``on_progress(sent, total)``
        reports upload bytes.
        """
        problems = _name_title_problems(name, title)
        title = str(uuid.uuid4()) if title is None else title
        urls = _as_urls(image_urls)
        problems.extend(_url_problems("image_urls", urls))
        problems.extend(self._tune_param_problems(callback, token, steps, base_tune_id,
                                                  characteristics))
        prompt_list = _normalise_prompts(prompts, problems)
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
            "title": title, "name": name.strip(), "callback": _stripped(callback), "branch": branch,
            "steps": steps, "token": token, "face_crop": face_crop,
            "training_face_correct": training_face_correct,
            "base_tune_id": None if base_tune_id is None else int(base_tune_id),
            "model_type": model_type, "auto_extend": auto_extend, "preset": preset,
            "characteristics": check_characteristics(characteristics)[0] or None,
            "image_urls": [u.strip() for u in urls] or None,
            "prompts_attributes": prompt_list or None,
        }
        return _first(self._transport.create(
            "/tunes", self._body("tune", tune, parts, "images", on_progress),
            find_existing=lambda started: self._find_tune_by_title(title),
        ))

    @staticmethod
    def _tune_param_problems(callback: Any, token: Any, steps: Any, base_tune_id: Any,
                             characteristics: Any) -> list[str]:
        problems = _callback_problems(callback=callback)
        if token is not None and (problem := token_problem(token)) is not None:
            problems.append(f"token: {problem}")
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)
                                  or steps <= 0):
            problems.append(f"steps: {steps!r} must be a positive whole number")
        if base_tune_id is not None:
            try:
                _record_id(base_tune_id, "base_tune_id")
            except InputError as exc:
                problems.extend(exc.problems)
        problems.extend(check_characteristics(characteristics)[1])
        return problems

    def _body(self, root: str, fields: Mapping[str, Any], parts: Sequence[Any], key: str,
              on_progress: ProgressCallback | None,
              extra: Mapping[str, Any] | None = None) -> Callable[[], dict[str, Any]]:
        """A factory of request kwargs: multipart when files are present, else JSON."""
        tree = dict(fields)
        if parts:
            tree[key] = list(parts)
        if encoding.has_files(tree):
            flat = encoding.flatten(root, tree)
            for name, value in (extra or {}).items():
                flat.extend(encoding.flatten(name, value))

            def multipart() -> dict[str, Any]:
                monitor, content_type = uploads.multipart_body(flat, on_progress)
                return {"data": monitor, "headers": {"Content-Type": content_type}}
            return multipart
        payload = {root: encoding.clean_json(tree), **encoding.clean_json(dict(extra or {}))}

        def json_body() -> dict[str, Any]:
            if on_progress is not None:
                size = len(json.dumps(payload))
                on_progress(size, size)
            return {"json": payload}
        return json_body

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

    # -- prompts ---------------------------------------------------------------------------
    def create_prompt(self, tune_id: int, text: str, **params: Any) -> Record:
        """Create a prompt on a tune (for LoRA/FaceID, a base tune with ``<lora:ID:1>``).

        ``params`` are any documented prompt attributes; file inputs (``input_image``,
        ``mask_image``... as Path, bytes, open file or (name, bytes)) are sent as multipart.
        """
        tid = _record_id(tune_id, "tune_id")
        if not isinstance(text, str) or (not text.strip() and "video_model" not in params):
            raise InputError("text: the prompt text is empty", context="create_prompt")
        prompt = self._prompt_fields({"text": text, **params})
        seed = params.get("seed")
        return _first(self._transport.create(
            f"/tunes/{tid}/prompts", self._body("prompt", prompt, (), "", None),
            find_existing=lambda started: self._find_prompt(tid, text, seed, started),
        ))

    @staticmethod
    def _prompt_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(fields)
        for key in _PROMPT_FILE_PARAMS & out.keys():
            value = out[key]
            if isinstance(value, list):
                out[key] = [uploads.as_file_part(v, key) or v for v in value]
            else:
                out[key] = uploads.as_file_part(value, key) or value
        return out

    def _find_prompt(self, tune_id: int, text: str, seed: Any, started: datetime,
                     exclude: int | None = None) -> Record | None:
        """The prompt a failed create made, if any (a heuristic; the API has no request id).

        Among the newest prompts of the tune, the newest one with the same ``text`` (and the
        same ``seed`` when one was given) created no earlier than the create began (minus
        :data:`CLOCK_SLACK`). An identical prompt made by someone else in that instant would
        be taken for it; pass a distinct ``seed`` to rule that out.
        """
        for prompt in self.list_prompts(tune_id, limit=50):
            if prompt.get("id") == exclude or prompt.get("text") != text:
                continue
            if seed is not None and prompt.get("seed") != seed:
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
        return self._list(self._prompts_path(tune_id), limit, before_id, offset, filters)

    def iter_prompts(self, tune_id: int | None = None, *, page_size: int = MAX_PAGE_SIZE,
                     before_id: int | None = None, **filters: Any) -> Iterator[Record]:
        """Every prompt (of a tune, or account-wide), newest first, paged by ``before_id``."""
        path = self._prompts_path(tune_id)
        return iter_keyset(lambda p: self._get(path, {**filters, **p}) or [],
                           page_size=page_size, before_id=before_id)

    @staticmethod
    def _prompts_path(tune_id: int | None) -> str:
        if tune_id is None:
            return "/prompts"
        return f"/tunes/{_record_id(tune_id, 'tune_id')}/prompts"

    def get_prompt(self, tune_id: int | None, prompt_id: int) -> Record:
        """One prompt; ``tune_id`` may be None (then ``GET /prompts/:id``)."""
        pid = _record_id(prompt_id, "prompt_id")
        if tune_id is None:
            return self._get(f"/prompts/{pid}")
        return self._get(f"/tunes/{_record_id(tune_id, 'tune_id')}/prompts/{pid}")

    def duplicate_prompt(self, prompt_id: int, *, image_index: int | None = None,
                         **overrides: Any) -> Record:
        """Clone a prompt, overriding any attribute (e.g. a new ``seed``)."""
        pid = _record_id(prompt_id, "prompt_id")

        def find(started: datetime) -> Record | None:
            original = self.get_prompt(None, pid)
            text = overrides.get("text", original.get("text"))
            return self._find_prompt(original["tune_id"], text, overrides.get("seed"), started,
                                     exclude=pid)

        extra = {"image_index": image_index} if image_index is not None else None
        return _first(self._transport.create(
            f"/prompts/{pid}/duplicate",
            self._body("prompt", self._prompt_fields(overrides), (), "", None, extra),
            find_existing=find,
        ))

    def delete_prompt(self, prompt_id: int, tune_id: int | None = None) -> None:
        """Delete a prompt (``DELETE /prompts/:id``, or under its tune when given)."""
        pid = _record_id(prompt_id, "prompt_id")
        if tune_id is None:
            self._delete(f"/prompts/{pid}")
        else:
            self._delete(f"/tunes/{_record_id(tune_id, 'tune_id')}/prompts/{pid}")

    # -- packs and likes -------------------------------------------------------------------
    def list_packs(self, *, gallery: bool = False, limit: int | None = None,
                   offset: int | None = None, public: bool | None = None,
                   listed: bool | None = None) -> list[Record]:
        """Your packs, or the public gallery packs with ``gallery=True``."""
        path = "/gallery/packs" if gallery else "/packs"
        params = {"limit": limit, "offset": offset, "public": public, "listed": listed}
        return list(self._get(path, params) or [])

    def get_pack(self, pack_id_or_slug: int | str) -> Record:
        """One pack by numeric id or slug."""
        return self._get(f"/p/{_pack_key(pack_id_or_slug, 'pack_id_or_slug')}")

    def create_tune_from_pack(
        self,
        pack_id: int | str,
        *,
        name: str | None = None,
        title: str | None = None,
        images: Any = (),
        image_urls: Iterable[str] = (),
        tune_ids: Sequence[int] | None = None,
        prompt_ids: Sequence[int] | None = None,
        callback: str | None = None,
        prompts_callback: str | None = None,
        characteristics: Mapping[str, str] | None = None,
        prompt_attributes: Mapping[str, Any] | None = None,
    ) -> Record:
        """Train a tune with a pack's prompts, or run the pack on existing ``tune_ids``."""
        problems: list[str] = []
        try:
            pack = _pack_key(pack_id, "pack_id")
        except InputError as exc:
            problems.extend(exc.problems)
        urls = _as_urls(image_urls)
        image_inputs = uploads.as_list(images)
        if not tune_ids:
            problems.extend(_name_title_problems(name, title))
            title = str(uuid.uuid4()) if title is None else title
            if not image_inputs and not urls:
                problems.append("images: give at least one training image or image URL")
        problems.extend(_url_problems("image_urls", urls))
        problems.extend(_callback_problems(callback=callback, prompts_callback=prompts_callback))
        problems.extend(check_characteristics(characteristics)[1])
        if problems:
            raise InputError(problems, context="create_tune_from_pack")
        parts = uploads.prepare_training_images(image_inputs, context="create_tune_from_pack") \
            if image_inputs else []
        tune = {
            "name": name, "title": title, "image_urls": [u.strip() for u in urls] or None,
            "callback": _stripped(callback), "prompts_callback": _stripped(prompts_callback),
            "characteristics": check_characteristics(characteristics)[0] or None,
            "prompt_attributes": dict(prompt_attributes) if prompt_attributes else None,
            "tune_ids": [int(t) for t in tune_ids] if tune_ids else None,
            "prompt_ids": [int(p) for p in prompt_ids] if prompt_ids else None,
        }
        find = None if tune_ids or title is None else (
            lambda started: self._find_tune_by_title(title))
        return _first(self._transport.create(
            f"/p/{pack}/tunes", self._body("tune", tune, parts, "images", None),
            find_existing=find,
        ))

    def like_prompt(self, prompt_id: int) -> None:
        """Like a prompt (repeating it is harmless, so it is safely resent on failure)."""
        pid = _record_id(prompt_id, "prompt_id")
        self._transport.create(f"/prompts/{pid}/likes", lambda: {}, resend_safe=True)

    def unlike_prompt(self, prompt_id: int) -> None:
        """Remove your like from a prompt."""
        self._delete(f"/prompts/{_record_id(prompt_id, 'prompt_id')}/likes")

    # -- generating ------------------------------------------------------------------------
    def list_gallery_tunes(self, *, limit: int | None = None, before_id: int | None = None,
                           offset: int | None = None, **filters: Any) -> list[Record]:
        """Public gallery tunes (base models, style LoRAs) to run on; same filters as tunes."""
        return self._list("/gallery/tunes", limit, before_id, offset, filters)

    def _tune_records(self, tune: Any, label: str = "tune") -> list[Record]:
        """``tune`` (an id, a record, or a list of them) as tune records (ids are fetched)."""
        items = list(tune) if isinstance(tune, (list, tuple)) else [tune]
        if not items:
            raise InputError(f"{label}: give a tune id or record (or a list of them)")
        records = []
        for index, item in enumerate(items):
            name = label if len(items) == 1 else f"{label}[{index}]"
            if isinstance(item, Mapping):
                _record_id(item.get("id"), f"{name}['id']")
                records.append(dict(item))
            else:
                records.append(self.get_tune(_record_id(item, name)))
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
            if state in ("failed", "expired"):
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

    def download(self, prompts: Any, dest: str | os.PathLike[str], *, zip: bool = False,
                 progress: Callable[[int, int], Any] | None = None,
                 counts: downloads.DownloadCounts | None = None) -> list[Path] | Path:
        """Save every image (or video) of ``prompts`` into the folder ``dest``.

        ``prompts``: prompt records or ids (a single one too). Files are named
        ``prompt-<id>-<NN>.<ext>`` (see :mod:`.downloads`); files already complete are skipped.
        Returns the paths, or with ``zip=True`` the path of one archive (``dest`` itself when
        it ends in ``.zip`` and is not a folder, else ``prompts-<first>-<last>.zip`` in it).
        An archive of ours already there is added to (what it holds is skipped); any other
        file is refused and left as it is. ``progress(done, total)`` replaces the tqdm bar
        shown in a terminal; ``counts`` (a :class:`~.downloads.DownloadCounts`) is told how
        many files were saved and how many were already there. Raises :class:`InputError`
        naming ``prompts`` or ``dest`` before anything is fetched when they are unusable.
        """
        try:
            return self._download(prompts, dest, zip=zip, progress=progress, counts=counts)
        except InputError as exc:
            raise InputError(exc.problems, context="download") from None

    def _download(self, prompts: Any, dest: Any, *, zip: bool,
                  progress: Callable[[int, int], Any] | None,
                  counts: downloads.DownloadCounts | None) -> list[Path] | Path:
        target = downloads.destination(dest, zip=zip)
        if prompts is None or isinstance(prompts, (bool, float, bytes)) or not isinstance(
                prompts, (Mapping, int, str, Iterable)):
            raise InputError(f"prompts: give prompt records or ids, not "
                             f"{type(prompts).__name__}")
        items = [prompts] if isinstance(prompts, (Mapping, int, str)) else list(prompts)
        records = [{**p, "id": _record_id(p.get("id"), "prompts")} if isinstance(p, Mapping)
                   else self.get_prompt(None, _record_id(p, "prompts")) for p in items]
        outputs = downloads.outputs_of(records)
        from tqdm import tqdm  # the terminal bar: disable=None hides it off a terminal

        with tqdm(total=len(outputs), unit="file", desc="download",
                  disable=True if progress is not None else None) as bar:
            def report(done: int, total: int) -> None:
                bar.update(done - bar.n)
                if progress is not None:
                    progress(done, total)

            if zip:
                return downloads.save_to_zip(self._transport.send, outputs,
                                             downloads.archive_path(target, outputs), report,
                                             counts)
            return downloads.save_to_folder(self._transport.send, outputs, target, report,
                                            counts)

    # -- other -----------------------------------------------------------------------------
    def fetch_bytes(self, url: str) -> bytes:
        """Download a file (e.g. a generated image); the key goes only to the API's host."""
        return self._transport.send("GET", url).content

    def account(self) -> Record:
        """The account behind the key (``GET /users``)."""
        return self._get("/users")

    # -- images and packs ------------------------------------------------------------------
    def inspect_image(self, image: Any, name: str) -> Record:
        """Ask Astria's inspector about one training photo (``POST /images/inspect``).

        ``image`` is a path, bytes, an open file, a ``(filename, bytes)`` pair, or an
        ``https://`` URL (sent as ``file_url``); ``name`` is the tune's class. Files are
        checked first and shrunk to at most 512 px, as the docs advise. Returns the flat
        answer (flags such as ``blurry``, ``wearing_sunglasses``; strings such as
        ``eye_color``); :mod:`astria_widgets.client.inspect` interprets it.
        """
        problems = _name_title_problems(name, None)
        fields: list[tuple[str, Any]] = [("name", name.strip() if isinstance(name, str) else "")]
        if isinstance(image, str) and is_http_url(image):
            fields.append(("file_url", image.strip()))
        else:
            named, found = uploads.read_images([image], label="image")
            problems.extend(found)
            if len(named) != 1 and not found:
                problems.append("image: give one picture (a folder holds several)")
            elif named:
                from astria_widgets.imaging import downscale, inspect_image

                file_name, data = named[0]
                problems.extend(inspect_image(data, file_name).problems)
                if not problems:
                    fields.append(("file", uploads.file_part(file_name, downscale(data))))
        if problems:
            raise InputError(problems, context="inspect_image")

        def body() -> dict[str, Any]:
            monitor, content_type = uploads.multipart_body(fields)
            return {"data": monitor, "headers": {"Content-Type": content_type}}

        return self._transport.create("/images/inspect", body, resend_safe=True)

    # -- waits -----------------------------------------------------------------------------
    def wait_for_tune(self, tune_id: int, *, timeout: float | None = None,
                      on_update: Callable[[Record], Any] | None = None,
                      stop: threading.Event | None = None) -> Record:
        """Poll a tune until trained, failed or expired; return the final record.

        The interval follows the tune's ``eta`` (see :mod:`~astria_widgets.client.waiting`).
        ``on_update`` sees the first record, every changed one and the moment it becomes
        stalled. ``stop`` ends the wait at once; ``timeout`` raises ``WaitTimeout``.
        """
        tid = _record_id(tune_id, "tune_id")
        policy = self.poll
        return wait(
            lambda: self.get_tune(tid), tune_is_terminal, policy=policy, timeout=timeout,
            on_update=on_update, stop=stop, clock=self._transport.server_now, delay=next_delay,
            watch=lambda record, now: tune_is_stalled(record, now,
                                                      stall_factor=policy.stall_factor),
            what=f"tune {tid}",
        )

    def _prompt_delay(self, tune_id: int | None) -> Callable[[Record, datetime, PollPolicy],
                                                            float]:
        """The prompt delay rule of the waits, reading the awaited tune once when needed.

        While a prompt waits for an untrained tune (its own, or the one referenced as
        ``<lora:ID:w>`` / ``<faceid:ID:w>``), that tune's ``eta`` sets the pace.
        """
        cache: dict[int | None, Record | None] = {}

        def delay(record: Record, now: datetime, policy: PollPolicy) -> float:
            tune: Record | None = None
            if record.get("started_training_at") is None:
                # A LoRA/FaceID prompt lives on a base tune and waits for the referenced one.
                refs = referenced_tune_ids(str(record.get("text") or ""))
                tid = refs[0] if refs else (
                    tune_id if tune_id is not None else record.get("tune_id"))
                if tid not in cache:
                    try:
                        cache[tid] = self.get_tune(tid) if tid is not None else None
                    except AstriaError:
                        cache[tid] = None
                tune = cache[tid]
            return next_prompt_delay(record, now, policy, tune)

        return delay

    def wait_for_prompt(self, tune_id: int | None, prompt_id: int, *,
                        timeout: float | None = None,
                        on_update: Callable[[Record], Any] | None = None,
                        stop: threading.Event | None = None) -> Record:
        """Poll a prompt until it has images or an error; return the final record.

        While the prompt waits for an untrained tune (its own, or the one referenced as
        ``<lora:ID:w>`` / ``<faceid:ID:w>``), that tune's ``eta`` sets the pace (it is read
        once for that).
        """
        pid = _record_id(prompt_id, "prompt_id")
        return wait(
            lambda: self.get_prompt(tune_id, pid), prompt_is_terminal, policy=self.poll,
            timeout=timeout, on_update=on_update, stop=stop, clock=self._transport.server_now,
            delay=self._prompt_delay(tune_id), what=f"prompt {pid}",
        )

    def wait_for_prompts(self, tune_id: int, prompt_ids: Iterable[int], *,
                         timeout: float | None = None,
                         on_update: Callable[[Record], Any] | None = None,
                         stop: threading.Event | None = None) -> list[Record]:
        """Wait for many prompts of one tune; return their final records in ``prompt_ids`` order.

        Each poll is one listing of the tune's prompts (``GET /tunes/:id/prompts``, newest
        first, keyset pages from the newest unsettled id down to the oldest), not a request
        per prompt, so waiting for 24 prompts costs about what waiting for one does
        (``benchmarks/bench_wait_prompts.py``). The pace is the prompt rule of
        :meth:`wait_for_prompt`, taken for the unsettled prompt that is due first.
        ``on_update(record)`` gets every prompt record the first time it is seen and each
        time it changes. ``stop`` and ``timeout`` behave as in the other waits.

        ``tune_id`` is the tune the prompts run on (their ``tune_id``; for LoRA/FaceID prompts
        the base tune, e.g. Flux1.dev, whose prompts are listed per caller, so the listing
        holds your prompts only). A wanted id missing from the listing is read by id
        (``NotFoundError`` if it does not exist).
        """
        tid = _record_id(tune_id, "tune_id")
        wanted = list(dict.fromkeys(_record_id(p, f"prompt_ids[{i}]")
                                    for i, p in enumerate(prompt_ids)))
        if not wanted:
            return []
        latest: dict[int, Record] = {}
        prompt_delay = self._prompt_delay(tid)

        def fetch() -> Record:
            pending = {p for p in wanted if p not in latest or not prompt_is_terminal(latest[p])}
            # The tune's prompts between the newest and oldest pending id are all we need.
            span = max(pending) - min(pending) + 1
            for record in self.iter_prompts(tid, before_id=max(pending) + 1,
                                            page_size=min(MAX_PAGE_SIZE, span)):
                pid = record.get("id")
                if pid in pending:
                    latest[pid] = record
                    pending.discard(pid)
                if not pending or (isinstance(pid, int) and pid < min(pending)):
                    break
            for pid in sorted(pending):  # not listed (yet): read it by id
                latest[pid] = self.get_prompt(tid, pid)
            return {str(p): latest[p] for p in wanted}

        def all_settled(batch: Record) -> bool:
            return all(prompt_is_terminal(r) for r in batch.values())

        def delay(batch: Record, now: datetime, policy: PollPolicy) -> float:
            return min(prompt_delay(r, now, policy) for r in batch.values()
                       if not prompt_is_terminal(r))

        seen: dict[str, Record] = {}

        def changed(batch: Record) -> None:
            for key, record in batch.items():
                if seen.get(key) != record:
                    seen[key] = record
                    if on_update is not None:
                        on_update(record)

        final = wait(fetch, all_settled, policy=self.poll, timeout=timeout, on_update=changed,
                     stop=stop, clock=self._transport.server_now, delay=delay,
                     what=f"{len(wanted)} prompts of tune {tid}")
        return [final[str(p)] for p in wanted]
