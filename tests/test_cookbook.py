"""Issue 18: the Matrix Cookbook's forms as printed, and what was wrong with them.

`\\frac{\\partial f}{\\partial X} = ...` with an expression f on top is the gradient of f:
checked as if the model were the one equation `J = f` (its names shaped by --shape), so a
right formula passes, a wrong one (a transpose missing) fails with the usual diagnosis,
and an f that is not a scalar is refused with its shape. The operator form
`\\frac{\\partial}{\\partial X} f`, `\\operatorname{Tr}`, `\\text{Tr}`, `\\mathrm{tr}`, `\\det`,
`\\ln|\\det(X)|` (|x| as abs after a function) and `\\operatorname{diag}` are read through
the function table. Also: a scalar-valued call in front of juxtaposed factors scales their
product; a numpy function prints with `np.` however it was written; a --forward model in
single-example names (`x`, `z1`) has columns (n, 1). (`^{(i)}`: tests/test_example_sums.py.)
"""
from __future__ import annotations

import pytest

from shapecheck import syntax as s
from shapecheck.errors import FormulaSyntaxError
from shapecheck.language.meaning import lower
from shapecheck.language.parse import parse_equation
from shapecheck.language.printer import to_numpy
from shapecheck.result import Options
from shapecheck.session import Checker

VECTORS = {"a": (3, 1), "X": (3, 3), "b": (3, 1)}          # a^T X^T b, X square
TRACE = {"A": (2, 3), "X": (3, 4), "B": (4, 2)}            # Tr(A X B), nothing square but A X B
SQUARE = {"X": (3, 3)}
BOLD_AXB = r"\frac{\partial \mathbf{a}^T \mathbf{X}^T \mathbf{b}}{\partial \mathbf{X}}"


def verdict(text: str, shapes, **options):
    return Checker(Options(shapes=dict(shapes), **options)).check(text)


# --- reading: the expression on top is the equation's cost -------------------------------------

def test_an_expression_on_top_is_the_cost_and_the_left_side_its_gradient():
    eq = parse_equation(BOLD_AXB + r" = \mathbf{b}\mathbf{a}^T")
    assert eq.lhs.id == "dX"
    assert eq.cost is not None
    assert to_numpy(lower(s.Equation(s.Name("J", (0, 0)), eq.cost, eq.text),
                          lambda n: n in VECTORS)) == "J = a.T @ X.T @ b"


def test_the_operator_form_reads_the_same_cost():
    eq = parse_equation(r"\frac{\partial}{\partial \mathbf{X}} \text{Tr}(\mathbf{A}\mathbf{X}\mathbf{B})"
                        r" = \mathbf{A}^T\mathbf{B}^T")
    assert eq.lhs.id == "dX"
    assert isinstance(eq.cost, s.Call) and eq.cost.func == "trace"


@pytest.mark.parametrize("head", [r"\operatorname{Tr}", r"\text{Tr}", r"\mathrm{tr}",
                                  r"\operatorname{tr}", r"\operatorname{trace}"])
def test_every_spelling_of_the_trace_is_np_trace(head):
    eq = parse_equation(f"dX = {head}(X) X")
    assert eq.rhs.left.func == "trace" and to_numpy(eq.rhs.left) == "np.trace(X)"


def test_a_bare_name_on_top_is_still_the_model_cost():
    eq = parse_equation(r"\frac{\partial J}{\partial W} = A")
    assert eq.lhs.id == "dW" and eq.cost is None


@pytest.mark.parametrize("text, name", [(r"\frac{\partial J(W)}{\partial W} = A", "dW"),
                                        (r"\frac{\partial \mathcal{L}(\hat{y}, y)}{\partial z} = a", "dz")])
def test_the_cost_written_with_its_arguments_is_the_cost(text, name):
    eq = parse_equation(text)
    assert eq.lhs.id == name and eq.cost is None


@pytest.mark.parametrize("text, where", [
    (r"dW = \frac{\partial Y^T X}{\partial W}", "Y^T X"),   # on the right side
    (r"dW = \frac{\partial}{\partial W} W", r"\frac{\partial}{\partial W} W"),
])
def test_the_gradient_of_an_expression_is_read_only_as_the_left_side(text, where):
    with pytest.raises(FormulaSyntaxError, match="read only as the whole left side") as e:
        parse_equation(text)
    assert text[e.value.span[0]:e.value.span[1]] == where


def test_abs_bars_after_a_function_are_abs():
    eq = parse_equation(r"\frac{\partial \ln|\det(X)|}{\partial X} = (X^{-1})^T")
    assert to_numpy(eq.cost) == "np.log(np.abs(np.linalg.det(X)))"


