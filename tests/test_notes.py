"""Reading formulas and directives out of notes files (shapecheck.notes)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shapecheck.errors import UnreadableFileError
from shapecheck.notes import (NoteDerivation, NoteError, NoteFormula, Setting, is_gradient_lhs,
                              read_notes)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "notes"
COURSE = {"n0": 3, "n1": 4, "n2": 2, "m": 5}


def read(tmp_path, name: str, text: str, defaults: Setting | None = None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_notes(str(path), defaults or Setting())


def formulas(items) -> list[tuple[str, int, int]]:
    return [(i.text, i.line, i.column) for i in items if isinstance(i, NoteFormula)]


def errors(items) -> list[tuple[str, int, int]]:
    return [(i.message, i.line, i.column) for i in items if isinstance(i, NoteError)]


def notebook(tmp_path, cells: list[dict], name: str = "hw.ipynb") -> str:
    """Write a notebook the way Jupyter does (indent 1, one JSON string per line)."""
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / name
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    return str(path)


def markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text.splitlines(keepends=True)}


def code_cell(text: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": text.splitlines(keepends=True)}


# --- gradient left sides -------------------------------------------------------------

@pytest.mark.parametrize("lhs", [
    "dW", "dZ1", "dz1", "dA_prev", "dW^{[2]}", "dW[1]", " dW2 ", "dW_{2}", "dJ/dW",
    "dJ/dW1", r"\partial J/\partial W", r"\partial J / \partial W^{[1]}",
    r"\frac{\partial J}{\partial W}", r"\frac{\partial \mathcal{L}}{\partial Z^{[2]}}",
    r"\frac{dJ}{dW}", r"{\partial J \over \partial W}", r"\nabla_W J",
])
def test_gradient_left_sides(lhs):
    assert is_gradient_lhs(lhs)


@pytest.mark.parametrize("lhs", [
    "W", "Z1", "J", "Y", "A_prev", "d", "d1", "D", "dW2.T", "np.dot(A, B)",
    r"\frac{1}{m}", "Z^{[1]}", "",
])
def test_non_gradient_left_sides(lhs):
    assert not is_gradient_lhs(lhs)


def test_the_naming_convention_decides_what_a_gradient_left_side_is():
    """notes asks the convention's one owner, models.names, rather than keeping its own."""
    from shapecheck.models import names

    assert is_gradient_lhs is names.is_gradient_lhs


# --- Markdown blocks ---------------------------------------------------------------

BLOCKS = """\
# Notes

Some prose with dW = 1 in it, not checked.

```python
dW2 = 1/m * dZ2 @ A1.T
```

```shapecheck
dZ2 = A2 - Y
sizes: n1=4 m=5   # the course sizes
# a whole-line comment
  dW2 = 1/m * dZ2 @ A1.T  # trailing comment
activation: g1 = tanh
layout: rows
dZ1 = W2.T @ dZ2 * g1'(Z1)
```

- in a list:

  ```shapecheck extra words
  db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)
  ```
"""


def test_markdown_blocks_positions_and_comments(tmp_path):
    items = read(tmp_path, "notes.md", BLOCKS)
    assert formulas(items) == [
        ("dZ2 = A2 - Y", 10, 1),
        ("dW2 = 1/m * dZ2 @ A1.T", 13, 3),
        ("dZ1 = W2.T @ dZ2 * g1'(Z1)", 16, 1),
        ("db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)", 22, 3),
    ]
    assert all(i.file == str(tmp_path / "notes.md") for i in items)


def test_markdown_directives_apply_to_later_lines_and_merge_over_defaults(tmp_path):
    defaults = Setting(sizes={"n0": 3, "m": 7}, layout="columns")
    dz2, dw2, dz1, db1 = read(tmp_path, "notes.md", BLOCKS, defaults)
    assert dz2.setting == defaults
    assert dw2.setting.sizes == {"n0": 3, "m": 5, "n1": 4}
    assert dw2.setting.activations == {} and dw2.setting.layout == "columns"
    assert dz1.setting.activations == {"g1": "tanh"}
    assert dz1.setting.layout == "rows"
    assert db1.setting == defaults  # each block starts from the defaults


