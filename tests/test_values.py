"""The value check: formulas against central finite differences of the forward computation.

Expected relative errors are worked out from SPEC's definition
`||lhs - rhs|| / max(||lhs||, ||rhs||)`: a right side `c` times the truth has error
`|1 - c| / max(1, |c|)` (0.8 for c = m = 5 or 1/5, 2 for c = -1, 0.5 for c = 2 or 1/2).
"""
from __future__ import annotations

import numpy as np
import pytest

from conftest import COURSE_SIX, COURSE, SPEC_EXAMPLE

# SPEC's --forward examples, with non-symmetric square inputs
LOGDET = dict(forward=("J = np.log(np.linalg.det(X))",), shapes={"X": ("n", "n")})
TRACE = dict(forward=("J = np.trace(A @ X)",), shapes={"X": ("n", "n"), "A": ("n", "n")})
NET_WITH_MEAN_COST = ("Z1 = W1 @ X + b1; A1 = np.tanh(Z1); Z2 = W2 @ A1 + b2; A2 = sigmoid(Z2); "
                      "J = -1/m * np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))")


@pytest.mark.parametrize("formula", COURSE_SIX)
def test_the_six_course_formulas_pass(check, formula):
    r = check(formula)
    assert r.verdict == "pass", r.message
    assert r.tolerance == 1e-6
    assert 0 <= r.rel_error < 1e-7  # SPEC: a correct formula lands near 1e-9


@pytest.mark.parametrize("formula", COURSE_SIX)
def test_the_six_pass_with_n2_undeclared(check, formula):
    assert check(formula, sizes=SPEC_EXAMPLE).verdict == "pass"


@pytest.mark.parametrize("formula, sizes", [
    ("dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))", COURSE),
    ("dA1 = W2.T @ dZ2", COURSE),
    ("dX = W1.T @ dZ1", COURSE),
    ("dW2 = 1/m * np.dot(dZ2, A1.T)", COURSE),
    ("dW2 = 1./m * dZ2.dot(A1.transpose())", COURSE),
    ("dW2 = dZ2 @ A1.T / A1.shape[1]", COURSE),
    ("db2 = np.mean(dZ2, axis=1, keepdims=True)", COURSE),
    ("dZ1 = np.eye(n1) @ W2.T @ dZ2 * g1'(Z1)", COURSE),
    ("dZ2 = W3.T @ dZ3 * g2'(Z2)", {"n0": 3, "n1": 4, "n2": 5, "n3": 2, "m": 6}),
    ("dz1 = W2.T @ dz2 * g1'(z1)", {"n0": 3, "n1": 4, "n2": 2}),
    ("dW2 = dz2 @ a1.T", {"n0": 3, "n1": 4, "n2": 2}),  # one example: m = 1
    ("dz2 = a2 - y", {"n0": 3, "n1": 4, "n2": 2}),
])
def test_more_correct_formulas_pass(check, formula, sizes):
    r = check(formula, sizes=sizes)
    assert r.verdict == "pass", r.message


# --- a constant factor ----------------------------------------------------------------

@pytest.mark.parametrize("formula, factor, error", [
    ("dW2 = dZ2 @ A1.T", "m", 0.8),                       # the missing 1/m
    ("db2 = np.sum(dZ2, axis=1, keepdims=True)", "m", 0.8),
    ("dW2 = 1/m**2 * dZ2 @ A1.T", "1/m", 0.8),
    ("dZ2 = Y - A2", "-1", 2.0),
])
def test_a_constant_factor_is_diagnosed(check, formula, factor, error):
    r = check(formula)
    assert r.verdict == "value"
    assert r.diagnosis == {"kind": "factor", "factor": factor}
    assert r.rel_error == pytest.approx(error, abs=1e-6)
    assert r.tolerance == 1e-6


@pytest.mark.parametrize("formula, factor", [("dZ2 = 2 * (A2 - Y)", "2"), ("dZ2 = 0.5 * (A2 - Y)", "1/2")])
def test_a_numeric_factor_is_named_as_a_number(check, formula, factor):
    sizes = {"n0": 3, "n1": 4, "n2": 7, "m": 5}
    r = check(formula, sizes=sizes)
    assert r.verdict == "value"
    assert r.diagnosis == {"kind": "factor", "factor": factor}
    assert r.rel_error == pytest.approx(0.5, abs=1e-6)


def test_a_factor_two_is_not_named_after_a_default_size(check):
    # n2 is undeclared and so chosen by the tool; the 2 the user wrote is the factor
    r = check("dZ2 = 2 * (A2 - Y)", sizes=SPEC_EXAMPLE)
    assert r.verdict == "value"
    assert r.diagnosis == {"kind": "factor", "factor": "2"}


# --- a transpose ------------------------------------------------------------------------

def test_log_det_without_the_transpose(check):
    r = check("dX = np.linalg.inv(X)", sizes={"n": 3}, **LOGDET)
    assert r.verdict == "value"
    assert r.diagnosis == {"kind": "transpose"}
    assert r.rel_error > 1e-2


