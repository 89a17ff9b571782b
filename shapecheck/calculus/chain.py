"""The chain rule's local step, one function per node kind, like shapes.py.

Given a forward node `P` (say `M @ N`), one of its operands, and the gradient `dP` of the
cost with respect to `P`, `local` returns the gradient with respect to that operand
(`M.T @ dP` for `N`) as a syntax tree, with the rule in words. Broadcasting is left to the
caller (shapecheck.derive), which sums over the axes an operand was stretched along.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .. import syntax as s
from ..language.meaning import KNOWN
from ..shapes import Shape, constant_int

NOWHERE = (0, 0)
NOT_NUMPY = {"sigmoid", "relu", "softplus", "softmax", "identity"}  # written without np.


class Underivable(Exception):
    """No rule of the chain rule covers this construct (say `np.max`)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Site:
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


def call(func: str, *args: s.Node, **kwargs: s.Node) -> s.Call:
    keywords = tuple(s.Keyword(k, v, NOWHERE) for k, v in kwargs.items())
    return s.Call(func, args, keywords, NOWHERE, NOWHERE,
                  namespaced=func in KNOWN and func not in NOT_NUMPY)


def derivative(func: str, arg: s.Node) -> s.Derivative:
    return s.Derivative(func, (arg,), NOWHERE, NOWHERE)


def operands(node: s.Node) -> tuple[s.Node, ...]:
    """The operands a gradient flows into (a call's keywords and axis carry none)."""
    if isinstance(node, s.BinOp):
        return (node.left, node.right)
    if isinstance(node, (s.Neg, s.Transpose)):
        return (node.operand,)
    if isinstance(node, s.Call):
        if _log_det(node):
            return node.args[0].args  # one rule for np.log(np.linalg.det(M)), straight to M
        if node.func in ("sum", "mean", "softmax", "max", "min", "linalg.norm"):
            return node.args[:1]
        return node.args
    if isinstance(node, s.Derivative):
        return node.args
    return ()


def _log_det(node: s.Call) -> bool:
    return node.func == "log" and len(node.args) == 1 and isinstance(node.args[0], s.Call) \
        and node.args[0].func == "linalg.det"


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
    return isinstance(node, s.Call) and node.func in ("sum", "mean")


def _axis(node: s.Call) -> s.Node | None:
    value = next((k.value for k in node.kwargs if k.name == "axis"), None)
    if value is None and len(node.args) > 1:
        value = node.args[1]
    if isinstance(value, s.Name) and value.id == "None":
        return None
    return value


def _axes(node: s.Call, ndim: int) -> tuple[int, ...] | None:
    value = _axis(node)
    if value is None:
        return None
    items = value.items if isinstance(value, s.Tuple) else (value,)
    return tuple(constant_int(i) % ndim for i in items)


def _keepdims(node: s.Call) -> bool:
    value = next((k.value for k in node.kwargs if k.name == "keepdims"), None)
    return isinstance(value, s.Name) and value.id == "True" or (
        isinstance(value, s.Number) and value.value != 0)


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
    if len(left) == 1:  # vector @ matrix
        if i == 0:
            return op("@", n, g), "for P = M @ N with a vector M, dM = N @ dP"
        return call("outer", m, g), "for P = M @ N with a vector M, dN = np.outer(M, dP)"
    if i == 0:  # matrix @ vector
        return call("outer", g, n), "for P = M @ N with a vector N, dM = np.outer(dP, N)"
    return op("@", tr(m), g), "for P = M @ N with a vector N, dN = M.T @ dP"


def _neg(site, i, ops, g):
    return neg(g), "for P = -M, dM = -dP"


def _transpose(site, i, ops, g):
    return tr(g), "for a transpose P = M.T, dM = dP.T"


def _derivative(site, i, ops, g):
    raise Underivable(f"{site.node.func}'(...) in the model would need a second derivative")


def _index(site, i, ops, g):
    return None, "a shape is a constant"


_ACTIVATION_WORDS = "for an element-wise function P = {f}(M), dM = dP * {f}'(M)"


