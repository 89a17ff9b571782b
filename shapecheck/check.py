"""One formula, checked: shapes first, then (if they line up) values, then a verdict.

`Checker` holds what the formulas of one call share: the models, their forward passes and
the finite-difference gradients, each computed once and reused by every formula.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable, Mapping

import numpy as np

from . import syntax as s
from .errors import ModelError, ShapecheckError, UnknownNameError
from .numeric.evaluate import Evaluator
from .advice.hints import suggest
from .functions import known
from .language.meaning import readings
from .models.model import OPEN_ACTIVATIONS, Model, build, network
from .models.names import (EXAMPLES, GENERIC_FUNCTION, at_layer, highest_layer, is_generic,
                    network_shapes, role)
from .language.parse import parse_equation
from .language.printer import to_numpy
from .shapes import Mismatch, Operand, Shape, ShapeEnv, infer, show
from .numeric.truth import (DRAW_ATTEMPTS, Differentiator, Draws, Gradient, Method, draw_forward,
                    refuse_if_too_large, relative_error)

ACTIVATION_CHOICES = ("tanh", "sigmoid", "relu", "softplus", "identity", "softmax")
# a true gradient is resolved when its rounding is at most this part of the tolerance (of
# its norm); draws tried until one is
RESOLUTION = 0.1
RESOLVE_ATTEMPTS = 4
# where no draw resolves a gradient to the tolerance (the first layers of a deep sigmoid
# network: 1e-6 of the cost), the values are compared to this many times the relative
# rounding of the gradients compared and read, and that coarser tolerance is shown; past
# COARSEST, right and wrong formulas could not be told apart: an error
ROUNDING_MARGIN = 10
COARSEST = 1e-2


@dataclass(frozen=True)
class Options:
    """Everything a formula is checked with, as the command line or a notes file gives it."""
    sizes: Mapping[str, int] = field(default_factory=dict)
    shapes: Mapping[str, Shape] = field(default_factory=dict)
    activations: Mapping[str, str] = field(default_factory=dict)
    layout: str = "columns"
    layers: int | None = None
    forward: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    seed: int = 0
    tol: float = 1e-6
    values: bool = True
    exact: bool = False     # entry-by-entry finite differences for every variable
    exact_max: int = 512    # variables up to this many entries are always taken exactly
    probes: int = 8         # random directions for larger ones


@dataclass(frozen=True)
class Source:
    file: str
    line: int
    column: int


@dataclass(frozen=True)
class Result:
    """The verdict on one formula, as plain data (the JSON report is this)."""
    formula: str
    verdict: str  # pass | shape | value | error
    message: str
    source: Source | None = None
    lhs_shape: Shape | None = None
    rhs_shape: Shape | None = None
    span: s.Span | None = None
    op_span: s.Span | None = None
    operands: tuple[Operand, ...] = ()
    hint: str | None = None
    rule: str | None = None  # the broken rule alone (message adds the hint in words)
    rel_error: float | None = None
    tolerance: float | None = None
    diagnosis: dict | None = None
    layer: int | None = None
    activation: dict | None = None
    sizes: Mapping[str, int] = field(default_factory=dict)
    defaults: Mapping[str, int] = field(default_factory=dict)
    reading: str | None = None  # how notation with more than one reading was read
    repair: dict | None = None  # the smallest verified edit that passes (shapecheck.repair)
    derived: str | None = None  # a verified derivation by the chain rule (shapecheck.derive)
    derivation: object | None = None  # its derive.Derivation: LaTeX, steps (not in the JSON)
    searched: bool = False  # a repair and a derivation were looked for (values are checked)


def pick_defaults(needed: list[str], declared: Mapping[str, int]) -> dict[str, int]:
    """Sizes nobody declared: each differs from every other size and is never 1."""
    taken, chosen = set(declared.values()), {}
    for name in needed:
        if name in declared or name in chosen:
            continue
        value = 2
        while value in taken:
            value += 1
        chosen[name] = value
        taken.add(value)
    return chosen


@dataclass
class _Draw:
    """One model's forward pass for one binding of its activations, and its gradients."""
    model: Model
    sizes: Mapping[str, int]
    values: dict[str, np.ndarray]
    differentiator: Differentiator
    gradients: dict[tuple[str, bool], Gradient] = field(default_factory=dict)

    @property
    def functions(self) -> Mapping[str, str]:
        return self.differentiator.functions

    def gradient(self, var: str, whole: bool) -> Gradient:
        """The true gradient in the convention of the model (the course's: summed loss for
        per-example quantities); `whole` when every entry is needed."""
        for key in ((var, True), (var, whole)):
            if key in self.gradients:
                return self.gradients[key]
        grad = self.differentiator.gradient(var, whole)
        if var in self.model.per_example and self.model.batch:
            scale = self.sizes[self.model.batch]  # the course's summed-loss convention
            grad = replace(
                grad, full=None if grad.full is None else grad.full * scale,
                projections=None if grad.projections is None else grad.projections * scale,
                noise=grad.noise * scale)
        # a whole gradient taken for a left side (grouped, exact) serves a right side too
        self.gradients[(var, whole or grad.full is not None)] = grad
        return grad


