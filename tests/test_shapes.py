"""Shape rules, one operator at a time, then the naming convention and undeclared sizes.

The rules are numpy's, on symbolic shapes: a size name never broadcasts and never equals
another size name, whatever the values; only a literal 1 stretches.
"""
from __future__ import annotations

import pytest

from shapecheck.errors import UnknownNameError
from shapecheck.language.meaning import lower
from shapecheck.language.parse import parse_equation
from shapecheck.shapes import Mismatch, ShapeEnv, infer

from conftest import COURSE, SPEC_EXAMPLE

VARIABLES = {
    "A": ("n", "m"), "B": ("m", "k"), "C": ("k", "n"), "S": ("n", "n"),
    "b": ("n", 1), "r": (1, "m"), "x": ("n", 1), "y": ("k", 1),
    "v": ("n",), "u": ("m",), "s": (),
}
SIZES = {"n", "m", "k"}


def env_for(text: str) -> ShapeEnv:
    return ShapeEnv(VARIABLES, SIZES, text)


def shape_of(expr: str):
    text = f"d = {expr}"
    eq = lower(parse_equation(text), lambda n: n in VARIABLES)
    shape, _ = infer(eq.rhs, env_for(text))
    return shape


def failure_of(expr: str):
    text = f"d = {expr}"
    eq = lower(parse_equation(text), lambda n: n in VARIABLES)
    with pytest.raises(Mismatch) as e:
        infer(eq.rhs, env_for(text))
    return text, e.value.failure


# --- every operator's rule -----------------------------------------------------------

@pytest.mark.parametrize("expr, shape", [
    # matrix product, numpy's 1-D rules included
    ("A @ B", ("n", "k")), ("np.dot(A, B)", ("n", "k")), ("np.matmul(A, B)", ("n", "k")),
    ("A.dot(B)", ("n", "k")), ("A @ B @ C", ("n", "n")), ("A @ u", ("n",)), ("v @ A", ("m",)),
    ("v @ v", ()),
    # transpose
    ("A.T", ("m", "n")), ("np.transpose(A)", ("m", "n")), ("A.transpose()", ("m", "n")),
    ("A.T.T", ("n", "m")), ("v.T", ("n",)), ("b.T", (1, "n")),
    # element-wise, with broadcasting of a literal 1 and of missing leading dimensions
    ("A + b", ("n", "m")), ("b + A", ("n", "m")), ("A - r", ("n", "m")), ("A * r", ("n", "m")),
    ("b * r", ("n", "m")), ("A / 2", ("n", "m")), ("A + s", ("n", "m")), ("s * A", ("n", "m")),
    ("A + u", ("n", "m")), ("A ** 2", ("n", "m")), ("np.power(A, 2)", ("n", "m")),
    ("np.square(A)", ("n", "m")), ("np.multiply(A, b)", ("n", "m")), ("np.divide(A, r)", ("n", "m")),
    ("-A", ("n", "m")), ("A > 0", ("n", "m")), ("(A > 0) * A", ("n", "m")), ("b == r", ("n", "m")),
    ("m * A", ("n", "m")), ("1 / m * A", ("n", "m")),
    # reductions: no axis is the total
    ("np.sum(A)", ()), ("sum(A)", ()), ("np.sum(A, axis=0)", ("m",)), ("np.sum(A, axis=1)", ("n",)),
    ("np.sum(A, axis=1, keepdims=True)", ("n", 1)), ("np.sum(A, axis=0, keepdims=True)", (1, "m")),
    ("np.sum(A, keepdims=True)", (1, 1)), ("np.sum(A, axis=-1)", ("n",)),
    ("np.sum(A, axis=(0, 1))", ()), ("np.sum(A, 0)", ("m",)), ("A.sum(axis=0)", ("m",)),
    ("A.sum()", ()), ("np.mean(A, axis=1, keepdims=True)", ("n", 1)), ("np.max(A, axis=0)", ("m",)),
    ("A.mean(axis=1)", ("n",)),
    # element-wise functions and activations, open or known, and their derivatives
    ("np.exp(A)", ("n", "m")), ("np.log(A)", ("n", "m")), ("np.log1p(A)", ("n", "m")),
    ("np.sqrt(A)", ("n", "m")), ("np.abs(A)", ("n", "m")), ("np.tanh(A)", ("n", "m")),
    ("sigmoid(A)", ("n", "m")), ("relu(A)", ("n", "m")), ("softplus(A)", ("n", "m")),
    ("g(A)", ("n", "m")), ("g1'(A)", ("n", "m")), ("tanh'(A)", ("n", "m")),
    ("softmax(A, axis=0)", ("n", "m")),
    # the other known functions
    ("np.trace(S)", ()), ("np.linalg.inv(S)", ("n", "n")), ("np.linalg.det(S)", ()),
    ("np.outer(x, y)", ("n", "k")), ("np.maximum(0, A)", ("n", "m")),
    ("np.where(A > 0, 1, 0)", ("n", "m")), ("np.ones_like(A)", ("n", "m")),
    ("np.zeros_like(b)", ("n", 1)), ("np.eye(n)", ("n", "n")), ("np.linalg.norm(A)", ()),
    ("A.shape[1]", ()), ("A / A.shape[1]", ("n", "m")),
])
def test_shape_rule(expr, shape):
    assert shape_of(expr) == shape


