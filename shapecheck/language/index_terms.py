"""The trees of index notation that shapecheck.language.indices reads: plain data, one
class a construct, evaluated by shapecheck.numeric.indexed."""
from __future__ import annotations

from dataclasses import replace

from ..frozen import Record, record


@record
class Num(Record):
    value: float


@record
class Sym(Record):
    name: str
    at: int = 0


@record
class Layered(Record):
    """A name with a layer, as the formula grammar names it (language.notation.layered):
    Nielsen's `w^l` is W, `a^{l-1}` a_prev, `\\delta^l` dz, `b^2` b2, the course's
    `W^{[l]}` W. The checker names the model's quantity at each layer before evaluating
    (`resolved`); `bare` when written with Nielsen's bare superscript (one example)."""
    name: str
    at: int = 0
    bare: bool = False


@record
class Entry(Record):
    base: object
    indices: tuple[str, ...]
    at: int = 0
    bracketed: bool = False  # [W]_i: written as an entry, whatever W is


@record
class Bin(Record):
    op: str  # '+', '-', 'prod' (juxtaposition, \cdot), '*' (element-wise), '/'
    left: object
    right: object


@record
class Neg(Record):
    operand: object


@record
class Power(Record):
    base: object
    exponent: float


@record
class Transposed(Record):
    operand: object


@record
class Apply(Record):
    func: str
    arg: object
    prime: bool  # f'(x): the derivative of f


@record
class Sum(Record):
    index: str
    start: str | None
    end: str | None
    body: object


@record
class Delta(Record):
    first: str
    second: str


@record
class Partial(Record):
    """∂ body / ∂ var_{indices}: `body` is the numerator, or what the operator applies to;
    `var` a name, or a Layered one until the checker names it at a layer."""
    body: object
    var: object
    indices: tuple[str, ...]
    at: int = 0


_CHILDREN = ("left", "right", "operand", "base", "arg")


def free_indices(node) -> set[str]:
    """The indices a member's value runs over: `free_indices(read_member('W_{kl}'))` →
    {'k', 'l'} (an index summed, or one a derivative's entry names, is not free)."""
    if isinstance(node, Entry):
        return free_indices(node.base) | set(node.indices)
    if isinstance(node, Delta):
        return {node.first, node.second}
    if isinstance(node, Sum):
        return free_indices(node.body) - {node.index}
    if isinstance(node, Partial):
        return free_indices(node.body) | set(node.indices)
    children = [getattr(node, f) for f in _CHILDREN if hasattr(node, f)]
    return set().union(*(free_indices(c) for c in children)) if children else set()


def uses_indices(node) -> bool:
    """True when a member is written in index notation: an entry of an expression
    (`[HW]_i`), a sum over a subscript, a delta, ∂ by an entry. A subscripted name alone
    is not enough (`W_{hh}`, `b_o` name quantities as often as they index them), nor is
    ∂J/∂W (the matrix notation the formula grammar reads)."""
    if isinstance(node, Delta) or isinstance(node, Partial) and node.indices:
        return True
    if isinstance(node, Entry) and (node.bracketed or not isinstance(node.base, Sym)):
        return True
    if isinstance(node, Sum) and node.index in free_indices(node.body):
        return True  # a sum over examples (\sum_{i=1}^{m} X, no X_i) is not index notation
    return any(uses_indices(getattr(node, f)) for f in _CHILDREN + ("body",) if hasattr(node, f))


def layered_in(node) -> list[Layered]:
    """The layered names of a member, and of the variables ∂ is taken by, in reading order."""
    if isinstance(node, Layered):
        return [node]
    found = [node.var] if isinstance(node, Partial) and isinstance(node.var, Layered) else []
    for f in _CHILDREN + ("body",):
        if hasattr(node, f):
            found += layered_in(getattr(node, f))
    return found


def resolved(node, name_of):
    """The member with each layered name (and ∂'s variable) replaced by the model's name
    `name_of(layered)` gives: `resolved(read_member('b^l_j'), lambda n: 'b2')` →
    Entry(Sym('b2'), ('j',))."""
    if isinstance(node, Layered):
        return Sym(name_of(node), node.at)
    if not hasattr(node, "__dataclass_fields__"):
        return node
    changed = {f: resolved(getattr(node, f), name_of) for f in _CHILDREN + ("body",)
               if hasattr(node, f)}
    if isinstance(node, Partial) and isinstance(node.var, Layered):
        changed["var"] = name_of(node.var)
    return replace(node, **changed) if changed else node
