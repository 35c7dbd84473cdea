"""Tune endpoints: T1 ``POST /tunes``, T2 ``GET /tunes``, T3 ``GET /tunes/:id``,
T4 ``DELETE /tunes/:id``, T5 ``PATCH /tunes/:id``, G1 ``GET /gallery/tunes``.

JSON bodies may come wrapped (``{"tune": {...}}``) or bare (Rails ``wrap_parameters``
behaviour). Create answers 201 with the tune (200 with the existing tune when idempotency is
on and the title matches). Delete answers 200 ``{"message": ...}`` and removes the tune, its
training images and the prompts under it (Ambiguity #32: chose to delete only prompts whose
``tune_id`` is the tune; prompts on a base tune that reference it stay). Gallery tunes can be
read by everybody and deleted by nobody (403).

List filters: ``title`` (case-insensitive substring of the title, or of the product name or
SKU: the official CLI's ``tunes list --title`` help says "filter by title / product name / SKU
substring"; sandbox reading: those are the ``product_name`` and ``sku`` keys of the tune's
``characteristics``, in any case), ``name[]`` (class, repeatable),
``model_type`` (``null``/``checkpoint`` select checkpoints), ``branch``. The
``X-Workspace-Id`` header scopes ``GET /tunes`` and places a new tune (``api_workspaces``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

from . import api_workspaces as workspaces
from .create import create_tune, visible_tune
from .objects import tune_json
from .params import BadRequest, Validator, paging, query_list, root_params
from .state import base_url, current_user, state
from .store import Query
from .validate import MODEL_TYPES, TuneInput, clean_tune

bp = Blueprint("tunes", __name__)
GALLERY_MAX_LIMIT = 500
PRODUCT_KEYS = ("product_name", "sku")  # characteristics the title filter also searches


def own_tune(tune_id: int, action: str | None = None) -> dict[str, Any]:
    """The caller's tune or a gallery tune, else 404.

    ``action`` ("changed", "deleted") says the request modifies the tune: a gallery tune then
    answers 403.
    """
    tune = visible_tune(state(), current_user(), tune_id)
    if tune is None:
        abort(404, description=f"Tune {tune_id} not found")
    if action and tune["user_id"] is None:
        abort(403, description=f"Gallery tunes cannot be {action}")
    return tune


def place_new_tune(inp: TuneInput, v: Validator) -> None:
    """The workspace of a new tune (the header's); its prompts follow it unless they name one."""
    workspaces.assign(inp.params, v)
    for i, prompt in enumerate(inp.prompts):
        own = prompt.params.get("workspace_id")
        workspaces.check(own, v, f"prompts_attributes[{i}][workspace_id]")
        if own is None and inp.params.get("workspace_id") is not None:
            prompt.params["workspace_id"] = inp.params["workspace_id"]


def _filters(query: Query) -> Query:
    title = request.args.get("title")
    if title:
        keys = ", ".join(f"'{key}'" for key in PRODUCT_KEYS)
        query.add("(instr(lower(title), lower(?)) > 0 OR EXISTS (SELECT 1 FROM "
                  "json_each(attrs, '$.characteristics') WHERE lower(key) IN (" + keys + ") "
                  "AND instr(lower(value), lower(?)) > 0))", title, title)
    names = query_list(request, "name")
    if names:
        query.add(f"name IN ({', '.join('?' for _ in names)})", *names)
    model_type = request.args.get("model_type")
    if model_type in ("null", "checkpoint", "none"):
        query.add("model_type IS NULL")
    elif model_type in MODEL_TYPES:
        query.add("model_type = ?", model_type)
    elif model_type:
        raise BadRequest(f"model_type must be one of {', '.join(MODEL_TYPES)}, null or "
                         f"checkpoint, got {model_type!r}")
    branch = request.args.get("branch")
    if branch:
        query.add("branch = ?", branch)
    return query


def _render(rows: list[dict[str, Any]]) -> Any:
    now, base = state().now(), base_url()
    return jsonify([tune_json(r, now, base) for r in rows])


@bp.get("/tunes")
def list_tunes() -> Any:
    """T2: the caller's tunes, newest first."""
    limit, before_id, offset = paging(request, max_offset=200)
    query = _filters(Query().add("user_id = ?", current_user()["id"]))
    workspaces.scope_query(query)
    if before_id is not None:
        query.add("id < ?", before_id)
    return _render(state().store.list_tunes(query, limit, offset))


@bp.get("/gallery/tunes")
def list_gallery_tunes() -> Any:
    """G1: public gallery tunes."""
    limit, before_id, offset = paging(request, max_offset=None, max_limit=GALLERY_MAX_LIMIT)
    query = _filters(Query().add("user_id IS NULL"))
    if before_id is not None:
        query.add("id < ?", before_id)
    return _render(state().store.list_tunes(query, limit, offset))


@bp.post("/tunes")
def create() -> Any:
    """T1: create a tune (multipart, urlencoded or JSON), optionally with prompts."""
    st = state()
    validator = Validator(root_params(request, "tune"))
    inp = clean_tune(validator)
    place_new_tune(inp, validator)
    validator.raise_if_errors()
    tune_id, created = create_tune(st, current_user(), inp)
    tune = st.store.get_tune(tune_id)
    return jsonify(tune_json(tune, state().now(), base_url())), 201 if created else 200


@bp.get("/tunes/<int:tune_id>")
def retrieve(tune_id: int) -> Any:
    """T3: one tune."""
    return jsonify(tune_json(own_tune(tune_id), state().now(), base_url()))


@bp.patch("/tunes/<int:tune_id>")
def update(tune_id: int) -> Any:
    """T5: change title, name or characteristics."""
    st = state()
    tune = own_tune(tune_id, "changed")
    v = Validator(root_params(request, "tune"))
    fields: dict[str, Any] = {}
    if v.present("title"):
        fields["title"] = v.string("title", required=True, max_length=255)
    if v.present("name"):
        fields["name"] = v.string("name", required=True, max_length=64)
    attrs = dict(tune["attrs"])
    if v.present("characteristics"):
        attrs["characteristics"] = v.string_map("characteristics")
    v.raise_if_errors()
    fields.update({"attrs": attrs, "updated_at": state().now()})
    st.store.update_tune(tune_id, fields)
    return jsonify(tune_json(st.store.get_tune(tune_id), state().now(), base_url()))


@bp.delete("/tunes/<int:tune_id>")
def delete(tune_id: int) -> Any:
    """T4: delete a tune with its images and the prompts under it."""
    st = state()
    tune = own_tune(tune_id, "deleted")
    prompt_ids = st.store.delete_tune(tune_id)
    for entry in tune["attrs"].get("orig_images", []):
        if "upload" in entry:
            st.remove_upload(entry["upload"])
    for prompt_id in prompt_ids:
        st.remove_prompt_files(prompt_id)
    return jsonify({"message": f"Tune {tune_id} deleted", "id": tune_id})
