"""The helpers the function records are written with: shape-rule pieces on plain tuples of
dimensions, node builders for the local chain rules, the stack axis. Nothing here names a
function: that is the records' job (shapecheck.functions.records).

Imports only syntax, errors and numpy: every stage above may ask the table.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import syntax as s
from ..result import Dim, Shape, show  # shapes as plain data, shared with the report

NOWHERE = (0, 0)


# -- reading a call's arguments: written once, for every stage
def constant_int(node: s.Node) -> int | None:
    """1, -1 as written; None for anything else."""
    if isinstance(node, s.Number) and float(node.value).is_integer():
        return int(node.value)
    if isinstance(node, s.Neg):
        inner = constant_int(node.operand)
        return -inner if inner is not None else None
    return None


# -- shapes as plain tuples
def broadcast(a: Shape, b: Shape) -> Shape | None:
    """numpy's broadcasting on symbolic shapes: only a literal 1 stretches."""
    result = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x == y or y == 1:
            result.append(x)
        elif x == 1:
            result.append(y)
        else:
            return None
    return tuple(reversed(result))


class ShapeProblem(Exception):
    """A shape rule that does not hold. `operands` (argument nodes) given: a mismatch at
    `span` between them; none: the call is written wrongly (an unknown-name error)."""

    def __init__(self, message: str, span: s.Span, operands: tuple[s.Node, ...] = (),
                 mismatch: bool = True):
        super().__init__(message)
        self.message, self.span, self.operands, self.mismatch = message, span, operands, mismatch


class ShapeCall:
    """What a record's shape rule is given: the call, its arguments' shapes, their text,
    the size names, and the record's own reading of its arguments."""

    def __init__(self, record, node: s.Call, shapes: list[Shape], text: Callable[[s.Node], str],
                 sizes, read: Callable, node_shape: Callable[[s.Node], Shape] | None = None):
        self.record, self.node, self.shapes, self.text = record, node, shapes, text
        self.sizes = sizes
        self.read = read
        self.node_shape = node_shape  # the shape of a node inside a written argument (x.shape)

    def size(self, node: s.Node) -> Dim:
        """A size as written: a size name, a whole number or `x.shape[i]`."""
        if isinstance(node, s.Name) and node.id in self.sizes:
            return node.id
        if isinstance(node, s.Index) and node.attr == "shape" and self.node_shape is not None:
            shape = self.node_shape(node.operand)
            if shape is not None and -len(shape) <= node.index < len(shape):
                return shape[node.index]
        number = constant_int(node)
        if number is None or number < 0:
            self.refuse(f"{self.text(node)} is not a size: a size is a size name (N), a whole "
                        "number or x.shape[0]", node.span)
        return number

    def sizes_of(self, node: s.Node, free: bool = False) -> tuple[Dim | None, ...]:
        """The sizes a shape argument names: `(N, D)`, `x.shape`, one size `N`; with `free`,
        a -1 is None (the size numpy works out)."""
        if isinstance(node, s.Call) and node.func == "shape" and self.node_shape is not None:
            return tuple(self.node_shape(node.args[0]))
        items = node.items if isinstance(node, s.Tuple) else (node,)
        return tuple(None if free and constant_int(i) == -1 else self.size(i) for i in items)

    def fail(self, message: str, span: s.Span, *operands: s.Node):
        raise ShapeProblem(message, span, operands)

    def refuse(self, message: str, span: s.Span):
        raise ShapeProblem(message, span, mismatch=False)

    @property
    def shown(self) -> str:
        """The function as the user writes it in numpy, `np.` kept: `np.linalg.det`,
        `sigmoid`, `.sum` (a message never drops the namespace)."""
        if self.node.method:
            return "." + self.node.func
        return ("np." if self.record.name and self.record.numpy else "") + self.node.func

    def arity(self):
        node, (low, high) = self.node, self.record.arity
        if not low <= len(node.args) <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            self.refuse(f"{self.shown}() takes {wanted} argument(s), got {len(node.args)}",
                        node.span)

    def arguments(self):
        """The call's arguments, read by the table's one reader, once its keywords are
        known to be ones the function takes."""
        for k in self.node.kwargs:
            if k.name not in self.record.keywords:
                self.refuse(f"{self.shown}() takes no keyword {k.name!r}", k.span)
        return self.read(self.node)

    def axes(self, shape: Shape) -> tuple[int, ...] | None:
        """The axes a reduction names, each checked against `shape`; None for all."""
        node, items = self.node, self.arguments().axis_items
        if items is None:
            return None
        axes = []
        for item in items:
            axis = constant_int(item)
            if axis is None:
                self.refuse("axis must be a whole number", item.span)
            if not -len(shape) <= axis < len(shape):
                self.fail(f"axis {axis} is out of range: {self.text(node.args[0])} is "
                          f"{show(shape)}, which has {len(shape)} dimension(s)",
                          item.span, node.args[0])
            axes.append(axis % len(shape))
        return tuple(axes)

    def square(self, shape: Shape, what: str):
        if len(shape) != 2 or shape[0] != shape[1]:
            self.fail(f"{what} needs a square matrix, but {self.text(self.node.args[0])} is "
                      f"{show(shape)}", self.node.func_span, self.node.args[0])


# -- shape rules that several records share
def same(c: ShapeCall) -> Shape:
    c.arity()
    return c.shapes[0]


def normalising(c: ShapeCall) -> Shape:
    c.arity()
    node, shape = c.node, c.shapes[0]
    if not shape:
        c.fail(f"{c.record.name} normalises along an axis, but {c.text(node.args[0])} is a scalar",
               node.func_span, node.args[0])
    axes = c.axes(shape)
    if axes is not None and len(axes) != 1:
        c.refuse(f"{c.record.name} normalises along one axis", node.span)
    return shape


