"""Where central differences are accurate: a variable's step, and how far a draw is from
the kinks (relu/abs/max/comparisons) and the edges of domains (log, sqrt, divisors, inv)
that a step must not cross. The forward pass and the evaluator at a perturbed point, which
both the draws and the differences use, live here too.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from .. import syntax as s
from .evaluate import BaseValues, Evaluator, Shared
from .memo import per_array
from ..models.model import Model
from .structured import LowRank, dense
from ..shapes import Shape

RELATIVE_STEP = 1e-5                # central differences: step relative to the variable's scale
KINK_MARGIN = 3 * RELATIVE_STEP  # relative distance from a switch that a step cannot cross
# how many steps away from the edge of its domain an argument must be: a central difference
# next to a pole errs by about (step / distance)²; beyond this margin a correct formula's
# relative error was never above 1e-7 (log, sqrt, 1/x, inv, over thousands of draws),
# ten times below the default tolerance
EDGE_MARGIN = 3e3
EDGE_DIRECTIONS = 2  # random directions that measure how far a step moves each argument
# up to this many inputs, each is moved alone (structured: a rank-1 move of W1 stays cheap
# through W1 @ X); a model with more (a deep network) moves all at once, densely
EDGE_ONE_AT_A_TIME = 8


def concrete(shape: Shape, sizes: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) else sizes[d] for d in shape)


def scale_of(x: np.ndarray) -> float:
    """The typical size of `x`'s entries (root mean square), never below 1e-3; once per
    array (every binding of the activations steps the same drawn W1)."""
    return per_array(x, "scale", _scale)


def _scale(x: np.ndarray) -> float:
    flat = x.reshape(-1)
    scale = math.sqrt(float(flat @ flat) / flat.size) if flat.size else 1.0  # no temporary
    return max(scale, 1e-3)


def step_for(x: np.ndarray) -> float:
    """A central difference's step for `x`: relative to its typical size."""
    return RELATIVE_STEP * scale_of(x)


def kink_gaps(model: Model, values: Mapping[str, np.ndarray], functions: Mapping[str, str],
              sizes: Mapping[str, int]) -> list[np.ndarray]:
    """For each relu/abs/max/comparison of the model, how far each entry is from its
    switch (the sign says on which side it is)."""
    evaluate = Evaluator(values, functions, sizes, model.class_axis)
    gaps = []
    for node in model.kinks:
        if isinstance(node, s.BinOp):
            gaps.append(evaluate(node.left) - evaluate(node.right))
        elif len(node.args) == 2:
            gaps.append(evaluate(node.args[0]) - evaluate(node.args[1]))
        else:
            gaps.append(evaluate(node.args[0]))
    return gaps


def kink_margin(model: Model, values: Mapping[str, np.ndarray], functions: Mapping[str, str],
                sizes: Mapping[str, int], gaps: list[np.ndarray] | None = None) -> float:
    """How far, relative to its typical size, the closest switch of relu/abs/max/a
    comparison is from switching: a finite difference must not step across one."""
    closest = np.inf
    for gap in kink_gaps(model, values, functions, sizes) if gaps is None else gaps:
        scale = float(np.sqrt(np.mean(gap * gap))) or 1.0
        closest = min(closest, float(np.min(np.abs(gap))) / scale)
    return closest


def one_sided(gaps: list[np.ndarray]) -> bool:
    """Whether some switch with several entries has them all on one side: such a draw
    shows one branch only (`np.maximum(x, 1)` with every x below 1 has a zero gradient,
    which any multiple of the right formula matches)."""
    return any(gap.size > 1 and (np.all(gap > 0) or np.all(gap < 0)) for gap in gaps)


