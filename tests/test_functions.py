"""The function table itself: each record's value against its derivative, its shape rule,
its spellings, its chain rule (derived and checked by finite differences) and its LaTeX."""
from __future__ import annotations

import numpy as np
import pytest

from shapecheck import functions
from shapecheck.result import Options
from shapecheck.session import Checker
from shapecheck.errors import UnknownNameError
from shapecheck.language.latex import to_latex
from shapecheck.language.meaning import lower
from shapecheck.language.parse import parse_equation
from shapecheck.models.names import latex_mark
from shapecheck.shapes import Mismatch, ShapeEnv, infer

ELEMENTWISE = [f for f in functions.FUNCTIONS if f.elementwise]


def _points(record) -> np.ndarray:
    """Points inside the record's domain, away from its edge and its kink."""
    if record.positive or record.edge:
        return np.linspace(0.3, 3.0, 41)
    points = np.linspace(-3.0, 3.0, 41)
    return points[np.abs(points) > 0.2] if record.kinked else points


@pytest.mark.parametrize("record", ELEMENTWISE, ids=lambda f: f.name)
def test_every_elementwise_value_has_its_derivative(record):
    x, h = _points(record), 1e-6
    numeric = (record.value(x + h) - record.value(x - h)) / (2 * h)
    assert np.allclose(numeric, record.derivative(x), rtol=1e-6, atol=1e-8)


def test_every_record_has_a_value_and_the_elementwise_ones_a_derivative():
    for record in functions.FUNCTIONS:
        assert (record.value is not None) == record.elementwise, record.name
        assert (record.stacked is not None) != record.elementwise, record.name
        assert (record.derivative is not None) == record.elementwise, record.name


def test_the_values_are_numpys():
    x = np.linspace(-4.0, 4.0, 17)
    assert np.allclose(functions.lookup("sigmoid").value(x), 1 / (1 + np.exp(-x)))
    assert np.allclose(functions.lookup("softplus").value(x), np.log1p(np.exp(x)))
    assert np.allclose(functions.lookup("relu").value(x), np.where(x > 0, x, 0))
    assert np.array_equal(functions.lookup("abs").value(x), np.abs(x))


# --- spellings -------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling, name", [
    ("absolute", "abs"), ("amax", "max"), ("amin", "min"), ("inv", "linalg.inv"),
    ("det", "linalg.det"), ("norm", "linalg.norm"), ("tanh", "tanh"), ("linalg.inv", "linalg.inv"),
])
def test_numpy_spellings_resolve_to_the_record(spelling, name):
    assert functions.lookup(spelling).name == name
    assert functions.canonical(spelling) == name


@pytest.mark.parametrize("command, name", [
    ("\\sigma", "sigmoid"), ("σ", "sigmoid"), ("\\tanh", "tanh"), ("\\ln", "log"),
    ("\\log", "log"), ("\\exp", "exp"), ("\\sqrt", "sqrt"), ("\\sum", "sum"), ("∑", "sum"),
])
def test_latex_commands_resolve_to_the_record(command, name):
    assert functions.command(command).name == name


def test_slide_names_are_read_in_any_case_and_others_kept():
    assert functions.slide_name("ReLU") == "relu"
    assert functions.slide_name("Softmax") == "softmax"
    assert functions.slide_name("Trace") == "Trace"  # not a slide name: as written
    assert functions.slide_name("g1") == "g1"


def test_unknown_names_have_no_record():
    assert functions.lookup("g1") is None
    assert not functions.known("g1")
    assert functions.canonical("g1") == "g1"


def test_the_queries_the_stages_ask():
    assert functions.open_activations() == ("tanh", "sigmoid", "softplus")
    assert functions.activations() == ("tanh", "sigmoid", "relu", "softplus", "identity",
                                       "softmax")
    assert set(functions.methods()) == {"sum", "mean", "var", "max", "min", "reshape", "astype",
                                        "dot", "transpose"}
    assert functions.operator("matmul") == ("@", 2)
    assert functions.operator("tanh") is None
    assert functions.superscripted(-1).name == "linalg.inv"
    assert functions.superscripted(2) is None
    assert functions.namespaced("exp") and not functions.namespaced("sigmoid")
    assert functions.elementwise("log1p") and not functions.elementwise("softmax")
    assert functions.unit("@").name == "eye" and functions.unit("*").name == "ones_like"
    assert functions.is_unit(_lowered("y = np.eye(n)"), "@")
    assert not functions.is_unit(_lowered("y = np.eye(n)"), "*")
    assert functions.total(_lowered("y = np.mean(A)")) == "mean"
    assert functions.total(_lowered("y = A.sum()")) == "sum"
    assert functions.total(_lowered("y = np.max(A)")) is None


def _lowered(text: str, variables=("A", "B", "x", "v", "Z", "W2", "M")):
    return lower(parse_equation(text), lambda n: n in variables).rhs


