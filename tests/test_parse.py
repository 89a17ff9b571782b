"""The parser: whole syntax trees, spans included, for the corner cases of Python's grammar.

Spans are [start, end) offsets into the formula; `at(text, "W2.T")` finds them by hand so
that the expected trees do not come from the parser itself.
"""
from __future__ import annotations

import re

import pytest

from shapecheck import syntax as s
from shapecheck.errors import FormulaSyntaxError, UnknownNameError
from shapecheck.language.meaning import lower
from shapecheck.language.parse import parse_equation


def at(text: str, part: str, occurrence: int = 0) -> tuple[int, int]:
    """The span of the `occurrence`-th `part` in `text`; a name is matched as a whole word
    (`Z1` is not found inside `dZ1`)."""
    edge = r"(?<![A-Za-z0-9_])" if re.match(r"\w", part) else ""
    tail = r"(?![A-Za-z0-9_])" if re.search(r"\w$", part) else ""
    found = list(re.finditer(edge + re.escape(part) + tail, text))
    match = found[occurrence]
    return (match.start(), match.end())


def rhs(text: str) -> s.Node:
    return parse_equation(text).rhs


def name(text: str, ident: str, occurrence: int = 0) -> s.Name:
    return s.Name(ident, at(text, ident, occurrence))


def num(text: str, literal: str, value: float, occurrence: int = 0) -> s.Number:
    return s.Number(value, literal, at(text, literal, occurrence))


def between(text: str, first: str, last: str, first_at: int = 0, last_at: int = 0):
    """The span from the start of `first` to the end of `last`."""
    return (at(text, first, first_at)[0], at(text, last, last_at)[1])


# --- precedence and associativity ----------------------------------------------------

def test_matmul_mul_div_bind_equally_left_to_right():
    t = "d = a @ b * c / e"
    ab = s.BinOp("@", name(t, "a"), name(t, "b"), between(t, "a", "b"), at(t, "@"))
    abc = s.BinOp("*", ab, name(t, "c"), between(t, "a", "c"), at(t, "*"))
    assert rhs(t) == s.BinOp("/", abc, name(t, "e"), between(t, "a", "e"), at(t, "/"))


def test_course_formula_groups_the_product_first():
    # SPEC: `W2.T @ dZ2 * g1'(Z1)` is `(W2.T @ dZ2) * g1'(Z1)`
    t = "dZ1 = W2.T @ dZ2 * g1'(Z1)"
    w2t = s.Transpose(name(t, "W2"), at(t, "W2.T"))
    product = s.BinOp("@", w2t, name(t, "dZ2"), between(t, "W2.T", "dZ2"), at(t, "@"))
    derivative = s.Derivative("g1", (name(t, "Z1"),), at(t, "g1'(Z1)"), at(t, "g1'"))
    expected = s.BinOp("*", product, derivative, between(t, "W2.T", "g1'(Z1)"), at(t, "*"))
    eq = parse_equation(t)
    assert eq.rhs == expected
    assert eq.lhs == s.Name("dZ1", (0, 3))
    assert eq.text == t


def test_the_poster_formula_groups_the_wrong_product_first():
    t = "dZ1 = g1'(Z1) * W2.T @ dZ2"
    derivative = s.Derivative("g1", (name(t, "Z1"),), at(t, "g1'(Z1)"), at(t, "g1'"))
    w2t = s.Transpose(name(t, "W2"), at(t, "W2.T"))
    scaled = s.BinOp("*", derivative, w2t, between(t, "g1'", "W2.T"), at(t, "*"))
    assert rhs(t) == s.BinOp("@", scaled, name(t, "dZ2"), between(t, "g1'", "dZ2"), at(t, "@"))


def test_addition_is_looser_than_multiplication():
    t = "d = a + b * c"
    bc = s.BinOp("*", name(t, "b"), name(t, "c"), between(t, "b", "c"), at(t, "*"))
    assert rhs(t) == s.BinOp("+", name(t, "a"), bc, between(t, "a", "c"), at(t, "+"))


def test_subtraction_is_left_associative():
    t = "d = a - b - c"
    ab = s.BinOp("-", name(t, "a"), name(t, "b"), between(t, "a", "b"), at(t, "-"))
    assert rhs(t) == s.BinOp("-", ab, name(t, "c"), between(t, "a", "c"), at(t, "-", 1))


