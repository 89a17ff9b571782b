"""Shape hints: a shape-correct alternative for a formula whose shapes do not line up.

The candidates are the tree forms of advice.edits' moves (swap the operands of `@`,
transpose one of them, `@` for `*` or the reverse, regroup what Python's precedence
grouped, the axis of a reduction): of the failing operator, or anywhere in a right side of
the wrong shape. The first whose whole right side then has the left side's shape is the
hint.
"""
from __future__ import annotations

from typing import Iterator

from .. import syntax as s
from .edits import Editor, Move
from ..errors import ShapecheckError
from ..shapes import Mismatch, Shape, ShapeEnv, infer

NodeEdit = tuple[s.Node, s.Node]  # (node to replace, replacement)


def suggest(rhs: s.Node, failing: s.Node | None, lhs_shape: Shape, env: ShapeEnv,
            ) -> tuple[s.Node, Shape, s.Node] | None:
    """The first edit that gives the right side the shape `lhs_shape`: (replacement, its
    shape, the whole right side edited). `failing` is the operator that failed, or None
    when only the result's shape is wrong."""
    editor = Editor(None, {}, rhs)
    if failing is None:
        edits = _anywhere(editor)
    elif isinstance(failing, s.BinOp):
        edits = _at(editor, failing)
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


def _at(editor: Editor, node: s.BinOp) -> Iterator[NodeEdit]:
    """The moves of one operator `node`, likeliest first, as the whole operator changed
    (the hint shows it): swap the operands of `@`, transpose one of them, `@` for `*` or
    the reverse, and regroup what Python's precedence grouped."""
    def whole(move: Move) -> NodeEdit:  # an operand's move, seen as its operator's
        return node, s.substitute(node, move.target, move.tree)
    a, b = node.left, node.right
    if node.op == "@":
        yield node, editor.swap(node).tree
        yield whole(editor.transpose(b))
        yield whole(editor.transpose(a))
        yield node, editor.operator(node).tree
    elif node.op == "*":
        yield node, editor.operator(node).tree
        yield node, editor.swap(node).tree  # `b @ a`: swapped as a matrix product
    if node.op in ("*", "+", "-", "/"):
        yield whole(editor.transpose(b))
        yield whole(editor.transpose(a))
    group = editor.group(node, editor.parent(node))
    if group is not None and group.tree is not None:
        yield group.target, group.tree


def _anywhere(editor: Editor) -> Iterator[NodeEdit]:
    """Moves anywhere in the right side, for a result of the wrong shape: the whole
    transposed, the axis of a reduction, then each matrix product's moves."""
    rhs = editor.rhs
    yield rhs, editor.transpose(rhs, whole=True).tree
    for node in s.walk(rhs):
        if isinstance(node, s.Call):
            for axis in (1, 0):
                for keep in (True, False):
                    move = editor.axis(node, axis, keep)
                    if move is not None:
                        yield move.target, move.tree
    for node in s.walk(rhs):
        if isinstance(node, s.BinOp) and node.op == "@":
            yield from _at(editor, node)