def test_log_det_with_the_transpose(check):
    r = check("dX = np.linalg.inv(X).T", sizes={"n": 3}, **LOGDET)
    assert r.verdict == "pass", r.message


def test_trace_gradient_is_the_transpose(check):
    wrong = check("dX = A", sizes={"n": 4}, **TRACE)
    assert wrong.verdict == "value"
    assert wrong.diagnosis == {"kind": "transpose"}
    assert check("dX = A.T", sizes={"n": 4}, **TRACE).verdict == "pass"


def test_sum_of_a_product_needs_no_transpose(check):
    r = check("dX = A", sizes={"n": 3}, forward=("J = np.sum(A * X)",),
              shapes={"X": ("n", "n"), "A": ("n", "n")})
    assert r.verdict == "pass"
    r = check("dX = A.T", sizes={"n": 3}, forward=("J = np.sum(A * X)",),
              shapes={"X": ("n", "n"), "A": ("n", "n")})
    assert r.verdict == "value" and r.diagnosis == {"kind": "transpose"}


# --- the course's convention against a stated mean cost ---------------------------------

def test_a_per_example_gradient_against_a_mean_cost(check):
    r = check("dZ2 = A2 - Y", forward=(NET_WITH_MEAN_COST,))
    assert r.verdict == "value"
    assert r.diagnosis == {"kind": "convention", "factor": "m"}
    assert r.rel_error == pytest.approx(0.8, abs=1e-6)
    assert check("dZ2 = 1/m * (A2 - Y)", forward=(NET_WITH_MEAN_COST,)).verdict == "pass"


# --- open activations -------------------------------------------------------------------

def test_the_tanh_derivative_fails_for_an_open_activation(check):
    r = check("dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)")
    assert r.verdict == "value"
    assert set(r.activation) == {"g1"}
    assert r.activation["g1"] in ("sigmoid", "softplus")  # one for which it fails
    assert "tanh" in r.message                            # and the one for which it holds


def test_fixing_the_activation_makes_the_tanh_derivative_pass(check):
    r = check("dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)", activations={"g1": "tanh"})
    assert r.verdict == "pass", r.message


def test_the_sigmoid_derivative_fails_for_an_open_activation(check):
    r = check("dZ1 = W2.T @ dZ2 * A1 * (1 - A1)")
    assert r.verdict == "value"
    assert r.activation["g1"] in ("tanh", "softplus")
    assert "sigmoid" in r.message
    assert check("dZ1 = W2.T @ dZ2 * A1 * (1 - A1)", activations={"g1": "sigmoid"}).verdict == "pass"


@pytest.mark.parametrize("derivative", ["tanh'(Z1)", "sigmoid'(Z1)", "(1 - np.tanh(Z1) ** 2)"])
def test_a_named_derivative_fails_for_an_open_activation(check, derivative):
    r = check(f"dZ1 = W2.T @ dZ2 * {derivative}")
    assert r.verdict == "value" and r.activation is not None


def test_relu_fixed(check):
    for mask in ["(Z1 > 0)", "np.where(Z1 > 0, 1, 0)", "relu'(Z1)", "g1'(Z1)"]:
        r = check(f"dZ1 = W2.T @ dZ2 * {mask}", activations={"g1": "relu"})
        assert r.verdict == "pass", (mask, r.message)


def test_the_derivative_taken_at_the_activation_is_wrong(check):
    r = check("dZ1 = W2.T @ dZ2 * g1'(A1)")
    assert r.verdict == "value"
    assert r.diagnosis is None


# --- other wrong values -----------------------------------------------------------------

def test_a_wrong_formula_is_far_from_the_tolerance(check):
    r = check("dZ2 = A2")
    assert r.verdict == "value"
    assert r.diagnosis is None
    assert r.rel_error > 1e-2  # SPEC: a wrong one lands above 1e-2


def test_values_that_are_not_finite(check):
    r = check("dA1 = W2.T @ dZ2 * 1e300 * 1e300")
    assert r.verdict == "value"
    assert "not finite" in r.message


def test_a_right_side_that_names_its_own_left_side_does_not_crash(check):
    # dZ1 on the right is the true gradient, so the claim is off by b1 (drawn non-zero)
    r = check("dZ1 = dZ1 + b1")
    assert r.verdict == "value", r.message


# --- tolerance and seed -------------------------------------------------------------------

def test_the_tolerance_decides(check):
    # rel. error of a factor m = 5 is 0.8: below a tolerance of 0.9, above one of 0.7
    assert check("dW2 = dZ2 @ A1.T", tol=0.9).verdict == "pass"
    r = check("dW2 = dZ2 @ A1.T", tol=0.7)
    assert r.verdict == "value" and r.tolerance == 0.7
    # finite differences are not exact: below what they resolve, the values are compared
    # at what they do, and that tolerance is the one shown
    r = check("dZ2 = A2 - Y", tol=1e-14)
    assert r.verdict == "pass" and 1e-14 < r.tolerance < 1e-6
    assert f"(to {r.tolerance:.2g}, not 1e-14: the cost's rounding blurs" in r.message
    assert check("dZ2 = 0.999999 * (A2 - Y)", tol=1e-14).verdict == "value"


