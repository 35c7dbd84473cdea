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
