"""The one edit engine: the moves of a formula, each made once (`Editor`) and read two
ways: as nodes on the syntax tree for a shape hint (advice.hints), as an edit of the text
for a verified repair (advice.repair). The moves: swap the operands of a matrix product, add or remove a
transpose, `@` for `*` or the reverse, brackets where precedence grouped otherwise, the axis
and keepdims of a sum, a constant factor in, out or changed.

A move's text form, an `Edit`, replaces spans of the text the user typed, in the notation it was typed in (`W[2]`
→ `W[2]T`, `A^{[1]}` → `A^{[1]T}`, `A1` → `A1.T`), so a repaired formula reads like its
original. Edits are plain data; `apply` puts several together where they do not overlap.
advice.repair decides which to try, and the caller's verify() whether one is right.

A move's tree form is the node a shape hint puts in place of its target. Where the two
uses differ (a text has no edit of a constant's transpose, the tree regroups more), the
move says so, and each use picks the moves it tries in its own order.
"""
from __future__ import annotations

import re

from typing import Iterable, Iterator, Mapping

from .. import functions, syntax as s
from ..frozen import Record, record
from ..language.parse import parse_equation
from ..language.printer import precedence

_MATRIX = ("@", s.JUXTAPOSE, s.CDOT, s.TIMES)  # the operators that multiply matrices
_POSTFIX = 6                                   # printer's level of `A.T`: binds tightest
# what follows a transposed operand: `.T`, the `T` after a layer mark, `^T`, `^\top`, `'`
_TRANSPOSE_MARK = re.compile(r"\s*(?:\.T|[Tᵀ]|'|\^\s*\{?\s*(?:T|\\top|\\intercal|ᵀ)\s*\}?)")


@record
class Edit(Record):
    """One edit of the formula: `parts` are disjoint ([start, end) of the original text,
    replacement) pairs; `note` says it in words (`swap dZ2 and W2.T`)."""
    kind: str  # swap | transpose | untranspose | operator | group | axis | factor | unfactor
    note: str
    parts: tuple[tuple[s.Span, str], ...]

    @property
    def span(self) -> s.Span:
        return (min(p[0][0] for p in self.parts), max(p[0][1] for p in self.parts))


def apply(text: str, edits: Iterable[Edit]) -> tuple[str, list[list[s.Span]]] | None:
    """The edited text, and for each edit the spans of its replacements in that text (what a
    report highlights); None where two edits overlap."""
    edits = list(edits)
    parts = sorted(((span, new, i) for i, e in enumerate(edits) for span, new in e.parts),
                   key=lambda p: (p[0], p[2]))  # insertions at one point: in the edits' order
    for (a, _, i), (b, _, j) in zip(parts, parts[1:]):
        if b[0] < a[1] or (a == b and (i == j or a[0] != a[1])):
            return None
    out, at, delta = [], 0, 0
    marks: list[list[s.Span]] = [[] for _ in edits]
    for (start, end), new, i in parts:
        out += [text[at:start], new]
        lead, body = len(new) - len(new.lstrip()), len(new.strip())  # mark no spaces
        marks[i].append((start + delta + lead, start + delta + lead + body))
        delta += len(new) - (end - start)
        at = end
    return "".join(out) + text[at:], marks


def _level(node: s.Node) -> float:
    """How tightly `node` binds as written: juxtaposition binds tighter than `*` (SPEC)."""
    if isinstance(node, s.BinOp) and node.op in (s.JUXTAPOSE, s.CDOT):
        return 3.5
    return precedence(node)


@record
class Move(Record):
    """One move of the formula, made once and read both ways: `tree` is the node to put in
    place of `target` (a shape hint infers its shape), `edit` the same move in the text as
    typed (a repair checks it). Either is None where the move has no such form: the text
    has no edit where an operand is a constant or a setting is already written; the tree
    gives none where a shape hint never looks (see each kind)."""
    kind: str
    target: s.Node
    tree: s.Node | None
    edit: Edit | None