def test_matmul_inner_sizes_must_be_equal():
    text, f = failure_of("A @ A")
    assert f.message == ("the inner sizes m and n of a matrix product must be equal: "
                         "A is (n, m) and A is (n, m)")
    assert f.op_span == (6, 7)
    assert [(o.text, o.span, o.shape) for o in f.operands] == [
        ("A", (4, 5), ("n", "m")), ("A", (8, 9), ("n", "m"))]


def test_matmul_of_a_scalar():
    _, f = failure_of("s @ A")
    assert f.message == "a matrix product needs arrays, but s is a scalar; use * to scale"


def test_matmul_of_one_dimensional_arrays_follows_numpy():
    _, f = failure_of("u @ A")  # (m,) @ (n, m): numpy pairs m with n
    assert "inner sizes m and n" in f.message


@pytest.mark.parametrize("expr, op", [("A + B", "+"), ("A - B", "-"), ("A * B", "*"), ("A / B", "/"),
                                      ("A ** B", "**"), ("A > B", ">")])
def test_elementwise_operators_need_shapes_that_broadcast(expr, op):
    _, f = failure_of(expr)
    assert f.message == (f"element-wise {op} needs shapes that broadcast: A is (n, m) and B is "
                         "(m, k); m and k differ and neither is 1")
    assert [o.text for o in f.operands] == ["A", "B"]


def test_a_one_dimensional_array_lines_up_with_the_last_axis():
    # numpy: (n, m) + (n,) pairs m with n
    _, f = failure_of("A + v")
    assert f.message.endswith("m and n differ and neither is 1")


def test_a_reduction_axis_out_of_range():
    text, f = failure_of("np.sum(A, axis=2)")
    assert f.message == "axis 2 is out of range: A is (n, m), which has 2 dimension(s)"
    assert text[f.op_span[0]:f.op_span[1]] == "2"


@pytest.mark.parametrize("expr, what", [("np.trace(A)", "np.trace"),
                                        ("np.linalg.inv(A)", "np.linalg.inv"),
                                        ("np.linalg.det(A)", "np.linalg.det")])
def test_square_matrix_functions(expr, what):
    _, f = failure_of(expr)
    assert f.message == f"{what} needs a square matrix, but A is (n, m)"


def test_outer_needs_vectors():
    _, f = failure_of("np.outer(A, x)")
    assert f.message == "np.outer needs vectors, but A is (n, m)"


def test_maximum_needs_arguments_that_broadcast():
    _, f = failure_of("np.maximum(A, B)")
    assert f.message == "the arguments of np.maximum() must broadcast: A is (n, m), B is (m, k)"


def test_shape_index_out_of_range():
    _, f = failure_of("A.shape[2]")
    assert f.message == "A is (n, m): it has no dimension 2"