def test_runs_are_reproducible_and_the_seed_changes_the_draw(check):
    first = check("dZ2 = A2").rel_error
    assert check("dZ2 = A2").rel_error == first  # the default seed is fixed
    assert check("dZ2 = A2", seed=7).rel_error == check("dZ2 = A2", seed=7).rel_error
    assert check("dZ2 = A2", seed=7).rel_error != check("dZ2 = A2", seed=8).rel_error


# --- known functions evaluate as numpy does (gradients derived by hand) ---------------------

@pytest.mark.parametrize("forward, shapes, claim", [
    ("J = sum(A * X)", {"X": ("n", "k"), "A": ("n", "k")}, "dX = A"),  # sum(...) is the total
    ("J = np.sum(np.exp(X))", {"X": ("n", "k")}, "dX = np.exp(X)"),
    ("J = np.linalg.norm(X)", {"X": ("n", "k")}, "dX = X / np.linalg.norm(X)"),
    ("J = np.sum(np.outer(x, y) * A)", {"x": ("n", 1), "y": ("k", 1), "A": ("n", "k")}, "dx = A @ y"),
    ("J = np.trace(np.linalg.inv(X) @ A)", {"X": ("n", "n"), "A": ("n", "n")},
     "dX = -(np.linalg.inv(X) @ A @ np.linalg.inv(X)).T"),
    ("J = np.linalg.det(X)", {"X": ("n", "n")}, "dX = np.linalg.det(X) * np.linalg.inv(X).T"),
    ("J = np.sum(np.max(X, axis=0))", {"X": ("n", "k")}, "dX = (X == np.max(X, axis=0, keepdims=True))"),
    ("J = np.sum(np.mean(X, axis=1) ** 2)", {"X": ("n", "k")},
     "dX = 2 * np.mean(X, axis=1, keepdims=True) / k * np.ones_like(X)"),
    ("J = np.sum(np.tanh(X))", {"X": ("n", "k")}, "dX = tanh'(X)"),
    ("J = np.sum(softplus(X))", {"X": ("n", "k")}, "dX = sigmoid(X)"),
    ("J = np.sum(np.maximum(0, X))", {"X": ("n", "k")}, "dX = np.where(X > 0, 1, 0)"),
    ("J = np.sum(np.sqrt(X * X + 1))", {"X": ("n", "k")}, "dX = X / np.sqrt(X * X + 1)"),
    ("J = np.sum(np.log1p(X * X))", {"X": ("n", "k")}, "dX = 2 * X / (1 + X * X)"),
    ("J = v @ v", {"v": ("n",)}, "dv = 2 * v"),                       # 1-D arrays
    ("J = np.sum(A @ v)", {"v": ("k",), "A": ("n", "k")}, "dv = np.sum(A, axis=0)"),
    ("J = s * s", {"s": ()}, "ds = 2 * s"),                           # a scalar variable
    ("J = np.sum(X * b)", {"X": ("n", "k"), "b": ("n", 1)}, "db = np.sum(X, axis=1, keepdims=True)"),
])
def test_known_functions(check, forward, shapes, claim):
    r = check(claim, sizes={"n": 3, "k": 4}, forward=(forward,), shapes=shapes)
    assert r.verdict == "pass", r.message


def test_a_wrong_gradient_of_a_known_function_fails(check):
    r = check("dX = np.linalg.inv(X).T", sizes={"n": 3}, forward=("J = np.linalg.det(X)",),
              shapes={"X": ("n", "n")})
    assert r.verdict == "value"


def test_a_norm_along_an_axis_is_not_the_total(check):
    # the cost sums the column norms; X / ||X|| (the total's gradient) is not its gradient
    r = check("dX = X / np.linalg.norm(X)", sizes={"n": 3, "k": 4},
              forward=("J = np.sum(np.linalg.norm(X, axis=0))",), shapes={"X": ("n", "k")})
    # its gradient is X divided by each column's norm: same shape, other values
    assert r.verdict == "value", r.message


def test_softplus_is_log_one_plus_exp_everywhere():
    """softplus as max(x, 0) + log1p(exp(-|x|)): np.logaddexp(0, x)'s values, with no
    overflow at either end."""
    from shapecheck.functions import lookup

    softplus = lookup("softplus")
    x = np.concatenate([np.linspace(-50, 50, 2001), [-800.0, 800.0, 0.0, -1e-300, 1e-20]])
    with np.errstate(over="raise", invalid="raise"):
        values = softplus.value(x)
    assert np.allclose(values, np.logaddexp(0.0, x), rtol=1e-15, atol=0)
    assert values[-4] == 800.0
    # its derivative, the sigmoid, is what central differences of it give
    h = 1e-5
    middle = x[:2001]
    numeric = (softplus.value(middle + h) - softplus.value(middle - h)) / (2 * h)
    assert np.allclose(numeric, softplus.derivative(middle), atol=1e-9)
