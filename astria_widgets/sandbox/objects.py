"""Store rows -> the JSON objects of the API (tune, prompt, pack), evaluated at ``now``.

Every documented key is always present (null when unknown; Ambiguity #7: chose the full key
set of section 3.1/3.2 with nulls). The lifecycle fields are derived from planned times (see
``lifecycle.py``), so an object read later shows a later state. URLs point back to the sandbox
(``base`` is the address the client used, or the sandbox URL for callbacks). Every URL field
is absolute: files the sandbox stores are kept as ``/files/...`` paths and joined to ``base``
here, when the object is rendered (``absolute``), so a restart on another port still works.

Sandbox extensions: tune ``error`` (nullable string, set once training failed); tune echoes
``auto_extend``, ``preset``, ``characteristics`` and ``captions`` (``{image stem: text}`` of
the ``name.txt`` caption parts received, or null); prompt ``user_error`` is always present.
"""

from __future__ import annotations

from typing import Any

from .lifecycle import EXPIRY_SECONDS, iso
from .video_params import media_fields

PROMPT_ECHO_FIELDS = (
    "negative_prompt", "callback", "cfg_scale", "steps", "seed", "aspect_ratio", "resolution",
    "super_resolution", "inpaint_faces", "hires_fix", "face_correct", "face_swap", "use_lpw",
    "controlnet", "controlnet_txt2img", "controlnet_conditioning_scale", "denoising_strength",
    "ar", "style", "w", "h", "scheduler", "backend_version", "prompt_expansion", "theme",
    "color_grading", "film_grain", "community", "workspace_id", "lora_scale",
    "input_image_url", "mask_image_url", "video_model", "video_prompt", "video_duration",
    "video_audio", "video_first_frame_url", "video_last_frame_url", "input_video_url",
    "audio_reference_url", "source_image_url", "video_upscale_model",
    "video_upscale_target_resolution", "video_fps_model",
)


def _expires(finish: float, auto_extend: bool, now: float) -> float:
    expires = finish + EXPIRY_SECONDS
    if auto_extend:
        while expires < now:
            expires += EXPIRY_SECONDS
    return expires


def absolute(base: str, url: str | None) -> str | None:
    """``url`` as an absolute URL: a stored ``/files/...`` path is joined to ``base``."""
    return base + url if url and url.startswith("/") else url


def orig_image_url(base: str, entry: dict[str, Any]) -> str:
    """URL of one stored training image entry."""
    if "upload" in entry:
        return f"{base}/files/uploads/{entry['upload']}"
    return str(entry.get("url"))


def downloadable(row: dict[str, Any]) -> bool:
    """Whether a trained tune offers its weights: not faceid (no weights), not a gallery tune,
    not a Flux LoRA (section 2.1: not downloadable through the API, for licence reasons)."""
    flux_lora = row["branch"] == "flux1" and row["model_type"] == "lora"
    return row["model_type"] != "faceid" and not row["attrs"].get("gallery") and not flux_lora


def tune_json(row: dict[str, Any], now: float, base: str) -> dict[str, Any]:
    """The tune object at time ``now``."""
    attrs = row["attrs"]
    tune_id = row["id"]
    started = row["start_at"] is not None and now >= row["start_at"]
    finished = row["finish_at"] is not None and now >= row["finish_at"]
    trained = finished and row["outcome"] == "trained"
    failed = finished and row["outcome"] == "failed"
    ckpt = None
    if trained and downloadable(row):
        ckpt = f"{base}/files/tunes/{tune_id}/model.safetensors"
    updated = max(
        row["updated_at"],
        row["start_at"] if started else 0,
        row["finish_at"] if finished else 0,
    )
    expires = None
    if trained and not attrs.get("gallery"):
        expires = _expires(row["finish_at"], bool(attrs.get("auto_extend")), now)
    return {
        "id": tune_id,
        "title": row["title"],
        "name": row["name"],
        "token": attrs.get("token"),
        "base_tune_id": attrs.get("base_tune_id"),
        "args": attrs.get("args"),
        "steps": attrs.get("steps"),
        "face_crop": attrs.get("face_crop"),
        "training_face_correct": attrs.get("training_face_correct"),
        "ckpt_url": ckpt,
        "ckpt_urls": [ckpt] if ckpt else [],
        "eta": iso(row["eta"]),
        "started_training_at": iso(row["start_at"]) if started else None,
        "trained_at": iso(row["finish_at"]) if trained else None,
        "expires_at": iso(expires),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(updated),
        "branch": row["branch"],
        "model_type": row["model_type"],
        "url": f"{base}/tunes/{tune_id}.json",
        "orig_images": [orig_image_url(base, e) for e in attrs.get("orig_images", [])]
        + [f"{base}/files/tunes/{tune_id}/train/{i}.jpg"
           for i in range(attrs.get("synthetic_images", 0))],
        "is_api": attrs.get("is_api", True),
        "callback": attrs.get("callback"),
        "auto_extend": attrs.get("auto_extend", False),
        "preset": attrs.get("preset"),
        "characteristics": attrs.get("characteristics"),
        "captions": attrs.get("captions"),
        "error": row["error"] if failed else None,
        "workspace_id": attrs.get("workspace_id"),
    }


