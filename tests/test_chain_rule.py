"""Issue 17, item 5: the scalar chain rule written with matrices.

`dZ1 = ∂L/∂A1 * ∂A1/∂Z1` is read (∂L/∂A1 is dA1; ∂A1/∂Z1, with no cost on top, is a
Jacobian), never passed: ∂A1/∂Z1 as a matrix quantity is an array of shape
(n1, m, n1, m), so the formula as written is not a matrix formula. The verdict is `shape`
(exit 1), and the message says why the scalar rule does not carry over and which matrix
formula the chain rule gives, shown only once the check has verified it.
"""
from __future__ import annotations

import pytest

from shapecheck import syntax as s
from shapecheck.errors import FormulaSyntaxError
from shapecheck.language.parse import parse_equation
from shapecheck.result import Options
from shapecheck.session import Checker

SIZES = {"n0": 3, "n1": 4, "m": 5}
NUMPY = "dZ1 = ∂L/∂A1 * ∂A1/∂Z1"
LATEX = (r"\frac{\partial L}{\partial Z^{[1]}} = \frac{\partial L}{\partial A^{[1]}} * "
         r"\frac{\partial A^{[1]}}{\partial Z^{[1]}}")


def check(text: str, **options):
    return Checker(Options(sizes=dict(SIZES), **options)).check(text)


# --- reading ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [NUMPY, LATEX, r"dZ1 = {\partial L \over \partial A1} "
                                                 r"{\partial A1 \over \partial Z1}"])
def test_the_cost_gradient_is_a_name_and_the_other_a_jacobian(text):
    eq = parse_equation(text)
    assert eq.lhs.id == "dZ1"
    gradient, jacobian = eq.rhs.left, eq.rhs.right
    assert gradient == s.Name("dA1", gradient.span)
    assert isinstance(jacobian, s.Jacobian)
    assert (jacobian.of.id, jacobian.wrt.id) == ("A1", "Z1")


def test_a_derivative_needs_one_name_on_top():
    with pytest.raises(FormulaSyntaxError, match="read with one name on top"):
        parse_equation(r"dW = \frac{\partial Y^T}{\partial W}")


# --- the verdict and the message ----------------------------------------------------------------

@pytest.mark.parametrize("text", [NUMPY, LATEX])
def test_the_scalar_chain_rule_is_a_shape_failure_with_the_matrix_form(text):
    r = check(text)
    assert r.verdict == "shape"
    assert r.lhs_shape == ("n1", "m") and r.rhs_shape is None
    # the failing part: the Jacobian, an array of both shapes, beside what it multiplies
    assert [o.shape for o in r.operands] == [("n1", "m"), ("n1", "m", "n1", "m")]
    assert "is a Jacobian" in r.message
    assert "an array of shape (n1, m, n1, m)" in r.message
    assert "does not carry over to matrices" in r.message
    assert "dZ1[i, j] = Σ_kl dA1[k, l] ∂A1[k, l]/∂Z1[i, j]" in r.message
    # element-wise, because A1 = g1(Z1) is
    assert "A1 = g1(Z1) gives dZ1 = dA1 * g1'(Z1)" in r.message
    assert "for an element-wise function" in r.message
    assert r.derived == "dZ1 = dA1 * g1'(Z1)" and r.hint == "dA1 * g1'(Z1)"
    assert "Even as scalars" not in r.message


def test_the_matrix_form_shown_passes_the_same_check():
    r = check(NUMPY)
    assert check(r.derived).verdict == "pass"


def test_through_a_product_the_transposed_factor_stands_on_the_left():
    r = check("dA1 = ∂L/∂Z2 * ∂Z2/∂A1")
    assert r.verdict == "shape"
    assert "Z2 = W2 @ A1 + b2 gives dA1 = W2.T @ dZ2" in r.message
    assert "dN = M.T @ dP" in r.message
    assert r.derived == "dA1 = W2.T @ dZ2"


