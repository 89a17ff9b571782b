"""Notes files end to end: the command line (`shapecheck.cli:command`) and `Session`.

What the user sees: compiler-style `file:line:column:` lines followed by the same
explanation as for a formula typed on the command line, a final summary, `--json` with
`source` filled, and the exit status of SPEC (2 for anything unreadable, then 1 for a
wrong formula, else 0).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecheck.models import binding

from shapecheck.language import parse
from shapecheck.result import Options
from shapecheck.cli import command
from shapecheck.session import Session

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "notes"
COURSE = ["--n0", "3", "--n1", "4", "--n2", "2", "--m", "5"]


# plain text whatever the environment of the test run says about colours
PLAIN = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}


def run(*args: str):
    """The command as a user runs it; stdout and stderr apart (click >= 8.2)."""
    return CliRunner(env=PLAIN).invoke(command, list(args), catch_exceptions=False)


def run_json(*args: str) -> tuple[int, list[dict]]:
    result = run(*args, "--json")
    return result.exit_code, json.loads(result.stdout)["results"]


def verdicts(results: list[dict]) -> list[tuple[str, int, int, str, str]]:
    return [(r["source"]["file"], r["source"]["line"], r["source"]["column"], r["formula"],
             r["verdict"]) for r in results]


def write(directory: Path, name: str, text: str | bytes) -> str:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return name


def notebook(cells: list[tuple[str, str]]) -> str:
    """A notebook as Jupyter writes it: indent 1, one JSON string per source line."""
    def cell(kind: str, text: str) -> dict:
        extra = {"execution_count": None, "outputs": []} if kind == "code" else {}
        return {"cell_type": kind, **extra, "metadata": {},
                "source": text.splitlines(keepends=True)}
    nb = {"cells": [cell(kind, text) for kind, text in cells], "metadata": {},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


def line_of(text: str, needle: str) -> int:
    """The 1-based line of `text` where `needle` first occurs."""
    return text[:text.index(needle)].count("\n") + 1


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """Run in a temporary directory, so that file names print as the user typed them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- each kind of file, end to end -------------------------------------------------

MARKDOWN = """\
# Week 3

```shapecheck
sizes: n0=3 n1=4 n2=2 m=5
dZ2 = A2 - Y
dW2 = dZ2 @ A1.T
```

> A quoted block:
>
> ```shapecheck
> dZ1 = dZ2 @ W2.T * g1'(Z1)
> ```

- a list item
  ```shapecheck
      db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)
  ```
"""

SHAPE_FAILURE = [
    "✗ shape  dZ1 = dZ2 @ W2.T * g1'(Z1)   (n1, m) = (4, 5)",
    "               ~~~ ^ ~~~~",
    "               dZ2 is (n2, m)",
    "                     W2.T is (n1, n2)",
    "         the inner sizes m and n1 of a matrix product must be equal: "
    "dZ2 is (n2, m) and W2.T is (n1, n2)",
    "         did you mean: dZ1 = W2.T @ dZ2 * g1'(Z1)   (swap dZ2 and W2.T)",
    "                             ^^^^   ^^^",
]


def test_markdown_compiler_style_lines(here):
    write(here, "notes.md", MARKDOWN)
    result = run("notes.md", *COURSE)
    assert result.exit_code == 1
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("notes.md:5:1: ✓ pass   dZ2 = A2 - Y   (n2, m) = (2, 5)   "
                               "rel. error ")
    assert lines[1] == "notes.md:6:1: ✗ value  dW2 = dZ2 @ A1.T   (n2, n1) = (2, 4)"
    assert "m = 5 times the true gradient; multiply it by 1/m" in lines[2]
    assert lines[3] == " " * len("notes.md:6:1: ") + \
        "         did you mean: dW2 = 1/m * dZ2 @ A1.T   (multiply by 1/m)"
    lines[3:5] = []  # the repair and its marks
    assert lines[3:10] == ["notes.md:12:3: " + SHAPE_FAILURE[0]] + [
        " " * len("notes.md:12:3: ") + line for line in SHAPE_FAILURE[1:]]
    assert lines[10].startswith("notes.md:17:7: ✓ pass   db1 = 1/m * np.sum(dZ1, axis=1, "
                                "keepdims=True)   (n1, 1) = (4, 1)")
    assert lines[11:] == ["4 formulas in 1 file: 2 pass, 1 shape, 1 value"]


