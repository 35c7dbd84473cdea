"""The TuneBrowser's detail pane: one tune's fields, training-image thumbnails, prompts.

Fields show at once from the DataFrame row. Images and prompts come through the client
(``fetch_bytes``, ``list_prompts``) in a daemon worker thread that only sets widget traits: it
never prints or displays, so the kernel stays free and output never lands in another cell. A newer
selection makes an older worker's results stale; they are dropped, never shown.
"""

from __future__ import annotations

import functools
import html
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import traitlets

from astria_widgets.client.background import in_background
from astria_widgets.widgets import browser_render as render

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

NO_CLIENT_NOTE = ("Thumbnails and prompts need a client: "
                  "TuneBrowser(records, client=connect()).")


def image_urls(value: Any) -> list[str]:
    """The URLs of a list-like cell (``orig_images``/``images``); missing or empty -> ``[]``."""
    if isinstance(value, str) or render.is_missing(value) or not hasattr(value, "__iter__"):
        return []
    return [str(u) for u in value if isinstance(u, str) and u]


def close_tree(widget: widgets.Widget) -> None:
    """Close ``widget`` and, depth first, every widget inside it."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    widget.close()


class TuneDetail(widgets.VBox):
    """Detail pane for one tune; ``state`` is empty, fields, loading, ready or error.

    ``fields`` means only the fields are shown (no client, or nothing to fetch); ``ready`` means
    thumbnails and prompts finished loading (individual images may still have failed: see the note).
    """

    state = traitlets.Unicode("empty")
    tune_id = traitlets.Int(None, allow_none=True)

    def __init__(self, *, thumbnail_size: int = 128, max_images: int = 40,
                 max_prompts: int = 12, workers: int = 4) -> None:
        self.thumbnail_size = thumbnail_size
        self.max_images = max_images
        self.max_prompts = max_prompts
        self._workers = workers
        self._lock = threading.RLock()
        self._generation = 0
        self._done = threading.Event()
        self._done.set()
        self._pool: ThreadPoolExecutor | None = None
        self._client: AstriaClient | None = None
        self._thumbnail = functools.lru_cache(maxsize=512)(self._fetch_thumbnail)
        self._opening: Future[Any] | None = None  # "Generate with this tune" building a studio

        self._fields = widgets.HTML(render.note_html("Choose a tune to see its details."))
        self._fields.add_class("astria-browser-fields")
        self._note = widgets.HTML("")
        self._note.add_class("astria-browser-detail-note")
        self._training_title = widgets.HTML("")
        self._training_title.add_class("astria-browser-training-title")
        self._training = widgets.Box(layout=widgets.Layout(flex_flow="row wrap"))
        self._training.add_class("astria-browser-training")
        self._prompts_title = widgets.HTML("")
        self._prompts_title.add_class("astria-browser-prompts-title")
        self._prompts = widgets.VBox()
        self._prompts.add_class("astria-browser-prompts")
        self._prompt_images: dict[int, widgets.Box] = {}  # prompt id -> its images row
        self.generate_button = widgets.Button(description="Generate with this tune",
                                              icon="magic", disabled=True,
                                              layout=widgets.Layout(width="auto"))
        self.generate_button.add_class("astria-browser-generate")
        self.generate_button.on_click(lambda _b: self._on_generate_click())
        self.studio_box = widgets.VBox()
        self.studio_box.add_class("astria-browser-studio")
        super().__init__(
            children=[self._fields, self.generate_button, self._note, self._training_title,
                      self._training, self._prompts_title, self._prompts, self.studio_box],
            layout=widgets.Layout(flex="1 1 320px", min_width="300px", padding="0 0 0 12px"),
        )
        self.add_class("astria-browser-detail")

    # ------------------------------------------------------------------ public
    @property
    def fields_html(self) -> str:
        """The HTML of the field table currently shown."""
        return self._fields.value

    @property
    def note(self) -> str:
        """The HTML of the status note (loading, missing client, failed images...)."""
        return self._note.value

    @property
    def thumbnails(self) -> list[widgets.Image]:
        """The training-image thumbnails shown (in the tune's ``orig_images`` order)."""
        return [w for w in self._training.children if isinstance(w, widgets.Image)]

    @property
    def prompt_thumbnails(self) -> dict[int, list[widgets.Image]]:
        """Generated-image thumbnails shown, by prompt id (newest prompt first)."""
        with self._lock:
            rows = list(self._prompt_images.items())
        return {pid: [w for w in row.children if isinstance(w, widgets.Image)]
                for pid, row in rows}

    @property
    def studio(self) -> Any:
        """The ``PromptStudio`` opened by "Generate with this tune" (``None`` before)."""
        return self.studio_box.children[0] if self.studio_box.children else None

    def open_studio(self) -> Any:
        """Open a ``PromptStudio`` on the tune shown (below the details); return it.

        The studio loads the tune, your tunes and the balance in the background
        (``wait_loaded()``): the button returns at once.
        """
        from astria_widgets.widgets.studio import PromptStudio

        if self.tune_id is None or self._client is None:
            raise ValueError("no tune with a client is shown")
        studio = PromptStudio(client=self._client, tune=self.tune_id, background=True)
        old = self.studio_box.children
        self.studio_box.children = (studio,)
        for child in old:
            close_tree(child)
        return studio

    def _on_generate_click(self) -> None:
        """Build the studio in a worker thread (hundreds of widgets): the click returns."""

        def job() -> Any:
            try:
                return self.open_studio()
            except Exception as exc:  # noqa: BLE001 - shown, never a traceback
                self._note.value = render.note_html(f"Could not open the studio: {exc}")
                return None

        self._opening = in_background(job, "astria-open-studio")

    def wait_studio(self, timeout: float | None = None) -> Any:
        """The studio "Generate with this tune" opened, once it is built (``None`` if none
        was opened, or it could not be); ``TimeoutError`` when ``timeout`` runs out."""
        if self._opening is not None:
            self._opening.result(timeout)
        return self.studio

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current load finished; False if ``timeout`` ran out (scripts, tests)."""
        return self._done.wait(timeout)

    def clear(self) -> None:
        """Show nothing (no tune selected) and drop any load in flight."""
        with self._lock:
            self._generation += 1
            self._done.set()
            self.tune_id = None
            self.generate_button.disabled = True
            self._fields.value = render.note_html("Choose a tune to see its details.")
            self._reset_media()
            self.state = "empty"

    def show(self, tune_id: int, row: Mapping[str, Any], client: AstriaClient | None) -> None:
        """Show ``row``'s fields now and, with a client, load images and prompts in a worker.

        ``tune_id`` is read by the one id rule (``client.api.record_id``; ``InputError`` naming
        it, nothing changed).
        """
        from astria_widgets.client.api import record_id

        tune_id = record_id(tune_id, "tune_id")
        with self._lock:
            self._generation += 1
            generation = self._generation
            self.tune_id = tune_id
            self._fields.value = render.detail_html(tune_id, row)
            self._reset_media()
            self.generate_button.disabled = client is None or row.get("status") in (
                "failed", "expired")
            if client is None:
                self._note.value = render.note_html(NO_CLIENT_NOTE)
                self.state = "fields"
                self._done.set()
                return
            if client is not self._client:
                self._client = client
                self._thumbnail.cache_clear()
            urls = image_urls(row.get("orig_images"))
            self._note.value = render.note_html("Loading images and prompts…")
            self.state = "loading"
            self._done = done = threading.Event()
        worker = threading.Thread(
            target=self._load, args=(generation, tune_id, urls, client, done),
            name=f"astria-browser-detail-{tune_id}", daemon=True,
        )
        worker.start()

    def close(self) -> None:
        """Stop loading, release the download threads and close the child widgets."""
        with self._lock:
            self._generation += 1
            self._done.set()
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        for child in self.children:
            close_tree(child)
        super().close()

    # ------------------------------------------------------------------ worker side
    def _fetch_thumbnail(self, url: str) -> bytes:
        from astria_widgets.imaging.thumbnails import make_thumbnail

        assert self._client is not None
        return make_thumbnail(self._client.fetch_bytes(url), self.thumbnail_size)

    def _thumbnails(self, urls: Sequence[str]) -> list[bytes | BaseException]:
        def one(url: str) -> bytes | BaseException:
            try:
                return self._thumbnail(url)
            except Exception as exc:  # shown as a placeholder; the rest still load
                return exc

        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="astria-thumb")
            pool = self._pool
        return list(pool.map(one, urls))

    def _images_box(self, results: Sequence[bytes | BaseException], urls: Sequence[str],
                    failures: list[str]) -> list[widgets.Widget]:
        shown: list[widgets.Widget] = []
        size = f"{self.thumbnail_size}px"
        for url, result in zip(urls, results, strict=True):
            if isinstance(result, BaseException):
                failures.append(f"{type(result).__name__}: {result}")
                broken = widgets.HTML(
                    f'<div title="{html.escape(url)}" style="width:{size};height:{size};'
                    'display:flex;align-items:center;justify-content:center;'
                    'border:1px dashed #bbb;color:#999">image unavailable</div>')
                broken.add_class("astria-browser-thumb-missing")
                shown.append(broken)
            else:
                image = widgets.Image(value=result, format="jpeg",  # make_thumbnail's
                                      layout=widgets.Layout(margin="2px"))
                image.add_class("astria-browser-thumb")
                shown.append(image)
        return shown

    def _stale(self, generation: int) -> bool:
        return generation != self._generation

    def _load(self, generation: int, tune_id: int, urls: list[str], client: AstriaClient,
              done: threading.Event) -> None:
        failures: list[str] = []
        part = "training images"
        try:
            self._load_training(generation, urls, failures)
            if self._stale(generation):
                return
            part = "prompts"
            self._load_prompts(generation, tune_id, client, failures)
            with self._lock:
                if self._stale(generation):
                    return
                if failures:
                    first = failures[0]
                    self._note.value = render.note_html(
                        f"{len(failures)} image(s) could not be loaded ({first}).", error=True)
                else:
                    self._note.value = ""
                self.state = "ready"
        except Exception as exc:  # never a traceback in the notebook: say it in the pane
            with self._lock:
                if not self._stale(generation):
                    self._note.value = render.note_html(
                        f"Could not load the {part}: {type(exc).__name__}: {exc}",
                        error=True)
                    self.state = "error"
        finally:
            done.set()

    def _load_training(self, generation: int, urls: list[str], failures: list[str]) -> None:
        shown_urls = urls[: self.max_images]
        more = f", showing {len(shown_urls)}" if len(urls) > len(shown_urls) else ""
        with self._lock:
            if self._stale(generation):
                return
            self._training_title.value = (f"<b>Training images</b> ({len(urls)}{more})" if urls
                                          else "<b>Training images</b>: none stored")
        results = self._thumbnails(shown_urls)
        with self._lock:
            if not self._stale(generation):
                self._training.children = self._images_box(results, shown_urls, failures)

    def _load_prompts(self, generation: int, tune_id: int, client: AstriaClient,
                      failures: list[str]) -> None:
        from astria_widgets.client.status import prompt_status

        prompts = client.list_prompts(tune_id, limit=self.max_prompts)
        with self._lock:
            if self._stale(generation):
                return
            if not prompts:
                self._prompts_title.value = "<b>Prompts</b>: none"
                return
            newest = " (newest shown)" if len(prompts) >= self.max_prompts else ""
            self._prompts_title.value = f"<b>Prompts</b> ({len(prompts)}{newest})"
        boxes: list[widgets.Widget] = []
        rows: dict[int, widgets.Box] = {}
        for prompt in prompts:
            urls = image_urls(prompt.get("images"))[: self.max_images]
            results = self._thumbnails(urls)
            header = widgets.HTML(render.prompt_html(prompt, prompt_status(prompt)))
            images = widgets.Box(self._images_box(results, urls, failures),
                                 layout=widgets.Layout(flex_flow="row wrap"))
            box = widgets.VBox([header, images], layout=widgets.Layout(margin="4px 0"))
            box.add_class("astria-browser-prompt")
            boxes.append(box)
            rows[int(prompt["id"])] = images
            with self._lock:  # show each prompt as soon as its images are in
                if self._stale(generation):
                    for b in boxes:
                        close_tree(b)
                    return
                self._prompts.children = tuple(boxes)
                self._prompt_images = dict(rows)

    def _reset_media(self) -> None:
        old = (*self._training.children, *self._prompts.children)
        self._training.children = ()
        self._prompts.children = ()
        self._prompt_images = {}
        self._training_title.value = ""
        self._prompts_title.value = ""
        self._note.value = ""
        for widget in old:
            close_tree(widget)
