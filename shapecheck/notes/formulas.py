"""The formulas common to every format: plain lines (a text file, a fenced block, a LaTeX
`shapecheck` environment) and display math, each line a directive, a forward equation
or a formula to check; in math only gradient equations count.
"""
from __future__ import annotations

import re

from ..models.names import is_gradient_lhs

from .directives import DIRECTIVE, Scope, directive
from ..language.members import maybe_indexed, split_members

from .items import Item, NoteDerivation, NoteFormula, Piece, Setting, has_equals, split_equation


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
        elif len(split_members(piece.text)) > 2:  # `A = B = C`: a derivation
            items += _chain(scope, [(body.strip(), piece.line, piece.column + offset + len(body)
                                     - len(body.lstrip()))
                                    for offset, body in split_members(piece.text)],
                            file, math=False)
        else:
            items += _equation(scope, piece, file, math=False)
    return items


_MATH_NOISE = re.compile(r"&|\\(?:nonumber|notag)\b|\\label\{[^{}]*\}|\\tag\*?\{[^{}]*\}"
                         r"|\\(?:begin|end)\{(?:aligned|alignedat|split|gathered|align|eqnarray"
                         r"|equation|gather|multline)\*?\}(?:\{\d+\})?")
_TEX_COMMENT = re.compile(r"(?<!\\)%.*")  # `% ...` in math is LaTeX's comment
_ROW_BREAK = re.compile(r"\\\\(?:\[[^\]]*\])?")
_TRAILER = re.compile(r"(?:\s|[.,;]|\\[,;:!]|\\q?quad\b)+$")


def read_math(pieces: list[Piece], file: str, scope: Scope) -> list[Item]:
    """Display math: rows split at `\\\\`, `&`, `\\label{..}`, `\\nonumber` removed."""
    rows: list[list[Piece]] = [[]]
    for piece in pieces:
        piece = piece._replace(text=_MATH_NOISE.sub(lambda m: " " * len(m.group()),
                                                    _TEX_COMMENT.sub("", piece.text)))
        start = 0
        for m in _ROW_BREAK.finditer(piece.text):
            rows[-1].append(piece.cut(start, m.start()))
            rows.append([])
            start = m.end()
        rows[-1].append(piece.cut(start))
    chains: list[list[tuple[str, int, int]]] = []
    for row in rows:
        for first, parts in _row_equations(row):
            text, places = _joined(parts)
            text = _TRAILER.sub("", text)
            members = split_members(text)
            if len(members) == 1:
                continue  # no equation
            placed = [(body.strip(), *places[min(offset + len(body) - len(body.lstrip()),
                                                 len(places) - 1)])
                      for offset, body in members]
            if not placed[0][0]:  # `&= ...`: the next member of the derivation above
                if chains:
                    chains[-1] += placed[1:]
                continue
            chains.append(placed)
    items = []
    for chain in chains:
        items += _chain(scope, chain, file, math=True)
    return items


def _chain(scope: Scope, chain: list[tuple[str, int, int]], file: str, math: bool) -> list[Item]:
    """An equation (two members) or a derivation (more, or written in index notation); in
    math, one whose first member is neither a gradient nor in index notation is the
    forward pass written for people."""
    texts = [text for text, _, _ in chain]
    _, line, column = chain[0]
    indexed = maybe_indexed(texts) and _written_with_indices(texts)
    if len(chain) == 2 and not indexed:
        return _equation(scope, Piece(f"{texts[0]} = {texts[1]}", line, column), file, math)
    if math and not indexed and not is_gradient_lhs(texts[0]):
        return []
    scope.used = True
    return [NoteDerivation(tuple(chain), file, line, column, scope.setting)]


def _joined(parts: list[Piece]) -> tuple[str, list[tuple[int, int]]]:
    """The lines of an equation joined by single spaces, and the (line, column) of each
    character of the result (a member placed at its own line)."""
    text, places = [], []
    for piece in parts:
        for i, ch in enumerate(piece.text + " "):
            if ch.isspace() and (not text or text[-1] == " "):
                continue
            text.append(" " if ch.isspace() else ch)
            places.append((piece.line, piece.column + i))
    while text and text[-1] == " ":
        text.pop()
        places.pop()
    return "".join(text), places or [(parts[0].line, parts[0].column)]


def _row_equations(row: list[Piece]) -> list[tuple[Piece, list[Piece]]]:
    """A row's lines grouped into equations. Once the current one has its `=`, a line
    starts a new one if it holds `=` (`= ...` continues a derivation) or if the next
    line starts with `=` (it is a left side); other lines continue the current one."""
    lines = [piece for piece in map(Piece.strip, row) if piece.text]
    groups: list[tuple[Piece, list[str]]] = []
    for i, piece in enumerate(lines):
        next_is_rhs = i + 1 < len(lines) and lines[i + 1].text.startswith("=")
        complete = bool(groups) and has_equals(" ".join(p.text for p in groups[-1][1]))
        if not groups or complete and (has_equals(piece.text) or next_is_rhs):
            groups.append((piece, [piece]))
        else:
            groups[-1][1].append(piece)
    return groups


def _written_with_indices(texts) -> bool:
    from ..language.indices import written_with_indices  # the index reader: index notation only

    return written_with_indices(texts)
