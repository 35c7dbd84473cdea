"""What the Astria docs recommend for a new tune, and what overriding it means (pure rules).

The one home of the training recommendations (``../shared/astria-api.md`` §2.1 and the Flux
fine-tuning use-case notes); the form only shows what :func:`recommend` and
:func:`override_notes` say:

- Flux (``flux1``) is trained as a LoRA on top of Flux1.dev (gallery tune ``1504944``).
- A Flux LoRA of a subject (a person, a pet, a product) uses the ``flux-lora-portrait`` preset:
  27 steps per image. No preset means the "high" preset, 100 steps per image, which the docs
  keep for styles and for sets of 20 or more images.
- FaceID needs no training: the tune is usable at once; steps, preset and training face
  correction are not used.
- SDXL (``sdxl1``) is always trained as ``pti`` (the API ignores any other model type).
- Presets exist for Flux LoRA only.

Reading chosen where the docs are vague: "portrait" is recommended for every class except
``style`` (the docs name people; pets and products are trained the same way in their examples).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from astria_widgets.client.references import FLUX1_DEV

FLUX_BASE_TUNE_ID = FLUX1_DEV
"""Gallery tune Flux1.dev: the base of Flux LoRA tunes (:mod:`.references` holds the ids)."""
PORTRAIT_PRESET = "flux-lora-portrait"
PRESETS: tuple[str, ...] = ("flux-lora-portrait", "flux-lora-focus", "flux-lora-fast")
"""The documented presets (``None`` = the "high" preset)."""
HIGH_PRESET_MIN_IMAGES = 20
"""From this many images on, the docs advise the "high" preset (no preset)."""
STEPS_PER_IMAGE = {PORTRAIT_PRESET: 27, "flux-lora-fast": 27, None: 100}
"""Training steps per image of each preset (``None`` = "high"); the service's minimum is 300."""
MIN_FLUX_STEPS = 300
STYLE_CLASSES = frozenset({"style"})

#: The fields a recommendation may fill.
RECOMMENDED_FIELDS: tuple[str, ...] = ("model_type", "base_tune_id", "preset")


@dataclass(frozen=True)
class Recommendation:
    """The recommended values of some tune fields and why.

    ``values`` maps a field of :data:`RECOMMENDED_FIELDS` to its recommended value (``None``
    for "send nothing"); ``reasons`` are one-line explanations for the user.
    """

    values: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()


def flux_steps(preset: str | None, image_count: int) -> int:
    """Training steps the service uses for a Flux LoRA of ``image_count`` images."""
    per_image = STEPS_PER_IMAGE.get(preset, STEPS_PER_IMAGE[None])
    return max(MIN_FLUX_STEPS, per_image * max(image_count, 0))


def recommend(branch: str | None, model_type: str | None, name: str = "",
              image_count: int = 0) -> Recommendation:
    """The docs' recommendation for a tune of ``branch``/``model_type``/class ``name``.

    ``model_type`` is ``"lora"``, ``"pti"``, ``"faceid"`` or ``None`` (checkpoint);
    ``image_count`` counts the training images (files and URLs).
    """
    name = (name or "").strip().lower()
    if model_type == "faceid":
        return Recommendation(
            {"model_type": "faceid", "preset": None, "base_tune_id": None},
            ("FaceID needs no training: the tune is ready at once and as few as one photo "
             "works; steps, preset and training face correction are not used.",))
    if branch == "sdxl1":
        return Recommendation(
            {"model_type": "pti", "preset": None, "base_tune_id": None},
            ("SDXL is trained as PTI (the API ignores any other model type); presets are "
             "for Flux only.",))
    if branch == "flux1":
        values: dict[str, Any] = {"model_type": "lora", "base_tune_id": FLUX_BASE_TUNE_ID}
        reasons = [f"Flux is trained as a LoRA on Flux1.dev (base tune {FLUX_BASE_TUNE_ID})."]
        if name in STYLE_CLASSES:
            values["preset"] = None
            reasons.append("A style trains best at the 'high' preset (no preset: 100 steps "
                           "per image).")
        elif image_count >= HIGH_PRESET_MIN_IMAGES:
            values["preset"] = None
            reasons.append(f"With {image_count} images the docs advise the 'high' preset (no "
                           "preset: 100 steps per image).")
        else:
            values["preset"] = PORTRAIT_PRESET
            reasons.append(f"Preset {PORTRAIT_PRESET}: 27 steps per image instead of 100, "
                           "the docs' choice for a person or subject under 20 photos.")
        return Recommendation(values, tuple(reasons))
    if branch == "fast":
        return Recommendation({"preset": None, "base_tune_id": None},
                              ("fast is a free mock: nothing is trained or charged.",))
    return Recommendation({"preset": None, "base_tune_id": None},
                          ("Presets are for Flux only; no base tune trains on the branch's "
                           "default model.",))


def override_notes(values: Mapping[str, Any], rec: Recommendation,
                   image_count: int = 0) -> dict[str, str]:
    """``{field: what the user's differing value means}`` for fields that differ from ``rec``.

    ``values`` holds the typed values the form would send (``preset`` ``None`` = "high").
    """
    notes: dict[str, str] = {}
    branch = values.get("branch")
    model_type = values.get("model_type")
    for name, wanted in rec.values.items():
        have = values.get(name)
        if have == wanted:
            continue
        if name == "preset":
            notes[name] = _preset_note(have, wanted, branch, model_type, image_count)
        elif name == "base_tune_id":
            if have is None:
                notes[name] = "no base tune: the service trains on the branch's default model"
            elif wanted is None:
                notes[name] = f"trains on top of tune {have} (of the same branch, or it fails)"
            else:
                notes[name] = f"trains on top of tune {have} instead of the recommended {wanted}"
        elif name == "model_type":
            if branch == "sdxl1":
                notes[name] = "SDXL is always trained as PTI: the API ignores this choice"
            else:
                shown = "checkpoint" if have is None else have
                notes[name] = f"{shown} instead of the recommended {wanted}"
    if model_type == "faceid" and values.get("steps") is not None:
        notes["steps"] = "FaceID does not train: steps are ignored"
    return notes


def _preset_note(have: str | None, wanted: str | None, branch: Any, model_type: Any,
                 image_count: int) -> str:
    if have is not None and (branch != "flux1" or model_type != "lora"):
        return "presets apply to Flux LoRA only: the API ignores it here"
    if have is None:
        steps = flux_steps(None, image_count) if image_count else None
        more = f" (about {steps} steps for {image_count} images)" if steps else ""
        return ("no preset means the 'high' preset: 100 steps per image" + more
                + ", slower and dearer; the docs keep it for styles and 20+ images")
    if have == "flux-lora-fast":
        return "flux-lora-fast is a legacy preset; the docs recommend " + str(wanted or "none")
    if wanted is None:
        return (f"{have} on a set the docs train at 'high' (styles, 20+ images): fewer steps, "
                "possibly less likeness")
    return f"{have} instead of the recommended {wanted}"
