"""The truth: inputs drawn for a model, its forward pass, and finite-difference gradients.

No autodiff: the gradient of the cost with respect to any quantity `V` (an input such as
`W1`, or a quantity computed on the way such as `Z1`) comes from central differences that
perturb `V` and recompute only the equations downstream of it. Many perturbations are one
stacked evaluation, chunked so that no array grows past a fixed budget.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from . import syntax as s
from .errors import BadOptionError, ModelError
from .evaluate import Evaluator
from .model import Model
from .shapes import Shape

STACK_BUDGET_BYTES = 64 * 2**20     # the largest stacked array a perturbation batch may make
MODEL_LIMIT_NUMBERS = 200_000_000   # 1.6 GB of float64 for one forward pass: refuse beyond
RELATIVE_STEP = 1e-5                # central differences: step relative to the variable's scale


def concrete(shape: Shape, sizes: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) else sizes[d] for d in shape)


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
    a square root reads them, identity-like but non-symmetric matrices under inv/det."""
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
            value = rng.standard_normal(shape) / math.sqrt(fan_in)
        else:
            value = rng.standard_normal(shape)
        values[name] = value[None]
    return values


def kink_margin(model: Model, values: Mapping[str, np.ndarray], functions: Mapping[str, str],
                sizes: Mapping[str, int]) -> float:
    """How far, relative to its typical size, the closest switch of relu/abs/max/a
    comparison is from switching: a finite difference must not step across one."""
    evaluate = Evaluator(values, functions, sizes, model.class_axis)
    closest = np.inf
    for node in model.kinks:
        if isinstance(node, s.BinOp):
            gap = evaluate(node.left) - evaluate(node.right)
        elif len(node.args) == 2:
            gap = evaluate(node.args[0]) - evaluate(node.args[1])
        else:
            gap = evaluate(node.args[0])
        scale = float(np.sqrt(np.mean(gap * gap))) or 1.0
        closest = min(closest, float(np.min(np.abs(gap))) / scale)
    return closest


def forward(model: Model, inputs: Mapping[str, np.ndarray], functions: Mapping[str, str],
            sizes: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Every quantity of the model (stack axis 1), given its inputs."""
    values = dict(inputs)
    evaluate = Evaluator(values, functions, sizes, model.class_axis)
    for eq in model.equations:
        values[eq.lhs.id] = evaluate(eq.rhs)
    return values


def gradient(model: Model, values: Mapping[str, np.ndarray], name: str,
             functions: Mapping[str, str], sizes: Mapping[str, int]) -> np.ndarray:
    """dJ/d`name` by central differences, entry by entry, many entries per numpy call."""
    x = values[name][0]
    downstream = model.downstream(name)
    if not downstream:
        return np.zeros_like(x)
    widest = max([x.size] + [values[model.equations[i].lhs.id][0].size for i in downstream])
    chunk = max(1, STACK_BUDGET_BYTES // (2 * 8 * 4 * widest))  # ~4 live arrays per equation
    scale = float(np.sqrt(np.mean(x * x))) if x.size else 1.0
    step = RELATIVE_STEP * max(scale, 1e-3)
    flat = x.reshape(-1)
    grad = np.empty(flat.size)
    for start in range(0, flat.size, chunk):
        idx = np.arange(start, min(flat.size, start + chunk))
        count = idx.size
        stack = np.repeat(flat[None], 2 * count, axis=0)
        rows = np.arange(count)
        stack[rows, idx] += step
        stack[rows + count, idx] -= step
        perturbed = dict(values)
        perturbed[name] = stack.reshape((2 * count,) + x.shape)
        evaluate = Evaluator(perturbed, functions, sizes, model.class_axis)
        for i in downstream:
            perturbed[model.equations[i].lhs.id] = evaluate(model.equations[i].rhs)
        cost = perturbed[model.cost].reshape(2 * count)
        grad[idx] = (cost[:count] - cost[count:]) / (2 * step)
    return grad.reshape(x.shape)


DRAW_ATTEMPTS = 8
KINK_MARGIN = 3 * RELATIVE_STEP  # relative distance from a switch that a step cannot cross


def draw_forward(model: Model, sizes: Mapping[str, int], functions: Mapping[str, str],
                 seed: int) -> dict[str, np.ndarray]:
    """A forward pass on inputs where the model is defined and differentiable: a draw that
    gives inf or nan, or lands next to a kink, is drawn again (seed, seed + 1, ...)."""
    problem = ""
    for attempt in range(DRAW_ATTEMPTS):
        with np.errstate(all="ignore"):
            values = forward(model, draw_inputs(model, sizes, seed + attempt), functions, sizes)
            bad = [n for n, v in values.items() if not np.all(np.isfinite(v))]
            if bad:
                problem = f"{bad[0]} is not finite (inf or nan)"
                continue
            if model.kinks and kink_margin(model, values, functions, sizes) < KINK_MARGIN:
                problem = "a relu/abs/max or a comparison sits at its switch"
                continue
        return values
    raise ModelError(f"no draw of the model's inputs gives finite, differentiable values "
                     f"({DRAW_ATTEMPTS} tried; on the last, {problem}): check where its "
                     "functions are defined (log and sqrt of what may be negative?)")


def relative_error(truth: np.ndarray, claim: np.ndarray) -> float:
    """||truth - claim|| / max(||truth||, ||claim||, tiny)."""
    scale = max(float(np.linalg.norm(truth)), float(np.linalg.norm(claim)), 1e-300)
    return float(np.linalg.norm(truth - claim)) / scale
