"""Linear algebra: np.trace, np.outer, np.linalg.inv, np.linalg.det, np.linalg.norm, np.diag,
np.diagflat."""
from __future__ import annotations

import numpy as np

from .record import Function, call
from .reductions import REDUCING, _reduce, _reduction, arguments
from .rules import (ShapeCall, Shape, dyad_value, first, name, neg, num, op, show, square, tr,
                    vectors, whole)


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


def _norm_value(at, node, args):
    return np.sqrt(_reduce(at, np.sum, arguments(node), args[0] * args[0]))


def _norm_shape(c: ShapeCall) -> Shape:
    """The Frobenius (2-)norm, over `axis` like a sum; other norms (`ord`) are not read."""
    if c.arguments().ord is not None:
        c.refuse("np.linalg.norm is read as the 2-norm (Frobenius for a matrix); "
                 "ord= is not supported", c.node.span)
    return _reduction(c)


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


def _outer_chain(site, i, ops, g):
    if not all(len(sh) == 1 for sh in site.operand_shapes):
        return None
    if i == 0:
        return op("@", g, ops[1]), "for P = np.outer(M, N), dM = dP @ N"
    return op("@", tr(g), ops[0]), "for P = np.outer(M, N), dN = dP.T @ M"


def _diag_shape(c: ShapeCall) -> Shape:
    c.arity()
    shape, arg = c.shapes[0], c.node.args[0]
    if len(shape) == 1:
        return (shape[0], shape[0])
    if len(shape) == 2 and shape[0] == shape[1]:
        return (shape[0],)
    if len(shape) == 2 and 1 in shape and not c.node.namespaced:
        c.refuse(f"diag({c.text(arg)}) of the {show(shape)} vector {c.text(arg)} reads two "
                 f"ways: the diagonal matrix (np.diagflat({c.text(arg)})) or numpy's "
                 f"np.diag({c.text(arg)}), its one diagonal entry; write the one meant",
                 c.node.span)
    if len(shape) == 2 and all(isinstance(d, int) or d == 1 for d in shape):
        return (1 if 1 in shape else min(shape),)
    if len(shape) == 2 and 1 in shape:
        return (1,)
    c.fail(f"np.diag reads a vector or a square matrix, but {c.text(arg)} is {show(shape)}",
           c.node.func_span, arg)


def _diag_value(at, node, args):
    a = args[0]
    if a.ndim == 2:
        at.limit((a.shape[0], a.shape[1], a.shape[1]))
        return a[:, :, None] * np.eye(a.shape[1])
    return np.diagonal(a, axis1=1, axis2=2).copy()


def _diag_chain(site, i, ops, g):
    shape = site.operand_shapes[0]
    if len(shape) == 2 and shape[0] != shape[1]:
        return None
    return call("diag", whole(site, g)), "for P = np.diag(M), dM = np.diag(dP)"


def _diagflat_shape(c: ShapeCall) -> Shape:
    c.arity()
    shape, arg = c.shapes[0], c.node.args[0]
    long = [d for d in shape if d != 1]
    if len(long) > 1 and not all(isinstance(d, int) for d in long):
        c.refuse(f"np.diagflat({c.text(arg)}) has as many rows as {c.text(arg)} {show(shape)} "
                 "has entries, a product of sizes shapecheck cannot name", c.node.span)
    size = int(np.prod(long)) if len(long) > 1 else (long[0] if long else 1)
    return (size, size)


def _diagflat_value(at, node, args):
    flat = args[0].reshape(args[0].shape[0], -1)
    at.limit((flat.shape[0], flat.shape[1], flat.shape[1]))
    return flat[:, :, None] * np.eye(flat.shape[1])


def _diagflat_chain(site, i, ops, g):
    return (call("reshape", call("diag", whole(site, g)), call("shape", ops[0])),
            "for P = np.diagflat(M), dM = np.diag(dP).reshape(M.shape)")


LINALG: tuple[Function, ...] = (
    Function("trace", shape=square(True), chain=_trace_chain, linear=True,
             stacked=lambda at, node, args: np.trace(args[0], axis1=-2, axis2=-1),
             latex="\\operatorname{tr}", scalar=True,
             # the Matrix Cookbook's Tr(AXB), as \operatorname, \text or \mathrm writes it
             commands=("\\operatorname{tr}", "\\operatorname{Tr}", "\\operatorname{trace}")),
    Function("outer", arity=(2, 2), dyad=True, shape=vectors, stacked=dyad_value,
             chain=_outer_chain,
             latex="\\operatorname{outer}"),  # a b^T would read as a @ b.T
    Function("linalg.inv", aliases=("inv",), superscript=-1, shape=square(False),
             stacked=_inverse, chain=_inv_chain, invertible=True, edge="singular",
             latex=lambda r, node: f"{r.atom(node.args[0])}^{{-1}}",
             latex_transposed=lambda r, node: f"{r.atom(node.args[0])}^{{-T}}"),
    Function("linalg.det", aliases=("det",), shape=square(True),
             stacked=lambda at, node, args: np.linalg.det(args[0]), chain=_det_chain,
             invertible=True, latex="\\det", commands=("\\det", "\\operatorname{det}"),
             scalar=True),
    Function("linalg.norm", aliases=("norm",), arity=(1, 2),
             keywords=REDUCING | {"ord"}, shape=_norm_shape,
             stacked=_norm_value,
             chain=_norm_chain, operands=first,
             latex="\\operatorname{norm}"),  # \\|A\\| is not read
    Function("diag", shape=_diag_shape, stacked=_diag_value, chain=_diag_chain, linear=True,
             latex="\\operatorname{diag}", commands=("\\operatorname{diag}",)),
    Function("diagflat", shape=_diagflat_shape, stacked=_diagflat_value, chain=_diagflat_chain,
             linear=True, latex="\\operatorname{diagflat}"),
)
