"""The function table: what each known function is, asked by every stage.

The records (one per function, `record.Function`) sit in `records.py` and its family modules
(`reductions.py`, `linalg.py`, `constructors.py`, `reshaping.py`, `einsum.py`), assembled in
`records.FUNCTIONS`; `rules.py` holds the pieces they are written with. May import only
`syntax`, `errors` and numpy; imported by language/ and above.
"""
from __future__ import annotations


from .record import Function, call
from .records import FUNCTIONS, OPERATOR_METHODS, OPERATORS, elementwise_chain
from .reductions import (Arguments, arguments, kept_axis, kept_written, reduces_whole,
                         with_axis)
from ..errors import closest_names
from ..syntax import Call
from .rules import (Shape, ShapeCall, ShapeProblem, Underivable, broadcast, constant_int, show,
                    stacked_axis)

_TABLE: dict[str, Function] = {f.name: f for f in FUNCTIONS}
_SPELLINGS: dict[str, Function] = {**{a: f for f in FUNCTIONS for a in f.aliases}, **_TABLE}
_COMMANDS: dict[str, Function] = {c: f for f in FUNCTIONS for c in f.commands}


def lookup(name: str) -> Function | None:
    """`lookup('amax')` → the record of `max`; None for a name no record has."""
    return _SPELLINGS.get(name)


def canonical(name: str) -> str:
    """`canonical('inv')` → 'linalg.inv'; a name no record spells, as it is."""
    record = _SPELLINGS.get(name)
    return record.name if record is not None else name


def closest(name: str, count: int = 3) -> list[str]:
    """The known functions spelled most like `name`, closest first: `closest('tanhh')` →
    ['tanh', ...]; each function once, as the table names it."""
    words = sorted(_SPELLINGS)
    found: list[str] = []
    for spelling in closest_names(name.lower(), words, count=count * 3):
        record = _SPELLINGS[spelling].name
        if record not in found:
            found.append(record)
    return found[:count]


def sloped(name: str, derivative: bool = False):
    """How a call of `name` with a second argument (a slope) is spelled out, or None:
    `sloped('leaky_relu')(call, args)` → `np.where(Z > 0, Z, a * Z)`."""
    record = _SPELLINGS.get(name)
    if record is None or record.sloped is None:
        return None
    return lambda node, args: record.sloped(node, args, derivative)


def known(name: str) -> bool:
    return name in _TABLE


def elementwise(name: str) -> bool:
    record = _TABLE.get(name)
    return record is not None and record.elementwise


def namespaced(name: str) -> bool:
    """Whether shapecheck writes `np.` before it."""
    record = _TABLE.get(name)
    return record is not None and record.numpy


def command(latex: str) -> Function:
    """`command('\\\\sigma')` → the record of `sigmoid`."""
    return _COMMANDS[latex]


def text_command(name: str) -> Function | None:
    """The record a name in a text font spells: `\\operatorname{Tr}`, `\\text{Tr}` and
    `\\mathrm{tr}` → the record of trace (the spellings its `commands` give); else None."""
    return _COMMANDS.get(f"\\operatorname{{{name}}}")


def scalar_valued(node) -> bool:
    """Whether the call `node` is one number whatever its argument's shape: det, trace, and
    a reduction with no axis (np.sum(A), np.linalg.norm(A))."""
    record = _TABLE.get(node.func) if isinstance(node, Call) else None
    if record is None:
        return False
    if record.scalar:
        return True
    return reduces_whole(record.keywords, node)


def slide_name(name: str) -> str:
    """`Relu` → 'relu': a name the slides write in any case; other names as they are."""
    record = _SPELLINGS.get(name.lower())
    return record.name if record is not None and record.slide else name


def methods() -> tuple[str, ...]:
    """The array methods shapecheck reads (`A.sum()`, `A.dot(B)`)."""
    return tuple(f.name for f in FUNCTIONS if f.method) + OPERATOR_METHODS


def operator(name: str) -> tuple[str, int] | None:
    """`operator('matmul')` → ('@', 2): a numpy function that is an operator."""
    return OPERATORS.get(name)


def total(node) -> str | None:
    """'sum' or 'mean' where `node` is a call of a total (np.sum, np.mean), else None."""
    record = _TABLE.get(node.func) if isinstance(node, Call) else None
    return record.total if record is not None else None


def unit(operator: str) -> Function:
    """`unit('@')` → the record of `eye`: the array `operator` leaves its other operand as."""
    return next(f for f in FUNCTIONS if f.unit == operator)


def is_unit(node, operator: str) -> bool:
    """`np.eye(n)` for `@`, `np.ones_like(x)` for `*`."""
    record = _TABLE.get(node.func) if isinstance(node, Call) else None
    return record is not None and record.unit == operator


def superscripted(power: float) -> Function | None:
    """`superscripted(-1)` → the record of the inverse: `A^{-1}` on a slide."""
    return next((f for f in FUNCTIONS if f.superscript == power), None)


def dyad() -> Function:
    """The function that makes the matrix u v^T of two vectors."""
    return next(f for f in FUNCTIONS if f.dyad)


def activations() -> tuple[str, ...]:
    """The functions a layer's activation may be named as."""
    return tuple(f.name for f in FUNCTIONS if f.activation)


def open_activations() -> tuple[str, ...]:
    """An open activation is checked as each of these (SPEC: at least tanh, sigmoid, softplus)."""
    return tuple(f.name for f in FUNCTIONS if f.open_choice)


def cross_entropy_outputs() -> tuple[str, ...]:
    """The output activations a cross-entropy cost pairs with, the binary one first."""
    return tuple(sorted((f.name for f in FUNCTIONS if f.cross_entropy),
                        key=lambda name: lookup(name).cross_entropy != "binary"))


_UNARY = Function("")  # an element-wise function, or a model's activation (g1)


def written(node, index: int) -> bool:
    """Whether argument `index` of the call `node` is read as written (a size, a string, a
    type), not as an array."""
    record = _TABLE.get(node.func) if isinstance(node, Call) else None
    return record is not None and index in record.written


def shape_of(node, shapes, text, sizes, node_shape=None) -> Shape:
    """The shape of the call `node` given its arguments' shapes (`text` writes an argument,
    `sizes` are the size names, `node_shape` gives the shape of a node inside an argument
    read as written); raises ShapeProblem."""
    record = _TABLE.get(node.func)
    if record is None or record.shape is None:
        ShapeCall(record or _UNARY, node, shapes, text, sizes, arguments).arity()
        return shapes[0]
    return record.shape(ShapeCall(record, node, shapes, text, sizes, arguments, node_shape))


__all__ = ["Arguments", "Function", "FUNCTIONS", "Shape", "ShapeProblem", "Underivable",
           "activations", "arguments", "broadcast", "call", "canonical", "command",
           "closest", "constant_int", "dyad", "elementwise", "elementwise_chain", "known", "lookup",
           "methods", "namespaced", "open_activations", "operator", "shape_of", "show",
           "slide_name", "sloped", "stacked_axis", "superscripted", "total", "unit", "is_unit",
           "kept_axis", "kept_written", "with_axis", "written"]