# --- verdicts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, shapes", [
    (BOLD_AXB + r" = \mathbf{b}\mathbf{a}^T", VECTORS),                         # Cookbook (70)
    (r"\frac{\partial \mathbf{a}^T \mathbf{X} \mathbf{b}}{\partial \mathbf{X}} = \mathbf{a}\mathbf{b}^T",
     VECTORS),                                                                   # Cookbook (69)
    (r"\frac{\partial}{\partial \mathbf{X}} \text{Tr}(\mathbf{A}\mathbf{X}\mathbf{B}) = "
     r"\mathbf{A}^T\mathbf{B}^T", TRACE),                                        # Cookbook (101)
    (r"\frac{\partial}{\partial X} \mathrm{tr}(A X B) = A^T B^T", TRACE),
    (r"\frac{\partial \det(X)}{\partial X} = \det(X) (X^{-1})^T", SQUARE),      # Cookbook (49)
    (r"\frac{\partial \det(X)}{\partial X} = \operatorname{det}(X) (X^{-1})^T", SQUARE),
    (r"\frac{\partial \ln|\det(X)|}{\partial X} = (X^{-1})^T", SQUARE),         # Cookbook (57)
    (r"\frac{\partial \log|\det(X)|}{\partial X} = X^{-T}", SQUARE),
])
def test_right_cookbook_formulas_pass(text, shapes):
    r = verdict(text, shapes)
    assert r.verdict == "pass", r.message
    assert r.network.forward.startswith("J = ")


def test_a_missing_transpose_fails_on_values_with_the_usual_repair():
    r = verdict(BOLD_AXB + r" = \mathbf{a}\mathbf{b}^T", VECTORS)
    assert r.verdict == "value"
    assert "transpose of the true gradient" in r.message
    assert r.repair is not None and r.repair["formula"].endswith(r"(\mathbf{a}\mathbf{b}^T)^T")


def test_a_missing_transpose_of_a_vector_fails_on_shapes():
    r = verdict(BOLD_AXB + r" = \mathbf{b}\mathbf{a}", VECTORS)
    assert r.verdict == "shape"
    assert "inner sizes 1 and 3" in r.message
    assert r.repair is not None and r.repair["formula"].endswith(r"\mathbf{b}\mathbf{a}^T")


def test_a_wrong_identity_with_no_small_repair_gets_the_derived_gradient():
    # ∂(xᵀAx)/∂x is (A + Aᵀ)x; 2Ax holds only for a symmetric A, and A is drawn non-symmetric
    r = verdict(r"\frac{\partial \mathbf{x}^T \mathbf{A} \mathbf{x}}{\partial \mathbf{x}} = "
                r"2\mathbf{A}\mathbf{x}", {"x": (3, 1), "A": (3, 3)})
    assert r.verdict == "value"
    assert r.derived == "dx = (A + A.T) @ x"


def test_a_wrong_trace_formula_fails():
    r = verdict(r"\frac{\partial}{\partial X} \operatorname{Tr}(A X B) = A B", TRACE)
    assert r.verdict == "shape" and "inner sizes 3 and 4" in r.message


def test_the_inverse_without_its_transpose_fails_on_values():
    r = verdict(r"\frac{\partial \ln|\det(X)|}{\partial X} = X^{-1}", SQUARE)
    assert r.verdict == "value"


def test_a_numerator_that_is_no_scalar_is_refused_with_its_shape(cli):
    text = r"\frac{\partial \mathbf{X}^T \mathbf{b}}{\partial \mathbf{X}} = \mathbf{b}"
    r = cli(text, "--shape", "X=3,3", "--shape", "b=3,1")
    assert r.exit_code == 2 and not r.crashed
    assert r"\mathbf{X}^T \mathbf{b} is (3, 1), not a scalar" in r.stderr


def test_a_name_of_the_cost_without_a_shape_is_asked_for(cli):
    r = cli(r"\frac{\partial}{\partial X} \operatorname{Tr}(A X B) = A^T B^T", "--shape", "X=3,4")
    assert r.exit_code == 2 and "--shape A=" in r.stderr


# --- Wrong today: a scalar function in front of a product; np. in hints; unknown operators -----

FORWARD_DET = ("J = np.linalg.det(X)",)


@pytest.mark.parametrize("text", [r"dX = \operatorname{det}(X) (X^{-1})^T",
                                  r"dX = \det(X) (X^{-1})^T", r"dX = \det X \, X^{-T}"])
def test_a_scalar_function_in_front_of_a_product_scales_it(text):
    r = verdict(text, SQUARE, forward=FORWARD_DET)
    assert r.verdict == "pass", r.message
    lowered = lower(parse_equation(text), lambda n: n == "X")
    assert lowered.rhs.op == "*" and lowered.rhs.left.func == "linalg.det"


@pytest.mark.parametrize("text, scalar", [
    (r"dX = \sum X \, X", "sum"),                       # a total: no axis
    (r"dX = \operatorname{tr}(X) X", "trace"),
])
def test_every_scalar_valued_call_scales(text, scalar):
    lowered = lower(parse_equation(text), lambda n: n == "X")
    assert lowered.rhs.op == "*" and lowered.rhs.left.func == scalar


