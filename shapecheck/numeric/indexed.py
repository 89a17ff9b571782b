"""Values of index-notation members (shapecheck.language.indices) on a model's draw.

A member's value is an array over its free indices: `Value(data, indices)` where `data`
has the stack axis first (as in shapecheck.numeric.evaluate) and one axis per index, in
the order of `indices`; a quantity not indexed (a matrix, `HW + B`) has `indices=None` and
its own axes. Products of entries broadcast over the union of their indices and a sum
adds along one axis, so a line is evaluated for every value of its free indices at once.

The true value of `\\frac{\\partial J}{\\partial W_{kl}}` (or of the operator form applied to
an expression) is taken by central differences: every entry of W moved at once along a
stack axis, the model's equations after W evaluated again, the numerator read on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from .. import functions
from ..errors import ShapecheckError, UnknownNameError
from ..language import indices as ix
from ..models.binding import starred
from ..models.model import Model
from .evaluate import Evaluator

STEP = 1e-5  # central differences: error ~ STEP**2, rounding ~ 1e-16 / STEP
CHUNK_NUMBERS = 1 << 22  # a variable's entries are moved this many numbers at a time


class IndexError_(ShapecheckError):
    """An index is used inconsistently, or a value cannot be formed (shapes)."""


@dataclass
class Value:
    data: np.ndarray
    indices: tuple[str, ...] | None  # None: a quantity not indexed (its own axes)


@dataclass
class Space:
    """A model's quantities on one draw, the bound open functions, and the range of each
    index letter (learned where the index is used; shared by a derivation's members)."""
    model: Model
    values: dict[str, np.ndarray]
    functions: Mapping[str, str]
    sizes: Mapping[str, int]
    ranges: dict[str, int] = field(default_factory=dict)
    text: str = ""
    # gradient names (`dW2`) → the quantity and the size that scales it (models.binding)
    gradients: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)
    # ∂J/∂V by the truth's differences (numeric.differences), where the session has them
    cost_gradient: Callable[[str], np.ndarray] | None = None

    def quantity(self, name: str) -> str | None:
        for candidate in (name, starred(name), name.replace("_", "")):  # y_hat is yhat
            if candidate in self.values:
                return candidate
        return None


def evaluate(node, space: Space) -> Value:
    return _Eval(space).value(node)


