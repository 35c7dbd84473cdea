"""Lazy module exports: a package's public names are imported on first access (PEP 562).

Used by ``astria_widgets`` and ``astria_widgets.widgets`` so that importing the package stays
cheap. (The sandbox keeps its own copy: it imports nothing from the rest of the package.)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    module_globals: dict[str, Any], table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` of a module whose ``table`` names (name -> module) load lazily.

    The first access imports the named module, caches the value in ``module_globals`` (so later
    lookups are plain attribute hits) and returns it; an unknown name is an ``AttributeError``.
    """
    package = module_globals["__name__"]

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        module_globals[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(module_globals) | set(table))

    return __getattr__, __dir__
