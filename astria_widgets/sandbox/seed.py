"""``seed_history(n)``: realistic historical tunes and prompts for analysis demos.

The tunes are spread over the past year, over branches (flux1, sd15, sdxl1, fast), model
types (lora, pti, faceid, checkpoints), classes and outcomes: mostly trained (those trained
more than 30 days ago are expired), about 6% failed (``error`` set), and about 1% created in
the last moments, still queued or training (they finish in accelerated time like any new
tune). Each has 0-5 prompts (about 3% of them failed with ``user_error``). Historical
durations are the real service's (a training took ~20 minutes); the recent ones use the
sandbox's speed. Training images are stand-ins rendered lazily by the file route.

Everything is generated in memory and written with ``executemany`` in one transaction, so
10,000 tunes take seconds. The result is deterministic for a given ``seed`` and "now"
(times are relative to the sandbox clock, ``clock.now()``, or to ``now`` when given: a
sandbox started with a pinned ``now`` seeds the same history on any date). Seeding is per
account and cumulative: ``seed_history(n)`` tops the account up to ``n`` seeded tunes, so
restarting a sandbox with the same ``seed_history`` on the same data directory adds nothing.
"""

from __future__ import annotations

import json
import random
from typing import Any

from .gallery import prompt_cost_mc
from .lifecycle import Clock
from .store import PROMPT_ID_BASE, TUNE_ID_BASE, Store

DAY = 86_400.0
BRANCHES = (("flux1", 45), ("sd15", 20), ("sdxl1", 15), ("fast", 20))
MODEL_TYPES = {
    "flux1": (("lora", 90), ("faceid", 10)),
    "sdxl1": (("pti", 85), ("faceid", 15)),
    "sd15": ((None, 50), ("lora", 30), ("faceid", 20)),
    "fast": ((None, 60), ("lora", 40)),
}
BASES = {"flux1": 1504944, "sdxl1": 666678, "sd15": 690204, "fast": None}
CLASSES = (("man", 30), ("woman", 30), ("dog", 8), ("cat", 7), ("boy", 5), ("girl", 5),
           ("style", 8), ("couple", 3), ("dress", 2), ("shoes", 2))
TITLES = ("Headshots", "Portfolio", "Holiday shoot", "Product test", "Studio session",
          "Pet portraits", "Style study", "Client", "Wedding", "Team page")
SCENES = ("in a tailored suit, studio lighting", "on a beach at sunset, 35mm photo",
          "as a renaissance oil painting", "in a neon-lit street at night, cinematic",
          "hiking in the alps, golden hour", "professional headshot, grey backdrop",
          "as an astronaut, detailed, 8k", "reading in a cosy cafe, film grain",
          "in a watercolor illustration", "on a magazine cover, high fashion")
TUNE_ERRORS = ("Training failed: the training images could not be processed",
               "Training failed: no face detected in enough training images",
               "Training failed: worker timed out")
PROMPT_ERRORS = ("Generation failed: content filter triggered",
                 "Generation failed: worker out of memory", "Generation failed: timeout")
ASPECTS = ("1:1", "1:1", "2:3", "3:2", "16:9", "9:16", "4:5")
EYES = ("blue eyes", "brown eyes", "green eyes", "gray eyes")
HAIR = ("black hair", "brown hair", "blonde hair", "red hair", "grey hair")


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    """One value of ``((value, weight), ...)``, drawn by weight."""
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights, k=1)[0]


