"""The chain rule's local step, one function per node kind, like shapes.py.

Given a forward node `P` (say `M @ N`), one of its operands, and the gradient `dP` of the
cost with respect to `P`, `local` returns the gradient with respect to that operand
(`M.T @ dP` for `N`) as a syntax tree, with the rule in words. Broadcasting is left to the
caller (shapecheck.derive), which sums over the axes an operand was stretched along.
"""
from __future__ import annotations

from typing import Mapping

from .. import functions
from .. import syntax as s
from ..frozen import Record, record
from ..functions import Underivable, call  # noqa: F401 (the calculus stage's names for them)
from ..functions.rules import name, neg, num, op, tr  # noqa: F401 (name: for derive, pairing)
from ..shapes import Shape


@record
class Site(Record):
    """A forward node in place: its shape and its operands' shapes, its value as an
    expression (`own`: the equation's name where the node is a whole right side), the
    shape of the gradient that reaches it, and the model's fixed functions."""
    node: s.Node
    shape: Shape
    operand_shapes: tuple[Shape, ...]
    own: s.Node
    gradient_shape: Shape
    functions: Mapping[str, str]
    class_axis: int = 0


def operands(node: s.Node) -> tuple[s.Node, ...]:
    """The operands a gradient flows into (a call's keywords and axis carry none)."""
    if isinstance(node, s.BinOp):
        return (node.left, node.right)
    if isinstance(node, (s.Neg, s.Transpose)):
        return (node.operand,)
    if isinstance(node, s.Call):
        record = functions.lookup(node.func)
        return record.operands(node) if record is not None and record.operands else node.args
    if isinstance(node, s.Derivative):
        return node.args
    return ()


def is_constant(node: s.Node, variables) -> bool:
    """Numbers and sizes only: `1/m`, `2`, `0.5`."""
    return all(not (isinstance(n, s.Name) and n.id in variables)
               and not isinstance(n, (s.Call, s.Derivative, s.Index)) for n in s.walk(node))


def trivial(node: s.Node, index: int, variables) -> bool:
    """Steps that pass the gradient on unchanged, or merely summed, negated, transposed or
    scaled by a constant: they join the step of the next real rule."""
    if isinstance(node, (s.Neg, s.Transpose)):
        return True
    if isinstance(node, s.BinOp):
        if node.op in ("+", "-"):
            return True
        if node.op in ("*", "/"):
            other = node.right if index == 0 else node.left
            return is_constant(other, variables) and (node.op == "*" or index == 0)
        return False
    record = functions.lookup(node.func) if isinstance(node, s.Call) else None
    return record is not None and record.total is not None


def local(site: Site, index: int, ops: tuple[s.Node, ...], grad: s.Node) -> tuple[s.Node | None, str]:
    """The gradient with respect to operand `index` of `site.node`, given the operands as
    expressions `ops` and the node's gradient `grad`; None where it is zero (a comparison)."""
    node = site.node
    rule = _RULES.get(type(node).__name__)
    if rule is None:
        raise Underivable(f"there is no chain rule for {type(node).__name__.lower()}")
    return rule(site, index, ops, grad)


def _binop(site: Site, i: int, ops, g) -> tuple[s.Node | None, str]:
    node: s.BinOp = site.node
    m, n = ops
    if node.op == "+":
        return g, "for a sum, each term gets the gradient of the sum"
    if node.op == "-":
        if i == 0:
            return g, "for a difference P = M - N, dM = dP"
        return neg(g), "for a difference P = M - N, dN = -dP"
    if node.op == "*":
        if i == 0:
            return op("*", g, n), "for an element-wise product P = M * N, dM = dP * N"
        return op("*", g, m), "for an element-wise product P = M * N, dN = dP * M"
    if node.op == "/":
        if i == 0:
            return op("/", g, n), "for a quotient P = M / N, dM = dP / N"
        return (neg(op("/", op("*", g, m), op("**", n, num(2)))),
                "for a quotient P = M / N, dN = -dP * M / N ** 2")
    if node.op == "**":
        if i == 1 or not isinstance(node.right, s.Number):
            raise Underivable("a power whose exponent is not a number has no rule here")
        k = node.right.value
        return (op("*", op("*", num(k), g), op("**", m, num(k - 1))),
                f"for a power P = M ** k, dM = k * dP * M ** (k - 1), here k = {num(k).text}")
    if node.op == "@":
        return _matmul(site, i, m, n, g)
    return None, "a comparison is piecewise constant: its gradient is 0"


def _matmul(site: Site, i: int, m, n, g) -> tuple[s.Node, str]:
    left, right = site.operand_shapes
    times = "*" if not site.gradient_shape else "@"  # a (1, 1) product with a scalar gradient
    if len(left) >= 2 and len(right) >= 2:
        if i == 0:
            return op(times, g, tr(n)), "for a product P = M @ N, dM = dP @ N.T"
        return op(times, tr(m), g), "for a product P = M @ N, dN = M.T @ dP"
    if len(left) == 1 and len(right) == 1:
        return op("*", g, n if i == 0 else m), "for a dot product P = M @ N of vectors, dM = dP * N"
    dyad = functions.dyad().name  # the matrix two vectors make, u v^T
    if len(left) == 1:  # vector @ matrix
        if i == 0:
            return op("@", n, g), "for P = M @ N with a vector M, dM = N @ dP"
        return call(dyad, m, g), f"for P = M @ N with a vector M, dN = np.{dyad}(M, dP)"
    if i == 0:  # matrix @ vector
        return call(dyad, g, n), f"for P = M @ N with a vector N, dM = np.{dyad}(dP, N)"
    return op("@", tr(m), g), "for P = M @ N with a vector N, dN = M.T @ dP"


def _neg(site, i, ops, g):
    return neg(g), "for P = -M, dM = -dP"


def _transpose(site, i, ops, g):
    return tr(g), "for a transpose P = M.T, dM = dP.T"


def _derivative(site, i, ops, g):
    raise Underivable(f"{site.node.func}'(...) in the model would need a second derivative")


def _index(site, i, ops, g):
    return None, "a shape is a constant"


def _call(site: Site, i: int, ops, g) -> tuple[s.Node | None, str]:
    """A known function's rule is in its record; a model's activation name (g1) takes the
    rule of the function it is bound to through that name (by default dP * g1'(M))."""
    func = site.node.func
    record = functions.lookup(func)
    if record is None:
        bound = functions.lookup(site.functions.get(func, func))
        rule = bound.bound_chain if bound is not None and bound.bound_chain else \
            functions.elementwise_chain
    else:
        rule = record.chain
    found = rule(site, i, ops, g) if rule is not None else None
    if found is None:
        raise Underivable(f"np.{func} has no rule of the chain rule here")
    return found


_RULES = {"BinOp": _binop, "Neg": _neg, "Transpose": _transpose, "Call": _call,
          "Derivative": _derivative, "Index": _index}
