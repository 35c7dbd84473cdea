"""``ImageSet``: the training images a picker holds, their checks and the inspector's verdicts.

The model behind the ``ImagePicker`` (no widgets): files come in through the one reader
(:func:`~astria_widgets.client.uploads.read_inputs`), each gets an
:class:`~astria_widgets.imaging.checks.ImageReport` (per image, then the set-level checks:
duplicates, too many, orphan captions), and what would be sent is :attr:`ImageSet.accepted`
(converted when a check warned of CMYK, 16-bit, alpha or animation). *Check with Astria*
(:meth:`ImageSet.start_check`) asks the inspector about every photo in a background thread
(:func:`~astria_widgets.client.inspect.inspect_images`) and keeps each verdict on its entry;
:meth:`ImageSet.characteristics` are the values found in most photos.

Rejected files stay in the set with their reason until removed: nothing picked is dropped
silently. The entries are shared with worker threads under one lock; a view renders them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astria_widgets.client.background import in_background
from astria_widgets.client.inspect import Inspection, inspect_images, majority_characteristics
from astria_widgets.client.uploads import read_inputs
from astria_widgets.imaging import (
    ImageReport,
    apply_set_checks,
    blocked_report,
    format_size,
    inspect_image,
    prepare_for_upload,
    size_problem,
)

if TYPE_CHECKING:
    from astria_widgets.client.api import AstriaClient

__all__ = ["ImageEntry", "ImageSet"]


@dataclass(eq=False)
class ImageEntry:
    """One picked file: its bytes stay in Python (never in widget state).

    ``base`` is the per-image verdict, ``report`` the same with the set-level problems on top;
    ``inspection`` the inspector's verdict once checked.
    """

    name: str
    data: bytes | None = field(repr=False)
    base: ImageReport
    report: ImageReport
    prepared: bytes | None = field(default=None, repr=False)
    inspection: Inspection | None = None

    @property
    def photo(self) -> bool:
        """True for an accepted picture (not a caption): what the inspector is asked about."""
        return self.report.ok and self.data is not None and not self.report.is_caption


@dataclass(frozen=True)
class Added:
    """What :meth:`ImageSet.add` did: the new entries (in order) and one line saying so."""

    entries: list[ImageEntry]
    summary: str


class ImageSet:
    """The picked files (see the module docstring). Thread-safe."""

    def __init__(self) -> None:
        self._entries: list[ImageEntry] = []
        self._lock = threading.RLock()
        self._check: Future[list[Inspection]] | None = None

    # -- reading -------------------------------------------------------------------------------
    @property
    def entries(self) -> list[ImageEntry]:
        """Every picked file (rejected ones too), in order."""
        with self._lock:
            return list(self._entries)

    @property
    def reports(self) -> list[ImageReport]:
        """The report of every picked file, in order."""
        return [e.report for e in self.entries]

    @property
    def errors(self) -> list[str]:
        """Every blocking problem, each naming its file."""
        return [problem for e in self.entries for problem in e.report.problems]

    @property
    def warnings(self) -> list[str]:
        """Every warning (a conversion, a small picture...), each naming its file."""
        return [message for e in self.entries for message in e.report.warnings]

    def counts(self) -> tuple[int, int, int]:
        """``(images ready, captions ready, rejected files)``."""
        entries = self.entries
        ok = sum(1 for e in entries if e.report.ok and not e.report.is_caption)
        captions = sum(1 for e in entries if e.report.ok and e.report.is_caption)
        return ok, captions, sum(1 for e in entries if not e.report.ok)

    @property
    def count(self) -> int:
        """How many images would be sent (ok ones, captions not counted)."""
        return self.counts()[0]

    @property
    def accepted(self) -> list[tuple[str, bytes]]:
        """``(name, bytes)`` of every ok file, in order: what would be sent.

        CMYK, 16-bit, transparent and animated images are converted (see the warnings);
        every other file is sent byte for byte.
        """
        out = []
        for entry in self.entries:
            if entry.report.ok and entry.data is not None:
                if entry.prepared is None:
                    entry.prepared = (prepare_for_upload(entry.data) if entry.base.warnings
                                      else entry.data)
                out.append((entry.name, entry.prepared))
        return out

    def named(self, name: str) -> ImageEntry:
        """The entry called ``name``; ``KeyError`` naming the picked files if there is none."""
        found = next((e for e in self.entries if e.name == name), None)
        if found is None:
            known = ", ".join(e.name for e in self.entries) or "nothing"
            raise KeyError(f"no picked image is called {name!r} (picked: {known})")
        return found

    def characteristics(self) -> dict[str, str]:
        """Values the inspector found in most photos (``{}`` before a check)."""
        found = [e.inspection for e in self.entries if e.inspection is not None]
        return majority_characteristics(found) if found else {}

    # -- changing ------------------------------------------------------------------------------
    def add(self, items: Any) -> Added:
        """Read and check ``items`` (anything :func:`~.uploads.read_inputs` takes) and add
        them; unreadable inputs are added as rejected entries, never raised."""
        files, folders = read_inputs(items)
        new: list[ImageEntry] = []
        with self._lock:
            for file in files:
                name = self._unique_name(file.name, new)
                if file.problem is not None or file.data is None:
                    base = blocked_report(name, file.problem or f"{name}: not read")
                    entry = ImageEntry(name, None, base, base)
                else:
                    base = inspect_image(file.data, name)
                    entry = ImageEntry(name, file.data, base, base)
                new.append(entry)
            self._entries.extend(new)
            self.recheck()
        added = sum(1 for e in new if e.report.ok)
        parts = [f"Added {added} of {len(new)} file{'s' if len(new) != 1 else ''}."
                 if new else "Nothing added."] + [folder.note for folder in folders]
        return Added(new, " ".join(parts))

    def add_rejected(self, name: str, size: int, reason: str) -> ImageEntry:
        """Add a file the browser could not send (``reason`` ``"too-large"`` or another)."""
        problem = (size_problem(name, size) if reason == "too-large" else None) or (
            f"{name}: the upload from the browser failed ({format_size(size)}); try again")
        with self._lock:
            entry_name = self._unique_name(name, [])
            base = blocked_report(entry_name, problem.replace(name, entry_name, 1), size=size)
            entry = ImageEntry(entry_name, None, base, base)
            self._entries.append(entry)
            self.recheck()
        return entry

    def remove(self, entries: Iterable[ImageEntry]) -> list[ImageEntry]:
        """Remove ``entries`` (their bytes are let go); return those that were in the set."""
        with self._lock:
            gone = [e for e in entries if e in self._entries]
            self._entries = [e for e in self._entries if e not in gone]
            for entry in gone:
                entry.data = entry.prepared = None
            self.recheck()
        return gone

    def recheck(self) -> list[ImageEntry]:
        """Re-apply the set-level checks (duplicates, too many) to the per-image reports;
        return the entries whose report changed."""
        with self._lock:
            reports = apply_set_checks([e.base for e in self._entries])
            changed = []
            for entry, report in zip(self._entries, reports, strict=True):
                if report != entry.report:
                    entry.report = report
                    entry.prepared = None
                    changed.append(entry)
            return changed

    def _unique_name(self, name: str, pending: list[ImageEntry]) -> str:
        taken = {e.name for e in self._entries} | {e.name for e in pending}
        if name not in taken:
            return name
        stem, suffix = os.path.splitext(name)
        n = 2
        while f"{stem} ({n}){suffix}" in taken:
            n += 1
        return f"{stem} ({n}){suffix}"

    # -- the inspector -------------------------------------------------------------------------
    def check_problem(self, class_name: str) -> str | None:
        """Why the photos cannot be checked now (``None`` when they can)."""
        if not class_name.strip():
            return ("Set the class name (man, woman, dog...) before checking: the inspector "
                    "compares photos with it.")
        if not any(e.photo for e in self.entries):
            return "No photo to check: add some first."
        return None

    def start_check(self, client: AstriaClient | Callable[[], AstriaClient], class_name: str,
                    *, on_result: Callable[[ImageEntry, Inspection], Any] | None = None,
                    on_done: Callable[[list[Inspection]], Any] | None = None,
                    ) -> Future[list[Inspection]]:
        """Ask Astria's inspector about every accepted photo, in a background thread.

        Returns the ``Future`` of the verdicts at once (``ValueError`` with
        :meth:`check_problem`'s reason when nothing can be checked). ``client`` may be a
        callable giving the client (``connect`` runs in the thread, not the caller's).
        ``on_result(entry, verdict)`` runs in a worker thread as each photo's answer arrives,
        ``on_done(verdicts)`` before the future resolves.
        """
        problem = self.check_problem(class_name)
        if problem is not None:
            raise ValueError(problem)
        photos = [e for e in self.entries if e.photo]
        by_name = {e.name: e for e in photos}
        name = class_name.strip()

        def one(result: Inspection) -> None:
            entry = by_name.get(result.image)
            if entry is not None:
                entry.inspection = result
                if on_result is not None:
                    on_result(entry, result)

        def run() -> list[Inspection]:
            resolved = client() if callable(client) else client
            results = inspect_images(resolved, [(e.name, e.data or b"") for e in photos], name,
                                     on_result=one)
            if on_done is not None:
                on_done(results)
            return results

        future = self._check = in_background(run, "astria-inspect-run")
        return future

    @property
    def check_future(self) -> Future[list[Inspection]] | None:
        """The running or last check."""
        return self._check
