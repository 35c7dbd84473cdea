"""The package's module map keeps the shape docs/ARCHITECTURE.md states (issue 18).

Read from the source with :mod:`ast` (nothing is imported): every ``import`` and
``from ... import`` of a package module, at module level or inside a function, is an arrow.

- no module is longer than :data:`MAX_LINES` lines;
- no import circle between modules;
- the layers: an arrow goes down :data:`LAYERS` or within a layer, never up, and the sandbox
  imports nothing of the rest.

``python tests/test_architecture.py`` prints the map: long files, circles, upward arrows.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "astria_widgets"
MAX_LINES = 500
#: bottom to top; a module may import its own layer and those listed before it.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"_lazy", "_version", "imaging"}),
    frozenset({"client"}),
    frozenset({"connect"}),
    frozenset({"frames", "contract"}),
    frozenset({"history"}),
    frozenset({"widgets"}),
    frozenset({"server", "magics", "commands", "cli", "app", "__init__"}),
)
SANDBOX = "sandbox"  # beside the layers: imports nothing of the rest
SANDBOX_USERS = ("connect", "commands", "__init__")  # the only importers of the sandbox


def module_name(path: Path) -> str:
    """``astria_widgets/client/api.py`` -> ``astria_widgets.client.api``."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules that ``name`` imports (names of modules, not of their members)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def resolve(target: str) -> None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("astria_widgets"):
                    resolve(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.startswith("astria_widgets"):
                for alias in node.names:  # ``from pkg import module`` names a module
                    resolve(f"{module}.{alias.name}")
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    found = modules()
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def layer_of(name: str) -> str:
    """The top-level part a module belongs to (``client``, ``widgets``, ``connect``...)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def rank(layer: str) -> int:
    """Position of a layer in :data:`LAYERS` (the sandbox is -1: beside them)."""
    for index, members in enumerate(LAYERS):
        if layer in members:
            return index
    if layer == SANDBOX:
        return -1
    raise AssertionError(f"{layer!r} is in no layer of tests/test_architecture.py")


def long_files() -> list[tuple[str, int]]:
    """Modules over :data:`MAX_LINES` lines, longest first."""
    sized = [(str(p.relative_to(PACKAGE.parent)), len(p.read_text().splitlines()))
             for p in modules().values()]
    return sorted([s for s in sized if s[1] > MAX_LINES], key=lambda s: -s[1])


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def upward(edges: dict[str, set[str]]) -> Iterator[tuple[str, str]]:
    """Arrows that go up the layers, or from the sandbox to the rest, or into the sandbox
    from anywhere but ``connect``, the commands and the lazy public exports."""
    for source, targets in sorted(edges.items()):
        src = layer_of(source)
        for target in sorted(targets):
            dst = layer_of(target)
            if src == dst:
                continue
            if src == SANDBOX or (dst == SANDBOX and src not in SANDBOX_USERS):
                yield source, target
            elif dst != SANDBOX and rank(dst) > rank(src):
                yield source, target


def test_no_module_is_longer_than_500_lines() -> None:
    assert long_files() == []


def test_no_import_circle() -> None:
    assert circles(graph()) == []


def test_every_arrow_goes_down_the_layers() -> None:
    assert list(upward(graph())) == []


def test_the_checks_see_what_they_should() -> None:
    """The graph is real: known arrows are found, and a made-up circle would be."""
    edges = graph()
    assert "astria_widgets.client.transport" in edges["astria_widgets.client.api"] or any(
        "astria_widgets.client.transport" in targets for targets in edges.values())
    assert "astria_widgets.sandbox" in " ".join(edges["astria_widgets.connect"])
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert list(upward({"astria_widgets.client.x": {"astria_widgets.widgets.y"}}))


if __name__ == "__main__":
    edges = graph()
    print(f"{len(edges)} modules, {sum(len(t) for t in edges.values())} arrows")
    print(f"over {MAX_LINES} lines:")
    for path, lines in long_files():
        print(f"  {lines:5d}  {path}")
    print("import circles:")
    for group in circles(edges):
        print("  " + " <-> ".join(group))
    print("upward arrows:")
    for source, target in upward(edges):
        print(f"  {source} -> {target}")