def test_power_is_right_associative():
    t = "d = a ** b ** c"
    bc = s.BinOp("**", name(t, "b"), name(t, "c"), between(t, "b", "c"), at(t, "**", 1))
    assert rhs(t) == s.BinOp("**", name(t, "a"), bc, between(t, "a", "c"), at(t, "**"))


def test_power_binds_tighter_than_unary_minus():
    # Python: -A ** 2 is -(A ** 2)
    t = "d = -A ** 2"
    square = s.BinOp("**", name(t, "A"), num(t, "2", 2.0), between(t, "A", "2"), at(t, "**"))
    assert rhs(t) == s.Neg(square, between(t, "-", "2"))


def test_unary_minus_in_an_exponent():
    t = "d = a ** -b"
    assert rhs(t) == s.BinOp("**", name(t, "a"), s.Neg(name(t, "b"), at(t, "-b")),
                             between(t, "a", "b"), at(t, "**"))


def test_unary_minus_binds_tighter_than_matmul():
    t = "d = -a @ b"
    assert rhs(t) == s.BinOp("@", s.Neg(name(t, "a"), at(t, "-a")), name(t, "b"),
                             between(t, "-", "b"), at(t, "@"))


def test_unary_minus_of_a_bracket():
    t = "dA2 = -(Y - A2)"
    inner = s.BinOp("-", name(t, "Y"), name(t, "A2"), at(t, "Y - A2"), at(t, "-", 1))
    assert rhs(t) == s.Neg(inner, at(t, "-(Y - A2)"))


def test_brackets_override_precedence_and_the_span_is_the_inside():
    t = "d = a * (b @ c)"
    bc = s.BinOp("@", name(t, "b"), name(t, "c"), at(t, "b @ c"), at(t, "@"))
    assert rhs(t) == s.BinOp("*", name(t, "a"), bc, at(t, "a * (b @ c)"), at(t, "*"))


# --- comparisons ---------------------------------------------------------------------

def test_comparison_is_looser_than_arithmetic():
    t = "d = a + b > c - e"
    left = s.BinOp("+", name(t, "a"), name(t, "b"), at(t, "a + b"), at(t, "+"))
    right = s.BinOp("-", name(t, "c"), name(t, "e"), at(t, "c - e"), at(t, "-"))
    assert rhs(t) == s.BinOp(">", left, right, at(t, "a + b > c - e"), at(t, ">"))


@pytest.mark.parametrize("op", [">", "<", ">=", "<=", "==", "!="])
def test_every_comparison_operator(op):
    t = f"d = Z1 {op} 0"
    assert rhs(t) == s.BinOp(op, name(t, "Z1"), num(t, "0", 0.0), at(t, f"Z1 {op} 0"), at(t, op))


def test_bracketed_comparison_as_a_factor():
    t = "dZ1 = dA1 * (Z1 > 0)"
    mask = s.BinOp(">", name(t, "Z1"), num(t, "0", 0.0), at(t, "Z1 > 0"), at(t, ">"))
    assert rhs(t) == s.BinOp("*", name(t, "dA1"), mask, at(t, "dA1 * (Z1 > 0)"), at(t, "*"))


# --- calls, keywords, namespaces, methods, attributes --------------------------------

def test_keyword_arguments():
    t = "db2 = np.sum(dZ2, axis=1, keepdims=True)"
    axis = s.Keyword("axis", num(t, "1", 1.0), at(t, "axis=1"))
    keep = s.Keyword("keepdims", name(t, "True"), at(t, "keepdims=True"))
    call = at(t, "np.sum(dZ2, axis=1, keepdims=True)")
    assert rhs(t) == s.Call("sum", (name(t, "dZ2"),), (axis, keep), call, at(t, "np.sum"),
                            method=False, namespaced=True)


@pytest.mark.parametrize("prefix", ["np.", "numpy."])
def test_numpy_prefixes_are_dropped(prefix):
    t = f"d = {prefix}exp(Z)"
    z = s.Name("Z", (len(t) - 2, len(t) - 1))
    assert rhs(t) == s.Call("exp", (z,), (), (4, len(t)), (4, 4 + len(prefix) + 3),
                            method=False, namespaced=True)


def test_without_a_prefix_a_call_is_not_namespaced():
    t = "d = exp(Z)"
    assert rhs(t) == s.Call("exp", (s.Name("Z", (8, 9)),), (), (4, 10), (4, 7),
                            method=False, namespaced=False)


