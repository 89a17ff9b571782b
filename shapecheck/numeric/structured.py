"""Perturbed values kept in factors, so that a stack of perturbations of a large quantity
costs what the perturbation touches, not a full recomputation per perturbation.

Both kinds stand for a stack of `k` values of one logical 2-D shape, each equal to the
unperturbed `base` plus a structured change:

* `LowRank`: `base + left @ right` (`left` is `(k, a, r)`, `right` `(k, r, b)`): a rank-1
  perturbation `W + h u vᵀ` goes through `W @ X` as `W @ X + h u (vᵀ X)`;
* `Patch`: `base` with one row (or column) replaced per stack entry: a perturbation of a
  row of `Z1` stays a row through element-wise functions, and becomes rank 1 through
  `W2 @ ...`.

The arithmetic is exact (the same numbers a dense evaluation gives, up to rounding), so
the finite differences taken over it are ordinary finite differences. Anything these
rules do not cover is materialised with `dense`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

BaseValue = Callable[[], np.ndarray]  # the node's value at the unperturbed point


class LowRank:
    __slots__ = ("base", "left", "right")

    def __init__(self, base: np.ndarray, left: np.ndarray, right: np.ndarray):
        self.base, self.left, self.right = base, left, right

    def dense(self) -> np.ndarray:
        if self.left.shape[-1] == 1:  # rank 1: an outer product, no matrix product needed
            return self.base + self.left * self.right
        return self.base + np.matmul(self.left, self.right)


class Patch:
    """Stack entry `i` is `base` with row `index[i]` (axis 0) or column (axis 1) set to
    `slices[i]`."""
    __slots__ = ("base", "axis", "index", "slices")

    def __init__(self, base: np.ndarray, axis: int, index: np.ndarray, slices: np.ndarray):
        self.base, self.axis, self.index, self.slices = base, axis, index, slices

    def dense(self) -> np.ndarray:
        k = self.index.size
        out = np.repeat(self.base, k, axis=0)
        rows = np.arange(k)
        if self.axis == 0:
            out[rows, self.index, :] = self.slices
        else:
            out[rows, :, self.index] = self.slices
        return out

    def base_slices(self) -> np.ndarray:
        """The unperturbed rows (columns) that the slices replace, `(k, length)`."""
        return self.base[0][self.index] if self.axis == 0 else self.base[0][:, self.index].T


def total(value, keep_axis: int | None = None) -> np.ndarray:
    """The sum of every entry of each stacked value, `(k,)`; with `keep_axis` (a logical
    axis, 0 or 1), the sums along the other axis, `(k, length)`. A patch adds what its
    slices change to the base's sums; a low-rank change adds the sums of its factors."""
    base = value.base[0]
    if keep_axis is None:
        base_sum = np.sum(base)
    else:
        base_sum = np.sum(base, axis=1 - keep_axis)
    if isinstance(value, LowRank):
        if keep_axis is None:
            change = np.einsum("kr,kr->k", value.left.sum(axis=1), value.right.sum(axis=2))
        elif keep_axis == 1:
            change = np.einsum("kr,krb->kb", value.left.sum(axis=1), value.right)
        else:
            change = np.einsum("kar,kr->ka", value.left, value.right.sum(axis=2))
        return base_sum + change
    change = value.slices - value.base_slices()    # (k, length)
    if keep_axis is None:
        return base_sum + change.sum(axis=1)
    if keep_axis != value.axis:  # each slice runs along the kept axis
        return base_sum + change
    sums = np.repeat(base_sum[None], value.index.size, axis=0)  # one kept entry changes
    sums[np.arange(value.index.size), value.index] += change.sum(axis=1)
    return sums


def entry_bytes(value) -> int:
    """The memory one entry of a stack of perturbations takes (0 for an unstacked value):
    what its factors or slices hold, for a structured one."""
    if isinstance(value, LowRank):
        return (value.left.nbytes + value.right.nbytes) // value.left.shape[0]
    if isinstance(value, Patch):
        return value.slices.nbytes // max(value.index.size, 1)
    if isinstance(value, np.ndarray) and value.ndim and value.shape[0] > 1:
        return value.nbytes // value.shape[0]
    return 0


def is_structured(value) -> bool:
    return isinstance(value, (LowRank, Patch))


def dense(value) -> np.ndarray:
    return value.dense() if is_structured(value) else value