@pytest.mark.parametrize("text, numpy", [
    ("y = \\sigma(Z)", "sigmoid"), ("y = \\operatorname{ReLU}(Z)", "relu"),
    ("y = np.absolute(A)", "abs"), ("y = np.amax(A, axis=0)", "max"),
    ("y = A^{-1}", "linalg.inv"), ("y = np.linalg.inv(A)", "linalg.inv"),
])
def test_every_spelling_lowers_to_the_records_name(text, numpy):
    assert _lowered(text).func == numpy


# --- the argument reader ---------------------------------------------------------------------

@pytest.mark.parametrize("text, axis, keepdims", [
    ("y = np.sum(A)", None, False),
    ("y = np.sum(A, axis=None)", None, False),
    ("y = np.sum(A, 1)", (1,), False),
    ("y = np.sum(A, axis=-1, keepdims=True)", (-1,), True),
    ("y = np.sum(A, axis=(0, 1), keepdims=1)", (0, 1), True),
    ("y = A.sum(axis=0)", (0,), False),
])
def test_one_reader_for_axis_and_keepdims(text, axis, keepdims):
    read = functions.arguments(_lowered(text))
    assert read.axis == axis
    assert read.keepdims is keepdims


def test_the_reader_counts_axes_and_gives_a_softmax_its_class_axis():
    assert functions.arguments(_lowered("y = np.sum(A, axis=-1)")).axes(3) == (2,)
    assert functions.arguments(_lowered("y = softmax(Z)")).one_axis(1) == 1
    assert functions.arguments(_lowered("y = softmax(Z, axis=0)")).one_axis(1) == 0


def test_a_reduction_is_written_with_an_axis_by_one_builder():
    from shapecheck.language.printer import to_numpy
    summed = functions.with_axis(_lowered("y = np.sum(A, axis=0, dtype=x)"),
                                 _lowered("y = 1"), True)
    assert to_numpy(summed) == "np.sum(A, axis=1, keepdims=True, dtype=x)"
    assert to_numpy(functions.with_axis(functions.call("sum", _lowered("y = A")),
                                        _lowered("y = 0"), False)) == "np.sum(A, axis=0)"


# --- shape rules -----------------------------------------------------------------------------

SHAPES = {"A": ("n", "k"), "M": ("n", "n"), "x": ("n",), "v": ("k",), "Z": ("c", "m")}


def _shape(text: str):
    node = _lowered(text)
    return infer(node, ShapeEnv(SHAPES, {"n", "k", "c", "m"}, text))[0]


@pytest.mark.parametrize("text, shape", [
    ("y = np.tanh(A)", ("n", "k")),
    ("y = np.sum(A, axis=0)", ("k",)),
    ("y = np.sum(A, axis=1, keepdims=True)", ("n", 1)),
    ("y = np.mean(A)", ()),
    ("y = np.max(A, axis=(0, 1), keepdims=True)", (1, 1)),
    ("y = np.trace(M)", ()),
    ("y = np.linalg.inv(M)", ("n", "n")),
    ("y = np.linalg.det(M)", ()),
    ("y = np.linalg.norm(A, axis=0)", ("k",)),
    ("y = np.outer(x, v)", ("n", "k")),
    ("y = np.eye(n)", ("n", "n")),
    ("y = np.maximum(A, 0)", ("n", "k")),
    ("y = np.where(A > 0, A, 0)", ("n", "k")),
    ("y = softmax(Z, axis=0)", ("c", "m")),
    ("y = np.ones_like(A)", ("n", "k")),
])
def test_shape_rules(text, shape):
    assert _shape(text) == shape


@pytest.mark.parametrize("text, message", [
    ("y = np.trace(A)", "np.trace needs a square matrix, but A is (n, k)"),
    ("y = np.outer(A, v)", "np.outer needs vectors, but A is (n, k)"),
    ("y = np.sum(A, axis=2)", "axis 2 is out of range: A is (n, k)"),
    ("y = np.maximum(A, x)", "the arguments of np.maximum() must broadcast"),
])
def test_shape_rules_that_do_not_hold_are_mismatches(text, message):
    with pytest.raises(Mismatch, match=message.replace("(", r"\(").replace(")", r"\)")):
        _shape(text)


@pytest.mark.parametrize("text, message", [
    ("y = np.trace(M, axis=0)", None),
    ("y = softmax(Z, axis=(0, 1))", "softmax normalises along one axis"),
    ("y = np.sum(A, keep=True)", "sum\\(\\) takes no keyword 'keep'"),
    ("y = np.linalg.norm(A, ord=1)", "ord= is not supported"),
    ("y = np.exp(A, A)", "exp\\(\\) takes 1 argument\\(s\\), got 2"),
])
def test_calls_written_wrongly_are_placed_errors(text, message):
    if message is None:  # a keyword the rule does not read is not checked (as before)
        assert _shape(text) == ()
        return
    with pytest.raises(UnknownNameError, match=message):
        _shape(text)


# --- chain rules, checked by finite differences ----------------------------------------------

SIZES = {"n": 3, "k": 2}


def _derived(model: str, shapes: dict, name: str):
    checker = Checker(Options(sizes=dict(SIZES), forward=(model,), shapes=shapes))
    return checker.derive(name, False)


