"""Creating tunes and prompts: resolve defaults, plan lifecycles, store, schedule callbacks.

Shared by ``POST /tunes``, ``POST /tunes/:id/prompts``, duplicate and pack runs.

Ambiguity #30: chose to allow prompts under any gallery tune (e.g. ``/tunes/1504944/prompts``
with ``<lora:ID:1>`` in the text); they wait for every tune referenced in the text, which must
be the caller's own or a gallery tune and not expired (else 422, as for a prompt on an expired
tune itself). A ``resolution`` must be one the catalogue lists for the model the prompt runs
on (the tune, or its base; ``catalogue.resolution_problem``). Every check runs before anything
is stored (``prepare_prompts``, then ``insert_prompts``), so a refused request creates
nothing, also when it creates prompts on several tunes (pack runs, themes). Ambiguity #26:
idempotency is a sandbox setting, off by default; when on, a tune create whose title matches an
existing tune of the caller returns that tune (200), and a prompt create matching the 21
documented attributes returns the existing prompt (200). Prompts created with a tune
(``prompts_attributes``) and pack prompts live under the new tune (``tune_id`` = the new tune),
so they are listed by ``GET /tunes/:id/prompts``. ``{{key}}`` placeholders in prompt text are
replaced by the tune's ``characteristics`` (unknown keys are left as they are).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .catalogue import VIDEO_MODELS, image_cost_mc, resolution_problem
from .gallery import prompt_cost_mc
from .lifecycle import EXPIRY_SECONDS, referenced_tune_ids
from .params import ValidationFailed
from .state import SandboxState
from .store import Query
from .validate import PromptInput, TuneInput

IDEMPOTENT_PROMPT_KEYS = (
    "text", "cfg_scale", "steps", "seed", "callback", "negative_prompt", "super_resolution",
    "face_correct", "ar", "num_images", "controlnet", "denoising_strength", "use_lpw",
    "controlnet_conditioning_scale", "w", "h", "hires_fix", "scheduler", "controlnet_txt2img",
    "inpaint_faces",
)
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
Prepared = list[tuple[PromptInput, list[dict]]]  # checked prompts and the tunes they wait for


def fill_placeholders(text: str, characteristics: dict[str, str] | None) -> str:
    """Replace ``{{key}}`` by ``characteristics[key]`` where known."""
    if not characteristics or not text:
        return text
    return PLACEHOLDER.sub(lambda m: characteristics.get(m.group(1), m.group(0)), text)


def visible_tune(st: SandboxState, user: dict, tune_id: int) -> dict | None:
    """A tune the user may use: their own or a gallery tune."""
    tune = st.store.get_tune(tune_id)
    if tune is None or tune["user_id"] not in (None, user["id"]):
        return None
    return tune


def _is_expired(tune: dict, now: float) -> bool:
    if tune["outcome"] != "trained" or tune["attrs"].get("auto_extend"):
        return False
    return tune["finish_at"] + EXPIRY_SECONDS < now


def resolve_dependencies(
    st: SandboxState, user: dict, model_tune: dict, text: str
) -> list[dict]:
    """The tunes a prompt waits for (its own tune unless gallery, plus referenced ones)."""
    deps = [] if model_tune["user_id"] is None else [model_tune]
    problems = []
    for ref in referenced_tune_ids(text):
        tune = visible_tune(st, user, ref)
        if tune is None:
            problems.append(f"references tune {ref}, which does not exist or is not yours")
        elif tune["user_id"] is not None and _is_expired(tune, st.now()):
            problems.append(f"references tune {ref}, which has expired")
        elif tune["user_id"] is not None and all(d["id"] != ref for d in deps):
            deps.append(tune)
    if problems:
        raise ValidationFailed({"text": problems})
    return deps


def prompt_record(
    st: SandboxState, user: dict, prompt_id: int, tune_id: int, inp: PromptInput,
    deps: list[dict], model_branch: str | None, now: float,
    model_ids: tuple[int | None, ...] = (), **columns: Any,
) -> dict[str, Any]:
    """A prompt row with its planned lifecycle.

    Its ``cost_mc`` (x num_images): ``fast`` is free; a video by the catalogue's video price
    and duration; a prompt on a catalogue image model (``model_ids``: the tune it runs on and
    that tune's base) by the catalogue's price at its resolution; any other by its branch.
    """
    params = dict(inp.params)
    text = params.pop("text", "") or ""
    fast = model_branch == "fast" or any(d["branch"] == "fast" for d in deps)
    plan = st.clock.plan_prompt(prompt_id, now, text, deps, fast)
    num = int(params.get("num_images", 1))
    attrs = {k: v for k, v in params.items() if k not in {"num_images", "pack_id",
                                                           "base_pack_id"}}
    video = VIDEO_MODELS.get(params.get("video_model") or "")
    catalogue_mc = None if fast else image_cost_mc(model_ids, params.get("resolution"), num)
    if video is not None and not fast:  # mock (fast) prompts stay free, videos too
        attrs["cost_mc"] = video.cost_mc(params.get("video_duration")) * num
    elif catalogue_mc is not None:
        attrs["cost_mc"] = catalogue_mc
    else:
        attrs["cost_mc"] = prompt_cost_mc(model_branch if not fast else "fast", num,
                                          bool(params.get("super_resolution")))
    attrs["tune_refs"] = [d["id"] for d in deps if d["id"] != tune_id]
    for name, uploads in inp.files.items():
        stored = [f"/files/uploads/{st.save_upload(*u)}" for u in uploads]
        if name == "image_references":
            attrs["image_references"] = stored
        else:
            attrs[f"{name}_url_stored"] = stored[0]
    if params.get("image_reference_urls"):
        attrs["image_references"] = attrs.get("image_references", []) + list(
            params["image_reference_urls"])
    record = {
        "id": prompt_id, "user_id": user["id"], "tune_id": tune_id, "text": text,
        "created_at": now, "updated_at": now, "start_at": plan.start_at,
        "finish_at": plan.finish_at, "outcome": plan.outcome, "user_error": plan.user_error,
        "num_images": num, "pack_id": params.get("pack_id"),
        "base_pack_id": params.get("base_pack_id"), "order_id": None, "orig_prompt_id": None,
        "attrs": attrs,
    }
    record.update(columns)
    return record


def _callback_row(record: dict, kind: str) -> tuple | None:
    url = record["attrs"].get("callback")
    return (record["finish_at"], kind, record["id"], url, None) if url else None


def _find_same_prompt(st: SandboxState, user: dict, tune_id: int, inp: PromptInput) -> dict | None:
    candidates = st.store.list_prompts(
        Query().add("user_id = ?", user["id"]).add("tune_id = ?", tune_id)
        .add("text = ?", inp.params.get("text", "")), 50)
    for row in candidates:
        mine = {**row["attrs"], "text": row["text"], "num_images": row["num_images"]}
        if all(mine.get(k) == inp.params.get(k, 1 if k == "num_images" else None)
               for k in IDEMPOTENT_PROMPT_KEYS):
            return row
    return None


def _resolution_errors(
    model_ids: tuple[int | None, ...], prompts: list[tuple[str, PromptInput]],
) -> dict[str, list[str]]:
    """422 problems of prompts (by error key) whose resolution the model does not offer."""
    errors: dict[str, list[str]] = {}
    for key, inp in prompts:
        problem = resolution_problem(model_ids, inp.params.get("resolution"))
        if problem:
            errors.setdefault(key, []).append(problem)
    return errors


def prepare_prompts(
    st: SandboxState, user: dict, model_tune: dict, inputs: list[PromptInput],
    *, prefix: str = "",
) -> Prepared:
    """Check prompts to run on ``model_tune`` before anything is stored, and fill their
    ``{{placeholders}}``; raises ValidationFailed (422).

    The tune and every tune the texts reference must be usable (not expired), and each
    ``resolution`` one the model offers (error key ``prefix[resolution]``, e.g.
    ``prompt_attributes[resolution]`` for pack overrides).
    """
    characteristics = model_tune["attrs"].get("characteristics")
    if model_tune["user_id"] is not None and _is_expired(model_tune, st.now()):
        raise ValidationFailed({"tune_id": [f"tune {model_tune['id']} has expired"]})
    key = f"{prefix}[resolution]" if prefix else "resolution"
    errors = _resolution_errors((model_tune["id"], model_tune["attrs"].get("base_tune_id")),
                                [(key, inp) for inp in inputs])
    if errors:
        raise ValidationFailed(errors)
    prepared = []
    for inp in inputs:
        text = inp.params.get("text", "") or ""
        deps = resolve_dependencies(st, user, model_tune, text)
        if characteristics is None and deps:
            characteristics = deps[-1]["attrs"].get("characteristics")
        inp.params["text"] = fill_placeholders(text, characteristics)
        prepared.append((inp, deps))
    return prepared


def create_prompts(
    st: SandboxState, user: dict, model_tune: dict, inputs: list[PromptInput],
    *, extra: list[dict[str, Any]] | None = None,
) -> tuple[list[int], bool]:
    """Create prompts under ``model_tune``; returns (ids, created)."""
    prepared = prepare_prompts(st, user, model_tune, inputs)
    if st.config.idempotency and len(prepared) == 1 and not extra:
        existing = _find_same_prompt(st, user, model_tune["id"], prepared[0][0])
        if existing is not None:
            return [existing["id"]], False
    return insert_prompts(st, user, model_tune, prepared, extra=extra), True


def insert_prompts(
    st: SandboxState, user: dict, model_tune: dict, prepared: Prepared,
    *, extra: list[dict[str, Any]] | None = None,
) -> list[int]:
    """Store prompts checked by ``prepare_prompts`` (``extra``: columns per prompt); their ids."""
    now = st.now()
    model_ids = (model_tune["id"], model_tune["attrs"].get("base_tune_id"))

    def build(_tune_id: int, first_prompt_id: int) -> dict[str, Any]:
        records, callbacks = [], []
        for i, (inp, deps) in enumerate(prepared):
            columns = (extra or [{}] * len(prepared))[i]
            record = prompt_record(st, user, first_prompt_id + i, model_tune["id"], inp, deps,
                                   model_tune["branch"], now, model_ids, **columns)
            records.append(record)
            row = _callback_row(record, "prompt")
            if row:
                callbacks.append(row)
        return {"tune": None, "prompts": records, "callbacks": callbacks}

    built = st.store.insert_built(build)
    return [p["id"] for p in built["prompts"]]


def resolve_tune_defaults(st: SandboxState, user: dict, inp: TuneInput) -> dict | None:
    """Fill branch/model_type/token defaults; returns the base tune (validated)."""
    p = inp.params
    base = None
    if p.get("base_tune_id") is not None:
        base = visible_tune(st, user, p["base_tune_id"])
        if base is None:
            raise ValidationFailed(
                {"base_tune_id": [f"tune {p['base_tune_id']} does not exist or is not yours"]})
    if "branch" not in p:
        p["branch"] = base["branch"] if base and base["branch"] else "sd15"
    if p["branch"] == "sdxl1" and p.get("model_type") != "faceid":
        p["model_type"] = "pti"
    elif p["branch"] == "flux1" and p.get("model_type") is None:
        p["model_type"] = "lora"
    p.setdefault("token", "sks" if p["branch"] == "sd15" else "ohwx")
    if p.get("captions") and p["branch"] != "flux1":
        raise ValidationFailed({"images": [
            f"captions ({', '.join(f'{s}.txt' for s in p['captions'])}) are used by Flux "
            "only (branch flux1)"]})
    return base


def create_tune(
    st: SandboxState, user: dict, inp: TuneInput, *,
    pack_prompts: list[tuple[PromptInput, dict[str, Any]]] | None = None,
    prompts_callback: str | None = None, new_order: Callable[[], int] | None = None,
) -> tuple[int, bool]:
    """Create a tune (and its prompts); returns (tune id, created).

    ``new_order``: called once the tune is being stored (every check passed, not an
    idempotent repeat) for the order id of the ``pack_prompts``.
    """
    p = inp.params
    if st.config.idempotency:
        existing = st.store.find_tune_by_title(user["id"], p["title"])
        if existing is not None:
            return existing["id"], False
    resolve_tune_defaults(st, user, inp)
    errors = _resolution_errors((p.get("base_tune_id"),), [
        *((f"prompts_attributes[{i}][resolution]", x) for i, x in enumerate(inp.prompts)),
        *(("prompt_attributes[resolution]", x) for x, _ in pack_prompts or [])])
    if errors:
        raise ValidationFailed(errors)
    specs: list[tuple[PromptInput, dict[str, Any], list[dict]]] = []
    for prompt in inp.prompts:
        specs.append((prompt, {}, resolve_dependencies(
            st, user, {"user_id": None, "id": 0}, prompt.params.get("text", ""))))
    order_from = len(specs)  # specs from here on are the pack order's prompts
    for prompt, columns in pack_prompts or []:
        specs.append((prompt, columns, []))
    for prompt, _, _ in specs:
        prompt.params["text"] = fill_placeholders(prompt.params.get("text", ""),
                                                  p.get("characteristics"))
    uploads = [st.save_upload(*image) for image in inp.images]
    orig = [{"upload": u} for u in uploads] + [{"url": u} for u in inp.image_urls]
    now = st.now()

    def build(tune_id: int, first_prompt_id: int) -> dict[str, Any]:
        plan = st.clock.plan_tune(tune_id, now, p["branch"], p.get("model_type"), p["title"])
        attrs = {k: v for k, v in p.items() if k not in {"title", "name", "branch",
                                                         "model_type"}}
        attrs.update({"orig_images": orig, "is_api": True})
        tune = {
            "id": tune_id, "user_id": user["id"], "title": p["title"], "name": p["name"],
            "branch": p["branch"], "model_type": p.get("model_type"), "created_at": now,
            "updated_at": now, "start_at": plan.start_at, "eta": plan.eta,
            "finish_at": plan.finish_at, "outcome": plan.outcome, "error": plan.error,
            "attrs": attrs,
        }
        records, callbacks = [], []
        row = _callback_row(tune, "tune")
        if row:
            callbacks.append(row)
        order = {"order_id": new_order()} if new_order else {}
        for i, (prompt, columns, deps) in enumerate(specs):
            record = prompt_record(st, user, first_prompt_id + i, tune_id, prompt,
                                   [tune, *deps], p["branch"], now,
                                   (tune_id, p.get("base_tune_id")),
                                   **(columns | order if i >= order_from else columns))
            records.append(record)
            row = _callback_row(record, "prompt")
            if row:
                callbacks.append(row)
        if prompts_callback and records:
            order_ids = [r["id"] for r in records if r["order_id"] is not None]
            if order_ids:
                due = max(r["finish_at"] for r in records)
                callbacks.append((due, "pack", records[0]["order_id"], prompts_callback,
                                  json.dumps(order_ids)))
        return {"tune": tune, "prompts": records, "callbacks": callbacks}

    try:
        built = st.store.insert_built(build)
    except BaseException:
        for u in uploads:
            st.remove_upload(u)
        raise
    return built["tune"]["id"], True
