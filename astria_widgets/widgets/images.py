"""ImagePicker: training images from beside the kernel or from the user's browser.

Three ways in, one set of images:

- an ipyfilechooser ``FileChooser`` for files on the kernel's machine: pick one image, or open
  a folder and press *Select* with no file name to add every image in it;
- a browser uploader (``uploader.ChunkedUploader``: file input and drop zone, chunked so that
  80 MB of phone photos pass a stock server's 10 MiB websocket cap);
- ``add_images(...)`` for scripts and tests: paths, folders, bytes, ``(name, bytes)`` pairs,
  open files.

The picker is a view of an :class:`~astria_widgets.client.image_set.ImageSet` (``.images``):
the files, their ``ImageReport`` checks and the inspector's verdicts live there, read through
the client's one reader of image inputs. Every picked file gets a card in the grid with its
thumbnail, name, problems or warnings and a remove button. Rejected files stay listed with
their reason until removed; nothing picked is ever dropped silently. Thumbnails are made in a
small pool (this module's) whose workers only set ``ipywidgets.Image.value``; trait observers
(``count``, ``version``) fire only on the thread that changed the set.

*Check with Astria* (``check()``) runs the set's check in a background thread (the inspector
through ``client.inspect.inspect_images``, parallel, bounded) and shows each photo's flags
with a one-line fix under its thumbnail; ``characteristics`` holds the values found in most
photos (the form offers them). The button returns at once; without a client it connects in
that thread.

DOM classes for browser tests: ``astria-image-picker`` (the whole picker),
``astria-picker-chooser`` (the FileChooser), ``astria-upload`` (the uploader: click it inside
``page.expect_file_chooser()``), ``astria-picker-count``, ``astria-picker-status``,
``astria-picker-errors``, ``astria-thumb-grid``, ``astria-thumb`` (one card; plus
``astria-thumb-ok``, ``astria-thumb-warning`` or ``astria-thumb-blocked``),
``astria-thumb-image``, ``astria-thumb-name``, ``astria-thumb-message``,
``astria-thumb-remove``, ``astria-picker-clear``, ``astria-picker-inspect`` (the Check button),
``astria-thumb-inspect`` (a card's inspector verdict; the card also gets
``astria-thumb-flagged`` or ``astria-thumb-passed``).
"""

from __future__ import annotations

import html
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets
from ipyfilechooser import FileChooser

from astria_widgets.client.image_set import ImageEntry, ImageSet
from astria_widgets.imaging import IMAGE_EXTENSIONS, ImageReport, make_thumbnail
from astria_widgets.imaging.checks import MAX_PIXELS
from astria_widgets.widgets.formatting import ERROR_COLOR, error_html, short_error
from astria_widgets.widgets.uploader import UploadedFile, make_uploader

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient
    from astria_widgets.client.inspect import Inspection

__all__ = ["ImagePicker"]

THUMB_SIZE = 128
# "" keeps folders selectable; .txt files are Flux captions beside their photos
_FILTER = [f"*{ext}" for ext in IMAGE_EXTENSIONS] + ["*.txt", ""]
_WARN = "var(--jp-warn-color1,#ef6c00)"

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _thumbnail_pool() -> ThreadPoolExecutor:
    """One small pool for every picker, made on first use."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1),
                                           thread_name_prefix="astria-thumbnails")
        return _executor


@dataclass(eq=False)
class _Card:
    """The widgets of one entry's card."""

    box: w.VBox
    image: w.Image
    message: w.HTML
    verdict: w.HTML


