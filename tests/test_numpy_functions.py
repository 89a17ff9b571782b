"""The numpy functions and methods as the assignments write them (issue 18), each one
record of the function table: np.ones((N, D)), np.zeros, np.eye(x.shape[0]), np.var,
np.diag, np.diagflat, x.reshape(x.shape[0], -1), dout.reshape(x.shape), .astype, and
np.einsum with its subscripts as a string. Each is checked through a --forward model with a
right formula (exit 0) and wrong ones (a missing transpose, a missing factor: exit 1), and
each misused form is refused with a position (exit 2)."""
from __future__ import annotations

import numpy as np
import pytest

from shapecheck import functions
from shapecheck import syntax as s
from shapecheck.language.latex import to_latex
from shapecheck.language.parse import parse_equation
from shapecheck.language.printer import to_numpy


def _run(cli, formula, forward, *shapes, sizes=()):
    args = [formula, "--forward", forward]
    for shape in shapes:
        args += ["--shape", shape]
    for name, value in sizes:
        args += [f"--{name}", str(value)]
    return cli(*args)


def _verdicts(cli, forward, shapes, right, wrong, sizes=()):
    result = _run(cli, right, forward, *shapes, sizes=sizes)
    assert result.exit_code == 0, result.stdout + result.stderr
    for formula in wrong:
        result = _run(cli, formula, forward, *shapes, sizes=sizes)
        assert result.exit_code == 1, formula + "\n" + result.stdout + result.stderr


def _refused(cli, formula, forward, shapes, words, sizes=()):
    result = _run(cli, formula, forward, *shapes, sizes=sizes)
    assert result.exit_code == 2, result.stdout + result.stderr
    text = result.stdout + result.stderr
    assert words in text and "^" in text, text  # the message, pointing into the formula


SUM = ("J = np.sum(C * X)", ("X=N,D", "C=N,D"), (("N", 3), ("D", 2)))


# --- constants from sizes: np.ones((N, D)), np.zeros, np.eye(x.shape[0]) ---------------------

def test_ones_and_zeros_take_their_shape_from_the_sizes_written(cli):
    forward, shapes, sizes = SUM
    _verdicts(cli, forward, shapes, "dX = C * np.ones((N, D)) + np.zeros((N, D))",
              ["dX = 2 * C * np.ones((N, D))", "dX = np.ones((N, D))"], sizes)
    wrong_shape = _run(cli, "dX = C + np.zeros((D, N))", forward, *shapes, sizes=sizes)
    assert wrong_shape.exit_code == 1 and "np.zeros((D, N)) is (D, N)" in wrong_shape.stdout
    _verdicts(cli, forward, shapes, "dX = np.eye(X.shape[0]) @ C @ np.eye(D)",
              ["dX = np.eye(X.shape[0]) @ C @ np.eye(D) * 2"], sizes)
    _verdicts(cli, forward, shapes, "dX = C * np.ones_like(X) + np.zeros_like(C)",
              ["dX = np.ones_like(X)"], sizes)
    _refused(cli, "dX = C * np.ones((N, Q))", forward, shapes, "Q has no shape", sizes)
    _refused(cli, "dX = C * np.ones((N * D, 1))", forward, shapes, "is not a size", sizes)


def test_a_constant_from_sizes_has_no_gradient():
    record = functions.lookup("ones")
    node = parse_equation("y = np.ones((N, D))").rhs
    assert record.operands(node) == () and record.creates
    assert to_numpy(node) == "np.ones((N, D))"
    assert to_latex(parse_equation("y = np.zeros((N, D))")) == "y = \\operatorname{zeros}((N, D))"


# --- np.mean(x, axis=0), np.var ----------------------------------------------------------------

MEAN = ("J = np.sum(C * np.mean(X, axis=0))", ("X=3,2", "C=2"))
VAR = ("J = np.sum(C * np.var(X, axis=0))", ("X=3,2", "C=2"))


