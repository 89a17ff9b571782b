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

from .. import functions
from .. import syntax as s
from ..numeric import structured
from ..errors import BadOptionError, UnknownNameError
from .structured import dense


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


class Shared:
    """Values that every binding of the open activations shares (one model, sizes and
    draw): sub-expressions that no open activation touches, computed once."""

    def __init__(self, independent: Callable[[s.Node], bool]):
        self.independent = independent
        self._values: dict[int, np.ndarray] = {}
        self._independent: dict[int, bool] = {}
        # what the finite differences find of the model's structure on this draw, which no
        # element-wise activation changes: the axis its examples run along in a quantity
        # (numeric.differences), whether taking a gradient by groups pays
        self.structure: dict[tuple, object] = {}

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
        found = self._names.get(key)
        if found is None:  # from the children's, each found once, not by a walk per node
            found = (frozenset((node.id,)) if isinstance(node, s.Name) else
                     frozenset().union(*(self.names(child) for child in s.children(node))))
            self._names[key] = found
        return found


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
        record = functions.lookup(bound)
        if record is None or record.derivative is None:  # softmax: no element-wise derivative
            raise UnknownNameError(f"{node.func}'(...) is the derivative of {bound} here, which "
                                   "is not an element-wise function", None, node.span)
        return self._elementwise(record.derivative, node)

    def _elementwise(self, func, node: s.Node):
        value = self.value(node.args[0])
        if structured.is_structured(value):
            kept = structured.elementwise(func, value, self._base_of(node, value))
            if kept is not None:
                return kept
        return func(dense(value))

    def call(self, node: s.Call):
        """A known function's value is in its record (shapecheck.functions); it is called
        with this evaluator (`limit`, `broadcastable`, `sizes`, `class_axis`,
        `per_example_axis`)."""
        record = functions.lookup(self.functions.get(node.func, node.func))
        if record is None:
            raise KeyError(f"no function {node.func}")
        if record.elementwise:
            return self._elementwise(record.value, node)
        if record.total and len(node.args) == 1 and not node.kwargs:
            value = self.value(node.args[0])
            if structured.is_structured(value):  # not made dense: it costs what it touches
                return self._structured_total(value, record.total == "mean")
            args = [value]
        else:  # np.sum(A, (0, 1)): a tuple after the first argument is axes, read from node;
            # an argument read as written (a size, a string) is read by the record from node
            args = [None if functions.written(node, i) or (i and isinstance(a, s.Tuple))
                    else self(a) for i, a in enumerate(node.args)]
        return record.stacked(self, node, args)

    def _structured_total(self, value, mean: bool) -> np.ndarray:
        """np.sum(E) or np.mean(E) of a structured E (per example, if asked, as a total)."""
        total = structured.total(value, self.per_example_axis)
        return total / value.base[0].size if mean else total

    @staticmethod
    def limit(shape: tuple[int, ...]) -> None:
        _refuse_beyond_limit(shape)

    @staticmethod
    def broadcastable(*values: np.ndarray) -> list[np.ndarray]:
        """`values` aligned, once their broadcast result is known to fit."""
        aligned = _aligned(*values)
        _refuse_beyond_limit(np.broadcast_shapes(*(v.shape for v in aligned)))
        return aligned


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