def test_markdown_block_shapes_labels_and_forward(tmp_path):
    items = read(tmp_path, "notes.md", """\
```shapecheck
shape: H = (1, h)
shape: W=h,y  s = ()  b = (c,)
shape: v=c
label: T, Y
forward: Y = f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)
dW = H.T @ ((Y - T) * f'(H @ W + B))
dJ/dB = (Y - T) * f'(H @ W + B)
```
""", Setting(forward=("J = np.sum(W)",), labels=("T",)))
    dw, djdb = items
    assert dw.setting.shapes == {"H": (1, "h"), "W": ("h", "y"), "s": (), "b": ("c",),
                                 "v": ("c",)}
    assert dw.setting.labels == ("T", "Y")
    assert dw.setting.forward == ("Y = f(H @ W + B)", "J = 1/2 * np.sum((Y - T) ** 2)")
    assert djdb.text == "dJ/dB = (Y - T) * f'(H @ W + B)"


def test_plain_forward_equations_replace_the_default_model_then_accumulate(tmp_path):
    items = read(tmp_path, "notes.md", """\
```shapecheck
dW = 1
U = H @ W   # a forward equation: its left side is no gradient
J = np.sum(U ** 2)
dU = 2 * U
```
""", Setting(forward=("J = np.sum(W)",)))
    assert formulas(items) == [("dW = 1", 2, 1), ("dU = 2 * U", 5, 1)]
    assert items[0].setting.forward == ("J = np.sum(W)",)
    assert items[1].setting.forward == ("U = H @ W", "J = np.sum(U ** 2)")


def test_a_line_that_is_no_equation_is_still_a_formula_for_the_core_to_judge(tmp_path):
    items = read(tmp_path, "notes.md", "```shapecheck\nW2.T @ dZ2\n```\n")
    assert formulas(items) == [("W2.T @ dZ2", 2, 1)]


def test_markdown_directive_errors_are_items_with_positions(tmp_path):
    items = read(tmp_path, "notes.md", """\
```shapecheck
sizes: n1=4 m=0
size: n0=x
activation: g1 = gelu
layout: cols
shape: H = (1, 2.5)
shape: H 3
label: 2T
forward: Y = f(H); J
colour: blue
dZ2 = A2 - Y
```
""", Setting(sizes={"m": 5}))
    assert errors(items) == [
        ("size 'm' must be a positive integer, not '0'", 2, 15),
        ("size 'n0' must be a positive integer, not 'x'", 3, 10),
        ("activation 'g1' must be one of tanh, sigmoid, relu, softplus, identity, "
         "softmax, not 'gelu'", 4, 18),
        ("layout must be 'columns' or 'rows', not 'cols'", 5, 9),
        ("a dimension is a size name or a positive integer, not '2.5'", 6, 15),
        ("expected NAME=DIMS, e.g. H = (1, h), found 'H 3'", 7, 8),
        ("a label must be a name, not '2T'", 8, 8),
        ("forward equation 'J' has no '='", 9, 19),
        ("unknown directive 'colour'; the directives are sizes, shape, activation, "
         "layout, label, forward", 10, 1),
    ]
    # a failing directive binds nothing, and the rest of the file is still read
    (dz2,) = [i for i in items if isinstance(i, NoteFormula)]
    assert dz2.line == 11
    assert dz2.setting == Setting(sizes={"m": 5})


# --- Markdown display math after <!-- shapecheck --> -----------------------------------

def test_display_math_needs_the_opt_in_comment(tmp_path):
    items = read(tmp_path, "notes.md", """\
$$
dZ^{[2]} = A^{[2]} - Y
$$

<!-- an ordinary comment -->

$$ dW = 1 $$
""")
    assert items == []


def test_display_math_after_the_comment(tmp_path):
    items = read(tmp_path, "notes.md", r"""Before: $$ dW = ignored $$

<!-- shapecheck: n0=3 n1=4 m=5 -->

$$
dZ^{[2]} = A^{[2]} - Y
$$

The weights,
$$dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T},$$
inside a paragraph.

$$
\begin{aligned}
dZ^{[1]} &= W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]}) \label{eq:dz1} \\
dW^{[1]} &= \frac{1}{m}
            dZ^{[1]} X^T \nonumber.
\end{aligned}
$$

$$ \frac{\partial J}{\partial W} = X^T dZ $$ (eq-label)

$$ e^{i\pi} + 1 $$
""", Setting(sizes={"m": 9, "n2": 2}))
    assert formulas(items) == [
        ("dZ^{[2]} = A^{[2]} - Y", 6, 1),
        (r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}", 10, 3),
        (r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})", 15, 1),
        (r"dW^{[1]} = \frac{1}{m} dZ^{[1]} X^T", 16, 1),
        (r"\frac{\partial J}{\partial W} = X^T dZ", 21, 4),
    ]
    assert {i.setting.sizes["m"] for i in items} == {5}
    assert items[0].setting.sizes == {"m": 5, "n2": 2, "n0": 3, "n1": 4}