def forward(model: Model, inputs: Mapping[str, np.ndarray], functions: Mapping[str, str],
            sizes: Mapping[str, int], shared: Shared | None = None) -> dict[str, np.ndarray]:
    """Every quantity of the model (stack axis 1), given its inputs."""
    values = dict(inputs)
    evaluate = Evaluator(values, functions, sizes, model.class_axis, shared=shared)
    for eq in model.equations:
        values[eq.lhs.id] = evaluate(eq.rhs)
    return values


def perturbed_evaluator(model: Model, base: BaseValues, name: str, perturbed) -> Evaluator:
    """An evaluator at the point where `name` takes the stacked values `perturbed`: the
    equations downstream of it, but the cost, evaluated again (structured where they can
    be), every other sub-expression taken from `base`."""
    values = dict(base.evaluate.values)
    values[name] = perturbed
    downstream = model.downstream(name)
    changed = frozenset({name} | {model.equations[i].lhs.id for i in downstream})
    evaluate = Evaluator(values, base.evaluate.functions, base.evaluate.sizes, model.class_axis,
                         base, changed)
    for i in downstream:
        if i != len(model.equations) - 1:
            values[model.equations[i].lhs.id] = evaluate.value(model.equations[i].rhs)
    return evaluate



def edge_margin(model: Model, inputs: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray],
                functions: Mapping[str, str], sizes: Mapping[str, int], seed: int,
                shared: Shared | None = None) -> float:
    """How many finite-difference steps the argument closest to the edge of its domain (0
    for log, sqrt and a divisor, -1 for log1p, a singular matrix for inv) is from it. What
    a step moves an argument by is measured: every input moved at once by about one step
    in a few random directions (more than a step of one entry moves it: the safe side),
    the largest move of each entry counted."""
    base = BaseValues(values, functions, sizes, model.class_axis, shared)
    return closest_edge(model, base, _edge_moves(model, inputs, base, seed))


def closest_edge(model: Model, base: BaseValues, moves: list[np.ndarray]) -> float:
    """How many of the moves `moves` (one per edge, per direction) the closest edge
    argument is from its edge."""
    closest = np.inf
    for (edge, node), move in zip(model.edges, moves):
        at = base.value(node)
        if edge == "singular":
            if at.ndim != 3 or at.shape[-1] != at.shape[-2]:
                continue
            distance = np.linalg.svd(at[0], compute_uv=False)[-1]  # to the nearest singular
            step = float(np.max(np.linalg.norm(move.reshape(move.shape[0], -1), axis=1)))
        else:
            distance = np.abs(at[0] + (1.0 if edge == "minus one" else 0.0))
            step = np.max(np.abs(move), axis=0)
        distance, step = np.broadcast_arrays(distance, step)
        with np.errstate(all="ignore"):
            ratio = np.where(step > 0, distance / np.where(step > 0, step, 1.0), np.inf)
        closest = min(closest, float(np.min(ratio)) if ratio.size else np.inf)
    return closest


def _edge_moves(model: Model, inputs: Mapping[str, np.ndarray], base: BaseValues,
                seed: int) -> list[np.ndarray]:
    """How far each edge argument moves, per direction, when every input moves by a step.
    The moves of the inputs one at a time are added up: a step is so small that this is the
    move of all at once (to its square), and one input at a time stays structured (a rank-1
    move of W1 is one through W1 @ X), where moving all at once would recompute the model
    densely."""
    rng = np.random.default_rng([seed, 11])
    if len(inputs) > EDGE_ONE_AT_A_TIME:
        return _edge_moves_at_once(model, inputs, base, rng)
    stepped = {name: _stepped(x, rng) for name, x in inputs.items()}
    moves: list[np.ndarray | float] = [0.0] * len(model.edges)
    # inputs that one equation alone reads (X, W1, b1 in Z1 = W1 @ X + b1) meet in its
    # left side: their moves of it are added there and go on from it once, not once each
    # (each is one evaluation of everything downstream, the activation of a whole layer)
    meeting: dict[int, list[str]] = {}
    for name in inputs:
        meeting.setdefault(_sole_reader(model, name), []).append(name)
    for reader, names in meeting.items():
        if reader is not None and len(names) > 1:
            lhs = model.equations[reader].lhs.id
            at = base.evaluate.values[lhs]
            moved = None
            for name in names:
                change = _change_by(model, base, reader, name, stepped[name], at)
                moved = at + change if moved is None else np.add(moved, change, out=moved)
            names = [lhs]
            stepped[lhs] = moved
        for name in names:
            for i, move in enumerate(edge_moves_of(model, base, name, stepped[name])):
                moves[i] = moves[i] + move
    return moves


