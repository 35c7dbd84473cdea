"""Live progress of one tune and its prompts: ``TuneProgress`` and ``watch_tune``.

``TuneProgress`` only renders a :class:`~astria_widgets.client.watch.TuneWatch`: the watch owns
the thread, the stop event, the latest records and the downloaded images; the view subscribes
and sets widget traits from the watch's callbacks (ipywidgets sends trait changes to the front
end from any thread). Nothing here prints, displays or uses ``with output:`` from a thread
(under ipykernel 7 that output lands in whatever cell runs last), and nothing sends a request.
The view owns no thread: in a kernel, a render timer on the kernel's event loop
(``loop.call_later``) re-draws the elapsed time and time left once a second from the last
record while the tune runs; without a running loop (a script) the view is re-drawn on each
change of the watch only.

``bar_style`` tells the state as in tqdm's notebook bar: ``info`` while running, ``success`` when
trained, ``danger`` on failure (the bar stays where it stopped), ``warning`` when stalled.
"""

from __future__ import annotations

import asyncio
import html
import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from astria_widgets.client.status import (
    STALL_FACTOR,
    TUNE_TERMINAL,
    parse_time,
    prompt_progress,
    training_fraction,
    tune_is_stalled,
    tune_status,
    utcnow,
)
from astria_widgets.client.watch import TuneWatch
from astria_widgets.widgets.fallback import StaticFallback
from astria_widgets.widgets.fallback_html import Section, watch_section
from astria_widgets.widgets.formatting import error_html, format_duration, format_size, short_error
from astria_widgets.widgets.gallery import Gallery

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

logger = logging.getLogger(__name__)
# Watch threads log here; without any handler Python's last-resort handler would print
# warnings to stderr, which ipykernel 7 routes to whatever cell runs last.
logger.addHandler(logging.NullHandler())

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


