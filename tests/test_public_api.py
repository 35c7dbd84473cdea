"""The package's public surface: documented and typed names, lazy imports, ``py.typed`` shipped.

Every module has a docstring. Every public function and class -- the names in
``astria_widgets.__all__``, in each subpackage's ``__all__``, and every function or class a
module defines without a leading underscore -- has a docstring and annotated parameters and
return; so do the public methods and properties of public classes (what a class inherits, say
from ipywidgets, is not checked).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import shutil
import subprocess
import sys
import types
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import astria_widgets

ROOT = Path(astria_widgets.__file__).resolve().parent
MODULE_NAMES = sorted(
    info.name
    for info in pkgutil.walk_packages(astria_widgets.__path__, "astria_widgets.")
    if not info.name.endswith(".__main__")  # running it is its only purpose
)
HEAVY = ("ipywidgets", "pandas", "flask", "werkzeug", "numpy", "PIL", "IPython")


def _modules() -> Iterator[ModuleType]:
    yield astria_widgets
    for name in MODULE_NAMES:
        yield importlib.import_module(name)


def _public_objects(module: ModuleType) -> Iterator[tuple[str, Any]]:
    """``(qualified name, object)`` of the functions and classes ``module`` makes public."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
        ]
    for name in names:
        value = getattr(module, name)
        if isinstance(value, types.GenericAlias):  # a type alias such as tuple[bytes, str]
            continue
        if inspect.isfunction(value) or inspect.isclass(value):
            yield f"{module.__name__}.{name}", value


def _callable_problems(name: str, function: Callable[..., Any]) -> list[str]:
    problems = [] if inspect.getdoc(function) else [f"{name}: no docstring"]
    signature = inspect.signature(function)
    for parameter in signature.parameters.values():
        if parameter.name not in ("self", "cls") and parameter.annotation is parameter.empty:
            problems.append(f"{name}: parameter {parameter.name!r} has no annotation")
    if signature.return_annotation is signature.empty:
        problems.append(f"{name}: return has no annotation")
    return problems


def _class_problems(name: str, cls: type) -> list[str]:
    problems = [] if (cls.__doc__ or "").strip() else [f"{name}: no class docstring"]
    for attribute, value in vars(cls).items():
        if attribute == "__init__" and inspect.isfunction(value):
            problems += [p for p in _callable_problems(f"{name}.__init__", value)
                         if "docstring" not in p and "return" not in p]
            continue
        if attribute.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property) and value.fget is not None:
            problems += [p.replace("return", "property type") for p in
                         _callable_problems(f"{name}.{attribute}", value.fget)]
        elif inspect.isfunction(value):
            problems += _callable_problems(f"{name}.{attribute}", value)
    return problems


def _problems_of(module: ModuleType) -> list[str]:
    problems = [] if (module.__doc__ or "").strip() else [f"{module.__name__}: no docstring"]
    for name, value in _public_objects(module):
        if inspect.isclass(value):
            problems += _class_problems(name, value)
        else:
            problems += _callable_problems(name, value)
    return problems


def test_the_walk_reaches_every_module_and_public_name() -> None:
    files = {p.relative_to(ROOT.parent).with_suffix("") for p in ROOT.rglob("*.py")}
    dotted = {".".join(p.parts).removesuffix(".__init__") for p in files}
    assert dotted - {"astria_widgets.sandbox.__main__"} == {"astria_widgets", *MODULE_NAMES}
    names = {name for module in _modules() for name, _ in _public_objects(module)}
    assert {"astria_widgets.AstriaClient", "astria_widgets.TuneForm", "astria_widgets.Sandbox",
            "astria_widgets.sandbox.server.Sandbox", "astria_widgets.history.TuneHistory",
            "astria_widgets.imaging.check_training_set"} <= names


@pytest.mark.parametrize("module_name", ["astria_widgets", *MODULE_NAMES])
def test_public_names_are_documented_and_typed(module_name: str) -> None:
    assert _problems_of(importlib.import_module(module_name)) == []


