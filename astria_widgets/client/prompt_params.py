"""The one catalogue of the documented prompt parameters: type, choices, range, group, rules.

Everything the package knows about an image parameter of ``POST /tunes/:id/prompts``
(API notes section 2.7) lives here: ``AstriaClient.generate`` checks its keyword arguments with
:func:`param_problems` before sending, and the ``PromptStudio`` builds its fields from
:data:`PARAMS` (grouped by :data:`GROUPS`) and shows the same messages next to them.

Choices made where the docs are loose (see the API notes' ambiguity table):
- ``seed``: 0 ... 4294967295 (#28 reads "0 to 2^32" as uint32); -1 means "random" and is allowed.
- ``backend_version``: 0 or 1 (#23; the examples use 0).
- ``w``/``h``: multiples of 8 (docs); the bounds 64 ... 4096 are this package's sensible range.
- ``denoising_strength``, ``controlnet``, ``controlnet_conditioning_scale``,
  ``controlnet_txt2img`` and a mask act on an input image, so they need one (the docs say so for
  ``controlnet``; for the others the parameter means nothing without it).
- ``inpaint_faces`` and ``hires_fix`` need ``super_resolution=True`` (docs).
- Numbers (:func:`plain_value`): numpy scalars (a DataFrame's ``np.int64``) are taken where
  Python numbers are, and sent as Python's; an integral float for an integer parameter is
  sent as the int (``seed=1.0`` sends ``1``), a non-integral one is refused naming it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from astria_widgets.client.checks import HTTP_URL_RULE, is_http_url, whole_number

GROUPS: tuple[tuple[str, str], ...] = (
    ("everyday", "Everyday"),
    ("quality", "Quality"),
    ("image-to-image", "Image to image"),
    ("other", "Other"),
)
"""(key, label) of the parameter groups, in display order."""

SEED_MAX = 2**32 - 1
INPUT_IMAGE_PARAMS = ("input_image", "input_image_url", "input_image_base64")
"""The three documented ways of giving an input image (at most one may be used)."""


@dataclass(frozen=True)
class Param:
    """One documented prompt parameter.

    ``kind``: ``bool``, ``int``, ``float``, ``enum``, ``text``, ``url``, ``file`` (an image
    given like a training image: path, bytes, open file, (name, bytes)) or ``files``.
    """

    name: str
    kind: str
    group: str
    label: str
    help: str = ""
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    multiple_of: int | None = None
    default: Any = None


def _p(name: str, kind: str, group: str, label: str, help: str = "", **more: Any) -> Param:
    return Param(name, kind, group, label, help, **more)


PARAMS: dict[str, Param] = {p.name: p for p in (
    # -- everyday
    _p("num_images", "int", "everyday", "Images", "images per prompt, 1-8", low=1, high=8,
       default=1),
    _p("seed", "int", "everyday", "Seed", "same seed + same prompt = same image; -1 random",
       low=-1, high=SEED_MAX),
    _p("aspect_ratio", "enum", "everyday", "Aspect ratio", choices=(
        "1:1", "16:9", "9:16", "21:9", "9:21", "3:2", "2:3", "5:4", "4:5", "4:3", "3:4")),
    _p("w", "int", "everyday", "Width", "pixels, a multiple of 8 (wins over aspect ratio)",
       low=64, high=4096, multiple_of=8),
    _p("h", "int", "everyday", "Height", "pixels, a multiple of 8", low=64, high=4096,
       multiple_of=8),
    _p("resolution", "enum", "everyday", "Resolution", "model-dependent",
       choices=("1K", "2K", "4K")),
    _p("negative_prompt", "text", "everyday", "Negative prompt",
       "comma-separated; Flux ignores it"),
    # -- quality
    _p("super_resolution", "bool", "quality", "Super resolution", "4x upscale"),
    _p("inpaint_faces", "bool", "quality", "Inpaint faces", "needs super resolution"),
    _p("hires_fix", "bool", "quality", "Hires fix", "needs super resolution"),
    _p("face_correct", "bool", "quality", "Face correct", "face-restoration pass"),
    _p("face_swap", "bool", "quality", "Face swap", "training images boost likeness"),
    _p("cfg_scale", "float", "quality", "CFG scale", "0-15: how closely to follow the text",
       low=0, high=15),
    _p("steps", "int", "quality", "Steps", "0-50 denoising steps", low=0, high=50),
    _p("scheduler", "enum", "quality", "Scheduler", choices=(
        "euler", "euler_a", "dpm++2m_karras", "dpm++sde_karras", "dpm++2m", "dpm++sde", "lcm",
        "tcd")),
    _p("style", "enum", "quality", "Style", choices=(
        "Cinematic", "Animated", "Digital Art", "Photographic", "Fantasy art", "Neonpunk",
        "Enhance", "Comic book", "Lowpoly", "Line art")),
    _p("color_grading", "enum", "quality", "Colour grading",
       choices=("Film Velvia", "Film Portra", "Ektar")),
    _p("film_grain", "bool", "quality", "Film grain"),
    _p("backend_version", "enum", "quality", "Backend", "0 or 1 (account default when unset)",
       choices=(0, 1)),
    _p("use_lpw", "bool", "quality", "Weighted prompt", "(word:1.2) syntax"),
    _p("prompt_expansion", "bool", "quality", "Prompt expansion"),
    # -- image to image
    _p("input_image", "file", "image-to-image", "Input image",
       "path, bytes or open file (like training images)"),
    _p("input_image_url", "url", "image-to-image", "Input image URL"),
    _p("input_image_base64", "text", "image-to-image", "Input image (data URL)"),
    _p("mask_image", "file", "image-to-image", "Mask", "white = repaint"),
    _p("mask_image_url", "url", "image-to-image", "Mask URL"),
    _p("controlnet", "enum", "image-to-image", "ControlNet", "needs an input image", choices=(
        "composition", "reference", "segroom", "ipadapter", "lineart", "canny", "depth", "mlsd",
        "hed", "pose", "tile", "qr", "relight")),
    _p("denoising_strength", "float", "image-to-image", "Denoising",
       "0-1: 1 follows the text, 0 keeps the image", low=0, high=1),
    _p("controlnet_conditioning_scale", "float", "image-to-image", "ControlNet scale", low=0,
       high=1),
    _p("controlnet_txt2img", "bool", "image-to-image", "ControlNet txt2img",
       "on: text-to-image guided by the input; off: image-to-image"),
    # -- other documented attributes (not shown as studio fields)
    _p("callback", "url", "other", "Callback URL"),
    _p("workspace_id", "int", "other", "Workspace", low=1),
    _p("community", "bool", "other", "Share to community"),
    _p("theme", "text", "other", "Theme"),
    _p("ar", "enum", "other", "Legacy aspect ratio",
       choices=("1:1", "portrait", "16:9", "landscape")),
    _p("pack_id", "int", "other", "Pack", low=1),
    _p("base_pack_id", "int", "other", "Base pack", low=1),
    _p("image_references", "files", "other", "Reference images"),
    _p("image_reference_urls", "urls", "other", "Reference image URLs"),
    _p("video_model", "text", "other", "Video model"),
    _p("video_prompt", "text", "other", "Video prompt"),
    _p("video_duration", "int", "other", "Video seconds", low=1, high=60),
    _p("video_audio", "bool", "other", "Video audio"),
    _p("video_first_frame", "file", "other", "First frame"),
    _p("video_first_frame_url", "url", "other", "First frame URL"),
    _p("video_last_frame", "file", "other", "Last frame"),
    _p("video_last_frame_url", "url", "other", "Last frame URL"),
    _p("source_image_url", "url", "other", "Source image URL"),
    _p("input_video", "file", "other", "Input video"),
    _p("input_video_url", "url", "other", "Input video URL"),
    _p("audio_reference", "file", "other", "Audio reference"),
    _p("audio_reference_url", "url", "other", "Audio reference URL"),
    _p("video_upscale_model", "enum", "other", "Video upscale", choices=("seedvr2",)),
    _p("video_upscale_target_resolution", "enum", "other", "Upscale to",
       choices=("720p", "1080p", "2k", "4k")),
    _p("video_fps_model", "enum", "other", "FPS model", choices=("video_fps_increaser",)),
)}
"""Every documented prompt parameter by name."""

NEEDS_SUPER_RESOLUTION = ("inpaint_faces", "hires_fix")
NEEDS_INPUT_IMAGE = ("controlnet", "denoising_strength", "controlnet_conditioning_scale",
                     "controlnet_txt2img", "mask_image", "mask_image_url")


def group_params(group: str) -> list[Param]:
    """The parameters of one group, in catalogue order."""
    return [p for p in PARAMS.values() if p.group == group]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_bool(value: Any) -> bool:
    """True for ``True``/``False`` and numpy's booleans (never numbers here)."""
    kind = type(value)
    return isinstance(value, bool) or (kind.__module__ == "numpy"
                                       and kind.__name__ in ("bool_", "bool"))