def test_mean_over_an_axis_spreads_its_gradient_over_the_rows(cli):
    _verdicts(cli, *MEAN, "dX = np.ones_like(X) * C / 3",
              ["dX = np.ones_like(X) * C", "dX = np.ones_like(X) * C / 2"])
    _verdicts(cli, "J = np.sum(C * X.mean(axis=0))", MEAN[1], "dX = np.ones_like(X) * C / 3",
              ["dX = np.ones_like(X) * C"])


def test_var_over_an_axis_has_its_derivative(cli):
    right = "dX = 2 * C * (X - np.mean(X, axis=0, keepdims=True)) / 3"
    _verdicts(cli, *VAR, right, ["dX = 2 * C * (X - np.mean(X, axis=0, keepdims=True))",
                                 "dX = C * (X - np.mean(X, axis=0, keepdims=True)) / 3",
                                 "dX = 2 * C * X / 3"])
    result = _run(cli, "dX = C * X", VAR[0], *VAR[1])
    assert "derived: dX = 2/3 * C * (X - np.mean(X, axis=0, keepdims=True))" in result.stdout
    _verdicts(cli, "J = np.var(X)", ("X=3,2",), "dX = 2 * (X - np.mean(X)) / 6",
              ["dX = 2 * (X - np.mean(X)) / 3"])
    _refused(cli, "dX = np.var(X, ddof=1)", *VAR, "takes no keyword 'ddof'")


def test_var_keeps_the_axis_when_asked(cli):
    _verdicts(cli, "J = np.sum(C * X.var(axis=1, keepdims=True))", ("X=3,2", "C=3,1"),
              "dX = C * (X - np.mean(X, axis=1, keepdims=True))",
              ["dX = C * (X - np.mean(X, axis=1, keepdims=True)) / 2"])


# --- np.diag, np.diagflat, det ------------------------------------------------------------------

def test_diag_of_a_vector_is_a_matrix_and_its_gradient_the_diagonal(cli):
    _verdicts(cli, "J = np.sum(C * np.diag(v))", ("v=3", "C=3,3"), "dv = np.diag(C)",
              ["dv = np.sum(C, axis=0)", "dv = 2 * np.diag(C)"])


def test_diag_of_a_matrix_is_its_diagonal(cli):
    _verdicts(cli, "J = np.sum(c * np.diag(M))", ("M=3,3", "c=3"), "dM = np.diag(c)",
              ["dM = np.diag(c) / 3", "dM = np.ones_like(M) * c"])
    result = _run(cli, "dM = c", "J = np.sum(c * np.diag(M))", "M=3,3", "c=3")
    assert "derived: dM = np.diag(c)" in result.stdout


def test_diagflat_and_its_gradient_back_in_the_vector_shape(cli):
    _verdicts(cli, "J = np.sum(C * np.diagflat(v))", ("v=3,1", "C=3,3"),
              "dv = np.diag(C).reshape(v.shape)",
              ["dv = np.diag(C).reshape(v.shape) * 2", "dv = np.sum(C, axis=1, keepdims=True)"])


def test_a_bare_diag_of_a_column_lists_its_readings(cli):
    _refused(cli, "dv = diag(s)", "J = np.sum(s * v)", ("v=3,1", "s=3,1"), "np.diagflat(s)")


def test_det_and_its_derivative(cli):
    _verdicts(cli, "J = c * np.linalg.det(X)", ("X=3,3", "c=1"),
              "dX = c * np.linalg.det(X) * np.linalg.inv(X).T",
              ["dX = c * np.linalg.det(X) * np.linalg.inv(X)",  # a missing transpose
               "dX = c * np.linalg.inv(X).T"])                   # a missing factor
    _verdicts(cli, "J = np.trace(C @ X)", ("X=3,3", "C=3,3"), "dX = C.T", ["dX = C"])


# --- reshape and x.shape ------------------------------------------------------------------------

FLAT = ("J = np.sum(C * X.reshape(X.shape[0], -1))", ("X=3,2,2", "C=3,4"))


def test_reshape_with_x_shape_and_minus_one(cli):
    _verdicts(cli, *FLAT, "dX = C.reshape(X.shape)",
              ["dX = 2 * C.reshape(X.shape)", "dX = C.T.reshape(X.shape)"])
    _verdicts(cli, *FLAT, "dX = np.reshape(C, (3, 2, 2))", ["dX = C.reshape(3, 2, 2) / 2"])