def test_display_math_rows_lines_and_derivation_steps(tmp_path):
    items = read(tmp_path, "notes.md", r"""<!-- shapecheck -->
$$
dX = 1 \\ dY = 2 \\[4pt]
\frac{\partial J}{\partial W}
  = \frac{\partial J}{\partial Z} X^T
  = dZ X^T
$$

$$
\begin{aligned}
dW &= A \\
   &= B
\end{aligned}
$$
""")
    assert formulas(items) == [("dX = 1", 3, 1), ("dY = 2", 3, 11)]
    # a chain of steps is one derivation: each member at its own line and column
    assert [i.members for i in items if isinstance(i, NoteDerivation)] == [
        ((r"\frac{\partial J}{\partial W}", 4, 1), (r"\frac{\partial J}{\partial Z} X^T", 5, 5),
         ("dZ X^T", 6, 5)),
        (("dW", 11, 1), ("A", 11, 7), ("B", 12, 7)),
    ]


def test_display_math_forward_equations_and_scopes(tmp_path):
    items = read(tmp_path, "notes.md", """\
<!-- shapecheck:
  sizes: n0=3; shape: H = (1, h)
  activation: g1=tanh -->
<!-- shapecheck: m=5 forward: U = H @ W; J = np.sum(U) -->

$$ V = 2 * U $$

$$ dU = 1 $$

<!-- shapecheck: n1=4 -->

$$ dW = 2 $$
""", Setting(sizes={"n0": 1}))
    du, dw = items
    # two comments with no equation between add up; display math `V = 2 * U` is prose
    # for people, not part of the model
    assert du.setting.sizes == {"n0": 3, "m": 5}
    assert du.setting.shapes == {"H": (1, "h")}
    assert du.setting.activations == {"g1": "tanh"}
    assert du.setting.forward == ("U = H @ W", "J = np.sum(U)")
    # a comment after equations starts over from the defaults
    assert dw.setting == Setting(sizes={"n0": 1, "n1": 4})


def test_comment_directive_errors_have_positions(tmp_path):
    items = read(tmp_path, "notes.md", """\
<!-- shapecheck: n0=3 m=0; layout: diagonal -->
$$ dW = 1 $$
""")
    assert errors(items) == [
        ("size 'm' must be a positive integer, not '0'", 1, 25),
        ("layout must be 'columns' or 'rows', not 'diagonal'", 1, 36),
    ]
    assert formulas(items) == [("dW = 1", 2, 4)]
    assert items[-1].setting.sizes == {}  # the failing clause binds none of its sizes


def test_shapecheck_block_is_not_affected_by_the_comment(tmp_path):
    items = read(tmp_path, "notes.md", "<!-- shapecheck: m=5 -->\n\n```shapecheck\ndW = 1\n```\n")
    assert items[0].setting == Setting()


# --- LaTeX -------------------------------------------------------------------------

CHAPTER = r"""\documentclass{article}
\begin{document}
\section{Forward}
\begin{equation}
  dW = \text{before any directive: not checked}
\end{equation}
% shapecheck: n0=3 n1=4 m=5
% shapecheck: activation: g1 = tanh
Text $dW = 1$ inline, and a comment: % dZ = 3
\begin{align*}
  dZ^{[2]} &= A^{[2]} - Y \\[2pt]
  dW^{[2]} &= \frac{1}{m} dZ^{[2]} A^{[1]T}, \label{eq:dw2} \\
  Z^{[1]}  &= W^{[1]} X + b^{[1]} \nonumber \\
  db^{[2]} &= z
\end{align*}
\[ \frac{\partial J}{\partial W} = H^T (Y - T) \]
$$ {\partial J \over \partial b} = x. $$
\begin{alignat}{2}
  dB &= y
\end{alignat}
\subsection{Next}
\[ dW = \text{the section ended the scope} \]
\begin{shapecheck}
sizes: m=7     # a hash comment
dW2 = 1/m * dZ2 @ A1.T  % a TeX comment
\end{shapecheck}
\begin{verbatim}
% shapecheck: m=5
\[ dW = verbatim \]
\end{verbatim}
% shapecheck: layout: rows; colour: 3
\begin{equation*}
  dX = 1
\end{equation*}
\end{document}
% shapecheck: m=5
\[ dW = after the end of the document \]
"""


