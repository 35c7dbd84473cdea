"""Prompt and like endpoints: P1-P8, L1-L2.

- P1 ``POST /tunes/:tune_id/prompts`` -> 201 prompt (own tune or any gallery tune);
- P2 ``GET /tunes/:tune_id/prompts`` (for a gallery tune: the caller's prompts on it);
- P3 ``GET /prompts``; P4 ``GET /tunes/:tune_id/prompts/:id``; P5 ``GET /prompts/:id``;
- P6 ``DELETE /tunes/:tune_id/prompts/:id`` and ``DELETE /prompts/:id`` (Ambiguity #1: chose
  to serve both, 200 ``{"message": ...}``);
- P7 ``POST /prompts/:id/duplicate``: copies the original's attributes, ``prompt[...]``
  overrides them (legacy ``--video`` switches in the text included: ``legacy_video``),
  top-level ``image_index`` (Ambiguity #17: chose optional, 0 <= i < len(original images),
  else 422) reuses that image of the original instead of making a new one (``_reused_image``);
  the copy's ``orig_prompt_id`` is the original's template if it has one, else the
  original's id;
- P8 ``PATCH /tunes/:tune_id/prompts/:id`` and ``PATCH /prompts/:id``: ``pack_id``,
  ``base_pack_id``, ``workspace_id``;
- L1 ``POST /prompts/:id/likes`` (and ``/like``, Ambiguity #2) -> 201, no body; liking twice
  does not toggle; a pack prompt also likes its template. L2 ``DELETE`` on the same paths
  (Ambiguity #3: chose DELETE) -> 204.

List filters (the table of every documented filter is in ``docs/SANDBOX.md``): ``text``
(substring), ``pack_id``, ``base_pack_id``, ``tune_id`` (on ``/prompts``), ``user_id``,
``orig_prompt_id``, ``order_id`` (integers, else 400); booleans ``liked``, ``today``,
``is_video``, ``is_api`` (``false`` selects the opposite; not a boolean: 400). ``today``: created
since 00:00 UTC of the sandbox clock's day. Every prompt made through this API has
``is_api: true``; gallery templates have ``false``. ``expand[]`` adds
``debug_images``/``debug_filenames``/``debug_content_types`` (empty lists) or ``comments``;
each may be written with the ``prompt.`` prefix (the official CLI offers ``--expand
prompt.debug_images``, the skills docs ``expand[]=prompt.comments``); another value is 400.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from werkzeug.datastructures import FileStorage

from . import api_packs as packs
from . import api_workspaces as workspaces
from .api_tunes import own_tune
from .create import create_prompts
from .files import own_hosts, prompt_png
from .legacy_video import promote_video_switches
from .objects import PROMPT_ECHO_FIELDS, prompt_json
from .params import (
    BadRequest,
    Validator,
    paging,
    parse_body,
    query_flag,
    query_list,
    root_params,
    to_int,
)
from .state import base_url, current_user, state
from .store import Query
from .validate import Upload, clean_prompt
from .video_params import MEDIA

bp = Blueprint("prompts", __name__)
EXPAND = ("debug_images", "comments")
FIRST_FRAME = ("video_first_frame", "video_first_frame_url", "source_image_url")
EXPAND_PREFIX = "prompt."
DAY_SECONDS = 86_400


def expansions() -> tuple[str, ...]:
    """The ``expand[]`` values of the query without their ``prompt.`` prefix."""
    return tuple(v.removeprefix(EXPAND_PREFIX) for v in query_list(request, "expand"))


def check_expand() -> None:
    """400 unless every ``expand[]`` value of the query is one the API documents."""
    unknown = sorted(set(query_list(request, "expand"))
                     - {f"{p}{name}" for name in EXPAND for p in ("", EXPAND_PREFIX)})
    if unknown:
        allowed = ", ".join(f"{name} (or {EXPAND_PREFIX}{name})" for name in EXPAND)
        raise BadRequest(f"expand[] must be one of {allowed}, got {', '.join(unknown)}")


def start_of_day(now: float) -> float:
    """Epoch seconds of 00:00 UTC of the day containing ``now``."""
    return now - now % DAY_SECONDS


def render_prompts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Prompt objects for rows, with the caller's likes and tune summaries."""
    st = state()
    now, base = state().now(), base_url()
    ids = [r["id"] for r in rows]
    liked, counts = st.store.like_info(current_user()["id"], ids)
    tune_ids = {r["tune_id"] for r in rows}
    for r in rows:
        tune_ids.update(r["attrs"].get("tune_refs", []))
    tunes = st.store.get_tunes(tune_ids)
    expand = expansions()
    return [prompt_json(r, now, base, liked=r["id"] in liked, likes=counts.get(r["id"], 0),
                        tunes=tunes, expand=expand) for r in rows]


