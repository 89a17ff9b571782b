"""A small simplifier for derived formulas: the readability rules people expect.

Constant factors (numbers and sizes, `1/m`, `2`, `-1`) are gathered and put in front
(`1/m * dZ1 @ X.T`); `x.T.T`, `1 * x`, `x * 1`, `0 + x`, `x ** 1`, `np.eye(n) @ x` and a
redundant `np.ones_like(...)` go away; a transpose of a product is pushed inside
(`(a.T @ X).T` is `X.T @ a`); equal terms are added (`A @ x + A @ x` is `2 * A @ x`) and a
common factor is taken out (`A @ x + A.T @ x` is `(A + A.T) @ x`). Every rule keeps the
value of the formula, broadcasting included. Nodes built here carry the span (0, 0).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable

from .. import syntax as s
from .. import functions
from ..frozen import Record, record
from ..language.printer import to_numpy

NOWHERE = (0, 0)
_CHAIN = ("@", "*", "/")          # one precedence level, left to right


@record
class Coef(Record):
    """A constant factor: a rational number times a product of sizes to integer powers."""
    value: Fraction
    sizes: tuple[tuple[str, int], ...] = ()

    def __mul__(self, other: "Coef") -> "Coef":
        powers = dict(self.sizes)
        for name, power in other.sizes:
            powers[name] = powers.get(name, 0) + power
        return Coef(self.value * other.value, tuple(sorted((n, p) for n, p in powers.items() if p)))

    def inverse(self) -> "Coef":
        return Coef(1 / self.value, tuple((n, -p) for n, p in self.sizes))

    def __neg__(self) -> "Coef":
        return Coef(-self.value, self.sizes)

    def power(self, k: int) -> "Coef":
        return Coef(self.value ** k, tuple((n, p * k) for n, p in self.sizes))

    @property
    def zero(self) -> bool:
        return self.value == 0

    @property
    def one(self) -> bool:
        return self.value == 1 and not self.sizes


ONE = Coef(Fraction(1))


def number(value) -> s.Number:
    value = Fraction(value)
    text = str(value.numerator) if value.denominator == 1 else str(float(value))
    return s.Number(float(value), text, NOWHERE)


def coefficient_node(c: Coef) -> s.Node:
    """2 → `2`; 1/m → `1/m`; -1/m → `-1/m`; m → `m`; 1/2 → `1/2`."""
    def product(factors: list[s.Node]) -> s.Node | None:
        result = None
        for f in factors:
            result = f if result is None else s.BinOp("*", result, f, NOWHERE, NOWHERE)
        return result

    def power(name: str, p: int) -> s.Node:
        base = s.Name(name, NOWHERE)
        return base if p == 1 else s.BinOp("**", base, number(p), NOWHERE, NOWHERE)

    value = c.value
    top = [power(n, p) for n, p in c.sizes if p > 0]
    bottom = [power(n, -p) for n, p in c.sizes if p < 0]
    count = abs(value.numerator)
    if count != 1 or not top:
        top.insert(0, number(count))
    if value.denominator != 1:
        bottom.insert(0, number(value.denominator))
    if value < 0 and isinstance(top[0], s.Number):
        top[0] = s.Number(-float(count), f"-{count}", NOWHERE)  # -1/m, -2 * m
    numerator = product(top)
    if value < 0 and not isinstance(top[0], s.Number):
        numerator = s.Neg(numerator, NOWHERE)  # -m
    if not bottom:
        return numerator
    return s.BinOp("/", numerator, product(bottom), NOWHERE, NOWHERE)


def _fraction(value: float) -> Fraction:
    """0.5 → 1/2, 0.1 → 1/10 (as written); a value with no short fraction stays exact."""
    exact = Fraction(value)
    short = exact.limit_denominator(10**6)
    return short if abs(short - exact) <= 1e-12 * max(1, abs(exact)) else exact


def _is_one(node: s.Node) -> bool:
    return isinstance(node, s.Number) and node.value == 1


class Simplifier:
    """`sizes`: the names that are sizes (scalars that fold into constant factors);
    `shape_of(node)`: its shape, or None where unknown (rules that need one then stay off)."""

    def __init__(self, sizes, shape_of: Callable[[s.Node], tuple | None] | None = None):
        self.sizes = set(sizes)
        self.shape_of = shape_of or (lambda node: None)

    def __call__(self, node: s.Node) -> s.Node:
        return self.build(*self.norm(node))

    # -- (constant factor, rest): rest None means the node is the constant alone
    def norm(self, node: s.Node) -> tuple[Coef, s.Node | None]:
        if isinstance(node, s.Number):
            return Coef(_fraction(node.value)), None
        if isinstance(node, s.Name):
            return (Coef(Fraction(1), ((node.id, 1),)), None) if node.id in self.sizes else (ONE, node)
        if isinstance(node, s.Neg):
            c, rest = self.norm(node.operand)
            return -c, rest
        if isinstance(node, s.Transpose):
            c, rest = self.norm(node.operand)
            return c, None if rest is None else self.transpose(rest)
        if isinstance(node, s.BinOp):
            return self.binop(node)
        if isinstance(node, s.Call):
            return self.call(node)
        if isinstance(node, s.Derivative):
            return ONE, s.Derivative(node.func, tuple(self(a) for a in node.args), node.span,
                                     node.func_span)
        return ONE, node

    def binop(self, node: s.BinOp) -> tuple[Coef, s.Node | None]:
        if node.op in ("+", "-"):
            return self.add(node.op, self.norm(node.left), self.norm(node.right))
        if node.op == "**":
            return self.power(node)
        if node.op not in _CHAIN:  # comparisons
            return ONE, s.BinOp(node.op, self(node.left), self(node.right), NOWHERE, NOWHERE)
        (c1, r1), (c2, r2) = self.norm(node.left), self.norm(node.right)
        if node.op == "/":
            if c2.zero:
                return ONE, s.BinOp("/", self.build(c1, r1), self.build(c2, r2), NOWHERE, NOWHERE)
            c = c1 * c2.inverse()
            if r2 is None:
                return c, r1
            return c, s.BinOp("/", r1 if r1 is not None else number(1), r2, NOWHERE, NOWHERE)
        c = c1 * c2
        if c.zero:
            return c, None
        if r1 is None or r2 is None:
            return c, r1 if r2 is None else r2
        if node.op == "@":
            return c, self.matmul(r1, r2)
        return c, self.multiply(r1, r2)

    def matmul(self, a: s.Node, b: s.Node) -> s.Node:
        if functions.is_unit(a, "@"):  # np.eye(n) @ x is x
            return b
        if functions.is_unit(b, "@"):
            return a
        return s.BinOp("@", a, b, NOWHERE, NOWHERE)

    def multiply(self, a: s.Node, b: s.Node) -> s.Node:
        """`a * np.ones_like(x)` is `a` where `a` already has the product's shape."""
        for one_over, other in ((a, b), (b, a)):  # (1 / d) * x is x / d
            if isinstance(one_over, s.BinOp) and one_over.op == "/" and _is_one(one_over.left):
                return s.BinOp("/", other, one_over.right, NOWHERE, NOWHERE)
        product = s.BinOp("*", a, b, NOWHERE, NOWHERE)
        for keep, other in ((a, b), (b, a)):
            if functions.is_unit(other, "*"):
                wanted, own = self.shape_of(product), self.shape_of(keep)
                if wanted is not None and wanted == own:
                    return keep
        return product

    def power(self, node: s.BinOp) -> tuple[Coef, s.Node | None]:
        exponent = node.right
        c, rest = self.norm(node.left)
        if isinstance(exponent, s.Number) and float(exponent.value).is_integer():
            k = int(exponent.value)
            if k == 0:
                return ONE, None if rest is None else functions.call(functions.unit("*").name,
                                                                     rest)
            if k == 1:
                return c, rest
            if k > 0:
                return c.power(k), None if rest is None else s.BinOp(
                    "**", rest, number(k), NOWHERE, NOWHERE)
        return ONE, s.BinOp("**", self.build(c, rest), self(exponent), NOWHERE, NOWHERE)

    def add(self, op: str, left, right) -> tuple[Coef, s.Node | None]:
        (c1, r1), (c2, r2) = left, right
        if op == "-":
            c2 = -c2
        if c2.zero:
            return c1, r1
        if c1.zero:
            return c2, r2
        if r1 is None and r2 is None and c1.sizes == c2.sizes:
            return Coef(c1.value + c2.value, c1.sizes), None
        if r1 is not None and r2 is not None and c1.sizes == c2.sizes and _same(r1, r2):
            total = Coef(c1.value + c2.value, c1.sizes)
            return (total, None) if total.zero else (total, r1)
        factored = self.factor(c1, r1, c2, r2)
        if factored is not None:
            return factored
        if c1 == c2 and r1 is not None and r2 is not None:
            return c1, s.BinOp("+", r1, r2, NOWHERE, NOWHERE)
        if c1 == -c2 and r1 is not None and r2 is not None:
            return c1, s.BinOp("-", r1, r2, NOWHERE, NOWHERE)
        a, b = self.build(c1, r1), self.build(c2, r2)
        if c1.value < 0 < c2.value:  # -k * a + b is b - k * a
            return ONE, s.BinOp("-", b, self.build(-c1, r1), NOWHERE, NOWHERE)
        if c2.value < 0:  # a + (-k) * b is a - k * b
            return ONE, s.BinOp("-", a, self.build(-c2, r2), NOWHERE, NOWHERE)
        return ONE, s.BinOp("+", a, b, NOWHERE, NOWHERE)

    def factor(self, c1, r1, c2, r2):
        """`A @ X + B @ X` → `(A + B) @ X`, and `X @ A + X @ B` → `X @ (A + B)`."""
        if not (isinstance(r1, s.BinOp) and isinstance(r2, s.BinOp) and r1.op == r2.op == "@"):
            return None
        if _same(r1.right, r2.right):
            inner = self.add("+", (c1, r1.left), (c2, r2.left))
            return inner[0], self.matmul(self.build(ONE, inner[1]), r1.right) if inner[1] is not None else None
        if _same(r1.left, r2.left):
            inner = self.add("+", (c1, r1.right), (c2, r2.right))
            return inner[0], self.matmul(r1.left, self.build(ONE, inner[1])) if inner[1] is not None else None
        return None

    def call(self, node: s.Call) -> tuple[Coef, s.Node | None]:
        kwargs = tuple(s.Keyword(k.name, self(k.value), k.span) for k in node.kwargs)
        record = functions.lookup(node.func)
        if record is not None and record.linear and len(node.args) == 1:  # f(c * x) = c * f(x)
            c, rest = self.norm(node.args[0])
            if rest is None:
                if record.total is None:  # np.trace(c) of a scalar is no scalar total
                    return ONE, s.Call(node.func, (self.build(c, rest),), kwargs, NOWHERE,
                                       NOWHERE, node.method, _namespaced(node))
                return c, None  # the sum or mean of a constant scalar is itself
            return c, s.Call(node.func, (rest,), kwargs, NOWHERE, NOWHERE, node.method,
                             _namespaced(node))
        args = tuple(self(a) for a in node.args)
        return ONE, s.Call(node.func, args, kwargs, NOWHERE, NOWHERE, node.method,
                           _namespaced(node))

    # -- transposes
    def transpose(self, node: s.Node) -> s.Node:
        if isinstance(node, s.Transpose):
            return node.operand
        if functions.is_unit(node, "@") or isinstance(node, s.Number):
            return node  # the identity matrix is symmetric
        if functions.is_unit(node, "*"):  # ones shaped like x, transposed: ones like x.T
            return functions.call(node.func, self.transpose(node.args[0]))
        if isinstance(node, s.Neg):
            return s.Neg(self.transpose(node.operand), NOWHERE)
        if isinstance(node, s.BinOp) and node.op == "@":
            return s.BinOp("@", self.transpose(node.right), self.transpose(node.left),
                           NOWHERE, NOWHERE)
        if isinstance(node, s.BinOp) and node.op in ("+", "-", "*", "/") and self._square_free(node):
            return s.BinOp(node.op, self.transpose(node.left), self.transpose(node.right),
                           NOWHERE, NOWHERE)
        shape = self.shape_of(node)
        if shape is not None and len(shape) < 2:
            return node  # a transpose of a vector or a scalar changes nothing
        return s.Transpose(node, NOWHERE)

    def _square_free(self, node: s.BinOp) -> bool:
        """An element-wise operation whose operands are both 2-D (or scalars), so that its
        transpose is the operation of the transposes, and which has a transpose inside to
        cancel."""
        shapes = [self.shape_of(node.left), self.shape_of(node.right)]
        if any(sh is None or len(sh) not in (0, 2) for sh in shapes):
            return False
        return any(isinstance(n, s.Transpose) for n in s.walk(node))

    # -- the constant factor back in front
    def build(self, c: Coef, rest: s.Node | None) -> s.Node:
        if rest is None or c.zero:
            return coefficient_node(c) if not c.zero else number(0)
        if c.one:
            return rest
        if c.value == -1 and not c.sizes:
            return _negate(rest)
        return _in_front(coefficient_node(c), rest)


