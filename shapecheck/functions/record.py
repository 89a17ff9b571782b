"""What a function record is: the fields every stage asks of a known function, and how the
stages write a call of one (`call`). The records themselves sit in the family modules
(records, reductions, linalg, constructors, reshaping, einsum), assembled in
`records.FUNCTIONS`.
"""
from __future__ import annotations

from typing import Callable, Container

from .. import syntax as s
from ..frozen import Record, record
from .rules import NOWHERE, Shape, ShapeCall


@record
class Function(Record):
    """One known function: how it is spelled and read, its shape rule, value, derivative,
    chain rule, domain and LaTeX (every stage asks here)."""
    name: str                           # as the stages write it: 'linalg.inv', 'sigmoid'
    aliases: tuple[str, ...] = ()       # numpy's other spellings: 'absolute', 'inv'
    numpy: bool = True                  # printed np.NAME (sigmoid, relu: bare)
    elementwise: bool = False
    arity: tuple[int, int] = (1, 1)
    keywords: frozenset[str] = frozenset()
    shape: Callable[[ShapeCall], Shape] | None = None  # None: element-wise, one argument
    value: Callable | None = None       # element-wise numpy value
    stacked: Callable | None = None     # (at, node, args) → value, on stacked arrays
    derivative: Callable | None = None  # element-wise numpy derivative
    chain: Callable | None = None       # (site, i, ops, g) → (gradient | None, words) | None
    bound_chain: Callable | None = None  # the rule through a model's name (g2 = this)
    operands: Callable | None = None    # node → the operands a gradient flows into
    positive: bool = False              # its argument is drawn > 0
    invertible: bool = False            # its argument is drawn identity-like, det > 0
    edge: str | None = None             # 'zero', 'minus one', 'singular': draws keep away
    kinked: bool = False                # switches somewhere: draws keep away from it
    latex: str | Callable | None = None  # a head (`\\tanh`) or (renderer, node) → text
    latex_transposed: Callable | None = None
    commands: tuple[str, ...] = ()      # LaTeX commands read as this function; a name in
    # a text font is given as \\operatorname{Tr} (and read so in \\text, \\mathrm too)
    scalar: bool = False                # its value is one number whatever its argument (det)
    slide: bool = False                 # `\\operatorname{ReLU}`, `Relu(z)`: any case
    linear: bool = False                # f(c * x) = c * f(x)
    total: str | None = None            # 'sum' or 'mean' of the entries it reduces
    method: bool = False                # also an array method, A.sum()
    creates: bool = False               # an array from a size alone, np.eye(n)
    activation: bool = False            # may be named as a layer's activation
    open_choice: bool = False           # an open activation is checked as each of these
    cross_entropy: str | None = None    # 'binary'/'categorical': pairs with that cost
    normalises: bool = False            # its output sums to one along an axis
    superscript: float | None = None    # slides write it as this power: A^{-1}
    dyad: bool = False                  # the matrix u v^T of two vectors
    unit: str | None = None             # the operator it is the unit of: eye for @
    # (call, args, derivative) → what a call with a second argument means, of the function
    # or its derivative: `leaky_relu(Z, a)` is `np.where(Z > 0, Z, a * Z)`
    sloped: Callable | None = None
    # the arguments read as written, not as arrays: sizes (np.ones((N, D)), x.reshape(N, -1)),
    # np.einsum's subscripts, .astype's type; their shape rule and value read the nodes
    written: Container[int] = ()
    types: bool = False                 # its written arguments are types: .astype(float)


# which names numpy has (printed np.NAME): filled once the records are assembled, so that the
# family modules' chain rules can write calls of each other's functions
_NUMPY: dict[str, bool] = {}


def register(records: tuple[Function, ...]) -> None:
    _NUMPY.update({f.name: f.numpy for f in records})


def call(func: str, *args: s.Node, **kwargs: s.Node) -> s.Call:
    """A call as shapecheck writes one: `np.` before numpy's functions."""
    keywords = tuple(s.Keyword(k, v, NOWHERE) for k, v in kwargs.items())
    return s.Call(func, args, keywords, NOWHERE, NOWHERE, namespaced=_NUMPY.get(func, False))