@dataclass(frozen=True)
class _Reading:
    """A formula as read: lowered to numpy, with its model, its names' bindings (name →
    model variable, is gradient) and their shapes."""
    equation: s.Equation
    model: Model
    binding: Mapping[str, tuple[str, bool]]
    env: ShapeEnv
    notes: tuple[str, ...] = ()

    def fits(self) -> bool:
        """Whether the right side has the shape the left side needs."""
        lhs = self.binding.get(self.equation.lhs.id)
        if not lhs or not lhs[1]:
            return False
        try:
            shape, _ = infer(self.equation.rhs, self.env)
        except (Mismatch, ShapecheckError):
            return False
        return tuple(shape) == tuple(self.model.shapes[lhs[0]])


class Checker:
    """Checks formulas under one set of options, sharing models and gradients between them."""

    def __init__(self, options: Options):
        self.options = options
        self._draws: dict[tuple, _Draw] = {}
        self._inputs: dict[tuple, Draws] = {}  # shared by every binding of the activations
        self._models: dict[tuple, Model] = {}
        self._derivers: dict[int | None, "Checker"] = {}  # for --derive (see _deriving)
        self._repairs: dict[str, dict] = {}  # formula → its repair or derivation (Result fields)
        self._verdicts: dict[str, Result] = {}  # formula → its verdict (no source)

    # -- the model a formula is checked on
    def _network(self, layers: int, batch) -> Model:
        key = ("network", layers, batch, self.options.layout)
        if key not in self._models:
            fixed = {g: f for g, f in self.options.activations.items()}
            self._models[key] = network(layers, self.options.layout, batch, fixed,
                                        self.options.shapes)
        return self._models[key]

    def _layers(self, names: set[str]) -> int:
        if self.options.layers:
            return self.options.layers
        named = [highest_layer(n) for n in names if role(n, 1)]
        declared = [int(k[1:]) for k in self.options.sizes if re.fullmatch(r"n\d+", k)]
        return max(named + declared + [1])

    def _forward_model(self) -> Model:
        key = ("forward",)
        if key not in self._models:
            text = "; ".join(self.options.forward)
            equations = [t for t in re.split(r"[;\n]", text) if t.strip()]
            layers = max([highest_layer(n) for n in re.findall(r"[A-Za-z_]\w*", text)] + [1])
            convention = network_shapes(layers, self.options.layout, "m")
            shapes = {}
            for name in set(re.findall(r"[A-Za-z_]\w*", text)):
                found = role(name, layers)
                if found and not found.gradient and found.var in convention:
                    shapes[name] = convention[found.var]
            shapes.update(self.options.shapes)
            sizes = {d for shape in shapes.values() for d in shape if isinstance(d, str)}
            sizes |= set(self.options.sizes)
            fixed = {g: f for g, f in self.options.activations.items()}
            self._models[key] = build(equations, shapes, sizes, labels=self._labels(shapes),
                                      fixed_functions=fixed, class_axis=self._class_axis(),
                                      examples=EXAMPLES)
        return self._models[key]

    def _class_axis(self) -> int:
        return 0 if self.options.layout == "columns" else 1

    def _labels(self, shapes) -> set[str]:
        return {n for n in ("Y", "T", "y", "t") if n in shapes} | set(self.options.labels)

    def _model_for(self, eq: s.Equation) -> tuple[Model, dict[str, tuple[str, bool]]]:
        """The model, and each of the formula's names bound to (model variable, is gradient)."""
        names = {n.id for n in s.walk(eq.rhs) if isinstance(n, s.Name)} | {eq.lhs.id}
        binding: dict[str, tuple[str, bool]] = {}
        if self.options.forward:
            model = self._forward_model()
            for name in names:
                if name in model.shapes:
                    binding[name] = (name, False)
                elif name.startswith("d") and name[1:] in model.shapes:
                    binding[name] = (name[1:], True)
            return model, binding
        layers = self._layers(names)
        roles = {n: role(n, layers) for n in names}
        single = any(r and r.single_example for r in roles.values())
        model = self._network(layers, 1 if single else "m")
        for name, found in roles.items():
            if found and found.var in model.shapes:
                binding[name] = (found.var, found.gradient)
            elif name in self.options.shapes:
                binding[name] = (name, False)  # declared, outside the model: shapes only
        return model, binding

    # -- one formula
    def check(self, text: str, source: Source | None = None) -> Result:
        """`Checker(Options(sizes={'n0': 3, 'n1': 4, 'm': 5})).check("dZ2 = A2 - Y")`; a
        wrong formula's Result carries its smallest verified `repair`, where one exists."""
        return self._repaired(text, self.verdict(text, source))

    def _repaired(self, text: str, result: Result) -> Result:
        """A wrong formula gets the smallest edit of its text that passes the same check
        (values included), else the derived formula, once it passes that check too."""
        if result.verdict not in ("shape", "value") or not self.options.values:
            return result
        from .advice.repair import find

        if text not in self._repairs:
            found = find(text, result, self.verdict, {**self.options.sizes, **result.sizes})
            self._repairs[text] = {"repair": found} if found else self._derived_instead(text)
        return replace(result, searched=True, **self._repairs[text])

    def _derived_instead(self, text: str) -> dict:
        """The derivation of the formula's left side, if it passes this checker's check; in
        the model's own quantities where the formula names no gradient (`(Y - T)`, not `dY`)."""
        eq = parse_equation(text)
        expand = not any(isinstance(n, s.Name) and re.fullmatch(r"d[A-Z]\w*|d[a-z]\d\w*", n.id)
                         for n in s.walk(eq.rhs))
        for derived in [self.derive(eq.lhs.id, expand)] + ([self.derive(eq.lhs.id)] if expand else []):
            if derived.verdict == "pass" and derived.derived \
                    and self.verdict(derived.derived).verdict == "pass":
                return {"derived": derived.derived}
        return {}

    def verdict(self, text: str, source: Source | None = None) -> Result:
        """The check alone, without looking for a repair. The same text gets the same
        verdict under the same options: a repair that is a formula already checked (or a
        formula written twice in notes) is not checked again."""
        if text not in self._verdicts:
            self._verdicts[text] = self._verdict(text)
        return replace(self._verdicts[text], source=source)

    def _verdict(self, text: str) -> Result:
        try:
            with np.errstate(all="ignore"):  # overflow etc. shows up as a non-finite value
                return self._check(text, None)
        except ShapecheckError as e:
            span = tuple(e.span) if e.span and e.text == text else None
            return Result(text, "error", e.message, span=span, op_span=span)
        except RecursionError:
            return Result(text, "error", "the formula is nested too deeply to check")

    def explain(self, text: str, layer: int | None = None):
        """How `text` is read, for --explain: its numpy reading and the shape of each part
        (at generic layer `layer`, default 1), as plain data for `explain.render`."""
        from .advice.explain import explanation, failed

        try:
            eq = parse_equation(text)
            generic = _generic_names(eq)
            if generic and self.options.layers and not self.options.forward:
                eq = s.rename(eq, _at_layer(generic, layer or 1))
            read = self._read(eq)
        except ShapecheckError as e:
            return failed(text, e)
        lhs = read.binding.get(read.equation.lhs.id)
        lhs_shape = read.model.shapes[lhs[0]] if lhs and lhs[1] else None
        return explanation(text, read.equation, read.env, lhs_shape, read.notes)

    def derive(self, name: str, expand: bool = False) -> Result:
        """`--derive dZ1`: the gradient `name` derived by the chain rule over the model
        (shapecheck.derive) and verified by the same check as a user's formula: a `pass`
        Result whose `derived` is "dZ1 = W2.T @ dZ2 * g1'(Z1)", else an `error` Result."""
        from .calculus.derive import Underivable, derive_name

        checker = self._deriving(name)
        try:
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise Underivable("write the name of a gradient, such as dW1")
            model, binding = checker._model_for(s.Equation(s.Name(name, (0, len(name))),
                                                           s.Name(name, (0, len(name))), name))
            derivation = derive_name(model, binding, name, expand, self.options.layers,
                                     bool(self.options.forward))
        except Underivable as e:
            return Result(name, "error", f"cannot derive {name}: {e.reason}")
        except ShapecheckError as e:
            return Result(name, "error", f"cannot derive {name}: {e.message}")
        result = checker.verdict(derivation.numpy)
        if result.verdict != "pass":  # never shown: it did not pass
            why = result.message if result.verdict == "error" else \
                f"the chain rule gave a formula whose verdict is {result.verdict}, not pass"
            return Result(name, "error", f"no derivation of {name} could be verified: {why}")
        return replace(result, derived=derivation.numpy, derivation=derivation)

    def _deriving(self, name: str) -> "Checker":
        """The checker that verifies a derivation: values always checked, and the course
        network with at least two layers (so that dZ1 is written in dZ2, as the course does)."""
        layers = self.options.layers
        if not self.options.forward and not layers:
            layers = max(self._layers({name}), 2)
        if layers == self.options.layers and self.options.values:
            return self
        if layers not in self._derivers:
            self._derivers[layers] = Checker(replace(self.options, layers=layers, values=True))
        return self._derivers[layers]

    def _check(self, text: str, source: Source | None) -> Result:
        eq = parse_equation(text)
        generic = _generic_names(eq)
        if not generic or self.options.forward:
            return self._check_equation(eq, source)
        if not self.options.layers:
            first = eq.lhs if eq.lhs.id in generic else next(
                n for n in s.walk(eq.rhs) if isinstance(n, s.Name) and n.id in generic)
            raise UnknownNameError(f"{first.id} is the name of a generic layer l: give the number "
                                   "of layers with --L N to check the formula at every layer",
                                   text, first.span)
        result, closest = None, None
        for layer in range(1, self.options.layers + 1):
            names = _at_layer(generic, layer)
            shown = {specific: name for name, specific in names.items()}
            result = self._check_equation(s.rename(eq, names), source, shown)
            if result.verdict != "pass":
                where = f"at layer l = {layer}: "
                return replace(result, layer=layer, message=where + result.message,
                               rule=where + result.rule if result.rule else None)
            if result.rel_error is not None and (
                    closest is None or result.rel_error / result.tolerance >
                    closest.rel_error / closest.tolerance):
                closest = result
        if closest is not None and closest is not result:
            # a pass at every layer shows the last layer's shape and the error of the layer
            # closest to its tolerance (in a deep network, the first layers: the least clear)
            result = replace(result, rel_error=closest.rel_error, tolerance=closest.tolerance,
                             message=closest.message)
        return result

    # -- reading: slide and LaTeX notation may be read more than one way (SPEC)
    def _read(self, eq: s.Equation) -> _Reading:
        """The first reading of `eq` (`HW` as `H @ W`, `\\cdot` as `@` or as a dot product)
        whose right side has the left side's shape; the first reading if none has."""
        model, binding = self._model_for(eq)
        probed: dict[str, bool] = {}

        def is_variable(name: str) -> bool:  # also names the formula does not spell out (H in HW)
            if name not in binding and name not in probed:
                probe = s.Equation(eq.lhs, s.Name(name, eq.lhs.span), eq.text)
                probed[name] = name in self._model_for(probe)[1]
            return name in binding or probed[name]

        sizes = set(self.options.sizes) | set(model.sizes_used)
        first = None
        for reading in readings(eq, is_variable, sizes.__contains__):
            found, bound = self._model_for(reading.equation)  # its names may differ (H, W)
            variables = {n: found.shapes[var] if var in found.shapes else self.options.shapes[var]
                         for n, (var, _) in bound.items()}  # () is a scalar's shape, not missing
            env = ShapeEnv(variables, set(self.options.sizes) | set(found.sizes_used), eq.text)
            read = _Reading(reading.equation, found, bound, env, reading.notes)
            first = first or read
            if not reading.alternatives or read.fits():
                return read
        return first

    def _check_equation(self, eq: s.Equation, source: Source | None,
                        shown: Mapping[str, str] | None = None) -> Result:
        """`shown` maps names back to how the user wrote them, for hints."""
        read = self._read(eq)
        result = self._check_reading(read, source, shown)
        if not read.notes:
            return result
        note = "; ".join(read.notes)
        return replace(result, reading=note, message=f"{result.message} (read {note})")

    def _check_reading(self, read: _Reading, source: Source | None,
                       shown: Mapping[str, str] | None) -> Result:
        eq, model, binding = read.equation, read.model, read.binding
        text = eq.text
        lhs = eq.lhs.id
        if lhs not in binding or not binding[lhs][1]:
            example = sorted(model.weights)[0] if model.weights else model.inputs[0]
            raise UnknownNameError(
                f"the left side {lhs} must name a gradient of the model, such as "
                f"d{example} (the gradient of the cost {model.cost} with respect to "
                f"{example})", text, eq.lhs.span)
        lhs_var = binding[lhs][0]
        declared = dict(self.options.sizes)
        defaults = pick_defaults(sorted(model.sizes_used, key=_size_order), declared)
        sizes = {**declared, **defaults}
        env = read.env
        lhs_shape = model.shapes[lhs_var]
        base = dict(formula=text, source=source, lhs_shape=lhs_shape, sizes=_used(sizes, model),
                    defaults=defaults)
        try:
            rhs_shape, node_shapes = infer(eq.rhs, env)
        except Mismatch as e:
            return self._shape_result(eq, e.failure, lhs_shape, env, base, shown)
        if tuple(rhs_shape) != tuple(lhs_shape):
            return self._result_shape(eq, rhs_shape, lhs_shape, env, base, shown)
        base["rhs_shape"] = rhs_shape
        if not self.options.values:
            return Result(verdict="pass", message="shapes line up (values not checked)", **base)
        return self._values(eq, model, binding, sizes, base, node_shapes)

    def _shape_result(self, eq, failure, lhs_shape, env, base, shown) -> Result:
        found = suggest(eq.rhs, failure.node, lhs_shape, env)
        hint, message = None, failure.message
        if found:
            hint = to_numpy(s.rename(found[0], shown) if shown else found[0])
            message += f". Did you mean {hint}? It is {show(found[1])}, and the right side " \
                       f"then has the shape {show(lhs_shape)} that {eq.lhs.id} needs."
        return Result(verdict="shape", message=message, span=failure.node.span,
                      op_span=failure.op_span, operands=failure.operands, hint=hint,
                      rule=failure.message, **base)

    def _result_shape(self, eq, rhs_shape, lhs_shape, env, base, shown) -> Result:
        message = (f"the right side is {show(rhs_shape)}, but {eq.lhs.id} is "
                   f"{show(lhs_shape)}: a formula's result must have its left side's shape")
        found = suggest(eq.rhs, None, lhs_shape, env)
        hint, rule = None, message
        if found:  # the whole right side: the edit may sit anywhere in it
            hint = to_numpy(s.rename(found[2], shown) if shown else found[2])
            message += f". Did you mean {hint}? It gives {show(lhs_shape)}."
        operands = (Operand(eq.lhs.id, eq.lhs.span, tuple(lhs_shape)),
                    Operand(eq.text[eq.rhs.span[0]:eq.rhs.span[1]], eq.rhs.span, tuple(rhs_shape)))
        return Result(verdict="shape", message=message, rhs_shape=rhs_shape, span=eq.rhs.span,
                      op_span=None, operands=operands[1:], hint=hint, rule=rule, **base)

    # -- values
    def _draw(self, model: Model, sizes: Mapping[str, int], functions: dict[str, str],
              again: int = 0) -> _Draw:
        """The draw of `model`'s inputs for the seed (`again` > 0: one drawn anew, past the
        seeds that draw_forward may try) and its forward pass with `functions` bound."""
        key = (id(model), tuple(sorted(sizes.items())), tuple(sorted(functions.items())), again)
        if key not in self._draws:
            inputs_key = key[:2]
            if inputs_key not in self._inputs:
                self._inputs[inputs_key] = Draws(model, sizes)
            values, shared = draw_forward(model, sizes, functions,
                                          self.options.seed + again * DRAW_ATTEMPTS,
                                          self._inputs[inputs_key])
            method = Method(self.options.exact, self.options.exact_max, self.options.probes,
                            RESOLUTION * self.options.tol)
            differentiator = Differentiator(model, values, functions, sizes, method,
                                            self.options.seed, shared)
            self._draws[key] = _Draw(model, sizes, values, differentiator)
        return self._draws[key]

    def _resolved(self, model: Model, sizes: Mapping[str, int], functions: dict[str, str],
                  var: str) -> tuple[_Draw, Gradient]:
        """A draw on which the true gradient of `var` stands clear of its rounding, and
        that gradient. A gradient that is almost zero by chance (db2 = mean(A2 - Y) with
        n2 = 1 and a few examples) is all rounding, so that any right formula would differ
        from it: such a draw is drawn again, as one next to a kink is, and the first one is
        kept where no draw does better (a gradient that is zero everywhere)."""
        first = None
        for again in range(RESOLVE_ATTEMPTS):
            try:
                draw = self._draw(model, sizes, functions, again)
            except ModelError:
                if first is None:  # the seed's own draws: the model has no usable draw
                    raise
                break              # later seeds may find none where the first did
            truth = draw.gradient(var, whole=False)
            first = first or (draw, truth)
            if truth.blur <= RESOLUTION * self.options.tol:
                return draw, truth
        return first

    def _values(self, eq, model, binding, sizes, base, node_shapes) -> Result:
        refuse_if_too_large(model, sizes)
        formula_functions = {n.func for n in s.walk(eq.rhs)
                             if isinstance(n, (s.Call, s.Derivative)) and not known(n.func)}
        fixed = {**model.fixed_functions, **self.options.activations}
        open_ = sorted((set(model.open_functions) | formula_functions) - set(fixed))
        assignments = [{g: a for g in open_} for a in OPEN_ACTIVATIONS] if open_ else [{}]
        lhs_var = binding[eq.lhs.id][0]
        read = {n.id for n in s.walk(eq.rhs) if isinstance(n, s.Name) and n.id in binding}
        for name in sorted(read):
            if binding[name][0] not in model.shapes:
                raise ModelError(f"{name} has a declared shape but no value: it is not a quantity "
                                 "of the model (define it with --forward to check values, or "
                                 "check shapes only with --no-values)", eq.text,
                                 next(n.span for n in s.walk(eq.rhs)
                                      if isinstance(n, s.Name) and n.id == name))
        outcomes, resolvable = [], 0.0
        for assignment in assignments:
            functions = {**fixed, **assignment}
            # the draw depends on the model's own functions only: a function that only the
            # formula calls (g1p(Z1)) shares the draw and the gradients of the rest
            draw, truth = self._resolved(model, sizes, {g: f for g, f in functions.items()
                                                        if g in model.open_functions
                                                        or g in model.fixed_functions},
                                         lhs_var)
            values, blur = {}, truth.blur
            for name in read:
                var, is_gradient = binding[name]
                if is_gradient:
                    read_gradient = draw.gradient(var, whole=True)
                    values[name] = read_gradient.full[None]
                    blur += read_gradient.blur
                else:
                    values[name] = draw.values[var]
            evaluate = Evaluator(values, functions, sizes, model.class_axis)
            try:
                claim = truth.claimed(eq.rhs, node_shapes, evaluate)
            except ShapecheckError as e:  # raised on the formula's own nodes: place it there
                raise type(e)(e.message, e.text or eq.text, e.span) from None
            error = (relative_error(truth.reference, claim) if np.all(np.isfinite(claim))
                     else float("inf"))
            transposed = partial(truth.claimed, eq.rhs, node_shapes, evaluate, transposed=True)
            outcomes.append((assignment, error, truth, claim, transposed))
            resolvable = max(resolvable, ROUNDING_MARGIN * blur)
        if resolvable > COARSEST:
            raise ModelError(
                f"the true gradient of {lhs_var} is too small beside the rounding of "
                f"{model.cost} for finite differences to check it (they resolve it to "
                f"{resolvable:.1g} at best, on every draw tried): a network this deep, with "
                "these activations, barely moves the cost through it", eq.text, eq.lhs.span)
        tol = max(self.options.tol, float(f"{resolvable:.2g}"))  # shown as it is used
        failing = [o for o in outcomes if not o[1] <= tol]
        base.update(rel_error=max(o[1] for o in outcomes) if not failing else failing[0][1],
                    tolerance=tol)
        coarser = ""
        if tol > self.options.tol:
            coarser = (f", not {self.options.tol:g}: the cost's rounding blurs its finite "
                       f"differences for {lhs_var} on every draw tried, a gradient too small "
                       "beside the cost")
        if not failing:
            return Result(verdict="pass", message="shapes line up and values match" +
                          (f" (to {tol:.2g}{coarser})" if coarser else ""), **base)
        assignment, error, truth, claim, transposed = failing[0]
        diagnosis, explanation = diagnose(truth.reference, claim, transposed, sizes,
                                          base["defaults"], model, lhs_var, tol)
        message = (f"the values differ from the finite-difference gradient of {model.cost} "
                   f"(relative error {error:.2g} > tolerance {tol:.2g}{coarser})")
        if not np.all(np.isfinite(claim)):
            message = "the right side has values that are not finite (inf or nan) on this draw"
        if explanation:
            message += f": {explanation}"
        activation = None
        holding = [o[0] for o in outcomes if o[1] <= tol]
        if holding:
            # right for some activations only: name one where it fails and one where it holds
            activation = dict(assignment)
            names = sorted(open_, key=_natural)
            if len(names) <= LISTED:
                ok, bound = _bound(names, holding[0]), _bound(names, assignment)
                open_said = f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} open"
                fix = " ".join(f"--activation {g}={holding[0][g]}" for g in names)
            else:  # a deep network's many activations, all bound alike
                ok, bound = holding[0][names[0]], assignment[names[0]]
                open_said = f"{names[0]} to {names[-1]} ({len(names)} activations) are open"
                fix = f"--activation {names[0]}={ok} and so on to {names[-1]}"
            message += (f". It holds for {ok} but not for {bound}: {open_said}, so the formula "
                        f"must hold for any smooth activation (or fix it: {fix})")
        return Result(verdict="value", message=message, diagnosis=diagnosis,
                      activation=activation, **base)


