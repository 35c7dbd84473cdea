"""Turn whatever the user hands the TuneBrowser into a tunes DataFrame and (maybe) a client.

Accepted sources: ``None`` (``connect()``), an ``AstriaClient``, a ``TuneHistory``, a DataFrame
from ``tunes_dataframe``, or a list of tune records. Frames come from ``tunes_dataframe`` only;
nothing here talks HTTP itself (a client source is paged through ``client.iter_tunes()``).

Two steps, so that the browser can run the slow one in a worker thread:
:func:`resolve_source` (fast: type checks, ``connect()``, which client lends images) and
:func:`frame_of` (the frame; for a client source one request per 120 tunes, with progress).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

SOURCE_KINDS = "a list of tune records, an AstriaClient, a TuneHistory, a DataFrame, or None"
PROGRESS_EVERY = 120
"""A client source reports progress once per this many tunes (one API page)."""


def resolve_source(source: Any, client: AstriaClient | None) -> tuple[Any, AstriaClient | None]:
    """``(source, client)``: the source to load (and reload) from, and the client for images.

    ``None`` resolves to ``connect()``'s client. A client source is its own client; a
    ``TuneHistory`` lends the client it was created with unless ``client`` is given. Lists and
    DataFrames have no client unless ``client`` is given. Raises ``TypeError`` for anything else.
    """
    if isinstance(source, pd.DataFrame):
        return source, client
    if source is None:
        from astria_widgets.connect import connect

        source = client if client is not None else connect()
    if isinstance(source, (str, bytes, Mapping)):
        raise TypeError(f"TuneBrowser source must be {SOURCE_KINDS}; got {type(source).__name__}")
    if isinstance(source, (list, tuple)):
        records = list(source)
        _check_records(records)
        return records, client

    from astria_widgets.client import AstriaClient

    if isinstance(source, AstriaClient):
        return source, client if client is not None else source

    from astria_widgets.history import TuneHistory

    if isinstance(source, TuneHistory):
        # Only a client the history was given: its ``client`` property would call connect()
        # (maybe starting a sandbox) just to browse stored records.
        return source, client if client is not None else source.attached_client
    if isinstance(source, Iterable):
        records = list(source)
        _check_records(records)
        return records, client
    raise TypeError(f"TuneBrowser source must be {SOURCE_KINDS}; got {type(source).__name__}")


def is_remote(source: Any) -> bool:
    """True when loading ``source`` means paging through the API (an ``AstriaClient``)."""
    from astria_widgets.client import AstriaClient

    return isinstance(source, AstriaClient)


def frame_of(source: Any, *, on_progress: Callable[[int], Any] | None = None,
             stop: threading.Event | None = None) -> pd.DataFrame | None:
    """The tunes frame of a resolved source (a DataFrame is returned as it is).

    For a client source, ``on_progress(n)`` is called with the number of tunes fetched so far
    after every page; when ``stop`` is set the fetch ends early and ``None`` is returned.
    """
    if isinstance(source, pd.DataFrame):
        return source
    from astria_widgets.frames import tunes_dataframe

    if not is_remote(source):
        return tunes_dataframe(source)
    records: list[dict[str, Any]] = []
    for record in source.iter_tunes():
        if stop is not None and stop.is_set():
            return None
        records.append(record)
        if on_progress is not None and len(records) % PROGRESS_EVERY == 0:
            on_progress(len(records))
    if stop is not None and stop.is_set():
        return None
    if on_progress is not None:
        on_progress(len(records))
    return tunes_dataframe(records)


def _check_records(records: list[Any]) -> None:
    bad = [i for i, r in enumerate(records) if not isinstance(r, Mapping)]
    if bad:
        raise TypeError(f"TuneBrowser records must be dicts (tune JSON); item {bad[0]} is "
                        f"{type(records[bad[0]]).__name__}")
