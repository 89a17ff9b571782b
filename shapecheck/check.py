"""One formula, checked on one bound model: shapes first, then (if they line up) values,
then a verdict.

A `Check` keeps nothing of its own: the models come from a `Binder`, the draws and their
gradients from a `Drawer`, both owned by the session. It never looks for advice: a shape
result carries what the session needs to look for a hint (`Unhinted`).
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Mapping

import numpy as np

from . import functions as functions_table, syntax as s
from .draws import Drawer
from .errors import BadOptionError, ModelError, ShapecheckError, UnknownNameError, closest_names
from .frozen import Record, record
from .functions import known
from .language.meaning import has_product, one_product, readings
from .language.sums import Examples
from .language.parse import parse_equation
from .models.binding import (Binder, at_layer_names, generic_in, layer_range, natural_order,
                              output_activation, size_order, unknown_function_message)
from .models.names import gradient_name, is_next, is_open_activation
from .models.model import OPEN_ACTIVATIONS, Model
from .numeric.evaluate import Evaluator
from .numeric.truth import refuse_if_too_large, relative_error
from .result import Operand, Options, Result, Shape, Source, show
from .shapes import Mismatch, ShapeEnv, infer

# where no draw resolves a gradient to the tolerance (the first layers of a deep sigmoid
# network: 1e-6 of the cost), the values are compared to this many times the relative
# rounding of the gradients compared and read, and that coarser tolerance is shown; past
# COARSEST, right and wrong formulas could not be told apart: an error
ROUNDING_MARGIN = 10
COARSEST = 1e-2


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


@record
class Reading(Record):
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


@record
class Unhinted(Record):
    """A shape result before the session looks for a hint: the right side, the failing
    node (None: the whole right side has the wrong shape), the shape the left side needs,
    and `shown` (names back as the user wrote them)."""
    rhs: s.Node
    node: s.Node | None
    lhs: str
    lhs_shape: Shape
    env: ShapeEnv
    shown: Mapping[str, str] | None


class Check:
    """Decides the verdict of one formula under one set of options."""

    def __init__(self, options: Options, binder: Binder, drawer: Drawer,
                 reads: dict | None = None):
        self.options = options
        self.binder = binder
        self.drawer = drawer
        # each equation's reading, kept by the caller (the session owns the caches): the
        # session reads a checked formula again to note what it used
        self.reads = {} if reads is None else reads

    def verdict(self, formula: str | s.Equation, source: Source | None = None) -> Result:
        """The verdict on `formula`, its text or its already-parsed equation; a formula
        that cannot be read or checked is an `error` Result, never an exception."""
        text = formula if isinstance(formula, str) else formula.text
        try:
            with np.errstate(all="ignore"):  # overflow etc. shows up as a non-finite value
                eq = parse_equation(text) if isinstance(formula, str) else formula
                return self._check(eq, source)
        except ShapecheckError as e:
            return failed(text, e)
        except RecursionError:
            return Result(text, "error", "the formula is nested too deeply to check")

    def _check(self, eq: s.Equation, source: Source | None) -> Result:
        text = eq.text
        generic = generic_in(eq)
        if not generic or self.options.forward or eq.cost is not None:  # a model of its own
            return self._check_equation(eq, source)
        if not self.options.layers:
            first = eq.lhs if eq.lhs.id in generic else next(
                n for n in s.walk(eq.rhs) if isinstance(n, s.Name) and n.id in generic)
            raise UnknownNameError(f"{first.id} is the name of a generic layer l: give the number "
                                   "of layers with --L N to check the formula at every layer",
                                   text, first.span)
        checked = self._layers(generic)
        outcomes, closest = {}, None
        for layer in checked:
            names = at_layer_names(generic, layer)
            shown = {specific: name for name, specific in names.items()}
            try:
                result = self._check_equation(s.rename(eq, names), source, shown)
            except ShapecheckError:
                if not outcomes or all(r.verdict == "pass" for r in outcomes.values()):
                    raise
                continue  # past a failure already found, a layer that cannot be checked
            outcomes[layer] = result
            if result.verdict == "pass" and result.rel_error is not None and (
                    closest is None or result.rel_error / result.tolerance >
                    closest.rel_error / closest.tolerance):
                closest = result
        failing = [layer for layer, r in outcomes.items() if r.verdict != "pass"]
        if failing:
            return self._failing_layers(outcomes, failing[0], tuple(checked))
        result = outcomes[checked[-1]]
        if closest is not None and closest is not result:
            # a pass at every layer shows the last layer's shape and the error of the layer
            # closest to its tolerance (in a deep network, the first layers: the least clear)
            result = replace(result, rel_error=closest.rel_error, tolerance=closest.tolerance,
                             message=closest.message)
        if not self.options.only_layers and checked[-1] == self.options.layers:
            return result
        at = f" at l = {layer_range(checked)}"
        return replace(result, layers=tuple(checked), message=result.message + at)

    def _layers(self, generic: list[str]) -> list[int]:
        """The layers a generic formula is checked at: 1..L (L-1 past `w^{l+1}`), or --layers'."""
        last = self.options.layers
        if not self.options.only_layers:
            return list(range(1, last + (0 if last > 1 and any(map(is_next, generic)) else 1)))
        first, end = self.options.only_layers
        if not 1 <= first <= end <= last:
            raise BadOptionError(f"--layers {layer_range(list(range(first, end + 1)))}: the "
                                 f"network has layers 1..{last} (--L {last}); give layers "
                                 f"between 1 and {last}, as --layers 1..{max(last - 1, 1)}")
        return list(range(first, end + 1))

    def _failing_layers(self, outcomes: dict, first: int, checked: tuple[int, ...]) -> Result:
        """The first failing layer's result, said with the layers where the formula holds."""
        from .diagnosis import layers_said  # diagnosis: only for a formula that fails
        result, last = outcomes[first], self.options.layers
        holding = [layer for layer, r in outcomes.items() if r.verdict == "pass"]
        where, after = layers_said(holding, first, last, checked,
                                   output_activation(self.options.activations, last))
        return replace(result, layer=first, layers=checked if self.options.only_layers else None,
                       message=where + result.message + after,
                       rule=where + result.rule if result.rule else None)

    # -- reading: slide and LaTeX notation may be read more than one way (SPEC)
    def read(self, eq: s.Equation) -> Reading:
        """The first reading of `eq` (`HW` as `H @ W`, `\\cdot` as `@` or as a dot product)
        whose right side has the left side's shape; the first reading if none has."""
        if eq not in self.reads:
            self.reads[eq] = self._read(eq)
        return self.reads[eq]

    def _read(self, eq: s.Equation) -> Reading:
        model, binding = self.binder.bind(eq)
        probed: dict[str, bool] = {}

        def is_variable(name: str) -> bool:  # also names the formula does not spell out (H in HW)
            if name not in binding and name not in probed:
                # beside the formula's own names, so the network has the depth they give it
                probe = s.Equation(eq.lhs, s.Tuple((eq.rhs, s.Name(name, eq.lhs.span)), eq.span),
                                   eq.text, cost=eq.cost)
                probed[name] = name in self.binder.bind(probe)[1]
            return name in binding or probed[name]

        sizes = set(self.options.sizes) | set(model.sizes_used)
        examples = Examples.of(model.examples, model.example_axis,  # for \sum_{i=1}^{m}
                               {n: model.shapes.get(var) for n, (var, _) in binding.items()})
        first = fitting = None
        for reading in readings(eq, is_variable, sizes.__contains__, examples):
            found, bound = self.binder.bind(reading.equation)  # its names may differ (H, W)
            variables = {n: found.shapes[var] if var in found.shapes else self.options.shapes[var]
                         for n, (var, _) in bound.items()}  # () is a scalar's shape, not missing
            env = ShapeEnv(variables, set(self.options.sizes) | set(found.sizes_used), eq.text)
            read = Reading(reading.equation, found, bound, env, reading.notes)
            first = first or read
            if fitting is not None:  # d2l's \text{prod}: no other arrangement may line up
                one_product(fitting, read)
            elif not reading.alternatives or read.fits():
                fitting = read
                if not has_product(read.notes):
                    return read
        return fitting or first

    def _check_equation(self, eq: s.Equation, source: Source | None,
                        shown: Mapping[str, str] | None = None) -> Result:
        """`shown` maps names back to how the user wrote them, for hints."""
        read = self.read(eq)
        result = self._check_reading(read, source, shown)
        if not read.notes:
            return result
        note = "; ".join(read.notes)
        return replace(result, reading=note, message=f"{result.message} (read {note})")

    def _check_reading(self, read: Reading, source: Source | None,
                       shown: Mapping[str, str] | None) -> Result:
        eq, model, binding = read.equation, read.model, read.binding
        text = eq.text
        lhs = eq.lhs.id
        if lhs not in binding or not binding[lhs][1]:
            example = sorted(model.weights)[0] if model.weights else model.inputs[0]
            raise UnknownNameError(
                f"the left side {lhs} must name a gradient of the model, such as "
                f"{gradient_name(example)} (the gradient of the cost {model.cost} with respect to "
                f"{example})", text, eq.lhs.span)
        refuse_unknown_functions(eq, model)
        lhs_var = binding[lhs][0]
        declared = dict(self.options.sizes)
        defaults = pick_defaults(sorted(model.sizes_used, key=size_order), declared)
        sizes = {**declared, **defaults}
        env = read.env
        lhs_shape = model.shapes[lhs_var]
        base = dict(formula=text, source=source, lhs_shape=lhs_shape, sizes=_used(sizes, model),
                    defaults=defaults)
        if any(isinstance(n, s.Jacobian) for n in s.walk(eq.rhs)):  # ∂L/∂A1 * ∂A1/∂Z1
            from .calculus.jacobians import chain_result, read_chain  # the scalar chain rule only
            return chain_result(eq, read_chain(eq, model, binding, shown), env, base)
        try:
            rhs_shape, node_shapes = infer(eq.rhs, env)
        except Mismatch as e:
            return self._shape_result(eq, e.failure, lhs_shape, env, base, shown)
        except UnknownNameError as e:
            raise unknown_variable(e, model, env) from None
        if tuple(rhs_shape) != tuple(lhs_shape):
            return self._result_shape(eq, rhs_shape, lhs_shape, env, base, shown)
        base["rhs_shape"] = rhs_shape
        if not self.options.values:
            return Result(verdict="pass", message="shapes line up (values not checked)", **base)
        return self._values(eq, model, binding, sizes, base, node_shapes)

    def _shape_result(self, eq, failure, lhs_shape, env, base, shown) -> Result:
        return Result(verdict="shape", message=failure.message, span=failure.node.span,
                      op_span=failure.op_span, operands=failure.operands,
                      rule=failure.message, **base,
                      unhinted=Unhinted(eq.rhs, failure.node, eq.lhs.id, lhs_shape, env, shown))

    def _result_shape(self, eq, rhs_shape, lhs_shape, env, base, shown) -> Result:
        message = (f"the right side is {show(rhs_shape)}, but {eq.lhs.id} is "
                   f"{show(lhs_shape)}: a formula's result must have its left side's shape")
        operands = (Operand(eq.lhs.id, eq.lhs.span, tuple(lhs_shape)),
                    Operand(eq.text[eq.rhs.span[0]:eq.rhs.span[1]], eq.rhs.span, tuple(rhs_shape)))
        return Result(verdict="shape", message=message, rhs_shape=rhs_shape, span=eq.rhs.span,
                      op_span=None, operands=operands[1:], rule=message, **base,
                      unhinted=Unhinted(eq.rhs, None, eq.lhs.id, lhs_shape, env, shown))

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
            outcome, blur = self._outcome(eq, model, binding, sizes, node_shapes,
                                          {**fixed, **assignment}, read, lhs_var)
            outcomes.append((assignment,) + outcome)
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
        from .diagnosis import diagnose
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
        if not holding and open_:
            message += self._only_for(eq, model, binding, sizes, node_shapes, fixed, open_,
                                      read, lhs_var, tol)
        if holding:
            # right for some activations only: name one where it fails and one where it holds
            activation = dict(assignment)
            names = sorted(open_, key=natural_order)
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


    def _outcome(self, eq, model, binding, sizes, node_shapes, functions, read, lhs_var):
        """(relative error, truth, claim, transposed claim) of the formula with these
        functions bound, and the blur of the gradients it read."""
        # the draw depends on the model's own functions only: a function that only the
        # formula calls (g1p(Z1)) shares the draw and the gradients of the rest
        draw, truth = self.drawer.resolved(model, sizes, {g: f for g, f in functions.items()
                                                          if g in model.open_functions
                                                          or g in model.fixed_functions}, lhs_var)
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
        return (error, truth, claim, transposed), blur

    def _only_for(self, eq, model, binding, sizes, node_shapes, fixed, open_, read, lhs_var,
                  tol) -> str:
        """Where a formula holds for no smooth activation: the kinked or linear one it holds
        for (`(Z > 0)` is relu's derivative), in words; else ""."""
        for other in ELSE_ACTIVATIONS:
            try:
                (error, *_), _ = self._outcome(eq, model, binding, sizes, node_shapes,
                                               {**fixed, **{g: other for g in open_}}, read,
                                               lhs_var)
            except ShapecheckError:
                continue
            if error <= tol:
                from .diagnosis import holds_only_for
                return holds_only_for(sorted(open_, key=natural_order), other,
                                      bool(self.options.forward))
        return ""


