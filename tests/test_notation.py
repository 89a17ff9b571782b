"""Slide and LaTeX notation (issue 4): read into the same syntax nodes as numpy, checked
exactly like its numpy twin, every message pointing into the text the user typed.

The twins below are the contract: each notation formula gets the verdict and the numpy
reading (what --explain prints) of the numpy formula next to it.
"""
from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from shapecheck import syntax as s
from shapecheck.result import Options
from shapecheck.session import Checker
from shapecheck.errors import FormulaSyntaxError
from shapecheck.advice.explain import render
from shapecheck.language.meaning import lower, readings
from shapecheck.language.parse import parse_equation
from shapecheck.language.printer import to_numpy
from shapecheck.report import THEME

from conftest import COURSE, size_args

SE_FORWARD = "Y = f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)"
SE = dict(sizes={"h": 4, "y": 3}, forward=(SE_FORWARD,),
          shapes={"H": (1, "h"), "W": ("h", "y"), "B": (1, "y"), "T": (1, "y")})
SE_STAR = dict(sizes={"h": 4, "y": 3}, forward=(SE_FORWARD.replace("T)", "Y_star)"),),
               shapes={"H": (1, "h"), "W": ("h", "y"), "B": (1, "y"), "Y_star": (1, "y")},
               labels=("Y_star",))
SPEC_SIZES = dict(sizes={"n0": 3, "n1": 4, "m": 5})
COURSE_SIZES = dict(sizes=COURSE)
ONE_EXAMPLE = dict(sizes={"n0": 3, "n1": 4, "n2": 2})
GENERIC = dict(sizes={"n0": 4, "n1": 5, "n2": 3, "n3": 2, "m": 6}, layers=3)
ROWS = dict(sizes={"n0": 3, "n1": 5, "n2": 2, "m": 4}, layout="rows")
QUADRATIC = dict(sizes={"n": 3}, forward=("J = x.T @ A @ x",), shapes={"x": ("n", 1), "A": ("n", "n")})
BILINEAR = dict(sizes={"p": 2, "q": 5}, forward=("J = a.T @ X @ b",),
                shapes={"a": ("p", 1), "X": ("p", "q"), "b": ("q", 1)})
LEAST_SQUARES = dict(sizes={"m": 6, "n": 4}, forward=("J = np.sum((X @ w - y) ** 2)",),
                     shapes={"X": ("m", "n"), "w": ("n", 1), "y": ("m", 1)})
LOGDET = dict(sizes={"n": 3}, forward=("J = np.log(np.linalg.det(X))",), shapes={"X": ("n", "n")})
SOFTMAX = dict(sizes={"k": 4, "m": 5}, forward=("A = softmax(Z, axis=0); J = -np.sum(Y * np.log(A))",),
               shapes={"Z": ("k", "m"), "Y": ("k", "m")})
DOT = dict(sizes={"n": 3}, forward=("J = np.sum(s * (a.T @ b))",),
           shapes={"s": (1, 1), "a": ("n", 1), "b": ("n", 1)})

