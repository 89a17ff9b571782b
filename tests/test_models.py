"""--forward models, --layout rows and generic layers (--L): verdicts, sampling, errors."""
from __future__ import annotations

import numpy as np
import pytest

from shapecheck.result import Options
from shapecheck.session import Checker
from shapecheck.models.model import build
from shapecheck.numeric.truth import draw_forward, draw_inputs

SE_MODEL = ("Y = f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)",)
SE_SHAPES = {"H": (1, "h"), "W": ("h", "y"), "B": (1, "y"), "T": (1, "y")}
SE_SIZES = {"h": 4, "y": 3}
LAYERS = {"n0": 4, "n1": 5, "n2": 3, "n3": 2, "m": 6}


def forward(text, formula, shapes, sizes, **options):
    model = tuple(text) if isinstance(text, tuple) else (text,)
    return Checker(Options(sizes=sizes, shapes=shapes, forward=model, **options)).check(formula)


# --- the math.stackexchange derivation (the seed checks) ----------------------------

def test_stackexchange_dW_and_dB_pass():
    for formula in ("dW = H.T @ ((Y - T) * f'(H @ W + B))", "dB = (Y - T) * f'(H @ W + B)"):
        r = forward(SE_MODEL, formula, SE_SHAPES, SE_SIZES)
        assert r.verdict == "pass", r.message
        assert r.rel_error < 1e-8


def test_stackexchange_swapped_product_is_a_shape_failure():
    r = forward(SE_MODEL, "dW = ((Y - T) * f'(H @ W + B)) @ H.T", SE_SHAPES, SE_SIZES)
    assert r.verdict == "shape"
    assert [o.shape for o in r.operands] == [(1, "y"), ("h", 1)]
    assert "inner sizes y and h" in r.message


def test_stackexchange_without_f_prime_is_a_value_failure():
    r = forward(SE_MODEL, "dW = H.T @ (Y - T)", SE_SHAPES, SE_SIZES)
    assert r.verdict == "value"
    assert r.rel_error > 1e-2


def test_open_activation_of_a_model_is_checked_with_several_functions():
    # f'(U) written as the tanh derivative from Y holds for tanh only
    r = forward(SE_MODEL, "dB = (Y - T) * (1 - Y ** 2)", SE_SHAPES, SE_SIZES)
    assert r.verdict == "value"
    assert r.activation is not None and r.activation["f"] != "tanh"
    assert "f = tanh" in r.message
    fixed = forward(SE_MODEL, "dB = (Y - T) * (1 - Y ** 2)", SE_SHAPES, SE_SIZES,
                    activations={"f": "tanh"})
    assert fixed.verdict == "pass"


# --- Matrix Cookbook identities ---------------------------------------------------------------

@pytest.mark.parametrize("model, formula, shapes, sizes", [
    ("J = a.T @ X @ b", "dX = a @ b.T", {"a": ("p", 1), "X": ("p", "q"), "b": ("q", 1)}, {"p": 2, "q": 5}),
    ("J = x.T @ A @ x", "dx = (A + A.T) @ x", {"x": ("n", 1), "A": ("n", "n")}, {"n": 3}),
    ("J = np.trace(A @ X)", "dX = A.T", {"A": ("n", "n"), "X": ("n", "n")}, {"n": 3}),
    ("J = np.trace(X.T @ A @ X)", "dX = (A + A.T) @ X", {"A": ("n", "n"), "X": ("n", "k")}, {"n": 3, "k": 2}),
    ("J = np.sum((X @ w - y) ** 2)", "dw = 2 * X.T @ (X @ w - y)", {"X": ("m", "n"), "w": ("n", 1), "y": ("m", 1)}, {"m": 6, "n": 4}),
    ("J = np.log(np.linalg.det(X))", "dX = np.linalg.inv(X).T", {"X": ("n", "n")}, {"n": 3}),
    ("J = np.trace(np.linalg.inv(X) @ A)", "dX = -(np.linalg.inv(X) @ A @ np.linalg.inv(X)).T", {"X": ("n", "n"), "A": ("n", "n")}, {"n": 3}),
    ("A = softmax(Z, axis=0); J = -np.sum(Y * np.log(A))", "dZ = softmax(Z, axis=0) - Y", {"Z": ("k", "m"), "Y": ("k", "m")}, {"k": 4, "m": 5}),
    ("P = sigmoid(X @ w); J = -np.sum(y * np.log(P) + (1 - y) * np.log(1 - P))", "dw = X.T @ (sigmoid(X @ w) - y)", {"X": ("m", "n"), "w": ("n", 1), "y": ("m", 1)}, {"m": 7, "n": 3}),
])
def test_matrix_identities_pass(model, formula, shapes, sizes):
    r = forward(model, formula, shapes, sizes)
    assert r.verdict == "pass", r.message