# a deep network leaves many activations open, all bound alike: past this many they are
# named by the first and the last
LISTED = 3


def _natural(name: str) -> tuple:
    """g2 before g10."""
    stem = name.rstrip("0123456789")
    return (stem, int(name[len(stem):]) if name[len(stem):] else -1)


def _bound(names: list[str], assignment: Mapping[str, str]) -> str:
    return ", ".join(f"{g} = {assignment[g]}" for g in names)


def _generic_names(eq: s.Equation) -> list[str]:
    """The generic-layer names (`W`, `dZ`, `A_prev`) a formula uses, on either side."""
    return sorted({n.id for n in s.walk(eq.rhs) if isinstance(n, s.Name) and is_generic(n.id)}
                  | ({eq.lhs.id} if is_generic(eq.lhs.id) else set()))


def _at_layer(generic: list[str], layer: int) -> dict[str, str]:
    """Each generic name, and the generic activation `g`, as it is at `layer`."""
    return {n: at_layer(n, layer) for n in generic + [GENERIC_FUNCTION]}


def _size_order(name: str):
    match = re.fullmatch(r"n(\d+)", name)
    return (0, int(match.group(1)), "") if match else (1, 0, name)


def _used(sizes: Mapping[str, int], model: Model) -> dict[str, int]:
    keys = sorted(set(sizes) | set(model.sizes_used), key=_size_order)
    return {k: sizes[k] for k in keys if k in sizes}