TWINS = [
    # the examples
    ("dZ[1] = W[2]T dZ[2] * g[1]'(Z[1])", "dZ1 = W2.T @ dZ2 * g1'(Z1)", SPEC_SIZES, "pass"),
    ("dz^[1] = W^[2]T dz^[2] * g^[1]'(z^[1])", "dz1 = W2.T @ dz2 * g1'(z1)", ONE_EXAMPLE, "pass"),
    (r"dZ^{[1]} = W^{[2]T} dZ^{[2]} \odot g^{[1]\prime}(Z^{[1]})", "dZ1 = W2.T @ dZ2 * g1'(Z1)",
     SPEC_SIZES, "pass"),
    (r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}", "dW2 = 1/m * (dZ2 @ A1.T)", COURSE_SIZES, "pass"),
    (r"db^{[2]} = \frac{1}{m} np.sum(dZ^{[2]}, axis=1, keepdims=True)",
     "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", COURSE_SIZES, "pass"),
    (r"\frac{\partial J}{\partial W} = H^\mathsf{T} ((Y - Y^*) * f'(HW + B))",
     "dW = H.T @ ((Y - Y_star) * f'(H @ W + B))", SE_STAR, "pass"),
    (r"{\partial J \over \partial B} = (Y-Y^*)* f'(HW+B)", "dB = (Y - Y_star) * f'(H @ W + B)",
     SE_STAR, "pass"),
    ("dW^{[2]} = 1/m * dZ^{[2]} @ A^{[1]}.T", "dW2 = 1/m * dZ2 @ A1.T", COURSE_SIZES, "pass"),
    # the public corpus
    ("dZ^[1] = W^[2]T dZ^[2] * g^[1]'(Z^[1])", "dZ1 = W2.T @ dZ2 * g1'(Z1)", SPEC_SIZES, "pass"),
    ("dZ[1] = dZ[2] W[2]T * g[1]'(Z[1])", "dZ1 = dZ2 @ W2.T * g1'(Z1)", SPEC_SIZES, "shape"),
    (r"{\partial J \over \partial B} = (Y - T) * f'(HW + B)", "dB = (Y - T) * f'(H @ W + B)",
     SE, "pass"),
    (r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}", "dW = 1/m * (dZ @ A_prev.T)", GENERIC, "pass"),
    # SPEC: a scalar in front of juxtaposed factors scales their product; T after a mark
    ("dW[l] = 1/m dZ[l] A[l-1]T", "dW = 1/m * (dZ @ A_prev.T)", GENERIC, "pass"),
    ("dz^[1] = W^[2]Tdz^[2] * g^[1]'(z^[1])", "dz1 = W2.T @ dz2 * g1'(z1)", ONE_EXAMPLE, "pass"),
    ("dW = H'((Y - T) * f'(HW + B))", "dW = H.T @ ((Y - T) * f'(H @ W + B))", SE, "pass"),
    # more spellings of the same formulas
    (r"\partial J/\partial W = H^\top ((Y-T) \circ f'(H W + B))",
     "dW = H.T @ ((Y - T) * f'(H @ W + B))", SE, "pass"),
    (r"dJ/dB = (Y - T) \odot f^\prime(HW + B)", "dB = (Y - T) * f'(H @ W + B)", SE, "pass"),
    (r"dW_2 = \frac{1}{m} dZ_2 A_1^T", "dW2 = 1/m * (dZ2 @ A1.T)", COURSE_SIZES, "pass"),
    ("dW_{2} = 1/m dZ_{2} A_{1}^{T}", "dW2 = 1/m * (dZ2 @ A1.T)", COURSE_SIZES, "pass"),
    (r"\frac{\partial \mathcal{L}}{\partial Z^{[2]}} = A^{[2]} - Y", "dZ2 = A2 - Y", COURSE_SIZES, "pass"),
    (r"dA^{[2]} = -\left(\frac{Y}{A^{[2]}} - \frac{1 - Y}{1 - A^{[2]}}\right)",
     "dA2 = -(Y / A2 - (1 - Y) / (1 - A2))", COURSE_SIZES, "pass"),
    (r"dz^{[1]} = W^{[2]T} dz^{[2]} \odot \sigma'(z^{[1]})", "dz1 = W2.T @ dz2 * sigmoid'(z1)",
     dict(ONE_EXAMPLE, activations={"g1": "sigmoid"}), "pass"),
    (r"dZ^{[1]} = W^{[2]T} dZ^{[2]} \circ (1 - \tanh^2)", None, SPEC_SIZES, "error"),
    ("dZ[1] = dZ[2] W[2]T * g[1]'(Z[1])", "dZ1 = dZ2 @ W2.T * g1'(Z1)", ROWS, "pass"),
    # what goes wrong is found as in numpy
    (r"dW^{[2]} = dZ^{[2]} A^{[1]T}", "dW2 = dZ2 @ A1.T", COURSE_SIZES, "value"),
    (r"db^{[2]} = \frac{1}{m} \sum dZ^{[2]}", "db2 = 1/m * np.sum(dZ2)", COURSE_SIZES, "shape"),
    (r"dW^{[1]} = \frac{1}{m} X^T dZ^{[1]}", "dW1 = 1/m * (X.T @ dZ1)", COURSE_SIZES, "shape"),
    # matrix calculus
    (r"dx = (A + A^\top) x", "dx = (A + A.T) @ x", QUADRATIC, "pass"),
    ("dx = 2 A x", "dx = 2 * (A @ x)", QUADRATIC, "value"),
    ("dX = a b^T", "dX = a @ b.T", BILINEAR, "pass"),
    (r"dX = a \otimes b", "dX = a @ b.T", BILINEAR, "pass"),
    (r"dw = 2 X^T (X w - y)", "dw = 2 * (X.T @ (X @ w - y))", LEAST_SQUARES, "pass"),
    ("dX = X^{-T}", "dX = np.linalg.inv(X).T", LOGDET, "pass"),
    (r"dZ = \operatorname{softmax}(Z) - Y", "dZ = softmax(Z) - Y", SOFTMAX, "pass"),
    (r"ds = a \cdot b", "ds = a.T @ b", DOT, "pass"),
]


