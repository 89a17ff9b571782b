"""Read the formulas and the directives that go with them out of notes files.

    read_notes("notes.md", Setting(sizes={"m": 5}))
    # -> [NoteFormula(text="dZ1 = W2.T @ dZ2 * g1'(Z1)", file="notes.md", line=12, ...)]

This package only finds formulas, splits lines, strips comments, parses the small
directive language and keeps positions; the core's grammar parses and checks the text.
It may import the base, `functions` and models/ (which left sides name a gradient);
the session calls it.

Where formulas are found:

* Markdown (`.md`, `.markdown`, `.qmd`): fenced blocks whose info string is
  `shapecheck`, read like a plain-text file; and display math (`$$ ... $$`) after a
  `<!-- shapecheck: ... -->` comment, up to the next such comment.
* LaTeX (`.tex`): display math (`equation`, `align`, `gather`, ... with or without `*`,
  `\\[ \\]`, `$$ $$`) after a `% shapecheck: ...` comment line, up to the next such
  comment or the next sectioning command; and `shapecheck` environments, read like a
  plain-text file. Nothing after `\\end{document}` is read.
* Jupyter (`.ipynb`): each markdown cell read as Markdown, a directive comment in one
  cell still applying in the next ones; code cells are ignored (never executed).
* Any other file: plain text, one formula or directive per line.

In a plain-text file or block, each block starts from the defaults; `# ...` is a comment;
`WORD: ...` is a directive for the lines after it (`sizes: m=5`, `shape: H = (1, h)`,
`activation: g1 = tanh`, `layout: rows`, `label: T`, `forward: EQ; EQ`); `NAME = EXPR`
is a forward equation unless `is_gradient_lhs(NAME)`; every other line is a formula.
In display math only gradient equations count (the others are the forward pass written
for people, neither checked nor a model: a model comes from `forward:`); a directive comment's body is clauses separated by `;` or directive
words, where bare `NAME=INT` pairs are sizes and `forward:` takes the rest of its line.

Decisions where the brief was silent:

* The first forward equation of a block or comment scope replaces the forward model of
  the defaults (a model from `--forward`); the later ones add to it.
* A directive comment read before any equation under the previous one adds to it (so a
  long LaTeX directive can take several `% shapecheck:` lines); otherwise it starts anew
  from the defaults.
* In display math, rows are split at `\\\\`; a row's lines are joined into one formula,
  except that a line holding `=` starts a new formula once the current one has its `=`.
  A row or line that starts with `=` (`&= ...`, a step of a derivation) adds a member to
  the equation above: `A = B = C` (in a row, or in a plain-text line) and such rows make a
  `NoteDerivation`, whose members keep their own line and column; shapecheck.chains checks
  each link between two neighbouring members. An equation of two members is a derivation
  when it is written in index notation (`Y_i`, `\\sum_j`, `\\delta_{ik}`, ∂ by an entry).
* Fenced blocks whose info string is `math` are display math.
* Notebook positions: `line` is the line of the `.ipynb` file holding the JSON string
  where that source line starts (string literals of the raw JSON are paired in order
  with the strings of the parsed notebook, which has the same order); `column` is the
  column in the cell's source line, as the user sees it, not in the escaped JSON.
* A failing directive applies none of its values (nothing half-bound).
"""
from __future__ import annotations

from pathlib import Path

from ..models.names import is_gradient_lhs

from .directives import OptIn
from .formats import read_latex, read_markdown, read_notebook, read_text
from .formulas import read_block
from .items import NoteDerivation, NoteError, NoteFormula, Setting, source_pieces

__all__ = ["NoteDerivation", "NoteError", "NoteFormula", "Setting", "is_gradient_lhs", "read_notes",
           "read_plain"]

_MARKDOWN_SUFFIXES = (".md", ".markdown", ".qmd")


def read_notes(path: str, defaults: Setting) -> list[NoteFormula | NoteError]:
    """The formulas and directive errors of a notes file, in file order.

    `read_notes("hw3.ipynb", Setting(sizes={"m": 5}))` -> `[NoteFormula(...), ...]`;
    raises `UnreadableFileError` for a file that cannot be read.
    """
    text = read_text(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".ipynb":
        return read_notebook(text, path, defaults)
    if suffix in _MARKDOWN_SUFFIXES:
        return read_markdown(text, path, OptIn(defaults))
    if suffix == ".tex":
        return read_latex(text, path, defaults)
    return read_plain(text, path, defaults)


def read_plain(text: str, name: str, defaults: Setting) -> list[NoteFormula | NoteError]:
    """Plain-text notes given as a string (an IPython `%%shapecheck` cell), placed in `name`:
    one formula or directive per line."""
    return read_block(source_pieces(text, 0, len(text)), name, defaults)