def test_a_formula_in_a_file_is_explained_as_on_the_command_line(here):
    """The same lines, shifted right by the location."""
    formula = "dZ1 = dZ2 @ W2.T * g1'(Z1)"
    alone = run(formula, *COURSE).stdout.splitlines()
    assert alone == SHAPE_FAILURE
    write(here, "hidden.md", f"```shapecheck\n{formula}\n```\n")
    in_file = run("hidden.md", *COURSE).stdout.splitlines()
    where = "hidden.md:2:1: "
    assert in_file[:-1] == [where + alone[0]] + [" " * len(where) + line for line in alone[1:]]
    assert in_file[-1] == "1 formula in 1 file: 1 shape"


LATEX = r"""\documentclass{article}
\begin{document}
\section{Backpropagation}
\begin{shapecheck}
  sizes: n0=3 n1=4 n2=2 m=5
  dZ2 = A2 - Y   % the output layer
  db2 = 1/m * np.sum(dZ2, axis=0, keepdims=True)
\end{shapecheck}
Text, with a formula that is not opted in: $dW2 = dZ2 @ A1.T$.
\begin{shapecheck}
dW1 = 1/m * dZ1 @ X.T
\end{shapecheck}
\end{document}
\begin{shapecheck}
dW1 = 1/m * X.T @ dZ1
\end{shapecheck}
"""


def test_latex_end_to_end(here):
    write(here, "chapter.tex", LATEX)
    code, results = run_json("chapter.tex", *COURSE)
    assert code == 1
    assert verdicts(results) == [
        ("chapter.tex", 6, 3, "dZ2 = A2 - Y", "pass"),
        ("chapter.tex", 7, 3, "db2 = 1/m * np.sum(dZ2, axis=0, keepdims=True)", "shape"),
        ("chapter.tex", 11, 1, "dW1 = 1/m * dZ1 @ X.T", "pass"),
    ]
    assert results[1]["hint"] == "1/m * np.sum(dZ2, axis=1, keepdims=True)"
    text = run("chapter.tex", *COURSE).stdout
    assert "chapter.tex:7:3: ✗ shape  db2 = " in text
    assert text.endswith("3 formulas in 1 file: 2 pass, 1 shape\n")


def test_notebook_end_to_end(here):
    text = notebook([
        ("markdown", "# Homework\n\nSizes from the assignment.\n"),
        ("code", "dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)   # code is never read\n"),
        ("markdown", "The hidden layer:\n\n```shapecheck\nsizes: n0=3 n1=4 n2=2 m=5\n"
                     "dZ1 = W2.T @ dZ2 * g1'(Z1)\n  dW1 = 1/m * X.T @ dZ1\n```\n"),
    ])
    write(here, "hw.ipynb", text)
    code, results = run_json("hw.ipynb")
    assert code == 1
    dz1, dw1 = line_of(text, '"dZ1 = W2.T @ dZ2 * g1'), line_of(text, '"  dW1 = ')
    assert dz1 > 1 and dw1 == dz1 + 1  # lines of the .ipynb file, not of the cell
    assert verdicts(results) == [
        ("hw.ipynb", dz1, 1, "dZ1 = W2.T @ dZ2 * g1'(Z1)", "pass"),
        ("hw.ipynb", dw1, 3, "dW1 = 1/m * X.T @ dZ1", "shape"),
    ]
    out = run("hw.ipynb").stdout
    assert f"hw.ipynb:{dw1}:3: ✗ shape  dW1 = 1/m * X.T @ dZ1" in out


def test_plain_text_file(here):
    write(here, "formulas.txt", "# sizes as on the slides\nsizes: n0=3 n1=4 n2=2 m=5\n"
                                "dZ2 = A2 - Y\n\n   dW2 = 1/m * dZ2 @ A1.T\n")
    code, results = run_json("formulas.txt")
    assert code == 0
    assert verdicts(results) == [("formulas.txt", 3, 1, "dZ2 = A2 - Y", "pass"),
                                 ("formulas.txt", 5, 4, "dW2 = 1/m * dZ2 @ A1.T", "pass")]


# --- directives ----------------------------------------------------------------------

