"""A true gradient as the finite differences took it (whole, or its projections on random
directions), and a claim brought to the same form to be compared with it: projected part
by part, so that a claim `dZ1 @ X.T` is never formed at 1024 x 2048.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from .. import syntax as s
from .evaluate import Evaluator
from ..frozen import Record, record
from ..shapes import Shape


@record
class Gradient(Record):
    """A true gradient: the whole array, or its projections on random directions."""
    full: np.ndarray | None = None
    projections: np.ndarray | None = None  # (K,) directional derivatives
    left: np.ndarray | None = None         # directions: dense (K, *shape), or rank 1 u (K, a)
    right: np.ndarray | None = None        # ... and v (K, b)
    method: str = "exact"
    # the rounding that the finite differences may hold, as a norm beside `reference`'s:
    # each difference quotient (J(x + h) - J(x - h)) / 2h errs by about eps * |J| / h
    noise: float = 0.0

    @property
    def reference(self) -> np.ndarray:
        """The truth as it is compared: the whole array, or its directional derivatives."""
        return self.full if self.full is not None else self.projections

    @property
    def blur(self) -> float:
        """How much of the gradient its rounding may be, relative to it."""
        scale = norm(self.reference)
        # a gradient of exact zeros: the cost did not move at all, which no rounding does
        return self.noise / scale if scale else 0.0

    def claimed(self, node: s.Node, shapes: Mapping[int, Shape], evaluate: Evaluator,
                transposed: bool = False) -> np.ndarray | None:
        """The claim `node` (its parts' shapes in `shapes`) as it is compared with
        `reference`: whole, or projected on the directions; transposed if asked (None when
        the claim is not a square matrix). A rank-1 direction u vᵀ meets a matrix product
        as (uᵀA)(Bv), so that a claim `dZ1 @ X.T` costs a few matrix-vector products
        instead of a matrix product as large as the model's."""
        if self.right is not None:
            if transposed and self.left.shape[1] != self.right.shape[1]:
                return None
            u, v = (self.right, self.left) if transposed else (self.left, self.right)
            return _projected(node, shapes, evaluate, u, v)
        claim = evaluate(node)[0]
        if transposed:
            if claim.ndim != 2 or claim.shape[0] != claim.shape[1]:
                return None
            claim = claim.T
        if self.full is not None:
            return claim
        return np.tensordot(self.left, claim, axes=claim.ndim)


def _projected(node: s.Node, shapes: Mapping[int, Shape], evaluate: Evaluator,
               u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """uₖᵀ E vₖ for each direction k, where E is the matrix `node` stands for; products,
    sums, scalings and transposes are projected part by part."""
    def shape(n: s.Node) -> Shape:
        return tuple(shapes.get(id(n), (None,)))

    if isinstance(node, s.Neg):
        return -_projected(node.operand, shapes, evaluate, u, v)
    if isinstance(node, s.Transpose) and len(shape(node.operand)) == 2:
        return _projected(node.operand, shapes, evaluate, v, u)
    if isinstance(node, s.BinOp):
        left, right = shape(node.left), shape(node.right)
        if node.op == "@" and len(left) == 2 and len(right) == 2:
            a, b = evaluate(node.left)[0], evaluate(node.right)[0]
            return np.sum((u @ a) * (v @ b.T), axis=1)
        if node.op in ("+", "-") and left == right == shape(node):
            first = _projected(node.left, shapes, evaluate, u, v)
            second = _projected(node.right, shapes, evaluate, u, v)
            return first + second if node.op == "+" else first - second
        if node.op in ("*", "/") and right == () and left == shape(node):
            scale = evaluate(node.right)[0]
            projected = _projected(node.left, shapes, evaluate, u, v)
            return projected * scale if node.op == "*" else projected / scale
        if node.op == "*" and left == () and right == shape(node):
            return evaluate(node.left)[0] * _projected(node.right, shapes, evaluate, u, v)
    return np.sum((u @ evaluate(node)[0]) * v, axis=1)


def norm(values: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(values))))
