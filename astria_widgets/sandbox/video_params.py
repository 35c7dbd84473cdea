"""What a valid video prompt looks like (section 2.7 "Video parameters", Appendix A), and how
its media come back. The catalogue (``catalogue.py``) decides every rule:

- ``video_model`` must be one of the catalogue's 46 names (422 otherwise, naming
  ``GET /cli/models``); a video-only field without ``video_model`` is 422 too;
- ``video_prompt`` is required; ``video_duration`` must be one the model allows (default: the
  model's default duration); ``video_audio`` (or its synonym ``generate_audio``, Ambiguity
  #21) only for models that generate audio;
- ``video_last_frame`` only for first+last-frame models; ``input_video`` only for Seedance 2
  and motion-control models, which require it; ``audio_reference`` only for Seedance 2;
  ``image_references`` only for multi-reference models, at most their limit (Seedance 2: 9);
  Seedance 2 first/last-frame mode cannot be combined with references, input video or audio;
- Ambiguity #33: ``text`` (the first frame's prompt) is required unless the model makes video
  from text alone or a first frame / ``source_image_url`` is given;
- without the ``video`` extra (PyAV) every video prompt is 422 saying how to install it.

Uploaded ``video_first_frame``/``video_last_frame`` (images), ``input_video`` and
``audio_reference`` (any non-empty file) are stored and echoed as absolute URLs; their
``*_url`` variants are echoed as given. The legacy ``--video`` switches inside ``text``
(Appendix B) reach these checks as the fields they stand for (``legacy_video``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage

from . import video
from .catalogue import VIDEO_MODELS
from .params import Validator, as_list, check_image

Upload = tuple[bytes, str, str]
MEDIA = ("video_first_frame", "video_last_frame", "input_video", "audio_reference")
IMAGE_MEDIA = ("video_first_frame", "video_last_frame")
VIDEO_ONLY = ("video_prompt", "video_duration", "video_audio", "generate_audio",
              "video_first_frame", "video_first_frame_url", "video_last_frame",
              "video_last_frame_url", "input_video", "input_video_url", "audio_reference",
              "audio_reference_url", "source_image_url", "video_upscale_model",
              "video_fps_model")
UPSCALE_MODELS = ("seedvr2",)
UPSCALE_RESOLUTIONS = ("720p", "1080p", "2k", "4k")
FPS_MODELS = ("video_fps_increaser",)


def _media_file(upload: Any, label: str) -> Upload | str:
    """A non-image media upload: (data, extension as format, file name) or a problem."""
    if not isinstance(upload, FileStorage):
        return f"{label}: must be a file upload"
    name = upload.filename or label
    data = upload.read()
    if not data:
        return f"{name}: is empty (0 bytes)"
    suffix = Path(name).suffix.lower().lstrip(".")
    return data, suffix if re.fullmatch(r"[a-z0-9]{1,5}", suffix) else "bin", name


def _files(v: Validator, files: dict[str, list[Upload]]) -> None:
    for name in MEDIA:
        items = [i for i in as_list(v.params.get(name)) if i not in (None, "")]
        if len(items) > 1:
            v.error(name, "give one file")
        for item in items[:1]:
            checked = (check_image(item, name) if name in IMAGE_MEDIA
                       else _media_file(item, name))
            if isinstance(checked, str):
                v.error(name, checked)
            else:
                files[name] = [checked]


def clean_video(v: Validator, p: dict[str, Any], files: dict[str, list[Upload]]) -> None:
    """Validate the video fields of a prompt hash into ``p``/``files`` (see module doc)."""
    name = p.get("video_model")
    if name is None:
        sent = [f for f in VIDEO_ONLY if f in v.params and v.params[f] not in (None, "")]
        if sent:
            v.error("video_model", f"can't be blank when sending {', '.join(sent)}")
        return
    model = VIDEO_MODELS.get(name)
    if model is None:
        v.error("video_model", f"{name!r} is not a video model (GET /cli/models lists them)")
    elif not video.encoder_available():
        v.error("video_model", f"cannot be simulated: this sandbox lacks the video extra "
                               f"({video.EXTRA_HINT})")
    p["video_prompt"] = v.string("video_prompt", max_length=10_000)
    if p["video_prompt"] is None:
        v.error("video_prompt", "can't be blank for a video prompt (describe the motion)")
    duration = v.integer("video_duration", low=1, high=60)
    audio = v.boolean("video_audio")
    p["video_audio"] = audio if audio is not None else v.boolean("generate_audio")
    for field in ("video_first_frame_url", "video_last_frame_url", "input_video_url",
                  "audio_reference_url", "source_image_url"):
        p[field] = v.url(field)
    p["video_upscale_model"] = v.enum("video_upscale_model", UPSCALE_MODELS)
    p["video_upscale_target_resolution"] = v.enum("video_upscale_target_resolution",
                                                  UPSCALE_RESOLUTIONS)
    p["video_fps_model"] = v.enum("video_fps_model", FPS_MODELS)
    _files(v, files)
    if model is None:
        p["video_duration"] = duration
        return
    if duration is not None and duration not in model.durations:
        allowed = ", ".join(str(d) for d in model.durations)
        v.error("video_duration", f"must be one of {allowed} seconds for {name}")
    p["video_duration"] = duration if duration is not None else model.default_duration

    def given(field: str) -> bool:
        return bool(files.get(field) or p.get(f"{field}_url"))

    references = len(files.get("image_references", [])) + len(p.get("image_reference_urls", []))
    first, last = given("video_first_frame"), given("video_last_frame")
    if p["video_audio"] and not model.generates_audio:
        v.error("video_audio", f"{name} does not generate audio")
    if last and not model.keyframes:
        v.error("video_last_frame", f"{name} does not take a last frame")
    if given("input_video") and not model.input_video:
        v.error("input_video", f"{name} does not take an input video")
    if model.needs_input_video and not given("input_video"):
        v.error("input_video", f"is required by the motion-control model {name}")
    if given("audio_reference") and not model.audio_reference:
        v.error("audio_reference", f"{name} does not take an audio reference")
    if references and not model.image_references:
        v.error("image_references", f"{name} does not take image references")
    elif references > model.image_references:
        v.error("image_references", f"{name} takes at most {model.image_references}")
    if name.startswith("seedance2_") and (first or last) and (
            references or given("input_video") or given("audio_reference")):
        v.error("video_first_frame", "Seedance 2 first/last-frame mode cannot be combined "
                                     "with image references, an input video or audio")
    if not p.get("text") and not (model.text_to_video or first or p.get("source_image_url")):
        v.error("text", f"can't be blank: {name} does not make video from text alone "
                        "(give text for the first frame, video_first_frame or "
                        "source_image_url)")


def media_fields(attrs: dict[str, Any], base: str) -> dict[str, str | None]:
    """The prompt object's media URLs (stored uploads made absolute, else the given URL)."""
    out: dict[str, str | None] = {}
    for name in MEDIA:
        stored = attrs.get(f"{name}_url_stored")
        out[name] = base + stored if stored and stored.startswith("/") else (
            stored or attrs.get(f"{name}_url"))
    out["source_image_url"] = attrs.get("source_image_url")
    return out