DIRECTIVES = """\
```shapecheck
sizes: n0=3 n1=4 n2=2 m=5
activation: g1=tanh
dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)
```

```shapecheck
sizes: n0=3 n1=4 n2=2 m=5
dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)
```

```shapecheck
forward: P = softmax(U, axis=0); J = -np.sum(Q * np.log(P))
shape: U = (k, 1), Q = (k, 1)
sizes: k=4
dU = P - Q
label: Q
dU = P - Q
```

```shapecheck
Y = f(H @ W + B)
J = 1/2 * np.sum((Y - T) ** 2)
shape: H = (1, h), W = (h, y), B = (1, y), T = (1, y)
sizes: h=4 y=3
dW = H.T @ ((Y - T) * f'(H @ W + B))
dW = H.T @ (Y - T)
```

```shapecheck
layout: rows
sizes: n0=3 n1=4 n2=2 m=5
dW2 = 1/m * A1.T @ dZ2
dW2 = 1/m * dZ2 @ A1.T
```
"""


def test_directives(here):
    write(here, "d.md", DIRECTIVES)
    code, results = run_json("d.md")
    assert code == 1
    assert [(r["source"]["line"], r["formula"], r["verdict"]) for r in results] == [
        (4, "dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)", "pass"),   # activation: g1=tanh
        (9, "dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)", "value"),  # a block starts from the defaults
        (16, "dU = P - Q", "value"),                        # Q not yet a label ...
        (18, "dU = P - Q", "pass"),                         # ... now a probability vector
        (26, "dW = H.T @ ((Y - T) * f'(H @ W + B))", "pass"),  # forward equations + shape
        (27, "dW = H.T @ (Y - T)", "value"),
        (33, "dW2 = 1/m * A1.T @ dZ2", "pass"),             # layout: rows
        (34, "dW2 = 1/m * dZ2 @ A1.T", "shape"),
    ]
    assert results[1]["activation"] == {"g1": "sigmoid"}
    assert results[4]["sizes"] == {"h": 4, "y": 3} and results[4]["defaults"] == {}
    assert results[7]["lhs_shape"] == ["n1", "n2"]


def test_a_bad_directive_is_an_error_at_its_place_and_the_rest_is_checked(here):
    write(here, "bad.md", "```shapecheck\nsizes: n1=0 m=5\nlayout: diagonal\ndZ2 = A2 - Y\n```\n")
    result = run("bad.md")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "bad.md:2:11: ! error  size 'n1' must be a positive integer, not '0'",
        "bad.md:3:9: ! error  layout must be 'columns' or 'rows', not 'diagonal'",
    ]
    assert result.stdout.splitlines()[0].startswith("bad.md:4:1: ✓ pass   dZ2 = A2 - Y")
    assert result.stdout.splitlines()[-1] == \
        "1 formula in 1 file: 1 pass; 2 file or directive errors"


def test_a_directive_size_or_activation_nothing_uses_is_an_error_at_its_place(here):
    # `nl` for `n1` in a directive would check on a chosen n1: refused as --nl 4 is (#17)
    write(here, "slip.md", "```shapecheck\nsizes: n0=3 nl=4 m=5\nactivation: g7=tanh\n"
                           "dZ1 = W2.T @ dZ2 * g1'(Z1)\n```\n\n"
                           "<!-- shapecheck: sizes: n0=3 n1=4 m=5 n2=2\n     activation: g1=tanh -->\n"
                           "$$\ndZ^{[1]} = W^{[2]T} dZ^{[2]} \\odot (1 - A^{[1]} ** 2)\n$$\n")
    result = run("slip.md")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "slip.md:2:13: ! error  nl=4: no formula, model or the naming convention uses a size nl "
        "(the sizes in use: n0, n1, n2, m); did you mean n1?",
        "slip.md:3:13: ! error  g7=tanh: no formula or model uses an activation g7 (the "
        "activations in use: g1, g2); did you mean g1?",
    ]  # the second block uses all it declares: no error there
    assert result.stdout.splitlines()[-1] == \
        "2 formulas in 1 file: 2 pass; 2 file or directive errors"


def test_a_directive_shape_nothing_reads_is_an_error_at_its_place(here):
    write(here, "shape.md", "```shapecheck\nsizes: n0=3 n1=4 m=5 n2=2\nshape: Q = (3, 3)\n"
                            "dZ2 = A2 - Y\n```\n")
    result = run("shape.md")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "shape.md:3:8: ! error  Q = (3,3): no formula or model reads a variable Q"]


