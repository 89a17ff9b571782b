"""The chain rule as a reverse walk over a model's equations, one rule application a step.

`Chain(model, stops, expand).gradient("W1")` walks back from the cost through every
equation that reads `W1`, applying at each operator its local rule (calculus.chain), and
records each application as a `Step` in words with the shapes that force it. The names it
asks for (`dW1`) come from models.names; calculus.derive turns the walk into a Derivation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable

from .. import syntax as s
from .chain import Site, call, is_constant, local, name, num, op, operands, trivial
from ..errors import ShapecheckError
from .. import functions
from ..frozen import Record, record
from ..models.model import Model
from ..models.names import gradient_name
from .pairing import Pairing, pairings
from ..language.printer import to_numpy
from ..shapes import Mismatch, Shape, ShapeEnv, infer, show
from .simplify import ONE, Coef, Simplifier, coefficient_node

_FRESH = ("U", "V", "P", "Q", "R", "S", "K", "E", "F", "G", "H")


@record
class Step(Record):
    """One application of the chain rule: the forward equation used, the gradient it gives,
    the rule in words, and the shapes that force it (plain text, for any renderer)."""
    equation: str   # "U = H @ W + B"
    gradient: str   # "dW = H.T @ dU"
    rule: str       # "for a product P = M @ N, dN = M.T @ dP"
    shapes: str     # "H.T is (h, 1), dU is (1, y), so dW is (h, y) like W"


@dataclass
class _Grad:
    """A gradient on its way down: as the formula has it (`real`, in model quantities and
    the named gradients) and as the current step shows it (`shown`, with fresh names)."""
    real: s.Node
    shown: s.Node
    shape: Shape | None


@record
class _Anchor(Record):
    """What the current step is the gradient of: a model quantity or a fresh name (`U`)
    for a part of a right side, with its expression and the scale of its gradient name."""
    name: str
    expr: s.Node
    scale: Coef


@dataclass
class _Walk:
    """What one path from an anchor down to the target collects for its step."""
    words: list[str] = field(default_factory=list)


class Chain:
    """One derivation: the model, the gradients that stay names, the steps so far."""

    def __init__(self, model: Model, stops: Iterable[str], expand: bool):
        self.model = model
        self.stops = set() if expand else set(stops) - {model.cost}
        self.variables = set(model.shapes)
        self.sizes = model_sizes(model)
        self.env: dict[str, Shape] = dict(model.shapes)
        self.env.update({gradient_name(v): shape for v, shape in model.shapes.items()})
        self.node_shapes: dict[int, Shape] = {}
        for eq in model.equations:
            self.node_shapes.update(infer(eq.rhs, ShapeEnv(model.shapes, self.sizes, eq.text))[1])
        self.taken = self.variables | self.sizes | set(self.env) | {
            n.func for eq in model.equations for n in s.walk(eq.rhs)
            if isinstance(n, (s.Call, s.Derivative))}  # fresh names avoid all of these
        self.simplify = Simplifier(self.sizes, self.shape_of)
        self.memo: dict[str, s.Node] = {}
        self.steps: list[Step] = []
        self.pairings = pairings(model, self.sizes)
        self.fresh_count = 0
        self.named: list[list[tuple[str, s.Node]]] = []

    # -- helpers
    def scale(self, var: str) -> Coef:
        """The course's convention: dV is m * dJ/dV for a per-example quantity."""
        if var in self.model.per_example and self.model.batch:
            return Coef(Fraction(1), ((self.model.batch, 1),))
        return ONE

    def shape_of(self, node: s.Node) -> Shape | None:
        try:
            return tuple(infer(node, ShapeEnv(self.env, self.sizes, ""))[0])
        except (Mismatch, ShapecheckError):  # a shape is only a help here, never required
            return None

    def scaled(self, coef: Coef, node: s.Node) -> s.Node:
        return node if coef.one else op("*", coefficient_node(coef), node)

    def text(self, node: s.Node) -> str:
        return to_numpy(self.simplify(node))

    def fresh(self, part: s.Node) -> str:
        """A new name for the part `part` of a right side (`U` for `H @ W + B`)."""
        while True:
            index, self.fresh_count = self.fresh_count, self.fresh_count + 1
            base = _FRESH[index % len(_FRESH)]
            candidate = base if index < len(_FRESH) else f"{base}{index // len(_FRESH)}"
            if candidate not in self.taken and gradient_name(candidate) not in self.taken:
                self.taken |= {candidate, gradient_name(candidate)}
                self.named[-1].append((candidate, part))
                return candidate

    # -- dJ/dV, in terms of the gradients that stay named
    def gradient(self, var: str) -> s.Node:
        if var == self.model.cost:
            return _one()
        if var in self.memo:
            return self.memo[var]
        parts: list[s.Node] = []
        expanded: list[str] = []
        self.named.append([])  # the fresh names this gradient's steps introduce
        for i, eq in enumerate(self.model.equations):
            if var in self.model.uses[i] and eq.lhs.id != var:
                parts += self.equation(i, var, expanded)
        named = self.named.pop()
        total = None
        for part in parts:
            total = part if total is None else op("+", total, part)
        if total is None:
            total = call("zeros_like", name(var))
        self.memo[var] = total
        if expanded or len(parts) > 1 or named:
            self.close(var, total, expanded, len(parts), named)
        return total

    def close(self, var: str, total: s.Node, expanded: list[str], paths: int, named):
        """The last step of a gradient: its steps put together."""
        why = []
        if expanded:
            why.append("substituting " + "; ".join(
                f"{gradient_name(u)} = {self.text(self.scaled(self.scale(u), self.memo[u]))}"
                for u in expanded))
        if paths > 1:
            why.append(f"adding the contributions of the {paths} places that read {var}")
        if named:
            why.append("writing " + ", ".join(f"{fresh} back as {to_numpy(part)}"
                                              for fresh, part in named))
        whole = self.text(self.scaled(self.scale(var), total))
        self.steps.append(Step("", f"{gradient_name(var)} = {whole}", ", and ".join(why), ""))

    def equation(self, i: int, var: str, expanded: list[str]) -> list[s.Node]:
        """The contributions to dJ/d`var` of equation `i`."""
        eq = self.model.equations[i]
        lhs = eq.lhs.id
        anchor = _Anchor(lhs, eq.rhs, self.scale(lhs))
        pairing = self.pairings.get(lhs) if lhs not in self.stops else None
        if pairing is not None:
            return self.paired(eq, anchor, pairing, var)
        shown = self.scaled(anchor.scale.inverse(), name(gradient_name(lhs)))
        if lhs == self.model.cost:
            real = shown = _one()
        elif lhs in self.stops:
            real = shown
        else:
            real = self.gradient(lhs)
            expanded.append(lhs)
        shape = () if lhs == self.model.cost else self.model.shapes[lhs]
        return self.walk(anchor, eq.rhs, _Grad(real, shown, shape), var, _Walk(), eq)

    def paired(self, eq: s.Equation, anchor: _Anchor, pairing: Pairing, var: str) -> list[s.Node]:
        """`A2 = sigmoid(Z2)` under the cross-entropy: dZ2 = A2 - Y in one step."""
        arg = eq.rhs.args[0]
        if not _reads(arg, var):
            return []
        grad = pairing.gradient
        words = pairing.words
        if isinstance(arg, s.Name):
            scale = self.scale(var)
            if not scale.one:
                words += (f", and times {to_numpy(coefficient_node(scale))} as "
                          f"{gradient_name(var)} is the gradient of the summed loss (the "
                          "course's convention)")
            shown = self.simplify(self.scaled(scale, grad))
            self.steps.append(Step(to_numpy(eq), f"{gradient_name(var)} = {to_numpy(shown)}", words,
                                   self.shape_words(gradient_name(var), shown, var)))
            return [grad]
        fresh = self.fresh(arg)
        self.env[fresh] = self.env[gradient_name(fresh)] = self.node_shapes[id(arg)]
        shown = self.simplify(self.scaled(anchor.scale, grad))
        self.steps.append(Step(f"{to_numpy(s.substitute(eq, arg, name(fresh)))} where "
                               f"{fresh} = {to_numpy(arg)}",
                               f"{gradient_name(fresh)} = {to_numpy(shown)}",
                               words, self.shape_words(gradient_name(fresh), shown, fresh)))
        start = _Anchor(fresh, arg, anchor.scale)
        shown_grad = self.scaled(anchor.scale.inverse(), name(gradient_name(fresh)))
        return self.walk(start, arg, _Grad(grad, shown_grad, self.node_shapes[id(arg)]), var,
                         _Walk(), eq)

    # -- the walk down one right side
    def walk(self, anchor: _Anchor, node: s.Node, grad: _Grad, var: str, path: _Walk,
             eq: s.Equation) -> list[s.Node]:
        found: list[s.Node] = []
        children = operands(node)
        for index, child in enumerate(children):
            if not _reads(child, var):
                continue
            found += self.descend(anchor, node, index, child, grad, var, path, eq)
        return found

    def descend(self, anchor, node, index, child, grad, var, path, eq) -> list[s.Node]:
        node_shape = self.node_shapes[id(node)]
        child_shape = self.node_shapes[id(child)]
        own_real = eq.lhs if node is eq.rhs else node
        own_shown = name(anchor.name) if node is anchor.expr else node
        if grad.shape != node_shape and self.needs_whole(node, child_shape, node_shape, grad.shape):
            grad = _Grad(op("*", grad.real, call(functions.unit("*").name, own_real)),
                         op("*", grad.shown, call(functions.unit("*").name, own_shown)), node_shape)
        site = Site(node, node_shape, tuple(self.node_shapes[id(c)] for c in operands(node)),
                    own_real, grad.shape or (), self.model.fixed_functions,
                    self.model.class_axis)
        real, words = local(site, index, operands(node), grad.real)
        if real is None:
            return []  # a comparison: no gradient flows
        is_trivial = trivial(node, index, self.variables)
        fresh = None
        if not is_trivial and not isinstance(child, s.Name) and _ruled_below(child, var, self.variables):
            fresh = self.fresh(child)  # the next step starts from this part, by this name
            self.env[fresh] = self.env[gradient_name(fresh)] = child_shape
        shown_ops = tuple(name(fresh) if (j == index and fresh) else c
                          for j, c in enumerate(operands(node)))
        shown, _ = local(Site(node, node_shape, site.operand_shapes, own_shown, site.gradient_shape,
                              site.functions, site.class_axis), index, shown_ops, grad.shown)
        step = _Walk(list(path.words))
        if not is_trivial or _notable(node):
            step.words.append(words)
        real, shown, shape = self.unbroadcast(real, shown, child, child_shape, node_shape, step)
        if isinstance(child, s.Name) and child.id == var:
            if shape is not None and shape != child_shape:
                real = op("*", real, call(functions.unit("*").name, child))
                shown = op("*", shown, call(functions.unit("*").name, child))
            self.record(anchor, None, var, shown, step)
            return [real]
        if fresh:
            self.record(anchor, (child, fresh), fresh, shown, step)
            start = _Anchor(fresh, child, anchor.scale)
            shown_next = self.scaled(anchor.scale.inverse(), name(gradient_name(fresh)))
            return self.walk(start, child, _Grad(real, shown_next, shape), var, _Walk(), eq)
        return self.walk(anchor, child, _Grad(real, shown, shape), var, step, eq)

    def needs_whole(self, node, child_shape, node_shape, grad_shape) -> bool:
        """Whether a gradient still waiting to be broadcast (a scalar from a total, say) must
        be spelled out in full first: before a matrix product, an inverse or an outer
        product, and where the operand was broadcast (its gradient is then a sum)."""
        if isinstance(node, s.BinOp) and node.op == "@":
            return not (grad_shape == () and all(d == 1 for d in node_shape))
        if isinstance(node, s.Call) and node.func in (functions.superscripted(-1).name,
                                                      functions.dyad().name):  # inverse, outer
            return True
        elementwise = isinstance(node, s.BinOp) or (
            isinstance(node, s.Call) and node.func in ("maximum", "minimum", "where"))
        return elementwise and child_shape != node_shape

    def unbroadcast(self, real, shown, child, child_shape, node_shape, step: _Walk):
        """Sum a gradient over the axes along which `child` was broadcast."""
        shape = self.shape_of(real)
        if shape is None or _stretches(shape, child_shape):
            return real, shown, shape
        lead = len(shape) - len(child_shape)
        if not child_shape:
            real, shown = call("sum", real), call("sum", shown)
            step.words.append(f"{to_numpy(child)} is a scalar stretched over {show(node_shape)}, "
                              "so its gradient is the total")
            return real, shown, ()
        kept = tuple(lead + j for j, d in enumerate(child_shape)
                     if d == 1 and shape[lead + j] != 1)
        if kept:
            axis = _axis_node(kept)
            real = functions.with_axis(call("sum", real), axis, True)
            shown = functions.with_axis(call("sum", shown), axis, True)
        if lead > 0:
            axis = _axis_node(tuple(range(lead)))
            real, shown = call("sum", real, axis=axis), call("sum", shown, axis=axis)
        axes = ", ".join(str(a) for a in kept + tuple(range(lead)))
        step.words.append(f"{to_numpy(child)} is {show(child_shape)}, broadcast to "
                          f"{show(node_shape)}, so its gradient is summed over axis {axes}"
                          + (f" ({functions.kept_written(True)})" if kept else ""))
        return real, shown, child_shape

    def record(self, anchor: _Anchor, named, target: str, shown: s.Node, path: _Walk):
        """A step: the anchor's equation (with the part `named` renamed), the gradient of
        `target` it gives, the rule in words and the shapes."""
        expr = anchor.expr
        equation = f"{anchor.name} = {to_numpy(expr)}"
        scale = anchor.scale if named else self.scale(target)
        if named:
            part, fresh = named
            equation = (f"{anchor.name} = {to_numpy(s.substitute(expr, part, name(fresh)))} "
                        f"where {fresh} = {to_numpy(part)}")
        node = self.simplify(self.scaled(scale, shown))
        words = "; ".join(path.words) or "for a sum, each term gets the gradient of the sum"
        if not named and scale != anchor.scale:
            words += (f"; {gradient_name(target)} is the gradient of the mean cost and "
                      f"{gradient_name(anchor.name)} that of the summed loss (the course's "
                      "convention)") if scale.one else (
                      f"; {gradient_name(target)} is the gradient of the summed loss (the "
                      "course's convention)")
        self.steps.append(Step(equation, f"{gradient_name(target)} = {to_numpy(node)}", words,
                               self.shape_words(gradient_name(target), node, target)))

    def shape_words(self, lhs: str, node: s.Node, like: str) -> str:
        """`H.T is (h, 1), dU is (1, y), so dW is (h, y) like W`: the shapes of the
        operands of the gradient `node` (its constant factor aside) and of `like`."""
        _, rest = self.simplify.norm(node)
        parts = []
        if isinstance(rest, s.BinOp) and rest.op not in ("**",):
            parts = [rest.left, rest.right]
        elif isinstance(rest, (s.Call, s.Derivative)) and rest.args:
            parts = [rest.args[0]]
        words = []
        for part in parts:
            shape = self.shape_of(part)
            if shape is not None and not is_constant(part, self.env):
                words.append(f"{to_numpy(part)} is {show(shape)}")
        shape = self.env.get(like)
        result = f"so {lhs} is {show(shape)} like {like}" if shape is not None else ""
        return ", ".join(words + [result]) if words else result[3:]