class TuneProgress(StaticFallback, w.VBox):
    """Live progress of a tune: status, bar, times, each prompt, and a gallery of results.

    A view of a :class:`~astria_widgets.client.watch.TuneWatch` (``watch=``, or made by
    :meth:`start`). Create one with :func:`watch_tune` (an existing tune) or get one from
    ``TuneForm.submit()``. ``status`` is ``waiting``, ``submitting``, ``uploading``, then the
    tune's ``queued`` / ``training`` / ``trained`` / ``failed`` / ``expired``, or ``error``
    when the submission or the watch itself failed.

    Its output also carries a static copy (status, prompts, thumbnails) for saved notebooks
    (:mod:`astria_widgets.widgets.fallback`).
    """

    status = traitlets.Unicode("waiting", help="what the view shows now")
    tune_id = traitlets.Int(None, allow_none=True, help="the tune being watched")
    static_kind = "tune-progress"

    def __init__(self, tune_id: int | None = None, *, watch: TuneWatch | None = None,
                 title: str | None = None) -> None:
        self._lock = threading.RLock()
        self._watch: TuneWatch | None = None
        self._unsubscribe: Any = None
        self._clock_stop = threading.Event()
        self._clock_started = False
        try:  # the kernel's loop when built in a cell or a click handler, else no timer
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._prompt_rows: dict[int, _PromptProgress] = {}
        self._images_shown = 0
        self._title = title
        self._error_message: str | None = None

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
        if tune_id is not None:  # the one id rule: True is not tune 1, 5.7 not tune 5
            from astria_widgets.client.api import record_id

            tune_id = record_id(tune_id, "tune_id")
        self.tune_id = tune_id
        if tune_id is not None:
            self.heading.value = f"<b>Tune #{tune_id}</b>"
        if watch is not None:
            self.attach(watch)

    # ------------------------------------------------------------------ public API
    @property
    def watch(self) -> TuneWatch | None:
        """The watch this view renders (``None`` before :meth:`start` / :meth:`attach`)."""
        return self._watch

    @property
    def tune(self) -> dict[str, Any] | None:
        """The last tune record seen (``None`` before the first one)."""
        return self._watch.tune if self._watch is not None else None

    @property
    def prompts(self) -> list[dict[str, Any]]:
        """The last record seen of each of the tune's prompts, in creation order."""
        return self._watch.prompts if self._watch is not None else []

    @property
    def stalled(self) -> bool:
        """True while the tune is unfinished long after its ``eta``."""
        return self._watch is not None and self._watch.stalled

    @property
    def stopped(self) -> bool:
        """True once watching was stopped by :meth:`stop` (the tune goes on)."""
        return self._watch is not None and self._watch.stopped

    @property
    def done(self) -> bool:
        """True once the watch has finished (tune and prompts settled, stopped, or error)."""
        return self._watch is not None and self._watch.done

    @property
    def error(self) -> BaseException | None:
        """The exception that ended the watch early, if any."""
        return self._watch.error if self._watch is not None else None

    def attach(self, watch: TuneWatch) -> TuneProgress:
        """Render ``watch`` from now on (once per view); return the view."""
        with self._lock:
            if self._watch is not None:
                raise RuntimeError("this TuneProgress already shows a watch")
            self._watch = watch
            if watch.tune_id is not None:
                self.tune_id = watch.tune_id
        self._unsubscribe = watch.subscribe(self._on_watch)
        self._on_watch(watch)
        return self

    def start(self, client: AstriaClient | None = None) -> TuneProgress:
        """Follow ``tune_id`` (with a new :class:`TuneWatch`); return at once.

        ``client`` defaults to ``connect()``.
        """
        if self.tune_id is None:
            raise ValueError("TuneProgress.start() needs a tune_id")
        if self._watch is not None:
            raise RuntimeError("this TuneProgress is already watching")
        watch = TuneWatch(_resolve_client(client), self.tune_id, fetch_images=True)
        self.attach(watch)
        watch.start()
        return self

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the watch ends; return the final tune record.

        Raises ``WaitTimeout`` (a ``TimeoutError``) when ``timeout`` seconds pass first, and
        re-raises the error that ended the watch, if any.
        """
        if self._watch is None:
            raise RuntimeError("this TuneProgress watches nothing yet: call start()")
        return self._watch.wait(timeout)

    def stop(self) -> None:
        """Stop watching (and stop the clock); the tune goes on in the service."""
        self._clock_stop.set()
        if self._watch is not None:
            self._watch.stop()

    def set_error_message(self, text: str) -> None:
        """Show ``text`` instead of the bare error when the watch ends with one."""
        with self._lock:
            self._error_message = text
            if self.error is not None:
                self.message.value = error_html(text)

    def show(self, record: dict[str, Any], now: datetime | None = None) -> None:
        """Render the tune ``record`` as seen at ``now`` (default: the service's time)."""
        self._render_tune(record, now)

    # --------------------------------------------------------------- rendering
    def _on_watch(self, watch: TuneWatch) -> None:
        """Subscriber: draw everything the watch knows (runs in the watch thread)."""
        with self._lock:
            if watch.tune_id is not None and self.tune_id != watch.tune_id:
                self.tune_id = watch.tune_id
            record = watch.tune
            if record is None and watch.status in ("submitting", "uploading"):
                title = html.escape(self._title or "the new tune")
                self.heading.value = f"<b>{title}</b> (submitting)"
                self.status = self.status_label.value = watch.status
            if watch.upload is not None:
                self._show_upload(*watch.upload)
            if record is not None:
                self._render_tune(record)
                self._start_clock()
            self._render_prompts(watch)
            self._render_images(watch)
            if watch.error is not None:
                self.message.value = error_html(self._error_message or short_error(watch.error))
                if record is None:
                    self.status = self.status_label.value = "error"
                    self.bar.bar_style = "danger"
            if watch.done:
                self._clock_stop.set()
                self.stop_button.disabled = True
                self.stop_button.layout.display = "none"  # nothing left to stop
                if watch.stopped:
                    self.message.value = "Stopped watching; the tune goes on in the service."
                    if self.bar.bar_style == "info":
                        self.bar.bar_style = ""
        if watch.done:  # the end, once (see widgets/fallback.py: when copies update)
            self.refresh_static(now=True)

    def static_sections(self) -> list[Section]:
        """The tune's status, its prompts and the generated images, for the static copy."""
        if self._watch is None:
            return [Section(title=f"Tune #{self.tune_id}" if self.tune_id else "Tune",
                            status=f"status {self.status}")]
        return [watch_section(self._watch, title=self._title,
                              error_message=self._error_message)]

    def _show_upload(self, sent: int, total: int) -> None:
        self._upload_row.layout.display = "flex"
        self.upload_bar.value = 1.0 if total <= 0 else min(1.0, sent / total)
        self.upload_label.value = f"{format_size(sent)} of {format_size(total)}"
        if total > 0 and sent >= total:
            self.upload_bar.bar_style = "success"

    def _render_prompts(self, watch: TuneWatch) -> None:
        tune = watch.tune
        status = tune_status(tune) if tune is not None else None
        records = watch.prompts
        for record in records:
            prompt_id = int(record["id"])
            row = self._prompt_rows.get(prompt_id)
            if row is None:
                row = self._prompt_rows[prompt_id] = _PromptProgress(record)
            row.show(*prompt_progress(record, status))  # the rule: client/status.py
        if len(self.prompts_box.children) != len(self._prompt_rows):
            self.prompts_box.children = tuple(self._prompt_rows[k]
                                              for k in sorted(self._prompt_rows))

    def _render_images(self, watch: TuneWatch) -> None:
        images = watch.images
        for image in images[self._images_shown:]:
            if image.data is None:
                row = self._prompt_rows.get(image.prompt_id)
                if row is not None:
                    reason = short_error(image.error) if image.error else "no data"
                    row.show("done", f"image {image.index} could not be downloaded ({reason})")
                continue
            self.gallery.add(image.data, url=image.url,
                             caption=f"prompt #{image.prompt_id} · {image.index}/{image.count}")
        self._images_shown = len(images)

    def _on_stop_button_click(self, _button: w.Button) -> None:
        try:
            self.stop()
            self.stop_button.disabled = True
        except Exception:  # noqa: BLE001 - never a traceback from a click
            logger.exception("stopping the watch failed")

    def _start_clock(self) -> None:
        """Start the render timer on the kernel's loop (once; from any thread)."""
        with self._lock:
            if self._clock_started or self._loop is None or self._clock_stop.is_set():
                return
            self._clock_started = True
        try:
            self._loop.call_soon_threadsafe(self._schedule_tick)
        except RuntimeError:  # the loop was closed: no timer
            logger.debug("no event loop for the progress clock", exc_info=True)

    def _schedule_tick(self) -> None:
        if not self._clock_stop.is_set() and self._loop is not None:
            self._loop.call_later(_CLOCK_SECONDS, self._tick)

    def _tick(self) -> None:
        """Re-draw the times from the last record (no request), then schedule the next tick."""
        if self._clock_stop.is_set():
            return
        record = self.tune
        if record is not None:
            try:
                self._render_tune(record)
            except Exception:  # noqa: BLE001 - the clock must never die noisily
                logger.debug("progress clock render failed", exc_info=True)
        self._schedule_tick()

    def _render_tune(self, record: dict[str, Any], now: datetime | None = None) -> None:
        with self._lock:
            if now is None:
                now = self._watch.client.transport.server_now() if self._watch else utcnow()
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
            factor = self._watch.client.poll.stall_factor if self._watch else STALL_FACTOR
            stalled = tune_is_stalled(record, now, stall_factor=factor)  # the wait's own rule
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
            if status in TUNE_TERMINAL:
                self._clock_stop.set()

    def __repr__(self) -> str:
        parts = [f"tune={self.tune_id}", f"status={self.status!r}"]
        record = self.tune
        if record and record.get("title"):
            parts.append(f"title={record['title']!r}")
        if self.prompts:
            parts.append(f"prompts={len(self.prompts)}")
        if self.gallery.count:
            parts.append(f"images={self.gallery.count}")
        if self.stopped:
            parts.append("stopped=True")
        return f"TuneProgress({', '.join(parts)})"


def watch_tune(tune_id: int, client: AstriaClient | None = None) -> TuneProgress:
    """Show the live progress of an existing tune; return the view at once.

    ``client`` defaults to ``connect()``. Use ``.wait(timeout)`` to block until the tune and
    its prompts settle, and ``.stop()`` to stop watching. The view renders a
    :class:`~astria_widgets.client.watch.TuneWatch` (``.watch``).
    """
    from astria_widgets.client.api import record_id

    return TuneProgress(record_id(tune_id, "tune_id")).start(client)
