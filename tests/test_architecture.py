"""The package's architecture, measured from its source with `ast` and `tokenize`.

* no import cycle between the package's modules;
* layering: a module imports only its own stage or lower ones (STAGES, below);
* no module over MAX_LINES lines;
* each known function's name (FUNCTION_WORDS) in at most MAX_FUNCTION_MODULES modules: the
  function table owns them;
* the naming convention (`W{l}`, `dZ`, `A_prev`, sizes `n{l}`) is known in models/ only
  (and read from slide notation by the language stage's notation readers).

Imports inside functions count as much as those at the top of a module. Docstrings and
comments are never measured: they may explain anything. Each failure lists the modules
that break the rule.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from functools import lru_cache
from pathlib import Path

import pytest

import shapecheck

# --- the map: stages, bottom to top ---------------------------------------------------------
# Each stage lists top-level modules (`check` is shapecheck/check.py) or subpackages
# (`language` is everything under shapecheck/language/); `functions` may be either.
STAGES = [
    # grammar: the shipped data; frozen: the base of the immutable records
    ("plain data", ["frozen", "syntax", "errors", "result", "grammar"]),
    ("function table", ["functions"]),
    ("language", ["language"]),
    ("shapes", ["shapes"]),
    ("models", ["models"]),
    ("numeric", ["numeric"]),
    ("calculus", ["calculus"]),
    ("check", ["check", "draws", "diagnosis", "chains"]),  # modules split from check.py go here
    ("advice", ["advice", "toy", "index_form"]),  # toy: --toy; index_form: --derive --index
    ("orchestration", ["notes", "session", "declared"]),
    # display: the API's results shown; raster: --png, from the SVG
    ("output", ["report", "json_report", "progress", "display", "raster"]),
    # where people already work: pytest --shapecheck, a hand-written backward function checked
    ("integrations", ["pytest_plugin", "backward"]),
    ("python api", ["api", "arrays"]),  # arrays: sizes read off a namespace's arrays
    ("command line", ["cli", "__main__"]),
    ("notebook", ["ipython", "__init__"]),  # __init__: the package's own (lazy) names
]
MAX_LINES = 450
FUNCTION_WORDS = ["tanh", "sigmoid", "relu", "softplus", "softmax", "sqrt", "trace", "outer",
                  "inv", "keepdims"]
MAX_FUNCTION_MODULES = 2
CONVENTION_HOME = "models"
# The language stage reads slide and LaTeX notation into the names formulas are written in
# (`W^{[2]}` and `W_2` are spelled `W2`, `A^{[l-1]}` is `A_prev`, `∂J/∂W` is `dW`): that is
# notation, read from text, below models/ (which may not be imported there). What a name
# *means* (its role, layer, shape, which gradient) is models/ alone. These are the
# notation readers, and only they.
NOTATION_READERS = {"language.notation", "language.validate", "language.meaning"}


PACKAGE = Path(shapecheck.__file__).resolve().parent
STAGE_OF = {part: level for level, (_, parts) in enumerate(STAGES) for part in parts}


# --- reading the package ----------------------------------------------------------------------

def _name(path: Path) -> str:
    """shapecheck/language/parse.py → 'language.parse'; a package's __init__ → the package
    ('language'); the root's → '__init__'."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


@lru_cache(maxsize=None)
def modules() -> dict[str, Path]:
    found = {_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}
    assert found, PACKAGE
    return found


@lru_cache(maxsize=None)
def _tree(name: str) -> ast.Module:
    path = modules()[name]
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _stage(name: str) -> int | None:
    return STAGE_OF.get(name.split(".")[0])


def _where(name: str) -> str:
    return str(modules()[name].relative_to(PACKAGE.parent))