def checker(options: dict) -> Checker:
    return Checker(Options(**options))


@pytest.mark.parametrize("notation, twin, options, verdict", TWINS)
def test_notation_is_checked_like_its_numpy_twin(notation, twin, options, verdict):
    result = checker(options).check(notation)
    assert result.verdict == verdict, result.message
    if twin is None:
        return
    assert checker(options).check(twin).verdict == verdict
    read = checker(options).explain(notation)
    assert read.numpy == checker(options).explain(twin).numpy
    assert read.problem is None or verdict in ("shape", "error")


def test_the_course_six_in_slide_notation(cli):
    slides = ["dZ[2] = A[2] - Y", "dW[2] = 1/m dZ[2] A[1]T",
              "db[2] = 1/m np.sum(dZ[2], axis=1, keepdims=True)",
              "dZ[1] = W[2]T dZ[2] * g[1]'(Z[1])", "dW[1] = 1/m dZ[1] X^T",
              "db[1] = 1/m np.sum(dZ[1], axis=1, keepdims=True)"]
    result = cli(*slides, *size_args(COURSE))
    assert result.exit_code == 0, result.stdout
    assert "6 formulas: 6 pass" in result.stdout


# --- names: every spelling of a layer mark is one Name node --------------------------------

@pytest.mark.parametrize("written, ident", [
    ("W^[2]", "W2"), ("W^{[2]}", "W2"), ("W[2]", "W2"), ("W_2", "W2"), ("W_{2}", "W2"),
    ("W2", "W2"), ("W^{[ 2 ]}", "W2"), ("dz^[1]", "dz1"), ("a^{[0]}", "a0"), ("W_{[2]}", "W2"),
    ("W^{[l]}", "W"), ("A^{[l-1]}", "A_prev"), ("dZ^{[l]}", "dZ"), ("dA[l-1]", "dA_prev"),
    ("W^{[l+1]}", "W_next"), ("A^{[L]}", "AL"), ("A_{l-1}", "A_prev"), ("Y^*", "Y_star"),
    ("Y^{*}", "Y_star"), (r"\hat{Y}", "Y_hat"), (r"\hat y", "y_hat"), (r"\mathbf{W}^{[1]}", "W1"),
    (r"\delta^{[2]}", "delta2"),
])
def test_layer_marks_name_one_variable(written, ident):
    text = f"d = {written}"
    assert parse_equation(text).rhs == s.Name(ident, (4, len(text)))


@pytest.mark.parametrize("written, name_end", [
    ("W[2]T", 8), ("W^[2]T", 9), ("W^{[2]T}", 10), ("W^T", 5), ("W^{T}", 5), (r"W^\top", 5),
    (r"W^{\top}", 5), (r"W^\mathsf{T}", 5), (r"W^{\mathsf{T}}", 5), (r"W^\intercal", 5),
    ("W'", 5),
])
def test_transposes_after_a_name(written, name_end):
    text = f"d = {written}"
    node = parse_equation(text).rhs
    assert isinstance(node, s.Transpose) and node.span == (4, len(text))
    assert node.operand.id in ("W", "W2") and node.operand.span == (4, name_end)