# activations no open one is checked with (not smooth, or linear), tried only to name the
# one a formula is right for when it holds for none of them
ELSE_ACTIVATIONS = tuple(a for a in functions_table.activations()
                         if a not in OPEN_ACTIVATIONS and functions_table.elementwise(a))
# a deep network leaves many activations open, all bound alike: past this many they are
# named by the first and the last
LISTED = 3


def _bound(names: list[str], assignment: Mapping[str, str]) -> str:
    return ", ".join(f"{g} = {assignment[g]}" for g in names)


def _used(sizes: Mapping[str, int], model: Model) -> dict[str, int]:
    keys = sorted(set(sizes) | set(model.sizes_used), key=size_order)
    return {k: sizes[k] for k in keys if k in sizes}


def refuse_unknown_functions(eq: s.Equation, model: Model) -> None:
    """A called name is a known function, one of the model's, or an open activation (a
    single letter: `g1`, `f`); any other is refused, with the closest known names (SPEC)."""
    for node in s.walk(eq.rhs):
        if not isinstance(node, (s.Call, s.Derivative)):
            continue
        func = node.func
        if known(func) or func in model.open_functions or func in model.fixed_functions \
                or is_open_activation(func):
            continue
        span = node.func_span
        if isinstance(node, s.Derivative) and eq.text[span[1] - 1:span[1]] == "'":
            span = (span[0], span[1] - 1)
        raise UnknownNameError(unknown_function_message(func), eq.text, span)


def unknown_variable(e: UnknownNameError, model: Model, env) -> UnknownNameError:
    """The shape stage's unknown name, with the closest names of the model (did you mean)."""
    if not e.span or e.text is None:
        return e
    name = e.text[e.span[0]:e.span[1]]
    names = set(env.variables) | set(model.shapes) | {gradient_name(v) for v in model.shapes}
    near = closest_names(name, names, count=3)
    if not near:
        return e
    said = f"{name} has no shape (did you mean {' or '.join(near)}?): "
    return UnknownNameError(e.message.replace(f"{name} has no shape: ", said, 1), e.text, e.span)


def failed(text: str, e: ShapecheckError) -> Result:
    """The `error` Result of a formula that cannot be read or checked; the place is shown
    where the error is in the formula's own text."""
    span = tuple(e.span) if e.span and e.text == text else None
    return Result(text, "error", e.message, span=span, op_span=span)