def test_latex_formulas_are_opt_in_and_scoped_by_sections(tmp_path):
    items = read(tmp_path, "chapter2.tex", CHAPTER, Setting(sizes={"n2": 2}))
    assert formulas(items) == [
        ("dZ^{[2]} = A^{[2]} - Y", 11, 3),
        (r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}", 12, 3),
        ("db^{[2]} = z", 14, 3),
        (r"\frac{\partial J}{\partial W} = H^T (Y - T)", 16, 4),
        (r"{\partial J \over \partial b} = x", 17, 4),
        ("dB = y", 19, 3),
        ("dW2 = 1/m * dZ2 @ A1.T", 25, 1),
        ("dX = 1", 33, 3),
    ]
    assert errors(items) == [
        ("unknown directive 'colour'; the directives are sizes, shape, activation, "
         "layout, label, forward", 31, 29),
    ]


def test_latex_settings(tmp_path):
    items = read(tmp_path, "chapter2.tex", CHAPTER, Setting(sizes={"n2": 2}))
    dz2, dw2, db2, djdw = items[:4]
    assert dz2.setting.sizes == {"n2": 2, "n0": 3, "n1": 4, "m": 5}
    assert dz2.setting.activations == {"g1": "tanh"}
    assert dz2.setting.forward == dw2.setting.forward == ()
    # a non-gradient equation in display math is the forward pass written for people:
    # neither checked nor taken as a model (that would replace the built-in network)
    assert db2.setting.forward == djdw.setting.forward == ()
    env, dx = [i for i in items if isinstance(i, NoteFormula)][-2:]
    assert env.setting == Setting(sizes={"n2": 2, "m": 7})  # the environment starts anew
    assert dx.setting == Setting(sizes={"n2": 2}, layout="rows")


def test_latex_without_directives_has_no_formulas(tmp_path):
    text = "\\section{A}\n\\begin{equation}\n dW = 1\n\\end{equation}\n$$ dZ = 2 $$\n"
    assert read(tmp_path, "a.tex", text) == []


# --- notebooks ---------------------------------------------------------------------

def test_notebook_markdown_cells_with_file_lines(tmp_path):
    path = notebook(tmp_path, [
        markdown_cell("# HW\n\n<!-- shapecheck: m=5 -->\nProse."),
        code_cell("```shapecheck\ndW = 1\n```\n$$ dZ = 2 $$\ndW2 = dZ2 @ A1.T"),
        markdown_cell("Then\n$$ dZ^{[2]} = A^{[2]} - Y $$\n\n```shapecheck\nsizes: m=0\n"
                      "  dZ1 = W2.T @ dZ2 * g1'(Z1)\n```"),
    ])
    items = read_notes(path, Setting())
    lines = Path(path).read_text().split("\n")

    def file_line(fragment: str) -> int:
        (number,) = [n for n, line in enumerate(lines, 1) if fragment in line]
        return number

    assert formulas(items) == [
        ("dZ^{[2]} = A^{[2]} - Y", file_line("$$ dZ^{[2]}"), 4),
        ("dZ1 = W2.T @ dZ2 * g1'(Z1)", file_line("dZ1 ="), 3),
    ]
    assert errors(items) == [
        ("size 'm' must be a positive integer, not '0'", file_line("sizes: m=0"), 10)]
    assert items[0].setting.sizes == {"m": 5}  # the comment in cell 1 reaches cell 3


def test_notebook_source_as_one_string(tmp_path):
    cell = {"cell_type": "markdown", "metadata": {},
            "source": "Intro\n```shapecheck\ndW1 = 1/m * dZ1 @ X.T\n```"}
    path = notebook(tmp_path, [cell])
    (formula,) = read_notes(path, Setting())
    assert formula.text == "dW1 = 1/m * dZ1 @ X.T"
    assert formula.line == next(n for n, line in enumerate(
        Path(path).read_text().split("\n"), 1) if '"source"' in line)
    assert formula.column == 1


def test_notebook_with_only_code_cells_has_no_formulas(tmp_path):
    path = notebook(tmp_path, [code_cell("dW2 = 1/m * dZ2 @ A1.T\n")])
    assert read_notes(path, Setting()) == []