def test_a_directive_whose_every_size_is_used_is_no_error(here):
    write(here, "used.md", "```shapecheck\nsizes: n0=3 n1=4 m=5 n2=2\nactivation: g1=tanh\n"
                           "dZ2 = A2 - Y\ndZ1 = W2.T @ dZ2 * (1 - A1 ** 2)\n```\n")
    result = run("used.md")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


# --- the command line's options are the defaults of every block ----------------------

BLOCKS = """\
```shapecheck
dZ2 = A2 - Y
```

```shapecheck
sizes: m=7
dW2 = 1/m * dZ2 @ A1.T
```

```shapecheck
dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)
```
"""


def test_command_line_sizes_are_the_defaults_of_every_block(here):
    write(here, "blocks.md", BLOCKS)
    write(here, "more.tex", "\\begin{shapecheck}\ndb2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)\n"
                            "\\end{shapecheck}\n")
    code, results = run_json("blocks.md", "more.tex", *COURSE)
    course = {"n0": 3, "n1": 4, "n2": 2, "m": 5}
    assert [r["sizes"] for r in results] == [course, {**course, "m": 7}, course, course]
    assert all(r["defaults"] == {} for r in results)
    assert [r["verdict"] for r in results] == ["pass", "pass", "value", "pass"]
    assert code == 1


def test_without_sizes_each_block_gets_the_chosen_defaults(here):
    write(here, "blocks.md", BLOCKS)
    _, results = run_json("blocks.md")
    assert results[0]["defaults"] == {"n0": 2, "n1": 3, "n2": 4, "m": 5}
    assert results[1]["sizes"]["m"] == 7 and "m" not in results[1]["defaults"]


def test_other_command_line_options_are_defaults_too(here):
    write(here, "blocks.md", BLOCKS)
    _, results = run_json("blocks.md", *COURSE, "--activation", "g1=tanh")
    assert [r["verdict"] for r in results] == ["pass", "pass", "pass"]
    _, results = run_json("blocks.md", *COURSE, "--no-values")
    assert [r["verdict"] for r in results] == ["pass", "pass", "pass"]
    assert all(r["rel_error"] is None for r in results)
    write(here, "rows.md", "```shapecheck\ndW2 = 1/m * A1.T @ dZ2\n```\n\n"
                           "```shapecheck\nlayout: columns\ndW2 = 1/m * A1.T @ dZ2\n```\n")
    _, results = run_json("rows.md", *COURSE, "--layout", "rows")
    assert [r["verdict"] for r in results] == ["pass", "shape"]


def test_formulas_and_files_in_one_call(here):
    write(here, "blocks.md", BLOCKS)
    code, results = run_json("dZ2 = A2 - Y", "blocks.md", *COURSE)
    assert results[0]["source"] is None
    assert [r["source"]["file"] for r in results[1:]] == ["blocks.md"] * 3
    assert code == 1
    assert run("dZ2 = A2 - Y", "blocks.md", *COURSE).stdout.splitlines()[-1] == \
        "4 formulas in 1 file: 3 pass, 1 value"


# --- files that cannot be read -------------------------------------------------------

UNREADABLE = [
    ("missing.md", None, "missing.md:1:1: ! error  no such file",
     "missing.md: no such file"),
    ("latin1.md", "```shapecheck\n# Größe\ndZ2 = A2 - Y\n```\n".encode("latin-1"),
     "latin1.md:2:1: ! error  not UTF-8 text (byte 0xf6 at offset 18)",
     "latin1.md: not UTF-8 text (byte 0xf6 at offset 18)"),
    ("broken.ipynb", '{"cells": [\n  {"cell_type": "markdown",}\n]}\n',
     "broken.ipynb:2:27: ! error  not a valid notebook (broken JSON at line 2: "
     "Expecting property name enclosed in double quotes)", None),
    ("cells.ipynb", '{"cells": {}}', "cells.ipynb:1:1: ! error  not a valid notebook "
     "(no list of cells)", "cells.ipynb: not a valid notebook (no list of cells)"),
]


@pytest.mark.parametrize("name, content, line, message", UNREADABLE,
                         ids=[u[0] for u in UNREADABLE])
