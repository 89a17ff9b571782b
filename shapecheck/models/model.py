"""Forward models: equations in order, the last one defining the scalar cost.

The built-in network of the course is built as such equations (`binding.network`), so a
`--forward` model, the course network and the truth all share one path.
"""
from __future__ import annotations

from dataclasses import field
from typing import Iterable, Mapping

from .. import functions
from .. import syntax as s
from ..errors import ModelError, UnknownNameError
from ..frozen import Record, record
from ..language.meaning import lower
from ..language.parse import parse_equation
from ..shapes import Mismatch, Shape, ShapeEnv, infer, show

# every open activation is checked with each of these (the table's choice)
OPEN_ACTIVATIONS = functions.open_activations()
# the deepest built-in network: beyond it, building the model alone would take minutes (and
# a layer number such as W99999999 or --L 10**20 is a slip, not a network to check)
MAX_LAYERS = 100


@record
class Model(Record):
    """A model: its equations (the last is the cost), every quantity's shape, and what the
    draws need to know (labels, open activations, kinks, edges, examples)."""
    equations: tuple[s.Equation, ...]
    shapes: Mapping[str, Shape]           # every input and every defined quantity
    inputs: tuple[str, ...]
    labels: frozenset[str]
    open_functions: tuple[str, ...]       # activations left open: formulas must hold for any
    fixed_functions: Mapping[str, str]    # e.g. {'g2': 'sigmoid'}
    uses: tuple[frozenset[str], ...]      # the names each equation reads
    per_example: frozenset[str] = frozenset()  # course convention: dV = m * dJ/dV for these
    batch: str | None = None              # the size that counts examples, for that convention
    class_axis: int = 0
    weights: frozenset[str] = frozenset()  # drawn with 1/sqrt(fan-in) scale
    sizes_used: tuple[str, ...] = field(default=())
    # how inputs are drawn so that the model is defined where it is evaluated
    positive: frozenset[str] = frozenset()     # read by log/sqrt: drawn > 0
    invertible: frozenset[str] = frozenset()   # read by inv/det: identity-like, det > 0
    label_axis: int | None = None              # a softmax normalises labels along this axis
    kinks: tuple[s.Node, ...] = ()             # where relu/abs/max/comparisons switch
    # arguments read next to the edge of a domain: (edge, node) with edge "zero" (log, sqrt,
    # a divisor, a negative or fractional power's base), "minus one" (log1p) or "singular"
    # (inv); a draw must keep them many finite-difference steps away from it
    edges: tuple[tuple[str, s.Node], ...] = ()
    # the size that counts examples (`m`), and the logical axis along which it runs in
    # what the cost sums (np.sum(E) without an axis); None where the cost sums nothing
    # that runs over the examples. Whether a per-example quantity's examples then move
    # their own losses only is checked on the draw (truth.Differentiator.example_axis)
    examples: str | None = None
    example_axis: int | None = None
    averaged_over: frozenset[str] = frozenset()  # the sizes the cost is a mean over
    through_open: frozenset[str] = frozenset()  # quantities an open activation shapes
    # inputs multiplied by `@`, drawn scaled by an inner size ** -power: (name, size, power)
    fan_in: tuple[tuple[str, object, float], ...] = ()

    def independent(self, node: s.Node) -> bool:
        """True when `node`'s value is the same whatever the open activations are."""
        for n in s.walk(node):
            if isinstance(n, (s.Call, s.Derivative)) and n.func in self.open_functions:
                return False
            if isinstance(n, s.Name) and n.id in self.through_open:
                return False
        return True

    @property
    def cost(self) -> str:
        return self.equations[-1].lhs.id

    def defined(self) -> list[str]:
        return [eq.lhs.id for eq in self.equations]

    def downstream(self, name: str) -> list[int]:
        """Indices of the equations whose value changes when `name` does, in order."""
        changed, result = {name}, []
        for i, eq in enumerate(self.equations):
            if eq.lhs.id != name and self.uses[i] & changed:
                changed.add(eq.lhs.id)
                result.append(i)
        return result


def _names_read(node: s.Node) -> frozenset[str]:
    return frozenset(n.id for n in s.walk(node) if isinstance(n, s.Name))


def _sizes_written(node: s.Node) -> set[str]:
    """The names a call takes as written sizes or indices (`t` in `x[:, t]`)."""
    return {a.id for n in s.walk(node) if isinstance(n, s.Call) for i, a in enumerate(n.args)
            if isinstance(a, s.Name) and functions.written(n, i)}


