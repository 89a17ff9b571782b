"""Shape-correct alternatives for a formula whose shapes do not line up.

Each candidate is one small edit of the failing part (swap the operands of `@`, transpose
one of them, `@` for `*` or the reverse, regroup what Python's precedence grouped, the axis
of a sum); the first whose whole right side then has the left side's shape is the hint.
"""
from __future__ import annotations

from typing import Iterator

from .. import syntax as s
from ..errors import ShapecheckError
from ..language.printer import precedence
from ..shapes import Mismatch, Shape, ShapeEnv, infer

Edit = tuple[s.Node, s.Node]  # (node to replace, replacement)


def _t(node: s.Node) -> s.Node:
    if isinstance(node, s.Transpose):
        return node.operand
    return s.Transpose(node, node.span)


def _op(op: str, left: s.Node, right: s.Node, like: s.Node) -> s.BinOp:
    return s.BinOp(op, left, right, like.span, getattr(like, "op_span", like.span))


def _parent(root: s.Node, child: s.Node) -> s.Node | None:
    for node in s.walk(root):
        if any(c is child for c in s.children(node)):
            return node
    return None


def operator_edits(root: s.Node, node: s.BinOp) -> Iterator[Edit]:
    a, b = node.left, node.right
    if node.op == "@":
        yield node, _op("@", b, a, node)
        yield node, _op("@", a, _t(b), node)
        yield node, _op("@", _t(a), b, node)
        yield node, _op("*", a, b, node)
    elif node.op == "*":
        yield node, _op("@", a, b, node)
        yield node, _op("@", b, a, node)
    if node.op in ("*", "+", "-", "/"):
        yield node, _op(node.op, a, _t(b), node)
        yield node, _op(node.op, _t(a), b, node)
    parent = _parent(root, node)
    # `a * b @ c` is `(a * b) @ c` in Python: try `a * (b @ c)`
    if isinstance(parent, s.BinOp) and parent.left is node and precedence(parent) == precedence(node):
        yield parent, _op(node.op, a, _op(parent.op, b, parent.right, parent), parent)


def _reduction_edits(node: s.Call) -> Iterator[Edit]:
    others = tuple(k for k in node.kwargs if k.name not in ("axis", "keepdims"))
    true = s.Name("True", node.span)
    for axis in (1, 0):
        number = s.Number(float(axis), str(axis), node.span)
        for keep in (True, False):
            kwargs = (s.Keyword("axis", number, node.span),)
            if keep:
                kwargs += (s.Keyword("keepdims", true, node.span),)
            yield node, s.Call(node.func, node.args[:1], kwargs + others, node.span,
                               node.func_span, node.method, node.namespaced)


def whole_edits(rhs: s.Node) -> Iterator[Edit]:
    """Edits anywhere in the right side, for a result of the wrong shape."""
    yield rhs, _t(rhs)
    for node in s.walk(rhs):
        if isinstance(node, s.Call) and node.func in ("sum", "mean", "max", "min"):
            yield from _reduction_edits(node)
    for node in s.walk(rhs):
        if isinstance(node, s.BinOp) and node.op == "@":
            yield from operator_edits(rhs, node)


def suggest(rhs: s.Node, failing: s.Node | None, lhs_shape: Shape, env: ShapeEnv,
            ) -> tuple[s.Node, Shape, s.Node] | None:
    """The first edit that gives the right side the shape `lhs_shape`: (replacement, its
    shape, the whole right side edited). `failing` is the operator that failed, or None
    when only the result's shape is wrong."""
    if failing is None:
        edits = whole_edits(rhs)
    elif isinstance(failing, s.BinOp):
        edits = operator_edits(rhs, failing)
    else:
        return None
    for target, replacement in edits:
        edited = s.substitute(rhs, target, replacement)
        try:
            shape, shapes = infer(edited, env)
        except (Mismatch, ShapecheckError):
            continue
        if shape == tuple(lhs_shape):
            return replacement, shapes[id(replacement)], edited
    return None
