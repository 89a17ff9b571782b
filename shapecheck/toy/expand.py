"""A formula's right side written out entry by entry: each node becomes a grid (a numpy
array of `scalars.Poly`) of the toy's small sizes, so `W1 @ X + b1` becomes, at [0,1],
`W1[0,0]*X[0,1] + W1[0,1]*X[1,1] + b1[0,0]`.

numpy itself broadcasts, multiplies and sums the grids (object arrays call Poly's
arithmetic), so `@`, `*`, broadcasting and the reductions mean exactly what they mean in
numpy. Shapes come from the shape stage (symbolic, `(n1, m)`), and each size is given its
toy value; a size read as a scalar (`1/m`, np.mean's count) stays the symbol `m`, so that
a formula written with `1/2` is never taken for one written with `1/m` because the toy
happens to have two examples.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Mapping

import numpy as np

from .. import functions
from .. import syntax as s
from ..shapes import Shape
from .scalars import Poly, Unexpandable, apply, size

Grid = np.ndarray  # of Poly, the shape of the toy's sizes (0-d for a scalar)


def grid(shape: tuple[int, ...], make: Callable[[tuple[int, ...]], Poly]) -> Grid:
    """A grid of `shape` whose entry at `index` is `make(index)`."""
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        out[index] = make(index)
    return out


def elementwise(values: Grid, make: Callable[[Poly], Poly]) -> Grid:
    out = np.empty(np.shape(values), dtype=object)
    for index in np.ndindex(*np.shape(values)):
        out[index] = make(values[index])
    return out


class Expander:
    """Expands nodes given the grids of the names (`names(name)` → Grid, or raises
    Unexpandable), every node's symbolic shape (`shapes`, by id, from shapes.infer) and
    the toy's sizes."""

    def __init__(self, names: Callable[[str], Grid], shapes: Mapping[int, Shape],
                 sizes: Mapping[str, int], scalar_sizes: set[str]):
        self.names, self.shapes, self.sizes = names, shapes, sizes
        self.scalar_sizes = scalar_sizes

    def concrete(self, shape: Shape) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else self.sizes[d] for d in shape)

    def count(self, dim) -> Poly:
        """A dimension as a scalar: its size's symbol, or the number."""
        return Poly.const(dim) if isinstance(dim, int) else size(dim)

    def of(self, node: s.Node) -> Grid:
        method = getattr(self, type(node).__name__.lower(), None)
        if method is None:
            raise Unexpandable(f"{type(node).__name__.lower()} has no entry-by-entry form")
        value = method(node)
        return value if isinstance(value, np.ndarray) else _scalar(value)

    def name(self, node: s.Name) -> Grid:
        if node.id in self.scalar_sizes:
            return _scalar(size(node.id))
        return self.names(node.id)

    def number(self, node: s.Number) -> Grid:
        try:
            value = Fraction(node.text.rstrip(".") or "0")
        except ValueError:
            value = Fraction(str(node.value))
        return _scalar(Poly.const(value))

    def binop(self, node: s.BinOp) -> Grid:
        left, right = self.of(node.left), self.of(node.right)
        if node.op == "@":
            if left.ndim == 0 or right.ndim == 0:
                raise Unexpandable("@ of a scalar")
            return np.asarray(np.matmul(left, right), dtype=object)
        if node.op == "**":
            if right.ndim != 0 or right[()].constant() is None:
                raise Unexpandable("a power whose exponent is not a number")
            exponent = right[()].constant()
            return elementwise(left, lambda p: p ** exponent)
        operations = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}
        if node.op not in operations:
            raise Unexpandable(f"the comparison {node.op} is not smooth: it has no chain rule")
        return np.asarray(operations[node.op](left, right), dtype=object)

    def neg(self, node: s.Neg) -> Grid:
        return elementwise(self.of(node.operand), lambda p: -p)

    def transpose(self, node: s.Transpose) -> Grid:
        return self.of(node.operand).T

    def index(self, node: s.Index) -> Grid:
        return _scalar(self.count(self.shapes[id(node.operand)][node.index]))

    def derivative(self, node: s.Derivative) -> Grid:
        if len(node.args) != 1:
            raise Unexpandable(f"{node.func}' with more than one argument")
        return elementwise(self.of(node.args[0]), lambda p: apply(node.func, p, 1))

    def call(self, node: s.Call) -> Grid:
        total = functions.total(node)
        if total:
            return self.reduce(node, total)
        operator = functions.operator(node.func)
        if operator and len(node.args) == 2 and not node.kwargs:
            op, _ = operator
            return self.binop(s.BinOp(op, node.args[0], node.args[1], node.span, node.span))
        record = functions.lookup(node.func)
        smooth = record is None or (record.elementwise and record.value is not None
                                    and record.derivative is not None and not record.kinked)
        if not smooth or len(node.args) != 1 or node.kwargs:
            raise Unexpandable(f"{node.func} is not an element-wise smooth function of one "
                               "argument, and the toy writes out only sums, products, powers "
                               "and such functions")
        name = record.name if record is not None else node.func
        return elementwise(self.of(node.args[0]), lambda p: apply(name, p))

    def reduce(self, node: s.Call, total: str) -> Grid:
        """np.sum / np.mean: the reduced axes summed, laid out in the shape the shape stage
        gives the call (in the same order), the mean divided by its count as a symbol (`m`)."""
        if len(node.args) != 1:
            raise Unexpandable(f"{node.func} of more than one array")
        inner = self.of(node.args[0])
        inner_shape = self.shapes[id(node.args[0])]
        axes = functions.arguments(node).axes(inner.ndim) if inner.ndim else None
        axes = tuple(range(inner.ndim)) if axes is None else axes
        summed = np.sum(inner, axis=axes) if axes else inner
        result = np.empty(self.concrete(self.shapes[id(node)]), dtype=object)
        flat = [Poly.of(v) for v in np.ravel(summed)]
        for index, value in zip(np.ndindex(*result.shape), flat):
            result[index] = value
        if total == "mean":
            count = Poly.const(1)
            for axis in axes:
                count = count * self.count(inner_shape[axis])
            result = elementwise(result, lambda p: p / count)
        return result


def _scalar(value: Poly) -> Grid:
    out = np.empty((), dtype=object)
    out[()] = Poly.of(value)
    return out
