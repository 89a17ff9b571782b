"""The trees of index notation that shapecheck.language.indices reads: plain data, one
class a construct, evaluated by shapecheck.numeric.indexed."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Sym:
    name: str
    at: int = 0


@dataclass(frozen=True)
class Entry:
    base: object
    indices: tuple[str, ...]
    at: int = 0
    bracketed: bool = False  # [W]_i: written as an entry, whatever W is


@dataclass(frozen=True)
class Bin:
    op: str  # '+', '-', 'prod' (juxtaposition, \cdot), '*' (element-wise), '/'
    left: object
    right: object


@dataclass(frozen=True)
class Neg:
    operand: object


@dataclass(frozen=True)
class Power:
    base: object
    exponent: float


@dataclass(frozen=True)
class Transposed:
    operand: object


@dataclass(frozen=True)
class Apply:
    func: str
    arg: object
    prime: bool  # f'(x): the derivative of f


@dataclass(frozen=True)
class Sum:
    index: str
    start: str | None
    end: str | None
    body: object


@dataclass(frozen=True)
class Delta:
    first: str
    second: str


@dataclass(frozen=True)
class Partial:
    """∂ body / ∂ var_{indices}: `body` is the numerator, or what the operator applies to."""
    body: object
    var: str
    indices: tuple[str, ...]
    at: int = 0
