"""Each rule has one home (issue 18): the package's source must not write a rule a second time.

The package's Python is read with :mod:`ast` (nothing is imported; docstrings and other bare
string statements are documentation, not rules, and are skipped) and ``src/*.ts`` as text.
Each :class:`Check` names a rule, its home and what a second copy looks like:

- the reference syntax ``<lora:ID:w>`` / ``<faceid:ID:w>``: ``client/references.py``;
- millicents per dollar (100,000) and dollar formatting: ``client/costs.py`` (``usd``);
- the aspect ratios and the seed range of prompts: ``client/prompt_params.py``;
- the tune and prompt status words as a collection: ``client/status.py``;
- the gallery base tune ids: ``client/references.py``;
- the trigger-token rule: ``client/checks.py`` (``token_problem``);
- the duration formatter: ``client/durations.py`` (``format_duration``);
- the panel's front end (``src/*.ts``) formats neither money nor time left: it shows the
  strings the server sends.

The sandbox (``astria_widgets/sandbox``) is exempt: it is independent by design (it imports
nothing of the rest of the package, so it keeps its own copy of what it simulates).

Each check is shown to bite: ``test_each_check_finds_a_planted_duplicate`` feeds it a made-up
source holding the duplicate (and one that does not). :data:`KNOWN_OFFENDERS` lists the
duplicates still on main in the widgets (the views helper of issue 18 removes them); the test
fails on any other, and on an entry that no longer offends, so the list only shrinks.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "astria_widgets"
EXEMPT = ("astria_widgets/sandbox/",)  # independent by design: imports nothing of the rest

# The words of the status rules (client/status.py's TUNE_STATUSES and PROMPT_STATUSES), written
# out here so that the test reads, not imports, the package.
STATUS_WORDS = frozenset({"queued", "training", "trained", "failed", "expired", "pending",
                          "done"})
BASE_TUNE_IDS = frozenset({1504944, 666678, 690204})
ASPECT_RATIO = re.compile(r"\d{1,2}:\d{1,2}")
TOKEN_PATTERN = re.compile(r"\^?\[A-Za-z0-9_\]\+\$?")

#: (check, file) -> how many duplicates that file still holds on main (none since the widgets
#: render models that read the client's rules, issue 18).
KNOWN_OFFENDERS: dict[tuple[str, str], int] = {}


# -- reading the source ------------------------------------------------------------------------

def documentation(tree: ast.AST) -> set[int]:
    """Ids of the string constants that are documentation: bare string statements (module,
    class and function docstrings, and the attribute docstrings after an assignment)."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)}


