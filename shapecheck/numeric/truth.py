"""The truth: inputs drawn for a model, its forward pass, and finite-difference gradients.

No autodiff: the gradient of the cost with respect to any quantity `V` (an input such as
`W1`, or a quantity computed on the way such as `Z1`) comes from central differences that
perturb `V` and recompute only the equations downstream of it. Many perturbations are one
stacked evaluation, chunked so that no array grows past a fixed budget.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping

import numpy as np

from .. import syntax as s
from ..errors import BadOptionError, ModelError, ShapecheckError
from .evaluate import BaseValues, Evaluator, Shared
from ..models.model import Model
from .structured import LowRank, Patch
from ..shapes import Shape

STACK_BUDGET_BYTES = 256 * 2**20    # the largest stacked array a perturbation batch may make
BATCH_BYTES = 2 * 2**20             # the size of stacked array that numpy handles fastest
MODEL_LIMIT_NUMBERS = 200_000_000   # 1.6 GB of float64 for one forward pass: refuse beyond
RELATIVE_STEP = 1e-5                # central differences: step relative to the variable's scale
# the size, relative to a variable's scale, of the change that checks that its examples'
# losses are separate: large enough that any coupling of examples shows far above rounding
SEPARABILITY_CHANGE = 1e-3
GROUPING_WORTH = 4  # a whole gradient by groups is worth this many times random directions
ROUNDING_ULPS = 1   # units in the last place by which an evaluated cost may be off


def concrete(shape: Shape, sizes: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) else sizes[d] for d in shape)


def scale_of(x: np.ndarray) -> float:
    """The typical size of `x`'s entries (root mean square), never below 1e-3."""
    flat = x.reshape(-1)
    scale = math.sqrt(float(flat @ flat) / flat.size) if flat.size else 1.0  # no temporary
    return max(scale, 1e-3)


def step_for(x: np.ndarray) -> float:
    """A central difference's step for `x`: relative to its typical size."""
    return RELATIVE_STEP * scale_of(x)


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


@dataclass(frozen=True)
class Method:
    """How true gradients are taken: entry by entry up to `exact_max` entries (or always,
    with `exact`), else by `probes` random directions; per-example quantities of a
    separable model column by column group."""
    exact: bool = False
    exact_max: int = 512
    probes: int = 8
    # a gradient whose rounding is more than this fraction of it is taken again with longer
    # steps (Differentiator.refined); the checker sets it from its tolerance
    resolution: float = 1e-7


@dataclass(frozen=True)
class Gradient:
    """A true gradient: the whole array, or its projections on random directions."""
    full: np.ndarray | None = None
    projections: np.ndarray | None = None  # (K,) directional derivatives
    left: np.ndarray | None = None         # directions: dense (K, *shape), or rank 1 u (K, a)
    right: np.ndarray | None = None        # ... and v (K, b)
    method: str = "exact"
    # the rounding that the finite differences may hold, as a norm beside `reference`'s:
    # each difference quotient (J(x + h) - J(x - h)) / 2h errs by about eps * |J| / h
    noise: float = 0.0

    @property
    def reference(self) -> np.ndarray:
        """The truth as it is compared: the whole array, or its directional derivatives."""
        return self.full if self.full is not None else self.projections

    @property
    def blur(self) -> float:
        """How much of the gradient its rounding may be, relative to it."""
        scale = _norm(self.reference)
        # a gradient of exact zeros: the cost did not move at all, which no rounding does
        return self.noise / scale if scale else 0.0

    def claimed(self, node: s.Node, shapes: Mapping[int, Shape], evaluate: Evaluator,
                transposed: bool = False) -> np.ndarray | None:
        """The claim `node` (its parts' shapes in `shapes`) as it is compared with
        `reference`: whole, or projected on the directions; transposed if asked (None when
        the claim is not a square matrix). A rank-1 direction u vᵀ meets a matrix product
        as (uᵀA)(Bv), so that a claim `dZ1 @ X.T` costs a few matrix-vector products
        instead of a matrix product as large as the model's."""
        if self.right is not None:
            if transposed and self.left.shape[1] != self.right.shape[1]:
                return None
            u, v = (self.right, self.left) if transposed else (self.left, self.right)
            return _projected(node, shapes, evaluate, u, v)
        claim = evaluate(node)[0]
        if transposed:
            if claim.ndim != 2 or claim.shape[0] != claim.shape[1]:
                return None
            claim = claim.T
        if self.full is not None:
            return claim
        return np.tensordot(self.left, claim, axes=claim.ndim)


