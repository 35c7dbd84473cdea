"""``SubmitHandle``: what ``TuneForm.submit()`` returns, a thin view of one submission.

The submission is the form model's :class:`~astria_widgets.client.watch.TuneWatch` (it creates
the tune, then follows it); the handle adds the ``TuneProgress`` that renders it.
"""

from __future__ import annotations

from typing import Any

from astria_widgets.client.watch import TuneWatch
from astria_widgets.widgets.progress import TuneProgress

__all__ = ["SubmitHandle"]


class SubmitHandle:
    """Follows one submission: the upload, then the tune and its prompts.

    A thin view over the submission's :class:`~astria_widgets.client.watch.TuneWatch`
    (``.watch``), rendered by ``.progress`` (a ``TuneProgress``). ``status`` is
    ``submitting``/``uploading`` until the tune exists, then the tune's status (``queued``,
    ``training``, ``trained``, ``failed``, ``expired``), or ``error`` when the submission was
    refused. ``wait(timeout)`` blocks until everything settled and returns the final tune
    record (re-raising the error that refused the submission, if any).
    """

    def __init__(self, title: str, watch: TuneWatch, progress: TuneProgress) -> None:
        self.title = title
        self.watch = watch
        self.progress = progress

    @property
    def status(self) -> str:
        """The current state, as described in the class docstring."""
        status = self.watch.status
        return "submitting" if status == "waiting" else status

    @property
    def tune(self) -> dict[str, Any] | None:
        """The last tune record seen (``None`` until the tune exists)."""
        return self.watch.tune

    @property
    def prompts(self) -> list[dict[str, Any]]:
        """The last record seen of each of the tune's prompts."""
        return self.watch.prompts

    @property
    def error(self) -> BaseException | None:
        """What refused the submission or ended the watch early, if anything."""
        return self.watch.error

    @property
    def submitting(self) -> bool:
        """True until the tune was created (or the creation failed)."""
        return self.watch.tune is None and self.watch.error is None and not self.watch.done

    @property
    def done(self) -> bool:
        """True once the watch finished (settled, stopped, or failed)."""
        return self.watch.done

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the tune and its prompts settled; return the final tune record."""
        return self.watch.wait(timeout)

    def stop(self) -> None:
        """Stop watching; the tune goes on in the service."""
        self.watch.stop()

    def __repr__(self) -> str:
        tune = self.tune
        tune_id = tune.get("id") if tune else None
        return f"SubmitHandle(title={self.title!r}, status={self.status!r}, tune={tune_id})"
