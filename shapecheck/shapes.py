"""Every shape rule, one function per node kind, on symbolic shapes.

A dimension is an `int` or a size name. Size names are symbols: `n1` never broadcasts and
never equals `m`, whatever their values, so equal sizes cannot hide a transposition; only
a literal `1` broadcasts. A rule that does not hold raises `Mismatch` carrying a
`ShapeFailure` (the failing node, its operands, the rule in words); `check` turns that into
a value, with a hint when a small edit lines the shapes up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from . import syntax as s
from .errors import UnknownNameError
from .language.meaning import ELEMENTWISE
from .language.printer import to_numpy
from .result import Operand, Shape, show  # plain data, shared with the report


@dataclass(frozen=True)
class ShapeFailure:
    """Where the shapes stop lining up: `node` is the failing part, `op_span` its operator."""
    message: str
    node: s.Node
    op_span: s.Span
    operands: tuple[Operand, ...]
    hint: str | None = None
    hint_shape: Shape | None = None


class Mismatch(Exception):
    def __init__(self, failure: ShapeFailure):
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True)
class ShapeEnv:
    """The shapes the names of one formula have; `sizes` are names usable as scalars."""
    variables: Mapping[str, Shape]
    sizes: Iterable[str]
    text: str


class Inference:
    def __init__(self, env: ShapeEnv):
        self.env = env
        self.sizes = set(env.sizes)
        self.shapes: dict[int, Shape] = {}  # id(node) → shape, for --explain

    def text(self, node: s.Node) -> str:
        start, end = node.span
        source = self.env.text[start:end]
        return source if source.strip() else to_numpy(node)

    def operand(self, node: s.Node) -> Operand:
        return Operand(self.text(node), node.span, self.shapes[id(node)])

    def fail(self, message: str, node: s.Node, op_span: s.Span, *operands: s.Node):
        raise Mismatch(ShapeFailure(message, node, op_span,
                                    tuple(self.operand(o) for o in operands)))

    def of(self, node: s.Node) -> Shape:
        shape = getattr(self, type(node).__name__.lower())(node)
        self.shapes[id(node)] = shape
        return shape

    # -- leaves
    def name(self, node: s.Name) -> Shape:
        if node.id in self.env.variables:
            return tuple(self.env.variables[node.id])
        if node.id in self.sizes or node.id in ("True", "False"):
            return ()
        raise UnknownNameError(
            f"{node.id} has no shape: it is not a name of the model or the naming "
            f"convention; declare it, e.g. --shape {node.id}=n1,m (or --{node.id} 3 for a size)",
            self.env.text, node.span)

    def number(self, node: s.Number) -> Shape:
        return ()

    # -- operators
    def binop(self, node: s.BinOp) -> Shape:
        left, right = self.of(node.left), self.of(node.right)
        if node.op == "@":
            return self.matmul(node, left, right)
        shape = broadcast(left, right)
        if shape is None:
            a, b = self.text(node.left), self.text(node.right)
            self.fail(f"element-wise {node.op} needs shapes that broadcast: {a} is {show(left)} "
                      f"and {b} is {show(right)}; {_broadcast_reason(left, right)}",
                      node, node.op_span, node.left, node.right)
        return shape

    def matmul(self, node: s.BinOp, left: Shape, right: Shape) -> Shape:
        a, b = self.text(node.left), self.text(node.right)
        for side, shape in ((a, left), (b, right)):
            if not shape:
                self.fail(f"a matrix product needs arrays, but {side} is a scalar; "
                          "use * to scale", node, node.op_span, node.left, node.right)
        inner_left = left[-1]
        inner_right = right[-2] if len(right) >= 2 else right[0]
        if inner_left != inner_right:
            self.fail(f"the inner sizes {inner_left} and {inner_right} of a matrix product must "
                      f"be equal: {a} is {show(left)} and {b} is {show(right)}",
                      node, node.op_span, node.left, node.right)
        rows = left[:-1]
        cols = right[-1:] if len(right) >= 2 else ()
        batch_left, batch_right = rows[:-1], right[:-2]
        batch = broadcast(batch_left, batch_right)
        if batch is None:
            self.fail(f"the stacked dimensions of {a} {show(left)} and {b} {show(right)} "
                      "do not broadcast", node, node.op_span, node.left, node.right)
        return batch + rows[-1:] + cols

    def neg(self, node: s.Neg) -> Shape:
        return self.of(node.operand)

    def transpose(self, node: s.Transpose) -> Shape:
        return self.of(node.operand)[::-1]

    def index(self, node: s.Index) -> Shape:
        shape = self.of(node.operand)
        if not -len(shape) <= node.index < len(shape):
            self.fail(f"{self.text(node.operand)} is {show(shape)}: it has no dimension "
                      f"{node.index}", node, node.span, node.operand)
        return ()

    def derivative(self, node: s.Derivative) -> Shape:
        return self.of(node.args[0])

    def keyword(self, node: s.Keyword) -> Shape:
        return () if isinstance(node.value, s.Tuple) else self.of(node.value)  # axis=(0, 1)

    def tuple(self, node: s.Tuple) -> Shape:
        # a tuple anywhere but as an axis: (1, - A1 ** 2) where (1 - A1 ** 2) was meant
        raise UnknownNameError(f"{self.text(node)} is a tuple: shapecheck reads one only as "
                               "the axes of a sum or mean, as in axis=(0, 1)",
                               self.env.text, node.span)

    # -- functions
    def call(self, node: s.Call) -> Shape:
        # np.sum(A, (0, 1)): a tuple after the first argument is the axes
        shapes = [() if i and isinstance(a, s.Tuple) else self.of(a)
                  for i, a in enumerate(node.args)]
        for k in node.kwargs:
            self.of(k)
        func = node.func
        if func in ELEMENTWISE or func not in _FUNCTIONS:
            self.arity(node, 1)
            return shapes[0]
        return _FUNCTIONS[func](self, node, shapes)

    def arity(self, node: s.Call, low: int, high: int | None = None):
        high = low if high is None else high
        if not low <= len(node.args) <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            raise UnknownNameError(f"{node.func}() takes {wanted} argument(s), got {len(node.args)}",
                                   self.env.text, node.span)

    def kwarg(self, node: s.Call, name: str) -> s.Node | None:
        allowed = {"sum": {"axis", "keepdims"}, "mean": {"axis", "keepdims"},
                   "max": {"axis", "keepdims"}, "min": {"axis", "keepdims"},
                   "softmax": {"axis"}, "linalg.norm": {"axis", "keepdims", "ord"}}
        for k in node.kwargs:
            if k.name not in allowed.get(node.func, set()):
                raise UnknownNameError(f"{node.func}() takes no keyword {k.name!r}",
                                       self.env.text, k.span)
        return next((k.value for k in node.kwargs if k.name == name), None)

    def axes(self, node: s.Call, shape: Shape) -> tuple[int, ...] | None:
        """The axes a reduction names, each checked against `shape`; None for all."""
        value = self.kwarg(node, "axis")
        if value is None and len(node.args) > 1:
            value = node.args[1]
        if value is None or (isinstance(value, s.Name) and value.id == "None"):
            return None
        items = value.items if isinstance(value, s.Tuple) else (value,)
        axes = []
        for item in items:
            axis = constant_int(item)
            if axis is None:
                raise UnknownNameError("axis must be a whole number", self.env.text, item.span)
            if not -len(shape) <= axis < len(shape):
                self.fail(f"axis {axis} is out of range: {self.text(node.args[0])} is "
                          f"{show(shape)}, which has {len(shape)} dimension(s)",
                          node, item.span, node.args[0])
            axes.append(axis % len(shape))
        return tuple(axes)

    def keepdims(self, node: s.Call) -> bool:
        value = self.kwarg(node, "keepdims")
        return isinstance(value, s.Name) and value.id == "True" or (
            isinstance(value, s.Number) and value.value != 0)

    def square_matrix(self, node: s.Call, shape: Shape, what: str):
        if len(shape) != 2 or shape[0] != shape[1]:
            self.fail(f"{what} needs a square matrix, but {self.text(node.args[0])} is "
                      f"{show(shape)}", node, node.func_span, node.args[0])


def constant_int(node: s.Node) -> int | None:
    """1, -1 as written; None for anything else."""
    if isinstance(node, s.Number) and float(node.value).is_integer():
        return int(node.value)
    if isinstance(node, s.Neg):
        inner = constant_int(node.operand)
        return -inner if inner is not None else None
    return None


def _reduction(inf: Inference, node: s.Call, shapes: list[Shape]) -> Shape:
    inf.arity(node, 1, 2)
    shape = shapes[0]
    axes = inf.axes(node, shape)
    keep = inf.keepdims(node)
    if axes is None:
        return tuple(1 for _ in shape) if keep else ()
    return tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes)


def _same(inf: Inference, node: s.Call, shapes: list[Shape]) -> Shape:
    inf.arity(node, 1)
    return shapes[0]


def _softmax(inf: Inference, node: s.Call, shapes: list[Shape]) -> Shape:
    inf.arity(node, 1, 2)
    shape = shapes[0]
    if not shape:
        inf.fail(f"softmax normalises along an axis, but {inf.text(node.args[0])} is a scalar",
                 node, node.func_span, node.args[0])
    axes = inf.axes(node, shape)
    if axes is not None and len(axes) != 1:
        raise UnknownNameError("softmax normalises along one axis", inf.env.text, node.span)
    return shape


def _broadcast_all(inf: Inference, node: s.Call, shapes: list[Shape]) -> Shape:
    inf.arity(node, 3 if node.func == "where" else 2)
    result: Shape | None = ()
    for arg, shape in zip(node.args, shapes):
        result = broadcast(result, shape)
        if result is None:
            inf.fail(f"the arguments of {node.func}() must broadcast: "
                     + ", ".join(f"{inf.text(a)} is {show(sh)}" for a, sh in zip(node.args, shapes)),
                     node, node.func_span, *node.args)
    return result


def _trace(inf, node, shapes):
    inf.arity(node, 1)
    inf.square_matrix(node, shapes[0], "np.trace")
    return ()


def _inv(inf, node, shapes):
    inf.arity(node, 1)
    inf.square_matrix(node, shapes[0], "np.linalg.inv")
    return shapes[0]


def _det(inf, node, shapes):
    inf.arity(node, 1)
    inf.square_matrix(node, shapes[0], "np.linalg.det")
    return ()


def _norm(inf, node, shapes):
    """The Frobenius (2-)norm, over `axis` like a sum; other norms (`ord`) are not read."""
    if inf.kwarg(node, "ord") is not None:
        raise UnknownNameError("np.linalg.norm is read as the 2-norm (Frobenius for a matrix); "
                               "ord= is not supported", inf.env.text, node.span)
    return _reduction(inf, node, shapes)


def _outer(inf, node, shapes):
    inf.arity(node, 2)
    dims = []
    for arg, shape in zip(node.args, shapes):
        long = [d for d in shape if d != 1]
        if len(long) > 1:
            inf.fail(f"np.outer needs vectors, but {inf.text(arg)} is {show(shape)}",
                     node, node.func_span, arg)
        dims.append(long[0] if long else 1)
    return tuple(dims)


def _eye(inf, node, shapes):
    inf.arity(node, 1)
    arg = node.args[0]
    size = arg.id if isinstance(arg, s.Name) and arg.id in inf.sizes else constant_int(arg)
    if size is None:
        raise UnknownNameError("np.eye(n) needs a size name or a whole number", inf.env.text, arg.span)
    return (size, size)


_FUNCTIONS = {"sum": _reduction, "mean": _reduction, "max": _reduction, "min": _reduction,
              "softmax": _softmax, "ones_like": _same, "zeros_like": _same,
              "maximum": _broadcast_all, "minimum": _broadcast_all, "where": _broadcast_all,
              "trace": _trace, "linalg.inv": _inv, "linalg.det": _det, "linalg.norm": _norm,
              "outer": _outer, "eye": _eye}


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


def _broadcast_reason(a: Shape, b: Shape) -> str:
    for i in range(1, min(len(a), len(b)) + 1):
        x, y = a[-i], b[-i]
        if x != y and 1 not in (x, y):
            return f"{x} and {y} differ and neither is 1"
    return "they do not line up"


def infer(node: s.Node, env: ShapeEnv) -> tuple[Shape, dict[int, Shape]]:
    """The shape of `node` and of every node below it; raises Mismatch, UnknownNameError."""
    inference = Inference(env)
    return inference.of(node), inference.shapes
