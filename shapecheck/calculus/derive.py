"""Where a formula comes from: the chain rule over a model, in the names the user asked for.

`derive(model, "W1")` walks back from the cost (calculus.walk) and gives
`dW1 = 1/m * dZ1 @ X.T`: in terms of the gradients of the quantities that stay named
(`stops`: every defined quantity of a `--forward` model, the `Z`s of the course network,
as the course writes every backward step), or, with `expand=True`, in the model's own
quantities only. A Derivation is syntax nodes (`equation`); its numpy and LaTeX text are
only for showing. Nothing here evaluates anything: the session verifies every derivation
by finite differences, on its equation, before anyone sees it (`Checker.derive`).
`derive_name` answers `--derive NAME`: single-example and generic-layer names
(models.names) are derived at a concrete layer and written back.
"""
from __future__ import annotations

from typing import Iterable

from .. import syntax as s
from .chain import Underivable
from ..frozen import Record, record
from ..functions import known
from ..models.model import Model
from ..models.names import (GENERIC_FUNCTION, GENERIC_NAMES, at_layer, generic_names,
                            gradient_name, is_activation, is_generic, is_pre_activation, role,
                            single_example)
from ..language.printer import to_numpy
from .walk import Chain, Step, model_sizes

__all__ = ["Derivation", "Step", "Underivable", "derive", "derive_name"]


@record
class Derivation(Record):
    """A derived gradient formula `name = node`: the nodes to verify and to compute with,
    the numpy and LaTeX text to show, and its steps in words."""
    name: str
    node: s.Node
    numpy: str
    latex: str
    steps: tuple[Step, ...] = ()

    @property
    def equation(self) -> s.Equation:
        """`name = node` as the equation it is, to check as built (no printing and parsing
        back); its text is the numpy the user is shown."""
        return s.Equation(s.Name(self.name, (0, len(self.name))), self.node, self.numpy)


def course_stops(model: Model, generic: bool = False) -> set[str]:
    """The gradients the course keeps as names: every `dZ` (and `dA` for the generic
    layer's formulas `dZ = dA * g'(Z)`, `dA_prev = W.T @ dZ`)."""
    return {v for v in model.defined() if is_pre_activation(v) or (generic and is_activation(v))}


def derive(model: Model, var: str, *, expand: bool = False, stops: Iterable[str] | None = None,
           lhs: str | None = None, latex_style: str = "plain",
           strict: bool = False) -> Derivation | None:
    """`derive(network(2), "W1")` → Derivation with numpy 'dW1 = 1/m * dZ1 @ X.T'. `stops`:
    the quantities whose gradients stay names (default: all the model defines, or the `Z`s
    of the course network); None where no rule covers a construct of the model (or raises
    Underivable with `strict`)."""
    try:
        if stops is None:
            stops = course_stops(model) if model.per_example else model.defined()
        chain = Chain(model, stops, expand)
        total = chain.gradient(var)
        node = chain.simplify(chain.scaled(chain.scale(var), total))
        left = lhs or gradient_name(var)
        return _derivation(left, node, tuple(chain.steps), latex_style, chain.sizes, model)
    except Underivable:
        if strict:
            raise
        return None


def _derivation(left: str, node: s.Node, steps, latex_style: str, sizes,
                model: Model) -> Derivation:
    from ..language.latex import to_latex
    from ..language.sums import Examples
    from ..models.names import latex_mark
    equation = s.Equation(s.Name(left, (0, 0)), node, "")
    examples = Examples.of(model.examples, model.example_axis, {})  # \sum_{i=1}^{m}
    return Derivation(left, node, to_numpy(equation),
                      to_latex(equation, sizes, latex_mark(latex_style), examples), steps)


def _renamed(d: Derivation, names: dict[str, str], latex_style: str, model: Model,
             note: str | None = None) -> Derivation:
    node = s.rename(d.node, names)
    steps = d.steps + ((Step("", f"{names.get(d.name, d.name)} = {to_numpy(node)}", note, ""),)
                       if note else ())
    return _derivation(names.get(d.name, d.name), node, steps, latex_style, model_sizes(model),
                       model)


def derive_name(model: Model, binding, name_: str, expand: bool, layers: int | None,
                forward: bool) -> Derivation:
    """The derivation a user asks for with `--derive NAME`, in the names the user wrote:
    `dZ1`, the single-example `dz1`, or the generic `dW` (derived at a concrete layer and
    written back in the generic names). Raises Underivable with the reason."""
    style = "plain" if forward else "network"
    if not forward and is_generic(name_):
        if not layers:
            raise Underivable(f"{name_} is the name of a generic layer l: give the number of "
                              "layers with --L N")
        return _generic(model, name_, layers, expand)
    bound = binding.get(name_)
    if not bound or not bound[1]:
        quantities = ", ".join(model.defined()[:-1] + [v for v in model.inputs])
        raise Underivable(f"{name_} is not the gradient of a quantity of the model; "
                          f"ask for dV with V one of {quantities}")
    var = bound[0]
    derivation = derive(model, var, expand=expand, strict=True, latex_style=style)
    if not forward and role(name_, layers or 1) and role(name_, layers or 1).single_example:
        names = {v: single_example(v) for v in model.shapes}
        names.update({gradient_name(v): gradient_name(single_example(v)) for v in model.shapes})
        return _renamed(derivation, names, style, model)
    return derivation


def _generic(model: Model, name_: str, layers: int, expand: bool) -> Derivation:
    allowed = set(GENERIC_NAMES) | model_sizes(model) | {"True", "False"}
    for layer in range(1, layers + 1):
        found = role(at_layer(name_, layer), layers)
        if not found or found.var not in model.shapes:
            continue
        d = derive(model, found.var, expand=expand, stops=course_stops(model, generic=True),
                   strict=True, latex_style="generic")
        names = generic_names(layer, layers)
        node = s.rename(d.node, names)
        used = {n.id for n in s.walk(node) if isinstance(n, s.Name)}
        funcs = {n.func for n in s.walk(node) if isinstance(n, (s.Call, s.Derivative))}
        if used <= allowed and all(known(f) or f == GENERIC_FUNCTION for f in funcs):
            return _renamed(d, names, "generic", model,
                            f"derived at layer l = {layer}, written for any layer l")
    if expand:
        raise Underivable(f"with --expand, {name_} is written in quantities of several layers, "
                          "which have no generic names; derive it at a layer (say "
                          f"{at_layer(name_, 1)}) or without --expand")
    quantities = ", ".join(n for n in GENERIC_NAMES if gradient_name(n) in GENERIC_NAMES)
    raise Underivable(f"{name_} has no formula in the names of one generic layer ({quantities} "
                      "and their gradients): its chain rule reaches other layers")
