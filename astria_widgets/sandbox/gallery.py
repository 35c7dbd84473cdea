"""Shared public data every sandbox has: gallery tunes (base models, style LoRAs) and gallery
packs with template prompts per class.

Gallery tunes keep the ids the real service uses (section 2.6 of the API notes), so code
written for the real API (``POST /tunes/1504944/prompts`` with ``<lora:ID:1>``) works as is.
They are trained long ago, never expire and have no checkpoint URL. Seeding is idempotent
(a ``meta`` version key), so a restarted sandbox does not duplicate them; a data directory of
an older gallery version gets the new tunes and branches. Partner models (the image models
the official CLI resolves by name, found with ``GET /gallery/tunes?branch=partner-1``) are on
the ``partner-1`` branch; Gemini 2.5 keeps ``gemini-2`` (the skills docs' branch). WAN 2.7 and
WAN 2.7 Pro have sandbox ids (``catalogue.WAN_27``: the docs name none).
"""

from __future__ import annotations

from typing import Any

from .catalogue import WAN_27, WAN_27_PRO
from .store import Store

GALLERY_VERSION = "3"
EPOCH = 1_672_531_200.0  # 2023-01-01T00:00:00Z: when the gallery "was trained"

# (id, title, name, branch, model_type)
GALLERY_TUNES: tuple[tuple[int, str, str | None, str, str | None], ...] = (
    (538238, "Deliberate", None, "sd15", None),
    (623021, "Flat", "style", "sdxl1", "lora"),
    (636337, "Cartoon", "style", "sdxl1", "lora"),
    (666678, "SDXL 1.0", None, "sdxl1", None),
    (690204, "Realistic Vision v5.1", None, "sd15", None),
    (753832, "Life Like Ethnicities", "style", "sd15", "lora"),
    (1194447, "RealVis XL Lightning", None, "sdxl1", None),
    (1504944, "Flux1.dev", None, "flux1", None),
    (3063697, "Krea Flux1.dev", None, "flux1", None),
    (3159068, "Gemini 2.5 nano banana", None, "gemini-2", None),
    (3225353, "Seedream 4.0", None, "partner-1", None),
    (3618064, "Gemini 3 Pro Image", None, "partner-1", None),
    (3691308, "Seedream 4.5", None, "partner-1", None),
    (4665564, "GPT Image 2", None, "partner-1", None),
    (WAN_27, "WAN 2.7", None, "partner-1", None),
    (WAN_27_PRO, "WAN 2.7 Pro", None, "partner-1", None),
)

# (id, slug, title, subtitle, base_tune_id, model_type, {class: [template texts]})
GALLERY_PACKS: tuple[tuple[int, str, str, str, int, str | None, dict[str, list[str]]], ...] = (
    (260, "corporate-headshots", "Corporate Headshots", "LinkedIn-ready portraits",
     1504944, "lora", {
         "man": ["ohwx man in a navy suit, studio headshot, soft light",
                 "ohwx man in a white shirt, office background, shallow depth of field",
                 "ohwx man with arms crossed, grey backdrop, {{eye_color}}"],
         "woman": ["ohwx woman in a blazer, studio headshot, soft light",
                   "ohwx woman smiling, modern office, bokeh",
                   "ohwx woman, black turtleneck, grey backdrop, {{eye_color}}"],
     }),
    (261, "fantasy-portraits", "Fantasy Portraits", "Elves, knights and wizards",
     666678, "pti", {
         "man": ["ohwx man as a knight in shining armour, epic lighting",
                 "ohwx man as a wizard casting a spell, mist"],
         "woman": ["ohwx woman as an elven queen, forest, golden hour",
                   "ohwx woman as a sorceress, glowing runes"],
         "boy": ["ohwx boy as a young squire, castle courtyard"],
         "girl": ["ohwx girl as a fairy, flower meadow"],
     }),
    (262, "pet-portraits", "Pet Portraits", "Your pet as a painting",
     690204, None, {
         "dog": ["ohwx dog as a renaissance oil painting, ornate frame",
                 "ohwx dog wearing sunglasses on a beach"],
         "cat": ["ohwx cat as a renaissance oil painting, ornate frame",
                 "ohwx cat astronaut floating in space"],
     }),
)

TRAINING_COST_MC = {"fast": 0, "flux1": 150_000, "sdxl1": 300_000, "sd15": 300_000}
PROMPT_COST_MC = {"fast": 0, "flux1": 2_300, "sdxl1": 1_500, "sd15": 1_000}
OTHER_PROMPT_COST_MC = 4_000
SUPER_RESOLUTION_COST_MC = 500


def prompt_cost_mc(branch: str | None, num_images: int, super_resolution: bool) -> int:
    """Millicents charged for a prompt (already x num_images)."""
    per_image = PROMPT_COST_MC.get(branch or "", OTHER_PROMPT_COST_MC)
    if super_resolution and per_image:
        per_image += SUPER_RESOLUTION_COST_MC
    return per_image * num_images


def _tune_row(tune: tuple) -> dict[str, Any]:
    tune_id, title, name, branch, model_type = tune
    return {
        "id": tune_id, "user_id": None, "title": title, "name": name, "branch": branch,
        "model_type": model_type, "created_at": EPOCH, "updated_at": EPOCH,
        "start_at": EPOCH, "eta": EPOCH, "finish_at": EPOCH, "outcome": "trained",
        "error": None,
        "attrs": {"gallery": True, "token": "ohwx", "orig_images": [], "is_api": False},
    }


def seed_gallery(store: Store, now: float) -> None:
    """Insert gallery tunes, packs and template prompts once per data directory (at ``now``)."""
    if store.get_meta("gallery_version") == GALLERY_VERSION:
        return
    for tune in GALLERY_TUNES:
        existing = store.get_tune(tune[0])
        if existing is None:
            store.insert_tune(_tune_row(tune))
        elif existing["branch"] != tune[3]:
            store.update_tune(tune[0], {"branch": tune[3]})
    next_prompt = 10_000_000
    for pack_id, slug, title, subtitle, base_id, model_type, classes in GALLERY_PACKS:
        if store.get_pack(pack_id) is not None:
            continue
        base = store.get_tune(base_id)
        branch = base["branch"] if base else None
        store.insert_pack({
            "id": pack_id, "user_id": None, "slug": slug, "title": title,
            "created_at": EPOCH, "updated_at": EPOCH,
            "attrs": {
                "subtitle": subtitle, "base_tune_id": base_id, "model_type": model_type,
                "token": "ohwx", "classes": list(classes), "public_at": EPOCH,
                "unlisted_at": None, "multiplier": 1, "gallery": True,
                "training_cost_mc": TRAINING_COST_MC.get(branch or "", 0),
            },
        })
        for cls, texts in classes.items():
            for text in texts:
                next_prompt += 1
                store.insert_prompt({
                    "id": pack_id * 1000 + next_prompt % 1000, "user_id": None,
                    "tune_id": base_id, "text": text, "created_at": EPOCH,
                    "updated_at": EPOCH, "start_at": EPOCH, "finish_at": EPOCH,
                    "outcome": "done", "user_error": None, "num_images": 4,
                    "pack_id": pack_id, "base_pack_id": None, "order_id": None,
                    "orig_prompt_id": None,
                    "attrs": {"class": cls, "seed": next_prompt % 997,
                              "cost_mc": prompt_cost_mc(branch, 4, False)},
                })
    store.set_meta("gallery_version", GALLERY_VERSION)
    store.set_meta("gallery_seeded_at", str(now))