def _is_plain_matrix(value) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 3 and value.shape[0] == 1


def _is_plain_scalar(value) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 1 and value.shape[0] == 1


def elementwise(func: Callable, value, base: BaseValue):
    """`func` applied entry by entry keeps a patch a patch."""
    if isinstance(value, Patch):
        return Patch(base(), value.axis, value.index, func(value.slices))
    return None


def negate(value):
    if isinstance(value, LowRank):
        return LowRank(-value.base, -value.left, value.right)
    if isinstance(value, Patch):
        return Patch(-value.base, value.axis, value.index, -value.slices)
    return None


def transpose(value):
    if isinstance(value, LowRank):
        return LowRank(value.base.transpose(0, 2, 1), value.right.transpose(0, 2, 1),
                       value.left.transpose(0, 2, 1))
    if isinstance(value, Patch):
        return Patch(value.base.transpose(0, 2, 1), 1 - value.axis, value.index, value.slices)
    return None


def binary(op: str, func: Callable, left, right, base: BaseValue):
    """`left op right` with one side structured and the other a plain (unstacked) value;
    None where no rule keeps the structure."""
    if is_structured(left) == is_structured(right):
        return None
    low, other = (left, right) if is_structured(left) else (right, left)
    low_left = low is left
    if op == "@":
        return _matmul(low, other, low_left, base) if _is_plain_matrix(other) else None
    if _is_plain_scalar(other) and (op == "*" or (op == "/" and low_left)):
        scale = other[0] if op == "*" else 1.0 / other[0]
        if isinstance(low, LowRank):
            return LowRank(base(), low.left * scale, low.right)
        return Patch(base(), low.axis, low.index, low.slices * scale)
    if isinstance(low, LowRank) and op in ("+", "-") and _is_plain_matrix(other):
        result = base()
        if result.shape != low.base.shape:
            return None
        sign = -1.0 if op == "-" and not low_left else 1.0
        return LowRank(result, sign * low.left, low.right)
    if isinstance(low, Patch) and op not in ("@",):
        return _patch_elementwise(func, low, other, low_left, base)
    return None


def _patch_elementwise(func, patch: Patch, other, patch_left: bool, base: BaseValue):
    if not (_is_plain_matrix(other) or _is_plain_scalar(other)):
        return None
    result = base()
    if result.ndim != 3 or result.shape[1 + patch.axis] != patch.base.shape[1 + patch.axis]:
        return None  # the patched axis itself is broadcast: not one row any more
    length = result.shape[2 - patch.axis]
    slices = np.broadcast_to(patch.slices, (patch.index.size, length))
    if _is_plain_scalar(other):
        others = other[0]
    else:
        full = np.broadcast_to(other[0], result.shape[1:])
        others = full[patch.index] if patch.axis == 0 else full[:, patch.index].T
    changed = func(slices, others) if patch_left else func(others, slices)
    return Patch(result, patch.axis, patch.index, changed)


def _matmul(low, other: np.ndarray, low_left: bool, base: BaseValue):
    m = other[0]
    if isinstance(low, LowRank):
        k, r = low.left.shape[0], low.left.shape[2]
        if low_left:   # (B + L R) @ M = B @ M + L (R @ M), as one matrix product
            right = (low.right.reshape(k * r, -1) @ m).reshape(k, r, -1)
            return LowRank(base(), low.left, right)
        # M @ (B + L R) = M @ B + (M L) R
        left = (m @ low.left.transpose(1, 0, 2).reshape(m.shape[1], k * r))
        return LowRank(base(), left.reshape(-1, k, r).transpose(1, 0, 2), low.right)
    change = low.slices - low.base_slices()   # (k, length): what each entry adds
    index = low.index
    if low_left and low.axis == 0:      # a changed row of P gives a changed row of P @ M
        return Patch(base(), 0, index, np.matmul(low.slices, m))
    if not low_left and low.axis == 1:  # a changed column of P gives one of M @ P
        return Patch(base(), 1, index, np.matmul(low.slices, m.T))
    if low_left:                        # a changed column i of P: outer(change, M[i, :])
        return LowRank(base(), change[:, :, None], m[index][:, None, :])
    # a changed row i of P: outer(M[:, i], change)
    return LowRank(base(), m[:, index].T[:, :, None], change[:, None, :])