def _whole_numbers(param: Param) -> bool:
    """An ``int`` parameter, or an enum whose choices are whole numbers (``backend_version``)."""
    return param.kind == "int" or (param.kind == "enum" and bool(param.choices) and all(
        isinstance(c, int) and not isinstance(c, bool) for c in param.choices))


def plain_value(param: Param, value: Any) -> Any:
    """``value`` as it is sent for ``param``: the one number rule of prompt parameters.

    A numpy scalar (``np.int64(3)`` from a DataFrame column, ``np.float32``, ``np.bool_``)
    becomes the Python number (or bool) it is; for a whole-number parameter (``int``, an enum
    of whole numbers) an integral float is the int (``1.0`` -> ``1``, sent as ``"1"``, not
    ``"1.0"``). Anything else comes back as given for :func:`value_problem` to judge
    (``seed=1.5`` stays 1.5 and is refused naming ``seed``; nothing is rounded).
    """
    if param.kind == "bool":
        return bool(value) if _is_bool(value) else value
    whole = _whole_numbers(param)
    if not whole and param.kind != "float":
        return value
    if _is_bool(value):
        return value  # a switch is not a number: refused by value_problem
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if whole and math.isfinite(number) and number.is_integer():
            return int(number)
        return number
    return value


def plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every catalogue parameter's value as :func:`plain_value` sends it."""
    return {name: plain_value(PARAMS[name], value) if isinstance(name, str) and name in PARAMS
            else value for name, value in params.items()}