def _one() -> s.Number:
    return num(1)


def _reads(node: s.Node, var: str) -> bool:
    return any(isinstance(n, s.Name) and n.id == var for n in s.walk(node))


def _ruled_below(node: s.Node, var: str, variables) -> bool:
    """Whether a real rule (not only sums, signs, transposes, constants) lies between
    `node` and an occurrence of `var`: then `node` gets a fresh name of its own."""
    for index, child in enumerate(operands(node)):
        if _reads(child, var) and (not trivial(node, index, variables)
                                   or _ruled_below(child, var, variables)):
            return True
    return False


def _notable(node: s.Node) -> bool:
    """Trivial steps worth a word: a sign, a transpose, a sum or mean that spreads."""
    return isinstance(node, (s.Neg, s.Transpose)) or (
        functions.total(node) is not None)


def _stretches(small: Shape, big: Shape) -> bool:
    if len(small) > len(big):
        return False
    return all(a == b or a == 1 for a, b in zip(reversed(small), reversed(big)))


def _axis_node(axes: tuple[int, ...]) -> s.Node:
    if len(axes) == 1:
        return num(axes[0])
    return s.Tuple(tuple(num(a) for a in axes), (0, 0))


def model_sizes(model: Model) -> set[str]:
    """The names that are sizes: scalars that fold into constant factors (`1/m`)."""
    words = {n.id for eq in model.equations for n in s.walk(eq.rhs) if isinstance(n, s.Name)}
    return (words - set(model.shapes) - {"True", "False", "None"}) | set(model.sizes_used)
