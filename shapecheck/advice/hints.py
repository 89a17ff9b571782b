"""Shape hints: a shape-correct alternative for a formula whose shapes do not line up.

The candidates are advice.edits' edits on the tree (swap the operands of `@`, transpose one
of them, `@` for `*` or the reverse, regroup what Python's precedence grouped, the axis of
a reduction): of the failing operator, or anywhere in a right side of the wrong shape. The
first whose whole right side then has the left side's shape is the hint.
"""
from __future__ import annotations

from .. import syntax as s
from .edits import node_edits, whole_edits
from ..errors import ShapecheckError
from ..shapes import Mismatch, Shape, ShapeEnv, infer


def suggest(rhs: s.Node, failing: s.Node | None, lhs_shape: Shape, env: ShapeEnv,
            ) -> tuple[s.Node, Shape, s.Node] | None:
    """The first edit that gives the right side the shape `lhs_shape`: (replacement, its
    shape, the whole right side edited). `failing` is the operator that failed, or None
    when only the result's shape is wrong."""
    if failing is None:
        edits = whole_edits(rhs)
    elif isinstance(failing, s.BinOp):
        edits = node_edits(rhs, failing)
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
