"""Read the formulas and the directives that go with them out of notes files.

    read_notes("notes.md", Setting(sizes={"m": 5}))
    # -> [NoteFormula(text="dZ1 = W2.T @ dZ2 * g1'(Z1)", file="notes.md", line=12, ...)]

This module only finds formulas, splits lines, strips comments, parses the small
directive language and keeps positions; the core's grammar parses and checks the text.

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
  A row or line that starts with `=` (`&= ...`, a step of a derivation) is checked as
  the previous left side `= ...`, positioned at that row.
* Notebook positions: `line` is the line of the `.ipynb` file holding the JSON string
  where that source line starts (string literals of the raw JSON are paired in order
  with the strings of the parsed notebook, which has the same order); `column` is the
  column in the cell's source line, as the user sees it, not in the escaped JSON.
* A failing directive applies none of its values (nothing half-bound).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Mapping, NamedTuple

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from shapecheck.errors import BadOptionError, UnreadableFileError

ACTIVATIONS = ("tanh", "sigmoid", "relu", "softplus", "identity", "softmax")
LAYOUTS = ("columns", "rows")
DIRECTIVES = ("sizes", "shape", "activation", "layout", "label", "forward")
_ALIASES = {"size": "sizes", "shapes": "shape", "activations": "activation",
            "labels": "label"}
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".qmd")


@dataclass(frozen=True)
class Setting:
    """Everything a formula is checked with: the defaults plus the directives before it."""
    sizes: Mapping[str, int] = field(default_factory=dict)
    shapes: Mapping[str, tuple] = field(default_factory=dict)
    activations: Mapping[str, str] = field(default_factory=dict)
    layout: str | None = None
    forward: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoteFormula:
    """A formula to check, with its 1-based position in the file."""
    text: str
    file: str
    line: int
    column: int
    setting: Setting


@dataclass(frozen=True)
class NoteError:
    """A malformed directive: reported, and the rest of the file is still read."""
    message: str
    file: str
    line: int
    column: int


Item = NoteFormula | NoteError

_GRADIENT_LHS = re.compile(r"""
    d[A-Za-z][\w{}\[\]^_'+\-]*              # dW, dZ1, dA_prev, dW^{[2]}, dW[1]
  | d[A-Za-z]\w*/d.+                        # dJ/dW
  | (\\partial|∂).*/(\\partial|∂).+         # \partial J/\partial W
  | \\[dt]?frac\{(\\partial|∂|d[A-Za-z\\]).*  # \frac{\partial J}{\partial W}
  | \{(\\partial|∂).*\\over(\\partial|∂).*\}  # {\partial J \over \partial W}
  | \\nabla.+                               # \nabla_W J
""", re.VERBOSE)


def is_gradient_lhs(lhs: str) -> bool:
    """Whether an equation's left side names a gradient: `is_gradient_lhs("dW^{[2]}")`."""
    return _GRADIENT_LHS.fullmatch(re.sub(r"\s+", "", lhs)) is not None


def read_notes(path: str, defaults: Setting) -> list[NoteFormula | NoteError]:
    """The formulas and directive errors of a notes file, in file order.

    `read_notes("hw3.ipynb", Setting(sizes={"m": 5}))` -> `[NoteFormula(...), ...]`;
    raises `UnreadableFileError` for a file that cannot be read.
    """
    text = _read_text(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".ipynb":
        return _read_notebook(text, path, defaults)
    if suffix in _MARKDOWN_SUFFIXES:
        return _read_markdown(text, path, _OptIn(defaults))
    if suffix == ".tex":
        return _read_latex(text, path, defaults)
    return _read_block(_pieces(text, 0, len(text)), path, defaults)


def _read_text(path: str) -> str:
    if not path:  # Path("") is the current directory
        raise UnreadableFileError("'': an empty argument is neither a formula nor a notes file",
                                  path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file", path) from None
    except IsADirectoryError:
        raise UnreadableFileError(f"{path}: is a directory, not a notes file", path) from None
    except OSError as e:
        raise UnreadableFileError(f"{path}: cannot be read ({e.strerror or e})", path) from None
    except ValueError as e:  # a NUL in the name, which no file name holds
        raise UnreadableFileError(f"{path!r}: cannot be read ({e})", path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise UnreadableFileError(f"{path}: not UTF-8 text (byte 0x{data[e.start]:02x} "
                                  f"at offset {e.start})", path, line) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


# --- positions ---------------------------------------------------------------------

class _Piece(NamedTuple):
    """Text from one source line, and where (1-based) its first character sits."""
    text: str
    line: int
    column: int

    def cut(self, start: int, end: int | None = None) -> _Piece:
        return _Piece(self.text[start:end], self.line, self.column + start)

    def strip(self) -> _Piece:
        body = self.text.lstrip()
        return _Piece(body.rstrip(), self.line, self.column + len(self.text) - len(body))


def _pieces(text: str, start: int, end: int) -> list[_Piece]:
    """The lines of `text[start:end]`, each placed at its line and column in `text`."""
    line = text.count("\n", 0, start) + 1
    line_start = text.rfind("\n", 0, start) + 1
    pieces = []
    while True:
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        a = max(start, line_start)
        pieces.append(_Piece(text[a:min(end, line_end)], line, a - line_start + 1))
        if line_end >= end:
            return pieces
        line, line_start = line + 1, line_end + 1


def _content_pieces(content: str, source: list[str], first: int) -> list[_Piece]:
    """The lines of a Markdown token's content (container prefixes removed by the
    parser), each placed at its column in source line `first + i` (0-based)."""
    pieces = []
    for i, text in enumerate(content.split("\n")):
        raw = source[first + i] if first + i < len(source) else ""
        at = raw.rfind(text)
        if at < 0:  # the parser expanded an indenting tab: place the text after it
            body = text.lstrip()
            at = max(raw.rfind(body), 0) - (len(text) - len(body))
        pieces.append(_Piece(text, first + i + 1, at + 1))
    return pieces


def _slice(pieces: list[_Piece], start: int, end: int) -> list[_Piece]:
    """The pieces of the range [start, end) of the pieces' text joined with newlines."""
    out, offset = [], 0
    for piece in pieces:
        a, b = max(start - offset, 0), min(end - offset, len(piece.text))
        if a <= b and offset <= end and offset + len(piece.text) >= start:
            out.append(piece.cut(a, b))
        offset += len(piece.text) + 1
    return out


# --- directives --------------------------------------------------------------------

_DIRECTIVE = re.compile(r"([A-Za-z_]\w*)\s*:(?!=)\s*")
_NAME = re.compile(r"[A-Za-z_]\w*")
_ITEM = re.compile(r"[^\s,=]+\s*=\s*[^\s,]*|[^\s,]+")
_SHAPE = re.compile(r"([A-Za-z_]\w*)\s*=\s*(\([^()]*\)|[^\s;()]*)")


class _Scope:
    """The setting at a point of a block or of a directive comment's range."""

    def __init__(self, defaults: Setting):
        self.setting = defaults
        self.used = False  # has an equation been read under it?
        self._own_forward = False

    def add_forward(self, equations: list[str]) -> None:
        kept = self.setting.forward if self._own_forward else ()
        self.setting = replace(self.setting, forward=kept + tuple(equations))
        self._own_forward = True

    def apply(self, clause: str) -> None:
        """Apply `WORD: VALUE` (or bare `NAME=INT` sizes); BadOptionError's span is
        a range in `clause`."""
        m = _DIRECTIVE.match(clause)
        word, offset = (m.group(1), m.end()) if m else ("sizes", 0)
        value = clause[offset:]
        known = _ALIASES.get(word, word)
        if known not in DIRECTIVES:
            raise BadOptionError(f"unknown directive '{word}'; the directives are "
                                 f"{', '.join(DIRECTIVES)}", clause, (0, len(word)))
        try:
            getattr(self, "_" + known)(value)
        except BadOptionError as e:
            start, end = e.span or (0, len(value))
            raise BadOptionError(e.message, clause, (start + offset, end + offset)) from None

    def _sizes(self, value: str) -> None:
        sizes = {}
        for name, number, span in _pairs(value, "size", "NAME=INT"):
            if not number.isdigit() or int(number) == 0:
                raise BadOptionError(f"size '{name}' must be a positive integer, "
                                     f"not '{number}'", value, span)
            sizes[name] = int(number)
        self.setting = replace(self.setting, sizes={**self.setting.sizes, **sizes})

    def _activation(self, value: str) -> None:
        activations = {}
        for name, func, span in _pairs(value, "activation", "NAME=FUNC"):
            if func not in ACTIVATIONS:
                raise BadOptionError(f"activation '{name}' must be one of "
                                     f"{', '.join(ACTIVATIONS)}, not '{func}'", value, span)
            activations[name] = func
        self.setting = replace(self.setting,
                               activations={**self.setting.activations, **activations})

    def _shape(self, value: str) -> None:
        shapes, end = {}, 0
        for m in _SHAPE.finditer(value):
            _expect_gap(value, end, m.start(), "NAME=DIMS, e.g. H = (1, h)")
            shapes[m.group(1)] = _dims(m.group(2), value, m.start(2))
            end = m.end()
        _expect_gap(value, end, len(value), "NAME=DIMS, e.g. H = (1, h)")
        self.setting = replace(self.setting, shapes={**self.setting.shapes, **shapes})

    def _layout(self, value: str) -> None:
        if value.strip() not in LAYOUTS:
            raise BadOptionError(f"layout must be 'columns' or 'rows', not "
                                 f"'{value.strip()}'", value, (0, len(value)))
        self.setting = replace(self.setting, layout=value.strip())

    def _label(self, value: str) -> None:
        labels = list(self.setting.labels)
        for m in re.finditer(r"[^\s,]+", value):
            if not _NAME.fullmatch(m.group()):
                raise BadOptionError(f"a label must be a name, not '{m.group()}'",
                                     value, m.span())
            if m.group() not in labels:
                labels.append(m.group())
        self.setting = replace(self.setting, labels=tuple(labels))

    def _forward(self, value: str) -> None:
        equations, start = [], 0
        for part in value.split(";"):
            if part.strip() and _split_equation(part) is None:
                raise BadOptionError(f"forward equation '{part.strip()}' has no '='",
                                     value, (start, start + len(part)))
            if part.strip():
                equations.append(part.strip())
            start += len(part) + 1
        self.add_forward(equations)


def _pairs(value: str, what: str, form: str) -> list[tuple[str, str, tuple[int, int]]]:
    """`NAME=VALUE` items separated by spaces or commas, with the span of each value."""
    pairs = []
    for m in _ITEM.finditer(value):
        name, eq, rest = m.group().partition("=")
        if not eq or not _NAME.fullmatch(name.strip()):
            raise BadOptionError(f"expected {form} for a {what}, found '{m.group()}'",
                                 value, m.span())
        pairs.append((name.strip(), rest.strip(), (m.end() - len(rest.lstrip()), m.end())))
    return pairs


def _expect_gap(value: str, start: int, end: int, form: str) -> None:
    gap = value[start:end]
    if gap.strip(" \t;,"):
        at = start + len(gap) - len(gap.lstrip(" \t;,"))
        raise BadOptionError(f"expected {form}, found '{gap.strip()}'", value, (at, end))


def _dims(text: str, value: str, offset: int) -> tuple:
    inner = text[1:-1] if text.startswith("(") else text
    items = inner.split(",")
    if items[-1].strip() == "" and (len(items) > 1 or not inner.strip()):
        items.pop()  # `(c,)` and `()`
    dims, at = [], offset + (1 if text.startswith("(") else 0)
    for item in items:
        dim = item.strip()
        if dim.isdigit() and int(dim) > 0:
            dims.append(int(dim))
        elif _NAME.fullmatch(dim):
            dims.append(dim)
        else:
            raise BadOptionError(f"a dimension is a size name or a positive integer, "
                                 f"not '{dim}'", value, (at, at + len(item)))
        at += len(item) + 1
    return tuple(dims)


def _directive(scope: _Scope, clause: _Piece, file: str) -> list[Item]:
    try:
        scope.apply(clause.text)
    except BadOptionError as e:
        return [NoteError(e.message, file, clause.line, clause.column + e.span[0])]
    return []


# --- equations ---------------------------------------------------------------------

def _split_equation(text: str) -> tuple[str, str] | None:
    """Left and right side at the first `=` outside brackets that is not `==`, `<=`..."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if (ch == "=" and depth == 0 and text[i - 1:i] not in ("=", "<", ">", "!")
                and text[i + 1:i + 2] != "="):
            return text[:i], text[i + 1:]
    return None


def _has_equals(text: str) -> bool:
    return _split_equation(text) is not None


def _equation(scope: _Scope, text: _Piece, file: str, math: bool) -> list[Item]:
    """A formula to check, or a forward equation added to the scope. In math, text
    without `=` is no equation; in a block it is a formula (the core says what is wrong)."""
    sides = _split_equation(text.text)
    if sides is None and math:
        return []
    if sides is not None and not is_gradient_lhs(sides[0]):
        if math:
            # notes show the forward pass for people (Z^{[1]} = W^{[1]} X + b^{[1]}); taking
            # it as a model would replace the built-in network: models come from `forward:`
            return []
        scope.used = True
        scope.add_forward([text.text])
        return []
    scope.used = True
    return [NoteFormula(text.text, file, text.line, text.column, scope.setting)]


def _read_block(lines: list[_Piece], file: str, defaults: Setting) -> list[Item]:
    """Plain lines: directives, forward equations and formulas, `#` comments."""
    scope, items = _Scope(defaults), []
    for piece in lines:
        piece = piece.cut(0, piece.text.find("#") if "#" in piece.text else None).strip()
        if not piece.text:
            continue
        if _DIRECTIVE.match(piece.text):
            items += _directive(scope, piece, file)
        else:
            items += _equation(scope, piece, file, math=False)
    return items


_CLAUSE_BREAK = re.compile(r";|(?=\b[A-Za-z_]\w*\s*:(?!=))")
_FORWARD = re.compile(r"\bforward\s*:")


class _OptIn:
    """The directive comment in force for display math, if any."""

    def __init__(self, defaults: Setting):
        self.defaults = defaults
        self.scope: _Scope | None = None

    def comment(self, body: list[_Piece], file: str) -> list[Item]:
        """Apply a directive comment's body; its errors are returned as items."""
        if self.scope is None or self.scope.used:
            self.scope = _Scope(self.defaults)
        items = []
        for line in body:
            for clause in _clauses(line):
                items += _directive(self.scope, clause, file)
        return items


def _clauses(line: _Piece) -> list[_Piece]:
    """A comment line's directives: split at `;` and before `WORD:`; `forward:` takes
    the rest of the line (its equations are separated by `;`)."""
    forward = _FORWARD.search(line.text)
    end = forward.start() if forward else len(line.text)
    clauses, start = [], 0
    for m in _CLAUSE_BREAK.finditer(line.text, 0, end):
        clauses.append(line.cut(start, m.start()))
        start = m.end()
    clauses.append(line.cut(start, end))
    if forward:
        clauses.append(line.cut(forward.start()))
    return [c.strip() for c in clauses if c.text.strip()]


_MATH_NOISE = re.compile(r"&|\\(?:nonumber|notag)\b|\\label\{[^{}]*\}|\\tag\*?\{[^{}]*\}"
                         r"|\\(?:begin|end)\{(?:aligned|alignedat|split|gathered)\}(?:\{\d+\})?")
_ROW_BREAK = re.compile(r"\\\\(?:\[[^\]]*\])?")
_TRAILER = re.compile(r"(?:\s|[.,;]|\\[,;:!]|\\q?quad\b)+$")


def _read_math(pieces: list[_Piece], file: str, scope: _Scope) -> list[Item]:
    """Display math: rows split at `\\\\`, `&`, `\\label{..}`, `\\nonumber` removed."""
    rows: list[list[_Piece]] = [[]]
    for piece in pieces:
        piece = piece._replace(text=_MATH_NOISE.sub(lambda m: " " * len(m.group()), piece.text))
        start = 0
        for m in _ROW_BREAK.finditer(piece.text):
            rows[-1].append(piece.cut(start, m.start()))
            rows.append([])
            start = m.end()
        rows[-1].append(piece.cut(start))
    items, lhs = [], None
    for row in rows:
        for first, parts in _row_equations(row):
            text = _TRAILER.sub("", re.sub(r"\s+", " ", " ".join(parts)))
            sides = _split_equation(text)
            if sides is not None and not sides[0].strip():
                if lhs is None:
                    continue
                text = f"{lhs} = {sides[1].strip()}"  # `&= ...`: a step of a derivation
            elif sides is not None:
                lhs = sides[0].strip()
            items += _equation(scope, first._replace(text=text), file, math=True)
    return items


def _row_equations(row: list[_Piece]) -> list[tuple[_Piece, list[str]]]:
    """A row's lines grouped into equations. Once the current one has its `=`, a line
    starts a new one if it holds `=` (`= ...` continues a derivation) or if the next
    line starts with `=` (it is a left side); other lines continue the current one."""
    lines = [piece for piece in map(_Piece.strip, row) if piece.text]
    groups: list[tuple[_Piece, list[str]]] = []
    for i, piece in enumerate(lines):
        next_is_rhs = i + 1 < len(lines) and lines[i + 1].text.startswith("=")
        complete = bool(groups) and _has_equals(" ".join(groups[-1][1]))
        if not groups or complete and (_has_equals(piece.text) or next_is_rhs):
            groups.append((piece, [piece.text]))
        else:
            groups[-1][1].append(piece.text)
    return groups


# --- Markdown and notebooks --------------------------------------------------------

_MD = MarkdownIt("commonmark").use(dollarmath_plugin, allow_labels=True, allow_space=True,
                                   allow_digits=True, double_inline=True)
_COMMENT = re.compile(r"<!--\s*shapecheck\b\s*:?(.*?)-->", re.DOTALL)


def _read_markdown(text: str, file: str, opt_in: _OptIn) -> list[Item]:
    source, items = text.split("\n"), []
    for token in _MD.parse(text):
        if token.type == "fence" and token.info.split()[:1] == ["shapecheck"]:
            lines = _content_pieces(token.content, source, token.map[0] + 1)
            items += _read_block(lines, file, opt_in.defaults)
        elif token.type == "html_block":
            pieces = _content_pieces(token.content, source, token.map[0])
            for m in _COMMENT.finditer(token.content):
                items += opt_in.comment(_slice(pieces, *m.span(1)), file)
        elif token.type in ("math_block", "math_block_label") and opt_in.scope:
            pieces = _content_pieces(token.content, source, token.map[0])
            items += _read_math(pieces, file, opt_in.scope)
        elif token.type == "inline" and opt_in.scope:
            for pieces in _display_math_in(token, source):
                items += _read_math(pieces, file, opt_in.scope)
    return items


def _display_math_in(token, source: list[str]) -> Iterator[list[_Piece]]:
    """`$$ ... $$` inside a paragraph (no blank line around it), as renderers show it."""
    if token.map is None:
        return
    pieces = _content_pieces(token.content, source, token.map[0])
    at = 0
    for child in token.children or []:
        if child.type == "math_inline_double":
            start = token.content.find(f"$${child.content}$$", at)
            if start >= 0:
                at = start + len(child.content) + 4
                yield _slice(pieces, start + 2, at - 2)


def _read_notebook(text: str, file: str, defaults: Setting) -> list[Item]:
    try:
        notebook = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as e:
        raise UnreadableFileError(f"{file}: not a valid notebook (broken JSON at line "
                                  f"{e.lineno}: {e.msg})", file, e.lineno) from None
    except ValueError as e:
        raise UnreadableFileError(f"{file}: not a valid notebook ({e})", file) from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise UnreadableFileError(f"{file}: not a valid notebook (no list of cells)", file)
    lines = _string_lines(text, notebook)
    opt_in, items = _OptIn(defaults), []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", [])
        strings = [source] if isinstance(source, str) else source
        if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
            raise UnreadableFileError(f"{file}: not a valid notebook (cell {number}'s "
                                      f"source is not text)", file)
        if isinstance(source, str):
            keys = [(id(cell), "source")]
        else:
            keys = [(id(source), i) for i in range(len(source))]
        to_file = _cell_lines(strings, [lines[key] for key in keys])
        for item in _read_markdown("".join(strings), file, opt_in):
            items.append(replace(item, line=to_file.get(item.line, max(to_file.values()))))
    return items


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"duplicate key '{key}'")
    return dict(pairs)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _string_lines(text: str, notebook: object) -> dict[tuple[int, object], int]:
    """The .ipynb line of each string value, keyed by (id of its container, key or
    index). Valid JSON has `"` only in string literals, and the parsed notebook keeps
    the file's order, so the literals pair with a walk over it."""
    lines, line, last = [], 1, 0
    for m in _JSON_STRING.finditer(text):
        line += text.count("\n", last, m.start())
        lines.append(line)
        last = m.start()
    found: dict[tuple[int, object], int] = {}
    literals = iter(lines)

    def walk(node: object) -> None:
        entries = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in entries:
            if isinstance(node, dict):
                next(literals)  # the key itself
            if isinstance(value, str):
                found[(id(node), key)] = next(literals)
            elif isinstance(value, (dict, list)):
                walk(value)

    if isinstance(notebook, (dict, list)):
        walk(notebook)
    return found


def _cell_lines(strings: list[str], lines: list[int]) -> dict[int, int]:
    """Cell source line (1-based) -> .ipynb line of the string where that line starts."""
    to_file, line = {}, 1
    for string, file_line in zip(strings, lines):
        starts = string.count("\n") + (0 if string.endswith("\n") else 1)
        for i in range(starts):
            to_file.setdefault(line + i, file_line)
        line += string.count("\n")
    return to_file or {1: 1}


# --- LaTeX -------------------------------------------------------------------------

_TEX_COMMENT = re.compile(r"(?<!\\)%.*")
_TEX_DIRECTIVE = re.compile(r"^[ \t]*%+[ \t]*shapecheck\b[ \t]*:?(.*)$", re.MULTILINE)
_TEX_MATH_ENVS = "equation|align|alignat|gather|multline|flalign|eqnarray|displaymath"
_TEX_EVENT = re.compile(
    r"\\begin\{(?P<env>(?:%s)\*?|shapecheck|verbatim\*?|lstlisting|minted|comment)\}"
    r"(?:\{\d+\})?"
    r"|(?P<open>(?<!\\)\\\[|(?<!\\)\$\$)"
    r"|(?P<section>\\(?:part|chapter|(?:sub)*section|(?:sub)?paragraph)\b)"
    r"|(?P<stop>\\end\{document\})" % _TEX_MATH_ENVS)


def _read_latex(text: str, file: str, defaults: Setting) -> list[Item]:
    masked = _TEX_COMMENT.sub(lambda m: " " * len(m.group()), text)  # keeps offsets
    comments = [m for m in _TEX_DIRECTIVE.finditer(text)]
    opt_in, items, pos = _OptIn(defaults), [], 0
    while True:
        event = _TEX_EVENT.search(masked, pos)
        at = event.start() if event else len(masked)
        for comment in comments:
            if pos <= comment.start() < at:
                items += opt_in.comment(_pieces(text, *comment.span(1)), file)
        if event is None or event["stop"]:
            return items
        if event["section"]:
            opt_in.scope, pos = None, event.end()
            continue
        if event["open"]:
            closer = "$$" if event["open"] == "$$" else "\\]"
        else:
            closer = "\\end{%s}" % event["env"]
        end = masked.find(closer, event.end())
        end = len(masked) if end < 0 else end
        body = _pieces(masked, event.end(), end)
        if event["env"] == "shapecheck":
            items += _read_block(body, file, defaults)
        elif (event["open"] or event["env"].rstrip("*") in _TEX_MATH_ENVS.split("|")) \
                and opt_in.scope:
            items += _read_math(body, file, opt_in.scope)
        pos = end + len(closer)
