"""The prompts a tune is created with, as the form's rows hold them (no widgets).

One row is one prompt: its text and the common options (:data:`PROMPT_OPTIONS`). The rules are
the client's prompt catalogue's (:mod:`~astria_widgets.client.prompt_params`: the number of
images, the seed's range, the aspect ratios, numbers typed as text) and its one integer rule
(:func:`~astria_widgets.client.checks.whole_number`); this module only says
what a row shows for a prompt given to the form (:func:`read_prompt`), what is wrong with it
(:func:`prompt_problems`) and what it sends (:func:`prompt_value`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from astria_widgets.client.checks import whole_number
from astria_widgets.client.errors import InputError
from astria_widgets.client.prompt_params import PARAMS, SEED_MAX, parse_text, value_problem

#: A prompt row's options (the ``prompts`` a tune is created with).
PROMPT_OPTIONS = ("text", "num_images", "negative_prompt", "seed", "aspect_ratio",
                  "super_resolution", "face_correct")
NUM_IMAGES = PARAMS["num_images"]
SEED = PARAMS["seed"]
ASPECT_RATIOS: tuple[str, ...] = tuple(PARAMS["aspect_ratio"].choices)


def prompt_list(prompts: Any) -> list[Any]:
    """``prompts`` given to the form as a list of rows: one text or dict is one row, ``None``
    none; anything else is an :class:`InputError` naming ``prompts`` (never iterated as
    characters, never a bare ``TypeError``)."""
    if prompts is None:
        return []
    if isinstance(prompts, (str, Mapping)):
        return [prompts]
    if not isinstance(prompts, (list, tuple)):
        raise InputError(f"prompts: give a list of prompt texts or dicts, not "
                         f"{type(prompts).__name__}", context="TuneForm")
    bad = [f"prompts[{i}]: give a text or a dict, not {type(p).__name__}"
           for i, p in enumerate(prompts) if not isinstance(p, (str, Mapping))]
    if bad:
        raise InputError(bad, context="TuneForm")
    return list(prompts)


# -- prompt rows -------------------------------------------------------------------------------
def read_prompt(value: str | Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A prompt given as text or a dict -> ``(raw row values, refusals)``.

    The raw values are what a row shows (``num_images`` an int, ``seed`` text, ``aspect_ratio``
    ``""`` for the default); a value a row cannot show (``num_images="many"``, an unknown
    aspect ratio) is left at its default and its refusal is kept by option name. Unknown
    options raise ``TypeError``.
    """
    data: Mapping[str, Any] = {"text": value} if isinstance(value, str) else value
    unknown = set(data) - set(PROMPT_OPTIONS)
    if unknown:
        raise TypeError(f"unknown prompt option(s): {', '.join(sorted(unknown))}")
    count = data.get("num_images")
    number = 1 if count is None or count == "" else whole_number(count)
    ratio = str(data.get("aspect_ratio") or "")
    seed = data.get("seed")
    raw = {
        "text": str(data.get("text") or ""),
        "num_images": 1 if number is None else number,
        "negative_prompt": str(data.get("negative_prompt") or ""),
        "seed": "" if seed is None else str(seed),
        "aspect_ratio": ratio if ratio in ASPECT_RATIOS else "",
        "super_resolution": bool(data.get("super_resolution")),
        "face_correct": bool(data.get("face_correct")),
    }
    rejected: dict[str, str] = {}
    if number is None:
        rejected["num_images"] = (f"number of images must be a whole number from "
                                  f"{NUM_IMAGES.low:g} to {NUM_IMAGES.high:g}, not {count!r}")
    if ratio and ratio not in ASPECT_RATIOS:
        rejected["aspect_ratio"] = (f"aspect ratio {ratio!r} is not one of "
                                    f"{', '.join(ASPECT_RATIOS)}")
    return raw, rejected


def _seed(text: str) -> int | None:
    try:
        return int(parse_text(SEED, text))
    except ValueError:
        return None


def prompt_problems(raw: Mapping[str, Any], rejected: Mapping[str, str]) -> list[str]:
    """What is wrong with a prompt row (messages without the row label)."""
    found = []
    if not str(raw["text"]).strip():
        found.append("text is required")
    found.extend(rejected.values())
    count = raw["num_images"]
    if "num_images" not in rejected and value_problem(NUM_IMAGES, count) is not None:
        found.append(f"number of images must be between {NUM_IMAGES.low:g} and "
                     f"{NUM_IMAGES.high:g}, not {count}")
    seed = str(raw["seed"]).strip()
    if seed:
        number = _seed(seed)
        if number is None:
            found.append(f"seed must be a whole number, not {seed!r}")
        elif value_problem(SEED, number) is not None:
            found.append(f"seed must be between 0 and {SEED_MAX} (or -1 for random)")
    return found


def prompt_value(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The prompt attributes a row sends (options left at their defaults are omitted)."""
    data: dict[str, Any] = {"text": str(raw["text"]).strip(), "num_images": raw["num_images"]}
    if str(raw["negative_prompt"]).strip():
        data["negative_prompt"] = str(raw["negative_prompt"]).strip()
    seed = _seed(str(raw["seed"])) if str(raw["seed"]).strip() else None
    if seed is not None:
        data["seed"] = seed
    if raw["aspect_ratio"]:
        data["aspect_ratio"] = raw["aspect_ratio"]
    if raw["super_resolution"]:
        data["super_resolution"] = True
    if raw["face_correct"]:
        data["face_correct"] = True
    return data


