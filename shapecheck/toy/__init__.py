"""`--toy`: the 2×2 toy, as course mentors teach it when a learner asks where a formula
comes from. Every size is 2 (or the small size given), the model's equations are written
out entry by entry as scalars, one entry of the gradient is taken by the scalar chain rule
and set beside the same entry of the formula, expanded; then every entry of both is
compared at random points, exactly.

Owns: scalar expressions in a canonical form (`scalars`), the entry-by-entry expansion of
syntax nodes (`expand`), the model as scalars, its draw and the chain rule (`chain`), and
the text (`render`). The session reads the formula (check's reading: lowered, bound to its
model) and calls `build`; nothing here calls back up.
May import: everything below the check stage; never `check`, `session`.
"""
from __future__ import annotations

from dataclasses import field, replace
from typing import Mapping

import numpy as np

from .. import syntax as s
from ..errors import ShapecheckError
from ..frozen import Record, record
from ..shapes import Mismatch, ShapeEnv, infer
from .chain import Chain, Draw, Scalars, gradient_factor
from .expand import Expander, grid
from .scalars import Poly, Unexpandable, entry, entry_text

DRAWS = 3          # random points every entry is compared at
TOLERANCE = 1e-9   # relative to the largest entry: both sides are exact arithmetic
MAX_SIZE = 4       # beyond this an entry's expression no longer reads at a glance
TOY_SIZE = 2


@record
class Toy(Record):
    """The toy of one formula, as plain data: the lines are (left, right) texts."""
    formula: str
    sizes: Mapping[str, int] = field(default_factory=dict)
    problem: str | None = None           # why there is no toy (then nothing else is set)
    notes: tuple[str, ...] = ()          # conventions and activations the lines assume
    target: str = ""                     # the entry shown, `dW1[0,1]`
    forward: tuple[tuple[str, str], ...] = ()
    chain: tuple[tuple[str, str], ...] = ()
    chained: tuple[str, str] = ("", "")  # the chain rule's entry, in the formula's symbols
    yours: tuple[str, str] = ("", "")    # the formula's entry, expanded
    entries: int = 0
    differ: str | None = None            # the first entry where they differ, or None
    same: bool = False                   # the same canonical expression at the shown entry
    values: tuple[float, float] | None = None  # chain rule vs formula there, at the draw
    draw: Draw | None = field(default=None, repr=False, compare=False)  # for tests


def sizes_for(model, env_sizes, declared: Mapping[str, int]) -> dict[str, int]:
    """Every size the model or the formula uses: the declared one if it is small, else 2."""
    names = {d for shape in model.shapes.values() for d in shape if isinstance(d, str)}
    names |= set(model.sizes_used) | set(env_sizes)
    return {n: int(declared[n]) if declared.get(n, MAX_SIZE + 1) <= MAX_SIZE else TOY_SIZE
            for n in sorted(names)}


def build(reading, declared: Mapping[str, int], seed: int = 0) -> Toy:
    """The toy of a formula as check reads it (`reading`: lowered, its model and binding)."""
    eq, model, binding = reading.equation, reading.model, reading.binding
    sizes = sizes_for(model, reading.env.sizes, declared)
    big = [f"{n} = {v}" for n, v in declared.items() if n in sizes and v > MAX_SIZE]
    said = (f"the toy takes {TOY_SIZE} for {', '.join(big)}: it writes every entry out, "
            f"at sizes of at most {MAX_SIZE}",) if big else ()
    lhs = binding.get(eq.lhs.id)
    if not lhs or not lhs[1]:
        return Toy(eq.text, sizes, problem=f"{eq.lhs.id} is not a gradient of the model's "
                   f"cost {model.cost}: the toy takes one by the chain rule")
    try:
        shape, parts = infer(eq.rhs, reading.env)
    except (Mismatch, ShapecheckError):
        return Toy(eq.text, sizes, problem="the shapes do not line up (see below): "
                   "there is no entry-by-entry form to compare")
    target = lhs[0]
    if tuple(shape) != tuple(model.shapes[target]):
        return Toy(eq.text, sizes, problem="the right side does not have the shape of "
                   f"{eq.lhs.id} (see below): there is no entry to compare")
    try:
        with np.errstate(all="ignore"):  # a value outside the model's domain is said, once
            found = _toy(eq, model, binding, parts, sizes, seed, reading.env)
        return replace(found, notes=said + found.notes)
    except Unexpandable as e:
        return Toy(eq.text, sizes, problem=e.reason)
    except (ZeroDivisionError, OverflowError, FloatingPointError):
        return Toy(eq.text, sizes, problem="the toy's random point is outside where the "
                   "model is defined")