class ImagePicker(w.VBox):
    """Pick training images: FileChooser, browser upload, thumbnails with their problems."""

    count = traitlets.Int(0, help="How many images would be sent (ok ones only).")
    version = traitlets.Int(0, help="Bumped on every change of the picked set.")
    class_name = traitlets.Unicode("", help="The tune's class, asked about by the inspector.")
    characteristics = traitlets.Dict(help="Values Astria's inspector found in most photos.")

    def __init__(self, *, path: str | None = None, uploader: bool | None = None,
                 client: AstriaClient | None = None, images: ImageSet | None = None,
                 **kwargs: Any) -> None:
        """``path``: where the FileChooser starts (default: the current directory).

        ``uploader``: True for the chunked anywidget uploader, False for ``FileUpload``,
        None to choose (chunked when anywidget is installed). ``client``: used by
        *Check with Astria* (default: ``connect()`` at the first check). ``images``: the
        :class:`~astria_widgets.client.image_set.ImageSet` to show (default: a new one).
        """
        self.client = client
        start = os.getcwd() if path is None else os.fspath(path)
        if not os.path.isdir(start):
            raise ValueError(f"ImagePicker(path={start!r}): not a folder")
        self.images = images if images is not None else ImageSet()
        self._cards: dict[ImageEntry, _Card] = {}
        self._futures: set[Future[None]] = set()
        self._lock = threading.Lock()

        self._chooser = FileChooser(
            start, title="<b>Images beside the kernel</b>: pick a photo, or open a folder and "
            "press Select with no file name to add all its images",
            filter_pattern=_FILTER, layout=w.Layout(width="auto"),
        )
        self._chooser.register_callback(self._on_chooser_select)
        self._chooser.add_class("astria-picker-chooser")
        self._uploader = make_uploader(self._on_upload_file, self._on_upload_rejected,
                                       chunked=uploader)
        self._count_label = w.HTML(layout=w.Layout(margin="4px 0"))
        self._count_label.add_class("astria-picker-count")
        self._clear_button = w.Button(description="Remove all", icon="trash",
                                      layout=w.Layout(width="auto"))
        self._clear_button.add_class("astria-picker-clear")
        self._clear_button.on_click(self._on_clear_click)
        self.check_button = w.Button(description="Check with Astria", icon="search",
                                      tooltip="Ask Astria's inspector about every photo",
                                      layout=w.Layout(width="auto"))
        self.check_button.add_class("astria-picker-inspect")
        self.check_button.on_click(self._on_check_click)
        self._status = w.HTML()
        self._status.add_class("astria-picker-status")
        self._errors = w.HTML()
        self._errors.add_class("astria-picker-errors")
        self._grid = w.GridBox(layout=w.Layout(
            grid_template_columns=f"repeat(auto-fill, minmax({THUMB_SIZE + 24}px, 1fr))",
            grid_gap="6px", width="100%"))
        self._grid.add_class("astria-thumb-grid")
        super().__init__(children=[
            self._chooser, self._uploader,
            w.HBox([self._count_label, w.HBox([self.check_button, self._clear_button])],
                   layout=w.Layout(align_items="center", justify_content="space-between")),
            self._status, self._errors, self._grid,
        ], **kwargs)
        self.add_class("astria-image-picker")
        for entry in self.images.entries:  # a set given with files in it
            self._build_card(entry)
        self._refresh()

    # -- public API ------------------------------------------------------------------------
    @property
    def accepted(self) -> list[tuple[str, bytes]]:
        """``(name, bytes)`` of every ok image, in order: what would be sent.

        CMYK, 16-bit, transparent and animated images are converted (see the warnings);
        every other file is sent byte for byte.
        """
        return self.images.accepted

    @property
    def reports(self) -> list[ImageReport]:
        """The report of every picked file (rejected ones too), in order."""
        return self.images.reports

    @property
    def errors(self) -> list[str]:
        """Every blocking problem, each naming its file."""
        return self.images.errors

    def add_images(self, items: Any) -> list[ImageReport]:
        """Add files and return their reports (in the order added).

        ``items`` is one item or an iterable of them: a path (``str``/``PathLike``) to an
        image or a folder (every image in it, sorted by name), ``bytes``, a
        ``(name, bytes)`` pair, or an open binary file (read by the client's one reader,
        ``client.uploads.read_inputs``). Unreadable inputs are listed as rejected, not raised.
        """
        added = self.images.add(items)
        self._show_changed()
        for entry in added.entries:
            self._build_card(entry)
        self._refresh()
        self._status.value = html.escape(added.summary)
        return [entry.report for entry in added.entries]

    def remove(self, name: str) -> None:
        """Remove the picked file called ``name`` (raises ``KeyError`` if there is none)."""
        self._remove_entries([self.images.named(name)])
        self._status.value = html.escape(f"Removed {name}.")

    def remove_rejected(self) -> None:
        """Remove every file with a blocking problem."""
        self._remove_entries([e for e in self.images.entries if not e.report.ok])

    def clear(self) -> None:
        """Remove every picked file."""
        self._remove_entries(self.images.entries)
        self._status.value = ""

    @property
    def status_html(self) -> str:
        """The status line under the buttons (what the last action did), as HTML."""
        return self._status.value

    @property
    def count_html(self) -> str:
        """The "N images ready" line, as HTML."""
        return self._count_label.value

    def card_html(self, name: str) -> dict[str, str]:
        """The card of the picked file ``name``: ``{"message", "inspect", "classes"}``."""
        card = self._cards.get(self.images.named(name))
        if card is None:
            raise KeyError(f"no picked image is called {name!r}")
        return {"message": card.message.value, "inspect": card.verdict.value,
                "classes": " ".join(card.box.get_state("_dom_classes")["_dom_classes"])}

    def check(self, client: AstriaClient | None = None) -> list[Inspection]:
        """Inspect every accepted photo with Astria; show flags and fixes on the thumbnails.

        Runs the set's check (``client.inspect.inspect_images``: parallel, bounded) and waits
        for it; returns one :class:`~astria_widgets.client.inspect.Inspection` per photo and
        sets :attr:`characteristics` to the values found in most photos. The button uses
        :meth:`start_check`, which returns at once.
        """
        future = self.start_check(client)
        return future.result() if future is not None else []

    def start_check(self, client: AstriaClient | None = None) -> Future[list[Inspection]] | None:
        """Start checking the photos in the background; the ``Future`` of :meth:`check`'s list.

        ``None`` when there is nothing to check (the reason is shown in the picker). Flags
        appear on the thumbnails one by one as the answers arrive; the kernel stays free (a
        missing client is connected in the background too).
        """
        problem = self.images.check_problem(self.class_name)
        if problem is not None:
            self._status.value = error_html(problem)
            return None
        count = sum(1 for e in self.images.entries if e.photo)
        self._status.value = html.escape(f"Checking {count} photo{'s' if count != 1 else ''} "
                                         "with Astria...")
        self.check_button.disabled = True
        future = self.images.start_check(
            client or self.client or self._connect, self.class_name,
            on_result=lambda entry, result: self._show_inspection(self._cards.get(entry),
                                                                  result),
            on_done=self._show_check_summary)
        future.add_done_callback(self._on_check_done)
        return future

    @property
    def check_future(self) -> Future[list[Inspection]] | None:
        """The running or last check started by the button or :meth:`start_check`."""
        return self.images.check_future

    def wait_for_thumbnails(self, timeout: float | None = 30.0) -> bool:
        """Block until the pending thumbnails are made; True if none is left pending."""
        with self._lock:
            pending = set(self._futures)
        _done, not_done = wait(pending, timeout=timeout)
        return not not_done

    # -- callbacks -------------------------------------------------------------------------
    def _connect(self) -> AstriaClient:
        """The check's thread: connect once (real API with a key, else the sandbox)."""
        if self.client is None:
            from astria_widgets.connect import connect

            self.client = connect(quiet=True)
        return self.client

    def _on_check_done(self, future: Future[list[Inspection]]) -> None:
        self.check_button.disabled = False
        exc = future.exception()
        if exc is not None:  # a widget never dumps a bare traceback
            self._status.value = error_html(f"Could not check the photos: {short_error(exc)}")

    def _show_check_summary(self, results: list[Inspection]) -> None:
        flagged = sum(1 for r in results if not r.ok)
        self._status.value = html.escape(
            f"Checked {len(results)} photo{'s' if len(results) != 1 else ''} with Astria: "
            + (f"{flagged} flagged (see the thumbnails)." if flagged else "no problem found."))
        self.characteristics = self.images.characteristics()

    def _on_chooser_select(self, chooser: FileChooser) -> None:
        selected = chooser.selected
        if not selected:
            return
        self._guard(lambda: self.add_images([selected]))

    def _on_upload_file(self, upload: UploadedFile) -> None:
        def add() -> None:
            self.add_images([(upload.name, upload.data)])
            self._show_upload_status()
        self._guard(add)

    def _show_upload_status(self) -> None:
        """Files arrive one by one: count the selection's files so far, not "Added 1 of 1"."""
        progress = list(getattr(self._uploader, "progress", None) or ())
        received = sum(1 for e in progress if e.get("state") == "done")
        if received:  # (the FileUpload fallback has no progress: add_images said it already)
            self._status.value = html.escape(
                f"Received {received} file{'s' if received != 1 else ''} from your browser.")

    def _on_upload_rejected(self, name: str, size: int, reason: str) -> None:
        def add() -> None:
            entry = self.images.add_rejected(name, size, reason)
            self._show_changed()
            self._build_card(entry)
            self._refresh()
        self._guard(add)

    def _on_clear_click(self, _button: w.Button) -> None:
        self.clear()

    def _on_check_click(self, _button: w.Button) -> None:
        try:
            self.start_check()
        except Exception as exc:  # a widget never dumps a bare traceback
            self.check_button.disabled = False
            self._status.value = error_html(f"Could not check the photos: {short_error(exc)}")

    def _guard(self, action: Any) -> None:
        """Run a UI action; show an unexpected error in the status line, never a traceback."""
        try:
            action()
        except Exception as exc:  # a widget never dumps a bare traceback
            self._status.value = error_html(f"Could not add the file: {short_error(exc)}")

    # -- state -> view ---------------------------------------------------------------------
    def _remove_entries(self, entries: list[ImageEntry]) -> None:
        gone = self.images.remove(entries)
        if not gone:
            return
        for entry in gone:
            card = self._cards.pop(entry, None)
            if card is not None:
                for child in (card.image, card.message, *card.box.children, card.box):
                    child.close()
        self._show_changed()
        self.characteristics = self.images.characteristics()
        self._refresh()

    def _show_changed(self) -> None:
        """Re-render the cards whose report the set-level checks changed."""
        for entry in self.images.entries:
            card = self._cards.get(entry)
            if card is not None:
                self._show_verdict(entry, card)

    @staticmethod
    def _show_inspection(card: _Card | None, result: Inspection) -> None:
        """Worker thread: only sets widget values (the verdict line and the card's class)."""
        if card is None:
            return
        if result.error is not None:
            lines = [(f"Astria could not check it: {result.error}", ERROR_COLOR)]
        elif result.fixes:
            lines = [(fix, _WARN) for fix in result.fixes]
        else:
            lines = [("Astria: looks good", "var(--jp-success-color1,#2e7d32)")]
        card.verdict.value = "<br>".join(
            f'<span style="color:{color};font-size:smaller">&#9873; {html.escape(text)}</span>'
            for text, color in lines)
        flagged = not result.ok
        card.box.remove_class("astria-thumb-passed" if flagged else "astria-thumb-flagged")
        card.box.add_class("astria-thumb-flagged" if flagged else "astria-thumb-passed")

    def _build_card(self, entry: ImageEntry) -> None:
        width = w.Layout(max_width=f"{THUMB_SIZE + 20}px")
        image = w.Image(format="jpeg", layout=w.Layout(
            width=f"{THUMB_SIZE}px", height=f"{THUMB_SIZE}px", object_fit="contain"))
        image.add_class("astria-thumb-image")
        name = w.HTML(f"<b>{html.escape(entry.name)}</b>",
                      layout=w.Layout(overflow="hidden", max_width=f"{THUMB_SIZE + 20}px"))
        name.add_class("astria-thumb-name")
        message = w.HTML(layout=width)
        message.add_class("astria-thumb-message")
        verdict = w.HTML(layout=w.Layout(max_width=f"{THUMB_SIZE + 20}px"))
        verdict.add_class("astria-thumb-inspect")
        remove = w.Button(description="Remove", icon="times", tooltip=f"Remove {entry.name}",
                          layout=w.Layout(width="auto"))
        remove.add_class("astria-thumb-remove")
        remove.on_click(lambda _b, entry=entry: self._remove_entries([entry]))
        box = w.VBox([image, name, message, verdict, remove], layout=w.Layout(
            border="1px solid var(--jp-border-color2, #ddd)", padding="4px",
            align_items="center"))
        box.add_class("astria-thumb")
        card = self._cards[entry] = _Card(box, image, message, verdict)
        self._show_verdict(entry, card)
        if entry.inspection is not None:
            self._show_inspection(card, entry.inspection)
        if entry.data is not None and entry.base.width is not None and (
                entry.base.width * (entry.base.height or 0) <= MAX_PIXELS):
            future = _thumbnail_pool().submit(self._make_thumbnail, entry.data, image)
            with self._lock:
                self._futures.add(future)
            future.add_done_callback(self._forget_future)

    def _forget_future(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    @staticmethod
    def _make_thumbnail(data: bytes, image: w.Image) -> None:
        """Worker thread: only sets the Image widget's value (no print, no display)."""
        try:
            image.value = make_thumbnail(data, THUMB_SIZE)
        except Exception:
            image.add_class("astria-thumb-failed")  # the report already says what is wrong

    @staticmethod
    def _show_verdict(entry: ImageEntry, card: _Card) -> None:
        report = entry.report
        state = ("astria-thumb-blocked" if not report.ok
                 else "astria-thumb-warning" if report.warnings else "astria-thumb-ok")
        for cls in ("astria-thumb-blocked", "astria-thumb-warning", "astria-thumb-ok"):
            if cls != state:
                card.box.remove_class(cls)  # a no-op when the card does not have it
        card.box.add_class(state)
        prefix = f"{entry.name}: "
        lines = [(p, ERROR_COLOR) for p in report.problems] + [
            (m, _WARN) for m in report.warnings]
        if report.is_caption and report.ok and entry.data is not None:
            snippet = entry.data.decode("utf-8", "replace").strip()
            lines.append((f"caption: {snippet[:80]}{'...' if len(snippet) > 80 else ''}",
                          "var(--jp-ui-font-color2,#666)"))
        card.message.value = "<br>".join(
            f'<span style="color:{color};font-size:smaller">'
            f"{html.escape(text.removeprefix(prefix))}</span>" for text, color in lines)
        card.box.layout.border = (
            f"2px solid {ERROR_COLOR}" if not report.ok
            else "1px solid var(--jp-border-color2,#ddd)")

    def _refresh(self) -> None:
        """Derive the grid, the count and the errors area from the set."""
        entries = self.images.entries
        self._grid.children = [self._cards[e].box for e in entries if e in self._cards]
        ok, captions, rejected = self.images.counts()
        text = f"<b>{ok}</b> image{'s' if ok != 1 else ''} ready"
        if captions:
            text += f" with <b>{captions}</b> caption{'s' if captions != 1 else ''}"
        if rejected:
            text += f", <b>{rejected}</b> rejected"
        self._count_label.value = text
        self._clear_button.disabled = not entries
        self.check_button.disabled = not ok
        problems = self.images.errors
        self._errors.value = "" if not problems else (
            f'<ul style="color:{ERROR_COLOR};margin:2px 0">'
            + "".join(f"<li>{html.escape(p)}</li>" for p in problems) + "</ul>")
        self.count = ok
        self.version += 1
