"""Where a frame's records come from: a list, a client, a ``TuneHistory`` or ``connect()``.

Duck-typed, so the frames name neither the client class nor SQLite: an object with
``records()`` / ``prompt_records()`` is a history, one with ``iter_tunes()`` /
``iter_prompts()`` a client.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def tune_records(source: Any) -> Iterable[Any]:
    """Tune records of ``source`` (list, ``AstriaClient``, ``TuneHistory`` or None)."""
    return _records(source, "tune", stored="records", fetched="iter_tunes")


def prompt_records(source: Any) -> Iterable[Any]:
    """Prompt records of ``source`` (list, ``AstriaClient``, ``TuneHistory`` or None)."""
    return _records(source, "prompt", stored="prompt_records", fetched="iter_prompts")


def _records(source: Any, kind: str, *, stored: str, fetched: str) -> Iterable[Any]:
    if source is None:
        from astria_widgets.connect import connect

        source = connect()
    if callable(getattr(source, stored, None)):
        return getattr(source, stored)()
    if hasattr(source, fetched):
        return list(getattr(source, fetched)())
    if isinstance(source, (str, bytes, dict)) or not isinstance(source, Iterable):
        raise TypeError(
            f"source must be a list of {kind} records, an AstriaClient, a TuneHistory or None, "
            f"not {type(source).__name__}"
        )
    return source


def tune_and_prompt_records(source: Any) -> tuple[list[Any], list[Any]]:
    """``(tunes, prompts)`` of ``source``: a history's or a client's two kinds, or one list
    holding both (a record with a ``tune_id`` key is a prompt, any other a tune)."""
    if source is None:
        from astria_widgets.connect import connect

        source = connect()
    if callable(getattr(source, "records", None)) or hasattr(source, "iter_tunes"):
        return list(tune_records(source)), list(prompt_records(source))
    records = list(_records(source, "tune or prompt", stored="records", fetched="iter_tunes"))
    prompts = [r for r in records if isinstance(r, dict) and "tune_id" in r]
    tunes = [r for r in records if not (isinstance(r, dict) and "tune_id" in r)]
    return tunes, prompts