@pytest.mark.parametrize("written, func", [
    ("g'(Z)", "g"), ("g[1]'(Z)", "g1"), (r"g^{[1]\prime}(Z)", "g1"), ("g^{[1]'}(Z)", "g1"),
    (r"\sigma'(Z)", "sigmoid"), (r"\tanh'(Z)", "tanh"), (r"g^\prime(Z)", "g"),
    (r"\operatorname{relu}'(Z)", "relu"), (r"g^{[1]\prime} \left( Z \right)", "g1"),
])
def test_derivatives(written, func):
    text = f"d = {written}"
    node = parse_equation(text).rhs
    assert isinstance(node, s.Derivative) and node.func == func
    assert node.args == (s.Name("Z", (text.index("Z"), text.index("Z") + 1)),)
    assert node.span == (4, len(text))


@pytest.mark.parametrize("lhs, ident", [
    ("dW", "dW"), ("dJ/dW", "dW"), (r"\partial J/\partial W", "dW"),
    (r"\frac{\partial J}{\partial W^{[1]}}", "dW1"), (r"{\partial J\over\partial W}", "dW"),
    (r"\frac{\partial \mathcal{L}}{\partial Z}", "dZ"), (r"\frac{\partial \mathcal{J}}{\partial Z}", "dZ"),
    (r"\partial E / \partial W", "dW"), (r"\frac{\partial L}{\partial b^{[2]}}", "db2"),
    (r"\dfrac{\partial J}{\partial A^{[l-1]}}", "dA_prev"), (r"\frac{dJ}{dW}", "dW"),
])
def test_gradient_names_on_the_left(lhs, ident):
    eq = parse_equation(f"{lhs} = A")
    assert eq.lhs == s.Name(ident, (0, len(lhs)))


def test_a_gradient_name_inside_the_right_side():
    eq = parse_equation(r"dZ = \frac{\partial J}{\partial A} * g'(Z)")
    assert eq.rhs.left == s.Name("dA", (5, 34))


# --- reading: juxtaposition, scalars in front, function application ----------------------

def read(text: str, variables: str = "W2 dZ2 dz2 Z1 dZ A H W B T Y x a b X A1 dZ1") -> str:
    names = set(variables.split())
    return to_numpy(lower(parse_equation(text), names.__contains__, {"m", "n"}.__contains__))


@pytest.mark.parametrize("text, numpy", [
    ("d = W2^T dZ2 * g1'(Z1)", "d = W2.T @ dZ2 * g1'(Z1)"),          # juxtaposition first
    (r"d = W2^T dZ2 \odot g1'(Z1)", "d = W2.T @ dZ2 * g1'(Z1)"),
    (r"d = W2^T dZ2 \circ g1'(Z1)", "d = W2.T @ dZ2 * g1'(Z1)"),
    (r"d = W2^T \cdot dZ2 * g1'(Z1)", "d = W2.T @ dZ2 * g1'(Z1)"),
    ("d = 1/m dZ A^T", "d = 1/m * (dZ @ A.T)"),                         # SPEC: never 1 / (m ...)
    (r"d = \frac{1}{m} dZ A^T", "d = 1/m * (dZ @ A.T)"),
    ("d = -1/m dZ A^T", "d = -1 / m * (dZ @ A.T)"),
    ("d = 2 A x", "d = 2 * (A @ x)"),
    ("d = A 2 x", "d = 2 * (A @ x)"),
    ("d = A -x", "d = A - x"),                                          # no sign starts a factor
    ("d = W2^Tdz2", "d = W2.T @ dz2"),
    ("d = H'(Y - T)", "d = H.T @ (Y - T)"),                             # SPEC: H is a variable
    ("d = g'(Y - T)", "d = g'(Y - T)"),
    ("d = X' A", "d = X.T @ A"),                                        # MATLAB's transpose
    ("d = W^{[2]}(A1 + dZ1)", "d = W2 @ (A1 + dZ1)"),
    ("d = g^{[1]}(Z^{[1]})", "d = g1(Z1)"),
    (r"d = \sigma(Z1) \log A", "d = sigmoid(Z1) @ np.log(A)"),
    (r"d = \exp(-Z1) + \sqrt{A} + \sum(A) + \tanh Z1", "d = np.exp(-Z1) + np.sqrt(A) + np.sum(A) + np.tanh(Z1)"),
    (r"d = \mathrm{relu}(Z1) + \operatorname{ReLU}(Z1)", "d = relu(Z1) + relu(Z1)"),
    (r"d = \left( A \right) \, \; \! x", "d = A @ x"),
    (r"d = {A \over m} + \frac{dZ}{n}", "d = A/m + dZ/n"),
    ("d = A^2 + A^{-1} + m^{-1}", "d = A ** 2 + np.linalg.inv(A) + m ** -1"),
    ("d = g'(Z1)^2", "d = g'(Z1) ** 2"),
    ("d = dJ/dW", "d = dW"),
    ("d = [A + x] B", "d = (A + x) @ B"),
    ("d = W2 dZ2 (A1 + dZ1)", "d = W2 @ (dZ2 @ (A1 + dZ1))"),  # a name and its bracket first
])
def test_readings(text, numpy):
    assert read(text) == numpy