def _in_front(coef: s.Node, node: s.Node, below_product: bool = False) -> s.Node:
    """`c * (a @ b)` written `c * a @ b`: the factor at the head of a chain of @ * /; but
    `c * (a * b) @ d` keeps its bracket (an element-wise product inside a matrix product)."""
    if isinstance(node, s.BinOp) and node.op in _CHAIN and not (below_product and node.op == "*"):
        inner = _in_front(coef, node.left, below_product or node.op == "@")
        return s.BinOp(node.op, inner, node.right, NOWHERE, NOWHERE)
    if _is_one(node):
        return coef  # 1 / x → c / x
    return s.BinOp("*", coef, node, NOWHERE, NOWHERE)


def _negate(node: s.Node) -> s.Node:
    if isinstance(node, s.BinOp) and node.op == "-":
        return s.BinOp("-", node.right, node.left, NOWHERE, NOWHERE)  # -(a - b) is b - a
    if isinstance(node, s.BinOp) and node.op in _CHAIN and not _is_one(node.left):
        return s.BinOp(node.op, _negate(node.left), node.right, NOWHERE, NOWHERE)
    if isinstance(node, s.Neg):
        return node.operand
    return s.Neg(node, NOWHERE)


def _namespaced(node: s.Call) -> bool:
    """`np.sum(...)`, never the ambiguous `sum(...)`, in a formula shapecheck writes."""
    return node.namespaced or functions.namespaced(node.func)


def _same(a: s.Node, b: s.Node) -> bool:
    return to_numpy(a) == to_numpy(b)


def simplify(node: s.Node, sizes=(), shape_of=None) -> s.Node:
    """`simplify(parse('x = 1 * (a.T).T + 0').rhs)` → `a`."""
    return Simplifier(sizes, shape_of)(node)
