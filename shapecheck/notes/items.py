"""What reading notes yields (a Setting, NoteFormula and NoteError) and the text it works
on: pieces of source lines that keep their positions, and equations split at their `=`.
"""
from __future__ import annotations

from dataclasses import field
from typing import Mapping, NamedTuple

from ..frozen import Record, record


@record
class Setting(Record):
    """Everything a formula is checked with: the defaults plus the directives before it."""
    sizes: Mapping[str, int] = field(default_factory=dict)
    shapes: Mapping[str, tuple] = field(default_factory=dict)
    activations: Mapping[str, str] = field(default_factory=dict)
    layout: str | None = None
    forward: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    # where a directive declared a size or an activation: ('size', 'n1') → (line, column),
    # so that one no formula under it used is reported there (declared.py)
    declared: Mapping[tuple[str, str], tuple[int, int]] = field(default_factory=dict,
                                                                 compare=False)


@record
class NoteFormula(Record):
    """A formula to check, with its 1-based position in the file."""
    text: str
    file: str
    line: int
    column: int
    setting: Setting


@record
class NoteDerivation(Record):
    """A derivation (`A = B = C`, an align block's `&=` rows): its members, each with its
    1-based position (text, line, column); the first member's position is the item's."""
    members: tuple[tuple[str, int, int], ...]
    file: str
    line: int
    column: int
    setting: Setting


@record
class NoteError(Record):
    """A malformed directive: reported, and the rest of the file is still read."""
    message: str
    file: str
    line: int
    column: int


Item = NoteFormula | NoteDerivation | NoteError


# --- positions ---------------------------------------------------------------------

class Piece(NamedTuple):
    """Text from one source line, and where (1-based) its first character sits."""
    text: str
    line: int
    column: int

    def cut(self, start: int, end: int | None = None) -> Piece:
        return Piece(self.text[start:end], self.line, self.column + start)

    def strip(self) -> Piece:
        body = self.text.lstrip()
        return Piece(body.rstrip(), self.line, self.column + len(self.text) - len(body))


def source_pieces(text: str, start: int, end: int) -> list[Piece]:
    """The lines of `text[start:end]`, each placed at its line and column in `text`."""
    line = text.count("\n", 0, start) + 1
    line_start = text.rfind("\n", 0, start) + 1
    pieces = []
    while True:
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        a = max(start, line_start)
        pieces.append(Piece(text[a:min(end, line_end)], line, a - line_start + 1))
        if line_end >= end:
            return pieces
        line, line_start = line + 1, line_end + 1


def content_pieces(content: str, source: list[str], first: int) -> list[Piece]:
    """The lines of a Markdown token's content (container prefixes removed by the
    parser), each placed at its column in source line `first + i` (0-based)."""
    pieces = []
    for i, text in enumerate(content.split("\n")):
        raw = source[first + i] if first + i < len(source) else ""
        at = raw.rfind(text)
        if at < 0:  # the parser expanded an indenting tab: place the text after it
            body = text.lstrip()
            at = max(raw.rfind(body), 0) - (len(text) - len(body))
        pieces.append(Piece(text, first + i + 1, at + 1))
    return pieces


def slice_pieces(pieces: list[Piece], start: int, end: int) -> list[Piece]:
    """The pieces of the range [start, end) of the pieces' text joined with newlines."""
    out, offset = [], 0
    for piece in pieces:
        a, b = max(start - offset, 0), min(end - offset, len(piece.text))
        if a <= b and offset <= end and offset + len(piece.text) >= start:
            out.append(piece.cut(a, b))
        offset += len(piece.text) + 1
    return out


# --- equations ---------------------------------------------------------------------

def split_equation(text: str) -> tuple[str, str] | None:
    """Left and right side at the first `=` outside brackets that is not `==`, `<=`..."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if (ch == "=" and depth == 0 and text[i - 1:i] not in ("=", "<", ">", "!")
                and text[i + 1:i + 2] != "="):
            return text[:i], text[i + 1:]
    return None


def has_equals(text: str) -> bool:
    return split_equation(text) is not None
