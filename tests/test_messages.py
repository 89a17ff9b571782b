"""The sentences people read: exact text where SPEC fixes the content, `match=` elsewhere.

Each message says what was observed against what was expected and names the operands and
sizes (STYLE 7), then the hint for the predictable mistake.
"""
from __future__ import annotations

import re

import pytest

from shapecheck.cli import parse_activation, parse_shape, parse_size
from shapecheck.errors import BadOptionError, FormulaSyntaxError
from shapecheck.language.parse import parse_equation

from conftest import SPEC_EXAMPLE

# --- shapes ---------------------------------------------------------------------------


def test_the_posters_message(check):
    # SPEC: the shapes (n2, m) and (n1, n2), the rule in words, and the hint with the
    # shape (n1, m) that the left side needs
    r = check("dZ1 = dZ2 @ W2.T * g1'(Z1)", sizes=SPEC_EXAMPLE)
    assert r.rule == ("the inner sizes m and n1 of a matrix product must be equal: "
                      "dZ2 is (n2, m) and W2.T is (n1, n2)")
    assert r.message == (r.rule + ". Did you mean W2.T @ dZ2? It is (n1, m), and the right "
                         "side then has the shape (n1, m) that dZ1 needs.")


def test_the_precedence_trap_message(check):
    r = check("dZ1 = g1'(Z1) * W2.T @ dZ2")
    assert r.rule == ("element-wise * needs shapes that broadcast: g1'(Z1) is (n1, m) and "
                      "W2.T is (n1, n2); m and n2 differ and neither is 1")
    assert r.message.endswith("Did you mean g1'(Z1) * (W2.T @ dZ2)? It is (n1, m), and the "
                              "right side then has the shape (n1, m) that dZ1 needs.")


def test_a_scalar_in_a_matrix_product(check):
    r = check("dZ1 = 2 @ dZ1")
    assert r.rule == "a matrix product needs arrays, but 2 is a scalar; use * to scale"
    assert r.hint == "2 * dZ1"


def test_a_result_of_the_wrong_shape(check):
    r = check("db2 = 1/m * np.sum(dZ2)")
    assert r.rule == ("the right side is (), but db2 is (n2, 1): a formula's result must have "
                      "its left side's shape")
    assert r.message == r.rule + ". Did you mean 1/m * np.sum(dZ2, axis=1, keepdims=True)? It gives (n2, 1)."


def test_a_result_of_the_wrong_shape_without_a_hint(check):
    r = check("dW1 = dZ1")
    assert r.hint is None
    assert r.message == ("the right side is (n1, m), but dW1 is (n1, n0): a formula's result "
                         "must have its left side's shape")


def test_a_broadcast_failure_names_both_sizes(check):
    r = check("dZ1 = dZ1 + W1")
    assert r.rule == ("element-wise + needs shapes that broadcast: dZ1 is (n1, m) and W1 is "
                      "(n1, n0); m and n0 differ and neither is 1")


def test_an_axis_out_of_range(check):
    r = check("db1 = np.sum(dZ1, axis=2)")
    assert r.rule == "axis 2 is out of range: dZ1 is (n1, m), which has 2 dimension(s)"


def test_a_function_that_needs_a_square_matrix(check):
    r = check("dW1 = np.linalg.inv(W1)")
    assert r.rule == "np.linalg.inv needs a square matrix, but W1 is (n1, n0)"


# --- names and syntax -------------------------------------------------------------------

def test_an_unknown_name_says_how_to_declare_it(check):
    r = check("dZ1 = Q @ dZ2")
    assert r.verdict == "error"
    assert re.match(r"Q has no shape\b", r.message)
    assert "--shape Q=" in r.message


def test_a_left_side_that_is_not_a_gradient(check):
    r = check("Q = A2 - Y")
    assert r.verdict == "error"
    assert r.message.startswith("the left side Q must name a gradient of the model")


@pytest.mark.parametrize("text, pattern", [
    ("dZ1 = W2.T @@ dZ2", r"^unexpected '@' here"),
    ("db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True", r"^the formula ends too early"),
    ("dZ2 = A2 $ Y", r"^'\$' is not part of the formula language$"),
    ("dW = __import__('os').system('echo hi')", r"strings are not part of the formula language"),
    ("dZ2 = A2[0]", r"^indexing is only read in A.shape\[i\]$"),
    ("dZ2 = A2.bar", r"^'.bar' is not something shapecheck knows"),
])
def test_syntax_error_messages(text, pattern):
    with pytest.raises(FormulaSyntaxError, match=pattern):
        parse_equation(text)


def test_an_unknown_numpy_function(check):
    r = check("dZ2 = np.foo(A2)")
    assert r.verdict == "error"
    assert r.message == "np.foo is not a numpy function shapecheck knows"


@pytest.mark.parametrize("formula, message", [
    ("dZ1 = np.eye(A1) @ dZ1",
     "A1 is not a size: a size is a size name (N), a whole number or x.shape[0]"),
    ("db1 = np.sum(dZ1, axs=1)", "np.sum() takes no keyword 'axs'"),
    ("db1 = np.sum(dZ1, axis=m)", "axis must be a whole number"),
    ("dZ1 = np.exp(dZ1, dZ1)", "np.exp() takes 1 argument(s), got 2"),
    ("dZ1 = g1(Z1, Z1)", "g1(...) is read as an activation, which takes one argument"),
    ("dZ1 = g1'(Z1, Z1)", "g1'(...) takes one argument"),
])
def test_calls_that_cannot_be_checked(check, formula, message):
    r = check(formula)
    assert r.verdict == "error"
    assert r.message == message
    assert r.span is not None and r.span[0] < r.span[1] <= len(formula)


# --- values ---------------------------------------------------------------------------

