"""``astria_widgets`` and ``astria_widgets.widgets`` export their names lazily, by one helper."""

from __future__ import annotations

import subprocess
import sys

import pytest

import astria_widgets
import astria_widgets.widgets
from astria_widgets._lazy import lazy_exports


def test_lazy_exports_imports_on_first_use_and_caches():
    namespace = {"__name__": "demo"}
    getattr_, dir_ = lazy_exports(namespace, {"dumps": "json", "sqrt": "math"})
    assert "dumps" not in namespace
    import json

    assert getattr_("dumps") is json.dumps and namespace["dumps"] is json.dumps
    assert dir_() == ["__name__", "dumps", "sqrt"]
    with pytest.raises(AttributeError, match="module 'demo' has no attribute 'loads'"):
        getattr_("loads")


@pytest.mark.parametrize("package", [astria_widgets, astria_widgets.widgets])
def test_both_packages_use_it(package):
    assert package.__getattr__.__module__ == "astria_widgets._lazy"
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match=f"module '{package.__name__}' has no attribute"):
        package.NoSuchName  # noqa: B018


def test_importing_the_widgets_package_loads_no_widget_module():
    code = ("import sys, astria_widgets.widgets as w; "
            "print(sorted(m for m in sys.modules if m.startswith('astria_widgets.widgets.')"
            " or m == 'ipywidgets')); w.TuneForm; print('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"


@pytest.mark.parametrize("first", [
    "from astria_widgets.connect import temporary_sandbox",
    "import astria_widgets.connect",
    "from astria_widgets import PromptStudio",
    "from astria_widgets import resume",
    "import astria_widgets.widgets.compare",
    "import astria_widgets; astria_widgets.connect; astria_widgets.compare",
])
def test_an_export_named_like_a_submodule_is_the_export_whatever_came_first(first):
    """``connect`` and ``compare`` are functions (not their modules connect.py and
    widgets/compare.py) in any import order, and the modules stay reachable."""
    code = (f"{first}\nimport importlib, inspect, astria_widgets, astria_widgets.widgets\n"
            "from astria_widgets import compare, connect\n"
            "from astria_widgets.widgets import compare as widgets_compare\n"
            "print(inspect.isfunction(connect), inspect.isfunction(compare),\n"
            "      widgets_compare is compare, astria_widgets.widgets.compare is compare,\n"
            "      astria_widgets.connect is connect,\n"
            "      importlib.import_module('astria_widgets.connect').connect is connect,\n"
            "      importlib.import_module('astria_widgets.widgets.compare').compare is compare)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert out == ["True"] * 7


def test_a_test_order_never_changes_what_the_names_are():
    """In this process too, whatever earlier tests imported."""
    import importlib
    import inspect

    importlib.import_module("astria_widgets.connect")
    importlib.import_module("astria_widgets.widgets.compare")
    assert inspect.isfunction(astria_widgets.connect)
    assert inspect.isfunction(astria_widgets.compare)
    assert inspect.isfunction(astria_widgets.widgets.compare)