def test_a_longer_chain_shows_each_step_and_the_whole():
    r = check("dZ1 = ∂L/∂Z2 * ∂Z2/∂A1 * ∂A1/∂Z1")
    assert r.verdict == "shape"
    assert "are Jacobians" in r.message
    assert "gives dA1 = W2.T @ dZ2" in r.message and "gives dZ1 = dA1 * g1'(Z1)" in r.message
    assert "together, dZ1 = W2.T @ dZ2 * g1'(Z1)" in r.message
    assert r.derived == "dZ1 = W2.T @ dZ2 * g1'(Z1)"


def test_factors_that_do_not_chain_are_told_so():
    r = check("dZ1 = ∂L/∂A2 * ∂A1/∂Z1")
    assert r.verdict == "shape"
    assert "Even as scalars these factors do not make ∂L/∂Z1" in r.message
    assert r.derived is not None and check(r.derived).verdict == "pass"


def test_a_generic_chain_is_said_in_the_generic_names():
    r = Checker(Options(layers=3)).check("dZ = ∂L/∂A * ∂A/∂Z")
    assert r.verdict == "shape" and r.layer == 1
    assert "A = g(Z) gives dZ = dA * g'(Z)" in r.message
    assert r.derived == "dZ = dA * g'(Z)"


def test_shapes_only_still_refuses_to_pass():
    r = check(NUMPY, values=False)
    assert r.verdict == "shape"
    assert "is a Jacobian" in r.message and r.derived is None


def test_a_jacobian_of_no_quantity_is_an_error():
    r = check("dZ1 = ∂L/∂A1 * ∂Q1/∂Z1")
    assert r.verdict == "error"
    assert "Q1 in a Jacobian ∂V/∂U must be a quantity of the model" in r.message


# --- the command line ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [NUMPY, LATEX])
def test_the_command_line_exits_1_with_the_explanation(cli, text):
    result = cli(text, "--n0", "3", "--n1", "4", "--m", "5")
    assert result.exit_code == 1, result.stderr
    assert "✗ shape" in result.stdout and "✓" not in result.stdout
    assert "derived: dZ1 = dA1 * g1'(Z1)" in result.stdout


def test_the_json_report_carries_the_message(cli):
    report = cli(NUMPY, "--n0", "3", "--n1", "4", "--m", "5", "--json").json()
    (r,) = report["results"]
    assert report["ok"] is False and r["verdict"] == "shape"
    assert "does not carry over to matrices" in r["message"]
    assert r["hint"] == "dA1 * g1'(Z1)"
    assert r["derived"] == "dZ1 = dA1 * g1'(Z1)"


def test_explain_shows_the_jacobian_s_shape(cli):
    result = cli(NUMPY, "--n0", "3", "--n1", "4", "--m", "5", "--explain")
    assert "∂A1/∂Z1  (n1, m, n1, m)" in result.stdout
    assert result.exit_code == 1


def test_single_example_names_are_answered_as_written():
    r = check("dz1 = ∂L/∂a1 * ∂a1/∂z1")
    assert r.verdict == "shape"
    assert "a1 = g1(z1) gives dz1 = da1 * g1'(z1)" in r.message
    assert r.derived == "dz1 = da1 * g1'(z1)"


def test_a_chain_in_a_notes_file_is_read_too(tmp_path, cli):
    notes = tmp_path / "notes.md"
    notes.write_text("<!-- shapecheck: sizes: n0=3 n1=4 m=5 -->\n\n"
                     "$$\\frac{\\partial L}{\\partial Z^{[1]}} = \\frac{\\partial L}{\\partial "
                     "A^{[1]}} \\frac{\\partial A^{[1]}}{\\partial Z^{[1]}}$$\n", encoding="utf-8")
    result = cli(str(notes))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "derived: dZ1 = dA1 * g1'(Z1)" in result.stdout