def prompt_json(
    row: dict[str, Any], now: float, base: str, *, liked: bool = False, likes: int = 0,
    tunes: dict[int, dict[str, Any]] | None = None, expand: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The prompt object at time ``now`` (``expand``: ``expand[]`` values, ``prompt.`` removed)."""
    attrs = row["attrs"]
    prompt_id = row["id"]
    started = row["start_at"] is not None and now >= row["start_at"]
    finished = now >= row["finish_at"]
    done = finished and row["outcome"] == "done"
    failed = finished and row["outcome"] == "failed"
    count = row["num_images"]
    ext = "mp4" if attrs.get("video_model") else "png"  # videos: video_params / api_video
    images = [f"{base}/files/prompts/{prompt_id}/{i}.{ext}" for i in range(count)] if done else []
    updated = max(row["updated_at"], row["start_at"] if started else 0,
                  row["finish_at"] if finished else 0)
    tunes = tunes or {}
    own = tunes.get(row["tune_id"])
    refs = [tunes[t] for t in attrs.get("tune_refs", []) if t in tunes]
    obj: dict[str, Any] = {
        "id": prompt_id,
        "tune_id": row["tune_id"],
        "text": row["text"],
        "started_training_at": iso(row["start_at"]) if started else None,
        "trained_at": iso(row["finish_at"]) if done else None,
        "created_at": iso(row["created_at"]),
        "updated_at": iso(updated),
        "url": f"{base}/tunes/{row['tune_id']}/prompts/{prompt_id}.json",
        "images": images,
        "user_error": row["user_error"] if failed else None,
        "num_images": count,
        "cost_mc": attrs.get("cost_mc", 0),
        "pack_id": row["pack_id"],
        "base_pack_id": row["base_pack_id"],
        "order_id": row["order_id"],
        "orig_prompt_id": row["orig_prompt_id"],
        "input_image": absolute(base, attrs.get("input_image_url_stored")
                                or attrs.get("input_image_url")),
        "mask_image": absolute(base, attrs.get("mask_image_url_stored")
                               or attrs.get("mask_image_url")),
        "image_references": [absolute(base, u) for u in attrs.get("image_references", [])],
        "liked": liked,
        "prompt_likes_count": likes,
        "tune": {"id": own["id"], "title": own["title"]} if own else None,
        "tunes": [{"id": t["id"], "title": t["title"]} for t in refs],
        "is_video": bool(attrs.get("video_model")),
        "is_api": attrs.get("is_api", row["user_id"] is not None),
    }
    for field in PROMPT_ECHO_FIELDS:
        obj.setdefault(field, attrs.get(field))
    obj.update(media_fields(attrs, base))
    if "debug_images" in expand:
        obj["debug_images"], obj["debug_filenames"], obj["debug_content_types"] = [], [], []
    if "comments" in expand:
        obj["comments"] = []
    return obj


def _pack_costs(attrs: dict[str, Any], templates: list[dict[str, Any]]) -> dict[str, Any]:
    costs: dict[str, Any] = {}
    for cls in attrs.get("classes", []):
        mine = [t for t in templates if t["attrs"].get("class") == cls]
        cost_mc = int(attrs.get("training_cost_mc", 0)) + sum(
            int(t["attrs"].get("cost_mc", 0)) for t in mine
        )
        costs[cls] = {
            "cost": cost_mc // 1000,  # cents (Ambiguity #13: both units emitted)
            "cost_mc": cost_mc,
            "num_images": sum(t["num_images"] for t in mine),
        }
    return costs


def pack_list_json(row: dict[str, Any], templates: list[dict[str, Any]]) -> dict[str, Any]:
    """A pack as listed by ``GET /packs`` and ``GET /gallery/packs``."""
    attrs = row["attrs"]
    costs = _pack_costs(attrs, templates)
    return {
        "id": row["id"],
        "base_tune_id": attrs.get("base_tune_id"),
        "user_id": row["user_id"],
        "slug": row["slug"],
        "title": row["title"],
        "subtitle": attrs.get("subtitle"),
        "token": attrs.get("token", "ohwx"),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "multiplier": attrs.get("multiplier", 1),
        "multiplier_api": attrs.get("multiplier", 1),
        "model_type": attrs.get("model_type"),
        "public_at": iso(attrs.get("public_at")),
        "unlisted_at": iso(attrs.get("unlisted_at")),
        "main_class_name": (attrs.get("classes") or [None])[0],
        "cost_mc_hash": {cls: c["cost_mc"] for cls, c in costs.items()},
        "costs": costs,
    }


def pack_detail_json(
    row: dict[str, Any], templates: list[dict[str, Any]], now: float, base: str
) -> dict[str, Any]:
    """A pack as returned by ``GET /p/:id``."""
    obj = pack_list_json(row, templates)
    per_class: dict[str, list[dict[str, Any]]] = {cls: [] for cls in row["attrs"]["classes"]}
    template_list = []
    cover = None
    for t in templates:
        view = prompt_json(t, now, base)
        cls = t["attrs"].get("class")
        per_class.setdefault(cls, []).append(
            {"id": t["id"], "text": t["text"], "images": view["images"]}
        )
        template_list.append({
            "id": t["id"], "text": t["text"], "name": cls, "num_images": t["num_images"],
            "cost_mc": view["cost_mc"], "images": view["images"],
        })
        if view["images"]:
            cover = view["images"][0]
    obj.update({
        "cover_url": cover,
        "logo": None,
        "prompts_per_class": per_class,
        "template_prompts": template_list,
    })
    return obj