def test_x_A_x_with_2Ax_fails_for_a_non_symmetric_A():
    r = forward("J = x.T @ A @ x", "dx = 2 * A @ x", {"x": ("n", 1), "A": ("n", "n")}, {"n": 3})
    assert r.verdict == "value"


def test_a_missing_transpose_is_diagnosed():
    r = forward("J = np.log(np.linalg.det(X))", "dX = np.linalg.inv(X)", {"X": ("n", "n")}, {"n": 3})
    assert r.verdict == "value"
    assert r.diagnosis == {"kind": "transpose"}


def test_a_per_example_gradient_against_a_mean_cost_is_the_convention():
    model = ("Z1 = W1 @ X + b1; A1 = np.tanh(Z1); Z2 = W2 @ A1 + b2; A2 = sigmoid(Z2); "
             "J = -1/m * np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))")
    r = forward(model, "dZ2 = A2 - Y", {}, {"n0": 3, "n1": 4, "n2": 2, "m": 5})
    assert r.verdict == "value"
    assert r.diagnosis == {"kind": "convention", "factor": "m"}
    assert "convention" in r.message
    assert forward(model, "dZ2 = 1/m * (A2 - Y)", {}, {"n0": 3, "n1": 4, "n2": 2, "m": 5}).verdict == "pass"


# --- sampling rules ---------------------------------------------------------------------------

def test_an_input_read_by_log_is_drawn_positive():
    model = build(["J = np.sum(np.log(x))"], {"x": ("n", 1)}, {"n"})
    assert "x" in model.positive
    values = draw_inputs(model, {"n": 50}, seed=0)
    assert np.all(values["x"] > 0)
    assert forward("J = np.sum(np.log(x))", "dx = 1 / x", {"x": ("n", 1)}, {"n": 5}).verdict == "pass"


def test_labels_under_a_softmax_are_probability_columns():
    model = build(["A = softmax(Z, axis=0)", "J = -np.sum(Y * np.log(A))"],
                  {"Z": ("k", "m"), "Y": ("k", "m")}, {"k", "m"}, labels={"Y"})
    y = draw_inputs(model, {"k": 4, "m": 6}, seed=3)["Y"][0]
    assert np.all((y > 0) & (y < 1))
    assert np.allclose(y.sum(axis=0), 1.0)


def test_inv_and_det_inputs_are_non_symmetric_with_positive_determinant():
    model = build(["J = np.log(np.linalg.det(X))"], {"X": ("n", "n")}, {"n"})
    for seed in range(20):
        x = draw_inputs(model, {"n": 4}, seed=seed)["X"][0]
        assert np.linalg.det(x) > 0
        assert not np.allclose(x, x.T)


def test_a_relu_model_is_drawn_away_from_its_kink():
    r = forward("J = np.sum(relu(Z) ** 2)", "dZ = 2 * relu(Z) * (Z > 0)", {"Z": ("n", "m")},
                {"n": 30, "m": 40})
    assert r.verdict == "pass", r.message


def test_a_draw_that_is_never_defined_is_an_error_that_says_why():
    r = forward("J = np.sum(np.log(-(x ** 2)))", "dx = 2 / x", {"x": ("n", 1)}, {"n": 3})
    assert r.verdict == "error"
    assert "not finite" in r.message


# --- errors of a model ------------------------------------------------------------------------

def test_an_input_without_a_shape_is_named_with_how_to_declare_it():
    r = forward("J = np.sum((M @ v) ** 2)", "dv = 2 * M.T @ M @ v", {"v": ("k", 1)}, {"k": 3})
    assert r.verdict == "error"
    assert "M" in r.message and "--shape M=" in r.message


def test_a_cost_that_is_not_a_scalar_is_an_error_with_its_shape():
    r = forward("J = A @ x", "dx = A.T", {"A": ("n", "n"), "x": ("n", 1)}, {"n": 3})
    assert r.verdict == "error"
    assert "scalar" in r.message and "(n, 1)" in r.message


def test_a_cost_of_shape_1_by_1_counts_as_a_scalar():
    r = forward("J = x.T @ x", "dx = 2 * x", {"x": ("n", 1)}, {"n": 3})
    assert r.verdict == "pass", r.message


def test_a_gradient_of_an_intermediate_quantity():
    r = forward(("U = H @ W + B", "Y = f(U)", "J = 1/2 * np.sum((Y - T) ** 2)"),
                "dU = (Y - T) * f'(U)", SE_SHAPES, SE_SIZES)
    assert r.verdict == "pass", r.message


def test_a_label_marked_with_label_is_drawn_in_0_1():
    model = build(["J = -np.sum(L * np.log(sigmoid(z)))"], {"L": ("n", 1), "z": ("n", 1)},
                  {"n"}, labels={"L"})
    assert "L" in model.labels
    values, _ = draw_forward(model, {"n": 30}, {}, seed=0)
    assert np.all((values["L"] > 0) & (values["L"] < 1))


