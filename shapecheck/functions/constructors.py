"""Constant arrays: np.ones_like, np.zeros_like, np.eye. Their gradient is zero."""
from __future__ import annotations

import numpy as np

from .record import Function
from .rules import constant_chain, eye_value, same, sized


CONSTRUCTORS: tuple[Function, ...] = (
    Function("ones_like", unit="*", shape=same,
             stacked=lambda at, node, args: np.ones_like(args[0]),
             chain=constant_chain, latex=lambda r, node: "\\mathbf{1}"),
    Function("zeros_like", shape=same, stacked=lambda at, node, args: np.zeros_like(args[0]),
             chain=constant_chain, latex=lambda r, node: "0"),
    Function("eye", unit="@", shape=sized, stacked=eye_value, chain=constant_chain, creates=True,
             latex=lambda r, node: f"I_{{{r(node.args[0])}}}"),
)
