"""The syntax tree: one small immutable node per construct, each with its span.

A span is a [start, end) pair of character offsets into the text the user typed, so every
message can point back into it, whatever notation the formula was written in.
"""
from __future__ import annotations

from dataclasses import field, fields, replace
from typing import Callable, Iterator, Union

from .frozen import Record, record

Span = tuple[int, int]


# Operators of slide and LaTeX notation. The parser keeps them as written, because their
# reading depends on which names are variables; shapecheck.meaning turns each into `@`, `*`,
# `**` or a call, so no later stage ever sees them.
JUXTAPOSE = "juxtapose"  # `W[2]T dZ[2]`, `1/m dZ A^T`: a product; op_span is the gap
CDOT = "\\cdot"          # a matrix product, or a dot product between vectors
TIMES = "\\times"        # a matrix product or an element-wise one
OTIMES = "\\otimes"      # an element-wise product or an outer product
SUPERSCRIPT = "^"        # `A^2` a power, `A^{-1}` an inverse
NOTATION_OPS = (JUXTAPOSE, CDOT, TIMES, OTIMES, SUPERSCRIPT)
# what may stand for the cost in a gradient name ∂J/∂W, dJ/dW
COST_NAMES = frozenset({"J", "L", "E", "C", "ell", "cost", "loss"})


@record(slots=True)
class Name(Record):
    """A variable (`W2`), a size used as a scalar (`m`) or a constant (`True`)."""
    id: str
    span: Span


@record(slots=True)
class Number(Record):
    """A number as written: `value`, and `text` as typed (`1e-3`, `0.5`)."""
    value: float
    text: str
    span: Span


@record(slots=True)
class BinOp(Record):
    """`left op right` for op in `@ * / + - ** > < >= <= == !=`; `op_span` is the operator."""
    op: str
    left: "Node"
    right: "Node"
    span: Span
    op_span: Span


@record(slots=True)
class Neg(Record):
    """`-operand`."""
    operand: "Node"
    span: Span


@record(slots=True)
class Transpose(Record):
    """`A.T`, `A.transpose()`, `np.transpose(A)`."""
    operand: "Node"
    span: Span


@record(slots=True)
class Keyword(Record):
    """`axis=1` inside a call."""
    name: str
    value: "Node"
    span: Span


@record(slots=True)
class Tuple(Record):
    """`(0, 1)`, as an `axis` value."""
    items: tuple["Node", ...]
    span: Span


@record(slots=True)
class Call(Record):
    """`np.sum(A, axis=1)` (func `sum`, the `np.`/`numpy.` prefix dropped), `g1(Z1)`,
    `np.linalg.inv(X)` (func `linalg.inv`), or a method `A.sum(axis=0)` (func `sum`,
    the object first in `args`, `method=True`)."""
    func: str
    args: tuple["Node", ...]
    kwargs: tuple[Keyword, ...]
    span: Span
    func_span: Span
    method: bool = False
    namespaced: bool = False  # written `np.NAME`: must be a numpy function we know


@record(slots=True)
class Derivative(Record):
    """`g1'(Z1)`: the derivative of the function `func`, applied element-wise."""
    func: str
    args: tuple["Node", ...]
    span: Span
    func_span: Span


@record(slots=True)
class Index(Record):
    """`A.shape[1]` (the only indexing the language has)."""
    operand: "Node"
    attr: str
    index: int
    span: Span


@record(slots=True)
class Jacobian(Record):
    """`∂A1/∂Z1`, `\\frac{\\partial A1}{\\partial Z1}`: the derivative of a quantity that is not
    the cost with respect to another, as the scalar chain rule writes it. It is read so that
    the check can say what it is (an array of both shapes, not a factor of `*`); no later
    stage computes with it."""
    of: Name
    wrt: Name
    span: Span


@record(slots=True)
class Literal(Record):
    """An argument read as written, not as an array: a string (`'ij,kj->ik'`, np.einsum's
    subscripts) or a type (`np.int64`, `float` in `.astype(...)`). `text` as written,
    `value` without quotes or `np.`."""
    text: str
    value: str
    span: Span


@record(slots=True)
class Equation(Record):
    """`lhs = rhs`; `text` is the whole source the spans point into."""
    lhs: Name
    rhs: "Node"
    text: str
    span: Span = field(default=(0, 0))
    # the Matrix Cookbook's ∂(a^T X^T b)/∂X: the scalar expression whose gradient the left
    # side is, checked as the cost of its own model (None: the model's cost, ∂J/∂X)
    cost: "Node | None" = None


Node = Union[Name, Number, BinOp, Neg, Transpose, Keyword, Tuple, Call, Derivative, Index,
             Jacobian, Literal]


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(node: Node) -> tuple[str, ...]:
    """The names of the fields of `node`'s class that may hold sub-nodes (all but `span`),
    found once per class: `dataclasses.fields` is too slow for every visit of a walk."""
    names = _CHILD_FIELDS.get(type(node))
    if names is None:
        names = _CHILD_FIELDS[type(node)] = tuple(f.name for f in fields(node) if f.name != "span")
    return names


def _nodes_in(value: object) -> bool:
    """Whether a field's value is a tuple of sub-nodes (an argument list), not of numbers."""
    return isinstance(value, tuple) and bool(value) and not isinstance(value[0], int)


def children(node: Node) -> Iterator[Node]:
    """The direct sub-nodes of `node`, in source order."""
    for name in _child_fields(node):
        value = getattr(node, name)
        if _nodes_in(value):
            yield from value
        elif hasattr(value, "span"):
            yield value


def walk(node: Node) -> Iterator[Node]:
    """`node` and all nodes below it, parents before children, in source order."""
    pending = [node]  # a stack, not recursion: nested generators cost a step per level
    while pending:
        node = pending.pop()
        yield node
        pending.extend(reversed(tuple(children(node))))


def _rebuilt(node: Node, visit: Callable[[Node], Node], changes: dict | None = None) -> Node:
    """`node` with `visit` applied to each direct sub-node, and `changes` to its fields: a
    copy only where something changed, else `node` itself."""
    changes = dict(changes or {})
    for name in _child_fields(node):
        value = getattr(node, name)
        if _nodes_in(value):
            items = tuple(visit(v) for v in value)
            if any(a is not b for a, b in zip(items, value)):
                changes[name] = items
        elif hasattr(value, "span"):
            visited = visit(value)
            if visited is not value:
                changes[name] = visited
    return replace(node, **changes) if changes else node


def substitute(node: Node, old: Node, new: Node) -> Node:
    """A copy of `node` with the sub-node `old` (by identity) replaced by `new`."""
    if node is old:
        return new
    return _rebuilt(node, lambda child: substitute(child, old, new))


def rename(node: Node, names: dict[str, str]) -> Node:
    """A copy of `node` with names (variables and called functions) renamed."""
    renamed = {field_name: names[value] for field_name in ("id", "func")
               if field_name in _child_fields(node)
               and (value := getattr(node, field_name)) in names}
    return _rebuilt(node, lambda child: rename(child, names), renamed)
