"""Scalar expressions in a small canonical form: sums of products of atoms with rational
coefficients.

An atom is one entry of an array (`X[0,1]`), a size read as a scalar (`m`), an entry of a
gradient (`dZ2[0,1]`, `∂J/∂Z1[0,0]`), or a function of an expression (`g1'(Z1[0,0])`,
`log(1 - A2[0,0])`, `1/(A2[0,0] + Y[0,0])`). Its printed text is its identity: the text
of an expression is canonical (its terms and factors sorted), so two atoms that print the
same are the same atom. Two expressions are equal as polynomials exactly when their
canonical forms are equal; nothing is assumed about what an atom stands for.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Iterable


class Unexpandable(Exception):
    """What the toy cannot write out as scalars (a softmax, a comparison, a fractional
    power): said to the user in place of the toy."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, eq=False)
class Atom:
    """`kind`: 'entry' (an array's entry), 'size', 'gradient' (an entry of a gradient the
    formula names, `dZ2[0,1]`), 'partial' (`∂J/∂Z1[0,0]`), 'apply' (`func` of `arg`,
    differentiated `order` times) or 'reciprocal' (1 over `arg`)."""
    text: str
    kind: str
    name: str = ""
    index: tuple[int, ...] = ()
    arg: "Poly | None" = field(default=None, repr=False)
    order: int = 0

    def __eq__(self, other) -> bool:
        return isinstance(other, Atom) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def entry_text(name: str, index: tuple[int, ...]) -> str:
    """`X[0,1]`; a scalar array's one entry is its name alone (`J`)."""
    return f"{name}[{','.join(map(str, index))}]" if index else name


def entry(name: str, index: tuple[int, ...], kind: str = "entry") -> "Poly":
    return Poly.atom(Atom(entry_text(name, index), kind, name, tuple(index)))


def partial(name: str, index: tuple[int, ...], cost: str) -> "Poly":
    return Poly.atom(Atom(f"∂{cost}/∂{entry_text(name, index)}", "partial", name, tuple(index)))


def size(name: str) -> "Poly":
    return Poly.atom(Atom(name, "size", name))


def apply(func: str, arg: "Poly", order: int = 0) -> "Poly":
    """`func` (differentiated `order` times) of `arg`: `g1'(Z1[0,0])`."""
    text = f"{func}{chr(39) * order}({arg.show()})"
    return Poly.atom(Atom(text, "apply", func, arg=arg, order=order))


Monomial = tuple[tuple[Atom, int], ...]  # atoms sorted by text, each with its power


def _times(a: Monomial, b: Monomial) -> Monomial:
    powers: dict[Atom, int] = dict(a)
    for atom, power in b:
        powers[atom] = powers.get(atom, 0) + power
    return tuple(sorted(((t, p) for t, p in powers.items() if p), key=lambda item: _order(item[0])))


_RANK = {"partial": 0, "gradient": 0, "entry": 1, "size": 1, "apply": 2, "reciprocal": 2}


def _order(atom: Atom) -> tuple[int, str]:
    """Gradients first, then entries, then functions: `dZ1[0,0]*X[1,0]*g1'(Z1[0,0])`, as
    the chain rule writes its products."""
    return _RANK[atom.kind], atom.text


