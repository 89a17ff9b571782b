"""numpy evaluation of canonical syntax trees.

Every value carries a leading stack axis: an `(n1, m)` quantity is an array of shape
`(k, n1, m)`, where `k` is 1 for the plain value and the number of perturbations when many
are evaluated at once. Operations therefore act on the axes after the first; numpy
broadcasting over the stack axis lets a perturbed stack meet unperturbed values.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np

from .. import syntax as s
from ..numeric import structured
from ..errors import BadOptionError, UnknownNameError
from ..shapes import constant_int
from .structured import dense


def _sigmoid(x):
    out = np.multiply(x, 0.5)  # through tanh: no overflow for large |x|; in place: one array
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _sigmoid_derivative(x):
    s = _sigmoid(x)
    return s * (1.0 - s)


def _softplus(x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, and three times faster than
    # np.logaddexp(0, x)
    out = np.abs(x)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(x, 0.0)
    return out


ACTIVATIONS: dict[str, Callable] = {
    "tanh": np.tanh, "sigmoid": _sigmoid, "relu": lambda x: np.maximum(x, 0.0),
    "softplus": _softplus, "identity": lambda x: x,
}
ELEMENTWISE: dict[str, Callable] = dict(ACTIVATIONS, exp=np.exp, log=np.log, log1p=np.log1p,
                                        sqrt=np.sqrt, abs=np.abs)
DERIVATIVES: dict[str, Callable] = {
    "tanh": lambda x: 1.0 - np.tanh(x) ** 2,
    "sigmoid": _sigmoid_derivative,
    "relu": lambda x: (x > 0).astype(float),
    "softplus": _sigmoid,
    "identity": np.ones_like,
    "exp": np.exp, "log": lambda x: 1.0 / x, "log1p": lambda x: 1.0 / (1.0 + x),
    "sqrt": lambda x: 0.5 / np.sqrt(x), "abs": np.sign,
}


# the most numbers one array of a formula may hold (1.6 GB of float64, as a model's forward
# pass in shapecheck.truth): `np.eye(k)` or `X.T @ X` can ask for far more than the model
ARRAY_LIMIT_NUMBERS = 200_000_000


def _refuse_beyond_limit(shape: tuple[int, ...]) -> None:
    """Refuse, before allocating it, an array too large to check with."""
    count = math.prod(shape)
    if count > ARRAY_LIMIT_NUMBERS:
        raise BadOptionError(
            f"these sizes are too large to check: a part of the formula would hold {count:.3g} "
            f"numbers ({count * 8 / 2**30:.3g} GiB); the limit is "
            f"{ARRAY_LIMIT_NUMBERS * 8 / 2**30:.3g} GiB: declare smaller sizes (--NAME INT)")


def logical_ndim(a: np.ndarray) -> int:
    return a.ndim - 1


def _lift(a: np.ndarray, ndim: int) -> np.ndarray:
    """Insert unit axes after the stack axis so that `a` has `ndim` logical dimensions."""
    missing = ndim - logical_ndim(a)
    return a.reshape(a.shape[:1] + (1,) * missing + a.shape[1:]) if missing > 0 else a


def _aligned(*values: np.ndarray) -> list[np.ndarray]:
    ndim = max(logical_ndim(v) for v in values)
    return [_lift(v, ndim) for v in values]


def softmax(a: np.ndarray, axis: int) -> np.ndarray:
    shifted = a - a.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


class Shared:
    """Values that every binding of the open activations shares (one model, sizes and
    draw): sub-expressions that no open activation touches, computed once."""

    def __init__(self, independent: Callable[[s.Node], bool]):
        self.independent = independent
        self._values: dict[int, np.ndarray] = {}
        self._independent: dict[int, bool] = {}

    def lookup(self, node: s.Node, compute: Callable[[], np.ndarray]):
        key = id(node)
        if key not in self._independent:
            self._independent[key] = self.independent(node)
        if not self._independent[key]:
            return compute()
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]


class BaseValues:
    """Values of sub-expressions at the unperturbed point, computed once per draw: a
    perturbed evaluation takes every sub-expression that does not read a perturbed name
    from here instead of recomputing it."""

    def __init__(self, values: Mapping[str, np.ndarray], functions, sizes, class_axis: int,
                 shared: Shared | None = None):
        self.evaluate = Evaluator(values, functions, sizes, class_axis, shared=shared)
        self._values: dict[int, np.ndarray] = {}
        self._names: dict[int, frozenset[str]] = {}

    def value(self, node: s.Node) -> np.ndarray:
        key = id(node)
        if key not in self._values:
            self._values[key] = self.evaluate(node)
        return self._values[key]

    def names(self, node: s.Node) -> frozenset[str]:
        key = id(node)
        if key not in self._names:
            self._names[key] = frozenset(n.id for n in s.walk(node) if isinstance(n, s.Name))
        return self._names[key]


_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power,
           ">": np.greater, "<": np.less, ">=": np.greater_equal, "<=": np.less_equal,
           "==": np.equal, "!=": np.not_equal}


class Evaluator:
    """Values of nodes given `values` (name → stacked array) and the bound functions.

    With `base` and `changed`, a sub-expression that reads none of the `changed` names is
    taken from `base` (its value at the unperturbed point). With `per_example_axis`, a
    total (`np.sum(E)` without axis) keeps that logical axis: the cost becomes the vector
    of per-example losses."""

    def __init__(self, values: Mapping[str, np.ndarray], functions: Mapping[str, str],
                 sizes: Mapping[str, int], class_axis: int = 0, base: BaseValues | None = None,
                 changed: frozenset[str] = frozenset(), per_example_axis: int | None = None,
                 shared: Shared | None = None):
        self.values = values
        self.functions = functions  # open activation name → concrete one ('g1' → 'tanh')
        self.sizes = sizes
        self.class_axis = class_axis
        self.base = base
        self.changed = changed
        self.per_example_axis = per_example_axis
        self.largest_entry = 0  # bytes of the widest dense value per stack entry, for batching
        self.shared = shared    # unperturbed values shared across activations (no stack axis)

    def __call__(self, node: s.Node) -> np.ndarray:
        try:
            return dense(self.value(node))
        except MemoryError:  # what _refuse_beyond_limit did not foresee
            raise BadOptionError("these sizes are too large to check: evaluating the formula "
                                 "ran out of memory; declare smaller sizes (--NAME INT)") from None

    def value(self, node: s.Node):
        """The value of `node`, possibly kept as `LowRank` factors."""
        if self.base is not None and not (self.base.names(node) & self.changed):
            return self.base.value(node)
        compute = getattr(self, type(node).__name__.lower())
        if self.shared is not None and not isinstance(node, (s.Name, s.Number)):
            return self.shared.lookup(node, lambda: compute(node))
        result = compute(node)
        self.largest_entry = max(self.largest_entry, structured.entry_bytes(result))
        return result

    def name(self, node: s.Name):
        if node.id in self.values:
            return self.values[node.id]
        if node.id in self.sizes:
            return np.array([float(self.sizes[node.id])])
        if node.id in ("True", "False"):
            return np.array([1.0 if node.id == "True" else 0.0])
        raise KeyError(f"no value for {node.id}")

    def number(self, node: s.Number) -> np.ndarray:
        return np.array([node.value])

    def binop(self, node: s.BinOp):
        left, right = self.value(node.left), self.value(node.right)
        if structured.is_structured(left) or structured.is_structured(right):
            kept = structured.binary(node.op, _BINARY.get(node.op), left, right,
                                     self._base_of(node, left, right))
            if kept is not None:
                return kept
            left, right = dense(left), dense(right)
        if node.op == "@":
            return matmul(left, right)
        left, right = _aligned(left, right)
        _refuse_beyond_limit(np.broadcast_shapes(left.shape, right.shape))
        result = _BINARY[node.op](left, right)
        return result.astype(float) if result.dtype == bool else result

    def _base_of(self, node: s.Node, *operands):
        """The node's unperturbed value (structured values only arise with a base cache)."""
        return lambda: self.base.value(node)

    def neg(self, node: s.Neg):
        value = self.value(node.operand)
        kept = structured.negate(value)
        return kept if kept is not None else -value

    def transpose(self, node: s.Transpose):
        value = self.value(node.operand)
        kept = structured.transpose(value)
        return kept if kept is not None else transpose(value)

    def index(self, node: s.Index) -> np.ndarray:
        return np.array([float(self(node.operand).shape[1:][node.index])])

    def derivative(self, node: s.Derivative):
        bound = self.functions.get(node.func, node.func)
        if bound not in DERIVATIVES:  # softmax: its derivative is no element-wise function
            raise UnknownNameError(f"{node.func}'(...) is the derivative of {bound} here, which "
                                   "is not an element-wise function", None, node.span)
        return self._elementwise(DERIVATIVES[bound], node)

    def _elementwise(self, func, node: s.Node):
        value = self.value(node.args[0])
        if structured.is_structured(value):
            kept = structured.elementwise(func, value, self._base_of(node, value))
            if kept is not None:
                return kept
        return func(dense(value))

    def call(self, node: s.Call):
        func = self.functions.get(node.func, node.func)
        if func in ELEMENTWISE:
            return self._elementwise(ELEMENTWISE[func], node)
        if func in ("sum", "mean") and len(node.args) == 1 and not node.kwargs:
            value = self.value(node.args[0])
            if structured.is_structured(value):  # not made dense: it costs what it touches
                return self._structured_total(value, func == "mean")
            args = [value]
        else:  # np.sum(A, (0, 1)): a tuple after the first argument is axes, read from node
            args = [None if i and isinstance(a, s.Tuple) else self(a)
                    for i, a in enumerate(node.args)]
        if func == "softmax":
            axis = self._axis_value(node)
            axis = self.class_axis + 1 if axis is None else _stacked_axis(axis)
            # a vector (np.sum(A, axis=0) in layout rows) has no class axis: its only one;
            # a scalar's softmax is 1 (its stack axis holds perturbations, not classes)
            if args[0].ndim <= 1:
                return np.ones_like(args[0])
            return softmax(args[0], min(axis, args[0].ndim - 1))
        return getattr(self, "_" + func.replace(".", "_"))(node, args)

    def _structured_total(self, value, mean: bool) -> np.ndarray:
        """np.sum(E) or np.mean(E) of a structured E (per example, if asked, as _reduce)."""
        total = structured.total(value, self.per_example_axis)
        return total / value.base[0].size if mean else total

    def _keyword(self, node: s.Call, name: str):
        return next((k.value for k in node.kwargs if k.name == name), None)

    def _axis_value(self, node: s.Call):
        value = self._keyword(node, "axis")
        if value is None and len(node.args) > 1:
            value = node.args[1]
        if value is None or isinstance(value, s.Name):
            return None
        if isinstance(value, s.Tuple):
            return tuple(constant_int(i) for i in value.items)
        return constant_int(value)

    def _reduce(self, reducer, node: s.Call, args) -> np.ndarray:
        a = args[0]
        axis = self._axis_value(node)
        keep = self._keyword(node, "keepdims")
        keepdims = isinstance(keep, s.Name) and keep.id == "True" or (
            isinstance(keep, s.Number) and keep.value != 0)
        if axis is None and self.per_example_axis is not None and a.ndim > 1:
            # the cost as per-example losses: reduce every axis but the examples'
            axes = tuple(i for i in range(1, a.ndim) if i != self.per_example_axis + 1)
            result = np.sum(a, axis=axes)
            return result / a[0].size if reducer is np.mean else result
        if axis is None:
            axes = tuple(range(1, a.ndim))
        elif isinstance(axis, tuple):
            axes = tuple(_stacked_axis(x) for x in axis)
        else:
            axes = (_stacked_axis(axis),)
        return reducer(a, axis=axes, keepdims=keepdims)

    def _sum(self, node, args):
        return self._reduce(np.sum, node, args)

    def _mean(self, node, args):
        return self._reduce(np.mean, node, args)

    def _max(self, node, args):
        return self._reduce(np.max, node, args)

    def _min(self, node, args):
        return self._reduce(np.min, node, args)

    def _trace(self, node, args):
        return np.trace(args[0], axis1=-2, axis2=-1)

    def _linalg_inv(self, node, args):
        try:
            return np.linalg.inv(args[0])
        except np.linalg.LinAlgError:  # singular: no value, as 1/0 has none (a nan, not a raise)
            return np.stack([_inverse_or_nan(a) for a in args[0]])

    def _linalg_det(self, node, args):
        return np.linalg.det(args[0])

    def _linalg_norm(self, node, args):
        return np.sqrt(self._reduce(np.sum, node, [args[0] * args[0]]))

    def _outer(self, node, args):
        a, b = args
        _refuse_beyond_limit((max(a.shape[0], b.shape[0]), a[0].size, b[0].size))
        return a.reshape(a.shape[0], -1)[:, :, None] * b.reshape(b.shape[0], -1)[:, None, :]

    def _maximum(self, node, args):
        return np.maximum(*_broadcastable(*args))

    def _minimum(self, node, args):
        return np.minimum(*_broadcastable(*args))

    def _where(self, node, args):
        condition, a, b = _broadcastable(*args)
        return np.where(condition != 0, a, b).astype(float)

    def _ones_like(self, node, args):
        return np.ones_like(args[0])

    def _zeros_like(self, node, args):
        return np.zeros_like(args[0])

    def _eye(self, node, args):
        arg = node.args[0]
        n = self.sizes[arg.id] if isinstance(arg, s.Name) else constant_int(arg)
        _refuse_beyond_limit((n, n))
        return np.eye(n)[None]