def _shown(bound: float | None) -> float | int | None:
    return int(bound) if bound is not None and float(bound).is_integer() else bound


def value_problem(param: Param, value: Any) -> str | None:
    """Why ``value`` is not valid for ``param`` (``None`` when it is). No name prefix.

    ``value`` is judged as :func:`plain_value` sends it (``np.int64(3)`` is the seed 3).
    """
    value = plain_value(param, value)
    if param.kind == "bool":
        return None if isinstance(value, bool) else f"must be True or False, not {value!r}"
    if param.kind in ("int", "float"):
        whole = param.kind == "int"
        if not _is_number(value) or (whole and isinstance(value, float)
                                     and not value.is_integer()):
            what = "a whole number" if whole else "a number"
            return f"must be {what}, not {value!r}"
        if value != value:  # NaN
            return "must be a number, not NaN"
        low, high = param.low, param.high
        lo, hi = _shown(low), _shown(high)
        if high is None and low is not None and value < low:
            return f"{value!r} is less than {lo}"
        if (low is not None and value < low) or (high is not None and value > high):
            return f"{value!r} is outside {lo}...{hi}"
        if param.multiple_of and int(value) % param.multiple_of:
            return f"{value!r} is not a multiple of {param.multiple_of}"
        return None
    if param.kind == "enum":
        if not _is_bool(value) and _hashable(value) and value in param.choices:
            return None
        return f"{value!r} is not one of {', '.join(str(c) for c in param.choices)}"
    if param.kind == "text":
        return None if isinstance(value, str) else f"must be text, not {type(value).__name__}"
    if param.kind == "url":
        return None if is_http_url(value) else f"{value!r} {HTTP_URL_RULE}"
    if param.kind == "urls":
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, (list, tuple)):
            return "must be a list of URLs"
        bad = [v for v in values if not is_http_url(v)]
        return f"{bad[0]!r} {HTTP_URL_RULE}" if bad else None
    return None  # files: read (and their problems named) when the request is built


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


