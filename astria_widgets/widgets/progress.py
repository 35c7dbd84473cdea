"""Live progress of one tune and its prompts: ``TuneProgress`` and ``watch_tune``.

The numbers come from the client's one wait mechanism (``client.wait_for_tune`` and
``client.wait_for_prompt``) running in a daemon worker thread; their ``on_update`` callbacks only
set widget traits, which ipywidgets sends to the front end from any thread. Nothing here prints,
displays or uses ``with output:`` from a thread (under ipykernel 7 that output lands in whatever
cell runs last). A small clock thread re-renders the elapsed time and time left once a second
from the last record, without any HTTP request.

``bar_style`` tells the state as in tqdm's notebook bar: ``info`` while running, ``success`` when
trained, ``danger`` on failure (the bar stays where it stopped), ``warning`` when stalled.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from astria_widgets.client.status import parse_time, training_fraction
from astria_widgets.widgets.formatting import error_html, format_duration, format_size, short_error
from astria_widgets.widgets.gallery import Gallery

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

logger = logging.getLogger(__name__)
# Worker threads log here; without any handler Python's last-resort handler would print
# warnings to stderr, which ipykernel 7 routes to whatever cell runs last.
logger.addHandler(logging.NullHandler())

TERMINAL_TUNE_STATES = frozenset({"trained", "failed", "expired"})
_CLOCK_SECONDS = 1.0


def _resolve_client(client: AstriaClient | None) -> AstriaClient:
    if client is not None:
        return client
    from astria_widgets.connect import connect

    return connect(quiet=True)


class _PromptProgress(w.HBox):
    """One prompt's line: its text, its status word and a short detail."""

    def __init__(self, record: dict[str, Any]) -> None:
        text = str(record.get("text") or "")
        short = text if len(text) <= 60 else text[:57] + "..."
        self.status_label = w.Label("pending", layout=w.Layout(margin="0 8px"))
        self.status_label.add_class("astria-prompt-status")
        self.detail = w.HTML()
        super().__init__(
            [
                w.HTML(
                    f"<code>#{record.get('id')}</code> {html.escape(short)}",
                    layout=w.Layout(width="45%"),
                ),
                self.status_label,
                self.detail,
            ],
            layout=w.Layout(align_items="center"),
        )
        self.add_class("astria-prompt-progress")

    def show(self, status: str, detail: str = "") -> None:
        self.status_label.value = status
        self.detail.value = f"<small>{html.escape(detail)}</small>" if detail else ""