def _inverse_or_nan(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.full_like(a, np.nan)


def _broadcastable(*values: np.ndarray) -> list[np.ndarray]:
    """`values` aligned, once their broadcast result is known to fit."""
    aligned = _aligned(*values)
    _refuse_beyond_limit(np.broadcast_shapes(*(v.shape for v in aligned)))
    return aligned


def _broadcast_shape(a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    a, b = _aligned(a, b)
    return np.broadcast_shapes(a.shape, b.shape)


def _stacked_axis(axis: int) -> int:
    """A logical axis as an axis of the stacked array (negative axes count from the end)."""
    return axis + 1 if axis >= 0 else axis


def transpose(a: np.ndarray) -> np.ndarray:
    return a.transpose((0,) + tuple(range(a.ndim - 1, 0, -1)))


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """numpy's `@` on stacked values, including its 1-D rules."""
    vector_left, vector_right = logical_ndim(a) == 1, logical_ndim(b) == 1
    if vector_left:
        a = a[:, None, :]
    if vector_right:
        b = b[:, :, None]
    a, b = _aligned(a, b)
    _refuse_beyond_limit(np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
                         + (a.shape[-2], b.shape[-1]))
    if a.ndim == 3 and b.ndim == 3 and (a.shape[0] == 1) != (b.shape[0] == 1):
        result = _stacked_matmul(a, b)  # one matrix product instead of one per stack entry
    else:
        result = np.matmul(a, b)
    if vector_right:
        result = result[..., 0]
    if vector_left:
        result = result[..., 0, :] if not vector_right else result[..., 0]
    return result


def _stacked_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(k, p, q) @ (1, q, r) or (1, p, q) @ (k, q, r) as a single 2-D product."""
    if b.shape[0] == 1:
        k, p, q = a.shape
        return (a.reshape(k * p, q) @ b[0]).reshape(k, p, -1)
    k, q, r = b.shape
    flat = a[0] @ b.transpose(1, 0, 2).reshape(q, k * r)
    return flat.reshape(-1, k, r).transpose(1, 0, 2)
