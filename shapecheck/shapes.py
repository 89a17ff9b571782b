"""Every shape rule, one function per node kind, on symbolic shapes.

A dimension is an `int` or a size name. Size names are symbols: `n1` never broadcasts and
never equals `m`, whatever their values, so equal sizes cannot hide a transposition; only
a literal `1` broadcasts. A rule that does not hold raises `Mismatch` carrying a
`ShapeFailure` (the failing node, its operands, the rule in words); `check` turns that into
a value, with a hint when a small edit lines the shapes up.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from . import functions
from . import syntax as s
from .errors import UnknownNameError
from .frozen import Record, record
from .functions import broadcast
from .language.printer import to_numpy
from .result import Operand, Shape, show  # plain data, shared with the report


@record
class ShapeFailure(Record):
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


@record
class ShapeEnv(Record):
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

    def jacobian(self, node: s.Jacobian) -> Shape:
        """∂A/∂Z holds each entry of A against each entry of Z: A's shape, then Z's."""
        return self.of(node.of) + self.of(node.wrt)

    def derivative(self, node: s.Derivative) -> Shape:
        return self.of(node.args[0])

    def keyword(self, node: s.Keyword) -> Shape:
        return () if isinstance(node.value, s.Tuple) else self.of(node.value)  # axis=(0, 1)

    def tuple(self, node: s.Tuple) -> Shape:
        # a tuple anywhere but as an axis: (1, - A1 ** 2) where (1 - A1 ** 2) was meant
        raise UnknownNameError(f"{self.text(node)} is a tuple: shapecheck reads one only as "
                               "the axes of a sum or mean, as in axis=(0, 1)",
                               self.env.text, node.span)

    # -- functions: each known one's rule is in its record (shapecheck.functions)
    def call(self, node: s.Call) -> Shape:
        # np.sum(A, (0, 1)): a tuple after the first argument is the axes
        shapes = [self.written(a) if functions.written(node, i)
                  else () if i and isinstance(a, s.Tuple) else self.of(a)
                  for i, a in enumerate(node.args)]
        for k in node.kwargs:
            self.of(k)
        try:
            return functions.shape_of(node, shapes, self.text, self.sizes,
                                      lambda n: self.shapes.get(id(n)))
        except functions.ShapeProblem as problem:
            if not problem.mismatch:
                raise UnknownNameError(problem.message, self.env.text, problem.span) from None
            raise Mismatch(ShapeFailure(problem.message, node, problem.span,
                                        tuple(self.operand(o) for o in problem.operands))) from None

    def written(self, node: s.Node) -> Shape | None:
        """An argument read as written (`(N, D)`, `x.shape`, `'ij->j'`): the shapes of the
        arrays inside it are found (x of x.shape[0]); its own is None."""
        for item in node.items if isinstance(node, s.Tuple) else (node,):
            if not isinstance(item, (s.Literal, s.Tuple)):
                self.of(item)
        return None

    def literal(self, node: s.Literal) -> Shape:
        raise UnknownNameError(f"{node.text} is not an array: a string or a type is read only "
                               "where a function takes one, as in np.einsum('ij,jk->ik', A, B) "
                               "or x.astype(float)", self.env.text, node.span)


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