def test_reshape_with_size_names(cli):
    _verdicts(cli, "J = np.sum(C * X.reshape(N, -1))", ("X=N,D", "C=N,D"),
              "dX = C.reshape(N, D)", ["dX = C.reshape(N, D) * 2"], (("N", 3), ("D", 2)))
    shape = parse_equation("y = X.reshape(X.shape[0], -1)").rhs
    assert shape.func == "reshape" and isinstance(shape.args[1], s.Index)
    assert to_numpy(parse_equation("y = dout.reshape(x.shape)").rhs) == \
        "dout.reshape(np.shape(x))"


def test_a_reshape_that_cannot_be_read_is_refused(cli):
    forward, shapes, sizes = SUM
    _refused(cli, "dX = C.reshape(N, -1, -1)", forward, shapes, "only one size", sizes)
    _refused(cli, "dX = C.reshape(N * D)", forward, shapes, "is not a size", sizes)
    shape = _run(cli, "dX = C.reshape(N, N)", forward, *shapes, sizes=sizes)
    assert shape.exit_code == 1 and "cannot reshape" in shape.stdout
    _refused(cli, "dX = C.reshape(-1)", "J = np.sum(C * X)", ("X=N,D,K", "C=N,D,K"),
             "cannot name as one size", (("N", 3), ("D", 2), ("K", 2)))


# --- .astype -----------------------------------------------------------------------------------

RELU = ("J = np.sum(C * np.maximum(X, 0))", ("X=3,2", "C=3,2"))


@pytest.mark.parametrize("dtype", ["np.int64", "int", "float", "np.float64", "'float'"])
def test_astype_of_a_comparison_is_the_indicator(cli, dtype):
    _verdicts(cli, *RELU, f"dX = C * (X > 0).astype({dtype})",
              [f"dX = C * (X < 0).astype({dtype})", f"dX = (X > 0).astype({dtype})"])


def test_astype_that_would_round_or_change_precision_is_refused(cli):
    _refused(cli, "dX = C.astype(np.int64)", *RELU, "would round C to whole numbers")
    _refused(cli, "dX = C.astype(np.float32)", *RELU, "not a type .astype() is read with")
    _refused(cli, "dX = C.astype(str)", *RELU, "not a type .astype() is read with")


# --- np.einsum ---------------------------------------------------------------------------------

EINSUM = ("J = np.sum(C * np.einsum('ij,kj->ik', A, B))", ("A=3,2", "B=4,2", "C=3,4"))


def test_einsum_gradients_are_einsums_of_the_others(cli):
    _verdicts(cli, *EINSUM, "dA = C @ B", ["dA = 2 * (C @ B)"])
    _verdicts(cli, *EINSUM, "dA = np.einsum('ik,kj->ij', C, B)",
              ["dA = np.einsum('ik,kj->ij', C, B) / 2"])
    _verdicts(cli, *EINSUM, 'dB = np.einsum("ik,ij->kj", C, A)',
              ["dB = 2 * np.einsum('ik,ij->kj', C, A)", "dB = np.einsum('ik,ij->jk', C, A).T * 3"])
    transposed = _run(cli, "dA = C.T @ B", EINSUM[0], *EINSUM[1])
    assert transposed.exit_code == 1


def test_einsum_derives_a_passing_formula_even_over_a_summed_letter(cli):
    forward, shapes = "J = np.sum(C * np.einsum('ij->i', A))", ("A=3,2", "C=3")
    result = _run(cli, "dA = C", forward, *shapes)
    assert result.exit_code == 1
    assert "derived: dA = np.einsum('i,ij->ij', C, np.ones_like(A))" in result.stdout
    _verdicts(cli, forward, shapes, "dA = np.einsum('i,ij->ij', C, np.ones_like(A))",
              ["dA = np.einsum('i,ij->ij', C, np.ones_like(A)) / 2"])
    _verdicts(cli, "J = np.einsum('ij,ij', A, B)", ("A=3,2", "B=3,2"), "dA = B", ["dA = 2 * B"])


