"""Check a hand-written backward function, not a formula: every gradient it returns is
compared with central finite differences of the forward function, and reported as the
command reports a formula (shape, relative error, a constant factor or a transpose).

    check_backward(forward, backward, shapes={"W": ("n1", "n0"), "b": ("n1", 1),
                   "A_prev": ("n0", "m")}, sizes={"n0": 3, "n1": 4, "m": 5}, examples="m")

The convention, in full:

* Inputs are drawn for `seed`: float64, standard normal, of the `shapes` given (whole
  numbers, or size names that `sizes` gives). They are passed by keyword, a fresh copy to
  every call, so that a function that writes into its arguments changes nothing here.
* `forward(**inputs)` returns either the cost J (a number, or an array of no dimension) or
  an output array `out`. For an output, an upstream gradient `dout` of its shape is drawn
  and the cost is J = sum(out * dout): `dout` is then dJ/dout.
* `backward(**inputs)` (for a cost), or `backward(dout, **inputs)` (for an output), returns
  the gradients: a dict by input name (the inputs it leaves out are not checked), or a
  tuple or list with one per input in the order of `shapes`, or a lone array where there
  is one input.
* `examples="m"`: the course's convention. The cost is a mean over the m examples,
  J = sum(out * dout) / m with `dout` per example (the course's dZ); the gradients of the
  inputs whose shape holds m (A_prev, Z, X) are per example, of the summed loss (m dJ/dV),
  those of the parameters (W, b) of the mean. `linear_backward` and `relu_backward` of
  the course's assignments follow it. Without `examples` every gradient is dJ/dV.
* Inputs of at most `exact_max` entries are differentiated entry by entry; larger ones
  along `probes` random directions (the gradient's projections are compared).

User functions are Python the user wrote and are called as such; no text is evaluated.
"""
from __future__ import annotations

import io
import math
from dataclasses import field
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .errors import BadOptionError
from .frozen import Record, record
from .models.factors import inverse, name_of, with_values
from .numeric.differences import relative_error
from .numeric.margins import step_for
from .result import Result, show

Dims = tuple  # of whole numbers and size names


@record
class GradientCheck(Record):
    """The verdict on one gradient a backward function returned."""
    name: str                 # the input it is the gradient of
    verdict: str              # pass | shape | value | error
    message: str
    output: str               # where backward returned it: `backward(...)['W']`, `[1]`
    shape: Dims               # the input's shape, as given (size names kept)
    returned_shape: tuple | None = None
    rel_error: float | None = None
    tolerance: float | None = None
    diagnosis: dict | None = None  # {"kind": "factor", "factor": "1/m"} / {"kind": "transpose"}
    method: str = "exact"     # exact | directional (projections on random directions)

    @property
    def ok(self) -> bool:
        return self.verdict == "pass"