def test_the_first_failing_operator_is_reported():
    # both products are wrong; the left one is evaluated first
    text, f = failure_of("A @ A + B @ B")
    assert text[f.op_span[0]:f.op_span[1]] == "@"
    assert f.op_span[0] == text.index("@")


def test_an_unknown_name():
    text = "d = A @ Q"
    eq = lower(parse_equation(text), lambda n: n in VARIABLES)
    with pytest.raises(UnknownNameError, match=r"Q has no shape") as e:
        infer(eq.rhs, env_for(text))
    assert e.value.span == (8, 9)


def test_size_names_are_symbols():
    # two size names never match, and a size name never broadcasts, whatever the values
    env = ShapeEnv({"P": ("n", "m"), "Q": ("n", "k"), "R": ("n", 1)}, {"n", "m", "k"}, "d = P + Q")
    with pytest.raises(Mismatch):
        infer(parse_equation("d = P + Q").rhs, env)
    shape, _ = infer(parse_equation("d = P + R").rhs, ShapeEnv(env.variables, env.sizes, "d = P + R"))
    assert shape == ("n", "m")


# --- the course network: verdicts, spans, operands, hints ----------------------------

def test_the_posters_formula(check):
    text = "dZ1 = dZ2 @ W2.T * g1'(Z1)"
    r = check(text, sizes=SPEC_EXAMPLE)
    assert r.verdict == "shape"
    assert r.lhs_shape == ("n1", "m") and r.rhs_shape is None
    assert r.span == (6, 16) and text[slice(*r.span)] == "dZ2 @ W2.T"
    assert r.op_span == (10, 11) and text[slice(*r.op_span)] == "@"
    assert [(o.text, o.span, o.shape) for o in r.operands] == [
        ("dZ2", (6, 9), ("n2", "m")), ("W2.T", (12, 16), ("n1", "n2"))]
    assert r.hint == "W2.T @ dZ2"
    fixed = text[:r.span[0]] + r.hint + text[r.span[1]:]
    assert check(fixed, sizes=SPEC_EXAMPLE).verdict == "pass"


def test_the_precedence_trap(check):
    # `g1'(Z1) * W2.T @ dZ2` is `(g1'(Z1) * W2.T) @ dZ2`: the * fails first
    text = "dZ1 = g1'(Z1) * W2.T @ dZ2"
    r = check(text)
    assert r.verdict == "shape"
    assert text[slice(*r.op_span)] == "*"
    assert [(o.text, o.shape) for o in r.operands] == [("g1'(Z1)", ("n1", "m")), ("W2.T", ("n1", "n2"))]
    assert r.hint == "g1'(Z1) * (W2.T @ dZ2)"
    assert check(f"dZ1 = {r.hint}").verdict == "pass"


def test_x_transposed_first(check):
    text = "dW1 = 1/m * X.T @ dZ1"
    r = check(text)
    assert r.verdict == "shape"
    assert text[slice(*r.op_span)] == "@"
    assert [(o.text, o.shape) for o in r.operands] == [("1/m * X.T", ("m", "n0")), ("dZ1", ("n1", "m"))]
    assert r.hint is not None
    assert check(f"dW1 = {r.hint}").verdict == "pass"


def test_a1_not_transposed(check):
    text = "dW2 = 1/m * dZ2 @ A1"
    r = check(text)
    assert r.verdict == "shape"
    assert [(o.text, o.shape) for o in r.operands] == [("1/m * dZ2", ("n2", "m")), ("A1", ("n1", "m"))]
    assert check(f"dW2 = {r.hint}").verdict == "pass"


def test_a_sum_without_axis_is_the_total(check):
    text = "db2 = 1/m * np.sum(dZ2)"
    r = check(text)
    assert r.verdict == "shape"
    assert r.lhs_shape == ("n2", 1) and r.rhs_shape == ()
    assert r.hint == "1/m * np.sum(dZ2, axis=1, keepdims=True)"  # the whole right side, edited
    assert check("db2 = " + r.hint).verdict == "pass"


