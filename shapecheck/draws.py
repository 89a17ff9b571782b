"""Draws: a model's inputs drawn for a seed, its forward pass, and its true gradients by
finite differences, each computed once and kept in the dictionaries the session owns.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np

from .errors import ModelError
from .models.model import Model
from .numeric.truth import DRAW_ATTEMPTS, Differentiator, Draws, Gradient, Method, draw_forward
from .result import Options

# a true gradient is resolved when its rounding is at most this part of the tolerance (of
# its norm); draws tried until one is
RESOLUTION = 0.1
RESOLVE_ATTEMPTS = 4


@dataclass
class Draw:
    """One model's forward pass for one binding of its activations, and its gradients."""
    model: Model
    sizes: Mapping[str, int]
    values: dict[str, np.ndarray]
    differentiator: Differentiator
    gradients: dict[tuple[str, bool], Gradient] = field(default_factory=dict)

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


class Drawer:
    """The draws of one set of options: `draws` and `inputs` are the session's caches."""

    def __init__(self, options: Options, draws: dict | None = None, inputs: dict | None = None):
        self.options = options
        self.draws: dict[tuple, Draw] = {} if draws is None else draws
        self.inputs: dict[tuple, Draws] = {} if inputs is None else inputs  # shared by bindings

    def draw(self, model: Model, sizes: Mapping[str, int], functions: dict[str, str],
             again: int = 0) -> Draw:
        """The draw of `model`'s inputs for the seed (`again` > 0: one drawn anew, past the
        seeds that draw_forward may try) and its forward pass with `functions` bound."""
        key = (id(model), tuple(sorted(sizes.items())), tuple(sorted(functions.items())), again)
        if key not in self.draws:
            inputs_key = key[:2]
            if inputs_key not in self.inputs:
                self.inputs[inputs_key] = Draws(model, sizes)
            values, shared = draw_forward(model, sizes, functions,
                                          self.options.seed + again * DRAW_ATTEMPTS,
                                          self.inputs[inputs_key])
            method = Method(self.options.exact, self.options.exact_max, self.options.probes,
                            RESOLUTION * self.options.tol)
            differentiator = Differentiator(model, values, functions, sizes, method,
                                            self.options.seed, shared)
            self.draws[key] = Draw(model, sizes, values, differentiator)
        return self.draws[key]

    def resolved(self, model: Model, sizes: Mapping[str, int], functions: dict[str, str],
                 var: str) -> tuple[Draw, Gradient]:
        """A draw on which the true gradient of `var` stands clear of its rounding, and
        that gradient. A gradient that is almost zero by chance (db2 = mean(A2 - Y) with
        n2 = 1 and a few examples) is all rounding, so that any right formula would differ
        from it: such a draw is drawn again, as one next to a kink is, and the first one is
        kept where no draw does better (a gradient that is zero everywhere)."""
        first = None
        for again in range(RESOLVE_ATTEMPTS):
            try:
                draw = self.draw(model, sizes, functions, again)
            except ModelError:
                if first is None:  # the seed's own draws: the model has no usable draw
                    raise
                break              # later seeds may find none where the first did
            truth = draw.gradient(var, whole=False)
            first = first or (draw, truth)
            if truth.blur <= RESOLUTION * self.options.tol:
                return draw, truth
        return first