@record
class BackwardCheck(Record):
    """`check_backward`'s answer: `.ok`, a GradientCheck per gradient returned (by name:
    `result["W"]`), `.wrong`, and the report as text (`str(result)`, its repr)."""
    function: str
    gradients: tuple[GradientCheck, ...]
    sizes: Mapping[str, int] = field(default_factory=dict)
    cost: str = ""            # how J was made, for the report
    unchecked: tuple[str, ...] = ()  # inputs backward returned no gradient for

    @property
    def ok(self) -> bool:
        return bool(self.gradients) and all(g.ok for g in self.gradients)

    @property
    def wrong(self) -> list[str]:
        return [g.name for g in self.gradients if not g.ok]

    def __getitem__(self, name: str) -> GradientCheck:
        for gradient in self.gradients:
            if gradient.name == name:
                return gradient
        raise KeyError(name)

    def results(self) -> list[Result]:
        """Each gradient as the command's Result of a formula, for the report."""
        return [Result(g.output, g.verdict, g.message, lhs_shape=g.shape,
                       rhs_shape=g.returned_shape, rel_error=g.rel_error, tolerance=g.tolerance,
                       diagnosis=g.diagnosis, sizes=dict(self.sizes)) for g in self.gradients]

    def text(self, width: int | None = None) -> str:
        """The report as the command prints it to a pipe: plain text, unwrapped."""
        from . import report  # rendering only when shown

        buffer = io.StringIO()
        self._render(report.make_console(buffer, width))
        return buffer.getvalue().rstrip("\n")

    def _repr_html_(self) -> str:
        """The report in colour, as a terminal shows it, for a notebook."""
        from rich.console import Console

        from . import report

        console = Console(file=io.StringIO(), record=True, theme=report.THEME, width=120,
                          force_terminal=True, color_system="truecolor", highlight=False,
                          soft_wrap=True)
        self._render(console)
        return console.export_html(inline_styles=True, code_format=(
            '<pre style="font-family: Menlo, Consolas, monospace; line-height: 1.3">'
            "{code}</pre>"))

    def _render(self, console) -> None:
        from . import report

        for result in self.results():
            report.render_one(result, console)
        counts = ", ".join(f"{sum(g.verdict == v for g in self.gradients)} {v}"
                           for v in ("pass", "shape", "value", "error")
                           if any(g.verdict == v for g in self.gradients))
        said = f"{self.function}: {len(self.gradients)} gradient" \
               f"{'s' if len(self.gradients) != 1 else ''} checked: {counts or 'none'}"
        if self.unchecked:
            said += f"; none returned for {', '.join(self.unchecked)}"
        console.print(said + (f" ({self.cost})" if self.cost else ""), style="bold",
                      highlight=False)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()


def check_backward(forward: Callable, backward: Callable, shapes: Mapping[str, Sequence],
                   sizes: Mapping[str, int] | None = None, examples: str | None = None,
                   seed: int = 0, tol: float = 1e-6, exact_max: int = 512,
                   probes: int = 8) -> BackwardCheck:
    """Every gradient `backward` returns, compared with finite differences of `forward`
    on inputs of `shapes` drawn for `seed` (the convention: this module's docstring)."""
    sizes = dict(sizes or {})
    concrete = {name: _concrete(name, dims, sizes) for name, dims in shapes.items()}
    if examples is not None and examples not in sizes:
        raise BadOptionError(f"examples={examples!r}: give its size, sizes={{{examples!r}: 5}}")
    if not concrete:
        raise BadOptionError("shapes is empty: give the shape of each input of forward")
    rng = np.random.default_rng([seed, 11])
    inputs = {name: rng.standard_normal(shape) for name, shape in concrete.items()}
    cost = _Cost(forward, inputs, sizes[examples] if examples else 1, rng)
    claimed = _returned(backward, cost, list(shapes))
    plan = _Plan(sizes, examples, tol, exact_max, probes, rng,
                 {d for dims in shapes.values() for d in dims if isinstance(d, str)})
    checks = [_check_one(name, output, value, tuple(shapes[name]), cost, plan)
              for name, (output, value) in claimed.items()]
    return BackwardCheck(_name(backward), tuple(checks), sizes, cost.said(examples),
                         tuple(n for n in shapes if n not in claimed))


@record
class _Plan(Record):
    """How the gradients are checked (check_backward's options) and the size names used."""
    sizes: Mapping[str, int]
    examples: str | None
    tol: float
    exact_max: int
    probes: int
    rng: np.random.Generator
    named: set