class Editor:
    """The moves of one formula, from its syntax tree as parsed (spans into `text`).
    `Editor(None, {}, rhs)` moves a tree alone (a shape hint has no text): only `tree`
    forms then."""

    def __init__(self, text: str | None, sizes: Mapping[str, int], rhs: s.Node | None = None):
        self.text = text
        self.eq = parse_equation(text) if text is not None else None
        self.rhs = self.eq.rhs if self.eq is not None else rhs
        self.sizes = dict(sizes)
        self.latex = text is not None and bool(re.search(r"[\\^{]", text))
        self._parents = {id(c): n for n in s.walk(self.rhs) for c in s.children(n)}

    def parent(self, node: s.Node) -> s.Node | None:
        return self._parents.get(id(node))

    def source(self, span: s.Span) -> str:
        return self.text[span[0]:span[1]]

    def grouped(self, node: s.Node) -> s.Span:
        """The span of `node` with the brackets around it (`(a + b)`), which parse drops."""
        start, end = node.span
        while True:
            before = len(self.text[:start].rstrip())
            after = end + len(self.text[end:]) - len(self.text[end:].lstrip())
            if before and after < len(self.text) and (self.text[before - 1], self.text[after]) \
                    in (("(", ")"), ("{", "}")) and not self.text[:before - 1].endswith("\\frac"):
                start, end = before - 1, after + 1
            else:
                return start, end

    def atomic(self, node: s.Node) -> bool:
        return self.grouped(node) != tuple(node.span) or _level(node) >= _POSTFIX

    def placed(self, node: s.Node, level: float, right: bool) -> str:
        """The text of `node` moved to an operand's place of an operator of `level` (left
        to right, so a right operand of the same level needs brackets)."""
        text = self.source(self.grouped(node))
        if not self.atomic(node) and (_level(node) < level or (right and _level(node) <= level)):
            return f"({text})"
        return text

    def constant(self, node: s.Node) -> bool:
        """A number or a size (`1/m`, `2`, `-1`), with no array in it."""
        return all(isinstance(n, (s.Number, s.Neg)) or (isinstance(n, s.Name) and n.id in self.sizes)
                   or (isinstance(n, s.BinOp) and n.op in ("*", "/", "**", s.JUXTAPOSE))
                   for n in s.walk(node))

    # -- the moves: each kind produced once, on the tree and in the text
    def swap(self, node: s.Node) -> Move | None:
        """The operands of one product exchanged: on the tree `b @ a` (for `a * b` too: an
        elementwise product is the same either way round), in the text `A @ B` → `B @ A`
        where the product is a matrix product of two arrays."""
        if isinstance(node, s.Call) and functions.operator(node.func) == ("@", 2) \
                and len(node.args) == 2:
            return Move("swap", node, None, self._swap_text(node.args[0], node.args[1], 0.0))
        if not isinstance(node, s.BinOp):
            return None
        edit = self._swap_text(node.left, node.right, _level(node)) if node.op in _MATRIX else None
        return Move("swap", node, _op("@", node.right, node.left, node), edit)

    def _swap_text(self, left: s.Node, right: s.Node, level: float) -> Edit | None:
        if self.text is None or self.constant(left) or self.constant(right):
            return None
        a, b = self.grouped(left), self.grouped(right)
        return Edit("swap", f"swap {self.source(a)} and {self.source(b)}",
                    ((a, self.placed(right, level, False)), (b, self.placed(left, level, True))))

    def swaps(self, node: s.Node, transposing: bool = False) -> Iterator[Edit]:
        """The text's swaps: `A @ B` → `B @ A`; in `1/m * X.T @ dZ1` also the neighbours
        `X.T` and `dZ1`. With `transposing`, the two edits `dZ W` → `W.T dZ` and `dZ.T W`
        (rows vs columns)."""
        if isinstance(node, s.Call) and functions.operator(node.func) == ("@", 2) \
                and len(node.args) == 2:
            pairs = [(node.args[0], node.args[1], 0.0)]
        elif isinstance(node, s.BinOp) and node.op in _MATRIX:
            pairs = [(node.left, node.right, _level(node))]
            inner = node.left
            if isinstance(inner, s.BinOp) and 3 <= _level(inner) <= _level(node) \
                    and self.grouped(inner) == tuple(inner.span) and not self.constant(inner.right):
                pairs.insert(0, (inner.right, node.right, _level(node)))
        else:
            return
        for left, right, level in pairs:
            if not transposing:
                edit = self._swap_text(left, right, level)
                if edit is not None:
                    yield edit
                continue
            if self.constant(left) or self.constant(right):
                continue
            note = f"swap {self.source(self.grouped(left))} and {self.source(self.grouped(right))}"
            a, b = self.grouped(left), self.grouped(right)
            for moved in (right, left):
                if isinstance(moved, s.Transpose) or self.constant(moved):
                    continue
                first = self.transposed(right) if moved is right else self.placed(right, level, False)
                second = self.transposed(left) if moved is left else self.placed(left, level, True)
                yield Edit("swap", f"{note}, and transpose {self.source(self.grouped(moved))}",
                           ((a, first), (b, second)))

    def transposed(self, node: s.Node) -> str:
        """The text of `node`, transposed in the formula's notation: `A1.T`, `W[2]T`,
        `A^{[1]T}`, `(a + b).T`, `H^T`."""
        written = self.source(self.grouped(node))
        if isinstance(node, s.Name) and written.endswith("]"):
            return written + "T"
        if isinstance(node, s.Name) and written.endswith("]}"):
            return written[:-1] + "T}"
        suffix = "^T" if self.latex else ".T"
        return written + suffix if self.atomic(node) else f"({written}){suffix}"

    def transpose(self, node: s.Node, whole: bool = False) -> Move:
        """`A1` → `A1.T`, `W[2]` → `W[2]T`, `A^{[1]}` → `A^{[1]T}`, `(a + b)` → `(a + b).T`.
        On the tree, a node already transposed loses its transpose (`A.T` → `A`); the text
        has no transpose edit for it, nor for a constant, and leaves that to `untranspose`."""
        tree = node.operand if isinstance(node, s.Transpose) else s.Transpose(node, node.span)
        return Move("transpose", node, tree, self._transpose_text(node, whole))

    def _transpose_text(self, node: s.Node, whole: bool) -> Edit | None:
        if self.text is None or isinstance(node, s.Transpose) or self.constant(node):
            return None
        start, end = self.grouped(node)
        written = self.source((start, end))
        note = "transpose the right side" if whole else f"transpose {written}"
        if isinstance(node, s.Name) and written.endswith("]"):
            return Edit("transpose", note, (((end, end), "T"),))
        if isinstance(node, s.Name) and written.endswith("]}"):
            return Edit("transpose", note, (((end - 1, end - 1), "T"),))
        suffix = "^T" if self.latex else ".T"
        if self.atomic(node):
            return Edit("transpose", note, (((end, end), suffix),))
        return Edit("transpose", note, (((start, start), "("), ((end, end), ")" + suffix)))

    def untranspose(self, node: s.Transpose) -> Move:
        """`A1.T` → `A1`, `W[2]T` → `W[2]`, `np.transpose(A)` → `A`."""
        return Move("untranspose", node, node.operand, self._untranspose_text(node))

    def _untranspose_text(self, node: s.Transpose) -> Edit | None:
        if self.text is None:
            return None
        inner = node.operand
        mark = _TRANSPOSE_MARK.match(self.text, inner.span[1], node.span[1])
        written = self.source(node.span)
        if mark and self.text[node.span[1] - 1] in "}" and mark.group().endswith("}") \
                and "{" not in mark.group():
            mark = None  # `A^{[1]T}`: the brace closes the superscript, not the mark
        if mark:
            kept = self.source((node.span[0], mark.start())) + self.source((mark.end(), node.span[1]))
        elif written.endswith(")") and "transpose" in written:
            kept = self.placed(inner, _POSTFIX, False)
        else:
            return None
        return Edit("untranspose", f"{written} without the transpose", ((tuple(node.span), kept),))

    def operator(self, node: s.BinOp) -> Move:
        """`*` for `@` (also for juxtaposition) and `@` for `*`. On the tree only `@` and
        `*` change (a shape hint tries no other)."""
        new = "@" if node.op == "*" else "*"
        tree = _op(new, node.left, node.right, node) if node.op in ("*", "@") else None
        return Move("operator", node, tree, self._operator_text(node, new))

    def _operator_text(self, node: s.BinOp, new: str) -> Edit | None:
        if self.text is None or node.op not in ("*", "@", s.JUXTAPOSE) \
                or self.constant(node.left) or self.constant(node.right):
            return None
        if node.op == s.JUXTAPOSE:
            return Edit("operator", "* for the matrix product", ((tuple(node.op_span), " * "),))
        return Edit("operator", f"{new} for {self.source(node.op_span)}",
                    ((tuple(node.op_span), new),))

    def group(self, node: s.BinOp, parent: s.Node | None) -> Move | None:
        """`a * b @ c` is `(a * b) @ c` in numpy: `a * (b @ c)`. The tree regroups any two
        operators of one precedence; the text only `@` with another operator of its level
        (where juxtaposition binds tighter than `*`), and never what is bracketed."""
        if not isinstance(parent, s.BinOp) or parent.left is not node:
            return None
        tree = _op(node.op, node.left, _op(parent.op, node.right, parent.right, parent), parent) \
            if precedence(parent) == precedence(node) else None
        return Move("group", parent, tree, self._group_text(node, parent))

    def _group_text(self, node: s.BinOp, parent: s.BinOp) -> Edit | None:
        if self.text is None or _level(node) != _level(parent) or node.op == parent.op \
                or "@" not in (node.op, parent.op) or self.grouped(node) != tuple(node.span):
            return None
        start, end = self.grouped(node.right)[0], self.grouped(parent.right)[1]
        return Edit("group", f"brackets around {self.source((start, end))}",
                    (((start, start), "("), ((end, end), ")")))

    def axis(self, node: s.Call, axis: int, keep: bool) -> Move | None:
        """`np.sum(A)` → `np.sum(A, axis=1, keepdims=True)` (`axis`, `keep`); the text has
        no edit to the setting already written, nor where the axis is no plain number."""
        if not _reduction(node.func):
            return None
        tree = functions.with_axis(node, s.Number(float(axis), str(axis), node.span), keep)
        return Move("axis", node, tree, self._axis_text(node, str(axis), keep))

    def _axis_text(self, node: s.Call, axis: str, keep: bool) -> Edit | None:
        if self.text is None or not node.args or not self.text[:node.span[1]].endswith(")"):
            return None
        kwargs = {k.name: k for k in node.kwargs}
        written = kwargs.get("axis") or (node.args[1] if len(node.args) > 1 else None)
        axis_value = written.value if isinstance(written, s.Keyword) else written
        kept = functions.kept_axis(node)
        now = (self.source(axis_value.span) if axis_value else None,
               bool(kept) and self.source(kept.value.span) == "True")
        if (axis, keep) == now or (axis_value and not re.fullmatch(r"-?\d", now[0] or "")):
            return None
        close = node.span[1] - 1
        parts, added = [], []
        if axis_value is None:
            added.append(f"axis={axis}")
        elif now[0] != axis:
            parts.append((tuple(axis_value.span), axis))
        if kept is not None and now[1] != keep:
            parts.append((tuple(kept.value.span), str(keep)))
        elif kept is None and keep:
            added.append(functions.kept_written(True))
        if added:
            lead = "" if node.method and len(node.args) == 1 and not node.kwargs else ", "
            parts.append(((close, close), lead + ", ".join(added)))
        return Edit("axis", f"axis={axis}, {functions.kept_written(keep)}", tuple(sorted(parts)))

    def axes(self, node: s.Call) -> Iterator[Edit]:
        """The text's axis edits of a reduction, in the order a repair tries them."""
        for axis, keep in ((1, True), (0, True), (1, False), (0, False)):
            move = self.axis(node, axis, keep)
            if move is not None and move.edit is not None:
                yield move.edit

    def factor(self, factor: str) -> Edit:
        """The right side times a constant: `1/m * (A2 - Y)`, `-W2.T @ dZ2`."""
        rhs = self.eq.rhs
        start, end = self.grouped(rhs)
        bare = self.atomic(rhs) or _level(rhs) >= 3
        prefix = "-" if factor == "-1" else f"{factor} * "
        note = "flip the sign" if factor == "-1" else f"multiply by {factor}"
        if bare:
            return Edit("factor", note, (((start, start), prefix),))
        return Edit("factor", note, (((start, start), prefix + "("), ((end, end), ")")))

    def value(self, node: s.Node) -> float | None:
        """The number a constant stands for (`1/m` with m = 5 → 0.2); None if it is no constant."""
        if isinstance(node, s.Number):
            return node.value
        if isinstance(node, s.Name):
            return self.sizes.get(node.id)
        if isinstance(node, s.Neg):
            inner = self.value(node.operand)
            return None if inner is None else -inner
        if isinstance(node, s.BinOp) and node.op in ("*", "/", s.JUXTAPOSE):
            a, b = self.value(node.left), self.value(node.right)
            if a is None or b is None or (node.op == "/" and b == 0):
                return None
            return a / b if node.op == "/" else a * b
        return None

    def factors(self) -> Iterator[tuple[s.Node, s.Node, s.Node, float]]:
        """Each constant factor written: (the product or quotient, the factor, what it
        multiplies, the value it multiplies by): `1/m * dZ2`, `X / 2`, `-A`."""
        for node in s.walk(self.eq.rhs):
            if isinstance(node, s.Neg):
                yield node, node, node.operand, -1.0
            elif isinstance(node, s.BinOp) and node.op in ("*", "/", s.JUXTAPOSE, s.CDOT):
                if node.op != "/" and self.constant(node.left) and not self.constant(node.right):
                    factor, kept = node.left, node.right
                elif node.op in ("*", "/") and self.constant(node.right) and not self.constant(node.left):
                    factor, kept = node.right, node.left
                else:
                    continue
                value = self.value(factor)
                if value:
                    yield node, factor, kept, 1 / value if node.op == "/" else value

    def unfactor(self, whole: s.Node, factor: s.Node, kept: s.Node) -> Edit:
        """`1/m * dZ2` → `dZ2`, `X / m` → `X`, `-A` → `A`: the factor and its operator
        deleted, so that another edit may still change what they multiplied."""
        note = "without the minus sign" if whole is factor else \
            f"without the factor {self.source(factor.span)}"
        start, end = self.grouped(kept)
        cut = (whole.span[0], start) if start > whole.span[0] else (end, whole.span[1])
        return Edit("unfactor", note, ((cut, ""),))

    def refactor(self, whole: s.Node, factor: s.Node, name: str) -> Edit:
        """`2 * dZ2` → `1/m * dZ2`: the written factor replaced by `name` (a divisor where
        `whole` divides)."""
        divides = isinstance(whole, s.BinOp) and whole.op == "/"
        text = f"({name})" if divides and not re.fullmatch(r"\w+", name) else name
        return Edit("factor", f"{name} for {self.source(factor.span)}",
                    ((self.grouped(factor), text),))

    def structural(self) -> list[Edit]:
        """Every edit of the text that changes the form rather than a constant factor, in
        source order (the moves' text forms, and the neighbour swaps)."""
        found: list[Edit | None] = []
        for node in s.walk(self.rhs):
            found += self.swaps(node)
            if isinstance(node, s.Transpose):
                found.append(self.untranspose(node).edit)
            if isinstance(node, s.BinOp) and node.op not in ("**", s.SUPERSCRIPT) \
                    and not self.text[node.op_span[0]:].startswith("\\frac"):
                found += [self.transpose(node.left).edit, self.transpose(node.right).edit,
                          self.operator(node).edit]
                group = self.group(node, self.parent(node))
                found.append(group and group.edit)
            if isinstance(node, s.Call):
                found += self.axes(node)
        found.append(self.transpose(self.rhs, whole=True).edit)
        unique, seen = [], set()
        for edit in found:
            if edit is not None and edit.parts not in seen:
                seen.add(edit.parts)
                unique.append(edit)
        return unique


def _op(op: str, left: s.Node, right: s.Node, like: s.BinOp) -> s.BinOp:
    return s.BinOp(op, left, right, like.span, like.op_span)


def _reduction(func: str) -> bool:
    """A reduction whose axis and kept axis advice edits: one an array has as a method."""
    record = functions.lookup(func)
    return record is not None and record.method