def test_no_notation_operator_survives_the_reading():
    text = r"dW = \frac{1}{m} H^T \cdot (Y \times W) \otimes B HW + A^{2}"
    for reading in readings(parse_equation(text), set("H W Y B A".split()).__contains__,
                            {"m"}.__contains__):
        assert not any(isinstance(n, s.BinOp) and n.op in s.NOTATION_OPS
                       for n in s.walk(reading.equation.rhs))


@pytest.mark.parametrize("text", [t for t, _, _, verdict in TWINS if verdict != "error"])
def test_the_tree_has_only_syntax_nodes(text):
    kinds = (s.Name, s.Number, s.BinOp, s.Neg, s.Transpose, s.Keyword, s.Tuple, s.Call,
             s.Derivative, s.Index)
    eq = parse_equation(text)
    assert isinstance(eq.lhs, s.Name)
    for node in s.walk(eq.rhs):
        assert isinstance(node, kinds), node
        assert 0 <= node.span[0] <= node.span[1] <= len(text)


def test_a_slide_formula_as_a_whole_tree():
    t = "dZ^{[1]} = W^{[2]T} dZ^{[2]}"
    w2 = s.Name("W2", (11, 17))
    product = s.BinOp(s.JUXTAPOSE, s.Transpose(w2, (11, 19)), s.Name("dZ2", (20, 28)),
                      (11, 28), (19, 20))
    assert parse_equation(t) == s.Equation(s.Name("dZ1", (0, 8)), product, t, (0, 28))


# --- ambiguous symbols: the reading whose shapes line up, and the report says so ---------

@pytest.mark.parametrize("text, options, note", [
    (r"ds = a \cdot b", DOT, r"\cdot as a dot product of vectors, a.T @ b"),
    (r"dW = H^T \times ((Y - T) * f'(HW + B))", SE, r"\times as a matrix product @"),
    (r"dB = (Y - T) \times f'(H W + B)", SE, r"\times as an element-wise product *"),
    (r"dX = a \otimes b", BILINEAR, r"\otimes as an outer product a @ b.T"),
    ("dB = (Y - T) * f'(HW + B)", SE, "HW as H @ W"),
])
def test_the_reading_that_lines_up_is_taken_and_named(text, options, note):
    result = checker(options).check(text)
    assert result.verdict == "pass", result.message
    assert note in result.reading
    assert result.message.endswith(f"(read {result.reading})")