def _call(site: Site, i: int, ops, g) -> tuple[s.Node | None, str]:
    node: s.Call = site.node
    func = node.func
    resolved = site.functions.get(func, func)
    x = ops[0] if ops else None
    if func not in KNOWN or resolved in ("tanh", "sigmoid", "relu", "abs"):
        if resolved == "identity":
            return g, "the identity passes the gradient on"
        if resolved == "softmax":
            return _softmax(site, x, g)
        return op("*", g, derivative(func, x)), _ACTIVATION_WORDS.format(f=func)
    if func == "softplus":
        return op("*", g, call("sigmoid", x)), "for P = softplus(M), dM = dP * sigmoid(M)"
    if func == "exp":
        return op("*", g, site.own), "for P = np.exp(M), dM = dP * P"
    if func == "log":
        if _log_det(node):
            return (op("*", g, tr(call("linalg.inv", x))),
                    "for P = np.log(np.linalg.det(M)), dM = dP * np.linalg.inv(M).T")
        return op("/", g, x), "for P = np.log(M), dM = dP / M"
    if func == "log1p":
        return op("/", g, op("+", num(1), x)), "for P = np.log1p(M), dM = dP / (1 + M)"
    if func == "sqrt":
        return op("/", g, op("*", num(2), site.own)), "for P = np.sqrt(M), dM = dP / (2 * P)"
    if func in ("sum", "mean"):
        return _reduction(site, x, g)
    if func == "softmax":
        return _softmax(site, x, g)
    if func == "trace":
        size = site.operand_shapes[0][0]
        eye = call("eye", name(size) if isinstance(size, str) else num(size))
        return op("*", g, eye), "for P = np.trace(M), dM = dP * np.eye(n), n the side of M"
    if func == "linalg.inv":
        own_t = tr(site.own)
        return (neg(op("@", op("@", own_t, g), own_t)),
                "for P = np.linalg.inv(M), dM = -P.T @ dP @ P.T")
    if func == "linalg.det":
        return (op("*", op("*", g, site.own), tr(call("linalg.inv", x))),
                "for P = np.linalg.det(M), dM = dP * P * np.linalg.inv(M).T")
    if func == "linalg.norm" and _axis(node) is None and len(node.kwargs) == 0:
        return op("/", op("*", g, x), site.own), "for P = np.linalg.norm(M), dM = dP * M / P"
    if func in ("maximum", "minimum"):
        other = ops[1 - i]
        compare = ">" if func == "maximum" else "<"
        return (op("*", g, op(compare, ops[i], other)),
                f"for P = np.{func}(M, N), dM = dP where M is the {'larger' if func == 'maximum' else 'smaller'}, else 0")
    if func == "where":
        if i == 0:
            return None, "a condition is piecewise constant: its gradient is 0"
        args = (ops[0], g, num(0)) if i == 1 else (ops[0], num(0), g)
        return call("where", *args), "for P = np.where(C, M, N), dM = dP where C holds, dN elsewhere"
    if func == "outer" and all(len(sh) == 1 for sh in site.operand_shapes):
        if i == 0:
            return op("@", g, ops[1]), "for P = np.outer(M, N), dM = dP @ N"
        return op("@", tr(g), ops[0]), "for P = np.outer(M, N), dN = dP.T @ M"
    if func in ("ones_like", "zeros_like", "eye"):
        return None, "a constant array: its gradient is 0"
    raise Underivable(f"np.{func} has no rule of the chain rule here")


def _reduction(site: Site, x: s.Node, g: s.Node) -> tuple[s.Node, str]:
    """A total or a mean spreads its gradient over the entries it reduced."""
    node: s.Call = site.node
    shape = site.operand_shapes[0]
    axes = _axes(node, max(len(shape), 1))
    reduced = range(len(shape)) if axes is None else axes
    count = None
    for axis in reduced:
        dim = shape[axis]
        factor = name(dim) if isinstance(dim, str) else num(dim)
        count = factor if count is None else op("*", count, factor)
    what = "total" if axes is None else f"sum over axis {', '.join(map(str, axes))}"
    spread = g
    if axes is not None and not _keepdims(node) and len(shape) >= 2:
        last = [a for a in axes if a != 0]
        if len(shape) != 2 or last != [1] or len(axes) != 1:
            if last:
                raise Underivable("a sum without keepdims over an inner axis of an array with "
                                  "more than two axes has no rule here")
        else:
            # (n,) from an (n, m) sum over axis 1: spread along the columns, as a transpose
            spread = tr(op("*", g, call("ones_like", tr(x))))
    if node.func == "mean" and count is not None:
        return (op("/", spread, count),
                f"for a mean P = np.mean(M{'' if axes is None else ', axis=...'}), every entry it "
                "averaged gets dP divided by their number")
    return spread, f"for a {what} P = np.sum(M{'' if axes is None else ', axis=...'}), every entry it added gets dP"


def _softmax(site: Site, x: s.Node, g: s.Node) -> tuple[s.Node, str]:
    node: s.Call = site.node
    axis = _axis(node)
    k = constant_int(axis) if axis is not None else site.class_axis
    p = site.own
    total = call("sum", op("*", g, p), axis=num(k), keepdims=name("True"))
    return (op("*", p, op("-", g, total)),
            f"for P = softmax(M, axis={k}), dM = P * (dP - np.sum(dP * P, axis={k}, keepdims=True))")


_RULES = {"BinOp": _binop, "Neg": _neg, "Transpose": _transpose, "Call": _call,
          "Derivative": _derivative, "Index": _index}