@pytest.mark.parametrize("text, message", [
    ('{"cells": [', "hw.ipynb: not a valid notebook (broken JSON at line 1: "),
    ('{"cells": {}}', "hw.ipynb: not a valid notebook (no list of cells)"),
    ("[1, 2]", "hw.ipynb: not a valid notebook (no list of cells)"),
    ('{"cells": [{"cell_type": "markdown", "source": 3}]}',
     "hw.ipynb: not a valid notebook (cell 1's source is not text)"),
    ('{"cells": [], "cells": []}', "hw.ipynb: not a valid notebook (duplicate key 'cells')"),
])
def test_broken_notebooks(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    Path("hw.ipynb").write_text(text)
    with pytest.raises(UnreadableFileError) as info:
        read_notes("hw.ipynb", Setting())
    assert info.value.message.startswith(message)
    assert info.value.path == "hw.ipynb"


# --- plain text --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["formulas.txt", "formulas", "derivation.rst"])
def test_plain_text(tmp_path, name):
    items = read(tmp_path, name, "sizes: m=5\n\n  dZ2 = A2 - Y   # output layer\n"
                                 "J = np.sum(A2)\ndb2 = np.sum(dZ2)\n")
    assert formulas(items) == [("dZ2 = A2 - Y", 3, 3), ("db2 = np.sum(dZ2)", 5, 1)]
    assert items[0].setting == Setting(sizes={"m": 5})
    assert items[1].setting.forward == ("J = np.sum(A2)",)


def test_windows_line_ends_and_byte_order_mark(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes("\ufeff```shapecheck\r\nsizes: m=5\r\ndW = 1\r\n```\r\n".encode())
    assert formulas(read_notes(str(path), Setting())) == [("dW = 1", 3, 1)]


# --- unreadable and empty files ----------------------------------------------------

def test_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnreadableFileError, match=r"^notes\.md: no such file$"):
        read_notes("notes.md", Setting())


def test_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("notes").mkdir()
    with pytest.raises(UnreadableFileError, match=r"^notes: is a directory"):
        read_notes("notes", Setting())


def test_not_utf8(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("notes.md").write_bytes(b"dW = 1\nabc\xff\n")
    with pytest.raises(UnreadableFileError) as info:
        read_notes("notes.md", Setting())
    assert info.value.message == "notes.md: not UTF-8 text (byte 0xff at offset 10)"
    assert (info.value.path, info.value.line) == ("notes.md", 2)


@pytest.mark.parametrize("name", ["empty.md", "empty.tex", "empty.txt"])
def test_empty_files(tmp_path, name):
    assert read(tmp_path, name, "") == []


def test_empty_notebook_and_prose_only(tmp_path):
    assert read_notes(notebook(tmp_path, []), Setting()) == []
    assert read(tmp_path, "prose.md", "# Title\n\nNo formulas here: $a = b$.\n") == []


# --- the examples ------------------------------------------------------------------

def test_examples(monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    found = {name: [(i.text, i.line) for i in read_notes(name, Setting())]
             for name in ("derivation.md", "chapter2.tex", "hw3.ipynb")}
    assert found == {
        "derivation.md": [
            ("dZ2 = A2 - Y", 18),
            ("dW2 = 1/m * dZ2 @ A1.T", 19),
            ("db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", 20),
            ("dZ1 = dZ2 @ W2.T * g1'(Z1)", 23),  # the forum poster's mistake
            ("dZ^{[2]} = A^{[2]} - Y", 31),
            (r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}", 37),
            (r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})", 46),
            (r"dW^{[1]} = \frac{1}{m} dZ^{[1]} X^T", 47),
        ],
        "chapter2.tex": [
            ("dZ^{[2]} = A^{[2]} - Y", 23),
            (r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}", 27),
            (r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})", 28),
            (r"dW^{[1]} = \frac{1}{m} dZ^{[1]} X^T", 32),
            ("dZ2 = A2 - Y", 38),
            ("dW2 = dZ2 @ A1.T", 39),  # missing 1/m
            ("db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", 40),
            ("dZ1 = W2.T @ dZ2 * g1'(Z1)", 41),
        ],
        "hw3.ipynb": [
            ("dZ1 = W2.T @ dZ2 * g1'(Z1)", 45),
            ("dW1 = 1/m * dZ1 @ X.T", 46),
            ("db1 = 1/m * np.sum(dZ1, axis=0, keepdims=True)", 47),  # wrong axis
            ("dZ^{[2]} = A^{[2]} - Y", 58),
        ],
    }
    for name in found:
        for item in read_notes(name, Setting()):
            assert item.setting == Setting(sizes=COURSE)


def test_columns_survive_tabs_expanded_by_the_markdown_parser(tmp_path):
    items = read(tmp_path, "notes.md", "- item\n\n\t```shapecheck\n\tdW = 1\n\t```\n")
    assert formulas(items) == [("dW = 1", 4, 2)]
