"""``GET /files/prompts/:id/:index.mp4`` (no auth, like ``/files/``): the generated videos.

A finished video prompt lists these URLs in ``images`` (``objects.prompt_json``). The MP4 is
rendered on first request by ``video.render_mp4`` (PyAV) and cached next to the prompt's other
files; it shows ``video_prompt`` (else ``text``) for the prompt's ``video_duration``, has a
soundtrack when the prompt asked for generated audio (``has_audio``) and is served as
``video/mp4``. 404 until the prompt is done, for an image prompt or a bad index;
503 if the video extra was removed after the prompt was accepted.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, send_file

from . import video
from .catalogue import VIDEO_MODELS
from .render import cached_render
from .state import state

bp = Blueprint("video", __name__)
MAX_INDEX = 99


def has_audio(attrs: dict[str, Any]) -> bool:
    """Whether a video prompt's MP4 has a soundtrack: ``video_audio`` was asked for (the
    create doc: "Generate an audio track"), or the model is an ``_audio`` variant, which
    always makes one."""
    model = VIDEO_MODELS.get(attrs.get("video_model") or "")
    return bool(attrs.get("video_audio")) or (model is not None and model.audio_always)


@bp.get("/files/prompts/<int:prompt_id>/<int:index>.mp4")
def prompt_video(prompt_id: int, index: int) -> Any:
    """One generated video of a finished video prompt."""
    st = state()
    prompt = st.store.get_prompt(prompt_id)
    if (prompt is None or index > MAX_INDEX or not prompt["attrs"].get("video_model")
            or prompt["outcome"] != "done" or st.now() < prompt["finish_at"]
            or index >= prompt["num_images"]):
        abort(404)
    if not video.encoder_available():
        abort(503, description=f"This sandbox cannot encode video: {video.EXTRA_HINT}")
    a = prompt["attrs"]
    path = st.files_dir / "prompts" / str(prompt_id) / f"{index}.mp4"
    cached_render(path, lambda: video.render_mp4(
        a.get("video_prompt") or prompt["text"], int(a.get("video_duration") or 5),
        label=f"sandbox video {prompt_id}.{index} - {a['video_model']}", seed=a.get("seed"),
        aspect_ratio=a.get("aspect_ratio"), audio=has_audio(a)))
    return send_file(path, mimetype="video/mp4", max_age=3600)