def visible_prompt(
    prompt_id: int, tune_id: int | None = None, action: str | None = None
) -> dict[str, Any]:
    """The caller's prompt (or a public template), else 404.

    ``tune_id``: the prompt must be under that tune. ``action`` ("changed", "deleted"...)
    says the request modifies the prompt: a gallery template then answers 403.
    """
    prompt = state().store.get_prompt(prompt_id)
    if (prompt is None or prompt["user_id"] not in (None, current_user()["id"])
            or (tune_id is not None and prompt["tune_id"] != tune_id)):
        abort(404, description=f"Prompt {prompt_id} not found")
    if action and prompt["user_id"] is None:
        abort(403, description=f"Gallery template prompts cannot be {action}")
    return prompt


def _list(query: Query, extra_tune_filter: bool) -> Any:
    limit, before_id, offset = paging(request, max_offset=10_000)
    workspaces.scope_query(query)
    args = request.args
    if before_id is not None:
        query.add("id < ?", before_id)
    if args.get("text"):
        query.add("instr(lower(text), lower(?)) > 0", args["text"])
    for name in ("pack_id", "base_pack_id", "orig_prompt_id", "order_id", "user_id") + (
            ("tune_id",) if extra_tune_filter else ()):
        if args.get(name):
            try:
                query.add(f"{name} = ?", to_int(args[name]))
            except ValueError as exc:
                raise BadRequest(f"{name} {exc}") from None
    liked = query_flag(request, "liked")
    if liked is not None:
        query.add("id " + ("IN" if liked else "NOT IN")
                  + " (SELECT prompt_id FROM likes WHERE user_id = ?)", current_user()["id"])
    is_video = query_flag(request, "is_video")
    if is_video is not None:
        query.add("json_extract(attrs, '$.video_model') IS " + ("NOT NULL" if is_video else "NULL"))
    is_api = query_flag(request, "is_api")
    if is_api is not None:
        query.add("COALESCE(json_extract(attrs, '$.is_api'), 1) = ?", int(is_api))
    today = query_flag(request, "today")
    if today is not None:
        query.add("created_at " + (">=" if today else "<") + " ?", start_of_day(state().now()))
    check_expand()
    return jsonify(render_prompts(state().store.list_prompts(query, limit, offset)))


@bp.get("/tunes/<int:tune_id>/prompts")
def list_tune_prompts(tune_id: int) -> Any:
    """P2: prompts under a tune (the caller's only)."""
    own_tune(tune_id)
    query = Query().add("user_id = ?", current_user()["id"]).add("tune_id = ?", tune_id)
    return _list(query, extra_tune_filter=False)


@bp.get("/prompts")
def list_all_prompts() -> Any:
    """P3: every prompt of the caller."""
    return _list(Query().add("user_id = ?", current_user()["id"]), extra_tune_filter=True)


@bp.post("/tunes/<int:tune_id>/prompts")
def create(tune_id: int) -> Any:
    """P1: create a prompt under a tune."""
    st = state()
    tune = own_tune(tune_id)
    v = Validator(root_params(request, "prompt"))
    inp = clean_prompt(v)
    workspaces.assign(inp.params, v)
    cls = packs.template_class(inp.params.get("pack_id"), tune, inp.params.get("text", ""), v)
    v.raise_if_errors()
    if cls is not None:
        inp.params["class"] = cls
    ids, created = create_prompts(st, current_user(), tune, [inp])
    if cls is not None:
        packs.add_pack_class(inp.params["pack_id"], cls)
    return jsonify(render_prompts([st.store.get_prompt(ids[0])])[0]), 201 if created else 200


@bp.get("/tunes/<int:tune_id>/prompts/<int:prompt_id>")
def retrieve_nested(tune_id: int, prompt_id: int) -> Any:
    """P4: one prompt by tune and id."""
    check_expand()
    return jsonify(render_prompts([visible_prompt(prompt_id, tune_id)])[0])


@bp.get("/prompts/<int:prompt_id>")
def retrieve(prompt_id: int) -> Any:
    """P5: one prompt by id."""
    check_expand()
    return jsonify(render_prompts([visible_prompt(prompt_id)])[0])


def _delete(prompt_id: int, tune_id: int | None) -> Any:
    st = state()
    visible_prompt(prompt_id, tune_id, "deleted")
    st.store.delete_prompt(prompt_id)
    st.remove_prompt_files(prompt_id)
    return jsonify({"message": f"Prompt {prompt_id} deleted", "id": prompt_id})


@bp.delete("/tunes/<int:tune_id>/prompts/<int:prompt_id>")
def delete_nested(tune_id: int, prompt_id: int) -> Any:
    """P6: delete a prompt (documented heading form)."""
    return _delete(prompt_id, tune_id)


@bp.delete("/prompts/<int:prompt_id>")
def delete(prompt_id: int) -> Any:
    """P6: delete a prompt (documented example form)."""
    return _delete(prompt_id, None)


