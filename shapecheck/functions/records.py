"""One record per known function: every stage asks these, none keeps its own list.

A record says how the function is spelled (numpy, slide, LaTeX), which keywords it reads,
its shape rule, its numpy value, its derivative and local chain rule, its domain and
kinks, and its LaTeX. Adding a function is adding a record here (and its tests).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from .. import syntax as s
from .rules import (NOWHERE, Shape, ShapeCall, Underivable, bounded_chain, broadcasting,
                    choice_value, constant_chain, constant_int, derivative, dyad_value,
                    extreme_chain, eye_value, first, name, neg, normalising, num, op, pass_chain,
                    same, sized, sloped_line, square, stacked_axis, tr, vectors)


@dataclass(frozen=True)
class Function:
    name: str                           # as the stages write it: 'linalg.inv', 'sigmoid'
    aliases: tuple[str, ...] = ()       # numpy's other spellings: 'absolute', 'inv'
    numpy: bool = True                  # printed np.NAME (sigmoid, relu: bare)
    elementwise: bool = False
    arity: tuple[int, int] = (1, 1)
    keywords: frozenset[str] = frozenset()
    shape: Callable[[ShapeCall], Shape] | None = None  # None: element-wise, one argument
    value: Callable | None = None       # element-wise numpy value
    stacked: Callable | None = None     # (at, node, args) → value, on stacked arrays
    derivative: Callable | None = None  # element-wise numpy derivative
    chain: Callable | None = None       # (site, i, ops, g) → (gradient | None, words) | None
    bound_chain: Callable | None = None  # the rule through a model's name (g2 = this)
    operands: Callable | None = None    # node → the operands a gradient flows into
    positive: bool = False              # its argument is drawn > 0
    invertible: bool = False            # its argument is drawn identity-like, det > 0
    edge: str | None = None             # 'zero', 'minus one', 'singular': draws keep away
    kinked: bool = False                # switches somewhere: draws keep away from it
    latex: str | Callable | None = None  # a head (`\\tanh`) or (renderer, node) → text
    latex_transposed: Callable | None = None
    commands: tuple[str, ...] = ()      # LaTeX commands read as this function
    slide: bool = False                 # `\\operatorname{ReLU}`, `Relu(z)`: any case
    linear: bool = False                # f(c * x) = c * f(x)
    total: str | None = None            # 'sum' or 'mean' of the entries it reduces
    method: bool = False                # also an array method, A.sum()
    creates: bool = False               # an array from a size alone, np.eye(n)
    activation: bool = False            # may be named as a layer's activation
    open_choice: bool = False           # an open activation is checked as each of these
    cross_entropy: str | None = None    # 'binary'/'categorical': pairs with that cost
    normalises: bool = False            # its output sums to one along an axis
    superscript: float | None = None    # slides write it as this power: A^{-1}
    dyad: bool = False                  # the matrix u v^T of two vectors
    unit: str | None = None             # the operator it is the unit of: eye for @
    # (call, args, derivative) → what a call with a second argument means, of the function
    # or its derivative: `leaky_relu(Z, a)` is `np.where(Z > 0, Z, a * Z)`
    sloped: Callable | None = None


# -- the one argument reader
_KEEP = "keepdims"  # the keyword that keeps a reduced axis as a 1


def keyword(node: s.Call, key: str) -> s.Node | None:
    return next((k.value for k in node.kwargs if k.name == key), None)


@dataclass(frozen=True)
class Arguments:
    """How a call's `axis` (keyword or second argument), `keepdims` and `ord` read."""
    axis_node: s.Node | None            # as written; None when absent or `None`
    keepdims: bool
    ord: s.Node | None

    @property
    def axis_items(self) -> tuple[s.Node, ...] | None:
        value = self.axis_node
        if value is None:
            return None
        return value.items if isinstance(value, s.Tuple) else (value,)

    @property
    def axis(self) -> tuple[int | None, ...] | None:
        """The axes as written (negative ones too); an item that is no whole number is None."""
        items = self.axis_items
        return None if items is None else tuple(constant_int(i) for i in items)

    def axes(self, ndim: int) -> tuple[int, ...] | None:
        """The axes counted from 0 in an array of `ndim` dimensions; None for all."""
        return None if self.axis is None else tuple(a % ndim for a in self.axis)

    def kept_along(self, axis: int) -> bool:
        """Whether this reduces the one axis `axis` and keeps it (the sum over examples)."""
        return self.keepdims and self.axis == (axis,)

    def one_axis(self, default: int) -> int:
        """The one axis a softmax normalises along; `default` (the class axis) unwritten."""
        axis = self.axis
        return default if axis is None or axis[0] is None else axis[0]


