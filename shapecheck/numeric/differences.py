"""Finite-difference gradients of one draw: the Differentiator takes dJ/dV entry by entry,
by per-example groups or along random directions, in batches of stacked perturbations, and
refines what rounding blurs; a Gradient (numeric.gradient) is what it took.

No autodiff: the gradient of the cost with respect to any quantity `V` (an input such as
`W1`, or a quantity computed on the way such as `Z1`) comes from central differences that
perturb `V` and recompute only the equations downstream of it. Many perturbations are one
stacked evaluation, chunked so that no array grows past a fixed budget; the chunks run on
a thread per core.
"""
from __future__ import annotations

import math
import os
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

from ..errors import ShapecheckError
from .evaluate import BaseValues, Shared
from ..frozen import Record, record
from .margins import (EDGE_DIRECTIONS, EDGE_MARGIN, KINK_MARGIN, closest_edge, edge_margin,
                      edge_moves_of, kink_margin, perturbed_evaluator, scale_of, step_for)
from ..models.model import Model
from .gradient import Gradient, norm as _norm
from .memo import per_seed
from .structured import LowRank, Patch

STACK_BUDGET_BYTES = 256 * 2**20    # the largest stacked array a perturbation batch may make
BATCH_BYTES = 2 * 2**20             # the size of stacked array that numpy handles fastest
# the size, relative to a variable's scale, of the change that checks that its examples'
# losses are separate: large enough that any coupling of examples shows far above rounding
SEPARABILITY_CHANGE = 1e-3
GROUPING_WORTH = 4  # a whole gradient by groups is worth this many times random directions
ROUNDING_ULPS = 1   # units in the last place by which an evaluated cost may be off
# batches evaluated side by side: a thread per core this process may use, at most 4 (each
# holds a batch's arrays: memory grows with them, and memory bandwidth is shared)
WORKERS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
              else os.cpu_count() or 1)
MAX_STRETCH = 100  # the longest step of a refined gradient, in steps: relative 1e-3 (and 2e-3)


