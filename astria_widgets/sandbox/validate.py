"""What a valid tune or prompt create looks like: enums, ranges and required fields.

Every problem is collected (not just the first) and answered with 422
``{"error": "Validation failed: title can't be blank; ...", "errors": {"title": [...]}}``.
Field keys are the request names; nested prompts use the bracket form,
e.g. ``prompts_attributes[1][num_images]``. Unknown parameters are ignored (like Rails'
strong parameters).

Ambiguity #5: chose to require at least one image from ``images[]`` or ``image_urls[]``
(no minimum of four). Ambiguity #10: ``prompts_attributes`` (array) only on tune create,
``prompt_attributes`` (one hash) only on pack create; not aliased. Ambiguity #16: token
defaults to ``sks`` for ``sd15``, else ``ohwx``. Ambiguity #23: ``backend_version`` accepts
0, 1 or null. Ambiguity #24: all of ``aspect_ratio``, ``ar``, ``w``/``h`` accepted; w/h win,
then aspect_ratio, then ar (for the rendered size). Ambiguity #28: ``seed`` 0..4294967295,
plus -1 meaning random (stored as null). Ambiguity #31: ``num_images`` defaults to 1.
Ambiguity #33, #21, #22 (video): see ``video_params``, which validates every video field
by the catalogue; the legacy ``--video`` switches inside ``text`` are promoted to those fields
first (``legacy_video``).
Sandbox choice: ``input_image_base64`` is decoded and stored like an ``input_image`` upload
(echoed as the ``input_image`` URL); when both are sent the file wins. Sandbox rule from the
docs: ``inpaint_faces`` and ``hires_fix`` need ``super_resolution``;
``controlnet`` needs an input image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .legacy_video import promote_video_switches
from .params import Validator, as_list, check_base64_image, check_image
from .video_params import clean_video

BRANCHES = ("flux1", "sd15", "sdxl1", "fast")
MODEL_TYPES = ("lora", "pti", "faceid")
PRESETS = ("flux-lora-focus", "flux-lora-portrait", "flux-lora-fast")
ASPECT_RATIOS = ("1:1", "16:9", "9:16", "21:9", "9:21", "3:2", "2:3", "5:4", "4:5", "4:3",
                 "3:4", "adaptive")
AR = ("1:1", "portrait", "16:9", "landscape")
RESOLUTIONS = ("1K", "2K", "4K")
SCHEDULERS = ("euler", "euler_a", "dpm++2m_karras", "dpm++sde_karras", "dpm++2m", "dpm++sde",
              "lcm", "tcd")
STYLES = ("Cinematic", "Animated", "Digital Art", "Photographic", "Fantasy art", "Neonpunk",
          "Enhance", "Comic book", "Lowpoly", "Line art")
COLOR_GRADINGS = ("Film Velvia", "Film Portra", "Ektar")
CONTROLNETS = ("composition", "reference", "segroom", "ipadapter", "lineart", "canny", "depth",
               "mlsd", "hed", "pose", "tile", "qr", "relight")
PROMPT_BOOLEANS = ("super_resolution", "inpaint_faces", "hires_fix", "face_correct",
                   "face_swap", "use_lpw", "controlnet_txt2img", "prompt_expansion",
                   "film_grain", "community")
Upload = tuple[bytes, str, str]  # (data, Pillow format, file name)


@dataclass
class PromptInput:
    """A cleaned prompt create: JSON-able params plus uploaded files by field."""

    params: dict[str, Any]
    files: dict[str, list[Upload]] = field(default_factory=dict)


@dataclass
class TuneInput:
    """A cleaned tune create."""

    params: dict[str, Any]
    images: list[Upload]
    image_urls: list[str]
    prompts: list[PromptInput]


def _file_field(v: Validator, name: str, files: dict[str, list[Upload]]) -> None:
    for i, item in enumerate(as_list(v.params.get(name))):
        if item is None or item == "":
            continue
        checked = check_image(item, f"{name}[{i}]")
        if isinstance(checked, str):
            v.error(name, checked)
        else:
            files.setdefault(name, []).append(checked)


def clean_prompt(v: Validator, *, nested: bool = False) -> PromptInput:
    """Validate one prompt hash (``nested``: inside ``tune[prompts_attributes]``)."""
    v.params = promote_video_switches(v.params)  # legacy `--video ...` inside the text
    p: dict[str, Any] = {}
    p["video_model"] = v.string("video_model", max_length=100)
    p["text"] = v.string("text", required=p["video_model"] is None, max_length=10_000)  # #33
    p["negative_prompt"] = v.string("negative_prompt", max_length=10_000)
    p["callback"] = v.url("callback")
    p["workspace_id"] = v.integer("workspace_id", low=1)
    for name in PROMPT_BOOLEANS:
        p[name] = v.boolean(name)
    p["num_images"] = v.integer("num_images", low=1, high=8, default=1)
    seed = v.integer("seed", low=-1, high=2**32 - 1)
    p["seed"] = None if seed == -1 else seed
    p["cfg_scale"] = v.number("cfg_scale", low=0, high=15)
    p["steps"] = v.integer("steps", low=0, high=50)
    p["aspect_ratio"] = v.enum("aspect_ratio", ASPECT_RATIOS)
    p["ar"] = v.enum("ar", AR)
    p["resolution"] = v.enum("resolution", RESOLUTIONS)
    p["w"] = v.integer("w", low=64, high=4096, multiple_of=8)
    p["h"] = v.integer("h", low=64, high=4096, multiple_of=8)
    p["scheduler"] = v.enum("scheduler", SCHEDULERS)
    backend = v.integer("backend_version", low=0, high=1)
    p["backend_version"] = backend
    p["style"] = v.enum("style", STYLES)
    p["theme"] = v.string("theme", max_length=1000)
    p["color_grading"] = v.enum("color_grading", COLOR_GRADINGS)
    p["controlnet"] = v.enum("controlnet", CONTROLNETS)
    p["denoising_strength"] = v.number("denoising_strength", low=0, high=1)
    p["controlnet_conditioning_scale"] = v.number("controlnet_conditioning_scale", low=0, high=1)
    p["input_image_url"] = v.url("input_image_url")
    p["mask_image_url"] = v.url("mask_image_url")
    p["input_image_base64"] = v.string("input_image_base64", max_length=20_000_000)
    p["image_reference_urls"] = v.url_list("image_reference_urls")
    p["pack_id"] = v.integer("pack_id", low=1)
    p["base_pack_id"] = v.integer("base_pack_id", low=1)
    if nested:
        p["lora_scale"] = v.number("lora_scale", low=-5, high=5)
    files: dict[str, list[Upload]] = {}
    for name in ("input_image", "mask_image", "image_references"):
        _file_field(v, name, files)
    clean_video(v, p, files)
    if (p["inpaint_faces"] or p["hires_fix"]) and not p["super_resolution"]:
        which = "inpaint_faces" if p["inpaint_faces"] else "hires_fix"
        v.error(which, "requires super_resolution=true")
    has_input = bool(files.get("input_image") or p["input_image_url"] or p["input_image_base64"])
    if p["controlnet"] and not has_input:
        v.error("controlnet", "requires an input image (input_image or input_image_url)")
    if p["input_image_base64"] is not None:  # stored like an upload, not echoed (megabytes)
        checked = check_base64_image(p.pop("input_image_base64"), "input_image_base64")
        if isinstance(checked, str):
            v.error("input_image_base64", checked)
        elif "input_image" not in files:
            files["input_image"] = [checked]
    return PromptInput({k: val for k, val in p.items() if val is not None}, files)


def read_caption(upload: Any) -> tuple[str, str | None] | None:
    """A ``name.txt`` caption part -> ``(stem, text)`` (text ``None`` when unusable); else None.

    Sandbox reading (the docs do not describe captions in the API): a caption is a
    ``text/plain`` ``tune[images][]`` part named like its image; Flux (``flux1``) only.
    """
    name = getattr(upload, "filename", None) or ""
    if not isinstance(name, str) or not name.lower().endswith(".txt"):
        return None
    try:
        text = upload.read().decode("utf-8").strip()
    except (UnicodeDecodeError, AttributeError):
        text = ""
    return name[: -len(".txt")], text or None


def clean_tune(v: Validator, *, for_pack: bool = False) -> TuneInput:
    """Validate a ``tune`` hash (``for_pack``: the ``POST /p/:id/tunes`` variant)."""
    p: dict[str, Any] = {}
    p["title"] = v.string("title", required=True, max_length=255)
    p["name"] = v.string("name", required=True, max_length=64)
    p["callback"] = v.url("callback")
    p["branch"] = v.enum("branch", BRANCHES)
    p["steps"] = v.integer("steps", low=1, high=50_000)
    p["token"] = v.string("token", max_length=32, no_whitespace=True)
    if v.present("token") and p["token"] is None:
        v.error("token", "can't be blank")
    p["face_crop"] = v.boolean("face_crop")
    p["training_face_correct"] = v.boolean("training_face_correct")
    p["auto_extend"] = v.boolean("auto_extend", default=False)
    p["base_tune_id"] = v.integer("base_tune_id", low=1)
    p["model_type"] = v.enum("model_type", MODEL_TYPES)
    p["preset"] = v.enum("preset", PRESETS)
    p["characteristics"] = v.string_map("characteristics")
    images: list[Upload] = []
    captions: dict[str, str] = {}
    for i, item in enumerate(as_list(v.params.get("images"))):
        if item is None or item == "":
            continue
        caption = read_caption(item)
        if caption is not None:
            stem, text = caption
            if text is None:
                v.error("images", f"{stem}.txt: a caption must be non-empty UTF-8 text")
            else:
                captions[stem] = text
            continue
        checked = check_image(item, f"images[{i}]")
        if isinstance(checked, str):
            v.error("images", checked)
        else:
            images.append(checked)
    stems = {name.rsplit(".", 1)[0] for _, _, name in images}
    for stem in captions:
        if stem not in stems:
            v.error("images", f"{stem}.txt: a caption needs an image named {stem} (.jpg, .png...)")
    p["captions"] = captions or None
    image_urls = v.url_list("image_urls")
    if not images and not image_urls and "images" not in v.errors:
        v.error("images", "can't be blank (send tune[images][] files or tune[image_urls][])")
    prompts: list[PromptInput] = []
    if not for_pack:
        for i, item in enumerate(as_list(v.params.get("prompts_attributes"))):
            child = Validator(item, prefix=f"prompts_attributes[{i}]")
            if not isinstance(item, dict):
                child.errors[child.prefix] = ["must be a hash of prompt attributes"]
            else:
                prompts.append(clean_prompt(child, nested=True))
            v.merge(child)
    else:
        p["brief"] = v.string("brief", max_length=10_000)
    return TuneInput({k: val for k, val in p.items() if val is not None}, images, image_urls,
                     prompts)
