"""Pack endpoints: K1 ``GET /packs``, K2 ``GET /gallery/packs``, K3 ``GET /p/:id_or_slug``,
K4 ``POST /p/:id_or_slug/tunes``, K5 ``POST /packs``.

Ambiguity #12: chose numeric -> id, anything else -> slug. Ambiguity #13: pack ``costs``
carry both ``cost`` (cents) and ``cost_mc``; Ambiguity #14: 100,000 mc = US$1.
Ambiguity #11: ``preset`` is accepted on pack runs and ignored when the pack has its own
model settings. K4 trains a tune of the pack's base model/model type and creates the pack's
template prompts for the tune's class under the new tune (``orig_prompt_id`` = template,
``base_pack_id`` = pack, a fresh ``order_id``, taken only when the run is accepted: a refused
run, 422, uses up no order id); ``prompt_attributes`` (one hash) overrides
attributes of every such prompt; ``prompts_callback`` receives the array of all of them once
the last one finishes. With ``tune_ids[]`` the prompts run on existing tunes instead and the
answer is ``{"status": 201, "order": {"id", "tune_ids", "total_cost_mc"}, "prompt_ids": [...]}``
(the documented multi-pack shape, used for every ``tune_ids`` run). ``total_cost_mc`` (section
5.7: the charged total of the order) is the prompts' ``cost_mc`` plus, for a training run, the
pack's training cost; a training run answers the tune object with the sandbox extension
``order: {"id", "total_cost_mc", "prompt_ids"}``. A pack's ``costs.<class>.cost_mc`` estimate is
exactly what a training run of that class without overrides costs. Packs created with
``POST /packs`` include the training cost of their base model (``training_cost_mc``).

Template prompts (section 2.7 ``pack_id``): a prompt created or patched into a pack must be
"using a fine-tuned model": the tune it runs on is the caller's own, or its text references
one of the caller's tunes (``<lora:ID:w>``, ``<faceid:ID:w>``); that tune's class becomes the
template's class. Otherwise 422 "Prompt is not using a fine-tuned model"; a ``pack_id`` that is
not one of the caller's packs is 422 too.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, abort, jsonify, request

from . import api_workspaces as workspaces
from .create import create_tune, fill_placeholders, insert_prompts, prepare_prompts, visible_tune
from .gallery import TRAINING_COST_MC
from .lifecycle import referenced_tune_ids
from .objects import pack_detail_json, pack_list_json, tune_json
from .params import Validator, paging, parse_body, query_flag, root_params
from .state import base_url, current_user, state
from .store import Query
from .validate import PromptInput, clean_prompt, clean_tune

bp = Blueprint("packs", __name__)
MAX_LIMIT = 500
ORDER_ID_START = 100_000


def _pack(ident: str) -> dict[str, Any]:
    st = state()
    pack = st.store.get_pack(pack_id=int(ident)) if ident.isdigit() else st.store.get_pack(
        slug=ident)
    if pack is None or pack["user_id"] not in (None, current_user()["id"]):
        abort(404, description=f"Pack {ident} not found")
    return pack


def _list(query: Query) -> Any:
    st = state()
    limit, _, offset = paging(request, max_offset=None, max_limit=MAX_LIMIT)
    public_only, listed_only = query_flag(request, "public"), query_flag(request, "listed")
    now = state().now()
    out = []
    for row in st.store.list_packs(query, limit, offset):
        attrs = row["attrs"]
        if public_only and (not attrs.get("public_at") or attrs["public_at"] > now):
            continue
        if listed_only and attrs.get("unlisted_at"):
            continue
        out.append(pack_list_json(row, st.store.pack_templates(row["id"])))
    return jsonify(out)


@bp.get("/packs")
def list_packs() -> Any:
    """K1: the caller's own packs."""
    return _list(Query().add("user_id = ?", current_user()["id"]))


@bp.get("/gallery/packs")
def list_gallery_packs() -> Any:
    """K2: public gallery packs."""
    return _list(Query().add("user_id IS NULL"))


@bp.get("/p/<ident>")
def get_pack(ident: str) -> Any:
    """K3: pack detail."""
    pack = _pack(ident)
    templates = state().store.pack_templates(pack["id"])
    return jsonify(pack_detail_json(pack, templates, state().now(), base_url()))