class _Cost:
    """J of the inputs: forward's cost, or sum(out * dout) (over `mean`, the examples)."""

    def __init__(self, forward: Callable, inputs: dict[str, np.ndarray], mean: int, rng):
        self.forward, self.inputs, self.mean = forward, inputs, mean
        out = self._call(inputs)
        self.dout = None if np.ndim(out) == 0 else rng.standard_normal(np.shape(out))
        value = self._cost(out)  # of the output just made: forward is not called again
        if not math.isfinite(value):
            raise BadOptionError(f"{_name(forward)} gives a cost that is not finite ({value}) "
                                 "on inputs drawn from a standard normal distribution")

    def _call(self, values: Mapping[str, np.ndarray]):
        return self.forward(**{n: np.array(v) for n, v in values.items()})

    def of(self, values: Mapping[str, np.ndarray]) -> float:
        return self._cost(self._call(values))

    def _cost(self, out) -> float:
        if self.dout is None:
            return float(out)
        if np.shape(out) != self.dout.shape:
            raise BadOptionError(f"{_name(self.forward)} returned {show(np.shape(out))}, then "
                                 f"{show(self.dout.shape)}: the same inputs' shapes each call")
        return float(np.sum(np.asarray(out) * self.dout)) / self.mean

    def with_(self, name: str, value: np.ndarray) -> float:
        return self.of({**self.inputs, name: value})

    def said(self, examples: str | None) -> str:
        mean = f" / {examples}" if examples else ""
        return "J is the cost forward returns" if self.dout is None else \
            f"J = sum(out * dout){mean}, dout drawn"


def _returned(backward: Callable, cost: _Cost, names: list[str]) -> dict[str, tuple[str, object]]:
    """name → (where backward returned it, the value) for each gradient returned."""
    copies = {n: np.array(v) for n, v in cost.inputs.items()}
    got = backward(**copies) if cost.dout is None else backward(np.array(cost.dout), **copies)
    function = _name(backward)
    if isinstance(got, Mapping):
        unknown = [k for k in got if k not in names]
        if unknown:
            raise BadOptionError(f"{function} returned a gradient for {unknown[0]!r}, which is "
                                 f"no input of forward (the inputs: {', '.join(names)})")
        return {n: (f"{function}(...)[{n!r}]", got[n]) for n in names if n in got}
    if isinstance(got, (tuple, list)):
        if len(got) != len(names):
            raise BadOptionError(
                f"{function} returned {len(got)} gradients for {len(names)} inputs "
                f"({', '.join(names)}): return one per input in that order, or a dict by name")
        return {n: (f"{function}(...)[{i}] for {n}", g) for i, (n, g) in enumerate(zip(names, got))}
    if len(names) == 1:
        return {names[0]: (f"{function}(...) for {names[0]}", got)}
    raise BadOptionError(f"{function} returned a {type(got).__name__}: return a dict of "
                         f"gradients by input name, or a tuple with one per input ({', '.join(names)})")


def _check_one(name: str, output: str, value, dims: Dims, cost: _Cost,
               plan: _Plan) -> GradientCheck:
    """One gradient: its shape, then its values against finite differences of J (its
    projections on random directions, for a large input), then the diagnosis."""
    x, sizes, tol = cost.inputs[name], plan.sizes, plan.tol
    # per example (the course's convention): the gradient of the summed loss, m dJ/dV
    scale = sizes[plan.examples] if plan.examples and plan.examples in dims else 1
    base = dict(name=name, output=output, shape=dims)
    try:
        if value is None or isinstance(value, (str, bytes)):  # np.asarray reads them as nan
            raise TypeError
        claim = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return GradientCheck(verdict="error", message=f"the gradient returned for {name} is a "
                             f"{type(value).__name__}, not an array of numbers", **base)
    base["returned_shape"] = claim.shape
    if x.size <= plan.exact_max:
        truth, project, method = _exact(cost, name) * scale, (lambda a: a), "exact"
    else:
        directions = plan.rng.standard_normal((plan.probes,) + x.shape)
        truth = _directional(cost, name, directions) * scale
        project, method = (lambda a: np.tensordot(directions, a, axes=a.ndim)), "directional"
    base["method"] = method
    swapped = claim.T if claim.ndim == 2 and claim.shape == x.shape[::-1] else None
    if claim.shape != x.shape:
        said = f"the gradient returned for {name} is {show(claim.shape)}, but {name} is " \
               f"{_shape(dims, sizes)}: " \
               "a gradient has the shape of its variable"
        if swapped is not None and relative_error(truth, project(swapped)) <= tol:
            said += ". Its transpose is the true gradient: transpose it (.T)"
            base["diagnosis"] = {"kind": "transpose"}
        elif claim.size == x.size and np.ndim(claim) != x.ndim:
            said += f"; reshape it to {show(x.shape)} (or sum keeping its dimensions)"
        return GradientCheck(verdict="shape", message=said, **base)
    if not np.all(np.isfinite(claim)):
        return GradientCheck(verdict="value", message=f"the gradient returned for {name} holds "
                             "inf or nan", **base)
    claimed = project(claim)
    error = relative_error(truth, claimed)
    if error <= tol:
        return GradientCheck(verdict="pass", message="", rel_error=error, tolerance=tol, **base)
    diagnosis, why = _diagnosed(truth, claimed, project(claim.T) if claim.ndim == 2
                                and claim.shape[0] == claim.shape[1] else None, plan)
    said = f"the values differ from the finite-difference gradient of J (relative error " \
           f"{error:.2g} > tolerance {tol:g})" + (f": {why}" if why else "")
    return GradientCheck(verdict="value", message=said, rel_error=error, tolerance=tol,
                         diagnosis=diagnosis, **base)