class _Eval:
    def __init__(self, space: Space):
        self.space = space

    def fail(self, message: str, at: int = 0):
        raise IndexError_(message, self.space.text or None,
                          (at, at + 1) if self.space.text else None)

    def value(self, node) -> Value:
        return getattr(self, type(node).__name__.lower())(node)

    def num(self, node: ix.Num) -> Value:
        return Value(np.array([node.value]), ())

    def sym(self, node: ix.Sym) -> Value:
        name = self.space.quantity(node.name)
        if name is not None:
            data = self.space.values[name]
            return Value(data, () if data.ndim == 1 else None)
        if node.name in self.space.sizes:
            return Value(np.array([float(self.space.sizes[node.name])]), ())
        if node.name in self.space.gradients:  # dW2: the true gradient, in the convention
            var, scale = self.space.gradients[node.name]
            grad = self.partial(ix.Partial(ix.Sym(self.space.model.cost), var, (), node.at))
            return Value(grad.data * (self.space.sizes[scale] if scale else 1.0), None)
        raise UnknownNameError(f"{node.name} is not a quantity of the model "
                               f"({', '.join(sorted(self.space.values))})",
                               self.space.text or None, (node.at, node.at + len(node.name)))

    def entry(self, node: ix.Entry) -> Value:
        base = self.value(node.base)
        if base.indices is not None:
            self.fail(f"{''.join(node.indices)} indexes an entry (a number), not a matrix", node.at)
        axes = self._axes(node, base.data)
        data = base.data
        data = data.reshape((data.shape[0],) + tuple(data.shape[a] for a in axes))
        if len(set(node.indices)) != len(node.indices):
            self.fail(f"a repeated index in {''.join(node.indices)} (a diagonal) is not read",
                      node.at)
        for letter, length in zip(node.indices, data.shape[1:]):
            self._range(letter, length, node.at)
        return Value(data, node.indices)

    def _axes(self, node: ix.Entry, data: np.ndarray) -> list[int]:
        """The axes the indices run along: all of them, or those longer than one (`Y_i` of a
        1×y Y); for a model quantity, the axes not declared of length 1."""
        count, axes = len(node.indices), list(range(1, data.ndim))
        if count == len(axes):
            return axes
        declared = None
        if isinstance(node.base, ix.Sym):
            name = self.space.quantity(node.base.name)
            if name is None and node.base.name in self.space.gradients:  # dZ2 has Z2's shape
                name = self.space.gradients[node.base.name][0]
            declared = self.space.model.shapes.get(name) if name else None
        if declared is not None and len(declared) == len(axes):
            long = [a for a, d in zip(axes, declared) if d != 1]
            if count != len(long):  # a size that is 1 here (m = 1): its axis is not long
                long = [a for a in long if data.shape[a] != 1]
        else:
            long = [a for a in axes if data.shape[a] != 1]
        if count == len(long):
            return long
        shape = "×".join(str(data.shape[a]) for a in axes) or "a number"
        self.fail(f"{len(node.indices)} ind{'ex' if count == 1 else 'ices'} "
                  f"({''.join(node.indices)}) for a value of shape {shape}: give one index "
                  "for each of its axes (or each axis longer than one)", node.at)

    def _range(self, letter: str, length: int, at: int = 0) -> None:
        known = self.space.ranges.setdefault(letter, length)
        if known != length:
            self.fail(f"index {letter} runs over {known} values in one place and {length} "
                      "in another", at)

    def delta(self, node: ix.Delta) -> Value:
        lengths = [self.space.ranges.get(letter) for letter in (node.first, node.second)]
        for letter, length in zip((node.first, node.second), lengths):
            if length is None:
                raise UnknownRange(letter)
        if node.first == node.second:
            return Value(np.ones((1, lengths[0])), (node.first,))
        if lengths[0] != lengths[1]:
            self.fail(f"\\delta_{{{node.first}{node.second}}} pairs indices of different "
                      f"ranges ({lengths[0]} and {lengths[1]})")
        return Value(np.eye(lengths[0])[None], (node.first, node.second))

    def neg(self, node: ix.Neg) -> Value:
        v = self.value(node.operand)
        return Value(-v.data, v.indices)

    def power(self, node: ix.Power) -> Value:
        v = self.value(node.base)
        return Value(v.data ** node.exponent, v.indices)

    def transposed(self, node: ix.Transposed) -> Value:
        v = self.value(node.operand)
        if v.indices is not None:
            self.fail("^T of an entry: a number has no transpose")
        return Value(np.swapaxes(v.data, -1, -2) if v.data.ndim > 2 else v.data, None)

    def apply(self, node: ix.Apply) -> Value:
        v = self.value(node.arg)
        bound = self.space.functions.get(node.func, node.func)
        record = functions.lookup(bound)
        func = None if record is None else (record.derivative if node.prime else record.value)
        if func is None or not (record.elementwise or record.derivative):
            self.fail(f"{node.func}{chr(39) if node.prime else ''} is not an element-wise "
                      "function of the model")
        return Value(func(v.data), v.indices)

    def bin(self, node: ix.Bin) -> Value:
        left, right = self.value(node.left), self.value(node.right)
        if left.indices is None and right.indices is None:
            if node.op == "prod" and left.data.ndim > 1 and right.data.ndim > 1:
                if left.data.shape[-1] != right.data.shape[-2]:
                    self.fail(f"a matrix product of shapes {left.data.shape[1:]} and "
                              f"{right.data.shape[1:]}: the inner sizes differ")
                return Value(np.matmul(left.data, right.data), None)
            return Value(self._broadcast(node.op, left.data, right.data), None)
        if left.indices is None or right.indices is None:
            matrix, other = (left, right) if left.indices is None else (right, left)
            if other.indices:
                self.fail(f"a matrix meets entries (indices {', '.join(other.indices)}): "
                          "index the matrix, e.g. [HW]_i")
            scalar = other.data.reshape((-1,) + (1,) * (matrix.data.ndim - 1))
            pair = (matrix.data, scalar) if left.indices is None else (scalar, matrix.data)
            return Value(self._broadcast(node.op, *pair), None)
        order = tuple(dict.fromkeys(left.indices + right.indices))
        return Value(self._broadcast(node.op, _aligned(left, order), _aligned(right, order)),
                     order)

    def _broadcast(self, op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            self.fail(f"element-wise '{op}' of shapes {a.shape[1:]} and {b.shape[1:]}")
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "/":
            return a / b
        return a * b

    def sum(self, node: ix.Sum) -> Value:
        if node.end is not None:
            end = self.space.sizes.get(node.end)
            end = int(node.end) if end is None and node.end.isdigit() else end
            if end is None:
                self.fail(f"the upper limit {node.end} of \\sum_{node.index} is not a size")
            start = int(node.start) if node.start is not None else 1
            self._range(node.index, end - start + 1)
        body = self.value(node.body)
        if body.indices is None:  # \sum_{i=1}^{m} X: the sum over examples (language.sums)
            axis = 0 if self.space.model.class_axis == 1 else -1
            return Value(np.expand_dims(body.data.sum(axis=axis if axis < 0 else 1),
                                        axis if axis < 0 else 1), None)
        if node.index not in body.indices:
            length = self.space.ranges.get(node.index)
            if length is None:
                raise UnknownRange(node.index)
            return Value(body.data * length, body.indices)
        at = body.indices.index(node.index)
        return Value(body.data.sum(axis=at + 1),
                     body.indices[:at] + body.indices[at + 1:])

    def partial(self, node: ix.Partial) -> Value:
        var = self.space.quantity(node.var)
        if var is None:
            self.fail(f"∂{node.var}: {node.var} is not a quantity of the model", node.at)
        base = self.space.values[var]
        if base.shape[0] != 1:
            self.fail("a derivative inside a derivative is not read", node.at)
        shape = base.shape[1:]
        declared = self.space.model.shapes.get(var, shape)
        long = [a for a, d in enumerate(declared) if d != 1] if len(declared) == len(shape) \
            else list(range(len(shape)))
        if node.indices and len(node.indices) not in (len(shape), len(long)):
            long = [a for a in long if shape[a] != 1]  # a size that is 1 here (m = 1)
        if node.indices and len(node.indices) not in (len(shape), len(long)):
            self.fail(f"∂{node.var}_{{{''.join(node.indices)}}}: {node.var} has shape "
                      f"{shape}; give one index for each axis longer than one", node.at)
        kept = list(range(len(shape))) if len(node.indices) == len(shape) else long
        for letter, axis in zip(node.indices, kept):
            self._range(letter, shape[axis], node.at)
        count = int(np.prod(shape))
        if self.space.cost_gradient is not None and isinstance(node.body, ix.Sym) \
                and self.space.quantity(node.body.name) == self.space.model.cost:
            # ∂J/∂W: the truth's gradient, as the other checks take it
            slope = np.asarray(self.space.cost_gradient(var), dtype=float).reshape(shape)
            return self._placed(node, slope, shape, kept, Value(np.zeros(1), ()))
        chunk = max(1, CHUNK_NUMBERS // max(count, 1))
        parts = [self._slopes(node, var, base, start, min(start + chunk, count))
                 for start in range(0, count, chunk)]
        body = parts[0][0]
        slope = np.concatenate([p[1] for p in parts]).reshape(shape + parts[0][1].shape[1:])
        return self._placed(node, slope, shape, kept, body)

    def _placed(self, node: ix.Partial, slope: np.ndarray, shape: tuple, kept: list[int],
                body: Value) -> Value:
        """The slopes (var's axes, then the body's) as a value: the gradient, W's shape
        (∂J/∂W), or an array over the body's indices and then the entry's (∂Y_i/∂W_{kl})."""
        if body.indices is None:
            if node.indices or body.data.ndim > 1:
                self.fail(f"∂ of a matrix by {node.var}: write the entry, e.g. [HW]_i", node.at)
            return Value(slope[None], None)  # ∂J/∂W: the gradient, W's shape
        if not node.indices:
            if body.indices:
                self.fail(f"∂ of an entry by the whole of {node.var}: write ∂{node.var}_{{..}}",
                          node.at)
            return Value(slope[None], None)
        slope = slope.reshape(tuple(shape[a] for a in kept) + body.data.shape[1:])
        moved = np.moveaxis(slope, list(range(len(kept))),
                            list(range(len(body.indices), len(body.indices) + len(kept))))
        return Value(moved[None], body.indices + node.indices)

    def _slopes(self, node: ix.Partial, var: str, base: np.ndarray, start: int, end: int):
        """The body's value (one perturbed point's indices) and its central differences
        along the entries start..end of `var`, all moved at once along the stack axis."""
        count, shape = end - start, base.shape[1:]
        moves = np.zeros((count, base[0].size))
        moves[np.arange(count), np.arange(start, end)] = STEP
        moves = moves.reshape((count,) + shape)
        values = dict(self.space.values)
        values[var] = np.concatenate([base + moves, base - moves])
        evaluate = Evaluator(values, self.space.functions, self.space.sizes,
                             self.space.model.class_axis)
        for i in self.space.model.downstream(var):
            eq = self.space.model.equations[i]
            values[eq.lhs.id] = evaluate(eq.rhs)
        inner = _Eval(Space(self.space.model, values, self.space.functions, self.space.sizes,
                            self.space.ranges, self.space.text, self.space.gradients))
        body = inner.value(node.body)
        if body.indices is None and body.data[0].size == 1:  # x^T A x: a 1×1 matrix, a number
            body = Value(body.data.reshape(-1), ())
        data = np.broadcast_to(body.data, (2 * count,) + body.data.shape[1:])
        return body, (data[:count] - data[count:]) / (2 * STEP)  # (count, *body axes)


class UnknownRange(Exception):
    """An index (of a delta, or summed but not used) whose range is not known yet."""

    def __init__(self, letter: str):
        super().__init__(letter)
        self.letter = letter


def _aligned(v: Value, order: tuple[str, ...]) -> np.ndarray:
    """v's data with one axis per index of `order` (length 1 where v lacks it)."""
    have = [order.index(letter) for letter in v.indices]
    perm = sorted(range(len(have)), key=lambda a: have[a])  # v's axes in the order of `order`
    data = v.data.transpose((0,) + tuple(1 + a for a in perm))
    shape = [data.shape[0]] + [1] * len(order)
    for a, pos in enumerate(sorted(have)):
        shape[1 + pos] = data.shape[1 + a]
    return data.reshape(shape)


def same_order(v: Value, order: tuple[str, ...]) -> np.ndarray:
    """v's data with its index axes in the order `order` (the same letters)."""
    return v.data.transpose((0,) + tuple(1 + v.indices.index(letter) for letter in order))
