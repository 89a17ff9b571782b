"""One record per known function: every stage asks these, none keeps its own list.

A record (`record.Function`) says how the function is spelled (numpy, slide, LaTeX), which
keywords it reads, its shape rule, its numpy value, its derivative and local chain rule,
its domain and kinks, and its LaTeX. The element-wise functions, softmax and the piecewise
ones are here; the other families in their modules (reductions, linalg, constructors,
reshaping, einsum),
assembled below in `FUNCTIONS`. Adding a function is adding a record (and its tests).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import syntax as s
from .constructors import CONSTRUCTORS
from .einsum import EINSUM
from .linalg import LINALG
from .record import Function, call, register
from .reshaping import RESHAPING
from .slicing import SLICING
from .reductions import REDUCTIONS, arguments, kept_written, with_axis
from .rules import (bounded_chain, broadcasting, choice_value, derivative, extreme_chain, first,
                    normalising, num, op, pass_chain, sloped_line, stacked_axis, tr)


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
    e = np.exp(a - np.expand_dims(a.max(axis=axis), axis))  # shifted: no overflow
    return e / np.expand_dims(e.sum(axis=axis), axis)


def _softmax_value(at, node, args):
    axis = arguments(node).axis
    axis = at.class_axis + 1 if axis is None else stacked_axis(axis[0])
    # a vector (np.sum(A, axis=0) in layout rows) has no class axis: its only one; a
    # scalar's softmax is 1 (its stack axis holds perturbations, not classes)
    if args[0].ndim <= 1:
        return np.ones_like(args[0])
    return softmax(args[0], min(axis, args[0].ndim - 1))


# -- local chain rules: (site, operand index, operands, the node's gradient g)


def elementwise_chain(site, i, ops, g):
    f = site.node.func
    return (op("*", g, derivative(f, ops[0])),
            f"for an element-wise function P = {f}(M), dM = dP * {f}'(M)")


def _softmax_chain(site, i, ops, g):
    k = arguments(site.node).one_axis(site.class_axis)
    p = site.own
    total = with_axis(call("sum", op("*", g, p)), num(k), True)
    return (op("*", p, op("-", g, total)),
            f"for P = softmax(M, axis={k}), "
            f"dM = P * (dP - np.sum(dP * P, axis={k}, {kept_written(True)}))")


def _log_det(node: s.Call) -> bool:
    return len(node.args) == 1 and isinstance(node.args[0], s.Call) \
        and node.args[0].func == "linalg.det"


def _log_chain(site, i, ops, g):
    if _log_det(site.node):
        return (op("*", g, tr(call("linalg.inv", ops[0]))),
                "for P = np.log(np.linalg.det(M)), dM = dP * np.linalg.inv(M).T")
    return op("/", g, ops[0]), "for P = np.log(M), dM = dP / M"


def _where_chain(site, i, ops, g):
    if i == 0:
        return None, "a condition is piecewise constant: its gradient is 0"
    args = (ops[0], g, num(0)) if i == 1 else (ops[0], num(0), g)
    return call("where", *args), "for P = np.where(C, M, N), dM = dP where C holds, dN elsewhere"


LEAKY_SLOPE = 0.01  # leaky_relu's slope for negative inputs, unless a second argument gives one


def _leaky_sloped(node, args, derivative=False):
    """`leaky_relu(Z, a)` is `np.where(Z > 0, Z, a * Z)`; `leaky_relu'(Z, a)` is its slope."""
    z, slope = args
    chosen = (num(1), slope) if derivative else (z, s.BinOp("*", slope, z, node.span, node.span))
    return replace(call("where", s.BinOp(">", z, num(0), z.span, z.span), *chosen),
                   span=node.span, func_span=node.func_span)


_ELEMENTWISE: tuple[Function, ...] = (
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
)

_PIECEWISE: tuple[Function, ...] = (
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
)

FUNCTIONS: tuple[Function, ...] = (_ELEMENTWISE + REDUCTIONS + LINALG + _PIECEWISE + CONSTRUCTORS
                                   + RESHAPING + SLICING + (EINSUM,))
register(FUNCTIONS)

# numpy functions that are operators in disguise, read as the operator: (operator, arity)
OPERATORS = {"dot": ("@", 2), "matmul": ("@", 2), "multiply": ("*", 2), "divide": ("/", 2),
             "true_divide": ("/", 2), "add": ("+", 2), "subtract": ("-", 2),
             "power": ("**", 2), "square": ("**2", 1), "transpose": (".T", 1)}
# of those, the ones an array also has as a method
OPERATOR_METHODS = ("dot", "transpose")
