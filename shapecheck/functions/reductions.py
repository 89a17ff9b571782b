"""The reductions: np.sum, np.mean, np.var, np.max, np.min, and the one reader of a call's `axis`,
`keepdims` and `ord` that every stage asks (`arguments`).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import syntax as s
from ..frozen import Record, record
from .record import Function, call
from .rules import (Shape, ShapeCall, Underivable, constant_int, first, name, num, op,
                    stacked_axis, tr)


# -- the one argument reader
_KEEP = "keepdims"  # the keyword that keeps a reduced axis as a 1


def keyword(node: s.Call, key: str) -> s.Node | None:
    return next((k.value for k in node.kwargs if k.name == key), None)


@record
class Arguments(Record):
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


def _reduce(at, reducer, read: Arguments, a: np.ndarray) -> np.ndarray:
    """`reducer` (np.sum, np.mean, ...) of stacked `a` over the axes `read` names."""
    if read.axis is None and at.per_example_axis is not None and a.ndim > 1:
        # the cost as per-example losses: reduce every axis but the examples'
        axes = tuple(i for i in range(1, a.ndim) if i != at.per_example_axis + 1)
        result = np.sum(a, axis=axes)
        return result / a[0].size if reducer is np.mean else result
    axes = tuple(range(1, a.ndim)) if read.axis is None else tuple(map(stacked_axis, read.axis))
    return reducer(a, axis=axes, keepdims=read.keepdims)


def _reducing(reducer):
    return lambda at, node, args: _reduce(at, reducer, arguments(node), args[0])


def _reduction(c: ShapeCall) -> Shape:
    c.arity()
    shape = c.shapes[0]
    axes = c.axes(shape)
    keep = c.arguments().keepdims
    if axes is None:
        return tuple(1 for _ in shape) if keep else ()
    return tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes)


def _total_chain(mean: bool):
    return lambda site, i, ops, g: _spread(site, ops, g, mean)


def _spread(site, ops, g, mean: bool):
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
    if mean and count is not None:
        return (op("/", spread, count), f"for a mean P = np.mean(M{written}), every entry it "
                "averaged gets dP divided by their number")
    return spread, f"for a {what} P = np.sum(M{written}), every entry it added gets dP"


def _var_value(at, node, args):
    read, a = arguments(node), args[0]
    axes = tuple(range(1, a.ndim)) if read.axis is None else tuple(map(stacked_axis, read.axis))
    return np.var(a, axis=axes, keepdims=read.keepdims)


def _var_chain(site, i, ops, g):
    """P = np.var(M) is the mean of (M - np.mean(M)) ** 2 over the same axes: dM = 2 (M - the
    mean) times the mean's spread of dP (the mean's own gradient sums to zero there)."""
    x, axis = ops[0], arguments(site.node).axis_node
    centre = call("mean", x) if axis is None else with_axis(call("mean", x), axis, True)
    spread, _ = _spread(site, ops, g, True)
    return (op("*", op("*", num(2), spread), op("-", x, centre)),
            "for P = np.var(M), dM = 2 * (M - np.mean(M)) * dP / (the entries averaged)")


def _latex_total(sign: str):
    return lambda r, node: r.reduction(sign, node)


REDUCING = frozenset({"axis", _KEEP})  # the keywords a reduction reads


def reduces_whole(keywords, node) -> bool:
    """Whether `node`, a call of a function that reads `keywords`, is a reduction given no
    axis (np.sum(A), np.linalg.norm(A)): one number whatever its argument's shape."""
    return _KEEP in keywords and len(node.args) == 1 and not any(
        k.name in REDUCING for k in node.kwargs)
_TOTAL = dict(arity=(1, 2), keywords=REDUCING, shape=_reduction,
              operands=first, linear=True, method=True)
_EXTREME = dict(arity=(1, 2), keywords=REDUCING, shape=_reduction,
                operands=first, method=True)

REDUCTIONS: tuple[Function, ...] = (
    Function("sum", stacked=_reducing(np.sum), total="sum", chain=_total_chain(False),
             commands=("\\sum", "∑"), latex=_latex_total("\\sum"), **_TOTAL),
    Function("mean", stacked=_reducing(np.mean), total="mean", chain=_total_chain(True),
             latex=_latex_total("\\operatorname{mean}"), **_TOTAL),
    Function("max", aliases=("amax",), stacked=_reducing(np.max), **_EXTREME),
    Function("min", aliases=("amin",), stacked=_reducing(np.min), **_EXTREME),
    Function("var", stacked=_var_value, chain=_var_chain, arity=(1, 2), keywords=REDUCING,
             shape=_reduction, operands=first, method=True,
             latex=_latex_total("\\operatorname{var}")),
)
