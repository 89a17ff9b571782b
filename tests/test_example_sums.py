"""Issue 18: a sum over examples written with the example index, `\\sum_{i=1}^{m} x^{(i)} (a^{(i)} -
y^{(i)})`, as textbooks and the course's slides print it.

Inside `\\sum_{i=1}^{m}` (or `\\sum_i`), `v^{(i)}` is column i of the course's all-examples V
(`x^{(i)}` is X, `dz^{[1](i)}` dZ1; row i with `--layout rows`), and the summand is read as its
matrix form: Σ_i f g^T is F @ G.T, Σ_i f g with each g one number is F @ G.T too, with any
other g it stays a shape error (never a transpose added); Σ_i of a per-example column is the sum
along the examples. Outside any sum `x^{(i)}` is one example's x. Other uses are refused with
the vectorised form to write.
"""
from __future__ import annotations

import pytest

from shapecheck import syntax as s
from shapecheck.errors import FormulaSyntaxError
from shapecheck.language.parse import parse_equation

# the course's week-2 logistic regression: one unit, w (n, 1), b a number, labels Y (1, m)
LOGISTIC = ["--forward", "A = sigmoid(w.T @ X + b); "
            "J = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m",
            "--shape", "w=n,1", "--shape", "b=", "--shape", "X=n,m", "--shape", "Y=1,m",
            "--label", "Y", "--n", "3", "--m", "5"]
NETWORK = ["--n0", "3", "--n1", "4", "--n2", "2", "--m", "5"]
DW = r"dw = \frac{1}{m} \sum_{i=1}^{m} x^{(i)} (a^{(i)} - y^{(i)})"
DW1 = r"dW^{[1]} = \frac{1}{m} \sum_{i=1}^{m} dz^{[1](i)} x^{(i)T}"


def test_inside_a_sum_an_example_is_a_column_of_the_upper_case_name():
    total = parse_equation(DW1).rhs.right
    columns = [n.args[0].id for n in s.walk(total) if isinstance(n, s.Call) and n.args
               and isinstance(n.args[0], s.Name) and n.func != total.func]
    assert columns == ["dZ1", "X"]


def test_a_sum_before_juxtaposed_factors_sums_their_product():
    summand = parse_equation(DW).rhs.right.args[0]  # \frac{1}{m} (\sum_i (x (a - y)))
    assert summand.op == s.JUXTAPOSE and isinstance(summand.right, s.BinOp)


def test_logistic_regressions_dw_passes_as_x_times_the_errors_transposed(cli):
    r = cli(DW, *LOGISTIC)
    assert r.exit_code == 0 and "✓ pass" in r.stdout
    assert "read as  dw = 1/m * (X @ (A - Y).T)" in cli(DW, *LOGISTIC, "--explain").stdout


def test_logistic_regressions_dw_with_a_wrong_factor_fails_on_values(cli):
    r = cli(DW.replace(r"\frac{1}{m}", r"\frac{2}{m}"), *LOGISTIC)
    assert r.exit_code == 1 and "✗ value" in r.stdout and "2 times the true gradient" in r.stdout


def test_the_errors_before_the_input_are_a_shape_error_never_a_transpose_added(cli):
    r = cli(r"dw = \frac{1}{m} \sum_{i=1}^{m} (a^{(i)} - y^{(i)}) x^{(i)}", *LOGISTIC)
    assert r.exit_code == 1 and "✗ shape" in r.stdout


def test_the_course_networks_dw1_passes(cli):
    r = cli(DW1, *NETWORK)
    assert r.exit_code == 0 and "✓ pass" in r.stdout


def test_a_missing_transpose_on_a_column_with_more_rows_is_a_shape_error(cli):
    r = cli(DW1.replace("x^{(i)T}", "x^{(i)}"), *NETWORK)
    assert r.exit_code == 1 and "✗ shape" in r.stdout
    assert "the inner sizes m and n0 of a matrix product must be equal" in r.stdout


def test_a_missing_one_over_m_fails_on_values(cli):
    r = cli(DW1.replace(r"\frac{1}{m} ", ""), *NETWORK)
    assert r.exit_code == 1 and "✗ value" in r.stdout and "m = 5 times" in r.stdout


def test_a_sum_of_one_column_per_example_is_the_sum_along_the_examples(cli):
    r = cli(r"db^{[1]} = \frac{1}{m} \sum_i dz^{[1](i)}", *NETWORK, "--explain")
    assert "read as  db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)" in r.stdout


