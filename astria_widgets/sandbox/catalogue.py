"""The model catalogue: the video models of Appendix A (prices, durations, capabilities) and
the image models the official CLI resolves by name. One home for every video-model rule:
validation (``validate.py``), prices (``create.py``) and ``GET /cli/models`` read it here, and
for the resolutions each image model takes (``resolution_problem``, used by ``create.py``).

Prices: Appendix A gives cents for a base duration and says the price scales linearly with
``video_duration``. Sandbox choice (the docs do not name the base): the base is the model's
default duration, which is 5 s when the model allows 5 s, else its longest allowed duration
(VEO 4k 8 s, motion-control and animate 10 s), matching the "typical default 5, VEO 8,
motion-control/animate 10" of the create doc. Ambiguity #22: chose to accept exactly the 46
documented names (the changelog names have no price or duration table); any other
``video_model`` is 422.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CLI_MIN_VERSION = "1.0.0"
CLI_LATEST_VERSION = "1.14.0"
CACHE_TTL_SECONDS = 86_400
DEFAULT_VIDEO_MODEL = "seedance2_fast_720p"


@dataclass(frozen=True)
class VideoModel:
    """One video model: base price, allowed durations and what it accepts."""

    name: str
    cents: int
    durations: tuple[int, ...]
    text_to_video: bool
    image_references: int  # how many references it takes (0: none)
    input_video: bool  # accepts a reference/driving video
    needs_input_video: bool  # motion control: input_video is required
    audio_reference: bool
    generates_audio: bool  # can generate a soundtrack (always, or with video_audio=true)
    keyframes: bool  # first + last frame

    @property
    def audio_always(self) -> bool:
        """An ``_audio`` variant (kling30_pro_audio, veo31_fast_audio_720p...): its videos
        always have sound, ``video_audio`` or not."""
        return "_audio" in self.name

    @property
    def default_duration(self) -> int:
        """5 s when allowed, else the longest allowed duration."""
        return 5 if 5 in self.durations else max(self.durations)

    def cost_mc(self, duration: int | None) -> int:
        """Millicents of one video of ``duration`` seconds (linear in the duration)."""
        seconds = duration or self.default_duration
        return round(self.cents * 1000 * seconds / self.default_duration)


def _span(low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1))


# Appendix A: name -> (cents, allowed durations)
_PRICES: dict[str, tuple[int, tuple[int, ...]]] = {
    "seedance_480p": (10, _span(2, 12)),
    "seedance_v15_720p": (14, _span(4, 12)),
    "seedance_v15_audio_720p": (29, _span(4, 12)),
    "seedance2_fast_480p": (55, _span(4, 15)),
    "seedance2_fast_720p": (110, _span(4, 15)),
    "seedance2_fast_1080p": (275, _span(4, 15)),
    "seedance2_fast_4k": (550, _span(4, 15)),
    "seedance2_480p": (66, _span(4, 15)),
    "seedance2_720p": (132, _span(4, 15)),
    "seedance2_1080p": (330, _span(4, 15)),
    "seedance2_4k": (660, _span(4, 15)),
    "wan22_720p": (43, (5,)),
    "wan22_fast_480p": (6, (5,)),
    "wan22_fast_580p": (8, (5,)),
    "wan22_fast_720p": (11, (5,)),
    "wan25_720p": (53, (5, 10)),
    "wan26_720p": (53, (5, 10, 15)),
    "wan26_1080p": (79, (5, 10, 15)),
    "wan27_720p": (55, (5, 10, 15)),
    "wan27_1080p": (83, (5, 10, 15)),
    "wan_animate_720p": (44, (10,)),
    "ltx23_720p": (17, (5, 10, 15, 20)),
    "ltx23_1080p": (22, (5, 10, 15, 20)),
    "kling25": (39, (5, 10)),
    "kling30_standard": (92, _span(3, 15)),
    "kling30_standard_audio": (139, _span(3, 15)),
    "kling30_pro": (123, _span(3, 15)),
    "kling30_pro_audio": (185, _span(3, 15)),
    "kling30_4k": (263, _span(3, 15)),
    "kling30_motion_control": (277, (10,)),
    "kling30_motion_control_pro": (370, (10,)),
    "cinematic_video": (84, (5, 10, 15)),
    "dreamactor_m2": (29, (10,)),
    "happyhorse_720p": (77, _span(3, 10)),
    "happyhorse_1080p": (132, _span(3, 10)),
    "happyhorse_motion_control": (154, (10,)),
    "veo31_fast_720p": (85, (4, 6, 8)),
    "veo31_fast_audio_720p": (126, (4, 6, 8)),
    "veo31_fast_1080p": (85, (4, 6, 8)),
    "veo31_fast_audio_1080p": (126, (4, 6, 8)),
    "veo31_fast_4k": (264, (8,)),
    "veo31_fast_audio_4k": (308, (8,)),
    "veo31_lite_720p": (44, (4, 6, 8)),
    "veo31_lite_audio_720p": (44, (4, 6, 8)),
    "veo31_lite_1080p": (71, (4, 6, 8)),
    "veo31_lite_audio_1080p": (71, (4, 6, 8)),
}
_MOTION_CONTROL = ("kling30_motion_control", "kling30_motion_control_pro", "wan_animate_720p",
                   "dreamactor_m2", "happyhorse_motion_control")
_KEYFRAME_PREFIXES = ("seedance_v15_", "seedance2_", "wan26_", "wan27_", "ltx23_", "kling",
                      "veo31_")


def _model(name: str, cents: int, durations: tuple[int, ...]) -> VideoModel:
    seedance2 = name.startswith("seedance2_")
    happyhorse = name in ("happyhorse_720p", "happyhorse_1080p")
    motion = name in _MOTION_CONTROL
    return VideoModel(
        name=name, cents=cents, durations=durations,
        text_to_video=seedance2 or happyhorse,
        image_references=9 if seedance2 else 10 if happyhorse else 0,
        input_video=seedance2 or motion, needs_input_video=motion,
        audio_reference=seedance2, generates_audio=seedance2 or "_audio" in name,
        keyframes=name.startswith(_KEYFRAME_PREFIXES) and not motion,
    )


VIDEO_MODELS: dict[str, VideoModel] = {n: _model(n, c, d) for n, (c, d) in _PRICES.items()}

# WAN 2.7 and WAN 2.7 Pro (changelog 2026-04-02: "partner image models added"; `wan-2-7` is
# the model of the official CLI's README example). Sandbox choice: the docs give no tune ids
# or resolutions, so these ids are the sandbox's own (the CLI resolves a model by name through
# GET /cli/models, so no client needs the real ones) and the resolutions are a guess.
WAN_27 = 4_702_715
WAN_27_PRO = 4_702_716

# Image models the official CLI resolves by name (its offline fallbacks plus gallery bases).
# ``cost_mc_per_image`` {resolution: millicents per image} is the SANDBOX'S OWN PRICE LIST:
# neither the docs nor the official CLI (fetch_models, cmd_models) state a price for an image
# model, so these figures are the sandbox's choice (Flux and SDXL keep their branch prices);
# a client reading them from GET /cli/models can price an image prompt before sending it. A
# prompt without ``resolution`` is priced at the model's first (lowest) resolution.
IMAGE_MODELS: dict[str, dict[str, object]] = {
    "gemini": {"tune_id": 3618064, "title": "Gemini 3 Pro Image",
               "resolutions": ["1K", "2K", "4K"], "default": True,
               "cost_mc_per_image": {"1K": 13_400, "2K": 13_400, "4K": 24_000}},
    "seedream": {"tune_id": 3691308, "title": "Seedream 4.5", "resolutions": ["2K", "4K"],
                 "cost_mc_per_image": {"2K": 4_000, "4K": 8_000}},
    "gpt-image-2": {"tune_id": 4665564, "title": "GPT Image 2", "resolutions": ["1K", "2K"],
                    "cost_mc_per_image": {"1K": 5_000, "2K": 10_000}},
    "wan-2-7": {"tune_id": WAN_27, "title": "WAN 2.7", "resolutions": ["1K", "2K"],
                "cost_mc_per_image": {"1K": 3_000, "2K": 6_000}},
    "wan-2-7-pro": {"tune_id": WAN_27_PRO, "title": "WAN 2.7 Pro",
                    "resolutions": ["1K", "2K", "4K"],
                    "cost_mc_per_image": {"1K": 5_000, "2K": 7_500, "4K": 15_000}},
    "nano-banana": {"tune_id": 3159068, "title": "Gemini 2.5 nano banana",
                    "resolutions": ["1K"], "cost_mc_per_image": {"1K": 3_900}},
    "flux": {"tune_id": 1504944, "title": "Flux1.dev", "resolutions": ["1K"],
             "cost_mc_per_image": {"1K": 2_300}},
    "sdxl": {"tune_id": 666678, "title": "SDXL 1.0", "resolutions": ["1K"],
             "cost_mc_per_image": {"1K": 1_500}},
}


def image_model(tune_ids: Iterable[int | None]) -> tuple[str, dict[str, object]] | None:
    """The first catalogue image model among ``tune_ids`` (a prompt's tune, then its base)."""
    for tune_id in tune_ids:
        for name, entry in IMAGE_MODELS.items():
            if tune_id is not None and entry["tune_id"] == tune_id:
                return name, entry
    return None


def resolution_problem(tune_ids: Iterable[int | None], resolution: str | None) -> str | None:
    """Why ``resolution`` is not available on the model a prompt runs on, or None.

    The create doc: "Availability depends on the selected foundation model; unsupported
    combinations return a validation error." The model is the catalogue entry of the tune the
    prompt runs on, or of that tune's base; a tune of neither kind takes any resolution.
    """
    found = image_model(tune_ids)
    if resolution is None or found is None:
        return None
    name, entry = found
    allowed = list(entry.get("resolutions") or [])  # type: ignore[call-overload]
    if resolution in allowed:
        return None
    return (f"{resolution} is not available on {name} (it takes {', '.join(allowed)}; "
            "GET /cli/models lists each model's resolutions)")


def image_cost_mc(tune_ids: Iterable[int | None], resolution: str | None,
                  num_images: int) -> int | None:
    """Millicents of ``num_images`` images on the catalogue image model among ``tune_ids`` at
    ``resolution`` (its first resolution when None), or None when no catalogue model (or no
    price for that resolution) applies."""
    found = image_model(tune_ids)
    if found is None:
        return None
    entry = found[1]
    prices = entry.get("cost_mc_per_image") or {}
    chosen = resolution or (list(entry.get("resolutions") or [None]))[0]  # type: ignore[call-overload]
    each = prices.get(chosen) if isinstance(prices, dict) else None
    return None if each is None else int(each) * num_images


def video_model_json(model: VideoModel) -> dict[str, object]:
    """One ``video_models`` entry of ``GET /cli/models``."""
    return {
        "supports_image_references": model.image_references > 0,
        "max_image_references": model.image_references,
        "supports_audio_reference": model.audio_reference,
        "generates_audio": model.generates_audio,
        "supports_text_to_video": model.text_to_video,
        "supports_first_last_frame": model.keyframes,
        "supports_input_video": model.input_video,
        "requires_input_video": model.needs_input_video,
        "durations": list(model.durations),
        "default_duration": model.default_duration,
        "cost_cents": model.cents,
        "cost_mc": model.cost_mc(None),
    }


def cli_models() -> dict[str, object]:
    """The body of ``GET /cli/models`` (section 2.13)."""
    return {
        "models": IMAGE_MODELS,
        "video_models": {name: video_model_json(m) for name, m in VIDEO_MODELS.items()},
        "default": "gemini",
        "default_video_model": DEFAULT_VIDEO_MODEL,
        "cache_ttl": CACHE_TTL_SECONDS,
        "cli": {
            "min_version": CLI_MIN_VERSION, "latest_version": CLI_LATEST_VERSION,
            "upgrade": "this is the astria-widgets sandbox; any CLI from "
                       f"{CLI_MIN_VERSION} works",
            "download_url": "https://raw.githubusercontent.com/astriaai/cli/main/astria",
        },
        "skills": {},
        "sandbox": True,
    }