def imports(name: str) -> list[tuple[str, int]]:
    """(imported module of the package, line) for every import in `name`, wherever it is:
    `from .x import y` counts as importing module `x.y` when that is a module, else `x`."""
    known = modules()
    is_package = modules()[name].name == "__init__.py"
    here = [] if name == "__init__" else name.split(".")
    package = here if is_package else here[:-1]
    found = []
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "shapecheck":
                    found.append((".".join(parts[1:]) or "__init__", node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "shapecheck":
                target = node.module.split(".")[1:]
            else:
                continue
            dotted = ".".join(target)
            for alias in node.names:
                child = f"{dotted}.{alias.name}" if dotted else alias.name
                found.append((child if child in known else dotted or "__init__", node.lineno))
    return sorted(set(found), key=lambda item: (item[1], item[0]))


def _docstring_spans(tree: ast.Module) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                doc = body[0].value
                spans.append(((doc.lineno, doc.col_offset), (doc.end_lineno, doc.end_col_offset)))
    return spans


_MEASURED = {tokenize.NAME, tokenize.STRING} | {
    getattr(tokenize, kind) for kind in ("FSTRING_MIDDLE",) if hasattr(tokenize, kind)}


@lru_cache(maxsize=None)
def code_tokens(name: str) -> tuple[tuple[str, int], ...]:
    """(text, line) of the identifiers and string literals of a module, docstrings and
    comments left out."""
    docs = _docstring_spans(_tree(name))
    source = modules()[name].read_text(encoding="utf-8")
    kept = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _MEASURED:
            continue
        if any(start <= token.start and token.end <= end for start, end in docs):
            continue
        kept.append((token.string, token.start[0]))
    return tuple(kept)


def _report(broken: dict[str, list[str]]) -> str:
    return "\n".join(f"  {module}: {'; '.join(why)}" for module, why in sorted(broken.items()))


# --- the map covers the package ------------------------------------------------------------

def test_every_module_is_placed_in_a_stage():
    unplaced = sorted(_where(name) for name in modules() if _stage(name) is None)
    assert not unplaced, (
        "place these modules in STAGES at the top of tests/test_architecture.py (a module "
        "split from check.py goes to the check stage):\n  " + "\n  ".join(unplaced))


# --- imports: no cycle, and only downwards ------------------------------------------------------

def _graph() -> dict[str, set[str]]:
    return {name: {target for target, _ in imports(name) if target != name}
            for name in modules()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    graph = _graph()
    cycles = _cycles(graph)
    lines = []
    for component in cycles:
        edges = [f"{a} → {b} (line {line})" for a in component for b, line in imports(a)
                 if b in component and b != a]
        lines.append("  " + " / ".join(component) + ":\n    " + "\n    ".join(edges))
    assert not cycles, "modules that import each other, directly or round a loop:\n" + "\n".join(lines)


def _layering_breaks() -> dict[str, list[str]]:
    broken: dict[str, list[str]] = {}
    for name in modules():
        own = _stage(name)
        own = STAGE_OF["check"] if own is None else own  # unplaced: failed above
        for target, line in imports(name):
            theirs = _stage(target)
            theirs = STAGE_OF["check"] if theirs is None else theirs
            if theirs > own:
                broken.setdefault(_where(name), []).append(
                    f"line {line} imports {target} ({STAGES[theirs][0]}, above {STAGES[own][0]})")
    return broken


def test_each_module_imports_only_its_own_stage_or_lower():
    broken = _layering_breaks()
    assert not broken, "imports from a higher stage (see STAGES):\n" + _report(broken)


# --- size --------------------------------------------------------------------------------

def test_no_module_is_over_the_line_limit():
    sizes = {_where(name): len(path.read_text(encoding="utf-8").splitlines())
             for name, path in modules().items()}
    over = {where: [f"{count} lines"] for where, count in sizes.items() if count > MAX_LINES}
    assert not over, f"modules over {MAX_LINES} lines:\n" + _report(over)


# --- one owner per function -------------------------------------------------------------------

def _word(word: str) -> re.Pattern:
    # a word of an identifier or a string: `np.tanh`, "tanh", `tanh_prime`, `linalg.inv`
    # count; `inverse`, `trace_back`'s neighbours like `traces` do not
    return re.compile(rf"(?<![A-Za-z0-9]){word}(?![A-Za-z0-9])", re.IGNORECASE)


# The package's own arithmetic (`math.sqrt(n)` for a scale, `np.sqrt` of a sum of squares
# for a norm) uses numpy, it does not know a function of the formula language: an
# attribute of `math`, `np` or `numpy` is not counted; the same name as a string, a bare
# identifier or any other attribute (`record.sqrt`, `np.linalg.inv`) is.
_ARITHMETIC = {"math", "np", "numpy"}


def _named_tokens(name: str) -> list[tuple[str, int]]:
    """The code tokens of a module, less the attributes of math and numpy."""
    source = modules()[name].read_text(encoding="utf-8")
    arithmetic = set()
    previous: list[str] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            continue
        if token.type == tokenize.NAME and previous[-2:] in ([m, "."] for m in _ARITHMETIC):
            arithmetic.add((token.string, token.start[0]))
        previous = (previous + [token.string])[-2:]
    return [(text, line) for text, line in code_tokens(name) if (text, line) not in arithmetic]


def function_homes() -> dict[str, dict[str, list[int]]]:
    """word → module → lines where it occurs in code."""
    homes: dict[str, dict[str, list[int]]] = {word: {} for word in FUNCTION_WORDS}
    patterns = {word: _word(word) for word in FUNCTION_WORDS}
    for name in modules():
        for text, line in _named_tokens(name):
            for word, pattern in patterns.items():
                if pattern.search(text):
                    homes[word].setdefault(_where(name), []).append(line)
    return homes


def test_the_word_measure():
    assert _word("inv").search("np.linalg.inv") and _word("inv").search("inv")
    assert not _word("inv").search("inverse") and not _word("trace").search("traceback")
    assert _word("tanh").search("tanh_prime") and _word("keepdims").search("keepdims=True")
    records = {text for text, _ in _named_tokens("functions.records")}
    assert '"sqrt"' in records and '"tanh"' in records  # the table's records name them
    margins = [text for text, _ in code_tokens("numeric.margins")]
    assert "sqrt" in margins  # math.sqrt(...) for a scale: read, then left out as arithmetic
    assert "sqrt" not in {text for text, _ in _named_tokens("numeric.margins")}


def test_each_known_function_is_named_in_at_most_two_modules():
    spread = {word: where for word, where in function_homes().items()
              if len(where) > MAX_FUNCTION_MODULES}
    lines = [f"  {word} in {len(where)} modules: " + ", ".join(
        f"{module} (lines {', '.join(map(str, sorted(set(rows))[:5]))})"
        for module, rows in sorted(where.items())) for word, where in sorted(spread.items())]
    assert not spread, (f"known functions named in more than {MAX_FUNCTION_MODULES} modules "
                        "(the function table should own them):\n" + "\n".join(lines))


# --- the naming convention lives in models/ ------------------------------------------------------
# What counts as knowing the convention, in code (docstrings and comments never count):
#  1. a regular expression (any string literal) that reads a layer number on a name: `\d`
#     (or `[0-9]`) right after a letter, a letter class, `_`, or a group holding one
#     (`W\d`, `n\d+`, `[A-Za-z])(?P<layer>\d+)`), or a name's trailing number `\d$`;
#  2. a regular expression that reads the gradient prefix: a bare `d` before a letter class
#     (`d[A-Z]`, `d[A-Za-z]`) or as an optional group (`(?P<grad>d?)`);
#  3. a generic-layer suffix in a name-like string: `_prev` or `_next` in a string with no
#     white space (`"_prev"`, `"A_prev"`, a pattern); prose that mentions A_prev is fine;
#  4. the gradient prefix in code: `"d" + name`, `f"d{name}"`, `name.startswith("d")`,
#     `name.removeprefix("d")`, `name[:1] == "d"`, `name[0] == "d"`;
#  5. a layered name built in code: an f-string that starts with one letter (or `d` and a
#     letter) right before a value: `f"n{layer}"`, `f"W{l}"`, `f"dZ{l}"`.
_LAYER_NUMBER = re.compile(
    r"(?:[A-Za-z_\]\)])\(?(?:\?:|\?P<\w+>)?(?:\\d|\[0-9\])|(?:\\d|\[0-9\])[+*]?\$")
_GRADIENT_PATTERN = re.compile(r"(?<![\\\w])d\[(?:A-Z|a-z)|\(\?P<\w+>d\?\)")
_SUFFIX = re.compile(r"_(?:prev|next)\b")
_LAYERED_FSTRING = re.compile(r"d?[A-Za-z]")


def _is_d(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "d"


def convention_uses(tree: ast.Module) -> list[str]:
    """What in a module's code knows the naming convention, by the measure above."""
    found = []
    docs = {(a, b) for (a, b), _ in _docstring_spans(tree)}
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and (node.lineno, node.col_offset) not in docs:
            text = node.value
            if _LAYER_NUMBER.search(text):
                found.append(f"{where}: a layer number in {text[:40]!r}")
            elif _GRADIENT_PATTERN.search(text):
                found.append(f"{where}: the gradient prefix in {text[:40]!r}")
            elif _SUFFIX.search(text) and not re.search(r"\s", text):
                found.append(f"{where}: a generic-layer suffix in {text[:40]!r}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _is_d(node.left):
            found.append(f'{where}: "d" + a name')
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("startswith", "removeprefix") and node.args \
                and _is_d(node.args[0]):
            found.append(f'{where}: .{node.func.attr}("d")')
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 \
                and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            sides = [node.left, node.comparators[0]]
            if any(_is_d(side) for side in sides) and any(isinstance(side, ast.Subscript)
                                                          for side in sides):
                found.append(f'{where}: a name\'s first letter compared with "d"')
        elif isinstance(node, ast.JoinedStr) and len(node.values) >= 2 \
                and isinstance(node.values[0], ast.Constant) \
                and isinstance(node.values[1], ast.FormattedValue) \
                and _LAYERED_FSTRING.fullmatch(str(node.values[0].value)):
            found.append(f"{where}: a layered name f\"{node.values[0].value}{{...}}\"")
    return sorted(found, key=lambda text: int(re.search(r"\d+", text)[0]))


def test_the_convention_measure():
    def uses(source: str) -> list[str]:
        return convention_uses(ast.parse(source))

    assert uses(r're.fullmatch(r"n\d+", k)') and uses(r're.compile(r"(?P<base>[A-Za-z])(?P<l>\d+)$")')
    assert uses(r'x = r"d[A-Z]\w*"') and uses('"d" + v') and uses('n.startswith("d")')
    assert uses('n[:1] == "d"') and uses('f"n{layer}"') and uses('x = "A_prev"')
    assert not uses(r're.fullmatch(r"[+-]?\d+", v)') and not uses(r're.fullmatch(r"-?\d+", v)')
    assert not uses(r'r"(?:e[-+]?\d+)?"') and not uses(r'r"(?:\{\d+\})?"')
    assert not uses('"turns on generic names W, dZ, A_prev"') and not uses('f"{a} and {b}"')
    assert not uses('def f():\n    """Reads dZ2 and A_prev: `"d" + name`."""\n')


def test_the_naming_convention_is_known_in_models_only():
    broken = {_where(name): uses for name in modules()
              if name.split(".")[0] != CONVENTION_HOME and name not in NOTATION_READERS
              and (uses := convention_uses(_tree(name)))}
    assert not broken, (f"the naming convention outside {CONVENTION_HOME}/ (see the measure "
                        "above test_the_convention_measure):\n" + _report(broken))


# --- the flow is one way: session → binding → check → report, advice called by the session ---

def _reaches(name: str, *prefixes: str) -> set[str]:
    """What module `name` imports of the stages named by `prefixes` ('advice', 'check')."""
    return {target for target in _graph()[name]
            if any(target == p or target.startswith(p + ".") for p in prefixes)}


@pytest.mark.parametrize("name", ["check", "draws", "diagnosis", "models.binding"])
def test_check_asks_no_advice_and_no_derivation(name):
    assert not _reaches(name, "advice", "calculus.derive", "session"), name


def test_advice_and_derivation_never_reach_back_into_the_checker():
    """Advice is given a verify() to call and derivations are verified by the session."""
    for name in [n for n in modules() if n.startswith("advice")] + ["calculus.derive",
                                                                    "calculus.walk"]:
        assert not _reaches(name, "check", "session"), name


@pytest.mark.parametrize("name", ["report", "cli"])
def test_the_report_and_the_command_line_do_not_reach_into_check(name):
    assert not _reaches(name, "check", "shapes"), name


def test_the_report_depends_on_the_plain_results_alone():
    assert _graph()["report"] == {"result"}


def test_one_factor_namer_serves_the_diagnosis_and_the_repair():
    for name in ("diagnosis", "advice.repair"):
        assert "models.factors" in _graph()[name], name