def _called(node: s.Node) -> set[str]:
    return {n.func for n in s.walk(node)
            if isinstance(n, (s.Call, s.Derivative)) and not functions.known(n.func)}


def build(texts: Iterable[str | s.Equation], shapes: Mapping[str, Shape], sizes: Iterable[str],
          labels: Iterable[str] = (), fixed_functions: Mapping[str, str] | None = None,
          **options) -> Model:
    """Check a forward model, its equations as text (parsed here) or as syntax nodes (the
    built-in network). `shapes` gives the inputs' shapes (convention or
    --shape); every defined quantity's shape is inferred. Raises ModelError."""
    sizes = set(sizes)
    known: dict[str, Shape] = {}
    equations, uses, called = [], [], set()
    node_shapes: dict[int, Shape] = {}
    parsed = [t if isinstance(t, s.Equation) else parse_equation(t.strip())
              for t in texts if isinstance(t, s.Equation) or t.strip()]
    if not parsed:
        raise ModelError("the forward model has no equation")
    defined = {eq.lhs.id for eq in parsed}
    for eq in parsed:
        eq = lower(eq, lambda n: n in known or n in shapes or n in defined)
        called |= _called(eq.rhs)
        for name in sorted(_names_read(eq.rhs) - set(known) - sizes - {"True", "False"}):
            if name in defined:
                raise ModelError(f"{name} is used before the equation that defines it",
                                 eq.text, next(n.span for n in s.walk(eq.rhs)
                                               if isinstance(n, s.Name) and n.id == name))
            if name not in shapes:
                span = next(n.span for n in s.walk(eq.rhs) if isinstance(n, s.Name) and n.id == name)
                if name in _sizes_written(eq.rhs):  # x[:, t], x.reshape(N, -1): a number
                    raise ModelError(f"{name} is a size or an index, not declared: give its "
                                     f"value, e.g. --{name} 2", eq.text, span)
                raise ModelError(f"the model's input {name} has no shape; declare it, "
                                 f"e.g. --shape {name}=n,1", eq.text, span)
            known[name] = tuple(shapes[name])
        try:
            shape, parts = infer(eq.rhs, ShapeEnv(known, sizes, eq.text))
            node_shapes.update(parts)
        except Mismatch as e:
            raise ModelError(f"the model's equation {eq.text!r} does not line up: "
                             f"{e.failure.message}", eq.text, e.failure.node.span) from None
        except UnknownNameError as e:
            raise ModelError(e.message, eq.text, e.span) from None
        known[eq.lhs.id] = shape
        equations.append(eq)
        uses.append(_names_read(eq.rhs))
    cost = equations[-1]
    if any(d != 1 for d in known[cost.lhs.id]):
        raise ModelError(f"the cost {cost.lhs.id} (the last equation) must be a scalar, "
                         f"but it is {show(known[cost.lhs.id])}", cost.text, cost.span)
    inputs = tuple(n for n in known if n not in defined)
    fixed = dict(fixed_functions or {})
    rules = _draw_rules(equations, set(inputs), options.get("class_axis", 0), fixed, set(known))
    rules["fan_in"] = _fan_in(equations, set(inputs), node_shapes,
                              options.get("weights", frozenset()))
    rules["example_axis"] = _summed_examples_axis(equations[-1], node_shapes,
                                                  options.get("examples"))
    rules["averaged_over"] = _averaged_over(equations[-1], node_shapes, sizes)
    open_functions = called - set(fixed)
    through_open: set[str] = set()
    for eq, read in zip(equations, uses):
        if read & through_open or _called(eq.rhs) & open_functions:
            through_open.add(eq.lhs.id)
    rules["through_open"] = frozenset(through_open)
    # the sizes this model needs: its shapes' dimensions and sizes read as scalars
    used = {d for shape in known.values() for d in shape if isinstance(d, str)}
    used |= set().union(*uses) & sizes
    return Model(tuple(equations), known, inputs, frozenset(labels) & set(inputs),
                 tuple(sorted(called - set(fixed))), fixed, tuple(uses),
                 sizes_used=tuple(sorted(used)), **rules, **options)


