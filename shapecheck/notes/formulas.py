"""The formulas common to every format: plain lines (a text file, a fenced block, a LaTeX
`shapecheck` environment) and display math, each line a directive, a forward equation
or a formula to check; in math only gradient equations count.
"""
from __future__ import annotations

import re

from ..models.names import is_gradient_lhs

from .directives import DIRECTIVE, Scope, directive
from .items import Item, NoteFormula, Piece, Setting, has_equals, split_equation


def _equation(scope: Scope, text: Piece, file: str, math: bool) -> list[Item]:
    """A formula to check, or a forward equation added to the scope. In math, text
    without `=` is no equation; in a block it is a formula (the core says what is wrong)."""
    sides = split_equation(text.text)
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


def read_block(lines: list[Piece], file: str, defaults: Setting) -> list[Item]:
    """Plain lines: directives, forward equations and formulas, `#` comments."""
    scope, items = Scope(defaults), []
    for piece in lines:
        piece = piece.cut(0, piece.text.find("#") if "#" in piece.text else None).strip()
        if not piece.text:
            continue
        if DIRECTIVE.match(piece.text):
            items += directive(scope, piece, file)
        else:
            items += _equation(scope, piece, file, math=False)
    return items


_MATH_NOISE = re.compile(r"&|\\(?:nonumber|notag)\b|\\label\{[^{}]*\}|\\tag\*?\{[^{}]*\}"
                         r"|\\(?:begin|end)\{(?:aligned|alignedat|split|gathered)\}(?:\{\d+\})?")
_ROW_BREAK = re.compile(r"\\\\(?:\[[^\]]*\])?")
_TRAILER = re.compile(r"(?:\s|[.,;]|\\[,;:!]|\\q?quad\b)+$")


def read_math(pieces: list[Piece], file: str, scope: Scope) -> list[Item]:
    """Display math: rows split at `\\\\`, `&`, `\\label{..}`, `\\nonumber` removed."""
    rows: list[list[Piece]] = [[]]
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
            sides = split_equation(text)
            if sides is not None and not sides[0].strip():
                if lhs is None:
                    continue
                text = f"{lhs} = {sides[1].strip()}"  # `&= ...`: a step of a derivation
            elif sides is not None:
                lhs = sides[0].strip()
            items += _equation(scope, first._replace(text=text), file, math=True)
    return items


def _row_equations(row: list[Piece]) -> list[tuple[Piece, list[str]]]:
    """A row's lines grouped into equations. Once the current one has its `=`, a line
    starts a new one if it holds `=` (`= ...` continues a derivation) or if the next
    line starts with `=` (it is a left side); other lines continue the current one."""
    lines = [piece for piece in map(Piece.strip, row) if piece.text]
    groups: list[tuple[Piece, list[str]]] = []
    for i, piece in enumerate(lines):
        next_is_rhs = i + 1 < len(lines) and lines[i + 1].text.startswith("=")
        complete = bool(groups) and has_equals(" ".join(groups[-1][1]))
        if not groups or complete and (has_equals(piece.text) or next_is_rhs):
            groups.append((piece, [piece.text]))
        else:
            groups[-1][1].append(piece.text)
    return groups
