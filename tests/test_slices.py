"""Issue 18: a slice along a time axis, as the RNN assignments write it: deeplearning.ai C5's
x of shape (n_x, m, T_x) sliced `x[:, :, t]`, CS231n's x of shape (N, T, D) sliced `x[:, t, :]`.

A slice is numpy's np.take(x, t, axis=k): the indexed axis is removed; `t` is a size name given
its value as a size is (`--t 2`: the check uses that one time step) or a whole number; an index
beyond its axis is an error; one index along one axis, the other axes whole (`:`).
"""
from __future__ import annotations

import pytest

from shapecheck import syntax as s
from shapecheck.errors import FormulaSyntaxError
from shapecheck.language.parse import parse_equation
from shapecheck.language.printer import to_numpy

RNN = ["--forward", "h = np.tanh(Wax @ x[:, :, t] + Waa @ h_prev + ba); J = np.sum(h * dh)",
       "--shape", "x=n_x,m,T_x", "--shape", "Wax=n_a,n_x", "--shape", "Waa=n_a,n_a",
       "--shape", "h_prev=n_a,m", "--shape", "ba=n_a,1", "--shape", "dh=n_a,m",
       "--n_x", "3", "--m", "4", "--T_x", "5", "--n_a", "2"]
DWAX = "dWax = (dh * (1 - h**2)) @ x[:, :, t].T"   # the course's rnn_cell_backward


@pytest.mark.parametrize("text, numpy", [
    ("d = x[:, :, t]", "np.take(x, t, axis=2)"),
    ("d = x[:, t, :]", "np.take(x, t, axis=1)"),
    ("d = A[:, 0]", "np.take(A, 0, axis=1)"),
    ("d = A[i, :] + B", "np.take(A, i, axis=0) + B"),
])
def test_a_slice_is_numpys_take_along_its_axis(text, numpy):
    assert to_numpy(parse_equation(text).rhs) == numpy


def test_a_bracket_without_a_comma_is_still_a_bracket():
    rhs = parse_equation("d = W [x + b]").rhs
    assert isinstance(rhs, s.BinOp) and rhs.op == s.JUXTAPOSE


@pytest.mark.parametrize("text, span", [("d = x[t, 2]", (5, 11)), ("d = x[:, :]", (5, 11))])
def test_a_slice_must_index_exactly_one_axis(text, span):
    with pytest.raises(FormulaSyntaxError, match="is not a slice shapecheck reads: it reads one "
                       "index along one axis") as e:
        parse_equation(text)
    assert e.value.span == span


def test_the_rnn_steps_dwax_passes_with_the_time_step_given(cli):
    r = cli(DWAX, *RNN, "--t", "2", "--explain")
    assert r.exit_code == 0 and "✓ pass" in r.stdout
    assert "np.take(x, t, axis=2).T  (m, n_x)" in r.stdout  # the time axis removed


def test_a_missing_transpose_of_the_slice_is_a_shape_error(cli):
    r = cli(DWAX.replace(".T", ""), *RNN, "--t", "2")
    assert r.exit_code == 1 and "✗ shape" in r.stdout
    assert "x[:, :, t] is (n_x, m)" in r.stdout


def test_a_missing_tanh_derivative_fails_on_values(cli):
    r = cli("dWax = dh @ x[:, :, t].T", *RNN, "--t", "2")
    assert r.exit_code == 1 and "✗ value" in r.stdout


def test_cs231n_rows_layout_slice_of_the_middle_axis_passes(cli):
    r = cli("dWx = x[:, t, :].T @ (dnext * (1 - next_h**2))",
            "--forward", "next_h = np.tanh(x[:, t, :] @ Wx + prev_h @ Wh + b); "
            "J = np.sum(next_h * dnext)", "--shape", "x=N,T,D", "--shape", "Wx=D,H",
            "--shape", "Wh=H,H", "--shape", "prev_h=N,H", "--shape", "b=H",
            "--shape", "dnext=N,H", "--N", "3", "--T", "4", "--D", "5", "--H", "2",
            "--t", "1", "--layout", "rows")
    assert r.exit_code == 0 and "✓ pass" in r.stdout


@pytest.mark.parametrize("args, said", [
    (("--t", "7"), "the index t = 7 of a slice is out of range: its axis has 5 entries"),
    ((), "t is a size or an index, not declared: give its value, e.g. --t 2"),
])
def test_an_index_beyond_its_axis_or_not_given_is_an_error(cli, args, said):
    r = cli(DWAX, *RNN, *args)
    assert r.exit_code == 2 and not r.crashed and said in r.stderr


def test_a_whole_number_index_beyond_its_axis_is_an_error(cli):
    r = cli(DWAX.replace("t]", "9]"), *RNN, "--t", "2")
    assert r.exit_code == 2 and "the index 9 of a slice is out of range" in r.stderr


def test_the_gradient_through_a_slice_is_not_derived_but_said_so(cli):
    r = cli("--derive", "dx", *RNN, "--t", "2")
    assert r.exit_code == 2 and "the gradient of a slice x[:, t] is zeros of x's shape" in r.stderr
