"""The truth: inputs drawn for a model where it is defined and differentiable, their forward
pass, and (from numeric.differences) finite-difference gradients on them.

This module draws; margins.py says how far a draw is from kinks and edges, differences.py
takes the gradients. The names check and draws read are all importable from here.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from .. import syntax as s
from ..errors import BadOptionError, ModelError
from .evaluate import Shared
from ..models.model import Model
from .differences import Differentiator, Gradient, Method, relative_error
from .margins import (EDGE_DIRECTIONS, EDGE_MARGIN, EDGE_ONE_AT_A_TIME, KINK_MARGIN, concrete,
                      edge_margin, forward, kink_gaps, kink_margin, one_sided, step_for)

# what check, draws and the tests read from here, whichever module now holds it
__all__ = ["DRAW_ATTEMPTS", "Differentiator", "Draws", "Gradient", "Method", "draw_forward",
           "draw_inputs", "refuse_if_too_large", "relative_error", "EDGE_DIRECTIONS",
           "EDGE_ONE_AT_A_TIME", "edge_margin", "forward", "step_for"]

MODEL_LIMIT_NUMBERS = 200_000_000   # 1.6 GB of float64 for one forward pass: refuse beyond
DRAW_ATTEMPTS = 16


def refuse_if_too_large(model: Model, sizes: Mapping[str, int]) -> None:
    """Refuse, before allocating anything, sizes whose forward pass would not fit."""
    total, largest = 0, ("", 0)
    for name, shape in model.shapes.items():
        count = math.prod(concrete(shape, sizes))
        total += count
        largest = max(largest, (name, count), key=lambda item: item[1])
    if total > MODEL_LIMIT_NUMBERS:
        name, count = largest
        dims = ", ".join(f"{d}={sizes[d]}" for d in model.shapes[name] if isinstance(d, str))
        raise BadOptionError(
            f"these sizes are too large to check: {name} alone would hold {count:.3g} numbers "
            f"({dims}), and one forward pass needs {total * 8 / 2**30:.3g} GiB; the limit is "
            f"{MODEL_LIMIT_NUMBERS * 8 / 2**30:.3g} GiB")


def draw_inputs(model: Model, sizes: Mapping[str, int], seed: int) -> dict[str, np.ndarray]:
    """Random float64 inputs, each with a stack axis of 1, drawn where the model is defined:
    labels in (0, 1) (probability vectors under a softmax), positive values where a log or
    a square root reads them, identity-like but non-symmetric matrices under inv/det, and
    the factors of a matrix product scaled by its inner size (Model.fan_in)."""
    rng = np.random.default_rng(seed)
    values = {}
    for name in model.inputs:
        shape = concrete(model.shapes[name], sizes)
        if name in model.labels:
            value = rng.uniform(0.05, 0.95, size=shape)
            if model.label_axis is not None and len(shape) > model.label_axis:
                value = value / value.sum(axis=model.label_axis, keepdims=True)
        elif name in model.invertible and len(shape) == 2 and shape[0] == shape[1]:
            n = shape[0]
            value = 2.0 * np.eye(n) + 0.5 * rng.standard_normal(shape) / math.sqrt(n)
        elif name in model.positive:
            value = 0.5 + np.abs(rng.standard_normal(shape))
        elif name in model.weights:
            fan_in = shape[1 - model.class_axis] if len(shape) == 2 else 1
            value = rng.standard_normal(shape)
            value /= math.sqrt(fan_in)  # in place: W1 may be the largest array of the model
        else:
            value = rng.standard_normal(shape)
            scales = [concrete((dim,), sizes)[0] ** -power
                      for n, dim, power in model.fan_in if n == name]
            if scales:
                value *= min(scales)
        values[name] = value[None]
    return values


class Draws:
    """The inputs drawn for one model and sizes, per seed, and what every binding of the
    open activations shares on them: drawn and computed once, not once per activation."""

    def __init__(self, model: Model, sizes: Mapping[str, int]):
        self.model, self.sizes = model, sizes
        self._draws: dict[int, tuple[dict[str, np.ndarray], Shared]] = {}

    def __call__(self, seed: int) -> tuple[dict[str, np.ndarray], Shared]:
        if seed not in self._draws:
            self._draws[seed] = (draw_inputs(self.model, self.sizes, seed),
                                 Shared(self.model.independent))
        return self._draws[seed]


def draw_forward(model: Model, sizes: Mapping[str, int], functions: Mapping[str, str],
                 seed: int, draws: Draws | None = None) -> tuple[dict[str, np.ndarray], Shared]:
    """A forward pass on inputs where the model is defined and differentiable: a draw that
    gives inf or nan, lands next to a kink or next to the edge of a domain (where central
    differences are not accurate) is drawn again (seed, seed + 1, ...); so is one where a
    kink's entries all sit on one side of it, unless no draw does better."""
    draws = draws or Draws(model, sizes)
    problem, fallback = "", None
    for attempt in range(DRAW_ATTEMPTS):
        with np.errstate(all="ignore"):
            inputs, shared = draws(seed + attempt)
            values = forward(model, inputs, functions, sizes, shared)
            bad = [n for n, v in values.items() if not np.all(np.isfinite(v))]
            if bad:
                problem = f"{bad[0]} is not finite (inf or nan)"
                continue
            gaps = kink_gaps(model, values, functions, sizes) if model.kinks else []
            if gaps and kink_margin(model, values, functions, sizes, gaps) < KINK_MARGIN:
                problem = f"{_switches(model)} sits at its switch"
                continue
            if model.edges and edge_margin(model, inputs, values, functions, sizes,
                                           seed + attempt, shared) < EDGE_MARGIN:
                problem = ("a log, square root, divisor or inverse reads a value next to the "
                           "edge of its domain (0, or a singular matrix)")
                continue
            if one_sided(gaps):  # usable, but a draw that shows both branches is better
                fallback = fallback or (values, shared)
                continue
        return values, shared
    if fallback is not None:  # no draw showed both branches: the model may never
        return fallback
    raise ModelError(f"no draw of the model's inputs gives finite, differentiable values "
                     f"({DRAW_ATTEMPTS} tried; on the last, {problem}): check where its "
                     "functions are defined (logs and square roots of what may be negative?)")


def _switches(model: Model) -> str:
    """What switches in `model`, for a message: `a relu/abs or a comparison`."""
    calls = "/".join(sorted({node.func for node in model.kinks if isinstance(node, s.Call)}))
    compares = any(not isinstance(node, s.Call) for node in model.kinks)
    return f"a {calls} or a comparison" if calls and compares else f"a {calls or 'comparison'}"
