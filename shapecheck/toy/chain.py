"""The model written out as scalars, its values at a random point, and the scalar chain rule.

Each equation's every entry is an expression in the entries of what it reads
(`Z1[0,1] = W1[0,0]*X[0,1] + W1[0,1]*X[1,1] + b1[0,0]`). An entry's gradient is the sum,
over the entries it feeds, of their gradient times the partial derivative of each by it:
∂J/∂W1[0,1] = Σ ∂J/∂Z1[k,l] * ∂Z1[k,l]/∂W1[0,1]. The same sums, taken numerically from
the cost back to the inputs, give the true gradient at a draw; the partials are exact
(differentiated symbolically), so the truth is exact evaluation, not an approximation.

An activation left open (`g1`) is a function nobody fixed: its values and its derivative's
values at the points the draw reaches are drawn at random, independently, so a formula
agrees with the chain rule only if it does for every smooth g1.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from .. import functions
from ..models.model import Model
from ..shapes import ShapeEnv, infer
from .expand import Expander, Grid, grid
from .scalars import Atom, Poly, Unexpandable, apply, entry, entry_text, partial, size

MAX_ORDER = 1  # a known function's derivative is in the table; its second is not


def _rule(atom: Atom, d_arg: Poly) -> Poly:
    """The chain rule through one function atom: f'(u) * du; (1/u)' = -(1/u)**2 * du."""
    if atom.kind == "reciprocal":
        return -(Poly.atom(atom) * Poly.atom(atom)) * d_arg
    return apply(atom.name, atom.arg, atom.order + 1) * d_arg


class Scalars:
    """The model at the toy's sizes: every defined quantity's entries as expressions in the
    symbols of the entries it reads; who reads each entry; the partials, once each."""

    def __init__(self, model: Model, sizes: Mapping[str, int]):
        self.model, self.sizes = model, dict(sizes)
        self.shapes = {n: tuple(d if isinstance(d, int) else self.sizes[d] for d in shape)
                       for n, shape in model.shapes.items()}
        size_names = set(self.sizes)
        self.entries: dict[str, Grid] = {}
        self.readers: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        self._partials: dict[tuple, Poly] = {}
        for eq in model.equations:
            _, parts = infer(eq.rhs, ShapeEnv(model.shapes, size_names, eq.text))
            expander = Expander(self.symbols, parts, self.sizes, size_names - set(model.shapes))
            values = expander.of(eq.rhs)
            shape = self.shapes[eq.lhs.id]
            values = np.broadcast_to(values, shape) if values.shape != shape else values
            name = eq.lhs.id
            self.entries[name] = grid(shape, lambda i: Poly.of(values[i]))
            for index in np.ndindex(*shape):
                for atom in self.entries[name][index].depends():
                    if atom.kind == "entry":
                        self.readers.setdefault(atom.text, []).append((name, index))

    @property
    def cost(self) -> str:
        return self.model.cost

    def symbols(self, name: str) -> Grid:
        if name not in self.shapes:
            raise Unexpandable(f"{name} is not a quantity of the model")
        return grid(self.shapes[name], lambda i: entry(name, i))

    def partial(self, name: str, index: tuple[int, ...], by: Atom) -> Poly:
        """∂name[index]/∂by, symbolically."""
        key = (name, index, by.text)
        if key not in self._partials:
            self._partials[key] = self.entries[name][index].diff(by, _rule)
        return self._partials[key]

    def fed(self, name: str, index: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
        """The entries that read name[index], in the model's order."""
        return self.readers.get(entry_text(name, index), [])


