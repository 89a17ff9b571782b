"""The known pairings, recognised by pattern over a model's cost.

A sigmoid output under the binary cross-entropy, and a softmax output under the
cross-entropy (labels normalised along the softmax's axis), give the gradient at the
activation's input at once: `A - Y`, times the cost's constant factor. The chain rule
through them is right too, but long (`dA2 * sigmoid'(Z2)` with `dA2` a sum of quotients);
the course, and everyone, writes `dZ2 = A2 - Y`.
"""
from __future__ import annotations

from fractions import Fraction

from .. import functions
from .. import syntax as s
from .chain import name, op
from ..frozen import Record, record
from ..models.model import Model
from ..language.printer import to_numpy
from ..shapes import Shape
from .simplify import ONE, Coef, Simplifier, coefficient_node


@record
class Pairing(Record):
    """`A = f(Z)` under the cost: dJ/dZ is `gradient` (say `1/m * (A2 - Y)`)."""
    gradient: s.Node
    words: str


def pairings(model: Model, sizes) -> dict[str, Pairing]:
    """Each output `A = sigmoid(Z)` (`A = softmax(Z, axis=k)`) read only by a cost with one
    term `c * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))` (`c * np.sum(Y * np.log(A))`),
    or a mean instead of the sum, maps to its Pairing: dJ/dZ is `-c * (A - Y)`."""
    cost = model.equations[-1]
    terms = _terms(cost.rhs, ONE)
    simplifier = Simplifier(sizes)
    found = {}
    for i, eq in enumerate(model.equations[:-1]):
        rhs, out = eq.rhs, eq.lhs.id
        if not isinstance(rhs, s.Call) or not rhs.args:
            continue
        func = model.fixed_functions.get(rhs.func, rhs.func)
        record = functions.lookup(func)
        if record is None or record.cross_entropy is None:
            continue
        binary = record.cross_entropy == "binary"
        if any(out in model.uses[j] for j in range(len(model.equations) - 1) if j != i):
            continue
        reading = [(sign, term) for sign, term in terms if _reads(term, out)]
        if len(reading) != 1:
            continue
        sign, term = reading[0]
        scaled = _scaled_total(term, simplifier, model.shapes[out])
        if scaled is None:
            continue
        coef, inside = scaled
        label = _cross_entropy(inside, out, binary=binary)
        if label is None or label not in model.inputs:
            continue
        if record.normalises and (label not in model.labels or model.label_axis
                                  != functions.arguments(rhs).one_axis(model.class_axis)):
            continue  # A - Y needs every label column to sum to 1
        factor = -(coef * sign)
        gradient = op("-", name(out), name(label))
        if not factor.one:
            gradient = op("*", coefficient_node(factor), gradient)
        kind = f"a {func} output under the {'binary ' if binary else ''}cross-entropy"
        written = f" ({rhs.func} is the {func})" if rhs.func != func else ""
        words = (f"{kind} {model.cost}{written}, a known pairing: the gradient at the "
                 f"{func}'s input is {out} - {label}")
        if not factor.one:
            words += f" times the cost's factor {to_numpy(coefficient_node(factor))}"
        found[out] = Pairing(gradient, words)
    return found


def _reads(node: s.Node, var: str) -> bool:
    return any(isinstance(n, s.Name) and n.id == var for n in s.walk(node))


def _terms(node: s.Node, sign: Coef) -> list[tuple[Coef, s.Node]]:
    if isinstance(node, s.BinOp) and node.op in ("+", "-"):
        right = sign if node.op == "+" else -sign
        return _terms(node.left, sign) + _terms(node.right, right)
    return [(sign, node)]


def _count(dims) -> Coef:
    """The number of entries of an array of these dimensions, as a constant factor."""
    count = ONE
    for d in dims:
        count = count * (Coef(Fraction(1), ((d, 1),)) if isinstance(d, str) else Coef(Fraction(d)))
    return count


def _axis(node: s.Call) -> int | None:
    """The one axis of `np.sum(E, axis=k)` written as a keyword."""
    if not node.kwargs or node.kwargs[0].name != "axis":
        return None
    axis = functions.arguments(node).axis
    return axis[0] if axis is not None and len(axis) == 1 else None


def _scaled_total(node: s.Node, simplifier: Simplifier, shape: Shape) -> tuple[Coef, s.Node] | None:
    """`-1/m * np.sum(E)` → (-1/m, E); `np.mean(E)` → (1/N, E) for N entries;
    `np.mean(np.sum(E, axis=1))` → (1/m, E) for E of shape (m, c)."""
    if functions.total(node) and len(node.args) == 1 and not node.kwargs:
        inner = node.args[0]
        kept = list(shape)
        if functions.total(inner) == "sum" and len(inner.args) == 1 \
                and _axis(inner) is not None and len(inner.kwargs) == 1:
            del kept[_axis(inner) % len(shape)]  # a total of sums is the total
            inner = inner.args[0]
        return (ONE if functions.total(node) == "sum" else _count(kept).inverse()), inner
    if isinstance(node, s.Neg):
        found = _scaled_total(node.operand, simplifier, shape)
        return None if found is None else (-found[0], found[1])
    if isinstance(node, s.BinOp) and node.op in ("*", "/"):
        for const, other in ((node.right, node.left), (node.left, node.right)):
            if node.op == "/" and const is node.left:
                continue
            c, rest = simplifier.norm(const)
            if rest is None and not c.zero:
                found = _scaled_total(other, simplifier, shape)
                if found is not None:
                    return found[0] * (c if node.op == "*" else c.inverse()), found[1]
    return None


def _log_of(node: s.Node) -> s.Node | None:
    if isinstance(node, s.Call) and node.func == "log" and len(node.args) == 1:
        return node.args[0]
    return None


def _one_minus(node: s.Node | None) -> s.Node | None:
    if isinstance(node, s.BinOp) and node.op == "-" and isinstance(node.left, s.Number) \
            and node.left.value == 1:
        return node.right
    return None


def _label_times_log(node: s.Node, inner) -> s.Node | None:
    """`Y * np.log(X)` (either order) where `inner(X)` holds → the label `Y`."""
    if not (isinstance(node, s.BinOp) and node.op == "*"):
        return None
    for label, log in ((node.left, node.right), (node.right, node.left)):
        x = _log_of(log)
        if x is not None and inner(x):
            return label
    return None


def _cross_entropy(node: s.Node, out: str, binary: bool) -> str | None:
    """The label's name where `node` is `Y * log(A)`, or (binary) `Y * log(A) + (1 - Y) *
    log(1 - A)`, the terms and factors in any order."""
    def is_out(x):
        return isinstance(x, s.Name) and x.id == out

    if not binary:
        label = _label_times_log(node, is_out)
        return label.id if isinstance(label, s.Name) else None
    if not (isinstance(node, s.BinOp) and node.op == "+"):
        return None
    for first, second in ((node.left, node.right), (node.right, node.left)):
        label = _label_times_log(first, is_out)
        other = _one_minus(_label_times_log(second, lambda x: is_out(_one_minus(x))))
        if isinstance(label, s.Name) and isinstance(other, s.Name) and other.id == label.id:
            return label.id
    return None