def arguments(node: s.Call) -> Arguments:
    """`arguments(np.sum(A, axis=0, keepdims=True))` → axis 0, keepdims True."""
    axis = keyword(node, "axis")
    if axis is None and len(node.args) > 1:
        axis = node.args[1]
    if isinstance(axis, s.Name) and axis.id == "None":
        axis = None
    keep = keyword(node, _KEEP)
    keepdims = isinstance(keep, s.Name) and keep.id == "True" or (
        isinstance(keep, s.Number) and keep.value != 0)
    return Arguments(axis, keepdims, keyword(node, "ord"))


def kept_axis(node: s.Call) -> s.Keyword | None:
    """The keyword of a reduction that keeps its axis, as written (advice edits its text)."""
    return next((k for k in node.kwargs if k.name == _KEEP), None)


def kept_written(value: bool | str) -> str:
    """How the keyword that keeps a reduced axis is written: `keepdims=True`."""
    return f"{_KEEP}={value}"


def with_axis(node: s.Call, axis: s.Node, keepdims: bool) -> s.Call:
    """`np.sum(A)` → `np.sum(A, axis=1, keepdims=True)`: the reduction over `axis`, its
    other keywords kept after these (for advice and derivations that write one)."""
    others = tuple(k for k in node.kwargs if k.name not in ("axis", _KEEP))
    written = (s.Keyword("axis", axis, node.span),)
    if keepdims:
        written += (s.Keyword(_KEEP, s.Name("True", node.span), node.span),)
    return replace(node, args=node.args[:1], kwargs=written + others)


def call(func: str, *args: s.Node, **kwargs: s.Node) -> s.Call:
    """A call as shapecheck writes one: `np.` before numpy's functions."""
    keywords = tuple(s.Keyword(k, v, NOWHERE) for k, v in kwargs.items())
    record = _BY_NAME.get(func)
    return s.Call(func, args, keywords, NOWHERE, NOWHERE,
                  namespaced=record is not None and record.numpy)


# -- numerically careful values
def sigmoid(x):
    out = np.multiply(x, 0.5)  # through tanh: no overflow for large |x|; in place: one array
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _sigmoid_derivative(x):
    value = sigmoid(x)
    return value * (1.0 - value)


