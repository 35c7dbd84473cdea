"""Workspaces (W1, W2 of the API notes) and the ``X-Workspace-Id`` scoping of lists and creates.

- ``GET /workspaces`` -> the caller's workspaces (``id``, ``title``, ``slug``...), oldest first;
  ``POST /workspaces`` with ``{"workspace": {"title"}}`` -> 201 the new workspace;
  ``GET|PATCH /workspaces/:id`` (``title``, ``brief``, ``landing_page_html``). A workspace of
  another account, or none, is 404.
- The header ``X-Workspace-Id`` (section 1.3): absent, blank or ``personal`` = the personal
  scope (the official CLI's ``-w personal`` sends the word as is), ``all`` = every workspace
  of the caller plus the personal scope, a number = that workspace, which must be the
  caller's (404 otherwise); anything else is 400. The words are case-insensitive. Sandbox
  choices (the docs say no more): the header scopes the lists ``GET /tunes``, ``GET /prompts``
  and ``GET /tunes/:id/prompts`` and decides where a new tune or prompt lands (``all``,
  ``personal`` and no header: personal); reading, changing or deleting one object by id works
  from any scope; packs and likes are not scoped. A prompt's body ``workspace_id`` (create or
  ``PATCH``) wins over the header and must name a workspace of the caller (else 422).
  Objects carry ``workspace_id`` (null = personal).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from .lifecycle import iso
from .params import BadRequest, Validator, root_params, to_int
from .state import current_user, state
from .store import Query

bp = Blueprint("workspaces", __name__)
HEADER = "X-Workspace-Id"
ALL = "all"
PERSONAL = "personal"
FIELD = "$.workspace_id"


def workspace_json(row: dict[str, Any]) -> dict[str, Any]:
    """The workspace object."""
    attrs = row["attrs"]
    return {
        "id": row["id"], "title": row["title"], "slug": row["slug"], "user_id": row["user_id"],
        "brief": attrs.get("brief"), "landing_page_html": attrs.get("landing_page_html"),
        "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"]),
    }


def _own(workspace_id: int) -> dict[str, Any] | None:
    row = state().store.get_workspace(workspace_id)
    return row if row is not None and row["user_id"] == current_user()["id"] else None


def scope() -> int | str | None:
    """The request's scope: None (personal), ``"all"`` or the id of a caller's workspace."""
    if "workspace_scope" in g:
        return g.workspace_scope
    raw = request.headers.get(HEADER, "").strip()
    value: int | str | None = None
    if raw.lower() == ALL:
        value = ALL
    elif raw and raw.lower() != PERSONAL:
        try:
            value = to_int(raw)
        except ValueError:
            raise BadRequest(f"{HEADER} must be a workspace id, 'all' or 'personal', "
                             f"got {raw!r}") from None
        if _own(value) is None:
            abort(404, description=f"Workspace {value} not found ({HEADER} header)")
    g.workspace_scope = value
    return value


def scope_query(query: Query) -> Query:
    """Restrict a tunes/prompts listing to the request's scope (the expression is the one the
    ``*_workspace`` indexes of ``store.SCHEMA`` are built on, so a small workspace is found
    without scanning the account)."""
    where = scope()
    if where is None:
        query.add(f"json_extract(attrs, '{FIELD}') IS NULL")
    elif where != ALL:
        query.add(f"json_extract(attrs, '{FIELD}') = ?", where)
    return query


def assign(params: dict[str, Any], v: Validator, field: str = "workspace_id") -> None:
    """Set ``params[field]`` for a new object: its own valid value, else the header's workspace."""
    if params.get(field) is not None:
        check(params[field], v, field)
        return
    where = scope()
    if isinstance(where, int):
        params[field] = where


def check(workspace_id: int | None, v: Validator, field: str = "workspace_id") -> None:
    """Record a 422 problem unless ``workspace_id`` is None or a workspace of the caller."""
    if workspace_id is not None and _own(workspace_id) is None:
        v.error(field, f"workspace {workspace_id} does not exist or is not yours")


@bp.get("/workspaces")
def list_workspaces() -> Any:
    """W1: the caller's workspaces."""
    return jsonify([workspace_json(r) for r in state().store.list_workspaces(current_user()["id"])])


@bp.post("/workspaces")
def create_workspace() -> Any:
    """W1: a new workspace of the caller."""
    st = state()
    v = Validator(root_params(request, "workspace"))
    title = v.string("title", required=True, max_length=255)
    brief = v.string("brief", max_length=10_000)
    v.raise_if_errors()
    now = st.now()
    root = re.sub(r"[^a-z0-9]+", "-", str(title).lower()).strip("-") or "workspace"
    slug = f"{root}-{st.store.next_sequence('workspace_slug')}"
    workspace_id = st.store.insert_workspace({
        "user_id": current_user()["id"], "title": title, "slug": slug, "created_at": now,
        "updated_at": now, "attrs": {"brief": brief, "landing_page_html": None},
    })
    return jsonify(workspace_json(st.store.get_workspace(workspace_id))), 201


def _visible(workspace_id: int) -> dict[str, Any]:
    row = _own(workspace_id)
    if row is None:
        abort(404, description=f"Workspace {workspace_id} not found")
    return row


@bp.get("/workspaces/<int:workspace_id>")
def get_workspace(workspace_id: int) -> Any:
    """W2: one workspace."""
    return jsonify(workspace_json(_visible(workspace_id)))


@bp.patch("/workspaces/<int:workspace_id>")
def update_workspace(workspace_id: int) -> Any:
    """W2: change title, brief or landing page."""
    st = state()
    row = _visible(workspace_id)
    v = Validator(root_params(request, "workspace"))
    fields: dict[str, Any] = {}
    attrs = dict(row["attrs"])
    if v.present("title"):
        fields["title"] = v.string("title", required=True, max_length=255)
    for name in ("brief", "landing_page_html"):
        if v.present(name):
            attrs[name] = v.string(name, max_length=1_000_000)
    v.raise_if_errors()
    fields.update({"attrs": attrs, "updated_at": st.now()})
    st.store.update_workspace(workspace_id, fields)
    return jsonify(workspace_json(st.store.get_workspace(workspace_id)))
