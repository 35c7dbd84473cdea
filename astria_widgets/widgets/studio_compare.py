"""The studio's comparison and history parts: "Compare with", reopening a run, recorded likes.

:class:`StudioCompare` is a mixin of :class:`~astria_widgets.widgets.studio.PromptStudio`: with
tunes picked in "Compare with", Submit runs a comparison
(:func:`~astria_widgets.widgets.compare.start_compare`: the studio's tune and the picked ones,
the seeds of a seed sweep as rows) shown in ``compare_box``; :meth:`StudioCompare.open_run`
rebuilds a recorded grid from the history only; a like given in the sweep grid is written to
the history's record of the prompt, so a reopened sweep shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from astria_widgets.client.errors import InputError
from astria_widgets.widgets.compare import CompareView, start_compare
from astria_widgets.widgets.formatting import errors_html

if TYPE_CHECKING:
    from astria_widgets.client.compare import CompareRun
    from astria_widgets.history import TuneHistory

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


class StudioCompare:
    """The mixin (see the module docstring); the studio holds the widgets it uses
    (``compare_with``, ``compare_box``, ``message``), ``model`` and ``history``."""

    model: Any
    history: Any
    compare_with: Any
    compare_box: Any
    message: Any
    comparison: CompareView | None
    _opened_history: Any

    def recording_history(self) -> TuneHistory | None:
        """The history the studio records in: the one given (a path is opened once), or
        ``None`` for the account's default (the recorder's choice)."""
        if self.history is None:
            return None
        if self._opened_history is None:
            from astria_widgets.history.runs_frame import history_of

            self._opened_history = history_of(self.history)
        return self._opened_history  # type: ignore[no-any-return]

    def record_like(self, prompt_id: int) -> None:
        """Mark a prompt liked in the history (after the like was sent; never raises)."""
        try:
            history = self.recording_history()
            if history is None:
                from astria_widgets.history.paths import default_history

                history = default_history(self.model.resolve_client())
            history.runs.set_liked(prompt_id, True)
        except Exception:  # noqa: BLE001 - the like was sent; only its record is missing
            logger.warning("could not record the like of prompt %s", prompt_id, exc_info=True)

    def _set_compare_options(self) -> None:
        """The other tunes a comparison can add (the picked ones kept)."""
        chosen = self.model.tune
        kept = tuple(self.compare_with.value)
        others = [o for o in self.model.options() if chosen is None or o[1] != int(chosen["id"])]
        self.compare_with.options = others
        self.compare_with.value = tuple(v for v in kept if v in {o[1] for o in others})

    def _submit_compare(self, text: str, values: Mapping[str, Any],
                        sweep: Mapping[str, Any]) -> CompareRun:
        """Submit as a comparison: the tune and those picked in "Compare with", the seeds of
        the seed sweep (else the seed field); returns the running CompareRun. Raises
        :class:`InputError` (shown in ``message`` too) before anything is sent."""
        known = {int(t["id"]): t for t in (*self.model.own, *self.model.gallery)}
        tunes = [self.model.tune, *(known[i] for i in self.compare_with.value if i in known)]
        params = {k: v for k, v in values.items() if k != "seed"}
        seed = values.get("seed")
        seeds = list(sweep.get("seed") or ([seed] if seed is not None else [])) or None
        try:
            view = start_compare(self.model.resolve_client(), tunes, [text], seeds,
                                 history=self.recording_history(), **params)
        except InputError as exc:
            self.message.value = errors_html(exc.problems)
            raise
        self.comparison = view
        self.compare_box.children = (view,)
        return view.run

    @staticmethod
    def open_run(run_id: str, history: Any = None) -> CompareView:
        """A recorded comparison (or sweep grid) rebuilt from the history only: labels,
        likes, costs and thumbnails, no request (works in a fresh kernel). ``history``: a
        ``TuneHistory`` or a history file path (default: the account's)."""
        return CompareView.open_run(run_id, history)