@record
class Method(Record):
    """How true gradients are taken: entry by entry up to `exact_max` entries (or always,
    with `exact`), else by `probes` random directions; per-example quantities of a
    separable model column by column group."""
    exact: bool = False
    exact_max: int = 512
    probes: int = 8
    # a gradient whose rounding is more than this fraction of it is taken again with longer
    # steps (Differentiator.refined); the checker sets it from its tolerance
    resolution: float = 1e-7


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
        # found once for every binding of the activations (they are all element-wise)
        self._structure = shared.structure if shared is not None else {}
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
                x = self.values[name]
                shape = (EDGE_DIRECTIONS,) + x.shape[1:]
                signs = per_seed(("signs", name, shape), lambda: np.random.default_rng(
                    [17, *name.encode()]).choice([-1.0, 1.0], size=shape))  # in any order
                moves = edge_moves_of(self.model, self.base, name, x + step_for(x) * signs)
                steps = closest_edge(self.model, self.base, moves)
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
        key = ("example axis", name)
        if key not in self._structure:
            self._structure[key] = self._separable_axis(name)
        return self._structure[key]

    def _grouping_pays(self, name: str) -> bool:
        key = ("grouping pays", name)
        if key not in self._structure:
            self._structure[key] = self._measured_grouping_pays(name)
        return self._structure[key]

    def _measured_grouping_pays(self, name: str) -> bool:
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
        moved, change = _separating(x.shape, axis)
        moved = moved.copy()
        moved[:2] = True, False  # at least one example of each kind
        change = SEPARABILITY_CHANGE * scale_of(x) * change
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

    def _each_batch(self, total: int, name: str, take: Callable[[np.ndarray], None]) -> None:
        """`take(indices)` for each batch of `total` perturbations of `name`: the first
        alone (it measures what the rest are sized by), the rest on a thread per core.
        numpy lets go of the interpreter inside its loops, so batches run side by side
        (a batch writes only its own entries: the same numbers as one after another)."""
        batches = self._batches(total, name)
        take(next(batches))
        rest = list(batches)
        workers = min(WORKERS, len(rest))
        if workers < 2:
            for idx in rest:
                take(idx)
            return
        errors = np.geterr()  # numpy's error state is the calling thread's own

        def taken(idx: np.ndarray) -> None:
            with np.errstate(**errors):
                take(idx)
        for _ in _pool(workers).map(taken, rest):  # raises what a batch raised
            pass

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

        def take(idx: np.ndarray) -> None:
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
        self._each_batch(flat.size, name, take)
        return Gradient(full=grad.reshape(x.shape), noise=_norm(noise))

    def grouped(self, name: str, stretch: float = 1.0) -> Gradient:
        """A per-example quantity of a separable model: one row (the same entry of every
        example) moves at once, and each example's loss tells its own column."""
        x = self.values[name][0]
        axis = 1 - self.example_axis(name)            # the axis whose rows are perturbed
        count_rows = x.shape[axis]
        step = stretch * step_for(x)
        grad, noise = np.empty_like(x), np.empty_like(x)

        def take(idx: np.ndarray) -> None:
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
        self._each_batch(count_rows, name, take)
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
            def take(idx: np.ndarray) -> None:
                left = np.concatenate([u[idx], -u[idx]])[:, :, None] * step
                right = np.concatenate([v[idx], v[idx]])[:, None, :]
                cost = self._costs(name, LowRank(x[None], left, right)).reshape(2 * idx.size)
                projections[idx] = (cost[:idx.size] - cost[idx.size:]) / (2 * step)
                noise[idx] = _rounding(cost[:idx.size], cost[idx.size:], step)
            self._each_batch(k, name, take)
            return Gradient(projections=projections, left=u, right=v, method="directional",
                            noise=_norm(noise))
        directions = u

        def take_dense(idx: np.ndarray) -> None:
            stack = np.concatenate([x[None] + step * directions[idx],
                                    x[None] - step * directions[idx]])
            cost = self._costs(name, stack).reshape(2 * idx.size)
            projections[idx] = (cost[:idx.size] - cost[idx.size:]) / (2 * step)
            noise[idx] = _rounding(cost[:idx.size], cost[idx.size:], step)
        self._each_batch(k, name, take_dense)
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


if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

_pools: dict[int, ThreadPoolExecutor] = {}


def _pool(workers: int) -> ThreadPoolExecutor:
    """One pool of `workers` threads for the process: starting threads for each gradient
    took about a millisecond, a twentieth of a forward pass at 2048/1024/10/256. (Imported
    here: a check of small sizes runs its one batch on the caller's thread.)"""
    from concurrent.futures import ThreadPoolExecutor
    if workers not in _pools:
        _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="shapecheck-batches")
    return _pools[workers]


def _separating(shape: tuple[int, ...], axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The examples moved (at random) and a random change of a quantity of `shape` whose
    examples run along `axis`: drawn once per shape, as every binding asks again."""
    def draw():
        rng = np.random.default_rng([shape[axis], 13])
        return np.concatenate([rng.random(shape[axis]), rng.standard_normal(shape).reshape(-1)])
    drawn = per_seed(("separating", shape, axis), draw)
    return drawn[:shape[axis]] < 0.5, drawn[shape[axis]:].reshape(shape)


def _rounding(up: np.ndarray, down: np.ndarray, step: float) -> np.ndarray:
    """How far rounding may move each difference quotient (up - down) / 2 step: by a few
    units in the last place of the costs (their sums round), over the step."""
    return ROUNDING_ULPS * np.finfo(float).eps * np.maximum(np.abs(up), np.abs(down)) / step


def relative_error(truth: np.ndarray, claim: np.ndarray) -> float:
    """||truth - claim|| / max(||truth||, ||claim||, tiny)."""
    scale = max(float(np.linalg.norm(truth)), float(np.linalg.norm(claim)), 1e-300)
    return float(np.linalg.norm(truth - claim)) / scale