def test_a_result_of_the_wrong_shape(check):
    r = check("dW1 = dZ1")
    assert r.verdict == "shape"
    assert r.lhs_shape == ("n1", "n0") and r.rhs_shape == ("n1", "m")
    assert r.span == (6, 9)


def test_no_values_makes_a_shape_correct_formula_pass(check):
    r = check("dW2 = dZ2 @ A1.T", values=False)  # wrong by a factor m, but shapes line up
    assert r.verdict == "pass" and r.rel_error is None
    assert check("dW2 = dZ2 @ A1", values=False).verdict == "shape"


# --- the naming convention (layout columns) ------------------------------------------

@pytest.mark.parametrize("formula, shape", [
    ("dX = X", ("n0", "m")), ("dA0 = A0", ("n0", "m")), ("dA0 = X", ("n0", "m")),
    ("dW1 = W1", ("n1", "n0")), ("dW2 = W2", ("n2", "n1")),
    ("db1 = b1", ("n1", 1)), ("db2 = b2", ("n2", 1)),
    ("dZ1 = Z1", ("n1", "m")), ("dA1 = A1", ("n1", "m")), ("dZ2 = Z2", ("n2", "m")),
    ("dA2 = A2", ("n2", "m")), ("dA2 = Y", ("n2", "m")),
    ("dAL = AL", ("n2", "m")), ("dZL = ZL", ("n2", "m")), ("dAL = A2", ("n2", "m")),
    ("dx = x", ("n0", 1)), ("da1 = a1", ("n1", 1)), ("dz2 = z2", ("n2", 1)), ("da2 = y", ("n2", 1)),
    ("dW2 = dz2 @ a1.T", ("n2", "n1")),
])
def test_convention_table(check, formula, shape):
    r = check(formula, values=False)
    assert r.verdict == "pass", r.message
    assert r.lhs_shape == shape and r.rhs_shape == shape


@pytest.mark.parametrize("formula", ["dA2 = A1", "dW1 = W1.T", "db1 = b2", "dZ1 = X", "dz1 = x"])
def test_convention_mismatches(check, formula):
    assert check(formula, values=False).verdict == "shape"


def test_the_last_layer_follows_the_highest_declared_size(check):
    # --n3 makes L = 3: Y is (n3, m), so A2 - Y no longer lines up
    sizes = {"n0": 3, "n1": 4, "n2": 5, "n3": 2, "m": 6}
    r = check("dZ2 = A2 - Y", sizes=sizes)
    assert r.verdict == "shape"
    assert [(o.text, o.shape) for o in r.operands] == [("A2", ("n2", "m")), ("Y", ("n3", "m"))]
    assert check("dZ3 = A3 - Y", sizes=sizes).verdict == "pass"


def test_the_last_layer_follows_the_highest_layer_named(check):
    r = check("dW3 = W3", sizes=COURSE, values=False)
    assert r.lhs_shape == ("n3", "n2")
    assert "n3" in r.defaults


def test_declared_shape_of_a_model_variable_is_used(check):
    # SPEC: a --shape wins over the naming convention (here it says the same thing)
    r = check("dZ1 = W2.T @ dZ2 * g1'(Z1)", shapes={"W2": ("n2", "n1")})
    assert r.verdict == "pass", r.message


def test_declared_shape_of_an_extra_variable_is_used_for_the_shape_check(check):
    r = check("dZ1 = H @ dZ1", shapes={"H": ("n1", "n1")}, values=False)
    assert r.verdict == "pass", r.message
    r = check("dZ1 = H @ dZ1", shapes={"H": ("n1", "n2")}, values=False)
    assert r.verdict == "shape", r.message


def test_an_undeclared_name(check):
    r = check("dZ1 = Q @ dZ2")
    assert r.verdict == "error"
    assert r.span == (6, 7)
    assert "--shape Q=" in r.message


# --- sizes: undeclared ones get distinct defaults, never 1; names never broadcast ------