class Draw:
    """One random point: every input entry, every size read as a scalar (never its toy
    value, see expand), each open activation's values; then the forward values and the
    exact gradient ∂J/∂V of every quantity."""

    def __init__(self, scalars: Scalars, rng: np.random.Generator,
                 gradients: Mapping[str, tuple[str, Poly]], at_toy_sizes: bool = False):
        self.scalars, self.rng = scalars, rng
        self.gradients = gradients  # a formula's gradient name → (quantity, factor)
        model = scalars.model
        self.sizes = {n: float(v if at_toy_sizes else rng.uniform(2.5, 4.5))
                      for n, v in scalars.sizes.items()}
        self.arrays: dict[str, np.ndarray] = {}
        for name in model.inputs:
            shape = scalars.shapes[name]
            low = 0.05 if name in model.labels or name in model.positive else -1.0
            self.arrays[name] = rng.uniform(low, 0.95, size=shape)
        self.tables: dict[tuple[str, int], dict[float, float]] = {}
        for name in model.defined():
            self.arrays[name] = self._evaluate(scalars.entries[name])
        self.adjoint = {n: np.zeros(shape) for n, shape in scalars.shapes.items()}
        self.adjoint[scalars.cost][...] = 1.0
        for name in reversed(model.defined()):
            for index in np.ndindex(*scalars.shapes[name]):
                weight = self.adjoint[name][index]
                for atom in scalars.entries[name][index].depends():
                    if atom.kind == "entry":
                        self.adjoint[atom.name][atom.index] += \
                            weight * scalars.partial(name, index, atom).value(self.of)

    def _evaluate(self, values: Grid) -> np.ndarray:
        out = np.zeros(values.shape)
        for index in np.ndindex(*values.shape):
            out[index] = values[index].value(self.of)
        return out

    def function(self, func: str, order: int):
        """The numbers of `func` (differentiated `order` times): a known function's from the
        table (a fixed activation, g2 = sigmoid, is its function), an open one's drawn."""
        known = functions.lookup(self.scalars.model.fixed_functions.get(func, func))
        if known is not None:
            if order > MAX_ORDER or known.value is None or known.derivative is None:
                raise Unexpandable(f"{func}{chr(39) * order} is not in the function table")
            numbers = known.value if order == 0 else known.derivative
            return lambda x: float(numbers(np.array([x], dtype=float))[0])
        table = self.tables.setdefault((func, order), {})

        def drawn(x: float) -> float:
            key = round(x, 9)
            if key not in table:
                table[key] = float(self.rng.uniform(0.1, 0.9))
            return table[key]
        return drawn

    def of(self, atom: Atom) -> float:
        if atom.kind == "entry":
            return float(self.arrays[atom.name][atom.index])
        if atom.kind == "size":
            return self.sizes[atom.name]
        if atom.kind == "partial":
            return float(self.adjoint[atom.name][atom.index])
        if atom.kind == "gradient":
            var, factor = self.gradients[atom.name]
            return factor.value(self.of) * float(self.adjoint[var][atom.index])
        if atom.kind == "reciprocal":
            return 1.0 / atom.arg.value(self.of)
        return self.function(atom.name, atom.order)(atom.arg.value(self.of))


class Chain:
    """The chain rule for one entry of a gradient, written down as it is taken: one line
    ∂J/∂V[i] = Σ ∂J/∂C[k] * ∂C[k]/∂V[i] for each entry on the way, stopping at the cost
    (∂J/∂J = 1) and at the gradients the formula names (`dZ2`, through their convention:
    ∂J/∂Z2 = dZ2/m for a per-example quantity)."""

    def __init__(self, scalars: Scalars, stops: Mapping[str, tuple[str, Poly]]):
        self.scalars = scalars
        self.stops = stops  # quantity → (the formula's name of its gradient, factor)
        self.lines: list[tuple[Poly, Poly]] = []     # ∂J/∂V[i] = its sum of products
        self.forward: list[tuple[str, tuple[int, ...]]] = []  # the entries on the way
        self._done: dict[tuple, Poly] = {}

    def gradient(self, name: str, index: tuple[int, ...]) -> Poly:
        """∂J/∂name[index] in the symbols of the model and of the stops."""
        key = (name, index)
        if key in self._done:
            return self._done[key]
        if name == self.scalars.cost:
            return Poly.const(1)
        if name in self.stops:
            said, factor = self.stops[name]
            value = entry(said, index, "gradient") / factor
            self.lines.append((partial(name, index, self.scalars.cost), value))
            self._done[key] = value
            return value
        by = entry(name, index)
        (atom,) = by.atoms()
        written, total = Poly(), Poly()
        fed = self.scalars.fed(name, index)
        for reader in fed:
            if reader not in self.forward:
                self.forward.append(reader)
        line = len(self.lines)
        self.lines.append((partial(name, index, self.scalars.cost), Poly()))
        for reader, at in fed:
            local = self.scalars.partial(reader, at, atom)
            onward = Poly.const(1) if reader == self.scalars.cost else \
                partial(reader, at, self.scalars.cost)
            written = written + onward * local
            total = total + self.gradient(reader, at) * local
        self.lines[line] = (self.lines[line][0], written)
        self._done[key] = total
        return total


def gradient_factor(model: Model, name: str) -> Poly:
    """The course's convention: a per-example quantity's gradient is that of m*J."""
    if name in model.per_example and model.batch:
        return size(model.batch)
    return Poly.const(1)