def test_the_reading_is_in_the_report(cli):
    result = cli(r"dX = a \otimes b", "--forward", "J = a.T @ X @ b", "--shape", "a=p,1",
                 "--shape", "X=p,q", "--shape", "b=q,1", "--p", "2", "--q", "5")
    assert result.exit_code == 0
    assert r"read \otimes as an outer product a @ b.T" in result.stdout
    result = cli(r"dX = a \otimes b", "--forward", "J = a.T @ X @ b", "--shape", "a=p,1",
                 "--shape", "X=p,q", "--shape", "b=q,1", "--p", "2", "--q", "5", "--json")
    assert r"(read \otimes as an outer product a @ b.T)" in result.json()["results"][0]["message"]


def test_when_no_reading_lines_up_the_first_is_reported():
    result = checker(BILINEAR).check(r"dX = b \times a")
    assert result.verdict == "shape"
    assert result.reading == r"\times as a matrix product @"
    assert result.op_span == (7, 13)


# --- messages point into what the user typed ----------------------------------------------

def test_a_shape_failure_marks_the_gap_between_juxtaposed_factors():
    text = "dZ[1] = dZ[2] W[2]T * g[1]'(Z[1])"
    result = checker(SPEC_SIZES).check(text)
    assert result.op_span == (13, 14)
    assert [(o.text, o.span) for o in result.operands] == [("dZ[2]", (8, 13)), ("W[2]T", (14, 19))]
    assert "dZ[2] is (n2, m) and W[2]T is (n1, n2)" in result.message


def test_an_unknown_name_in_latex_points_at_it():
    text = r"dW^{[2]} = \frac{1}{m} dZ^{[2]} Q^{T}"
    result = checker(COURSE_SIZES).check(text)
    assert result.verdict == "error" and result.message.startswith("Q has no shape")
    assert text[result.span[0]:result.span[1]] == "Q"


# --- malformed notation: one clear message at the right place, exit status 2 -------------

@pytest.mark.parametrize("text, message, marked", [
    (r"dW^{[2] = \frac{1}{m} dZ", r"the '\{' opened here is never closed with '\}'", "{"),
    (r"dW^{[2]} = \frac{1}{m dZ^{[2]}", r"the '\{' opened here is never closed", "{"),
    ("dZ^[1 = W^[2]T dZ^[2]", r"the layer mark '\^\[' opened here is never closed with '\]'", "^["),
    (r"dW = \frac{1} dZ A^T", r"\\frac takes two arguments in braces, \\frac\{a\}\{b\}; this one has one",
     r"\frac{1}"),
    (r"dW = \frac dZ", r"this one has none", r"\frac"),
    (r"dW = W^{[2]}} dZ", r"'\}' has no matching '\{'", "}"),
    (r"dW = \left( A \right]", r"unexpected '\]' here", "]"),
    (r"db = \frac{1}{m} \sum^m dZ", r"these limits on \\sum are not read", r"\sum^"),
    (r"db = \frac{1}{m} \sum_{\text{axis } 1} dZ", r"is not read: shapecheck reads the sum over "
     r"examples, \\sum_\{i=1\}\^\{m\}", r"\sum_{\text{axis } 1}"),
    (r"db = \sum_{j=1}^{n^{[1]}} dZ", r"the upper limit 'n\^\{\[1\]\}' of \\sum is not read",
     r"\sum_{j=1}^{n^{[1]}}"),
    (r"db = \sum_{i}(dZ, axis=0)", r"takes one summand", r"\sum_{i}(dZ, axis=0)"),
    (r"d = \sqrt[3]{A}", r"\\sqrt is not an activation: it takes no layer mark \[3\]", "[3]"),
    (r"dz = W^{[2]T} dz^{[2](i+1)}", r"is the index of one example, not a layer", "dz^{[2](i+1)}"),
    (r"dW = \foo{W}", r"\\foo is not LaTeX that shapecheck reads", r"\foo"),
    (r"dW = \cdot W", r"unexpected '\\\\cdot' here", r"\cdot"),
    ("dW = W^{[i]}", r"\[i\] is not a layer mark shapecheck reads", "[i]"),
    ("dW = W_{ij}", r"_\{ij\} is not a layer mark shapecheck reads", "W_{ij}"),
    ("dW = W2^{[1]}", "W2 already has a layer number", "W2^{[1]}"),
    (r"dW = \partial W", r"\\partial is read only in a gradient", r"\partial"),
    # one name on top: the cost (a gradient) or a quantity (a Jacobian, tests/test_chain_rule.py)
    (r"dW = \frac{\partial Y^T}{\partial W}", "is read with one name on top", "Y^T"),
    ("dW = g''(Z)", "a second derivative g'' is not something shapecheck reads", "g''"),
    ("W * A = B", "the left side must be one name", "W * A"),
])
def test_malformed_notation(text, message, marked):
    with pytest.raises(FormulaSyntaxError, match=message) as e:
        parse_equation(text)
    start, end = e.value.span
    assert text[start:end] == marked