@bp.post("/packs")
def create_pack() -> Any:
    """K5: a new (private, empty) pack of the caller."""
    st = state()
    body = parse_body(request)
    v = Validator(body.get("pack") if "pack" in body else body)
    title = v.string("title", required=True, max_length=255)
    subtitle = v.string("subtitle", max_length=1000)
    base_tune_id = v.integer("base_tune_id", low=1)
    model_type = v.enum("model_type", ("lora", "pti", "faceid"))
    base = st.store.get_tune(base_tune_id) if base_tune_id else None
    if base_tune_id and (base is None or base["user_id"] is not None):
        v.error("base_tune_id", f"tune {base_tune_id} is not a gallery base tune")
    v.raise_if_errors()
    now = state().now()
    branch = base["branch"] if base else "sd15"
    slug_root = re.sub(r"[^a-z0-9]+", "-", (title or "pack").lower()).strip("-") or "pack"
    slug = f"{slug_root}-{st.store.next_sequence('pack_slug')}"
    pack_id = st.store.insert_pack({
        "user_id": current_user()["id"], "slug": slug, "title": title, "created_at": now,
        "updated_at": now,
        "attrs": {"subtitle": subtitle, "base_tune_id": base_tune_id, "model_type": model_type,
                  "token": "ohwx", "classes": [], "public_at": None, "unlisted_at": None,
                  "multiplier": 1, "training_cost_mc": TRAINING_COST_MC.get(branch, 0)},
    })
    pack = st.store.get_pack(pack_id)
    return jsonify(pack_detail_json(pack, [], now, base_url())), 201


def _template_inputs(
    templates: list[dict[str, Any]], token: str, characteristics: dict | None,
    overrides: dict[str, Any], v: Validator,
) -> list[PromptInput]:
    inputs = []
    for t in templates:
        text = fill_placeholders(t["text"].replace("ohwx", token), characteristics)
        base = {"text": text, "num_images": t["num_images"]}
        child = Validator({**base, **overrides}, prefix="prompt_attributes")
        inputs.append(clean_prompt(child))
        v.merge(child)
    return inputs


@bp.post("/p/<ident>/tunes")
def run_pack(ident: str) -> Any:
    """K4: train a tune with the pack's prompts, or run the pack on existing tunes."""
    st = state()
    user = current_user()
    pack = _pack(ident)
    attrs = pack["attrs"]
    params = root_params(request, "tune")
    v = Validator(params)
    tune_ids = v.int_list("tune_ids")
    prompt_ids = set(v.int_list("prompt_ids"))
    overrides = params.get("prompt_attributes") if isinstance(params, dict) else None
    if overrides is not None and not isinstance(overrides, dict):
        v.error("prompt_attributes", "must be a hash")
        overrides = None
    overrides = dict(overrides or {})
    prompts_callback = v.url("prompts_callback")
    templates = [t for t in st.store.pack_templates(pack["id"])
                 if not prompt_ids or t["id"] in prompt_ids]
    if tune_ids:
        return _run_on_tunes(pack, tune_ids, templates, overrides, prompts_callback, v)
    if isinstance(params, dict) and params.get("name") and params["name"] not in attrs["classes"]:
        v.error("name", f"is not a class of this pack ({', '.join(attrs['classes'])})")
    inp = clean_tune(v, for_pack=True)
    inp.params["base_tune_id"] = attrs.get("base_tune_id") or inp.params.get("base_tune_id")
    if attrs.get("model_type"):
        inp.params["model_type"] = attrs["model_type"]
    inp.params.pop("branch", None)
    token = inp.params.get("token") or "ohwx"
    mine = [t for t in templates if t["attrs"].get("class") == inp.params.get("name")]
    pack_inputs = _template_inputs(mine, token, inp.params.get("characteristics"), overrides, v)
    workspaces.assign(inp.params, v)
    for prompt in pack_inputs:
        if inp.params.get("workspace_id") is not None:
            prompt.params["workspace_id"] = inp.params["workspace_id"]
    v.raise_if_errors()
    columns = [{"orig_prompt_id": t["id"], "base_pack_id": pack["id"]} for t in mine]
    orders: list[int] = []  # the order id, taken once the tune is being stored

    def new_order() -> int:
        orders.append(next_order_id())
        return orders[-1]

    tune_id, created = create_tune(
        st, user, inp, pack_prompts=list(zip(pack_inputs, columns, strict=True)),
        prompts_callback=prompts_callback, new_order=new_order)
    tune = st.store.get_tune(tune_id)
    body = tune_json(tune, state().now(), base_url())
    if created and orders:
        ids = [p["id"] for p in st.store.list_prompts(Query().add("order_id = ?", orders[0]),
                                                      limit=10_000)][::-1]
        body["order"] = {"id": orders[0], "prompt_ids": ids, "total_cost_mc": _total_cost(
            ids, int(attrs.get("training_cost_mc", 0)))}
    return jsonify(body), 201 if created else 200