def _toy(eq: s.Equation, model, binding, parts, sizes, seed: int, env: ShapeEnv) -> Toy:
    target = binding[eq.lhs.id][0]
    scalars = Scalars(model, sizes)
    gradients = {name: (var, gradient_factor(model, var))
                 for name, (var, is_gradient) in binding.items() if is_gradient}
    stops = {var: (name, factor) for name, (var, factor) in gradients.items()
             if name != eq.lhs.id and var != target}

    def names(name: str):
        bound = binding.get(name)
        if bound is None or bound[0] not in scalars.shapes:
            raise Unexpandable(f"{name} is not a quantity of the model")
        var, is_gradient = bound
        kind, said = ("gradient", name) if is_gradient else ("entry", var)
        return grid(scalars.shapes[var], lambda i: entry(said, i, kind))

    scalar_sizes = set(env.sizes) - set(binding)
    yours = Expander(names, parts, sizes, scalar_sizes).of(eq.rhs)
    shape = scalars.shapes[target]
    yours = np.broadcast_to(yours, shape)
    lhs_factor = gradients[eq.lhs.id][1]
    rng = np.random.default_rng(seed)
    draws = [Draw(scalars, rng, gradients) for _ in range(DRAWS)]
    indices = list(np.ndindex(*shape))

    def first_difference(draw: Draw) -> int | None:
        truth = [lhs_factor.value(draw.of) * draw.adjoint[target][i] for i in indices]
        if not np.all(np.isfinite(truth)):
            raise FloatingPointError("the gradient is not finite at the draw")
        claim = [yours[i].value(draw.of) for i in indices]
        scale = max([abs(v) for v in truth + claim if np.isfinite(v)] + [1e-300])
        return next((k for k, (t, c) in enumerate(zip(truth, claim))
                     if not (np.isfinite(c) and abs(t - c) <= TOLERANCE * scale)), None)

    found = sorted((k, n) for n, k in enumerate(map(first_difference, draws)) if k is not None)
    differ = found[0][0] if found else None
    at = draws[found[0][1]] if found else draws[0]  # the draw whose numbers are shown
    shown = indices[differ] if differ is not None else indices[min(1, len(indices) - 1)]
    coincide = differ is not None and first_difference(
        Draw(scalars, rng, gradients, at_toy_sizes=True)) is None
    chain = Chain(scalars, stops)
    chained = chain.gradient(target, shown) * lhs_factor
    written = entry_text(eq.lhs.id, shown)
    order = {name: k for k, name in enumerate(model.defined())}
    notes = _notes(model, gradients)
    read = sorted({a.name for p in (chained, Poly.of(yours[shown])) for a in p.depends()
                   if a.kind == "size"})
    if coincide:
        where = ", ".join(f"{n} = {sizes[n]}" for n in read)
        notes += (f"the two sides are equal where {where}, the toy's size, but not at other "
                  "sizes: a size read as a number stays a symbol here",)
    return Toy(
        eq.text, sizes, notes=notes, target=written,
        forward=tuple((entry_text(n, i), scalars.entries[n][i].show()) for n, i in
                      _few(sorted(chain.forward, key=lambda e: (order[e[0]], e[1])))),
        chain=tuple((left.show(), right.show()) for left, right in chain.lines),
        chained=(written, chained.show()), yours=(written, Poly.of(yours[shown]).show()),
        entries=len(indices), differ=written if differ is not None else None,
        same=chained == Poly.of(yours[shown]),
        values=(chained.value(at.of), Poly.of(yours[shown]).value(at.of)), draw=at)


def _few(readers, per_array: int = 2):
    """At most two entries of each quantity on the way: the pattern, not the whole grid."""
    counts: dict[str, int] = {}
    for name, index in readers:
        counts[name] = counts.get(name, 0) + 1
        if counts[name] <= per_array:
            yield name, index


def _notes(model, gradients) -> tuple[str, ...]:
    """What the lines take as given: the course's convention for per-example gradients,
    the fixed activations and the open ones."""
    notes = []
    for name, (var, factor) in sorted(gradients.items()):
        if factor.constant() != 1:
            notes.append(f"{name} = {factor.show()} * ∂{model.cost}/∂{var}: {var} is per "
                         f"example, and {name} the gradient of {factor.show()}*{model.cost}")
    for func, fixed in sorted(model.fixed_functions.items()):
        if any(func in eq.text for eq in model.equations):
            notes.append(f"{func} = {fixed}")
    for func in model.open_functions:
        notes.append(f"{func} is left open: {func}(...) and {func}'(...) are any numbers")
    return tuple(notes)
