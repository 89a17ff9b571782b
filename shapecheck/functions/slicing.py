"""A slice along one axis, `x[:, :, t]` (deeplearning.ai C5's RNN step, x of shape (n_x, m, T_x)),
`x[:, t, :]` (CS231n's (N, T, D)): read as numpy's np.take(x, t, axis=k), which is the same
array for a whole-number index. The index is a size name (`--t 2`, one time step checked) or a
whole number; the indexed axis is removed; an index beyond its axis is an error."""
from __future__ import annotations

import numpy as np

from .. import syntax as s
from ..errors import BadOptionError
from .record import Function
from .rules import (Shape, ShapeCall, Underivable, constant_int, first, show, size_value,
                    stacked_axis)


def axis_of(node) -> int | None:
    found = next((k.value for k in node.kwargs if k.name == "axis"), None)
    return constant_int(found) if found is not None else None


def _take_shape(c: ShapeCall) -> Shape:
    c.arity()
    c.arguments()
    node, shape = c.node, c.shapes[0]
    axis, index = axis_of(node), c.size(node.args[1])
    if axis is None or not -len(shape) <= axis < len(shape):
        c.fail(f"{c.text(node.args[0])} is {show(shape)}: it has no axis {axis} to index",
               node.span, node.args[0])
    axis %= len(shape)
    if isinstance(index, int) and isinstance(shape[axis], int) and index >= shape[axis]:
        c.fail(f"index {index} is out of range: axis {axis} of {c.text(node.args[0])} "
               f"{show(shape)} has {shape[axis]} entries", node.span, node.args[0])
    return shape[:axis] + shape[axis + 1:]


def _take_value(at, node, args):
    axis = stacked_axis(axis_of(node) % (args[0].ndim - 1))
    index, length = size_value(at, node.args[1]), args[0].shape[axis]
    if not 0 <= index < length:  # a size name's value, known only now
        written = node.args[1]
        said = f"{written.id} = {index}" if isinstance(written, s.Name) else str(index)
        raise BadOptionError(f"the index {said} of a slice is out of range: its axis has "
                             f"{length} entries, indexed 0 to {length - 1}")
    return np.take(args[0], index, axis=axis)


def _take_chain(site, i, ops, g):
    raise Underivable("the gradient of a slice x[:, t] is zeros of x's shape with dP at "
                      "[:, t], which shapecheck does not write as a formula")


def _latex(r, node):
    axis = axis_of(node)
    items = [":"] * axis + [r(node.args[1])]
    return f"{r(node.args[0])}[{', '.join(items)}]"


SLICING: tuple[Function, ...] = (
    Function("take", arity=(2, 2), keywords=frozenset({"axis"}), written=(1,),
             shape=_take_shape, stacked=_take_value, chain=_take_chain, operands=first,
             latex=_latex),
)