def test_with_examples_in_rows_an_example_is_a_row(cli):
    rows = [*NETWORK, "--layout", "rows"]
    assert cli(r"dW^{[1]} = \frac{1}{m} \sum_{i=1}^{m} x^{(i)T} dz^{[1](i)}", *rows).exit_code == 0
    r = cli(r"db^{[1]} = \frac{1}{m} \sum_{i=1}^{m} dz^{[1](i)}", *rows, "--explain")
    assert "read as  db1 = 1/m * np.sum(dZ1, axis=0, keepdims=True)" in r.stdout
    assert "✓ pass" in r.stdout
    assert cli(DW1.replace("x^{(i)T}", "x^{(i)}"), *rows).exit_code == 1


def test_outside_a_sum_an_example_is_one_examples_name():
    assert parse_equation(r"z^{(i)} = w^T x^{(i)} + b").lhs == s.Name("z", (0, 7))


def test_a_per_example_formula_is_checked_on_one_example(cli):
    right = r"dz^{[1](i)} = W^{[2]T} dz^{[2](i)} * g^{[1]\prime}(z^{[1](i)})"
    assert cli(right, "--n0", "3", "--n1", "4").exit_code == 0
    r = cli(right.replace("W^{[2]T}", "W^{[2]}"), "--n0", "3", "--n1", "4")
    assert r.exit_code == 1 and "✗ shape" in r.stdout


def test_an_index_other_than_the_sums_is_refused():
    with pytest.raises(FormulaSyntaxError, match=r"\^\{\(i\)\} is not the index of the sum "
                       r"around it, j: write \^\{\(j\)\}") as e:
        parse_equation(r"dW = \sum_{j=1}^{m} dz^{(i)} x^{(j)T}")
    assert e.value.span == (20, 28)


@pytest.mark.parametrize("text, part", [
    (r"dW^{[1]} = \sum_{i=1}^{m} dz^{[1](i)} X^T", r"dz^{[1](i)} X^T"),  # an example times all
    (r"dW^{[1]} = \sum_{i=1}^{m} x^{(i)T} dz^{[1](i)}", r"x^{(i)T} dz^{[1](i)}"),  # a number each
    (r"dW^{[1]} = \sum_{i=1}^{m} dz^{[1](i)} x^{(i)T} dz^{[1](i)} x^{(i)T}",
     r"dz^{[1](i)} x^{(i)T} dz^{[1](i)}"),
])
def test_other_uses_of_an_example_are_refused_with_the_vectorised_form(cli, text, part):
    r = cli(text, *NETWORK)
    assert r.exit_code == 2 and not r.crashed
    assert f"{part}, has no matrix form shapecheck reads inside" in r.stderr
    assert r"\sum_i f^{(i)} g^{(i)T} is F G^T" in r.stderr


def test_a_sum_holds_the_element_wise_product_after_it_too(cli):
    db1 = r"db^{[1]} = \frac{1}{m} \sum_{i} W^{[2]T} dz^{[2](i)} * g^{[1]\prime}(z^{[1](i)})"
    r = cli(db1, *NETWORK, "--explain")
    assert "read as  db1 = 1/m * np.sum(W2.T @ dZ2 * g1'(Z1), axis=1, keepdims=True)" in r.stdout
    assert r.exit_code == 0 and "✓ pass" in r.stdout
    assert cli(db1.replace("W^{[2]T}", "W^{[2]}"), *NETWORK).exit_code == 1


def test_a_factor_with_one_entry_per_example_is_never_stretched_column_by_column(cli):
    # x^{(i)} * Y is (n, m) for each example; read as np.sum(X * Y, axis=1) it would be X @ Y.T
    r = cli(r"dw = \frac{1}{m} \sum_{i=1}^{m} (x^{(i)} * Y + x^{(i)})", *LOGISTIC)
    assert r.exit_code == 2 and "this use of an example, x^{(i)} * Y, has no matrix form" in r.stderr


@pytest.mark.parametrize("text, code", [
    (r"dz^{(i)} = a^{(i)} - y^{(i)}", 0),
    (r"dw = x^{(i)} dz^{(i)}", 0),        # dz^{(i)} one number: x dz is x dz^T
    (r"dw = dz^{(i)} x^{(i)}", 1),        # (1, 1) times (n, 1): a shape error
])
def test_a_per_example_formula_on_a_one_example_model(cli, text, code):
    r = cli(text, "--forward", "z = w.T @ x + b; a = sigmoid(z); "
            "J = -(y * np.log(a) + (1 - y) * np.log(1 - a))", "--shape", "w=n,1",
            "--shape", "x=n,1", "--shape", "b=", "--shape", "y=1,1", "--label", "y", "--n", "3")
    assert r.exit_code == code and ("✓ pass" if code == 0 else "✗ shape") in r.stdout


def test_an_example_of_a_quantity_with_no_examples_is_refused(cli):
    r = cli(r"dW^{[1]} = \frac{1}{m} \sum_{i=1}^{m} dz^{[1](i)} w^{[1](i)T}", *NETWORK)
    assert r.exit_code == 2
    assert "an example of W1, which holds no column per example, w^{[1](i)T}" in r.stderr