def seed_history(
    store: Store, clock: Clock, user_id: int, n: int, *, seed: int = 0,
    now: float | None = None,
) -> int:
    """Top the account up to ``n`` seeded tunes; returns how many were added."""
    key = f"seeded_history:{user_id}"
    done = int(store.get_meta(key, "0") or 0)
    count = max(0, int(n) - done)
    if count == 0:
        return 0
    now = clock.now() if now is None else now
    rng = random.Random(f"{seed}:{done}")
    real = Clock(1.0)
    recent = max(1, count // 100) if count >= 10 else 0
    ages = sorted((rng.uniform(0.02, 365.0) * DAY for _ in range(count - recent)), reverse=True)
    created_times = [now - a for a in ages]
    created_times += sorted(now - clock.scaled(rng.uniform(0, 20)) for _ in range(recent))
    next_tune = max(store.max_id("tunes"), TUNE_ID_BASE) + 1
    tune_rows: list[tuple] = []
    prompts: list[dict[str, Any]] = []
    for i, created in enumerate(created_times):
        tune_id = next_tune + i
        is_recent = i >= count - recent
        branch = _pick(rng, BRANCHES)
        model_type = _pick(rng, MODEL_TYPES[branch])
        name = _pick(rng, CLASSES)
        title = f"{rng.choice(TITLES)} #{done + i + 1} ({name})"
        failed = (not is_recent) and rng.random() < 0.06
        plan = (clock if is_recent else real).plan_tune(
            tune_id, created, branch, model_type, "[fail]" if failed else title)
        error = rng.choice(TUNE_ERRORS) if failed else None
        characteristics = None
        if name in ("man", "woman", "boy", "girl") and rng.random() < 0.3:
            characteristics = {"eye_color": rng.choice(EYES), "hair_color": rng.choice(HAIR)}
        attrs = {
            "token": "sks" if branch == "sd15" else "ohwx",
            "base_tune_id": BASES[branch], "steps": rng.choice((None, None, 500, 1000)),
            "face_crop": rng.choice((None, True, False)),
            "training_face_correct": rng.choice((None, False)),
            "auto_extend": rng.random() < 0.05, "preset": (
                rng.choice(("flux-lora-portrait", "flux-lora-focus", None))
                if branch == "flux1" else None),
            "characteristics": characteristics, "is_api": rng.random() < 0.7,
            "orig_images": [], "synthetic_images": rng.randint(4, 12),
        }
        tune_rows.append((
            tune_id, user_id, title, name, branch, model_type, created, created,
            plan.start_at, plan.eta, plan.finish_at, plan.outcome, error, json.dumps(attrs),
        ))
        tune = {"id": tune_id, "outcome": plan.outcome, "finish_at": plan.finish_at,
                "branch": branch}
        n_prompts = rng.choice((0, 1, 1, 2, 2, 2, 3, 4, 5)) if not failed else rng.randint(0, 1)
        if is_recent:
            n_prompts = rng.randint(1, 2)
        for _ in range(n_prompts):
            if is_recent:
                p_created = created
            else:
                p_created = min(plan.finish_at + rng.uniform(0, 20) * DAY * rng.random(),
                                now - 60)
                p_created = max(p_created, created)
            prompts.append({"tune": tune, "created": p_created, "recent": is_recent,
                            "name": name, "token": attrs["token"]})
    prompts.sort(key=lambda p: p["created"])
    next_prompt = max(store.max_id("prompts"), PROMPT_ID_BASE) + 1
    prompt_rows = []
    for j, spec in enumerate(prompts):
        prompt_id = next_prompt + j
        tune = spec["tune"]
        text = f"{spec['token']} {spec['name']} {rng.choice(SCENES)}"
        fails = tune["outcome"] == "trained" and rng.random() < 0.03
        plan = (clock if spec["recent"] else real).plan_prompt(
            prompt_id, spec["created"], "[fail]" if fails else text, [tune],
            tune["branch"] == "fast")
        user_error = plan.user_error
        if fails:
            user_error = rng.choice(PROMPT_ERRORS)
        num = rng.choice((1, 2, 4, 4, 8))
        attrs = {
            "seed": rng.randrange(2**32), "aspect_ratio": rng.choice(ASPECTS),
            "cost_mc": prompt_cost_mc(tune["branch"], num, False),
            "super_resolution": rng.random() < 0.3, "tune_refs": [],
        }
        if rng.random() < 0.3:
            attrs["negative_prompt"] = "blurry, low quality"
        prompt_rows.append((
            prompt_id, user_id, tune["id"], text, spec["created"], spec["created"],
            plan.start_at, plan.finish_at, plan.outcome, user_error, num, None, None, None,
            None, json.dumps(attrs),
        ))
    store.bulk_insert(tune_rows, prompt_rows)
    store.set_meta(key, str(done + count))
    return count
