"""The truth does not depend on how it is taken: entry by entry, by per-example groups or
by random directions, in one batch or many (issue: real sizes)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import shapecheck.draws as check_module
import shapecheck.numeric.differences as differences
import shapecheck.numeric.margins as margins
import shapecheck.numeric.truth as truth
from shapecheck.result import Options
from shapecheck.session import Checker
from shapecheck.language.meaning import lower
from shapecheck.numeric.truth import Gradient, Method

CASES = [json.loads(line) for line in Path(__file__).with_name("corpus.jsonl").open()
         if line.strip()]
COURSE = ["dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T",
          "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "dZ1 = W2.T @ dZ2 * g1'(Z1)",
          "dW1 = 1/m * dZ1 @ X.T", "db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)",
          "dW1 = dZ1 @ X.T", "dW1 = -1/m * dZ1 @ X.T", "dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)"]


def outcome(cli, argv):
    result = cli(*argv, "--json")
    assert not result.crashed, repr(result.exception)
    try:
        r = result.json()["results"][0]
    except (ValueError, KeyError, IndexError):
        return ("no report", result.exit_code)
    return (result.exit_code, r["verdict"], r["diagnosis"], r["layer"], r["activation"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_large_size_method_agrees_with_the_exact_one(cli, monkeypatch, case):
    exact = outcome(cli, case["argv"] + ["--exact"])
    # every variable above 0 entries goes to the large-size methods
    monkeypatch.setattr(check_module, "Method",
                        lambda exact, exact_max, *rest: Method(exact, 0, *rest))
    large = outcome(cli, case["argv"])
    assert large == exact


@pytest.mark.parametrize("exact_max", [0, 512])
def test_methods_give_the_same_verdicts_and_close_errors(exact_max):
    sizes = {"n0": 6, "n1": 5, "n2": 3, "m": 7}
    by_method = Checker(Options(sizes=sizes, exact_max=exact_max))
    by_entry = Checker(Options(sizes=sizes, exact=True))
    for formula in COURSE:
        a, b = by_method.check(formula), by_entry.check(formula)
        assert (a.verdict, a.diagnosis, a.activation) == (b.verdict, b.diagnosis, b.activation)
        if a.verdict == "pass":
            assert a.rel_error < 1e-7 and b.rel_error < 1e-7
        else:
            assert a.rel_error > 1e-2 and b.rel_error > 1e-2


def test_batching_changes_no_result(monkeypatch):
    sizes = {"n0": 20, "n1": 12, "n2": 4, "m": 9}
    whole = [Checker(Options(sizes=sizes, exact_max=0)).check(f) for f in COURSE]
    monkeypatch.setattr(differences, "BATCH_BYTES", 512)  # one or two perturbations per batch
    batched = [Checker(Options(sizes=sizes, exact_max=0)).check(f) for f in COURSE]
    for a, b in zip(whole, batched):
        assert (a.verdict, a.diagnosis) == (b.verdict, b.diagnosis)
        assert a.rel_error == pytest.approx(b.rel_error, rel=1e-3, abs=1e-9)


def test_probes_decide_the_number_of_directions():
    sizes = {"n0": 30, "n1": 20, "n2": 3, "m": 8}
    for probes in (2, 8, 32):
        r = Checker(Options(sizes=sizes, exact_max=0, probes=probes)).check("dW1 = dZ1 @ X.T")
        assert r.verdict == "value"
        assert r.diagnosis == {"kind": "factor", "factor": "m"}


# --- the claim where it is compared: projected through products (Gradient.claimed) -----
PROJECTED_CLAIMS = ["1/m * dZ1 @ X.T", "-(dZ1 @ X.T) / m", "(X @ dZ1.T).T * 0.5",
                    "dZ1 @ X.T - 2 * (dZ1 @ X.T)", "np.tanh(dZ1) @ X.T", "W1 * m",
                    "dZ1 @ X.T + W1"]


@pytest.mark.parametrize("claim", PROJECTED_CLAIMS)
def test_a_claim_projected_part_by_part_is_the_projection_of_its_value(claim):
    """uᵀ(A @ B)v taken as (uᵀA)(Bv), through sums, scalings and transposes, is the
    projection of the whole claim, and so is its transpose for a square claim."""
    from shapecheck.numeric.evaluate import Evaluator
    from shapecheck.language.parse import parse_equation
    from shapecheck.shapes import ShapeEnv, infer

    sizes = {"n0": 6, "n1": 6, "m": 4}
    rng = np.random.default_rng(1)
    values = {"dZ1": rng.standard_normal((1, 6, 4)), "X": rng.standard_normal((1, 6, 4)),
              "W1": rng.standard_normal((1, 6, 6))}
    text = f"dW1 = {claim}"
    node = lower(parse_equation(text), lambda name: name in values).rhs
    shapes = {"dZ1": ("n1", "m"), "X": ("n0", "m"), "W1": ("n1", "n0")}
    _, node_shapes = infer(node, ShapeEnv(shapes, set(sizes), text))
    u, v = rng.standard_normal((5, 6)), rng.standard_normal((5, 6))
    truth = Gradient(projections=np.zeros(5), left=u, right=v, method="directional")
    evaluate = Evaluator(values, {}, sizes)
    whole = evaluate(node)[0]
    assert np.allclose(truth.claimed(node, node_shapes, evaluate),
                       np.sum((u @ whole) * v, axis=1), rtol=1e-12, atol=1e-12)
    assert np.allclose(truth.claimed(node, node_shapes, evaluate, transposed=True),
                       np.sum((u @ whole.T) * v, axis=1), rtol=1e-12, atol=1e-12)


def test_the_transpose_of_a_claim_that_is_not_square_is_not_compared():
    from shapecheck.numeric.evaluate import Evaluator
    from shapecheck.language.parse import parse_equation

    node = parse_equation("dW1 = X").rhs
    evaluate = Evaluator({"X": np.ones((1, 3, 2))}, {}, {})
    rank1 = Gradient(projections=np.zeros(2), left=np.ones((2, 3)), right=np.ones((2, 2)))
    assert rank1.claimed(node, {}, evaluate, transposed=True) is None
    assert Gradient(full=np.ones((3, 2))).claimed(node, {}, evaluate, transposed=True) is None


# --- work shared between formulas -------------------------------------------------------
def test_the_whole_gradient_of_a_left_side_serves_a_right_side(monkeypatch):
    """dZ1's true gradient, grouped for `dZ1 = ...`, is the one `dW1 = ... dZ1 ...` reads:
    taken once per open activation, not twice."""
    calls = []
    grouped = truth.Differentiator.grouped
    monkeypatch.setattr(truth.Differentiator, "grouped",
                        lambda self, name: calls.append(name) or grouped(self, name))
    checker = Checker(Options(sizes={"n0": 20, "n1": 12, "n2": 4, "m": 9}, exact_max=0))
    assert checker.check("dZ1 = W2.T @ dZ2 * g1'(Z1)").verdict == "pass"
    assert checker.check("dW1 = 1/m * dZ1 @ X.T").verdict == "pass"
    assert sorted(calls) == ["Z1"] * 3 + ["Z2"] * 3  # tanh, sigmoid, softplus


def test_a_formula_checked_again_keeps_its_verdict_and_gets_its_own_source():
    from shapecheck.result import Source

    checker = Checker(Options(sizes={"n0": 3, "n1": 4, "n2": 2, "m": 5}))
    first = checker.check("dW1 = dZ1 @ X.T", Source("a.md", 3, 1))
    again = checker.check("dW1 = dZ1 @ X.T", Source("b.md", 9, 5))
    assert again.source == Source("b.md", 9, 5) and first.source == Source("a.md", 3, 1)
    assert (again.verdict, again.diagnosis, again.rel_error, again.repair) == \
        (first.verdict, first.diagnosis, first.rel_error, first.repair)


# --- the edge of a domain: moves of one input at a time, added up -----------------------
def test_the_moves_of_one_input_at_a_time_add_up_to_the_move_of_all_at_once():
    """A step is so small that the sum of the moves of the inputs one at a time is the move
    of all of them at once (to its square): what truth.edge_margin measures."""
    from shapecheck.numeric.evaluate import BaseValues
    from shapecheck.models.binding import network

    model = network(2)
    sizes = {"n0": 5, "n1": 4, "n2": 3, "m": 6}
    functions = {"g1": "tanh", "g2": "sigmoid"}
    inputs = truth.draw_inputs(model, sizes, 0)
    values = truth.forward(model, inputs, functions, sizes)
    base = BaseValues(values, functions, sizes, model.class_axis)
    moves = margins._edge_moves(model, inputs, base, seed=0)
    # all inputs at once, in the same directions (drawn in the same order)
    rng = np.random.default_rng([0, 11])
    moved = {}
    for name, x in inputs.items():
        direction = np.ones((truth.EDGE_DIRECTIONS,) + (1,) * (x.ndim - 1))
        for axis, size in enumerate(x.shape[1:], start=1):
            shape = [truth.EDGE_DIRECTIONS] + [1] * (x.ndim - 1)
            shape[axis] = size
            direction = direction * rng.standard_normal(shape)
        moved[name] = x + truth.step_for(x) * direction
    there = truth.forward(model, moved, functions, sizes)
    from shapecheck.numeric.evaluate import Evaluator
    for (_, node), move in zip(model.edges, moves):
        at_once = Evaluator(there, functions, sizes)(node) - base.value(node)
        assert np.abs(move).max() > 0
        assert np.allclose(move, at_once, rtol=1e-4, atol=1e-4 * np.abs(at_once).max())


def test_a_batch_of_patches_is_sized_by_what_the_patches_hold():
    """dY of a --forward model, taken entry by entry: the first batch measures what one
    perturbation holds (its slices, not the dense quantity it stands for) and the sum of the
    cost stays structured, so memory stays that of a few batches (it once made one batch of
    every entry, each as large as Y)."""
    import tracemalloc

    options = Options(sizes={"m": 64, "h": 32, "y": 48},
                      forward=("Y = f(H @ W + B)", "J = 1/2 * np.sum((Y - T) ** 2)"),
                      shapes={"H": ("m", "h"), "W": ("h", "y"), "B": (1, "y"), "T": ("m", "y")})
    tracemalloc.start()
    try:
        result = Checker(options).check("dW = H.T @ (dY * f'(H @ W + B))")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.verdict == "pass" and result.rel_error < 1e-7
    assert peak < 24 * 2**20, f"{peak / 2**20:.0f} MB"


@pytest.mark.parametrize("name", ["B", "W", "H"])
def test_entry_by_entry_patches_are_plain_central_differences(name):
    """Rows patched for a matrix, columns for a row vector that broadcasts (B in H @ W + B):
    the same numbers as perturbing one entry of a plain copy at a time."""
    from shapecheck.models.model import build

    model = build(["Y = np.tanh(H @ W + B)", "J = 1/2 * np.sum((Y - T) ** 2)"],
                  {"H": ("m", "h"), "W": ("h", "y"), "B": (1, "y"), "T": ("m", "y")},
                  {"m", "h", "y"}, labels={"T"})
    sizes = {"m": 5, "h": 4, "y": 3}
    values = truth.forward(model, truth.draw_inputs(model, sizes, 0), {}, sizes)
    differentiator = truth.Differentiator(model, values, {}, sizes, Method(exact=True))
    x = values[name][0]
    step = truth.step_for(x)
    naive = np.empty_like(x)
    for index in np.ndindex(x.shape):
        costs = []
        for sign in (1, -1):
            moved = dict(values)
            changed = x.copy()
            changed[index] += sign * step
            moved[name] = changed[None]
            costs.append(truth.forward(model, {n: moved[n] for n in model.inputs}, {}, sizes)["J"][0])
        naive[index] = (costs[0] - costs[1]) / (2 * step)
    assert np.allclose(differentiator.exact(name).full, naive, rtol=1e-8, atol=1e-12)


# --- per-example groups for any model whose cost sums per-example losses ----------------
STACKEXCHANGE = ("Y = f(H @ W + B)", "J = 1/2 * np.sum((Y - T) ** 2)")
STACKEXCHANGE_SHAPES = {"H": ("m", "h"), "W": ("h", "y"), "B": (1, "y"), "T": ("m", "y")}
SIZES = {"m": 9, "h": 5, "y": 4}


def differentiator(forward, shapes, sizes, functions=None, **method):
    from shapecheck.models.names import EXAMPLES
    from shapecheck.models.model import build

    model = build(forward, shapes, set(sizes), labels={"T"} & set(shapes),
                  examples=EXAMPLES)
    functions = functions or {f: "tanh" for f in model.open_functions}
    values = truth.forward(model, truth.draw_inputs(model, sizes, 0), functions, sizes)
    return truth.Differentiator(model, values, functions, sizes, Method(**method))


@pytest.mark.parametrize("name, axis", [("Y", 0), ("H", 0)])
def test_a_forward_model_summing_per_example_losses_is_grouped(name, axis):
    grouping = differentiator(STACKEXCHANGE, STACKEXCHANGE_SHAPES, SIZES, exact_max=0)
    assert grouping.example_axis(name) == axis
    exact = differentiator(STACKEXCHANGE, STACKEXCHANGE_SHAPES, SIZES, exact=True)
    assert np.allclose(grouping.grouped(name).full, exact.exact(name).full, rtol=1e-7, atol=1e-10)
    assert grouping.gradient(name, whole=True).method == "grouped"


@pytest.mark.parametrize("forward, shapes", [
    # the examples meet: a mean over them, a Gram matrix, a softmax across them
    (("Y = np.tanh(H @ W)", "M = np.mean(Y, axis=0, keepdims=True)", "J = np.sum((Y - M) ** 2)"),
     {"H": ("m", "h"), "W": ("h", "y")}),
    (("G = H.T @ H", "J = np.sum(G * G)"), {"H": ("m", "h")}),
    (("P = softmax(H @ W, axis=0)", "J = -np.sum(T * np.log(P))"),
     {"H": ("m", "h"), "W": ("h", "y"), "T": ("m", "y")}),
    # the cost is not a sum of per-example losses
    (("Y = np.tanh(H @ W)", "J = np.sum(Y) ** 2"), {"H": ("m", "h"), "W": ("h", "y")}),
    (("Y = np.tanh(H @ W)", "J = np.linalg.norm(Y)"), {"H": ("m", "h"), "W": ("h", "y")}),
])
def test_a_model_whose_examples_meet_is_not_grouped(forward, shapes):
    d = differentiator(forward, shapes, SIZES, exact_max=0)
    assert d.example_axis("H") is None  # (T's examples in the softmax model are separate)
    # and its gradients stay right: entry by entry where a right side reads them
    exact = differentiator(forward, shapes, SIZES, exact=True)
    assert np.allclose(d.gradient("H", whole=True).full, exact.exact("H").full, rtol=1e-7,
                       atol=1e-10)


@pytest.mark.parametrize("layout, axis", [("columns", 1), ("rows", 0)])
def test_the_built_in_network_is_grouped_along_its_examples(layout, axis):
    from shapecheck.models.binding import network

    model = network(2, layout)
    sizes = {"n0": 6, "n1": 5, "n2": 3, "m": 7}
    functions = {"g1": "tanh", "g2": "sigmoid"}
    values = truth.forward(model, truth.draw_inputs(model, sizes, 0), functions, sizes)
    d = truth.Differentiator(model, values, functions, sizes, Method(exact_max=0))
    assert [d.example_axis(n) for n in ("X", "Z1", "A1", "Z2", "A2")] == [axis] * 5
    assert [d.example_axis(n) for n in ("W1", "b1", "W2", "b2")] == [None] * 4


def test_groups_serve_a_left_side_only_where_they_cost_little_more_than_directions():
    """A row of Z1 stays a row up to W2 @ A1 (a left side dZ1 is grouped: a right side may
    read it); a column of H spreads over the whole of H @ W (a left side dH takes random
    directions, and groups only where a right side reads dH)."""
    network_sizes = {"n0": 40, "n1": 60, "n2": 3, "m": 50}
    checker = Checker(Options(sizes=network_sizes, exact_max=0))
    checker.check("dZ1 = W2.T @ dZ2 * g1'(Z1)")
    assert {d.gradients[("Z1", True)].method for d in checker.drawer.draws.values()} == {"grouped"}
    d = differentiator(STACKEXCHANGE, STACKEXCHANGE_SHAPES, {"m": 50, "h": 60, "y": 40},
                       exact_max=0)
    assert d.gradient("H", whole=False).method == "directional"
    assert d.gradient("H", whole=True).method == "grouped"