def _factor_names(sizes: Mapping[str, int], defaults: Mapping[str, int]) -> list[tuple[float, str]]:
    """Constant factors by name, the likeliest first: -1, m, small constants, the other
    declared sizes, and last the sizes chosen by default (whose values nobody chose)."""
    def of(names):
        named = []
        for name in sorted(names, key=lambda n: (n != "m", _size_order(n))):
            value = sizes[name]
            if value != 1:
                named += [(float(value), name), (1.0 / value, f"1/{name}"),
                          (-float(value), f"-{name}"), (-1.0 / value, f"-1/{name}")]
        return named
    constants = [(2.0, "2"), (0.5, "1/2"), (-2.0, "-2"), (-0.5, "-1/2")]
    # the examples' count m first (1/m is the course's classic slip), then small constants,
    # then the other declared sizes: a factor 2 is "2", not "n2" because n2 happens to be 2
    declared = [n for n in sizes if n not in defaults]
    return ([(-1.0, "-1")] + of(n for n in declared if n == "m") + constants
            + of(n for n in declared if n != "m") + of(n for n in sizes if n in defaults))


def _with_values(name: str, sizes: Mapping[str, int]) -> str:
    """'1/m' → '1/m = 1/5'; '2' → '2'."""
    shown = re.sub(r"[A-Za-z_]\w*", lambda m: str(sizes.get(m.group(0), m.group(0))), name)
    return name if shown == name else f"{name} = {shown}"