def test_the_missing_one_over_m(check):
    r = check("dW2 = dZ2 @ A1.T")
    assert r.message == ("the values differ from the finite-difference gradient of J "
                         "(relative error 0.8 > tolerance 1e-06): the right side is m = 5 times "
                         "the true gradient; multiply it by 1/m")


def test_a_factor_one_over_m_is_not_called_five(check):
    r = check("dW2 = 1/m**2 * dZ2 @ A1.T")
    assert r.diagnosis == {"kind": "factor", "factor": "1/m"}
    assert re.search(r"the right side is 1/m\b", r.message)
    assert "1/m = 5" not in r.message  # 1/m is 0.2 here, not 5
    assert r.message.endswith("multiply it by m")


def test_a_flipped_sign(check):
    r = check("dZ2 = Y - A2")
    assert r.message.endswith("the right side is -1 times the true gradient; flip its sign")


def test_a_transpose(check):
    r = check("dX = A", sizes={"n": 3}, forward=("J = np.trace(A @ X)",),
              shapes={"X": ("n", "n"), "A": ("n", "n")})
    assert r.message.endswith(": the right side is the transpose of the true gradient")


def test_an_open_activation_names_where_it_fails_and_where_it_holds(check):
    r = check("dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)")
    failing = r.activation["g1"]
    assert re.search(rf"It holds for g1 = tanh but not for g1 = {failing}\b", r.message)
    assert "--activation g1=tanh" in r.message


def test_the_convention_is_not_a_slip(check):
    forward = ("Z1 = W1 @ X + b1; A1 = np.tanh(Z1); Z2 = W2 @ A1 + b2; A2 = sigmoid(Z2); "
               "J = -1/m * np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))")
    r = check("dZ2 = A2 - Y", forward=(forward,))
    assert "convention" in r.message and "not a slip" in r.message
    assert r.message.endswith("divide by m")


def test_a_model_input_without_a_shape(check):
    r = check("dv = 2 * M.T @ M @ v", sizes={"k": 3}, forward=("J = np.sum((M @ v) ** 2)",),
              shapes={"v": ("k", 1)})
    assert r.verdict == "error"
    assert r.message.startswith("the model's input M has no shape; declare it, e.g. --shape M=")


# --- options --------------------------------------------------------------------------------

@pytest.mark.parametrize("value, pattern", [
    ("0", r"^--n1 0: sizes are positive integers$"),
    ("-3", r"^--n1 -3: sizes are positive integers$"),
    ("2.5", r"^--n1 2\.5: a size is a positive whole number$"),
    ("four", r"^--n1 four: a size is a positive whole number$"),
])
def test_bad_sizes(value, pattern):
    with pytest.raises(BadOptionError, match=pattern):
        parse_size("n1", value)


@pytest.mark.parametrize("text, pattern", [
    ("=n", r"write NAME=DIMS"),
    ("H", r"write NAME=DIMS"),
    ("H=0", r"'0' is not a size name or a positive integer"),
    ("H=n-1", r"'n-1' is not a size name or a positive integer"),
])
def test_bad_shapes(text, pattern):
    with pytest.raises(BadOptionError, match=pattern):
        parse_shape(text)


def test_shapes_as_spec_writes_them():
    assert parse_shape("H=1,h") == ("H", (1, "h"))
    assert parse_shape("s=") == ("s", ())
    assert parse_shape("b=c") == ("b", ("c",))


def test_a_bad_activation_lists_the_choices():
    with pytest.raises(BadOptionError, match=r"tanh, sigmoid, relu, softplus, identity, softmax$"):
        parse_activation("g1=cosh")
    assert parse_activation("g1=tanh") == ("g1", "tanh")


# --- MATLAB's element-wise operators (issue 17: messages a learner can act on) ----------

@pytest.mark.parametrize("text, shown, message", [
    ("dZ1 = W2.T @ dZ2 .* g1'(Z1)", ".*", "numpy writes the element-wise product as *, not "
                                          ".* as MATLAB does"),
    ("dZ1 = W2.T @ dZ2.*g1'(Z1)", ".*", "numpy writes the element-wise product as *, not "
                                        ".* as MATLAB does"),
    ("dZ = A ./ B", "./", "numpy writes the element-wise quotient as /, not ./ as MATLAB does"),
    ("dZ = A.^2", ".^", "numpy writes the element-wise power as **, not .^ as MATLAB does"),
])
def test_matlab_element_wise_operators_are_named(text, shown, message):
    with pytest.raises(FormulaSyntaxError) as caught:
        parse_equation(text)
    assert caught.value.message == message
    start, end = caught.value.span
    assert text[start:end] == shown


def test_a_number_with_a_trailing_point_is_still_a_number():
    eq = parse_equation("dZ1 = 2.*W2.T @ dZ2")  # (2. times W2.T) @ dZ2, as Python reads it
    scaled = eq.rhs.left
    assert eq.rhs.op == "@" and scaled.op == "*" and scaled.left.value == 2.0


# --- a formula without its left side (issue 17: messages a learner can act on) -----------

def test_a_formula_without_a_left_side_is_told_so_and_offered_its_gradients(cli):
    r = cli("W2.T @ dZ2", "--n0", "3", "--n1", "4", "--m", "5")
    assert r.exit_code == 2
    assert ("no file of that name, and as a formula it needs a left side: the gradient it "
            "computes, e.g. dZ1 = W2.T @ dZ2 (its shape is also that of dA1)") in r.stdout + r.stderr
    assert "no such file" not in r.stdout + r.stderr


def test_a_missing_file_is_still_a_missing_file(cli):
    r = cli("missing-notes.md")
    assert r.exit_code == 2
    assert "missing-notes.md:1:1: ! error  no such file" in r.stdout + r.stderr
