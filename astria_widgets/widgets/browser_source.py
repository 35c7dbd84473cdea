"""Turn whatever the user hands the TuneBrowser into a tunes DataFrame and (maybe) a client.

Accepted sources: ``None`` (``connect()``), an ``AstriaClient``, a ``TuneHistory``, a DataFrame
from ``tunes_dataframe``, or a list of tune records. Frames come from ``tunes_dataframe`` only;
nothing here talks HTTP itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from astria_widgets.client import AstriaClient

SOURCE_KINDS = "a list of tune records, an AstriaClient, a TuneHistory, a DataFrame, or None"


def load_source(source: Any, client: AstriaClient | None) -> tuple[pd.DataFrame, Any,
                                                                   AstriaClient | None]:
    """``(frame, source, client)``: the tunes frame, the source to reload from, the client to use.

    ``None`` resolves to ``connect()``'s client. A client source is its own client; a
    ``TuneHistory`` lends the client it was created with unless ``client`` is given. Lists and
    DataFrames have no client unless ``client`` is given.
    """
    if isinstance(source, pd.DataFrame):
        return source, source, client
    if source is None:
        from astria_widgets.connect import connect

        source = client if client is not None else connect()
    from astria_widgets.frames import tunes_dataframe

    if isinstance(source, (str, bytes, Mapping)):
        raise TypeError(f"TuneBrowser source must be {SOURCE_KINDS}; got {type(source).__name__}")
    if isinstance(source, (list, tuple)):
        records = list(source)
        _check_records(records)
        return tunes_dataframe(records), records, client

    from astria_widgets.client import AstriaClient

    if isinstance(source, AstriaClient):
        return tunes_dataframe(source), source, client if client is not None else source

    from astria_widgets.history import TuneHistory

    if isinstance(source, TuneHistory):
        # Only a client the history was given: its ``client`` property would call connect()
        # (maybe starting a sandbox) just to browse stored records.
        lent = client if client is not None else getattr(source, "_client", None)
        return tunes_dataframe(source), source, lent
    if isinstance(source, Iterable):
        records = list(source)
        _check_records(records)
        return tunes_dataframe(records), records, client
    raise TypeError(f"TuneBrowser source must be {SOURCE_KINDS}; got {type(source).__name__}")


def _check_records(records: list[Any]) -> None:
    bad = [i for i, r in enumerate(records) if not isinstance(r, Mapping)]
    if bad:
        raise TypeError(f"TuneBrowser records must be dicts (tune JSON); item {bad[0]} is "
                        f"{type(records[bad[0]]).__name__}")


def reload_frame(source: Any) -> pd.DataFrame:
    """A fresh frame from the source kept by :func:`load_source` (a DataFrame is returned as is)."""
    if isinstance(source, pd.DataFrame):
        return source
    from astria_widgets.frames import tunes_dataframe

    return tunes_dataframe(source)