TRUE_WORDS = ("yes", "true", "on", "1")
FALSE_WORDS = ("no", "false", "off", "0")
"""The words a user may type for a switch (any case, surrounding spaces ignored)."""


def read_bool(value: Any) -> bool:
    """A switch given by a user as a bool: the one boolean rule of user input.

    ``True``/``False`` (numpy's too), the whole numbers 1/0, or a word of :data:`TRUE_WORDS`
    / :data:`FALSE_WORDS` (``"no"`` is False, never "a non-empty string, so True"). Anything
    else raises ``ValueError`` saying what was given; the caller names the parameter.
    """
    if _is_bool(value):
        return bool(value)
    if type(value) is int and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError(f"{value!r} is not yes/no (true/false, on/off, 1/0)")


def parse_text(param: Param, text: str) -> Any:
    """A value typed as text (a studio field, a sweep list, a command line) -> its type.

    Whole numbers stay ``int`` even for float parameters (``"7"`` -> 7, shown as typed);
    switches are read by :func:`read_bool`; an enum of numbers takes numbers. Raises
    ``ValueError`` with a readable reason. Ranges and choices are :func:`value_problem`'s.
    """
    item = text.strip()
    numeric_enum = param.kind == "enum" and all(
        isinstance(c, int) and not isinstance(c, bool) for c in param.choices)
    whole = whole_number(item)  # the one integer rule of user input
    if param.kind == "int" or numeric_enum:
        if whole is None:
            raise ValueError(f"{item!r} is not a whole number")
        return whole
    if param.kind == "float":
        try:
            return whole if whole is not None else float(item)
        except ValueError:
            raise ValueError(f"{item!r} is not a number") from None
    if param.kind == "bool":
        return read_bool(item)
    return item


def param_problems(params: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every problem of a set of prompt parameters, by parameter name.

    ``None`` values count as "not given". Unknown names are problems too (a typo such as
    ``cfg`` would otherwise be silently ignored by the service).
    """
    problems: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    given = {k: v for k, v in params.items() if v is not None}
    for name, value in given.items():
        param = PARAMS.get(name) if isinstance(name, str) else None
        if param is None:
            close = [p for p in PARAMS if p.startswith(name[:3])] \
                if isinstance(name, str) and len(name) >= 3 else []
            hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
            add(name, f"is not a documented prompt parameter{hint}")
            continue
        message = value_problem(param, value)
        if message:
            add(name, message)
    for name in NEEDS_SUPER_RESOLUTION:
        if given.get(name) is True and given.get("super_resolution") is not True:
            add(name, "needs super_resolution=True")
    inputs = [n for n in INPUT_IMAGE_PARAMS if given.get(n) not in (None, "", b"")]
    if len(inputs) > 1:
        add(inputs[1], f"give one input image, not both {inputs[0]} and {inputs[1]}")
    if not inputs:
        for name in NEEDS_INPUT_IMAGE:
            if name in given and given[name] is not False:
                add(name, "needs an input image (input_image or input_image_url)")
    if given.get("mask_image") is not None and given.get("mask_image_url") is not None:
        add("mask_image_url", "give one mask, not both mask_image and mask_image_url")
    return problems


def problem_list(problems: Mapping[str, list[str]]) -> list[str]:
    """``{"seed": ["..."]}`` as ``["seed: ..."]`` (each message names its parameter)."""
    return [f"{name}: {message}" for name, messages in problems.items() for message in messages]