class Poly:
    """A sum of terms, each a rational coefficient times a monomial."""
    __slots__ = ("terms",)

    def __init__(self, terms: dict[Monomial, Fraction] | None = None):
        self.terms = {m: c for m, c in (terms or {}).items() if c}

    @staticmethod
    def const(value) -> "Poly":
        return Poly({(): Fraction(value)})

    @staticmethod
    def atom(atom: Atom) -> "Poly":
        return Poly({((atom, 1),): Fraction(1)})

    @staticmethod
    def of(value) -> "Poly":
        return value if isinstance(value, Poly) else Poly.const(value)

    # -- arithmetic (numpy's object arrays of Poly broadcast, multiply and sum with these)
    def __add__(self, other) -> "Poly":
        other = Poly.of(other)
        terms = dict(self.terms)
        for m, c in other.terms.items():
            terms[m] = terms.get(m, Fraction(0)) + c
        return Poly(terms)

    __radd__ = __add__

    def __neg__(self) -> "Poly":
        return Poly({m: -c for m, c in self.terms.items()})

    def __sub__(self, other) -> "Poly":
        return self + -Poly.of(other)

    def __rsub__(self, other) -> "Poly":
        return Poly.of(other) - self

    def __mul__(self, other) -> "Poly":
        other = Poly.of(other)
        terms: dict[Monomial, Fraction] = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                m = _times(m1, m2)
                terms[m] = terms.get(m, Fraction(0)) + c1 * c2
        return Poly(terms)

    __rmul__ = __mul__

    def __truediv__(self, other) -> "Poly":
        return self * Poly.of(other).reciprocal()

    def __rtruediv__(self, other) -> "Poly":
        return Poly.of(other) * self.reciprocal()

    def __pow__(self, power) -> "Poly":
        exponent = Fraction(power) if not isinstance(power, Poly) else power.constant()
        if exponent is None or exponent.denominator != 1:
            raise Unexpandable("a power that is not a whole number has no expansion as "
                               "sums of products")
        result = Poly.const(1)
        for _ in range(abs(int(exponent))):
            result = result * self
        return result if exponent >= 0 else result.reciprocal()

    def reciprocal(self) -> "Poly":
        """1/self: a term's inverse is its atoms' negative powers; a sum's is an atom."""
        if not self.terms:
            raise Unexpandable("the formula divides by zero")
        if len(self.terms) == 1:
            (m, c), = self.terms.items()
            return Poly({tuple((a, -p) for a, p in m): 1 / c})
        return Poly.atom(Atom(f"1/({self.show()})", "reciprocal", arg=self))

    # -- reading
    def constant(self) -> Fraction | None:
        if not self.terms:
            return Fraction(0)
        if list(self.terms) == [()]:
            return self.terms[()]
        return None

    def atoms(self) -> set[Atom]:
        return {a for m in self.terms for a, _ in m}

    def __eq__(self, other) -> bool:
        return isinstance(other, Poly) and self.terms == other.terms

    def __hash__(self) -> int:
        return hash(self.show())

    def diff(self, x: Atom, rule: Callable[[Atom, "Poly"], "Poly"]) -> "Poly":
        """∂self/∂x; `rule(atom, d_arg)` differentiates a function atom whose argument
        changes by d_arg (the chain rule's f'(u) * du)."""
        result = Poly()
        for m, c in self.terms.items():
            for i, (a, p) in enumerate(m):
                inner = Poly.const(1) if a == x else (
                    rule(a, a.arg.diff(x, rule)) if a.arg is not None and x in a.arg.depends()
                    else None)
                if inner is None:
                    continue
                rest = m[:i] + ((a, p - 1),) + m[i + 1:]
                rest = tuple((b, q) for b, q in rest if q)
                result = result + Poly({rest: c * p}) * inner
        return result

    def depends(self) -> set[Atom]:
        """Every atom this reads, within function arguments too."""
        found = set()
        for a in self.atoms():
            found.add(a)
            if a.arg is not None:
                found |= a.arg.depends()
        return found

    def value(self, of: Callable[[Atom], float]) -> float:
        total = 0.0
        for m, c in self.terms.items():
            term = float(c)
            for a, p in m:
                term *= of(a) ** p
            total += term
        return total

    # -- printing
    def show(self) -> str:
        """The canonical text, a common factor taken out: `1/m*(dZ1[0,0]*X[1,0] + ...)`."""
        if len(self.terms) < 2:
            return _sum(self.terms.items())
        factor, rest = self._common()
        if not factor:
            return _sum(self.terms.items())
        inner = _sum(rest.items())
        head = _product(factor[0], factor[1])
        return f"{head}*({inner})" if head not in ("1", "-1") else (
            f"-({inner})" if head == "-1" else inner)

    def _common(self):
        """The factor shared by every term (atoms at their lowest power, the coefficient of
        the first term when all are its multiples by whole numbers), and what remains."""
        monomials = list(self.terms)
        shared = {a: p for a, p in monomials[0]}
        for m in monomials[1:]:
            powers = dict(m)
            shared = {a: min(p, powers[a]) if p > 0 else max(p, powers[a])
                      for a, p in shared.items() if a in powers and (p > 0) == (powers[a] > 0)}
        coefficients = list(self.terms.values())
        first = coefficients[0]
        scale = Fraction(abs(first.numerator), first.denominator)
        if any((c / scale).denominator != 1 for c in coefficients) or scale == 1:
            scale = Fraction(1)
        if first < 0 and all(c < 0 for c in coefficients):
            scale = -scale
        common = tuple(sorted(shared.items(), key=lambda item: _order(item[0])))
        if not common and scale == 1:
            return None, self.terms
        inverse = tuple((a, -p) for a, p in common)
        rest = {_times(m, inverse): c / scale for m, c in self.terms.items()}
        return (common, scale), rest

    def __repr__(self) -> str:
        return f"Poly({self.show()})"


def _product(monomial: Monomial, coefficient: Fraction) -> str:
    """`-1/m*Y[0,0]`, `2*X[0,0]**2`, `dZ1[0,0]/(m*n1)`."""
    up = [a.text + (f"**{p}" if p > 1 else "") for a, p in monomial if p > 0]
    # 1 over a reciprocal is its sum, written in the numerator
    up += [f"({a.arg.show()})" + (f"**{-p}" if p < -1 else "") for a, p in monomial
           if p < 0 and a.kind == "reciprocal"]
    down = [a.text + (f"**{-p}" if p < -1 else "") for a, p in monomial
            if p < 0 and a.kind != "reciprocal"]
    sign = "-" if coefficient < 0 else ""
    number, over = abs(coefficient.numerator), coefficient.denominator
    head = up if number == 1 and up else [str(number)] + up
    text = "*".join(head)
    below = ([str(over)] if over != 1 else []) + down
    if below:
        text += "/" + (below[0] if len(below) == 1 else f"({'*'.join(below)})")
    return sign + text


def _sum(terms: Iterable[tuple[Monomial, Fraction]]) -> str:
    # a constant first (`1 - A2[0,0]`), then the terms by their atoms
    ordered = sorted(terms, key=lambda item: (len(item[0]) != 0, [_order(a) for a, _ in item[0]]))
    if not ordered:
        return "0"
    text = ""
    for i, (m, c) in enumerate(ordered):
        piece = _product(m, c)
        if i == 0:
            text = piece
        elif piece.startswith("-"):
            text += f" - {piece[1:]}"
        else:
            text += f" + {piece}"
    return text
