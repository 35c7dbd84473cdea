"""H1 ``POST /themes`` (section 2.12): ten prompts per tune written from a theme.

The service has an LLM write the prompts; the sandbox writes them from ten fixed shot
descriptions, so the same request always gives the same texts and seeds (a seed is a hash of
theme, tune id and index). Each text is ``<ref> <token> <class>, <shot>, <theme>``, where
``<ref>`` is ``<lora:ID:1>`` or ``<faceid:ID:1>`` for LoRA/FaceID tunes (and empty for
checkpoints). The prompts are created under the tune itself (so ``GET /tunes/:id/prompts``
finds them, as the docs say), carry ``theme``, land in the ``X-Workspace-Id`` workspace and are
generated like any prompt.

Ambiguity #4: chose to accept the fields wrapped (``theme[theme]``, ``{"theme": {...}}``) and
unwrapped (``theme``, ``tune_ids`` at the top level), ``tune_ids`` only (a request that sends
only the docs' misspelt ``tuen_ids`` gets a 422 saying so), and to answer 201 with an empty
body. ``prompt_attributes`` may set ``num_images``, ``w`` and ``h`` only; any other key is 422.
Every tune must be the caller's (422 otherwise); nothing is created unless all are valid.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, request

from . import api_workspaces as workspaces
from .create import insert_prompts, prepare_prompts
from .params import Validator, parse_body
from .state import current_user, state
from .validate import PromptInput, clean_prompt

bp = Blueprint("themes", __name__)
PROMPTS_PER_TUNE = 10
OVERRIDABLE = ("num_images", "w", "h")
SHOTS = (
    "close-up portrait, soft window light",
    "full body shot, walking towards the camera",
    "candid laugh, golden hour",
    "three-quarter view, dramatic rim light",
    "seated, looking out of a window",
    "wide shot in a striking location",
    "over-the-shoulder glance, shallow depth of field",
    "low angle, confident pose",
    "environmental portrait with props of the theme",
    "cinematic still, film grain",
)


def theme_texts(theme: str, tune: dict[str, Any]) -> list[tuple[str, int]]:
    """The (text, seed) of the ten prompts a theme gives for one tune."""
    token = tune["attrs"].get("token") or "ohwx"
    kind = tune["model_type"]
    ref = f"<{kind}:{tune['id']}:1> " if kind in ("lora", "faceid") else ""
    out = []
    for i, shot in enumerate(SHOTS[:PROMPTS_PER_TUNE]):
        digest = hashlib.sha256(f"{theme}|{tune['id']}|{i}".encode()).digest()
        out.append((f"{ref}{token} {tune['name'] or 'person'}, {shot}, {theme}",
                    int.from_bytes(digest[:4], "big")))
    return out


@bp.post("/themes")
def create_theme() -> Any:
    """H1: queue ten prompts per tune for a theme; 201 with an empty body."""
    st, user = state(), current_user()
    body = parse_body(request)
    params = body["theme"] if isinstance(body.get("theme"), dict) else body
    v = Validator(params)
    theme = v.string("theme", required=True, max_length=1000)
    tune_ids = v.int_list("tune_ids")
    if not tune_ids and "tune_ids" not in v.errors:
        hint = " (the docs' sample misspells it tuen_ids)" if "tuen_ids" in params else ""
        v.error("tune_ids", f"can't be blank{hint}")
    extra = params.get("prompt_attributes") or {}
    if not isinstance(extra, dict):
        v.error("prompt_attributes", "must be a hash")
        extra = {}
    for key in sorted(set(extra) - set(OVERRIDABLE)):
        v.error("prompt_attributes", f"{key} cannot be set (only {', '.join(OVERRIDABLE)})")
    tunes = []
    for tune_id in tune_ids:
        tune = st.store.get_tune(tune_id)
        if tune is None or tune["user_id"] != user["id"]:
            v.error("tune_ids", f"tune {tune_id} does not exist or is not yours")
        else:
            tunes.append(tune)
    plans: list[tuple[dict[str, Any], list[PromptInput]]] = []
    if theme is not None:
        for tune in tunes:
            inputs = []
            for text, seed in theme_texts(theme, tune):
                child = Validator({**{k: extra[k] for k in OVERRIDABLE if k in extra},
                                   "text": text, "seed": seed, "theme": theme},
                                  prefix="prompt_attributes")
                inp = clean_prompt(child)
                workspaces.assign(inp.params, child)
                v.merge(child)
                inputs.append(inp)
            plans.append((tune, inputs))
    v.errors = {k: list(dict.fromkeys(m)) for k, m in v.errors.items()}  # one line per problem
    v.raise_if_errors()
    checked = [(tune, prepare_prompts(st, user, tune, inputs)) for tune, inputs in plans]
    for tune, prepared in checked:  # every tune checked first: a refusal creates nothing
        insert_prompts(st, user, tune, prepared)
    return Response(status=201)
