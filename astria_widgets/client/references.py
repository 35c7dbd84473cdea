"""The one home of the reference syntax and of "where a prompt runs" (pure functions).

The API notes (section 2.7, features/lora.md, faceid.md): a checkpoint tune (``model_type``
null) runs prompts on itself, its trigger token and class name in the text (``"sks man ..."``).
LoRA, PTI (SDXL) and FaceID tunes are adapters: the prompt runs on a base tune (the tune's
``base_tune_id``, else the gallery base model of its branch, e.g. Flux1.dev 1504944) and the
text references the tune as ``<lora:ID:1>`` or ``<faceid:ID:1>``.

Choices where the docs leave room:
- LoRA/PTI subject tunes get ``<lora:ID:1> TOKEN CLASS`` (the Flux docs' ``ohwx man``); FaceID
  tunes get ``<faceid:ID:1> CLASS`` (the docs' ``<faceid:ID:1> woman``: FaceID has no token).
  A style tune (class ``style``) or one without a class (a gallery LoRA) gets the reference
  alone: its trigger words are the user's to write.
- Nothing the user already wrote is added twice: an existing reference to the tune, or its
  token as a word, is kept as typed.
- Several tunes (a multi-subject prompt) must be adapters on the same base, each given once;
  their references come first, then their subjects joined by " and ", then the user's text.
- A FaceID tune without a base runs on Realistic Vision v5.1 (690204), the docs' hard-coded
  example, unless its branch is flux1 (then Flux1.dev).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

REFERENCE = re.compile(r"<(lora|faceid):([^:<>\s]+)(?::([^<>\s]*))?>")
"""``<lora:ID_or_name:weight>`` / ``<faceid:ID:weight>`` in a prompt text."""

FLUX1_DEV = 1504944
"""Gallery tune Flux1.dev: the base of Flux LoRA tunes (the one home of the base tune ids)."""
SDXL_1 = 666678
"""Gallery tune SDXL 1.0."""
REALISTIC_VISION = 690204
"""Gallery tune Realistic Vision v5.1 (SD 1.5)."""
DEFAULT_BASE_TUNES: dict[str, int] = {
    "flux1": FLUX1_DEV, "sdxl1": SDXL_1, "sd15": REALISTIC_VISION, "fast": REALISTIC_VISION,
}
"""The gallery base model an adapter without ``base_tune_id`` runs on, by branch."""
BASE_TUNE_BRANCHES: dict[int, str] = {
    tid: branch for branch, tid in DEFAULT_BASE_TUNES.items() if branch != "fast"}
"""A gallery base tune id -> its branch (``sd15``, not ``fast``, for Realistic Vision)."""
FACEID_DEFAULT_BASE = REALISTIC_VISION
MAX_WEIGHT = 2.0
"""The largest adapter weight accepted (the docs show 0.2 ... 1; above 2 images degrade)."""

Tune = Mapping[str, Any]


def referenced_tune_ids(text: str) -> list[int]:
    """Numeric tune ids referenced in ``text`` (``<lora:123:1>``, ``<faceid:45:0.8>``)."""
    return [int(m.group(2)) for m in REFERENCE.finditer(text or "") if m.group(2).isdigit()]


def tune_kind(tune: Tune) -> str:
    """``"checkpoint"``, ``"lora"`` (LoRA and PTI: ``<lora:..>``) or ``"faceid"``."""
    model_type = tune.get("model_type")
    if model_type is None:
        return "checkpoint"
    return "faceid" if model_type == "faceid" else "lora"


def weight_problem(weight: Any) -> str | None:
    """Why ``weight`` is not a usable adapter weight (``None`` when it is)."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
            or not 0 < weight <= MAX_WEIGHT:
        return f"weight: {weight!r} must be a number above 0 and at most {MAX_WEIGHT:g}"
    return None


def reference(tune: Tune, weight: float = 1) -> str:
    """The reference tag of an adapter tune, e.g. ``<lora:123:1>``."""
    kind = tune_kind(tune)
    if kind == "checkpoint":
        raise ValueError(f"tune {tune.get('id')} is a checkpoint; it is not referenced")
    shown = int(weight) if float(weight).is_integer() else weight
    return f"<{kind}:{tune['id']}:{shown}>"


def run_on_tune_id(tune: Tune) -> int:
    """The tune a prompt for ``tune`` is created under (see the module docstring)."""
    kind = tune_kind(tune)
    if kind == "checkpoint":
        return int(tune["id"])
    if tune.get("base_tune_id"):
        return int(tune["base_tune_id"])
    branch = str(tune.get("branch") or "")
    if kind == "faceid" and branch != "flux1":
        return FACEID_DEFAULT_BASE
    return DEFAULT_BASE_TUNES.get(branch, DEFAULT_BASE_TUNES["sd15"])


def _has_word(text: str, word: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE))


def subject_words(tune: Tune, text: str = "") -> str:
    """The token/class words ``tune`` needs in ``text`` that are not there yet."""
    name = str(tune.get("name") or "").strip()
    token = str(tune.get("token") or "").strip()
    kind = tune_kind(tune)
    if not name or name.lower() == "style":
        return ""
    if kind == "faceid":
        return "" if _has_word(text, name) else name
    if not token or _has_word(text, token):
        return ""
    return f"{token} {name}"


def mentions(text: str, tune: Tune) -> bool:
    """True when ``text`` already references ``tune`` (any weight)."""
    kind = tune_kind(tune)
    return any(m.group(1) == kind and m.group(2) == str(tune.get("id"))
               for m in REFERENCE.finditer(text or ""))


@dataclass(frozen=True)
class PromptPlan:
    """Where a prompt runs and the text as it will be sent."""

    tune_id: int
    text: str
    kinds: tuple[str, ...]


def plan_prompt(tunes: Tune | Sequence[Tune], text: str, *, weight: float = 1) -> PromptPlan:
    """Plan a prompt for one tune record or several (multi-subject); pure, no HTTP.

    Raises ``ValueError`` (the client turns it into ``InputError``) when the tunes cannot share
    a prompt: the same tune twice, a checkpoint among several tunes, or adapters on different
    bases.
    """
    items = [tunes] if isinstance(tunes, Mapping) else list(tunes)
    if not items:
        raise ValueError("give at least one tune")
    ids = [str(t.get("id")) for t in items]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"tune {', '.join(twice)} is given twice; give each tune once (its "
                         "reference would be written twice)")
    text = (text or "").strip()
    kinds = tuple(tune_kind(t) for t in items)
    if len(items) == 1 and kinds[0] == "checkpoint":
        words = subject_words(items[0], text)
        return PromptPlan(int(items[0]["id"]), " ".join(x for x in (words, text) if x), kinds)
    if "checkpoint" in kinds:
        ids = [t.get("id") for t, k in zip(items, kinds, strict=True) if k == "checkpoint"]
        raise ValueError(f"tune {ids[0]} is a checkpoint and runs on itself; a multi-subject "
                         "prompt needs LoRA or FaceID tunes on the same base")
    bases = {run_on_tune_id(t) for t in items}
    if len(bases) > 1:
        raise ValueError(f"these tunes run on different base tunes ({sorted(bases)}); a "
                         "multi-subject prompt needs tunes on the same base")
    refs = [reference(t, weight) for t in items if not mentions(text, t)]
    subjects = [w for w in (subject_words(t, text) for t in items) if w]
    parts = [" ".join(refs), " and ".join(subjects), text]
    return PromptPlan(bases.pop(), " ".join(p for p in parts if p), kinds)