def next_order_id() -> int:
    """A fresh order id: taken only by a pack run that creates something (a refused run,
    422, takes none, so the ids of accepted orders follow each other)."""
    return state().store.next_sequence("order_id", start=ORDER_ID_START)


def _total_cost(prompt_ids: list[int], training_mc: int) -> int:
    store = state().store
    return training_mc + sum(int(store.get_prompt(i)["attrs"].get("cost_mc", 0))
                             for i in prompt_ids)


def template_class(pack_id: int | None, model_tune: dict[str, Any], text: str,
                   v: Validator) -> str | None:
    """The class a prompt gets as a template of ``pack_id``, or a 422 problem on ``v``.

    The prompt must use a fine-tuned model: ``model_tune`` is the caller's, or ``text``
    references a tune of the caller (``<lora:ID:w>`` / ``<faceid:ID:w>``).
    """
    if pack_id is None:
        return None
    st, user = state(), current_user()
    pack = st.store.get_pack(pack_id)
    if pack is None or pack["user_id"] != user["id"]:
        v.error("pack_id", f"pack {pack_id} does not exist or is not yours")
        return None
    candidates = [model_tune] + [visible_tune(st, user, ref) for ref in referenced_tune_ids(text)]
    fine_tuned = [t for t in candidates if t is not None and t["user_id"] == user["id"]]
    if not fine_tuned:
        v.error("pack_id", "Prompt is not using a fine-tuned model")
        return None
    return fine_tuned[-1]["name"]


def add_pack_class(pack_id: int, cls: str | None) -> None:
    """Record that ``pack_id`` has templates of class ``cls``."""
    st = state()
    pack = st.store.get_pack(pack_id)
    if pack is None or not cls or cls in pack["attrs"].setdefault("classes", []):
        return
    pack["attrs"]["classes"].append(cls)
    st.store.update_pack(pack_id, {"attrs": pack["attrs"], "updated_at": st.now()})


def _run_on_tunes(
    pack: dict, tune_ids: list[int], templates: list[dict], overrides: dict,
    prompts_callback: str | None, v: Validator,
) -> Any:
    st = state()
    user = current_user()
    plans = []
    for tune_id in tune_ids:
        tune = st.store.get_tune(tune_id)
        if tune is None or tune["user_id"] != user["id"]:
            v.error("tune_ids", f"tune {tune_id} does not exist or is not yours")
            continue
        mine = [t for t in templates if t["attrs"].get("class") == tune["name"]]
        if not mine:
            v.error("tune_ids", f"tune {tune_id} has class {tune['name']!r}, "
                                "which this pack has no prompts for")
            continue
        token = tune["attrs"].get("token") or "ohwx"
        inputs = _template_inputs(mine, token, tune["attrs"].get("characteristics"), overrides, v)
        for prompt in inputs:
            workspaces.assign(prompt.params, v)
        plans.append((tune, mine, inputs))
    v.raise_if_errors()
    checked = [(tune, mine, prepare_prompts(st, user, tune, inputs, prefix="prompt_attributes"))
               for tune, mine, inputs in plans]  # every tune checked before anything is stored
    order_id = next_order_id()
    all_ids: list[int] = []
    for tune, mine, prepared in checked:
        extra = [{"orig_prompt_id": t["id"], "base_pack_id": pack["id"], "order_id": order_id}
                 for t in mine]
        all_ids.extend(insert_prompts(st, user, tune, prepared, extra=extra))
    if prompts_callback and all_ids:
        due = max(st.store.get_prompt(i)["finish_at"] for i in all_ids)
        st.store.add_callbacks([(due, "pack", order_id, prompts_callback, json.dumps(all_ids))])
    order = {"id": order_id, "tune_ids": tune_ids, "total_cost_mc": _total_cost(all_ids, 0)}
    return jsonify({"status": 201, "order": order, "prompt_ids": all_ids}), 201