def test_numpy_prefix_on_a_nested_namespace():
    t = "dX = numpy.linalg.det(X)"
    x = s.Name("X", (at(t, "(X)")[0] + 1, at(t, "(X)")[0] + 2))
    assert rhs(t) == s.Call("linalg.det", (x,), (), at(t, "numpy.linalg.det(X)"),
                            at(t, "numpy.linalg.det"), method=False, namespaced=True)


def test_method_call_with_a_keyword():
    t = "db = A.sum(axis=0)"
    axis = s.Keyword("axis", num(t, "0", 0.0), at(t, "axis=0"))
    assert rhs(t) == s.Call("sum", (name(t, "A"),), (axis,), at(t, "A.sum(axis=0)"), at(t, "sum"),
                            method=True, namespaced=False)


def test_double_transpose():
    t = "d = A.T.T"
    assert rhs(t) == s.Transpose(s.Transpose(name(t, "A"), at(t, "A.T")), at(t, "A.T.T"))


def test_transpose_method_and_function():
    t = "d = A.transpose()"
    assert rhs(t) == s.Transpose(name(t, "A"), at(t, "A.transpose()"))
    t = "d = np.transpose(A)"
    assert rhs(t) == s.Call("transpose", (name(t, "A"),), (), at(t, "np.transpose(A)"),
                            at(t, "np.transpose"), method=False, namespaced=True)


def test_one_dot_over_m():
    t = "dW2 = 1./m * dZ2 @ A1.T"
    over = s.BinOp("/", num(t, "1.", 1.0), name(t, "m"), at(t, "1./m"), at(t, "/"))
    scaled = s.BinOp("*", over, name(t, "dZ2"), at(t, "1./m * dZ2"), at(t, "*"))
    a1t = s.Transpose(name(t, "A1"), at(t, "A1.T"))
    assert rhs(t) == s.BinOp("@", scaled, a1t, at(t, "1./m * dZ2 @ A1.T"), at(t, "@"))


def test_one_over_m_is_a_division_then_a_product():
    t = "dW2 = 1/m * dZ2"
    over = s.BinOp("/", num(t, "1", 1.0), name(t, "m"), at(t, "1/m"), at(t, "/"))
    assert rhs(t) == s.BinOp("*", over, name(t, "dZ2"), at(t, "1/m * dZ2"), at(t, "*"))


@pytest.mark.parametrize("literal, value", [("0.5", 0.5), (".5", 0.5), ("2.", 2.0), ("1e-3", 1e-3),
                                            ("2.5E+2", 250.0), ("7", 7.0)])
def test_number_literals(literal, value):
    t = f"d = {literal}"
    assert rhs(t) == s.Number(value, literal, at(t, literal))


def test_shape_index():
    t = "d = 1 / A1.shape[1]"
    index = s.Index(name(t, "A1"), "shape", 1, at(t, "A1.shape[1]"))
    assert rhs(t) == s.BinOp("/", num(t, "1", 1.0, 0), index, at(t, "1 / A1.shape[1]"), at(t, "/"))


def test_tuple_axis():
    t = "d = np.sum(A, axis=(0, 1))"
    axes = s.Tuple((num(t, "0", 0.0), num(t, "1", 1.0)), at(t, "(0, 1)"))
    assert rhs(t) == s.Call("sum", (name(t, "A"),), (s.Keyword("axis", axes, at(t, "axis=(0, 1)")),),
                            at(t, "np.sum(A, axis=(0, 1))"), at(t, "np.sum"), namespaced=True)


def test_derivative_of_a_known_function():
    t = "dZ = dA * tanh'(Z)"
    d = s.Derivative("tanh", (s.Name("Z", (at(t, "(Z)")[0] + 1, at(t, "(Z)")[0] + 2)),),
                     at(t, "tanh'(Z)"), at(t, "tanh'"))
    assert rhs(t) == s.BinOp("*", name(t, "dA"), d, at(t, "dA * tanh'(Z)"), at(t, "*"))


def test_spans_count_leading_spaces():
    t = "   dZ2 =   A2 - Y"
    eq = parse_equation(t)
    assert eq.lhs == s.Name("dZ2", at(t, "dZ2"))
    assert eq.rhs == s.BinOp("-", name(t, "A2"), name(t, "Y"), at(t, "A2 - Y"), at(t, "-"))


# --- spellings: one canonical tree (shapecheck.language.meaning.lower) -------------------------

def lowered(text: str, variables=("A", "B", "X", "Z")) -> s.Node:
    return lower(parse_equation(text), lambda n: n in variables).rhs