def test_an_unreadable_file_is_an_error_with_its_name_and_the_others_are_checked(
        here, name, content, line, message):
    if content is not None:
        write(here, name, content)
    write(here, "good.md", "```shapecheck\ndZ2 = A2 - Y\n```\n")
    write(here, "wrong.md", "```shapecheck\ndW2 = dZ2 @ A1.T\n```\n")
    result = run("good.md", name, "wrong.md", *COURSE)
    assert result.exit_code == 2  # an error wins over a wrong formula
    stderr = result.stderr.splitlines()
    assert len(stderr) == 1 and stderr[0].split(": ! error  ")[0].startswith(f"{name}:")
    assert re.sub(r":\d+:\d+:", ":L:C:", stderr[0]) == re.sub(r":\d+:\d+:", ":L:C:", line)
    out = result.stdout.splitlines()
    assert out[0].startswith("good.md:2:1: ✓ pass   dZ2 = A2 - Y")
    assert out[1].startswith("wrong.md:2:1: ✗ value  dW2 = dZ2 @ A1.T")
    assert out[-1] == "2 formulas in 3 files: 1 pass, 1 value; 1 file or directive error"

    code, results = run_json("good.md", name, "wrong.md", *COURSE)
    assert code == 2
    assert [(r["source"]["file"], r["verdict"]) for r in results] == [
        ("good.md", "pass"), (name, "error"), ("wrong.md", "value")]
    assert results[1]["formula"] == "" and results[1]["message"].startswith(f"{name}: ")
    if message:
        assert results[1]["message"] == message


def test_an_unreadable_file_alone(here):
    result = run("nowhere.tex")
    assert result.exit_code == 2
    assert result.stderr == "nowhere.tex:1:1: ! error  no such file\n"
    assert result.stdout == "0 formulas in 1 file: 1 file or directive error\n"


def test_a_directory_is_not_a_notes_file(here):
    (here / "notes").mkdir()
    result = run("notes", *COURSE)
    assert result.exit_code == 2
    assert result.stderr == "notes:1:1: ! error  is a directory, not a notes file\n"


# --- nothing to check ----------------------------------------------------------------

@pytest.mark.parametrize("name, content", [
    ("empty.md", ""),
    ("prose.md", "# Notes\n\nNo formulas here, only `dW = 1` in code and $dW = 1$ in math.\n"),
    ("article.tex", "\\documentclass{article}\n\\begin{document}\n"
                    "\\begin{equation} dW = 1 \\end{equation}\n\\end{document}\n"),
    ("code.ipynb", notebook([("code", "dZ2 = A2 - Y\n")])),
    ("empty.txt", "\n# only a comment\n"),
])
def test_a_file_without_formulas_is_fine(here, name, content):
    write(here, name, content)
    result = run(name)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "0 formulas in 1 file: nothing to check\n"
    assert run_json(name) == (0, [])


def test_several_files_without_formulas(here):
    for name in ("a.md", "b.tex"):
        write(here, name, "")
    assert run("a.md", "b.tex").stdout == "0 formulas in 2 files: nothing to check\n"


# --- --json --------------------------------------------------------------------------

def test_json_source_is_filled(here):
    write(here, "notes.md", MARKDOWN)
    result = run("notes.md", *COURSE, "--json")
    report = json.loads(result.stdout)
    assert report["ok"] is False
    sources = [r["source"] for r in report["results"]]
    assert sources == [{"file": "notes.md", "line": 5, "column": 1},
                       {"file": "notes.md", "line": 6, "column": 1},
                       {"file": "notes.md", "line": 12, "column": 3},
                       {"file": "notes.md", "line": 17, "column": 7}]
    shape = report["results"][2]
    assert shape["verdict"] == "shape" and shape["hint"] == "W2.T @ dZ2"
    assert shape["span"] == [6, 16]
    assert [o["text"] for o in shape["operands"]] == ["dZ2", "W2.T"]
    assert result.stderr == "" and result.exit_code == 1


def test_json_keeps_the_path_as_given(here):
    (here / "week3").mkdir()
    write(here, "week3/notes.md", "```shapecheck\ndZ2 = A2 - Y\n```\n")
    code, results = run_json("week3/notes.md", str(here / "week3" / "notes.md"))
    assert code == 0
    assert [r["source"]["file"] for r in results] == ["week3/notes.md",
                                                     str(here / "week3" / "notes.md")]


# --- the example notes ---------------------------------------------------------------