def softplus(x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, and three times faster than
    # np.logaddexp(0, x)
    out = np.abs(x)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(x, 0.0)
    return out


def softmax(a: np.ndarray, axis: int) -> np.ndarray:
    shifted = a - a.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_value(at, node, args):
    axis = arguments(node).axis
    axis = at.class_axis + 1 if axis is None else stacked_axis(axis[0])
    # a vector (np.sum(A, axis=0) in layout rows) has no class axis: its only one; a
    # scalar's softmax is 1 (its stack axis holds perturbations, not classes)
    if args[0].ndim <= 1:
        return np.ones_like(args[0])
    return softmax(args[0], min(axis, args[0].ndim - 1))


def _inverse(at, node, args):
    try:
        return np.linalg.inv(args[0])
    except np.linalg.LinAlgError:  # singular: no value, as 1/0 has none (a nan, not a raise)
        return np.stack([_inverse_or_nan(a) for a in args[0]])


def _inverse_or_nan(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.full_like(a, np.nan)


def _reduce(at, reducer, read: Arguments, a: np.ndarray) -> np.ndarray:
    """`reducer` (np.sum, np.mean, ...) of stacked `a` over the axes `read` names."""
    if read.axis is None and at.per_example_axis is not None and a.ndim > 1:
        # the cost as per-example losses: reduce every axis but the examples'
        axes = tuple(i for i in range(1, a.ndim) if i != at.per_example_axis + 1)
        result = np.sum(a, axis=axes)
        return result / a[0].size if reducer is np.mean else result
    axes = tuple(range(1, a.ndim)) if read.axis is None else tuple(map(stacked_axis, read.axis))
    return reducer(a, axis=axes, keepdims=read.keepdims)


def _norm_value(at, node, args):
    return np.sqrt(_reduce(at, np.sum, arguments(node), args[0] * args[0]))


def _reducing(reducer):
    return lambda at, node, args: _reduce(at, reducer, arguments(node), args[0])


# -- shape rules
def _reduction(c: ShapeCall) -> Shape:
    c.arity()
    shape = c.shapes[0]
    axes = c.axes(shape)
    keep = c.arguments().keepdims
    if axes is None:
        return tuple(1 for _ in shape) if keep else ()
    return tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes)


def _norm_shape(c: ShapeCall) -> Shape:
    """The Frobenius (2-)norm, over `axis` like a sum; other norms (`ord`) are not read."""
    if c.arguments().ord is not None:
        c.refuse("np.linalg.norm is read as the 2-norm (Frobenius for a matrix); "
                 "ord= is not supported", c.node.span)
    return _reduction(c)


# -- local chain rules: (site, operand index, operands, the node's gradient g)
def elementwise_chain(site, i, ops, g):
    f = site.node.func
    return (op("*", g, derivative(f, ops[0])),
            f"for an element-wise function P = {f}(M), dM = dP * {f}'(M)")


def _softmax_chain(site, i, ops, g):
    k = arguments(site.node).one_axis(site.class_axis)
    p = site.own
    total = call("sum", op("*", g, p), axis=num(k), keepdims=name("True"))
    return (op("*", p, op("-", g, total)),
            f"for P = softmax(M, axis={k}), "
            f"dM = P * (dP - np.sum(dP * P, axis={k}, keepdims=True))")


def _log_det(node: s.Call) -> bool:
    return len(node.args) == 1 and isinstance(node.args[0], s.Call) \
        and node.args[0].func == "linalg.det"


def _log_chain(site, i, ops, g):
    if _log_det(site.node):
        return (op("*", g, tr(call("linalg.inv", ops[0]))),
                "for P = np.log(np.linalg.det(M)), dM = dP * np.linalg.inv(M).T")
    return op("/", g, ops[0]), "for P = np.log(M), dM = dP / M"


def _total_chain(site, i, ops, g):
    """A total or a mean spreads its gradient over the entries it reduced."""
    node, x, shape = site.node, ops[0], site.operand_shapes[0]
    read = arguments(node)
    axes = read.axes(max(len(shape), 1))
    count = None
    for axis in range(len(shape)) if axes is None else axes:
        factor = name(shape[axis]) if isinstance(shape[axis], str) else num(shape[axis])
        count = factor if count is None else op("*", count, factor)
    what = "total" if axes is None else f"sum over axis {', '.join(map(str, axes))}"
    spread = g
    if axes is not None and not read.keepdims and len(shape) >= 2:
        last = [a for a in axes if a != 0]
        if len(shape) != 2 or last != [1] or len(axes) != 1:
            if last:
                raise Underivable("a sum without keepdims over an inner axis of an array with "
                                  "more than two axes has no rule here")
        else:
            # (n,) from an (n, m) sum over axis 1: spread along the columns, as a transpose
            spread = tr(op("*", g, call("ones_like", tr(x))))
    written = '' if axes is None else ', axis=...'
    if _BY_NAME[node.func].total == "mean" and count is not None:
        return (op("/", spread, count), f"for a mean P = np.mean(M{written}), every entry it "
                "averaged gets dP divided by their number")
    return spread, f"for a {what} P = np.sum(M{written}), every entry it added gets dP"


def _trace_chain(site, i, ops, g):
    size = site.operand_shapes[0][0]
    eye = call("eye", name(size) if isinstance(size, str) else num(size))
    return op("*", g, eye), "for P = np.trace(M), dM = dP * np.eye(n), n the side of M"


def _inv_chain(site, i, ops, g):
    own_t = tr(site.own)
    return neg(op("@", op("@", own_t, g), own_t)), "for P = np.linalg.inv(M), dM = -P.T @ dP @ P.T"


def _det_chain(site, i, ops, g):
    return (op("*", op("*", g, site.own), tr(call("linalg.inv", ops[0]))),
            "for P = np.linalg.det(M), dM = dP * P * np.linalg.inv(M).T")


def _norm_chain(site, i, ops, g):
    if arguments(site.node).axis_node is not None or site.node.kwargs:
        return None
    return op("/", op("*", g, ops[0]), site.own), "for P = np.linalg.norm(M), dM = dP * M / P"


def _where_chain(site, i, ops, g):
    if i == 0:
        return None, "a condition is piecewise constant: its gradient is 0"
    args = (ops[0], g, num(0)) if i == 1 else (ops[0], num(0), g)
    return call("where", *args), "for P = np.where(C, M, N), dM = dP where C holds, dN elsewhere"


def _outer_chain(site, i, ops, g):
    if not all(len(sh) == 1 for sh in site.operand_shapes):
        return None
    if i == 0:
        return op("@", g, ops[1]), "for P = np.outer(M, N), dM = dP @ N"
    return op("@", tr(g), ops[0]), "for P = np.outer(M, N), dN = dP.T @ M"


LEAKY_SLOPE = 0.01  # leaky_relu's slope for negative inputs, unless a second argument gives one


def _leaky_sloped(node, args, derivative=False):
    """`leaky_relu(Z, a)` is `np.where(Z > 0, Z, a * Z)`; `leaky_relu'(Z, a)` is its slope."""
    z, slope = args
    chosen = (num(1), slope) if derivative else (z, s.BinOp("*", slope, z, node.span, node.span))
    return replace(call("where", s.BinOp(">", z, num(0), z.span, z.span), *chosen),
                   span=node.span, func_span=node.func_span)


_TOTAL = dict(arity=(1, 2), keywords=frozenset({"axis", "keepdims"}), shape=_reduction,
              chain=_total_chain, operands=first, linear=True, method=True)
_EXTREME = dict(arity=(1, 2), keywords=frozenset({"axis", "keepdims"}), shape=_reduction,
                operands=first, method=True)

FUNCTIONS: tuple[Function, ...] = (
    Function("tanh", elementwise=True, value=np.tanh, derivative=lambda x: 1.0 - np.tanh(x) ** 2,
             chain=elementwise_chain, latex="\\tanh", commands=("\\tanh",), slide=True,
             activation=True, open_choice=True),
    Function("sigmoid", numpy=False, elementwise=True, value=sigmoid,
             derivative=_sigmoid_derivative, chain=elementwise_chain, latex="\\sigma",
             commands=("\\sigma", "σ"), slide=True, activation=True, open_choice=True,
             cross_entropy="binary"),
    Function("relu", numpy=False, elementwise=True, value=lambda x: np.maximum(x, 0.0),
             derivative=lambda x: (x > 0).astype(float), chain=elementwise_chain, kinked=True,
             latex="\\operatorname{relu}", slide=True, activation=True),
    Function("leaky_relu", aliases=("leakyrelu",), numpy=False, elementwise=True, slide=True,
             **sloped_line(LEAKY_SLOPE), chain=elementwise_chain, kinked=True,
             latex="\\operatorname{LeakyReLU}", sloped=_leaky_sloped),
    Function("softplus", numpy=False, elementwise=True, value=softplus, derivative=sigmoid,
             chain=lambda site, i, ops, g: (op("*", g, call("sigmoid", ops[0])),
                                            "for P = softplus(M), dM = dP * sigmoid(M)"),
             latex="\\operatorname{softplus}", slide=True, activation=True, open_choice=True),
    Function("identity", numpy=False, elementwise=True, value=lambda x: x,
             derivative=np.ones_like, bound_chain=pass_chain, activation=True),
    Function("softmax", numpy=False, arity=(1, 2), keywords=frozenset({"axis"}),
             shape=normalising, stacked=_softmax_value, chain=_softmax_chain,
             bound_chain=_softmax_chain, operands=first, latex="\\operatorname{softmax}",
             slide=True, activation=True, cross_entropy="categorical", normalises=True),
    Function("exp", elementwise=True, value=np.exp, derivative=np.exp,
             chain=lambda site, i, ops, g: (op("*", g, site.own), "for P = np.exp(M), dM = dP * P"),
             latex="\\exp", commands=("\\exp",), slide=True),
    Function("expm1", elementwise=True, value=np.expm1, derivative=np.exp,
             chain=lambda site, i, ops, g: (op("*", g, op("+", site.own, num(1))),
                                            "for P = np.expm1(M), dM = dP * (P + 1)"),
             latex="\\operatorname{expm1}"),
    Function("log", elementwise=True, value=np.log, derivative=lambda x: 1.0 / x, chain=_log_chain,
             operands=lambda node: node.args[0].args if _log_det(node) else node.args,
             positive=True, edge="zero", latex="\\log", commands=("\\log", "\\ln"), slide=True),
    Function("log1p", elementwise=True, value=np.log1p, derivative=lambda x: 1.0 / (1.0 + x),
             chain=lambda site, i, ops, g: (op("/", g, op("+", num(1), ops[0])),
                                            "for P = np.log1p(M), dM = dP / (1 + M)"),
             positive=True, edge="minus one", latex="\\operatorname{log1p}"),
    Function("sqrt", elementwise=True, value=np.sqrt, derivative=lambda x: 0.5 / np.sqrt(x),
             chain=lambda site, i, ops, g: (op("/", g, op("*", num(2), site.own)),
                                            "for P = np.sqrt(M), dM = dP / (2 * P)"),
             positive=True, edge="zero", latex=lambda r, node: f"\\sqrt{{{r(node.args[0])}}}",
             commands=("\\sqrt",), slide=True),
    Function("cbrt", elementwise=True, value=np.cbrt,
             derivative=lambda x: 1.0 / (3.0 * np.cbrt(x) ** 2),
             chain=lambda site, i, ops, g: (op("/", g, op("*", num(3), op("**", site.own, num(2)))),
                                            "for P = np.cbrt(M), dM = dP / (3 * P ** 2)"),
             edge="zero", latex="\\operatorname{cbrt}"),
    Function("abs", aliases=("absolute",), elementwise=True, value=np.abs, derivative=np.sign,
             chain=elementwise_chain, kinked=True, latex="\\operatorname{abs}"),
    Function("sum", stacked=_reducing(np.sum), total="sum", commands=("\\sum", "∑"),
             latex=lambda r, node: r.reduction("\\sum", node), **_TOTAL),
    Function("mean", stacked=_reducing(np.mean), total="mean",
             latex=lambda r, node: r.reduction("\\operatorname{mean}", node), **_TOTAL),
    Function("max", aliases=("amax",), stacked=_reducing(np.max), **_EXTREME),
    Function("min", aliases=("amin",), stacked=_reducing(np.min), **_EXTREME),
    Function("trace", shape=square(True), chain=_trace_chain, linear=True,
             stacked=lambda at, node, args: np.trace(args[0], axis1=-2, axis2=-1),
             latex="\\operatorname{tr}"),
    Function("outer", arity=(2, 2), dyad=True, shape=vectors, stacked=dyad_value,
             chain=_outer_chain, latex="\\operatorname{outer}"),  # a b^T would read as a @ b.T
    Function("linalg.inv", aliases=("inv",), superscript=-1, shape=square(False),
             stacked=_inverse, chain=_inv_chain, invertible=True, edge="singular",
             latex=lambda r, node: f"{r.atom(node.args[0])}^{{-1}}",
             latex_transposed=lambda r, node: f"{r.atom(node.args[0])}^{{-T}}"),
    Function("linalg.det", aliases=("det",), shape=square(True),
             stacked=lambda at, node, args: np.linalg.det(args[0]), chain=_det_chain,
             invertible=True, latex="\\det"),
    Function("linalg.norm", aliases=("norm",), arity=(1, 2),
             keywords=frozenset({"axis", "keepdims", "ord"}), shape=_norm_shape,
             stacked=_norm_value,
             chain=_norm_chain, operands=first,
             latex="\\operatorname{norm}"),  # \\|A\\| is not read
    Function("maximum", arity=(2, 2), shape=broadcasting, chain=extreme_chain(">", "larger"),
             stacked=lambda at, node, args: np.maximum(*at.broadcastable(*args)), kinked=True,
             latex="\\max", commands=("\\max",)),
    Function("minimum", arity=(2, 2), shape=broadcasting, chain=extreme_chain("<", "smaller"),
             stacked=lambda at, node, args: np.minimum(*at.broadcastable(*args)), kinked=True,
             latex="\\min", commands=("\\min",)),
    Function("clip", arity=(3, 3), shape=broadcasting, chain=bounded_chain, kinked=True,
             stacked=lambda at, node, args: np.clip(*at.broadcastable(*args)),
             latex="\\operatorname{clip}"),
    Function("where", arity=(3, 3), shape=broadcasting, stacked=choice_value,
             chain=_where_chain, latex="\\operatorname{where}"),
    Function("ones_like", unit="*", shape=same,
             stacked=lambda at, node, args: np.ones_like(args[0]),
             chain=constant_chain, latex="\\operatorname{ones\\_like}"),
    Function("zeros_like", shape=same, stacked=lambda at, node, args: np.zeros_like(args[0]),
             chain=constant_chain, latex="\\operatorname{zeros\\_like}"),
    Function("eye", unit="@", shape=sized, stacked=eye_value, chain=constant_chain, creates=True,
             latex=lambda r, node: f"I_{{{r(node.args[0])}}}"),
)

_BY_NAME = {f.name: f for f in FUNCTIONS}

# numpy functions that are operators in disguise, read as the operator: (operator, arity)
OPERATORS = {"dot": ("@", 2), "matmul": ("@", 2), "multiply": ("*", 2), "divide": ("/", 2),
             "true_divide": ("/", 2), "add": ("+", 2), "subtract": ("-", 2),
             "power": ("**", 2), "square": ("**2", 1), "transpose": (".T", 1)}
# of those, the ones an array also has as a method
OPERATOR_METHODS = ("dot", "transpose")