def _draw_rules(equations, inputs: set[str], class_axis: int, fixed: Mapping[str, str],
                variables: set[str]) -> dict:
    """Which inputs need a restricted draw, read off the functions that use them; where a
    draw must stay away from a kink or from the edge of a domain."""
    positive, invertible, kinks, edges, label_axis = set(), set(), [], [], None

    def varies(node: s.Node) -> bool:  # reads a quantity of the model, not just sizes
        return any(isinstance(n, s.Name) and n.id in variables for n in s.walk(node))

    for eq in equations:
        for node in s.walk(eq.rhs):
            record = functions.lookup(fixed.get(node.func, node.func)) \
                if isinstance(node, s.Call) else None
            if record is not None:  # its domain, edges and kinks are the table's
                inside = {n.id for a in node.args for n in s.walk(a) if isinstance(n, s.Name)}
                if record.positive:
                    positive |= inside & inputs
                if record.invertible:
                    invertible |= inside & inputs
                if record.edge:
                    edges += [(record.edge, a) for a in node.args[:1]]
                if record.normalises:
                    label_axis = functions.arguments(node).one_axis(class_axis)
                if record.kinked:
                    kinks.append(node)
            elif isinstance(node, s.BinOp) and node.op in (">", "<", ">=", "<="):
                kinks.append(node)
            elif isinstance(node, s.BinOp) and node.op == "/" and varies(node.right):
                edges.append(("zero", node.right))
            elif isinstance(node, s.BinOp) and node.op == "**" and varies(node.left) \
                    and not _natural(node.right):
                edges.append(("zero", node.left))
    return dict(positive=frozenset(positive), invertible=frozenset(invertible),
                label_axis=label_axis, kinks=tuple(kinks),
                edges=tuple(e for e in edges if varies(e[1])))


def _fan_in(equations, inputs: set[str], node_shapes: Mapping[int, Shape],
            weights: frozenset[str]) -> tuple[tuple[str, object, float], ...]:
    """(input, inner size, power) for each input multiplied by `@`: drawn scaled by
    size ** -power, so that the product's entries are of order one, as a layer's are when
    its weights are drawn by fan-in (the built-in network's `weights` scale themselves).
    Unscaled, `H @ W` with a thousand inner entries saturates the activation after it, and
    a step of W moves the product by thirty times what it moves W by: central differences
    of the curved activation then err by 1e-6 relative, the tolerance itself."""
    def operand(node: s.Node) -> str | None:
        if isinstance(node, s.Transpose):
            node = node.operand
        return node.id if isinstance(node, s.Name) and node.id in inputs else None

    scaled = []
    for eq in equations:
        for node in s.walk(eq.rhs):
            if not (isinstance(node, s.BinOp) and node.op == "@"):
                continue
            left = node_shapes.get(id(node.left), ())
            a, b = operand(node.left), operand(node.right)
            if not left or left[-1] == 1 or {a, b} & weights or not (a or b):
                continue
            power = 0.25 if a and b else 0.5  # both inputs: each takes half the scale
            scaled += [(name, left[-1], power) for name in (a, b) if name]
    return tuple(scaled)


def _averaged_over(cost: s.Equation, node_shapes: Mapping[int, Shape],
                   sizes: set[str]) -> frozenset[str]:
    """The sizes the cost is a mean over: read as a scalar in it (`-1/m * np.sum(...)`),
    or a dimension of what an np.mean without an axis averages."""
    over = {n.id for n in s.walk(cost.rhs) if isinstance(n, s.Name) and n.id in sizes}
    for node in s.walk(cost.rhs):
        if functions.total(node) == "mean" and len(node.args) == 1 \
                and not node.kwargs:
            over |= {d for d in node_shapes.get(id(node.args[0]), ()) if isinstance(d, str)}
    return frozenset(over)


def _summed_examples_axis(cost: s.Equation, node_shapes: Mapping[int, Shape],
                          examples: str | None) -> int | None:
    """The logical axis along which `examples` runs in every total (np.sum or np.mean of
    everything) of the cost equation, if it runs along the same one in all of them."""
    if examples is None:
        return None
    axes = set()
    for node in s.walk(cost.rhs):
        if functions.total(node) and len(node.args) == 1 \
                and not node.kwargs:
            shape = tuple(node_shapes.get(id(node.args[0]), ()))
            if shape.count(examples) != 1:
                return None
            axes.add(shape.index(examples))
    return axes.pop() if len(axes) == 1 else None


def _natural(node: s.Node) -> bool:
    """A power that is defined and smooth everywhere: 0, 1, 2, ..."""
    return isinstance(node, s.Number) and float(node.value).is_integer() and node.value >= 0