def test_einsum_shapes_come_from_the_subscripts(cli):
    transposed = _run(cli, "dX = np.einsum('ij->ji', C)", SUM[0], *SUM[1], sizes=SUM[2])
    assert transposed.exit_code == 1 and "is (D, N)" in transposed.stdout
    _refused(cli, "dX = np.einsum('ij,jk->ik', C)", SUM[0], SUM[1], "name 2 operand(s)", SUM[2])
    _refused(cli, "dX = np.einsum('i...->i...', C)", SUM[0], SUM[1], "no '...'", SUM[2])
    _refused(cli, "dX = np.einsum(C, 'ij')", SUM[0], SUM[1], "except where a function takes one",
             SUM[2])
    mismatch = _run(cli, "dX = np.einsum('ij,ij->ij', C, C.T)", SUM[0], *SUM[1], sizes=SUM[2])
    assert mismatch.exit_code == 1 and "stands for one size" in mismatch.stdout


def test_a_string_is_read_only_as_an_argument(cli):
    _refused(cli, "dX = C * 'ij'", SUM[0], SUM[1], "a string is read only as an argument", SUM[2])
    _refused(cli, "dX = np.sum(C, 'ij')", SUM[0], SUM[1], "strings are not part of the formula "
             "language", SUM[2])
    _refused(cli, "dX = np.sum(C, np.int64)", SUM[0], SUM[1], "np.int64 is not an array",
             SUM[2])
    # a quote after a name or a bracket is still a prime
    assert isinstance(parse_equation("dZ = g'(Z) * h'(Z)").rhs.left, s.Derivative)
    assert isinstance(parse_equation("dW = X' @ Y").rhs.left, s.Transpose)
    assert to_numpy(parse_equation("dW = A ' @ B '").rhs) == "A.T @ B.T"


def test_einsum_value_is_numpys():
    node = parse_equation("y = np.einsum('ij,kj->ik', A, B)").rhs
    assert isinstance(node.args[0], s.Literal) and node.args[0].value == "ij,kj->ik"
    record = functions.lookup("einsum")
    assert record.operands(node) == node.args[1:]
    a, b = np.arange(6.0).reshape(1, 3, 2), np.arange(8.0).reshape(1, 4, 2)

    class At:
        limit = staticmethod(lambda shape: None)
    assert np.allclose(record.stacked(At(), node, [None, a, b])[0], a[0] @ b[0].T)


def test_the_new_functions_are_written_in_latex():
    def latex(text):
        return to_latex(parse_equation(text))
    assert latex("y = np.einsum('ij,kj->ik', A, B)") == \
        "y = \\operatorname{einsum}('ij,kj->ik', A, B)"
    assert latex("y = np.var(X, axis=0)") == "y = \\operatorname{var}(X, axis=0)"
    assert latex("y = np.diag(v)") == "y = \\operatorname{diag}(v)"
    assert latex("y = np.ones((N, D))") == "y = \\operatorname{ones}((N, D))"


AFFINE = ("out = x.reshape(x.shape[0], -1); J = np.sum(dout * (out @ w))",
          ("x=3,2,2", "w=4,5", "dout=3,5"))


def test_the_affine_layer_of_the_assignments(cli):
    # CS231n's affine_backward: dx = dout @ w.T reshaped back to x's shape
    _verdicts(cli, *AFFINE, "dx = (dout @ w.T).reshape(x.shape)",
              ["dx = (dout @ w.T).reshape(x.shape) / 2", "dx = (dout @ w).reshape(x.shape)"])
    _verdicts(cli, *AFFINE, "dw = x.reshape(x.shape[0], -1).T @ dout",
              ["dw = x.reshape(x.shape[0], -1).T @ dout * 2"])
    named = _run(cli, "dx = dout.reshape(x.shape)", "J = np.sum(dout * x.reshape(N, -1))",
                 "x=N,C,H", "dout=N,C", sizes=(("N", 3), ("C", 2), ("H", 2)))
    assert named.exit_code == 2 and "would stand for C * H" in named.stdout + named.stderr
