"""``StaticFallback``: a result widget's output also carries a static HTML copy, kept current.

A widget output is one ``display_data`` holding the widget view; where no widget manager runs
(GitHub, nbviewer, ``nbconvert --to html``, VS Code after a reload) the view cannot render and
the reader sees a ``repr`` line. A widget class that mixes in :class:`StaticFallback` (before
its ipywidgets base) adds a ``text/html`` entry to that bundle, made by
:mod:`astria_widgets.widgets.fallback_html` from the widget's model (``static_sections()``).
nbconvert and the others pick it when no widget state is saved (the default); a live front end
shows the view and ignores it.

The bundle is captured when the output is displayed, so the widget is displayed with a
``display_id`` (``_ipython_display_``; every display of one widget shares it) and a later
change is sent as ``update_display_data`` carrying a fresh ``text/html``
(:meth:`StaticFallback.refresh_static`); the ``text/plain`` repr and the view stay as
displayed. Sends are throttled to one per ``static_interval`` seconds, the last change always
sent (a trailing timer); ``now=True`` sends at once, before the model's ``wait()`` returns, so
a notebook executed by nbclient saves the final state. Updates go only to a kernel's front end
(a terminal IPython would print each one); a widget never displayed sends nothing; the
models' threads call in, sends are serialised and never raise into the caller.

**When copies update.** JupyterLab answers an ``update_display_data`` by rendering the output
again, which builds a new widget view (the text field being typed in loses focus, the scroll
position goes, and the old view lingers detached). So the widgets ask for an update only when
background work ends, not at every change: a studio run or a watched tune when it is done,
the tune form when its submission's watch is done, the pack picker when an order is placed,
the browser when its tunes are in (``static_traits`` names traits whose changes update the
copy), a standalone gallery at most every few seconds. The copy shows the whole current state
each time; ``refresh_static(now=True)`` saves it on demand.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from astria_widgets.widgets.fallback_html import (
    MAX_FALLBACK_BYTES,
    Section,
    render,
    render_text_only,
)

__all__ = ["StaticDisplay", "StaticFallback"]
logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())
_CREATE_LOCK = threading.Lock()
Bundle = dict[str, Any]


def _in_kernel() -> bool:
    """True when displays go to a front end that applies updates (not a terminal's printer)."""
    try:
        from IPython.core.displaypub import DisplayPublisher
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:  # pragma: no cover - IPython ships with ipywidgets
        return False
    if not InteractiveShell.initialized():
        return False
    return type(InteractiveShell.instance().display_pub) is not DisplayPublisher


class StaticDisplay:
    """One widget's display id, the bundle last sent, and the throttled updates.

    ``bundle()`` makes the current bundle. :meth:`show` displays it with the id;
    :meth:`changed` sends an update (throttled to one per ``interval`` seconds, the last one
    always sent; ``now=True`` sends at once). ``updates`` counts the updates sent.
    """

    def __init__(self, bundle: Callable[[], Bundle], interval: float = 1.0) -> None:
        self.display_id = f"astria-{uuid.uuid4().hex}"
        self.interval = interval
        self.updates = 0
        self._bundle = bundle
        self._lock = threading.Lock()  # the timer and the times
        self._send_lock = threading.RLock()  # one bundle made and sent at a time, in order
        self._timer: threading.Timer | None = None
        self._sent_at = 0.0
        self._last: Bundle | None = None
        self._shown = False

    @property
    def shown(self) -> bool:
        """True once displayed (updates are sent from then on)."""
        return self._shown

    def show(self) -> None:
        """Display the current bundle with this display id."""
        from IPython.display import display

        with self._send_lock:
            bundle = self._bundle()
            display(bundle, raw=True, display_id=self.display_id)
            self._last = bundle
            self._sent_at = time.monotonic()
            self._shown = True

    def changed(self, now: bool = False) -> None:
        """The model changed: send an update now, or when ``interval`` has passed."""
        if not self._shown:
            return
        with self._lock:
            if now:
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
            elif self._timer is not None:
                return  # the pending update will carry this change too
            else:
                wait = self.interval - (time.monotonic() - self._sent_at)
                if wait > 0:
                    self._timer = threading.Timer(wait, self._on_timer)
                    self._timer.daemon = True
                    self._timer.start()
                    return
        self.send()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
        self.send()

    def send(self) -> None:
        """Send the current static copy as ``update_display_data`` unless it is unchanged.

        Only ``text/html`` changes: the update repeats the bundle as displayed otherwise, so
        the ``text/plain`` repr stays the one shown at display time, as for any widget (nbval
        compares it).
        """
        if not _in_kernel():
            return
        from IPython.display import update_display

        try:
            with self._send_lock:
                fresh = self._bundle().get("text/html", "")
                self._sent_at = time.monotonic()
                if self._last is None or fresh == self._last.get("text/html"):
                    return
                bundle = {**self._last, "text/html": fresh}
                update_display(bundle, display_id=self.display_id, raw=True)
                self._last = bundle
                self.updates += 1
        except Exception:  # noqa: BLE001 - a copy for saved notebooks never breaks a run
            logger.exception("updating the static copy of a widget failed")

    def cancel(self) -> None:
        """Drop a pending update."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None


class StaticFallback:
    """Mixin for a result widget: ``text/html`` of its results in its display bundle.

    A subclass implements :meth:`static_sections` (its model as
    :class:`~astria_widgets.widgets.fallback_html.Section` values) and calls
    :meth:`refresh_static` when its background work ends (see "When copies update" in the
    module docstring), or names traits in ``static_traits``. ``static_kind`` names it in the
    HTML; ``static_interval`` is the update throttle.
    """

    static_kind: ClassVar[str] = "widget"
    static_traits: ClassVar[tuple[str, ...]] = ()
    static_interval: ClassVar[float] = 1.0

    def static_sections(self) -> list[Section]:
        """What the static copy shows (override)."""
        raise NotImplementedError

    def static_html(self) -> str:
        """The static copy: one HTML fragment within ``MAX_FALLBACK_BYTES``."""
        try:
            sections = self.static_sections()
            page = render(sections, kind=self.static_kind)
        except Exception:  # noqa: BLE001 - the view must still display
            logger.exception("rendering the static copy of %s failed", type(self).__name__)
            return render_text_only([Section(title=repr(self)[:200])], kind=self.static_kind)
        if len(page) > MAX_FALLBACK_BYTES:  # render keeps it under; never trust, cut the tiles
            page = render_text_only(sections, kind=self.static_kind)
        return page

    @property
    def static_display(self) -> StaticDisplay:
        """This widget's display id and update state (made on first use)."""
        found = self.__dict__.get("_static_display")
        if found is None:
            with _CREATE_LOCK:
                found = self.__dict__.get("_static_display")
                if found is None:
                    found = StaticDisplay(self._static_bundle, self.static_interval)
                    self.__dict__["_static_display"] = found
        return found

    def refresh_static(self, *, now: bool = False) -> None:
        """The results changed: update every displayed output (throttled; ``now`` sends at
        once, for the final state). Does nothing before the widget is displayed."""
        found = self.__dict__.get("_static_display")
        if found is not None:
            found.changed(now=now)

    def _repr_mimebundle_(self, **kwargs: Any) -> Bundle:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        bundle = dict(bundle or {"text/plain": repr(self)})
        bundle["text/html"] = self.static_html()
        return bundle

    def _static_bundle(self) -> Bundle:
        method = getattr(self, "_repr_mimebundle_", None)  # None once the widget is closed
        if callable(method):
            return method()
        return {"text/plain": repr(self), "text/html": self.static_html()}

    def _ipython_display_(self) -> None:
        """Display the bundle with this widget's display id (so updates can reach it)."""
        display = self.static_display
        self._follow_static_traits()
        display.show()

    def _follow_static_traits(self) -> None:
        if not self.static_traits or self.__dict__.get("_static_following"):
            return
        self.__dict__["_static_following"] = True
        self.observe(lambda _change: self.refresh_static(),  # type: ignore[attr-defined]
                     names=list(self.static_traits))