def test_the_checker_finds_what_is_missing() -> None:
    def bare(x, y=1):  # untyped and undocumented on purpose
        return x

    class Bare:
        def method(self, z):  # untyped and undocumented on purpose
            return z

        @property
        def size(self):  # untyped and undocumented on purpose
            return 1

    assert _callable_problems("bare", bare) == [
        "bare: no docstring", "bare: parameter 'x' has no annotation",
        "bare: parameter 'y' has no annotation", "bare: return has no annotation"]
    assert set(_class_problems("Bare", Bare)) == {
        "Bare: no class docstring", "Bare.method: no docstring",
        "Bare.method: parameter 'z' has no annotation", "Bare.method: return has no annotation",
        "Bare.size: no docstring", "Bare.size: property type has no annotation"}


def _imported_after(statement: str) -> dict[str, list[str]]:
    """Which heavy libraries and which ``astria_widgets`` modules a fresh interpreter has
    imported after running ``statement``."""
    code = (
        f"import json, sys\n{statement}\n"
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], "
        "'ours': sorted(m for m in sys.modules if m.startswith('astria_widgets'))}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    return json.loads(result.stdout)


def test_import_astria_widgets_is_cheap() -> None:
    after = _imported_after("import astria_widgets; astria_widgets.__version__")
    assert after == {"heavy": [], "ours": ["astria_widgets", "astria_widgets._lazy",
                                          "astria_widgets._version"]}


@pytest.mark.parametrize(("statement", "absent"), [
    ("from astria_widgets import AstriaClient, connect", {"ipywidgets", "pandas", "flask"}),
    ("from astria_widgets import tunes_dataframe, TuneHistory", {"ipywidgets", "flask"}),
    ("from astria_widgets import Sandbox", {"ipywidgets", "pandas", "IPython"}),
    ("import contextlib, io\nimport astria_widgets.cli as cli\n"
     "with contextlib.redirect_stdout(io.StringIO()):\n    assert cli.main(['--help']) == 0",
     {"ipywidgets", "pandas", "flask"}),
])
def test_each_export_imports_only_what_it_needs(statement: str, absent: set[str]) -> None:
    assert absent.isdisjoint(_imported_after(statement)["heavy"])


def test_the_sandbox_imports_nothing_else_from_the_package() -> None:
    ours = _imported_after("from astria_widgets.sandbox import Sandbox, create_app")["ours"]
    # the parent package itself (and its stdlib-only lazy-export helper) is always imported
    assert [m for m in ours if not m.startswith("astria_widgets.sandbox")] == [
        "astria_widgets", "astria_widgets._lazy", "astria_widgets._version"]


# What the package build reads besides astria_widgets/: metadata, the front end's sources and
# build config, the labextension's install.json and the server extension's config file.
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", ".gitignore", "package.json",
                "yarn.lock", ".yarnrc.yml", "tsconfig.json", "install.json", "src", "style",
                "jupyter-config")