@pytest.mark.parametrize("text", [r"dW^{[2] = \frac{1}{m} dZ", "dZ^[1 = W^[2]T dZ^[2]",
                                  r"dW = \frac{1} dZ A^T"])
def test_malformed_notation_on_the_command_line(cli, text):
    result = cli(text, *size_args(COURSE))
    assert not result.crashed and result.exit_code == 2
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert text in result.stderr


# --- --explain ------------------------------------------------------------------------------

def plain(explanation) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None, theme=THEME)
    render(explanation, console)
    return console.file.getvalue()


def test_explain_shows_the_numpy_reading_and_every_shape():
    text = "dZ^[1] = W^[2]T dZ^[2] * g^[1]'(Z^[1])"
    assert plain(checker(SPEC_SIZES).explain(text)).splitlines() == [
        text,
        "read as  dZ1 = W2.T @ dZ2 * g1'(Z1)",
        "dZ1 (n1, m) =",
        "└── W2.T @ dZ2 * g1'(Z1)  (n1, m)   ← W^[2]T dZ^[2] * g^[1]'(Z^[1])",
        "    ├── W2.T @ dZ2  (n1, m)   ← W^[2]T dZ^[2]",
        "    │   ├── W2.T  (n1, n2)   ← W^[2]T",
        "    │   │   └── W2  (n2, n1)   ← W^[2]",
        "    │   └── dZ2  (n2, m)   ← dZ^[2]",
        "    └── g1'(Z1)  (n1, m)   ← g^[1]'(Z^[1])",
        "        └── Z1  (n1, m)   ← Z^[1]",
    ]


def test_explain_shows_where_the_shapes_go_wrong():
    text = "dZ[1] = dZ[2] W[2]T * g[1]'(Z[1])"
    lines = plain(checker(SPEC_SIZES).explain(text)).splitlines()
    assert lines[1] == "read as  dZ1 = dZ2 @ W2.T * g1'(Z1)"
    assert "    ├── dZ2 @ W2.T  ?  ✗   ← dZ[2] W[2]T" in lines
    assert "    │   ├── dZ2  (n2, m)   ← dZ[2]" in lines
    assert lines[-1] == ("✗ the inner sizes m and n1 of a matrix product must be equal: "
                         "dZ[2] is (n2, m) and W[2]T is (n1, n2)")


def test_explain_names_the_reading_of_an_ambiguous_formula():
    lines = plain(checker(SE).explain("dB = (Y - T) * f'(HW + B)")).splitlines()
    assert lines[1:3] == ["read as  dB = (Y - T) * f'(H @ W + B)", "reading  HW as H @ W"]
    assert "            ├── H @ W  (1, y)   ← HW" in lines


def test_explain_of_a_formula_that_does_not_parse():
    lines = plain(checker(SPEC_SIZES).explain(r"dW = \frac{1} dZ")).splitlines()
    assert lines == [r"dW = \frac{1} dZ",
                     r"✗ \frac takes two arguments in braces, \frac{a}{b}; this one has one"]