# --- layout rows and generic layers -----------------------------------------------------------

def test_rows_layout_reads_the_poster_order_as_right():
    r = Checker(Options(sizes={"n0": 3, "n1": 5, "n2": 2, "m": 4}, layout="rows")).check(
        "dZ1 = dZ2 @ W2.T * g1'(Z1)")
    assert r.verdict == "pass", r.message
    assert r.lhs_shape == ("m", "n1")


def test_rows_layout_course_formulas():
    check = Checker(Options(sizes={"n0": 3, "n1": 5, "n2": 2, "m": 4}, layout="rows")).check
    for formula in ("dZ2 = A2 - Y", "dW2 = 1/m * A1.T @ dZ2",
                    "db2 = 1/m * np.sum(dZ2, axis=0, keepdims=True)", "dW1 = 1/m * X.T @ dZ1"):
        assert check(formula).verdict == "pass", formula


def test_generic_layer_formulas_hold_at_every_layer():
    check = Checker(Options(sizes=LAYERS, layers=3)).check
    for formula in ("dW = 1/m * dZ @ A_prev.T", "db = 1/m * np.sum(dZ, axis=1, keepdims=True)",
                    "dA_prev = W.T @ dZ", "dZ = dA * g'(Z)",
                    "dAL = -(Y / AL - (1 - Y) / (1 - AL))"):
        r = check(formula)
        assert r.verdict == "pass", (formula, r.message)
        assert r.layer is None


def test_a_generic_formula_names_the_first_failing_layer():
    check = Checker(Options(sizes=LAYERS, layers=3)).check
    r = check("dA_prev = W @ dZ")
    assert r.verdict == "shape" and r.layer == 1
    assert r.hint == "W.T @ dZ"          # in the names the user wrote
    r = check("dW = dZ @ A_prev.T")
    assert r.verdict == "value" and r.layer == 1
    assert r.diagnosis == {"kind": "factor", "factor": "m"}


def test_a_formula_right_only_at_the_last_layer_names_a_hidden_one():
    # dZ = A - Y holds at the sigmoid output layer L = 3 only; at layer 1 A1 is (n1, m)
    # and Y is (n3, m), with n1 = 5 and n3 = 2: they do not broadcast
    r = Checker(Options(sizes=LAYERS, layers=3)).check("dZ = A - Y")
    assert r.verdict == "shape", r.message
    assert r.layer == 1


def test_generic_names_need_L():
    r = Checker(Options(sizes=LAYERS)).check("dW = 1/m * dZ @ A_prev.T")
    assert r.verdict == "error"
    assert "--L" in r.message


def test_a_factor_m_against_a_cost_that_is_no_mean_is_a_slip_not_the_convention():
    """Found by the generated models: with m = 2, twice dH of J = 1/2 * sum(G * G) (no mean
    anywhere) was called the course's convention against 'this model's cost, a mean'."""
    options = dict(forward=("G = H.T @ H; J = 1/2 * np.sum(G * G)",), shapes={"H": ("m", "h")},
                   sizes={"m": 2, "h": 2})
    r = Checker(Options(**options)).check("dH = 2 * (2 * H @ G)")
    assert r.verdict == "value"
    assert r.diagnosis == {"kind": "factor", "factor": "m"}
    assert "convention" not in r.message
    # a mean over the examples (and the outputs): the per-example gradient is the convention
    mean = Options(forward=("Y = np.tanh(H @ W)", "J = np.mean((Y - T) ** 2)"),
                   shapes={"H": ("m", "h"), "W": ("h", "y"), "T": ("m", "y")},
                   sizes={"m": 5, "h": 3, "y": 4})
    assert Checker(mean).check("dY = 2 * (Y - T) / (m * y)").verdict == "pass"
    r = Checker(mean).check("dY = 2 * (Y - T) / y")
    assert r.diagnosis == {"kind": "convention", "factor": "m"}


@pytest.mark.parametrize("layers, layout, batch, output", [
    (1, "columns", "m", "sigmoid"), (2, "rows", "m", "softmax"), (3, "columns", 1, "sigmoid"),
    (2, "columns", 1, "softmax")])
def test_the_built_in_network_is_built_as_the_nodes_its_text_parses_to(layers, layout, batch,
                                                                       output):
    """The network is built as syntax nodes, not parsed: the same trees, spans included,
    as its equations' text would parse (and lower) to."""
    from shapecheck.language.meaning import lower
    from shapecheck.language.parse import parse_equation
    from shapecheck.models.binding import network

    model = network(layers, layout, batch, {f"g{layers}": output})
    defined = {eq.lhs.id for eq in model.equations} | set(model.inputs)
    assert model.equations == tuple(lower(parse_equation(eq.text), defined.__contains__)
                                    for eq in model.equations)