def test_a_reduction_along_an_axis_stays_a_factor_of_the_product():
    lowered = lower(parse_equation(r"dX = \sum(X, axis=0) X"), lambda n: n == "X")
    assert lowered.rhs.op == "@"


@pytest.mark.parametrize("text, shown", [
    (r"dX = \operatorname{exp}(X) X", "np.exp(X) @ X"),
    (r"dX = \operatorname{diag}(s) X", "np.diag(s) @ X"),
    (r"dX = \operatorname{abs}(X)", "np.abs(X)"),
])
def test_a_numpy_function_is_printed_with_np_however_it_was_written(text, shown):
    lowered = lower(parse_equation(text), lambda n: n in ("X", "s"))
    assert to_numpy(lowered.rhs) == shown


def test_the_reading_shown_keeps_np(cli):
    r = cli(r"dX = \operatorname{exp}(X) X", "--forward", "J = np.sum(np.exp(X))",
            "--shape", "X=3,2", "--explain")
    assert "read as  dX = np.exp(X) @ X" in r.stdout
    assert "exp(X) @ X" not in r.stdout.replace("np.exp(X) @ X", "")


@pytest.mark.parametrize("text, message", [
    ("dX = np.linalg.det(X, X)", "np.linalg.det() takes 1 argument(s), got 2"),
    ("dX = np.matmul(X)", "np.matmul() takes 2 arguments, got 1"),
    ("dX = np.sum(X, axs=0)", "np.sum() takes no keyword 'axs'"),
])
def test_a_message_keeps_np(text, message):
    r = verdict(text, SQUARE, forward=FORWARD_DET)
    assert r.verdict == "error" and message in r.message


def test_diag_is_a_known_function():
    r = verdict(r"ds = \operatorname{diag}(X)", {"s": (3,), "X": (3, 3)},
                forward=("J = np.sum(np.diag(s) * X)",))
    assert r.verdict == "pass", r.message


def test_diag_of_a_column_is_refused_with_both_readings():
    # the Cookbook's diag(s) of a vector is the diagonal matrix; numpy's np.diag of an (n, 1)
    # column is its one diagonal entry: written without np., a column reads two ways
    r = verdict(r"ds = \operatorname{diag}(s)", {"s": (3, 1)}, forward=("J = np.sum(s)",))
    assert r.verdict == "error"
    assert "reads two ways: the diagonal matrix (np.diagflat(s)) or numpy's np.diag(s)" in r.message


def test_diag_of_a_vector_is_its_diagonal_matrix():
    r = verdict(r"dX = \operatorname{diag}(s)", {"s": (3,), "X": (3, 3)},
                forward=("J = np.sum(X * np.diag(s))",))
    assert r.verdict == "pass", r.message


@pytest.mark.parametrize("name, near", [("foo", None), ("tanhh", "tanh"), ("Trr", "trace")])
def test_an_unknown_operator_is_an_error(cli, name, near):
    r = cli(fr"dZ1 = \operatorname{{{name}}}(Z1)", "--n0", "2", "--n1", "3", "--m", "4")
    assert r.exit_code == 2 and not r.crashed
    assert f"{name} is not a function shapecheck knows" in r.stderr
    if near:
        assert "did you mean" in r.stderr and f"{near}?" in r.stderr


# --- Wrong today: a --forward model in single-example names ------------------------------------

SINGLE = ("z1 = W1 @ x + b1; a1 = np.tanh(z1); z2 = W2 @ a1 + b2; a2 = sigmoid(z2); "
          "J = -np.sum(y * np.log(a2) + (1 - y) * np.log(1 - a2))")


@pytest.mark.parametrize("text, shape", [("db1 = dz1", ("n1", 1)), ("dz2 = a2 - y", ("n2", 1)),
                                         ("dW1 = dz1 @ x.T", ("n1", "n0"))])
def test_a_single_example_model_has_columns(text, shape):
    r = Checker(Options(forward=(SINGLE,))).check(text)
    assert r.verdict == "pass", r.message
    assert r.lhs_shape == shape
    assert "m" not in r.defaults


def test_a_single_example_model_uses_no_m(cli):
    r = cli("db1 = dz1", "--forward", SINGLE, "--m", "4")
    assert r.exit_code == 2 and "--m 4: the formulas are written for one example" in r.stderr


def test_a_model_of_all_examples_keeps_its_m():
    every = ("Z1 = W1 @ X + b1; A1 = np.tanh(Z1); Z2 = W2 @ A1 + b2; A2 = sigmoid(Z2); "
             "J = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))")
    r = Checker(Options(sizes={"m": 4}, forward=(every,))).check("db1 = dZ1")
    assert r.verdict == "shape" and r.rhs_shape == ("n1", "m")