def _sole_reader(model: Model, name: str) -> int | None:
    """The equation that alone reads `name`, if one does and it holds no edge argument of
    its own (its left side's moves then carry every move of `name`), and is not the cost's."""
    readers = [i for i, uses in enumerate(model.uses) if name in uses]
    if len(readers) != 1 or readers[0] == len(model.equations) - 1:
        return None
    inside = {id(node) for node in s.walk(model.equations[readers[0]].rhs)}
    return None if any(id(node) in inside for _, node in model.edges) else readers[0]


def _change_by(model: Model, base: BaseValues, reader: int, name: str, moved,
               at: np.ndarray) -> np.ndarray:
    """How the left side of equation `reader` (now `at`) changes when `name` takes the
    stacked values `moved`: a rank-1 change is its outer product, never base + change - base."""
    values = dict(base.evaluate.values)
    values[name] = moved
    evaluate = Evaluator(values, base.evaluate.functions, base.evaluate.sizes,
                         model.class_axis, base, frozenset({name}))
    value = evaluate.value(model.equations[reader].rhs)
    if isinstance(value, LowRank):
        return value.left * value.right if value.left.shape[-1] == 1 else value.left @ value.right
    return dense(value) - at


def _stepped(x: np.ndarray, rng: np.random.Generator):
    """`x` moved by a step in EDGE_DIRECTIONS directions, each a product of one random
    vector per axis (u_i v_j for a matrix): random signs and sizes in every entry for a few
    random numbers, not one per entry, and rank 1 through a product."""
    step = step_for(x)
    factors = []
    for axis, size in enumerate(x.shape[1:], start=1):
        shape = [EDGE_DIRECTIONS] + [1] * (x.ndim - 1)
        shape[axis] = size
        factors.append(rng.standard_normal(shape))
    if len(factors) == 2:
        moved = LowRank(x, step * factors[0], factors[1])
    else:
        direction = np.ones((EDGE_DIRECTIONS,) + (1,) * (x.ndim - 1))
        for factor in factors:
            direction = direction * factor
        moved = x + step * direction
    return moved


def edge_moves_of(model: Model, base: BaseValues, name: str, moved) -> list[np.ndarray]:
    """How far each edge argument moves, per direction, when `name` takes the stacked
    values `moved`."""
    evaluate = perturbed_evaluator(model, base, name, moved)
    return [evaluate(node) - base.value(node) if base.names(node) & evaluate.changed
            else np.zeros((EDGE_DIRECTIONS,) + base.value(node).shape[1:])
            for _, node in model.edges]


def _edge_moves_at_once(model: Model, inputs: Mapping[str, np.ndarray], base: BaseValues,
                        rng: np.random.Generator) -> list[np.ndarray]:
    """The edge arguments' moves when every input moves at once, densely: one forward pass
    per direction, where one input at a time would cost a pass of what lies downstream of
    each (quadratic in the depth of a deep network)."""
    moved = {name: x + step_for(x) * rng.standard_normal((EDGE_DIRECTIONS,) + x.shape[1:])
             for name, x in inputs.items()}
    values = forward(model, moved, base.evaluate.functions, base.evaluate.sizes)
    evaluate = Evaluator(values, base.evaluate.functions, base.evaluate.sizes, model.class_axis)
    return [evaluate(node) - base.value(node) for _, node in model.edges]