class TuneProgress(w.VBox):
    """Live progress of a tune: status, bar, times, each prompt, and a gallery of results.

    Create one with :func:`watch_tune` (an existing tune) or get one from
    ``TuneForm.submit()``. ``status`` is ``waiting``, ``submitting``, ``uploading``, then the tune's
    ``queued`` / ``training`` / ``trained`` / ``failed`` / ``expired``, or ``error`` when the
    submission or the watch itself failed.
    """

    status = traitlets.Unicode("waiting", help="what the view shows now")
    tune_id = traitlets.Int(None, allow_none=True, help="the tune being watched")

    def __init__(self, tune_id: int | None = None) -> None:
        self._lock = threading.RLock()
        self._stop_event = threading.Event()
        self._finished = threading.Event()
        self._clock_stop = threading.Event()
        self._record: dict[str, Any] | None = None
        self._prompts: dict[int, dict[str, Any]] = {}
        self._prompt_rows: dict[int, _PromptProgress] = {}
        self._error: BaseException | None = None
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._last_upload_step = -1

        self.heading = w.HTML()
        self.heading.add_class("astria-tune-heading")
        self.upload_bar = w.FloatProgress(
            value=0.0, min=0.0, max=1.0, description="Upload", bar_style="info"
        )
        self.upload_bar.add_class("astria-upload-progress")
        self.upload_label = w.Label(layout=w.Layout(margin="0 8px"))
        self.upload_label.add_class("astria-upload-label")
        self._upload_row = w.HBox(
            [self.upload_bar, self.upload_label], layout=w.Layout(display="none")
        )
        self.bar = w.FloatProgress(
            value=0.0, min=0.0, max=1.0, description="Training", bar_style="info"
        )
        self.bar.add_class("astria-progress")
        self.status_label = w.Label("waiting", layout=w.Layout(margin="0 8px"))
        self.status_label.add_class("astria-tune-status")
        self.detail = w.HTML()
        self.detail.add_class("astria-tune-detail")
        self.stop_button = w.Button(
            description="Stop watching",
            icon="stop",
            tooltip="Stop following this tune here (it goes on in the service)",
        )
        self.stop_button.add_class("astria-stop")
        self.stop_button.on_click(self._on_stop_button_click)
        self.message = w.HTML()
        self.message.add_class("astria-progress-message")
        self.prompts_box = w.VBox()
        self.prompts_box.add_class("astria-prompts-progress")
        self.gallery = Gallery()
        super().__init__(
            children=[
                self.heading,
                self._upload_row,
                w.HBox(
                    [self.bar, self.status_label, self.detail, self.stop_button],
                    layout=w.Layout(align_items="center", flex_flow="row wrap"),
                ),
                self.message,
                self.prompts_box,
                self.gallery,
            ]
        )
        self.add_class("astria-tune-progress")
        self.tune_id = tune_id
        if tune_id is not None:
            self.heading.value = f"<b>Tune #{tune_id}</b>"

    # ------------------------------------------------------------------ public API
    @property
    def tune(self) -> dict[str, Any] | None:
        """The last tune record seen (``None`` before the first one)."""
        with self._lock:
            return self._record

    @property
    def prompts(self) -> list[dict[str, Any]]:
        """The last record seen of each of the tune's prompts, in creation order."""
        with self._lock:
            return list(self._prompts.values())

    @property
    def stalled(self) -> bool:
        """True while the tune is unfinished long after its ``eta``."""
        from astria_widgets.client import tune_is_stalled

        record = self.tune
        return bool(record and self.status in ("queued", "training") and tune_is_stalled(record))

    @property
    def stopped(self) -> bool:
        """True once watching was stopped by :meth:`stop` (the tune goes on)."""
        return self._stopped

    @property
    def done(self) -> bool:
        """True once the worker has finished (tune and prompts settled, stopped, or error)."""
        return self._finished.is_set()

    @property
    def error(self) -> BaseException | None:
        """The exception that ended the watch early, if any."""
        return self._error

    def start(self, client: AstriaClient | None = None) -> TuneProgress:
        """Follow ``tune_id`` in a daemon thread (connecting lazily); return at once."""
        if self.tune_id is None:
            raise ValueError("TuneProgress.start() needs a tune_id")
        if self._thread is not None:
            raise RuntimeError("this TuneProgress is already watching")
        tune_id = self.tune_id

        def job() -> None:
            self.follow(_resolve_client(client), tune_id)

        self._thread = threading.Thread(
            target=self._run_guarded, args=(job,), name=f"astria-watch-{tune_id}", daemon=True
        )
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the watch ends; return the final tune record.

        Raises ``WaitTimeout`` (a ``TimeoutError``) when ``timeout`` seconds pass first, and
        re-raises the error that ended the watch, if any.
        """
        if not self._finished.wait(timeout):
            from astria_widgets.client import WaitTimeout

            raise WaitTimeout(
                f"tune {self.tune_id} still running after {timeout} s (the watch goes on; "
                "call wait() again)",
                last_record=self.tune,
            )
        if self._error is not None:
            raise self._error
        record = self.tune
        if record is None:  # pragma: no cover - finished without error implies a record
            raise RuntimeError("the watch ended without a tune record")
        return record

    def stop(self) -> None:
        """Stop watching (and stop the clock); the tune goes on in the service."""
        self._stop_event.set()
        self._clock_stop.set()

    # ----------------------------------------------------------- worker-side API
    def _run_guarded(self, job: Callable[[], object]) -> None:
        """Run ``job`` (in the worker thread), turning any exception into a shown message."""
        try:
            job()
        except Exception as exc:  # noqa: BLE001 - a widget never dumps a traceback
            logger.warning(
                "watching tune %s failed: %s", self.tune_id, short_error(exc), exc_info=True
            )
            self.show_error(exc)
        finally:
            self._clock_stop.set()
            self.stop_button.disabled = True
            self.stop_button.layout.display = "none"  # nothing left to stop: no dead button
            self._finished.set()

    def show_error(self, exc: BaseException, message: str | None = None) -> None:
        """Record ``exc`` as what ended the watch and show a one-line message."""
        self._error = exc
        self.message.value = error_html(message or short_error(exc))
        if self._record is None:
            self.status = "error"
            self.status_label.value = "error"
            self.bar.bar_style = "danger"

    def begin_submit(self, title: str) -> None:
        """Show that ``title`` is being submitted (called before the worker starts)."""
        self.heading.value = f"<b>{html.escape(title)}</b> (submitting)"
        self.status = "submitting"
        self.status_label.value = "submitting"

    def begin_upload(self, title: str) -> None:
        """Show that ``title``'s images are being uploaded (before a tune id exists)."""
        self.begin_submit(title)
        self.status = "uploading"
        self.status_label.value = "uploading"
        self._upload_row.layout.display = "flex"

    def set_upload(self, sent: int, total: int) -> None:
        """Upload progress callback (``client.create_tune(on_progress=...)``), throttled."""
        step = 100 if total <= 0 else min(100, int(100 * sent / total))
        if step == self._last_upload_step:
            return
        self._last_upload_step = step
        self.upload_bar.value = 1.0 if total <= 0 else min(1.0, sent / total)
        self.upload_label.value = f"{format_size(sent)} of {format_size(total)}"
        if total > 0 and sent >= total:
            self.upload_bar.bar_style = "success"

    def follow(self, client: AstriaClient, tune: int | dict[str, Any]) -> dict[str, Any]:
        """Blocking: follow ``tune`` (id or record) and its prompts to the end; return the record.

        Runs in a worker thread; uses ``client.wait_for_tune`` / ``wait_for_prompt`` with this
        view's stop event.
        """
        from astria_widgets.client import prompt_status, tune_status

        if isinstance(tune, dict):
            tune_id = int(tune["id"])
            self.tune_id = tune_id
            self._on_tune_update(tune)
        else:
            tune_id = int(tune)
            self.tune_id = tune_id
        self._start_clock()
        self._update_prompts(client.list_prompts(tune_id))
        record = client.wait_for_tune(
            tune_id, on_update=self._on_tune_update, stop=self._stop_event
        )
        self._on_tune_update(record)
        self._clock_stop.set()
        if self._stop_event.is_set():
            self._mark_stopped()
            return record
        if tune_status(record) != "trained":
            for prompt_id, prompt in list(self._prompts.items()):
                if prompt_status(prompt) == "pending":
                    self._prompt_rows[prompt_id].show("pending", "not run: the tune did not train")
            return record
        self._update_prompts(client.list_prompts(tune_id))
        for prompt_id, prompt in list(self._prompts.items()):
            if self._stop_event.is_set():
                self._mark_stopped()
                return record
            if prompt_status(prompt) == "pending":
                prompt = client.wait_for_prompt(
                    tune_id, prompt_id, on_update=self._on_prompt_update, stop=self._stop_event
                )
                self._on_prompt_update(prompt)
            if prompt_status(prompt) == "done":
                self._show_images(client, prompt)
        if self._stop_event.is_set():
            self._mark_stopped()
        return record

    # --------------------------------------------------------------- internals
    def _on_stop_button_click(self, _button: w.Button) -> None:
        try:
            self.stop()
            self.stop_button.disabled = True
        except Exception:  # noqa: BLE001 - never a traceback from a click
            logger.exception("stopping the watch failed")

    def _mark_stopped(self) -> None:
        self._stopped = True
        self.stop_button.disabled = True
        self.message.value = "Stopped watching; the tune goes on in the service."
        if self.bar.bar_style == "info":
            self.bar.bar_style = ""

    def _on_tune_update(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._record = record
        self._render_tune()

    def _update_prompts(self, records: list[dict[str, Any]]) -> None:
        for record in sorted(records, key=lambda r: int(r.get("id") or 0)):
            self._on_prompt_update(record)

    def _on_prompt_update(self, record: dict[str, Any]) -> None:
        from astria_widgets.client import prompt_status

        prompt_id = int(record["id"])
        with self._lock:
            self._prompts[prompt_id] = record
            row = self._prompt_rows.get(prompt_id)
            if row is None:
                row = self._prompt_rows[prompt_id] = _PromptProgress(record)
                self.prompts_box.children = tuple(self._prompt_rows.values())
        status = prompt_status(record)
        if status == "done":
            count = len(record.get("images") or [])
            row.show("done", f"{count} image{'s' if count != 1 else ''}")
        elif status == "failed":
            row.show("failed", str(record.get("user_error") or "generation failed"))
        elif record.get("started_training_at"):
            row.show("pending", "generating")
        elif self.status == "trained":
            row.show("pending", "queued")
        else:
            row.show("pending", "waiting for training")

    def _show_images(self, client: AstriaClient, prompt: dict[str, Any]) -> None:
        urls = [u for u in prompt.get("images") or [] if isinstance(u, str)]
        for index, url in enumerate(urls, start=1):
            if self._stop_event.is_set():
                return
            try:
                data = client.fetch_bytes(url)
            except Exception as exc:  # noqa: BLE001 - one missing image must not end the watch
                logger.warning("could not download %s: %s", url, short_error(exc))
                self._prompt_rows[int(prompt["id"])].show(
                    "done", f"image {index} could not be downloaded ({short_error(exc)})"
                )
                continue
            self.gallery.add(data, caption=f"prompt #{prompt['id']} · {index}/{len(urls)}", url=url)

    def _start_clock(self) -> None:
        def tick() -> None:
            while not self._clock_stop.wait(_CLOCK_SECONDS):
                try:
                    self._render_tune()
                except Exception:  # noqa: BLE001 - the clock must never die noisily
                    logger.debug("progress clock render failed", exc_info=True)

        threading.Thread(target=tick, name="astria-progress-clock", daemon=True).start()

    def _render_tune(self, now: datetime | None = None) -> None:
        from astria_widgets.client import tune_is_stalled, tune_status

        with self._lock:
            record = self._record
            if record is None:
                return
            now = now or datetime.now(timezone.utc)
            status = tune_status(record, now)
            title = html.escape(str(record.get("title") or ""))
            bits = [b for b in (record.get("name"), record.get("branch")) if b]
            self.heading.value = f"<b>Tune #{record.get('id')}</b> {title}" + (
                f" <small>({html.escape(' · '.join(map(str, bits)))})</small>" if bits else ""
            )
            created = parse_time(record.get("created_at"))
            started = parse_time(record.get("started_training_at"))
            trained = parse_time(record.get("trained_at"))
            eta = parse_time(record.get("eta"))
            stalled = status in ("queued", "training") and tune_is_stalled(record, now)
            if status == "queued":
                self.bar.value = 0.0
                self.bar.bar_style = "warning" if stalled else "info"
                detail = f"queued for {format_duration(now - created)}" if created else "queued"
                if eta:
                    detail += f"; expected to finish in {format_duration(eta - now)}"
            elif status == "training":
                begin = started or created or now
                elapsed = (now - begin).total_seconds()
                detail = f"training for {format_duration(elapsed)}"
                fraction = training_fraction(record, now)
                if fraction is not None:
                    self.bar.value = fraction
                if eta:
                    left = (eta - now).total_seconds()
                    detail += (
                        f"; about {format_duration(left)} left"
                        if left > 0
                        else f"; {format_duration(-left)} past the estimate"
                    )
                self.bar.bar_style = "warning" if stalled else "info"
            elif status == "trained":
                self.bar.value = 1.0
                self.bar.bar_style = "success"
                took = (
                    (trained - (started or created)).total_seconds()
                    if (trained and (started or created))
                    else None
                )
                detail = f"trained in {format_duration(took)}" if took is not None else "trained"
            elif status == "failed":
                self.bar.bar_style = "danger"
                detail = str(record.get("error") or "training failed")
            else:  # expired
                self.bar.value = 1.0
                self.bar.bar_style = "warning"
                detail = "expired: the model and its images were deleted by the service"
            if stalled:
                detail = "stalled: " + detail
            self.detail.value = f"<small>{html.escape(detail)}</small>"
            self.status_label.value = status
            self.status = status
            if status in TERMINAL_TUNE_STATES:
                self._clock_stop.set()

    def __repr__(self) -> str:
        record = self.tune
        parts = [f"tune={self.tune_id}", f"status={self.status!r}"]
        if record and record.get("title"):
            parts.append(f"title={record['title']!r}")
        if self._prompts:
            parts.append(f"prompts={len(self._prompts)}")
        if self.gallery.count:
            parts.append(f"images={self.gallery.count}")
        if self._stopped:
            parts.append("stopped=True")
        return f"TuneProgress({', '.join(parts)})"


def watch_tune(tune_id: int, client: AstriaClient | None = None) -> TuneProgress:
    """Show the live progress of an existing tune; return the view at once.

    ``client`` defaults to ``connect()`` (resolved in the worker thread). Use ``.wait(timeout)``
    to block until the tune and its prompts settle, and ``.stop()`` to stop watching.
    """
    return TuneProgress(int(tune_id)).start(client)