# The numpy-syntax formulas of examples/notes (fenced blocks, the shapecheck environment)
# and their verdicts. The files also hold formulas in lecture notation (display math
# after a directive comment); for those only their places are asserted here, and that
# they are never judged wrong: they are right, and they are an `error` until the
# notation is understood.
EXAMPLE_NUMPY = [
    ("derivation.md", 18, 1, "dZ2 = A2 - Y", "pass"),
    ("derivation.md", 19, 1, "dW2 = 1/m * dZ2 @ A1.T", "pass"),
    ("derivation.md", 20, 1, "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "pass"),
    ("derivation.md", 23, 1, "dZ1 = dZ2 @ W2.T * g1'(Z1)", "shape"),
    ("chapter2.tex", 38, 1, "dZ2 = A2 - Y", "pass"),
    ("chapter2.tex", 39, 1, "dW2 = dZ2 @ A1.T", "value"),
    ("chapter2.tex", 40, 1, "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "pass"),
    ("chapter2.tex", 41, 1, "dZ1 = W2.T @ dZ2 * g1'(Z1)", "pass"),
    ("hw3.ipynb", 45, 1, "dZ1 = W2.T @ dZ2 * g1'(Z1)", "pass"),
    ("hw3.ipynb", 46, 1, "dW1 = 1/m * dZ1 @ X.T", "pass"),
    ("hw3.ipynb", 47, 1, "db1 = 1/m * np.sum(dZ1, axis=0, keepdims=True)", "shape"),
]
EXAMPLE_NOTATION = [
    ("derivation.md", 31, 1), ("derivation.md", 37, 1), ("derivation.md", 46, 1),
    ("derivation.md", 47, 1), ("chapter2.tex", 23, 3), ("chapter2.tex", 27, 3),
    ("chapter2.tex", 28, 3), ("chapter2.tex", 32, 3), ("hw3.ipynb", 58, 1),
]
EXAMPLE_FILES = ("derivation.md", "chapter2.tex", "hw3.ipynb")


def is_notation(formula: str) -> bool:
    return any(mark in formula for mark in ("^", "\\", "{"))


def test_the_example_notes(monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    code, results = run_json(*EXAMPLE_FILES)
    numpy = [r for r in results if not is_notation(r["formula"])]
    notation = [r for r in results if is_notation(r["formula"])]
    assert verdicts(numpy) == EXAMPLE_NUMPY
    assert [(f, line, col) for f, line, col, _, _ in verdicts(notation)] == EXAMPLE_NOTATION
    assert all(r["verdict"] in ("pass", "error") for r in notation)
    assert code == (2 if any(r["verdict"] == "error" for r in results) else 1)

    result = run(*EXAMPLE_FILES)
    assert result.exit_code == code
    out = result.stdout.splitlines()
    for file, line, column, formula, verdict in EXAMPLE_NUMPY:
        mark = {"pass": "✓ pass ", "shape": "✗ shape", "value": "✗ value"}[verdict]
        assert any(o.startswith(f"{file}:{line}:{column}: {mark}  {formula}   ") for o in out)
    assert re.fullmatch(r"20 formulas in 3 files: \d+ pass, 2 shape, 1 value(, \d+ error)?",
                        out[-1])


# --- one process, one parser, one network per setting --------------------------------

def test_the_parser_and_the_network_are_built_once_not_per_formula(tmp_path, monkeypatch):
    built = {"parser": 0, "network": 0}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            built[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(parse, "_parser", None)
    monkeypatch.setattr(parse, "_load_parser", counting("parser", parse._load_parser))
    monkeypatch.setattr(binding, "network", counting("network", binding.network))
    formulas = ("dZ2 = A2 - Y\ndW2 = 1/m * dZ2 @ A1.T\ndZ1 = W2.T @ dZ2 * g1'(Z1)\n"
                "dW1 = 1/m * dZ1 @ X.T\n")
    block = "```shapecheck\nsizes: n0=3 n1=4 n2=2 m=5\n" + formulas * 5 + "```\n\n"
    path = tmp_path / "many.md"
    path.write_text(block * 3, encoding="utf-8")
    results = list(Session(Options()).files([str(path)]))
    assert len(results) == 3 * 4 * 5
    assert {r.verdict for r in results} == {"pass"}
    assert built == {"parser": 1, "network": 1}