def diagnose(true: np.ndarray, claimed: np.ndarray, transposed: Callable[[], np.ndarray | None],
             sizes, defaults, model: Model, var: str, tol: float):
    """A constant factor or a transpose that turns the truth into the claim, in words; the
    two as they are compared (Gradient.reference, Gradient.claimed), `transposed()` the
    claim transposed (None if it is not square)."""
    if not np.all(np.isfinite(claimed)):
        return None, ""
    norm = float(np.vdot(true, true))
    if norm > 0:
        factor = float(np.vdot(true, claimed)) / norm
        if factor != 0 and relative_error(factor * true, claimed) <= max(tol, 1e-6):
            name = next((n for v, n in _factor_names(sizes, defaults)
                         if abs(factor - v) <= 1e-6 * abs(v)), f"{factor:.4g}")
            shape = model.shapes[var]
            value = _with_values(name, sizes)
            if model.batch is None and name in model.averaged_over and name in shape:
                return ({"kind": "convention", "factor": name},
                        f"the right side is {value} times the gradient of the mean cost; "
                        f"this is the course's convention for a per-example quantity (the summed "
                        f"loss), not a slip, but this model's cost is a mean: divide by {name}")
            fix = f"multiply it by {_inverse(name)}" if name != "-1" else "flip its sign"
            return ({"kind": "factor", "factor": name},
                    f"the right side is {value} times the true gradient; {fix}")
    swapped = transposed()
    if swapped is not None and relative_error(true, swapped) <= max(tol, 1e-6):
        return {"kind": "transpose"}, "the right side is the transpose of the true gradient"
    return None, ""


def _inverse(name: str) -> str:
    sign = "-" if name.startswith("-") else ""
    body = name.lstrip("-")
    if body.startswith("1/"):
        return sign + body[2:]
    return f"{sign}1/{body}"