def _projected(node: s.Node, shapes: Mapping[int, Shape], evaluate: Evaluator,
               u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """uₖᵀ E vₖ for each direction k, where E is the matrix `node` stands for; products,
    sums, scalings and transposes are projected part by part."""
    def shape(n: s.Node) -> Shape:
        return tuple(shapes.get(id(n), (None,)))

    if isinstance(node, s.Neg):
        return -_projected(node.operand, shapes, evaluate, u, v)
    if isinstance(node, s.Transpose) and len(shape(node.operand)) == 2:
        return _projected(node.operand, shapes, evaluate, v, u)
    if isinstance(node, s.BinOp):
        left, right = shape(node.left), shape(node.right)
        if node.op == "@" and len(left) == 2 and len(right) == 2:
            a, b = evaluate(node.left)[0], evaluate(node.right)[0]
            return np.sum((u @ a) * (v @ b.T), axis=1)
        if node.op in ("+", "-") and left == right == shape(node):
            first = _projected(node.left, shapes, evaluate, u, v)
            second = _projected(node.right, shapes, evaluate, u, v)
            return first + second if node.op == "+" else first - second
        if node.op in ("*", "/") and right == () and left == shape(node):
            scale = evaluate(node.right)[0]
            projected = _projected(node.left, shapes, evaluate, u, v)
            return projected * scale if node.op == "*" else projected / scale
        if node.op == "*" and left == () and right == shape(node):
            return evaluate(node.left)[0] * _projected(node.right, shapes, evaluate, u, v)
    return np.sum((u @ evaluate(node)[0]) * v, axis=1)


class Differentiator:
    """Finite-difference gradients of one draw of a model, sharing the unperturbed values
    of every sub-expression."""

    def __init__(self, model: Model, values: Mapping[str, np.ndarray],
                 functions: Mapping[str, str], sizes: Mapping[str, int], method: Method,
                 seed: int = 0, shared: Shared | None = None):
        self.model, self.values, self.functions, self.sizes = model, values, functions, sizes
        self.method = method
        self.base = BaseValues(values, functions, sizes, model.class_axis, shared)
        self.rng = np.random.default_rng([seed, 7])
        self._entry_bytes = 0  # the widest dense value one perturbation made, last batch
        self._example_axes: dict[str, int | None] = {}
        self._directions: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self._stretch: float | None = None
        self._edge_steps: dict[str, float] = {}

    def gradient(self, name: str, whole: bool) -> Gradient:
        """dJ/d`name`; `whole` when every entry is needed (a gradient read by a formula)."""
        x = self.values[name][0]
        downstream = self.model.downstream(name)
        if not downstream or downstream[-1] != len(self.model.equations) - 1:
            return Gradient(full=np.zeros_like(x))  # the cost does not depend on it
        if self.method.exact or x.size <= self.method.exact_max:
            take = self.exact
        elif self.example_axis(name) is not None and (whole or self._grouping_pays(name)):
            take = self.grouped
        elif whole:
            take = self.exact
        else:
            take = self.directional
        # a quantity next to an edge in its own step (A = sigmoid(...) near 1 under
        # log(1 - A)) is taken with a step as much shorter
        shorter = min(1.0, self.edge_steps(name) / EDGE_MARGIN)
        gradient = take(name, shorter) if shorter < 1 else take(name)
        if gradient.blur > self.method.resolution:
            return self.refined(name, take, gradient, shorter)
        return gradient

    def edge_steps(self, name: str) -> float:
        """How many of its own steps the edge arguments downstream of `name` are from their
        edges (inf: none). The draw keeps them EDGE_MARGIN steps of the inputs away; a
        quantity the model defines may be nearer in its own step: A = sigmoid(X @ w) moves
        its argument under log(1 - A) by A's whole step, X only by A(1 - A) of X's."""
        if name not in self._edge_steps:
            steps = np.inf
            if self.model.edges and name not in self.model.inputs:
                # every entry moved by a whole step (random signs): as far as a difference
                # moves one, or farther
                rng = np.random.default_rng([17, *name.encode()])  # the same in any order
                x = self.values[name]
                signs = rng.choice([-1.0, 1.0], size=(EDGE_DIRECTIONS,) + x.shape[1:])
                moves = edge_moves_of(self.model, self.base, name, x + step_for(x) * signs)
                steps = _closest_edge(self.model, self.base, moves)
            self._edge_steps[name] = steps
        return self._edge_steps[name]

    def refined(self, name: str, take, gradient: Gradient, shorter: float = 1.0) -> Gradient:
        """A gradient that its rounding blurs, taken again with steps S and 2S times as
        long, combined by Richardson's extrapolation, (4 D(S) - D(2S)) / 3: the rounding
        falls by S, and the truncation error, now of the fourth order in the step, stays
        below it. This is what a deep sigmoid network needs, whose first layers' gradients
        are 1e-5 of the cost: one step's change of the cost is then close to its last
        digits. S is as long as the draw's distance from kinks and edges allows."""
        stretch = min(self.stretch(), self.edge_steps(name) / math.sqrt(EDGE_MARGIN) / 2)
        if stretch <= shorter:
            return gradient
        short, long = take(name, stretch), take(name, 2 * stretch)
        combine = (lambda a, b: None if a is None else (4 * a - b) / 3)
        return replace(short, full=combine(short.full, long.full),
                       projections=combine(short.projections, long.projections),
                       noise=(4 * short.noise + long.noise) / 3)

    def stretch(self) -> float:
        """How many times a step may be lengthened on this draw: up to MAX_STRETCH, while
        twice the longer step stays as far from every kink as one step must, and from every
        edge √EDGE_MARGIN steps: the extrapolation's error there falls as (step/distance)⁴,
        one difference's as (step/distance)², so that is as accurate."""
        if self._stretch is None:
            stretch = MAX_STRETCH
            model, values, functions, sizes = self.model, self.values, self.functions, self.sizes
            if model.kinks:
                stretch = min(stretch, kink_margin(model, values, functions, sizes)
                              / KINK_MARGIN / 2)
            if model.edges:
                inputs = {n: values[n] for n in model.inputs}
                stretch = min(stretch, edge_margin(model, inputs, values, functions, sizes, 0,
                                                   self.base.evaluate.shared)
                              / math.sqrt(EDGE_MARGIN) / 2)
            self._stretch = stretch
        return self._stretch

    def example_axis(self, name: str) -> int | None:
        """The axis along which the examples run in `name`, where the cost is a sum of
        per-example losses and example j of `name` moves loss j only; else None."""
        if name not in self._example_axes:
            self._example_axes[name] = self._separable_axis(name)
        return self._example_axes[name]

    def _grouping_pays(self, name: str) -> bool:
        """For a left side, which random directions would do: whether the whole gradient by
        groups costs at most GROUPING_WORTH times the directions (it is exact, and a right
        side may read it). What one perturbation of each kind makes downstream is measured:
        a row of Z1 stays a row, a column of H in H @ W spreads over all of H @ W."""
        x = self.values[name][0]
        axis = 1 - self.example_axis(name)
        rows = x[:1] if axis == 0 else x[:, :1].T
        # a pair of each, as a batch has: a stack of one is taken for the unperturbed value
        pair = np.zeros(2, dtype=int)
        self._costs(name, Patch(x[None], axis, pair, np.repeat(rows, 2, axis=0)),
                    per_example=True)
        grouped = x.shape[axis] * max(self._entry_bytes, 8)
        self._costs(name, LowRank(x[None], np.zeros((2, x.shape[0], 1)),
                                  np.zeros((2, 1, x.shape[1]))))
        return grouped <= GROUPING_WORTH * self.method.probes * max(self._entry_bytes, 8)

    def _separable_axis(self, name: str) -> int | None:
        """Checked on this draw: the examples of `name` are split at random, one part is
        moved by a small random change, and only their losses may move, by as much as the
        cost does. A model whose examples meet (a mean over them, a Gram matrix
        `H.T @ H`, a softmax across them) moves the others' losses too, at once."""
        model, shape = self.model, self.model.shapes[name]
        if model.example_axis is None or len(shape) != 2 or shape.count(model.examples) != 1:
            return None
        axis = shape.index(model.examples)
        x = self.values[name][0]
        if x.shape[axis] < 2:
            return None
        rng = np.random.default_rng([x.shape[axis], 13])
        moved = rng.random(x.shape[axis]) < 0.5
        moved[:2] = True, False  # at least one example of each kind
        change = SEPARABILITY_CHANGE * scale_of(x) * rng.standard_normal(x.shape)
        change *= moved[None, :] if axis == 1 else moved[:, None]
        stack = np.stack([x, x + change])
        try:
            losses = np.asarray(self._costs(name, stack, per_example=True))
            costs = np.asarray(self._costs(name, stack)).reshape(2)
        except (ShapecheckError, ValueError):  # per-example losses that do not broadcast
            return None
        if losses.shape != (2, x.shape[axis]):
            return None
        delta = losses[1] - losses[0]
        size = float(np.max(np.abs(delta[moved])))
        total = costs[1] - costs[0]
        if not size or np.max(np.abs(delta[~moved])) > 1e-9 * size \
                or abs(delta.sum() - total) > 1e-6 * max(abs(total), size):
            return None
        return axis

    def _costs(self, name: str, perturbed, per_example: bool = False) -> np.ndarray:
        """The cost for each stacked perturbation of `name` (per example if asked)."""
        evaluate = perturbed_evaluator(self.model, self.base, name, perturbed)
        if per_example:
            evaluate.per_example_axis = self.model.example_axis
        cost = evaluate(self.model.equations[self.model.downstream(name)[-1]].rhs)
        self._entry_bytes = evaluate.largest_entry
        return cost

    def _batches(self, total: int, name: str):
        """Index ranges over `total` perturbations of `name` (each taken up and down): a
        first batch sized for the largest quantity downstream measures the memory one
        perturbation takes (structured values take less), then batches fill the budget."""
        start, size = 0, max(1, min(total, 8, BATCH_BYTES // (2 * self._widest(name))))
        while start < total:
            yield np.arange(start, min(total, start + size))
            start += size
            # arrays of a few MB keep numpy in the caches; the budget caps memory
            size = max(1, min(BATCH_BYTES, STACK_BUDGET_BYTES // 4) // (2 * max(self._entry_bytes, 8)))

    def _widest(self, name: str) -> int:
        """Bytes of the largest quantity that a perturbation of `name` changes, dense."""
        changed = [name] + [self.model.equations[i].lhs.id for i in self.model.downstream(name)]
        return 8 * max(self.values[n][0].size for n in changed)

    def exact(self, name: str, stretch: float = 1.0) -> Gradient:
        """Entry by entry: perturb each entry up and down, many entries per numpy call. A
        matrix entry is perturbed as a patch of its row (of its column, in a row vector),
        which stays cheap downstream."""
        x = self.values[name][0]
        step, flat = stretch * step_for(x), x.reshape(-1)
        grad, noise = np.empty(flat.size), np.empty(flat.size)
        for idx in self._batches(flat.size, name):
            count, rows = idx.size, np.arange(idx.size)
            if x.ndim == 2:
                # a row's patch; a column's for a row vector, which broadcasts over rows
                # (b in H @ W + b): one changed column stays one column downstream
                axis = 1 if x.shape[0] == 1 < x.shape[1] else 0
                lines = x if axis == 0 else x.T                # the patched rows or columns
                line, at = np.divmod(idx, lines.shape[1])
                slices = np.concatenate([lines[line], lines[line]])
                slices[rows, at] += step
                slices[rows + count, at] -= step
                perturbed = Patch(x[None], axis, np.concatenate([line, line]), slices)
            else:
                stack = np.repeat(flat[None], 2 * count, axis=0)
                stack[rows, idx] += step
                stack[rows + count, idx] -= step
                perturbed = stack.reshape((2 * count,) + x.shape)
            cost = self._costs(name, perturbed).reshape(2 * count)
            grad[idx] = (cost[:count] - cost[count:]) / (2 * step)
            noise[idx] = _rounding(cost[:count], cost[count:], step)
        return Gradient(full=grad.reshape(x.shape), noise=_norm(noise))

    def grouped(self, name: str, stretch: float = 1.0) -> Gradient:
        """A per-example quantity of a separable model: one row (the same entry of every
        example) moves at once, and each example's loss tells its own column."""
        x = self.values[name][0]
        axis = 1 - self.example_axis(name)            # the axis whose rows are perturbed
        count_rows = x.shape[axis]
        step = stretch * step_for(x)
        grad, noise = np.empty_like(x), np.empty_like(x)
        for idx in self._batches(count_rows, name):
            rows = (x[idx] if axis == 0 else x[:, idx].T)          # (count, examples)
            index = np.concatenate([idx, idx])
            slices = np.concatenate([rows + step, rows - step])
            losses = self._costs(name, Patch(x[None], axis, index, slices), per_example=True)
            losses = losses.reshape(2 * idx.size, -1)
            change = (losses[:idx.size] - losses[idx.size:]) / (2 * step)
            rounding = _rounding(losses[:idx.size], losses[idx.size:], step)
            if axis == 0:
                grad[idx], noise[idx] = change, rounding
            else:
                grad[:, idx], noise[:, idx] = change.T, rounding.T
        return Gradient(full=grad, noise=_norm(noise), method="grouped")

    def directional(self, name: str, stretch: float = 1.0) -> Gradient:
        """`K` random directions `V`: (J(x + hV) - J(x - hV)) / 2h = <dJ/dx, V>. A matrix
        is probed in rank-1 directions `u vᵀ`, which stay cheap through a product."""
        x = self.values[name][0]
        k = self.method.probes
        step = stretch * step_for(x)
        projections, noise = np.empty(k), np.empty(k)
        u, v = self.directions(name)
        if x.ndim == 2:
            for idx in self._batches(k, name):
                left = np.concatenate([u[idx], -u[idx]])[:, :, None] * step
                right = np.concatenate([v[idx], v[idx]])[:, None, :]
                cost = self._costs(name, LowRank(x[None], left, right)).reshape(2 * idx.size)
                projections[idx] = (cost[:idx.size] - cost[idx.size:]) / (2 * step)
                noise[idx] = _rounding(cost[:idx.size], cost[idx.size:], step)
            return Gradient(projections=projections, left=u, right=v, method="directional",
                            noise=_norm(noise))
        directions = u
        for idx in self._batches(k, name):
            stack = np.concatenate([x[None] + step * directions[idx],
                                    x[None] - step * directions[idx]])
            cost = self._costs(name, stack).reshape(2 * idx.size)
            projections[idx] = (cost[:idx.size] - cost[idx.size:]) / (2 * step)
            noise[idx] = _rounding(cost[:idx.size], cost[idx.size:], step)
        return Gradient(projections=projections, left=directions, method="directional",
                        noise=_norm(noise))

    def directions(self, name: str) -> tuple[np.ndarray, np.ndarray | None]:
        """`name`'s K random directions, the same for every step taken: dense (K, *shape),
        or for a matrix the factors u (K, rows) and v (K, columns) of u vᵀ."""
        if name not in self._directions:
            x, k = self.values[name][0], self.method.probes
            if x.ndim == 2:
                u = self.rng.standard_normal((k, x.shape[0]))
                v = self.rng.standard_normal((k, x.shape[1]))
                # scale so that h u vᵀ has the size of a step in every entry, on average
                norm = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1) / math.sqrt(x.size)
                self._directions[name] = u / norm[:, None], v
            else:
                self._directions[name] = self.rng.standard_normal((k,) + x.shape), None
        return self._directions[name]


def _rounding(up: np.ndarray, down: np.ndarray, step: float) -> np.ndarray:
    """How far rounding may move each difference quotient (up - down) / 2 step: by a few
    units in the last place of the costs (their sums round), over the step."""
    return ROUNDING_ULPS * np.finfo(float).eps * np.maximum(np.abs(up), np.abs(down)) / step


def _norm(values: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(values))))


DRAW_ATTEMPTS = 16
MAX_STRETCH = 100  # the longest step of a refined gradient, in steps: relative 1e-3 (and 2e-3)
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


def edge_margin(model: Model, inputs: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray],
                functions: Mapping[str, str], sizes: Mapping[str, int], seed: int,
                shared: Shared | None = None) -> float:
    """How many finite-difference steps the argument closest to the edge of its domain (0
    for log, sqrt and a divisor, -1 for log1p, a singular matrix for inv) is from it. What
    a step moves an argument by is measured: every input moved at once by about one step
    in a few random directions (more than a step of one entry moves it: the safe side),
    the largest move of each entry counted."""
    base = BaseValues(values, functions, sizes, model.class_axis, shared)
    return _closest_edge(model, base, _edge_moves(model, inputs, base, seed))


def _closest_edge(model: Model, base: BaseValues, moves: list[np.ndarray]) -> float:
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
    moves: list[np.ndarray | float] = [0.0] * len(model.edges)
    for name, x in inputs.items():
        for i, move in enumerate(edge_moves_of(model, base, name, _stepped(x, rng))):
            moves[i] = moves[i] + move
    return moves


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
                problem = "a relu/abs/max or a comparison sits at its switch"
                continue
            if model.edges and edge_margin(model, inputs, values, functions, sizes,
                                           seed + attempt, shared) < EDGE_MARGIN:
                problem = ("a log, sqrt, divisor or inverse reads a value next to the edge of "
                           "its domain (0, or a singular matrix)")
                continue
            if one_sided(gaps):  # usable, but a draw that shows both branches is better
                fallback = fallback or (values, shared)
                continue
        return values, shared
    if fallback is not None:  # no draw showed both branches: the model may never
        return fallback
    raise ModelError(f"no draw of the model's inputs gives finite, differentiable values "
                     f"({DRAW_ATTEMPTS} tried; on the last, {problem}): check where its "
                     "functions are defined (log and sqrt of what may be negative?)")


def relative_error(truth: np.ndarray, claim: np.ndarray) -> float:
    """||truth - claim|| / max(||truth||, ||claim||, tiny)."""
    scale = max(float(np.linalg.norm(truth)), float(np.linalg.norm(claim)), 1e-300)
    return float(np.linalg.norm(truth - claim)) / scale