def _diagnosed(truth, claimed, transposed, plan: _Plan):
    """A constant factor (named as the command names it: m, 1/m, 2, -1) or a transpose
    that turns the true gradient into the one returned, in words."""
    sizes, tol = plan.sizes, plan.tol
    norm = float(np.vdot(truth, truth))
    if norm > 0:
        factor = float(np.vdot(truth, claimed)) / norm
        if factor != 0 and relative_error(factor * truth, claimed) <= max(tol, 1e-6):
            name = name_of(factor, sizes) or f"{factor:.4g}"
            fix = f"multiply it by {inverse(name)}" if name != "-1" else "flip its sign"
            said = f"the gradient returned is {with_values(name, sizes)} times the true " \
                   f"gradient; {fix}"
            size = name.lstrip("-").removeprefix("1/")
            if plan.examples is None and size in plan.named:
                said += (f" (or, if it follows the course's convention, averaged over the "
                         f"examples {size} and per example for the inputs that hold them, "
                         f"say so: examples={size!r})")
            return {"kind": "factor", "factor": name}, said
    if transposed is not None and relative_error(truth, transposed) <= max(tol, 1e-6):
        return {"kind": "transpose"}, "the gradient returned is the transpose of the true one"
    return None, ""


def _exact(cost: _Cost, name: str) -> np.ndarray:
    """dJ/d`name` entry by entry: the central differences along each unit direction (made
    one at a time, never the whole identity)."""
    x = cost.inputs[name]
    units = (np.eye(1, x.size, i).reshape(x.shape) for i in range(x.size))
    return _directional(cost, name, units).reshape(x.shape)


def _directional(cost: _Cost, name: str, directions: Iterable[np.ndarray]) -> np.ndarray:
    """<dJ/d`name`, v> for each direction v (random ones, or _exact's unit ones)."""
    x = cost.inputs[name]
    step = step_for(x)
    return np.array([(cost.with_(name, x + step * v) - cost.with_(name, x - step * v))
                     / (2 * step) for v in directions])


def _concrete(name: str, dims: Sequence, sizes: Mapping[str, int]) -> tuple[int, ...]:
    shape = []
    for dim in dims:
        if isinstance(dim, str) and dim in sizes:
            shape.append(int(sizes[dim]))
        elif isinstance(dim, (int, np.integer)) and not isinstance(dim, bool) and dim > 0:
            shape.append(int(dim))
        else:
            raise BadOptionError(f"shapes[{name!r}] = {tuple(dims)}: {dim!r} is neither a "
                                 "positive whole number nor a size that sizes gives")
    return tuple(shape)


def _shape(dims, sizes) -> str:
    concrete = tuple(sizes.get(d, d) if isinstance(d, str) else d for d in dims)
    return show(tuple(dims)) + (f" = {show(concrete)}" if concrete != tuple(dims) else "")


def _name(function) -> str:
    return getattr(function, "__name__", None) or type(function).__name__
