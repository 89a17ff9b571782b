"""Constant arrays: np.ones_like, np.zeros_like, np.eye, np.ones, np.zeros. Their gradient is
zero; np.ones((N, D)) and np.zeros take their shape from the sizes written."""
from __future__ import annotations

import numpy as np

from .record import Function
from .rules import Shape, ShapeCall, constant_chain, eye_value, same, sized, sizes_value


def _sized_shape(c: ShapeCall) -> Shape:
    c.arity()
    c.arguments()
    return c.sizes_of(c.node.args[0])


def _filled(value: float):
    def stacked(at, node, args):
        dims = tuple(sizes_value(at, node.args[0]))
        at.limit(dims)
        return np.full((1,) + dims, value)
    return stacked


def _latex_filled(head: str):
    """`\\operatorname{ones}((N, D))`: the call as numpy writes it (a `\\mathbf{1}_{N \\times
    D}` would not read back)."""
    return lambda r, node: f"{head}({r(node.args[0])})"


_CONSTANT = dict(arity=(1, 1), written=(0,), shape=_sized_shape, chain=constant_chain,
                 operands=lambda node: (), creates=True)


CONSTRUCTORS: tuple[Function, ...] = (
    Function("ones_like", unit="*", shape=same,
             stacked=lambda at, node, args: np.ones_like(args[0]),
             chain=constant_chain, latex="\\operatorname{ones\\_like}"),
    Function("zeros_like", shape=same, stacked=lambda at, node, args: np.zeros_like(args[0]),
             chain=constant_chain, latex="\\operatorname{zeros\\_like}"),
    Function("eye", unit="@", shape=sized, stacked=eye_value, chain=constant_chain, creates=True,
             latex=lambda r, node: f"I_{{{r(node.args[0])}}}"),
    Function("ones", stacked=_filled(1.0), latex=_latex_filled("\\operatorname{ones}"), **_CONSTANT),
    Function("zeros", stacked=_filled(0.0), latex=_latex_filled("\\operatorname{zeros}"), **_CONSTANT),
)