def broadcasting(c: ShapeCall) -> Shape:
    c.arity()
    node, result = c.node, ()
    for shape in c.shapes:
        result = broadcast(result, shape)
        if result is None:
            c.fail(f"the arguments of {c.shown}() must broadcast: "
                   + ", ".join(f"{c.text(a)} is {show(sh)}" for a, sh in zip(node.args, c.shapes)),
                   node.func_span, *node.args)
    return result


def square(scalar: bool):
    """The rule of a function of a square matrix: a scalar, or a matrix of its shape."""
    def rule(c: ShapeCall) -> Shape:
        c.arity()
        c.square(c.shapes[0], f"np.{c.record.name}")
        return () if scalar else c.shapes[0]
    return rule


def vectors(c: ShapeCall) -> Shape:
    c.arity()
    dims = []
    for arg, shape in zip(c.node.args, c.shapes):
        long = [d for d in shape if d != 1]
        if len(long) > 1:
            c.fail(f"np.{c.record.name} needs vectors, but {c.text(arg)} is {show(shape)}",
                   c.node.func_span, arg)
        dims.append(long[0] if long else 1)
    return tuple(dims)


def sized(c: ShapeCall) -> Shape:
    c.arity()
    size = c.size(c.node.args[0])
    return (size, size)


# -- node builders for the local chain rules
def name(text: str) -> s.Name:
    return s.Name(text, NOWHERE)


def num(value: float) -> s.Number:
    return s.Number(float(value), str(int(value)) if float(value).is_integer() else repr(value),
                    NOWHERE)


def op(operator: str, left: s.Node, right: s.Node) -> s.BinOp:
    return s.BinOp(operator, left, right, NOWHERE, NOWHERE)


def neg(node: s.Node) -> s.Neg:
    return s.Neg(node, NOWHERE)


def tr(node: s.Node) -> s.Transpose:
    return s.Transpose(node, NOWHERE)


def derivative(func: str, arg: s.Node) -> s.Derivative:
    return s.Derivative(func, (arg,), NOWHERE, NOWHERE)


# -- values, chain rules and operands that several records share
def dyad_value(at, node, args):
    a, b = args
    at.limit((max(a.shape[0], b.shape[0]), a[0].size, b[0].size))
    return a.reshape(a.shape[0], -1)[:, :, None] * b.reshape(b.shape[0], -1)[:, None, :]


def size_value(at, node: s.Node) -> int:
    """The number a size (read by ShapeCall.size) stands for at this evaluation."""
    if isinstance(node, s.Name):
        return at.sizes[node.id]
    number = constant_int(node)
    return number if number is not None else int(round(float(at(node).reshape(-1)[0])))


def sizes_value(at, node: s.Node) -> tuple[int, ...]:
    """The numbers a shape argument (read by ShapeCall.sizes_of) stands for; -1 kept."""
    if isinstance(node, s.Call) and node.func == "shape":
        return at(node.args[0]).shape[1:]
    items = node.items if isinstance(node, s.Tuple) else (node,)
    return tuple(size_value(at, i) for i in items)


def eye_value(at, node, args):
    n = size_value(at, node.args[0])
    at.limit((n, n))
    return np.eye(n)[None]


def choice_value(at, node, args):
    condition, a, b = at.broadcastable(*args)
    return np.where(condition != 0, a, b).astype(float)


def extreme_chain(compare: str, which: str):
    def rule(site, i, ops, g):
        func = site.node.func
        return (op("*", g, op(compare, ops[i], ops[1 - i])),
                f"for P = np.{func}(M, N), dM = dP where M is the {which}, else 0")
    return rule


def sloped_line(slope: float) -> dict[str, Callable]:
    """The value and the derivative of x for x > 0, `slope` * x elsewhere."""
    return dict(value=lambda x: np.where(x > 0, x, slope * x),
                derivative=lambda x: np.where(x > 0, 1.0, slope))


def bounded_chain(site, i, ops, g):
    """P = f(M, LO, HI) = min(max(M, LO), HI): dP goes to whichever of M, LO, HI P is."""
    f, (m, low, high) = site.node.func, ops
    passed = op("*", op(">", m, low), op("<", m, high))
    raised = op("*", op("<", m, low), op("<", low, high))
    which = [passed, raised, op("-", op("-", num(1), passed), raised)][i]
    return (op("*", g, which), f"for P = np.{f}(M, LO, HI), dM = dP where LO < M < HI, dLO "
            "where M < LO < HI, dHI where P is HI")


def constant_chain(site, i, ops, g):
    return None, "a constant array: its gradient is 0"


def pass_chain(site, i, ops, g):
    return g, "the identity passes the gradient on"


def first(node: s.Call) -> tuple[s.Node, ...]:
    return node.args[:1]


def stacked_axis(axis: int) -> int:
    """A logical axis as an axis of the stacked array (negative axes count from the end)."""
    return axis + 1 if axis >= 0 else axis


class Underivable(Exception):
    """No rule of the chain rule covers this construct (say `np.max`)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def whole(site, g: s.Node) -> s.Node:
    """The gradient `g` of a call spelled out at the call's shape (a total's scalar gradient
    waits to be broadcast until a rule needs it whole)."""
    if tuple(site.gradient_shape) == tuple(site.shape):
        return g
    return s.BinOp("*", g, s.Call("ones_like", (site.own,), (), NOWHERE, NOWHERE,
                                  namespaced=True), NOWHERE, NOWHERE)
