"""Lazy module exports: a package's public names are imported on first access (PEP 562).

Used by ``astria_widgets`` and ``astria_widgets.widgets`` so that importing the package stays
cheap. (The sandbox keeps its own copy: it imports nothing from the rest of the package.)

An export may share its name with a submodule (``astria_widgets.connect`` the function and
``astria_widgets/connect.py``; ``astria_widgets.widgets.compare`` and ``widgets/compare.py``).
Python's import system binds a submodule on its package once it is imported, which would
replace the export (``from astria_widgets import connect`` then gives the module, or not,
depending on what was imported first). The package's name is therefore always the export:
the submodule is never bound over it and stays reachable as every module is, through
``sys.modules`` (``importlib.import_module("astria_widgets.connect")``,
``from astria_widgets.connect import ...``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def lazy_exports(
    module_globals: dict[str, Any], table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` of a module whose ``table`` names (name -> module) load lazily.

    The first access imports the named module, caches the value in ``module_globals`` (so later
    lookups are plain attribute hits) and returns it; an unknown name is an ``AttributeError``.
    A submodule named like an export never replaces it (see the module docstring).
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

    keep_exports(package, table)
    return __getattr__, __dir__


def keep_exports(package: str, names: Mapping[str, str] | set[str]) -> None:
    """Make ``package`` (when imported) refuse to bind a submodule over an export of the same
    name: the export keeps its name whatever was imported first."""
    module = sys.modules.get(package)
    if module is None or type(module) is not ModuleType:
        return
    exported = frozenset(names)
    for name in exported:  # a submodule bound before the exports were declared
        bound = module.__dict__.get(name)
        if isinstance(bound, ModuleType) and bound.__name__ == f"{package}.{name}":
            del module.__dict__[name]

    class ExportingPackage(ModuleType):
        """A package whose exports are never replaced by the submodules of the same name."""

        def __setattr__(self, name: str, value: Any) -> None:
            if name in exported and isinstance(value, ModuleType) and \
                    value.__name__ == f"{self.__name__}.{name}":
                return  # reachable through sys.modules; the name stays the export
            super().__setattr__(name, value)

    module.__class__ = ExportingPackage