def strings(tree: ast.AST) -> Iterator[ast.Constant]:
    """The string constants that are code (parts of f-strings too), not documentation."""
    docs = documentation(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docs:
            yield node


def _folded(node: ast.AST) -> int | float | None:
    """The value of a constant arithmetic expression (``2**32 - 1``), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _folded(node.operand)
        return None if value is None else -value
    if isinstance(node, ast.BinOp):
        left, right = _folded(node.left), _folded(node.right)
        operations: dict[type, Callable[[float, float], float]] = {
            ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b, ast.Pow: lambda a, b: a ** b if b < 256 else 0}
        operation = operations.get(type(node.op))
        if left is not None and right is not None and operation is not None:
            return operation(left, right)
    return None


def numbers(tree: ast.AST) -> Iterator[int | float]:
    """Numeric literals, and the values of constant expressions such as ``2**32 - 1`` (the
    whole expression, not its parts)."""
    parts = {id(child) for node in ast.walk(tree)
             if isinstance(node, (ast.BinOp, ast.UnaryOp)) and _folded(node) is not None
             for child in ast.walk(node) if child is not node}
    for node in ast.walk(tree):
        if id(node) in parts:
            continue
        if isinstance(node, (ast.Constant, ast.BinOp, ast.UnaryOp)):
            value = _folded(node)
            if value is not None:
                yield value


def collections_of_strings(tree: ast.AST) -> Iterator[list[str]]:
    """The string elements of every list, tuple and set literal."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            yield [e.value for e in node.elts
                   if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def calls(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    """Calls of a function or method called ``name`` (``divmod(...)``, ``re.compile(...)``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called == name:
                yield node


def definitions(tree: ast.AST) -> Iterator[str]:
    """Names of the functions and classes defined."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name


# -- the checks ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One rule: its ``home`` (where it may be written) and how to count copies elsewhere.

    ``python(tree)`` / ``typescript(text)`` count the copies in one file.
    """

    name: str
    home: str
    python: Callable[[ast.AST], int] | None = None
    typescript: Callable[[str], int] | None = None


def _references(tree: ast.AST) -> int:
    marks = ("<lora:", "<faceid:", "lora|faceid", "faceid|lora")
    return sum(any(m in s.value.lower() for m in marks) for s in strings(tree))


def _millicents(tree: ast.AST) -> int:
    per_usd = sum(n == 100_000 for n in numbers(tree))
    divided = sum(isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                  and "MC_PER_USD" in ast.unparse(node.right) for node in ast.walk(tree))
    return per_usd + divided


def _dollar_text(tree: ast.AST) -> int:
    """f-strings writing ``$`` before a formatted value (``f"${x:.2f}"``)."""
    found = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = node.values
            found += sum(isinstance(a, ast.Constant) and isinstance(a.value, str)
                         and a.value.endswith("$") and isinstance(b, ast.FormattedValue)
                         for a, b in zip(parts, parts[1:], strict=False))
    return found


def _aspect_ratios(tree: ast.AST) -> int:
    return sum(sum(bool(ASPECT_RATIO.fullmatch(s)) for s in items) >= 2
               for items in collections_of_strings(tree))


def _seed_range(tree: ast.AST) -> int:
    return sum(n in (2**32 - 1, 2**32) for n in numbers(tree))


def _status_words(tree: ast.AST) -> int:
    return sum(len(STATUS_WORDS & set(items)) >= 3 for items in collections_of_strings(tree))


def _base_tune_ids(tree: ast.AST) -> int:
    return sum(n in BASE_TUNE_IDS for n in numbers(tree))


def _token_rule(tree: ast.AST) -> int:
    patterns = sum(bool(TOKEN_PATTERN.fullmatch(s.value)) for s in strings(tree))
    named = sum("token" in name.lower() and any(w in name.lower() for w in
                                                ("problem", "check", "valid", "rule"))
                for name in definitions(tree))
    return patterns + named


def _duration_formatter(tree: ast.AST) -> int:
    splits = sum(len(c.args) == 2 and isinstance(c.args[1], ast.Constant)
                 and c.args[1].value in (60, 3600) for c in calls(tree, "divmod"))
    named = sum(name in ("format_duration", "time_left_text") for name in definitions(tree))
    return splits + named


def _lines_matching(text: str, patterns: tuple[str, ...]) -> int:
    return sum(any(re.search(p, line) for p in patterns) for line in text.splitlines())


def _ts_money(text: str) -> int:
    """Lines computing or formatting dollars: 100000, ``toFixed(``, a ``$`` glued to a value."""
    return _lines_matching(text, (r"100_?000", r"toFixed\(", r"\$\$\{",
                                  r"['\"`]\$['\"`]\s*\+"))


def _ts_time_left(text: str) -> int:
    """Lines wording a duration: "N min left", a division or remainder by 60, timeLeft()."""
    return _lines_matching(text, (r"\b(?:s|sec|min|h|m)\s+left\b", r"/\s*60\b",
                                  r"%\s*60\b", r"function\s+timeLeft"))


CHECKS: tuple[Check, ...] = (
    Check("reference syntax", "astria_widgets/client/references.py", python=_references),
    Check("millicents per dollar", "astria_widgets/client/costs.py", python=_millicents),
    Check("dollar formatting", "astria_widgets/client/costs.py", python=_dollar_text),
    Check("aspect ratios", "astria_widgets/client/prompt_params.py", python=_aspect_ratios),
    Check("seed range", "astria_widgets/client/prompt_params.py", python=_seed_range),
    Check("status words", "astria_widgets/client/status.py", python=_status_words),
    Check("base tune ids", "astria_widgets/client/references.py", python=_base_tune_ids),
    Check("token rule", "astria_widgets/client/checks.py", python=_token_rule),
    Check("duration formatter", "astria_widgets/client/durations.py",
          python=_duration_formatter),
    Check("money in the front end", "astria_widgets/client/costs.py", typescript=_ts_money),
    Check("time left in the front end", "astria_widgets/client/durations.py",
          typescript=_ts_time_left),
)


def python_files() -> dict[str, str]:
    """Every module of the package but the sandbox's, by path relative to the checkout."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(EXEMPT):
            found[relative] = path.read_text()
    return found


def typescript_files() -> dict[str, str]:
    """The panel's front end, by path relative to the checkout."""
    return {p.relative_to(ROOT).as_posix(): p.read_text() for p in sorted(ROOT.glob("src/*.ts"))}


def offences(checks: tuple[Check, ...], python: dict[str, str],
             typescript: dict[str, str]) -> Counter[tuple[str, str]]:
    """(check, file) -> copies of the rule written outside its home."""
    found: Counter[tuple[str, str]] = Counter()
    trees = {path: ast.parse(text) for path, text in python.items()}
    for check in checks:
        if check.python is not None:
            for path, tree in trees.items():
                if path != check.home and (count := check.python(tree)):
                    found[(check.name, path)] += count
        if check.typescript is not None:
            for path, text in typescript.items():
                if count := check.typescript(text):
                    found[(check.name, path)] += count
    return found


# -- the tests -------------------------------------------------------------------------------------

def test_no_rule_is_written_a_second_time() -> None:
    found = offences(CHECKS, python_files(), typescript_files())
    new = {key: count for key, count in found.items() if count > KNOWN_OFFENDERS.get(key, 0)}
    assert new == {}, f"rules written outside their home (check, file): {new}"


def test_the_known_offenders_still_offend() -> None:
    """An entry of :data:`KNOWN_OFFENDERS` that no longer duplicates its rule is removed."""
    found = offences(CHECKS, python_files(), typescript_files())
    gone = {key: count for key, count in KNOWN_OFFENDERS.items() if found.get(key, 0) < count}
    assert gone == {}, f"fixed: remove these from KNOWN_OFFENDERS in {Path(__file__).name}: {gone}"


def test_every_home_holds_its_rule() -> None:
    """The checks look for the right thing: each home holds what it is the home of."""
    python, typescript = python_files(), typescript_files()
    for check in CHECKS:
        if check.python is not None:
            assert check.python(ast.parse(python[check.home])), check.name
    assert "format_duration" in python["astria_widgets/client/durations.py"]
    assert "def usd(" in python["astria_widgets/client/costs.py"]
    assert typescript, "src/*.ts is read"


def test_the_sandbox_is_exempt_and_still_holds_its_own_copies() -> None:
    """Exempt on purpose (it imports nothing of the package): not read, though it has copies."""
    assert not any(path.startswith(EXEMPT) for path in python_files())
    sandbox = (PACKAGE / "sandbox" / "lifecycle.py").read_text()
    assert _references(ast.parse(sandbox))  # its own <lora:...> pattern


PLANTED: dict[str, tuple[str, str]] = {
    # check name -> (source holding a duplicate, similar source that holds none)
    "reference syntax": ('REF = re.compile(r"<lora:(\\d+):([\\d.]+)>")\n',
                         'def f():\n    """Writes <lora:ID:1> (documentation)."""\n'),
    "millicents per dollar": ("balance = mc / 100_000\n", "balance = usd(mc)\n"),
    "dollar formatting": ('text = f"${mc / MC_PER_USD:,.2f}"\n', 'text = f"{usd(mc)} left"\n'),
    "aspect ratios": ('RATIOS = ("1:1", "16:9", "9:16")\n', 'RATIO = "16:9"\n'),
    "seed range": ("MAX_SEED = 2**32 - 1\n", "MAX_SEED = SEED_MAX\n"),
    "status words": ('DONE = frozenset({"trained", "failed", "expired"})\n',
                     'DONE = status in ("trained", "failed")\n'),
    "base tune ids": ("FLUX = 1504944\n", "FLUX = FLUX1_DEV\n"),
    "token rule": ('_TOKEN_RE = re.compile(r"^[A-Za-z0-9_]+$")\n',
                   'problem = token_problem(value)\n'),
    "duration formatter": ("def seconds_text(s):\n    m, s = divmod(s, 60)\n    return m\n",
                           "text = format_duration(seconds)\n"),
    "money in the front end": ("const text = `$${status.balance_usd.toFixed(2)}`;\n",
                               "const text = status.balance ?? '';\n"),
    "time left in the front end": (
        "const left = `${Math.round(seconds / 60)} min left`;\n",
        "const left = row.time_left ?? row.status;\n"),
}


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_each_check_finds_a_planted_duplicate(check: Check) -> None:
    """Each check bites: a made-up source with the duplicate offends, a close one does not."""
    duplicate, harmless = PLANTED[check.name]
    planted = "astria_widgets/widgets/planted.py" if check.python else "src/planted.ts"

    def run(text: str) -> Counter[tuple[str, str]]:
        sources = {planted: text}
        return offences((check,), sources if check.python else {},
                        {} if check.python else sources)

    assert run(duplicate) == Counter({(check.name, planted): 1})
    assert run(harmless) == Counter()
    if check.python:  # the same text in the rule's home is the rule itself
        assert offences((check,), {check.home: duplicate}, {}) == Counter()


def test_a_new_offender_fails_even_where_one_is_known() -> None:
    """A known offender does not hide a second copy in the same file, or one elsewhere."""
    check = next(c for c in CHECKS if c.name == "status words")
    known = "astria_widgets/widgets/old.py"
    offenders = {**KNOWN_OFFENDERS, (check.name, known): 1}
    twice = 'A = ("queued", "training", "trained")\nB = ["pending", "done", "failed"]\n'
    found = offences((check,), {known: twice, "astria_widgets/frames/x.py": twice}, {})
    new = {key: count for key, count in found.items() if count > offenders.get(key, 0)}
    assert new == {(check.name, known): 2, (check.name, "astria_widgets/frames/x.py"): 2}