@bp.post("/prompts/<int:prompt_id>/duplicate")
def duplicate(prompt_id: int) -> Any:
    """P7: a new prompt copying the original, with overrides."""
    st = state()
    original = visible_prompt(prompt_id, action="duplicated directly")
    body = parse_body(request)
    overrides = body.get("prompt") if isinstance(body.get("prompt"), dict) else {}
    base = {k: original["attrs"][k] for k in PROMPT_ECHO_FIELDS if k in original["attrs"]}
    base.update({"text": original["text"], "num_images": original["num_images"]})
    for name in MEDIA:  # uploaded video media are copied by URL
        stored = original["attrs"].get(f"{name}_url_stored")
        if stored:
            base[f"{name}_url"] = base_url() + stored
    merged = promote_video_switches({**base, **overrides})
    top = Validator(body)
    image_index = top.integer("image_index", low=0)
    reused = None
    if image_index is not None and not top.errors:
        done = state().now() >= original["finish_at"] and original["outcome"] == "done"
        if not done or image_index >= original["num_images"]:
            available = original["num_images"] if done else 0
            top.error("image_index", f"must be less than {available} (the original's images)")
        else:
            reused = _reused_image(original["id"], image_index, merged)
    v = Validator(merged)
    inp = clean_prompt(v)
    v.merge(top)
    v.raise_if_errors()
    if image_index is not None:
        inp.params["image_index"] = image_index
        if reused is not None and not inp.params.get("video_model"):
            inp.files["reused_image"] = [reused]
    for key in ("input_image_url_stored", "mask_image_url_stored", "image_references"):
        if key in original["attrs"]:
            inp.params[key] = original["attrs"][key]
    tune = st.store.get_tune(original["tune_id"])
    if tune is None:
        abort(404, description=f"Tune {original['tune_id']} not found")
    extra = [{"orig_prompt_id": original["orig_prompt_id"] or original["id"],
              "base_pack_id": original["base_pack_id"]}]
    ids, _ = create_prompts(st, current_user(), tune, [inp], extra=extra)
    return jsonify(render_prompts([st.store.get_prompt(ids[0])])[0]), 201


def _reused_image(prompt_id: int, index: int, params: dict[str, Any]) -> Upload | None:
    """Image ``index`` of a finished prompt, reused by a duplicate's ``image_index`` (the
    duplicate doc: "re-use the existing image from the original prompt"). A video duplicate
    gets it as its ``video_first_frame`` (unless it names a first frame or source image); an
    image duplicate shows it as each of its images (``files.served_file``)."""
    st = state()
    data = prompt_png(st, prompt_id, index, own_hosts(request.host, st.config.public_url))
    if data is None:
        return None
    upload: Upload = (data, "PNG", f"prompt-{prompt_id}-{index}.png")
    if params.get("video_model") and not any(params.get(k) for k in FIRST_FRAME):
        params["video_first_frame"] = FileStorage(io.BytesIO(data), filename=upload[2],
                                                  content_type="image/png")
    return upload


def _update(prompt_id: int, tune_id: int | None) -> Any:
    st = state()
    prompt = visible_prompt(prompt_id, tune_id, "changed")
    v = Validator(root_params(request, "prompt"))
    fields: dict[str, Any] = {}
    attrs = dict(prompt["attrs"])
    cls = None
    if v.present("pack_id"):
        pack_id = v.integer("pack_id", low=1)
        tune = st.store.get_tune(prompt["tune_id"])
        if tune is None:
            abort(404, description=f"Tune {prompt['tune_id']} not found")
        cls = packs.template_class(pack_id, tune, prompt["text"], v)
        if cls is not None:
            attrs["class"] = cls
        fields["pack_id"] = pack_id
    if v.present("base_pack_id"):
        fields["base_pack_id"] = v.integer("base_pack_id", low=1)
    if v.present("workspace_id"):
        attrs["workspace_id"] = v.integer("workspace_id", low=1)
        workspaces.check(attrs["workspace_id"], v)
    v.raise_if_errors()
    if cls is not None:
        packs.add_pack_class(fields["pack_id"], cls)
    fields.update({"attrs": attrs, "updated_at": state().now()})
    st.store.update_prompt(prompt_id, fields)
    return jsonify(render_prompts([st.store.get_prompt(prompt_id)])[0])


@bp.patch("/tunes/<int:tune_id>/prompts/<int:prompt_id>")
def update_nested(tune_id: int, prompt_id: int) -> Any:
    """P8: set pack_id / base_pack_id / workspace_id."""
    return _update(prompt_id, tune_id)


@bp.patch("/prompts/<int:prompt_id>")
def update(prompt_id: int) -> Any:
    """P8 (un-nested form)."""
    return _update(prompt_id, None)


@bp.post("/prompts/<int:prompt_id>/likes")
@bp.post("/prompts/<int:prompt_id>/like")
def like(prompt_id: int) -> Any:
    """L1: like a prompt (and its pack template)."""
    st = state()
    prompt = visible_prompt(prompt_id)
    ids = [prompt_id]
    if prompt["orig_prompt_id"] and st.store.get_prompt(prompt["orig_prompt_id"]):
        ids.append(prompt["orig_prompt_id"])
    st.store.like(current_user()["id"], ids, state().now())
    return Response(status=201)


@bp.delete("/prompts/<int:prompt_id>/likes")
@bp.delete("/prompts/<int:prompt_id>/like")
def unlike(prompt_id: int) -> Any:
    """L2: remove a like."""
    visible_prompt(prompt_id)
    state().store.unlike(current_user()["id"], prompt_id)
    return Response(status=204)