@pytest.mark.parametrize("func", [f.name for f in ELEMENTWISE if f.chain is not None])
def test_every_elementwise_chain_rule_derives_a_passing_formula(func):
    written = func if not functions.namespaced(func) else f"np.{func}"
    inner = "X * X + 1" if functions.lookup(func).positive else "X"
    r = _derived(f"J = np.sum({written}({inner}) * C)", {"X": ("n", "k"), "C": ("n", "k")}, "dX")
    assert r.verdict == "pass", r.message


@pytest.mark.parametrize("model, shapes", [
    ("J = np.sum(np.trace(X) * C)", {"X": ("n", "n"), "C": ()}),
    ("J = np.sum(np.linalg.inv(X) * C)", {"X": ("n", "n"), "C": ("n", "n")}),
    ("J = np.linalg.det(X)", {"X": ("n", "n")}),
    ("J = np.log(np.linalg.det(X))", {"X": ("n", "n")}),
    ("J = np.linalg.norm(X)", {"X": ("n", "k")}),
    ("J = np.sum(np.outer(X, v) * C)", {"X": ("n",), "v": ("k",), "C": ("n", "k")}),
    ("J = np.sum(softmax(X, axis=0) * C)", {"X": ("n", "k"), "C": ("n", "k")}),
    ("J = np.mean(np.sum(X * C, axis=1, keepdims=True) ** 2)", {"X": ("n", "k"), "C": ("n", "k")}),
    ("J = np.sum(np.minimum(X, C) ** 2)", {"X": ("n", "k"), "C": ("n", "k")}),
])
def test_the_other_chain_rules_derive_passing_formulas(model, shapes):
    r = _derived(model, shapes, "dX")
    assert r.verdict == "pass", r.message


# --- LaTeX -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, latex", [
    ("y = np.sqrt(A)", "y = \\sqrt{A}"),
    ("y = sigmoid(Z)", "y = \\sigma(Z)"),
    ("y = relu(Z)", "y = \\operatorname{relu}(Z)"),
    ("y = np.trace(M)", "y = \\operatorname{tr}(M)"),
    ("y = np.linalg.inv(M)", "y = M^{-1}"),
    ("y = np.linalg.inv(M).T", "y = M^{-T}"),
    ("y = np.outer(x, v)", "y = \\operatorname{outer}(x, v)"),  # x v^T would read as x @ v.T
    ("y = np.sum(A, axis=0)", "y = \\sum(A, axis=0)"),
    ("y = np.linalg.norm(A)", "y = \\operatorname{norm}(A)"),
    ("y = softmax(Z, axis=1)", "y = \\operatorname{softmax}(Z, axis=1)"),
    ("y = np.eye(n)", "y = I_{n}"),
    ("y = tanh'(Z)", "y = \\tanh'(Z)"),
])
def test_latex_of_each_kind_of_record(text, latex):
    assert to_latex(parse_equation(text)) == latex


def test_latex_marks_layers_only_when_given_the_naming_conventions_mark():
    equation = parse_equation("dW2 = dZ2 @ A1.T")
    assert to_latex(equation) == "dW2 = dZ2 A1^\\top"
    assert to_latex(equation, mark=latex_mark("network")) == "dW^{[2]} = dZ^{[2]} A^{[1]T}"
    generic = parse_equation("dA_prev = W.T @ dZ")
    assert to_latex(generic, mark=latex_mark("generic")) == "dA^{[l-1]} = W^{[l]T} dZ^{[l]}"


# --- a function added as one record: np.cbrt -------------------------------------------------

CBRT = ["--forward", "Y = np.cbrt(X); J = np.sum(Y * C)", "--shape", "X=n,k",
        "--shape", "C=n,k", "--n", "3", "--k", "2"]


def test_cbrt_is_one_record_the_cli_checks_through(cli):
    right = cli(*CBRT, "dX = C * 1/(3*np.cbrt(X)**2)")
    assert right.exit_code == 0, right.stdout + right.stderr
    wrong = cli(*CBRT, "dX = C * 1/(2*np.cbrt(X)**2)")
    assert wrong.exit_code == 1, wrong.stdout + wrong.stderr
    assert "the right side is 1.5 times the true gradient" in wrong.stdout
    assert "derived: dX = 1/3 * C / Y ** 2" in wrong.stdout
    shapes = cli(*CBRT, "dX = np.cbrt(X).T")
    assert shapes.exit_code == 1


def test_cbrt_is_derived_and_written_in_latex():
    r = _derived("Y = np.cbrt(X); J = np.sum(Y * C)", {"X": ("n", "k"), "C": ("n", "k")}, "dX")
    assert r.verdict == "pass", r.message
    # \\sqrt[3]{A} is not read (a layer mark on \\sqrt is refused): the name reads back
    assert to_latex(parse_equation("y = np.cbrt(A)")) == "y = \\operatorname{cbrt}(A)"
    assert functions.lookup("cbrt").edge == "zero"  # draws keep away from its infinite slope