@pytest.mark.parametrize("spelling", ["np.dot(A, B)", "np.matmul(A, B)", "A.dot(B)", "numpy.dot(A, B)"])
def test_matrix_product_spellings(spelling):
    node = lowered(f"d = {spelling}")
    assert isinstance(node, s.BinOp) and node.op == "@"
    assert (node.left.id, node.right.id) == ("A", "B")


@pytest.mark.parametrize("spelling, op", [("np.multiply(A, B)", "*"), ("np.divide(A, B)", "/"),
                                          ("np.add(A, B)", "+"), ("np.subtract(A, B)", "-")])
def test_elementwise_spellings(spelling, op):
    node = lowered(f"d = {spelling}")
    assert isinstance(node, s.BinOp) and node.op == op
    assert (node.left.id, node.right.id) == ("A", "B")


@pytest.mark.parametrize("spelling", ["np.square(A)", "np.power(A, 2)", "A ** 2"])
def test_square_spellings(spelling):
    node = lowered(f"d = {spelling}")
    assert isinstance(node, s.BinOp) and node.op == "**"
    assert node.left.id == "A" and node.right.value == 2.0


@pytest.mark.parametrize("spelling", ["np.transpose(A)", "A.transpose()", "A.T"])
def test_transpose_spellings(spelling):
    node = lowered(f"d = {spelling}")
    assert isinstance(node, s.Transpose) and node.operand.id == "A"


def test_method_sum_becomes_the_function():
    node = lowered("d = A.sum(axis=0)")
    assert isinstance(node, s.Call) and node.func == "sum"
    assert node.args[0].id == "A" and [k.name for k in node.kwargs] == ["axis"]


def test_lowering_keeps_the_user_spans():
    t = "d = np.dot(A, B)"
    node = lowered(t)
    assert node.span == at(t, "np.dot(A, B)")
    assert node.left.span == at(t, "A") and node.right.span == at(t, "B")


def test_an_unknown_numpy_function_is_an_error():
    with pytest.raises(UnknownNameError, match="np.foo is not a numpy function shapecheck knows") as e:
        lowered("d = np.foo(A)")
    assert e.value.span == at("d = np.foo(A)", "np.foo")


# --- what does not parse --------------------------------------------------------------

@pytest.mark.parametrize("text, where", [
    ("dZ1 = W2.T @@ dZ2", 12),           # the second @
    ("dZ2 = A2 - Y)", 12),               # the stray bracket
    ("dZ2 = A2 $ Y", 9),                 # not a character of the language
    ("= A2", 0),                          # no left side
    ("dZ2 = A2 - Y = 3", 13),            # a second =
    ("dZ2 = A2[0]", 6),                  # indexing other than .shape[i]
    ("dZ2 = A2.bar", 6),                 # an attribute other than .T / .shape
    ("dW = __import__('os').system('echo hi')", 16),  # a string: the first quote
])
def test_syntax_errors_carry_their_position(text, where):
    with pytest.raises(FormulaSyntaxError) as e:
        parse_equation(text)
    assert e.value.span[0] == where
    assert e.value.text == text


def test_a_formula_that_ends_too_early_points_at_its_end():
    text = "db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True"
    with pytest.raises(FormulaSyntaxError, match="ends too early") as e:
        parse_equation(text)
    assert e.value.span[0] == len(text)


def test_a_positional_argument_after_a_keyword():
    text = "d = np.sum(A, axis=1, B)"
    with pytest.raises(FormulaSyntaxError, match="positional argument follows a keyword") as e:
        parse_equation(text)
    assert e.value.span == at(text, "B")


def test_no_equals_sign():
    with pytest.raises(FormulaSyntaxError):
        parse_equation("A2 - Y")


@pytest.mark.parametrize("text, message, where", [
    # the command is refused while its operand is read, before the sum asks for '.foo'
    ("dW = a.foo + \\foo", "\\foo is not LaTeX", "\\foo"),
    ("dW = a.foo + b.bar", "'.foo' is not something", "a.foo"),
    # the left side is refused before a marker left at the end of the right side
    ("dW2 dW1 = c.foo", "the left side must be one name", "dW2 dW1"),
    ("dW = \\frac{\\partial X^T}{\\partial W} + W^{[2][3]}", "read with one name on top", "X^T"),
])
def test_of_two_problems_the_first_in_reading_order_is_reported(text, message, where):
    with pytest.raises(FormulaSyntaxError, match=re.escape(message)) as e:
        parse_equation(text)
    assert e.value.span == at(text, where)
    assert e.value.__cause__ is None and e.value.__context__ is None  # not a VisitError's
