"""What the truth shares and runs side by side changes no number (issue 21: real sizes):
batches on threads, the scale of a drawn array and the random arrays kept for every
binding, the edge moves of inputs that meet in one equation."""
from __future__ import annotations

import gc

import numpy as np
import pytest

import shapecheck.numeric.differences as differences
import shapecheck.numeric.margins as margins
from shapecheck.numeric import memo
from shapecheck.result import Options
from shapecheck.session import Checker

COURSE = ["dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T",
          "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "dZ1 = W2.T @ dZ2 * g1'(Z1)",
          "dW1 = 1/m * dZ1 @ X.T", "db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)",
          "dW1 = dZ1 @ X.T"]
SIZES = {"n0": 40, "n1": 24, "n2": 3, "m": 10}


def gradients(checker: Checker) -> dict:
    """Every true gradient the checker took, as its numbers."""
    out = {}
    for key, draw in checker.drawer.draws.items():
        for (var, whole), g in draw.gradients.items():
            out[(key[1:], var, whole)] = (g.full, g.projections, g.noise)  # not the model id
    return out


def test_batches_on_threads_give_the_numbers_of_batches_one_after_another(monkeypatch):
    # small batches, so that every gradient has many: grouped, exact and directional
    monkeypatch.setattr(differences, "BATCH_BYTES", 1024)
    runs = {}
    for workers in (1, 3):
        monkeypatch.setattr(differences, "WORKERS", workers)
        checker = Checker(Options(sizes=SIZES, exact_max=0))
        results = [checker.check(f) for f in COURSE]
        runs[workers] = ([(r.verdict, r.rel_error, r.message, r.diagnosis) for r in results],
                         gradients(checker))
    (one, one_gradients), (three, three_gradients) = runs[1], runs[3]
    assert one == three  # the same verdicts, errors to the last digit, messages
    assert [r[0] for r in one] == ["pass"] * 6 + ["value"]
    assert one_gradients.keys() == three_gradients.keys() and len(one_gradients) > 5
    for key, (full, projections, noise) in one_gradients.items():
        other = three_gradients[key]
        for a, b in zip((full, projections), other[:2]):
            assert (a is None) == (b is None)
            if a is not None:
                assert np.array_equal(a, b)
        assert noise == other[2]


def test_a_batch_that_fails_on_a_thread_raises_in_the_caller(monkeypatch):
    monkeypatch.setattr(differences, "BATCH_BYTES", 1024)
    monkeypatch.setattr(differences, "WORKERS", 2)
    checker = Checker(Options(sizes=SIZES, exact_max=0))
    draw = checker.drawer.draw(*_bound(checker))
    calls = []

    def failing(self, name, perturbed, per_example=False):
        calls.append(name)
        if len(calls) > 1:
            raise ValueError("a batch failed")
        return original(self, name, perturbed, per_example)
    original = differences.Differentiator._costs
    monkeypatch.setattr(differences.Differentiator, "_costs", failing)
    with pytest.raises(ValueError, match="a batch failed"):
        draw.differentiator.exact("W1")


def _bound(checker: Checker):
    checker.check("dW1 = 1/m * dZ1 @ X.T")
    key = next(iter(checker.drawer.draws))
    draw = checker.drawer.draws[key]
    return draw.model, draw.sizes, dict(key[2])


def test_the_scale_of_an_array_is_kept_for_the_same_memory_only():
    x = np.arange(1.0, 5001.0).reshape(50, 100)
    first = margins.scale_of(x[None][0])  # a view: a new object, the same memory
    assert first == pytest.approx(np.sqrt(np.mean(x * x)))
    assert margins.scale_of(x[None][0]) == first
    assert margins.scale_of(x[:25]) == pytest.approx(np.sqrt(np.mean(x[:25] ** 2)))  # not kept
    assert margins.scale_of(np.float64(3.0)) == 3.0 and margins.scale_of(np.ones(3)) == 1.0
    del x
    gc.collect()
    y = np.full((50, 100), 2.0)  # may land where x was: its own scale, not x's
    assert margins.scale_of(y) == 2.0


def test_random_arrays_kept_per_seed_are_read_only_and_drawn_once():
    drawn = []

    def draw():
        drawn.append(1)
        return np.random.default_rng(5).standard_normal(7)
    a, b = memo.per_seed(("test", 7), draw), memo.per_seed(("test", 7), draw)
    assert a is b and drawn == [1] and not a.flags.writeable


def test_inputs_that_meet_in_one_equation_move_the_edges_as_one_at_a_time(monkeypatch):
    checker = Checker(Options(sizes=SIZES))
    model, sizes, functions = _bound(checker)
    draw = checker.drawer.draw(model, sizes, functions)
    inputs = {n: draw.values[n] for n in model.inputs}
    shared = draw.differentiator.base.evaluate.shared
    together = margins.edge_margin(model, inputs, draw.values, functions, sizes, 0, shared)
    monkeypatch.setattr(margins, "_sole_reader", lambda model, name: None)
    alone = margins.edge_margin(model, inputs, draw.values, functions, sizes, 0, shared)
    assert np.isfinite(together) and together == pytest.approx(alone, rel=1e-4)  # to the square of a step
