"""The small directive language of notes (`sizes: m=5`, `shape: H = (1, h)`, `activation:
g1 = tanh`, `layout: rows`, `label: T`, `forward: EQ; EQ`): the setting a scope builds from
its directives, and the directive comments that opt display math in.
"""
from __future__ import annotations

import re
from dataclasses import replace

from .. import functions
from ..errors import BadOptionError

from .items import Item, NoteError, Piece, Setting, split_equation

LAYOUTS = ("columns", "rows")
DIRECTIVES = ("sizes", "shape", "activation", "layout", "label", "forward")
_ALIASES = {"size": "sizes", "shapes": "shape", "activations": "activation",
            "labels": "label"}

DIRECTIVE = re.compile(r"([A-Za-z_]\w*)\s*:(?!=)\s*")
_NAME = re.compile(r"[A-Za-z_]\w*")
_ITEM = re.compile(r"[^\s,=]+\s*=\s*[^\s,]*|[^\s,]+")
_SHAPE = re.compile(r"([A-Za-z_]\w*)\s*=\s*(\([^()]*\)|[^\s;()]*)")


class Scope:
    """The setting at a point of a block or of a directive comment's range."""

    def __init__(self, defaults: Setting):
        self.setting = defaults
        self.used = False  # has an equation been read under it?
        self._own_forward = False
        self._at = (0, 0)  # where the value of the directive being applied starts

    def _declare(self, kind: str, names: dict[str, int]) -> None:
        """Note where each name of a `sizes:`/`activation:` directive was declared."""
        line, column = self._at
        declared = {(kind, name): (line, column + at) for name, at in names.items()}
        self.setting = replace(self.setting, declared={**self.setting.declared, **declared})

    def add_forward(self, equations: list[str]) -> None:
        kept = self.setting.forward if self._own_forward else ()
        self.setting = replace(self.setting, forward=kept + tuple(equations))
        self._own_forward = True

    def apply(self, clause: str, at: tuple[int, int] = (0, 0)) -> None:
        """Apply `WORD: VALUE` (or bare `NAME=INT` sizes), the clause at (line, column);
        BadOptionError's span is a range in `clause`."""
        m = DIRECTIVE.match(clause)
        word, offset = (m.group(1), m.end()) if m else ("sizes", 0)
        value = clause[offset:]
        known = _ALIASES.get(word, word)
        if known not in DIRECTIVES:
            raise BadOptionError(f"unknown directive '{word}'; the directives are "
                                 f"{', '.join(DIRECTIVES)}", clause, (0, len(word)))
        self._at = (at[0], at[1] + offset)
        try:
            getattr(self, "_" + known)(value)
        except BadOptionError as e:
            start, end = e.span or (0, len(value))
            raise BadOptionError(e.message, clause, (start + offset, end + offset)) from None

    def _sizes(self, value: str) -> None:
        sizes, where = {}, {}
        for name, number, span, at in _pairs(value, "size", "NAME=INT"):
            if not number.isdigit() or int(number) == 0:
                raise BadOptionError(f"size '{name}' must be a positive integer, "
                                     f"not '{number}'", value, span)
            sizes[name], where[name] = int(number), at
        self.setting = replace(self.setting, sizes={**self.setting.sizes, **sizes})
        self._declare("size", where)

    def _activation(self, value: str) -> None:
        activations, where = {}, {}
        for name, func, span, at in _pairs(value, "activation", "NAME=FUNC"):
            if func not in functions.activations():
                raise BadOptionError(f"activation '{name}' must be one of "
                                     f"{', '.join(functions.activations())}, not '{func}'", value, span)
            activations[name], where[name] = func, at
        self.setting = replace(self.setting,
                               activations={**self.setting.activations, **activations})
        self._declare("activation", where)

    def _shape(self, value: str) -> None:
        shapes, where, end = {}, {}, 0
        for m in _SHAPE.finditer(value):
            _expect_gap(value, end, m.start(), "NAME=DIMS, e.g. H = (1, h)")
            shapes[m.group(1)] = _dims(m.group(2), value, m.start(2))
            where[m.group(1)] = m.start()
            end = m.end()
        _expect_gap(value, end, len(value), "NAME=DIMS, e.g. H = (1, h)")
        self.setting = replace(self.setting, shapes={**self.setting.shapes, **shapes})
        self._declare("shape", where)

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
            if part.strip() and split_equation(part) is None:
                raise BadOptionError(f"forward equation '{part.strip()}' has no '='",
                                     value, (start, start + len(part)))
            if part.strip():
                equations.append(part.strip())
            start += len(part) + 1
        self.add_forward(equations)


def _pairs(value: str, what: str, form: str) -> list[tuple[str, str, tuple[int, int], int]]:
    """`NAME=VALUE` items separated by spaces or commas, with the span of each value and
    where its name starts."""
    pairs = []
    for m in _ITEM.finditer(value):
        name, eq, rest = m.group().partition("=")
        if not eq or not _NAME.fullmatch(name.strip()):
            raise BadOptionError(f"expected {form} for a {what}, found '{m.group()}'",
                                 value, m.span())
        pairs.append((name.strip(), rest.strip(), (m.end() - len(rest.lstrip()), m.end()),
                      m.start() + len(name) - len(name.lstrip())))
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


def directive(scope: Scope, clause: Piece, file: str) -> list[Item]:
    try:
        scope.apply(clause.text, (clause.line, clause.column))
    except BadOptionError as e:
        return [NoteError(e.message, file, clause.line, clause.column + e.span[0])]
    return []


_CONTINUED = ("shape", "shapes", "activation", "activations")
_CLAUSE_BREAK = re.compile(r";|(?=\b[A-Za-z_]\w*\s*:(?!=))")
_FORWARD = re.compile(r"\bforward\s*:")


class OptIn:
    """The directive comment in force for display math, if any."""

    def __init__(self, defaults: Setting):
        self.defaults = defaults
        self.scope: Scope | None = None

    def comment(self, body: list[Piece], file: str) -> list[Item]:
        """Apply a directive comment's body; its errors are returned as items."""
        if self.scope is None or self.scope.used:
            self.scope = Scope(self.defaults)
        items, word = [], None
        for line in body:
            for clause in _clauses(line):
                m = DIRECTIVE.match(clause.text)
                if m:
                    word = m.group(1)
                elif word in _CONTINUED and _SHAPE.match(clause.text):
                    # `shape: H = (1, h); W = (h, y)`: the clause after `;` continues it
                    clause = Piece(f"{word}:" + clause.text, clause.line,
                                   clause.column - len(word) - 1)
                items += directive(self.scope, clause, file)
        return items


def _clauses(line: Piece) -> list[Piece]:
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