def test_explain_on_the_command_line(cli):
    text = r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}"
    result = cli(text, *size_args(COURSE), "--explain")
    assert result.exit_code == 0
    assert "read as  dW2 = 1/m * (dZ2 @ A1.T)" in result.stdout
    assert "dZ2 @ A1.T  (n2, n1)   ← dZ^{[2]} A^{[1]T}" in result.stdout
    assert re.search(r"✓ pass\s+" + re.escape(text), result.stdout)
    # with --json the explanation goes to stderr, and stdout stays JSON
    result = cli(text, *size_args(COURSE), "--explain", "--json")
    assert result.json()["results"][0]["verdict"] == "pass"
    assert "read as  dW2 = 1/m * (dZ2 @ A1.T)" in result.stderr


def test_explain_at_a_generic_layer(cli):
    result = cli("dW[l] = 1/m dZ[l] A[l-1]T", "--L", "2", "--n0", "3", "--n1", "4", "--n2", "2",
                 "--m", "5", "--explain")
    assert "read as  dW1 = 1/m * (dZ1 @ A0.T)" in result.stdout


def test_the_grammar_is_conflict_free_with_the_lexer_it_ships_with():
    pytest.importorskip("interegular")  # lark needs it to compare terminals
    from lark import Lark

    from shapecheck.language import parse
    text, _ = parse._grammar_digest()
    Lark(text, parser="lalr", lexer=parse.LEXER, strict=True)


# -- the grammar reads a layer mark's parts; the builders never raise (issue 16, item 9)

def test_the_parse_tree_hands_a_layer_marks_parts_to_the_transformer():
    from lark import Token

    from shapecheck.language import parse
    tree = parse.parser().parse("dW = W[l - 1]T X + A.shape[-1]")
    generic, index = tree.find_data("layer_mark")
    assert [c.type for c in generic.children if isinstance(c, Token)] == \
        ["MARK", "MARKEND", "TMARK"]
    assert generic.children[1].data == "layer_generic"
    assert [str(c) for c in generic.children[1].children] == ["l", "-", "1"]
    assert index.children[1].data == "layer_number" and index.children[-1] is None


@pytest.mark.parametrize("text, rhs", [
    # only the lexer's longest match tells a glued T (a transpose) from a name T after a space
    ("dW = W[2]T", "W2.T"),
    ("dW = W[2] T", "W2 T"),
    ("dW = W[2]ᵀ", "W2.T"),
    ("dW = W_2", "W2"),
    ("dW = W_2x", "W_2x"),
    ("dW = g_1(Z)", "g1(Z)"),
    ("dW = A.x_1", None),
])
def test_layer_marks_and_subscripts_are_read_off_the_tokens(text, rhs):
    if rhs is None:
        with pytest.raises(FormulaSyntaxError, match=r"'\.x_1' is not something"):
            parse_equation(text)
        return
    node = parse_equation(text).rhs
    if rhs == "W2 T":
        assert node.op == s.JUXTAPOSE and (node.left.id, node.right.id) == ("W2", "T")
    elif rhs == "W2.T":
        assert isinstance(node, s.Transpose) and node.operand.id == "W2"
    elif rhs == "g1(Z)":
        assert isinstance(node, s.Call) and node.func == "g1"
    else:
        assert node == s.Name(rhs, (5, len(text)))


@pytest.mark.parametrize("text, message", [
    ("dW = W^T[2]", "a layer mark [2] belongs right after a name"),
    ("dW = W2[2]", "indexing is only read in A.shape[i]"),
    ("dW = W^{[2][3]}", "W2 already has a layer number"),
    ("dW = W[l+2]", "[l+2] is not a layer mark shapecheck reads"),
    ("dW = \\hat{Y^T}", "an accent such as \\hat belongs on a name"),
    ("dW = Y^{T*}", "^* marks a name, as in Y^*"),
    ("dW = A.foo + 1", "'.foo' is not something shapecheck knows"),
])
def test_a_part_the_builders_cannot_build_is_refused_without_raising(text, message):
    # the Transformer returns a Refused node (validate words it); nothing is raised inside it
    from shapecheck.language import parse, validate
    result = parse._ToSyntax(text, parse.parser().terminals).transform(parse.parser().parse(text))
    assert isinstance(result, validate.Refused) and result.message.startswith(message)
    with pytest.raises(FormulaSyntaxError, match=re.escape(message)):
        parse_equation(text)