LABEXTENSION = "share/jupyter/labextensions/astria-widgets"
SERVER_CONFIG = "etc/jupyter/jupyter_server_config.d/astria_widgets.json"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip wheel`` builds from a copy of the project (the work tree stays clean).

    The copy gets the front end already built by the install (``skip-if-exists``) and a link
    to ``node_modules`` when present, so the build does not download npm packages again.
    """
    tmp_path = tmp_path_factory.mktemp("wheel")
    project = ROOT.parent
    source = tmp_path / "src"  # a copy, so the build leaves nothing in the work tree
    source.mkdir()
    for name in BUILD_INPUTS:
        if (project / name).is_dir():
            shutil.copytree(project / name, source / name)
        else:
            shutil.copy(project / name, source / name)
    shutil.copytree(ROOT, source / "astria_widgets",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if (project / "node_modules").is_dir():
        (source / "node_modules").symlink_to(project / "node_modules")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
         "--disable-pip-version-check", "--wheel-dir", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    (built,) = (tmp_path / "dist").glob("astria_widgets-*.whl")
    return built


def test_the_wheel_ships_py_typed_and_every_module(wheel: Path) -> None:
    project = ROOT.parent
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names
                            if n.endswith(".dist-info/entry_points.txt"))
    assert "astria_widgets/py.typed" in names
    assert "astria_widgets/widgets/uploader.js" in names
    assert "astria_widgets/widgets/uploader.css" in names
    assert "astria_widgets/app/astria_app.ipynb" in names  # the page of `astria-widgets app`
    contract_data = {p.relative_to(project).as_posix()  # the API contract's schema, snapshots
                     for p in (ROOT / "contract").rglob("*.json")}
    assert len(contract_data) > 20 and contract_data <= names
    shipped = {n for n in names if n.endswith(".py")}
    assert shipped == {p.relative_to(project).as_posix() for p in ROOT.rglob("*.py")}
    assert "astria-widgets = astria_widgets.cli:main" in entry_points


def test_the_wheel_ships_the_labextension_and_the_server_config(wheel: Path) -> None:
    data = "astria_widgets-0.1.0.data/data/"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        package = json.loads(archive.read(f"{data}{LABEXTENSION}/package.json"))
        install = json.loads(archive.read(f"{data}{LABEXTENSION}/install.json"))
        config = json.loads(archive.read(f"{data}{SERVER_CONFIG}"))
    static = [n for n in names if n.startswith(f"{data}{LABEXTENSION}/static/")]
    assert any(n.rsplit("/", 1)[-1].startswith("remoteEntry.") for n in static)
    assert f"{data}{LABEXTENSION}/static/style.js" in names
    assert package["name"] == "astria-widgets"
    assert package["jupyterlab"]["_build"]["load"].startswith("static/remoteEntry.")
    assert install["packageName"] == "astria-widgets"
    assert config == {"ServerApp": {"jpserver_extensions": {"astria_widgets": True}}}
    # the built front end ships once, as data, not also inside the package
    assert not [n for n in names if n.startswith("astria_widgets/labextension/")]
    # no node_modules folder (a bundled chunk may be *named* after one: vendors-node_modules_...)
    assert not [n for n in names if "node_modules" in n.split("/")[:-1]]


def test_a_plain_install_of_the_wheel_enables_both_parts(wheel: Path, tmp_path: Path) -> None:
    """``pip install`` (not editable) of the wheel into a fresh venv: the Jupyter commands
    run from that venv list the labextension and the server extension as enabled and OK.

    The venv borrows the dependencies from this interpreter's site-packages through a
    ``.pth`` line (installing jupyterlab again would take minutes); the package itself,
    its shared data and its config come from the wheel alone.
    """
    import sysconfig
    import venv

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip()
    # no PYTHONPATH: the work tree must not be importable, nor be taken as installed
    env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path / "home"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "JUPYTER_PLATFORM_DIRS": "1"}
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--quiet",
                    "--disable-pip-version-check", str(wheel)],
                   check=True, capture_output=True, text=True, timeout=300, env=env)
    # after the install, else pip would see the work tree's editable install as installed
    deps = Path(sysconfig.get_paths()["purelib"])
    (Path(site) / "zz_deps.pth").write_text(f"{deps}\n")

    def run(module: str) -> str:
        done = subprocess.run([str(python), "-m", module, "list"], capture_output=True,
                              text=True, env=env, timeout=120, cwd=tmp_path)
        return done.stdout + done.stderr

    where = subprocess.run(
        [str(python), "-c", "import astria_widgets; print(astria_widgets.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path).stdout
    assert where.startswith(site), where  # the installed copy, not the work tree
    labextensions = run("jupyterlab.labextensions")
    assert re.search(r"astria-widgets v0\.1\.0 .*enabled.*OK.*\(python, astria-widgets\)",
                     _plain(labextensions)), labextensions
    assert str(env_dir / LABEXTENSION.rsplit("/", 1)[0]) in labextensions
    server = _plain(run("jupyter_server.extension.serverextension"))
    assert re.search(r"astria_widgets enabled", server), server
    assert re.search(r"astria_widgets 0\.1\.0 OK", server), server
    assert str(env_dir / "etc" / "jupyter") in server


def _plain(text: str) -> str:
    """``text`` without ANSI colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