def test_an_undeclared_size_gets_a_distinct_default(check):
    r = check("dZ1 = W2.T @ dZ2 * g1'(Z1)", sizes=SPEC_EXAMPLE)
    assert set(r.defaults) == {"n2"}
    assert r.defaults["n2"] not in (1, 3, 4, 5)
    assert r.sizes == {**SPEC_EXAMPLE, "n2": r.defaults["n2"]}


def test_with_no_size_declared_every_default_differs(check):
    r = check("dZ1 = W2.T @ dZ2 * g1'(Z1)", sizes={})
    assert r.verdict == "pass"
    assert set(r.defaults) == {"n0", "n1", "n2", "m"}
    values = list(r.defaults.values())
    assert len(set(values)) == len(values) and 1 not in values
    assert r.sizes == r.defaults


def test_defaults_avoid_declared_values(check):
    r = check("dZ2 = A2 - Y", sizes={"n0": 2, "m": 3})
    assert set(r.defaults) == {"n1", "n2"}
    assert not {2, 3, 1} & set(r.defaults.values())
    assert len(set(r.defaults.values())) == 2


def test_a_size_of_one_does_not_broadcast(check):
    ones = {"n0": 3, "n1": 4, "n2": 1, "m": 1}
    assert check("dZ1 = dZ2 @ W2.T * g1'(Z1)", sizes=ones).verdict == "shape"
    assert check("dZ1 = dZ1 + dZ2", sizes=ones, values=False).verdict == "shape"
    assert check("dW2 = dZ2 * A1", sizes=ones, values=False).verdict == "shape"
    assert check("dZ1 = W2.T @ dZ2 * g1'(Z1)", sizes=ones).verdict == "pass"


def test_a_bias_broadcasts_over_the_examples(check):
    r = check("dZ1 = dZ1 * 0 + b1", values=False)
    assert r.verdict == "pass" and r.rhs_shape == ("n1", "m")


def test_equal_sizes_do_not_hide_a_transposition(check):
    same = {"n0": 3, "n1": 3, "n2": 3, "m": 3}
    assert check("dZ1 = dZ2 @ W2.T * g1'(Z1)", sizes=same).verdict == "shape"
    assert check("dW2 = 1/m * dZ2 @ A1", sizes=same).verdict == "shape"
    assert check("dW2 = 1/m * (dZ2 @ A1.T).T", sizes=same).verdict == "shape"
    assert check("dW2 = 1/m * dZ2 @ A1.T", sizes=same).verdict == "pass"


# --- axes of softmax and norm, as numpy reads them ---------------------------------------------

@pytest.mark.parametrize("axis", ["2", "-3"])
def test_a_softmax_axis_out_of_range(check, axis):
    # the same rule as np.sum(Z2, axis=2): a shape failure, never a traceback
    r = check(f"dZ2 = softmax(Z2, axis={axis})")
    assert r.verdict == "shape", r.message
    assert f"axis {axis} is out of range" in r.message


@pytest.mark.parametrize("formula", ["dZ2 = A2 - Y + 0 * softmax(m)",
                                     "dZ2 = A2 - Y + 0 * softmax(m, axis=0)"])
def test_a_softmax_of_a_scalar_is_a_shape_failure(check, formula):
    # a scalar has no axis to normalise along: no axis means the class axis (0 in
    # columns), and axis 0 is out of range, as in np.sum(m, axis=0)
    r = check(formula)
    assert r.verdict == "shape", r.message
    assert r.message == "softmax normalises along an axis, but m is a scalar"


def test_a_softmax_along_two_axes_is_refused(check):
    # SPEC's softmax normalises along one axis; a tuple is outside the language
    r = check("dZ2 = softmax(Z2, axis=(0, 1))")
    assert r.verdict == "error", r.message
    assert r.message == "softmax normalises along one axis"


def test_a_norm_along_an_axis_has_numpys_shape(check):
    # numpy: np.linalg.norm(dZ2, axis=1, keepdims=True) is (n2, 1), not a scalar: it has
    # db2's shape (read as the total it would be a scalar)
    r = check("db2 = np.linalg.norm(dZ2, axis=1, keepdims=True)", values=False)
    assert r.verdict == "pass", r.message
    assert r.rhs_shape == ("n2", 1)
