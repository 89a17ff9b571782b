"""An array's layout and type: `x.shape` (numpy's np.shape), np.reshape / `x.reshape(...)`
with sizes, `-1` or `x.shape`, and `.astype(...)`, read as numpy reads them."""
from __future__ import annotations

from collections import Counter
from math import prod

import numpy as np

from .. import syntax as s
from .record import Function, call
from .rules import (Dim, Shape, ShapeCall, constant_chain, constant_int, first, size_value,
                    show, sizes_value, whole)

_COMPARE = (">", "<", ">=", "<=", "==", "!=")
_MAX_SIZES = 32  # the most sizes a reshape reads


def _factors(dims) -> tuple[int, Counter]:
    """A shape's number of entries as (the product of its numbers, its size names)."""
    return prod(d for d in dims if isinstance(d, int)), Counter(d for d in dims
                                                                 if isinstance(d, str))


def _reshape_shape(c: ShapeCall) -> Shape:
    c.arity()
    c.arguments()
    node, source = c.node, c.shapes[0]
    written = node.args[1:]
    dims = c.sizes_of(written[0], free=True) if len(written) == 1 else tuple(
        None if constant_int(a) == -1 else c.size(a) for a in written)
    into = f"({', '.join('-1' if d is None else str(d) for d in dims)})"
    if list(dims).count(None) > 1:
        c.refuse("a reshape may leave only one size to numpy (-1)", node.span)
    (total, names), (known, known_names) = _factors(source), _factors(
        [d for d in dims if d is not None])
    whole_text = f"{c.text(node.args[0])} is {show(source)}"
    if None not in dims:
        if (total, names) != (known, known_names):
            c.fail(f"cannot reshape: {whole_text}, which has a different number of entries "
                   f"than {into}", node.func_span, node.args[0])
        return dims
    rest = names - known_names
    if known_names - names or total % known:
        c.fail(f"cannot reshape: {whole_text}, whose entries do not divide into {into}",
               node.func_span, node.args[0])
    number = total // known
    if rest and (number != 1 or sum(rest.values()) > 1):
        product = " * ".join(([str(number)] if number != 1 else []) + sorted(rest.elements()))
        c.refuse(f"the -1 in {into} would stand for {product} ({whole_text}), which shapecheck "
                 "cannot name as one size: declare the sizes as numbers (--shape x=3,2,2) "
                 "or write the shape", node.span)
    free: Dim = next(iter(rest)) if rest else number
    return tuple(free if d is None else d for d in dims)


def _reshape_value(at, node, args):
    written = node.args[1:]
    dims = sizes_value(at, written[0]) if len(written) == 1 else tuple(
        size_value(at, a) for a in written)
    return args[0].reshape(args[0].shape[:1] + tuple(dims))


def _reshape_chain(site, i, ops, g):
    return (call("reshape", whole(site, g), call("shape", ops[0])),
            "for P = M.reshape(...), dM = dP.reshape(M.shape)")


def _dtype(c: ShapeCall) -> np.dtype:
    written = c.node.args[1]
    try:
        dtype = np.dtype(written.value) if isinstance(written, s.Literal) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in "fiub" or (dtype.kind == "f" and dtype.itemsize != 8):
        c.refuse(f"{c.text(written)} is not a type .astype() is read with: float, np.float64, "
                 "int, np.int64 or bool (shapecheck computes in float64)", written.span)
    return dtype


def _astype_shape(c: ShapeCall) -> Shape:
    c.arity()
    c.arguments()
    arg = c.node.args[0]
    if _dtype(c).kind != "f" and not (isinstance(arg, s.BinOp) and arg.op in _COMPARE):
        c.refuse(f"{c.text(c.node)} would round {c.text(arg)} to whole numbers; .astype() to "
                 "an integer type is read for a comparison's 0 and 1, as in "
                 "(x > 0).astype(np.int64)", c.node.span)
    return c.shapes[0]


def _astype_value(at, node, args):
    return args[0].astype(np.dtype(node.args[1].value)).astype(float)


def _astype_chain(site, i, ops, g):
    if np.dtype(site.node.args[1].value).kind == "f":
        return g, "for P = M.astype(float), dM = dP"
    return None, "a comparison's 0 and 1 are piecewise constant: their gradient is 0"


def _latex_call(name: str):
    def render(r, node):
        return f"\\operatorname{{{name}}}({', '.join(r(a) for a in node.args)})"
    return render


RESHAPING: tuple[Function, ...] = (
    Function("shape", shape=lambda c: (c.arity(), (len(c.shapes[0]),))[1],
             stacked=lambda at, node, args: np.array(args[0].shape[1:], float)[None],
             chain=constant_chain, operands=lambda node: (), latex=_latex_call("shape")),
    Function("reshape", arity=(2, 1 + _MAX_SIZES), written=range(1, 1 + _MAX_SIZES),
             shape=_reshape_shape, stacked=_reshape_value, chain=_reshape_chain, operands=first,
             method=True, latex=_latex_call("reshape")),
    Function("astype", arity=(2, 2), written=(1,), types=True, method=True, shape=_astype_shape,
             stacked=_astype_value, chain=_astype_chain, operands=first,
             latex=lambda r, node: r(node.args[0])),
)
