"""Configuration and shared state of one sandbox: store, clock, faults, callbacks, files.

The Flask app reaches it as ``current_app.extensions["astria_sandbox"]`` (``state()``).
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, g, request
from werkzeug.utils import secure_filename

from .callbacks import CallbackSender
from .faults import FaultInjector
from .gallery import seed_gallery
from .lifecycle import Clock, NowSetting
from .objects import prompt_json, tune_json
from .options import check
from .store import Store

DB_NAME = "sandbox.sqlite3"
FORMAT_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif",
                     "BMP": "bmp", "TIFF": "tif"}


@dataclass
class SandboxConfig:
    """Settings of one sandbox server (see ``Sandbox`` for their meaning), checked by the
    rules of ``options`` when made (a ``ValueError`` names the bad one)."""

    data_dir: Path
    api_key: str = "sandbox"
    speed: float = 60.0
    faults: float = 0.0
    public_url: str = ""
    allow_remote_callbacks: bool = False
    max_upload_bytes: int = 64 * 1024 * 1024
    retry_after: float = 0.1
    slow_delay: float = 0.5
    latency: float = 0.0
    idempotency: bool = False
    fault_seed: int | None = None
    tick_interval: float = 0.1
    now: NowSetting = None
    duration_spread: tuple[float, float] = (0.8, 1.2)

    def __post_init__(self) -> None:
        for name in ("api_key", "speed", "faults", "retry_after", "slow_delay", "latency",
                     "tick_interval", "max_upload_bytes", "duration_spread"):
            setattr(self, name, check(name, getattr(self, name)))  # ValueError naming it


class SandboxState:
    """Everything the request handlers and the ticker share."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.data_dir = Path(config.data_dir)
        self.files_dir = self.data_dir / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.data_dir / DB_NAME)
        self.clock = Clock(config.speed, config.duration_spread, now=config.now)
        self.faults = FaultInjector(
            config.faults, retry_after=config.retry_after, slow_delay=config.slow_delay,
            seed=config.fault_seed, latency=config.latency,
        )
        self.callbacks = CallbackSender(allow_remote=config.allow_remote_callbacks)
        seed_gallery(self.store, self.now())
        self.store.ensure_user(config.api_key, "Sandbox user", "sandbox@example.invalid",
                               self.now())

    def now(self) -> float:
        """The sandbox's current time in epoch seconds (its one clock: ``Clock.now``)."""
        return self.clock.now()

    def close(self) -> None:
        """Stop callbacks and close the database."""
        self.callbacks.shutdown()
        self.store.close()

    # -- files -----------------------------------------------------------------------------

    def save_upload(self, data: bytes, fmt: str, filename: str) -> str:
        """Store uploaded bytes; returns the path below ``/files/uploads/``."""
        ext = FORMAT_EXTENSIONS.get(fmt.upper(), fmt.lower() or "bin")
        stem = secure_filename(Path(filename).stem)[:80] or "image"
        token = uuid.uuid4().hex
        folder = self.files_dir / "uploads" / token
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{stem}.{ext}").write_bytes(data)
        return f"{token}/{stem}.{ext}"

    def remove_upload(self, relative: str) -> None:
        """Delete a stored upload folder (ignores anything unexpected)."""
        token = relative.split("/", 1)[0]
        if len(token) == 32 and all(c in "0123456789abcdef" for c in token):
            shutil.rmtree(self.files_dir / "uploads" / token, ignore_errors=True)

    def remove_prompt_files(self, prompt_id: int) -> None:
        """Delete the cached renders of a prompt."""
        shutil.rmtree(self.files_dir / "prompts" / str(int(prompt_id)), ignore_errors=True)

    # -- the ticker --------------------------------------------------------------------------

    def tick(self) -> None:
        """Fire every callback that is due."""
        now = self.now()
        for row in self.store.take_due_callbacks(now):
            body = self._callback_body(row, now)
            if body is not None:
                self.callbacks.submit(row["url"], row["kind"], row["object_id"], body)

    def _callback_body(self, row: dict[str, Any], now: float) -> Any:
        base = self.config.public_url
        if row["kind"] == "tune":
            tune = self.store.get_tune(row["object_id"])
            return None if tune is None else {"tune": tune_json(tune, now, base)}
        if row["kind"] == "prompt":
            prompt = self.store.get_prompt(row["object_id"])
            if prompt is None:
                return None
            tunes = self.store.get_tunes([prompt["tune_id"], *prompt["attrs"].get("tune_refs", [])])
            return {"prompt": prompt_json(prompt, now, base, tunes=tunes)}
        ids = json.loads(row["extra"] or "[]")
        prompts = [p for p in (self.store.get_prompt(i) for i in ids) if p is not None]
        tunes = self.store.get_tunes(p["tune_id"] for p in prompts)
        return [prompt_json(p, now, base, tunes=tunes) for p in prompts]


def state() -> SandboxState:
    """The state of the app handling the current request."""
    return current_app.extensions["astria_sandbox"]


def current_user() -> dict[str, Any]:
    """The account of the current request (set by the auth hook)."""
    return g.user


def base_url() -> str:
    """The address the client used to reach us, without a trailing slash."""
    return request.host_url.rstrip("/")
