"""Where a frame's records come from: a list, a client, a ``TuneHistory`` or ``connect()``.

Duck-typed so that importing the frames needs neither the HTTP client nor SQLite: an object
with ``records()`` is a history, one with ``iter_tunes``/``iter_prompts`` a client.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _default_client() -> Any:
    from astria_widgets.connect import connect

    return connect()


def tune_records(source: Any) -> Iterable[Any]:
    """Tune records of ``source`` (list, ``AstriaClient``, ``TuneHistory`` or None)."""
    if source is None:
        source = _default_client()
    if hasattr(source, "records") and callable(source.records):
        return source.records()
    if hasattr(source, "iter_tunes"):
        return list(source.iter_tunes())
    if isinstance(source, (str, bytes, dict)) or not isinstance(source, Iterable):
        raise TypeError(
            "source must be a list of tune records, an AstriaClient, a TuneHistory or None, "
            f"not {type(source).__name__}"
        )
    return source


def prompt_records(source: Any) -> Iterable[Any]:
    """Prompt records of ``source`` (list, ``AstriaClient``, ``TuneHistory`` or None)."""
    if source is None:
        source = _default_client()
    if hasattr(source, "prompt_records") and callable(source.prompt_records):
        return source.prompt_records()
    if hasattr(source, "iter_prompts"):
        return list(source.iter_prompts())
    if isinstance(source, (str, bytes, dict)) or not isinstance(source, Iterable):
        raise TypeError(
            "source must be a list of prompt records, an AstriaClient, a TuneHistory or None, "
            f"not {type(source).__name__}"
        )
    return source
