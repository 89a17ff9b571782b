"""Issue 18: the textbooks' layer and gradient notations, read as printed.

Nielsen's bare superscript layers (`w^l`, `\\delta^{l+1}`, `z^L`, `w^2`) and `\\nabla_a C`;
Goodfellow's parenthesised layers (`W^{(k)}`, `h^{(k-1)\\top}`) and `\\nabla_{W^{(k)}} J`;
d2l's `{\\mathbf{W}^{(2)}}^\\top`, bold names and `\\text{prod}(A, B)`. Each reads into the
same syntax nodes as the course's notation, so it gets the same verdicts and messages; a
printed form that stays ambiguous is refused with its readings.
"""
from __future__ import annotations

import pytest

from shapecheck import syntax as s
from shapecheck.errors import FormulaSyntaxError
from shapecheck.language.parse import parse_equation
from shapecheck.language.printer import to_numpy
from shapecheck.models.names import is_gradient_lhs

NET = ("--n0", "3", "--n1", "4", "--n2", "2")
DEEP = ("--L", "3", "--n0", "3", "--n1", "4", "--n2", "2", "--n3", "3")
SIGMOID = ("--activation", "g=sigmoid")  # Nielsen's network: sigmoid neurons throughout
# d2l 5.3's one-hidden-layer network, one example (its regularisation left out)
D2L = ("--forward", "z = W1 @ x; h = tanh(z); o = W2 @ h; J = 1/2 * np.sum((o - y) ** 2)",
       "--shape", "x=d,1", "--shape", "W1=h,d", "--shape", "W2=q,h", "--shape", "y=q,1",
       "--d", "3", "--h", "4", "--q", "2")


def read(text: str) -> str:
    return to_numpy(parse_equation(text))


# --- the same syntax nodes as the course's notation ----------------------------------------------

@pytest.mark.parametrize("textbook, course", [
    # Nielsen: \delta^l is dC/dz^l, w the weights, bare superscript layers
    (r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)",
     r"dz^{[l]} = ((W^{[l+1]})^T dz^{[l+1]}) \odot \sigma'(z^{[l]})"),
    (r"\delta^L = \nabla_a C \odot \sigma'(z^L)", r"dz^{[L]} = da^{[L]} \odot \sigma'(z^{[L]})"),
    (r"\delta^1 = ((w^2)^T \delta^2) \odot \sigma'(z^1)",
     r"dz^{[1]} = ((W^{[2]})^T dz^{[2]}) \odot \sigma'(z^{[1]})"),
    (r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T",
     r"dW^{[l]} = dz^{[l]} (a^{[l-1]})^T"),
    (r"\frac{\partial C}{\partial b^{l}} = \nabla_{a^l} C", r"db^{[l]} = da^{[l]}"),
    # Goodfellow: h^{(k)} the activation, a^{(k)} the pre-activation, k a generic layer
    (r"\nabla_{W^{(k)}} J = \nabla_{a^{(k)}} J \, \boldsymbol{h}^{(k-1)\top}",
     r"dW^{[l]} = dz^{[l]} a^{[l-1]T}"),
    (r"\nabla_{h^{(k-1)}} J = W^{(k)\top} \nabla_{a^{(k)}} J", r"da^{[l-1]} = W^{[l]T} dz^{[l]}"),
    # d2l: parenthesised layer numbers, bold names, a transpose on a braced group
    (r"\frac{\partial J}{\partial \mathbf{h}} = {\mathbf{W}^{(2)}}^\top \mathbf{g}",
     r"dh = W^{[2]T} g"),
])
def test_a_textbook_form_reads_as_the_course_form(textbook, course):
    assert read(textbook) == read(course)


def test_goodfellow_h_and_a_are_activation_and_pre_activation():
    assert read(r"\nabla_{a^{(k)}} J = \nabla_{h^{(k)}} J \odot f'(a^{(k)})") == \
        "dz = da * f'(z)"


def test_ufldl_a_with_z_is_the_activation():
    # Ng's UFLDL notes write a^{(l)} for the activation beside z^{(l)}
    assert read(r"dz^{[2]} = a^{(2)} - z^{(2)}") == "dz2 = a2 - z2"


# --- a number after ^: a layer or a power ---------------------------------------------------------

@pytest.mark.parametrize("text, numpy", [
    ("d = w^2 + \\delta^{3}", "d = W2 + dz3"),          # Nielsen's own names: always a layer
    ("d = w^L + a^2", "d = WL + a2"),                    # in a formula with Nielsen's layers
    ("d = \\delta^2 + z^{1}", "d = dz2 + z1"),
    ("d = a^2 + A^2", "d = a ^ 2 + A ^ 2"),              # elsewhere a power, as before
    ("d = (a^l)^2 + (w)^2", "d = a ^ 2 + w ^ 2"),        # in brackets: a power
])
def test_a_number_after_a_name_is_a_layer_only_in_nielsens_notation(text, numpy):
    assert read(text) == numpy


def test_a_number_after_a_name_in_a_generic_formula_is_refused_with_both_readings():
    # the course's generic a (--L) is a quantity too: a^2 may be layer 2 or a square
    with pytest.raises(FormulaSyntaxError) as e:
        parse_equation(r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot (1 - a^2)")
    assert e.value.message.startswith("a^2 may be read two ways: layer 2, a^{[2]}; or a power "
                                      "of the generic layer's a, (a^l)^{2}")


def test_nabla_without_its_variable_is_refused():
    with pytest.raises(FormulaSyntaxError, match="is read with the variable below it"):
        parse_equation(r"d = \nabla J")


# --- verdicts: right forms pass, wrong ones fail ------------------------------------------------

def test_nielsen_bp1_passes(cli):
    result = cli(r"\delta^L = \nabla_a C \odot \sigma'(z^L)", *NET)
    assert result.exit_code == 0, result.stdout
    assert "✓ pass" in result.stdout and "(n2, 1) = (2, 1)" in result.stdout


def test_nielsen_bp1_at_a_wrong_layer_fails_on_shapes(cli):
    result = cli(r"\delta^L = \nabla_a C \odot \sigma'(z^1)", *NET)
    assert result.exit_code == 1
    assert "✗ shape" in result.stdout


def test_nielsen_bp2_holds_for_l_up_to_the_layer_before_the_last(cli):
    # w^{l+1} names the layer after l: the formula is checked at l = 1..L-1
    result = cli(r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)", *DEEP, *SIGMOID)
    assert result.exit_code == 0, result.stdout
    assert "✓ pass" in result.stdout and "at l = 1..2" in result.stdout


def test_nielsen_bp2_without_its_transpose_fails_with_the_course_message(cli):
    result = cli(r"\delta^l = (w^{l+1} \delta^{l+1}) \odot \sigma'(z^l)", *DEEP, *SIGMOID)
    assert result.exit_code == 1
    assert "at layer l = 1: the inner sizes n1 and n2 of a matrix product must be equal: " \
        "w^{l+1} is (n2, n1) and \\delta^{l+1} is (n2, 1)" in result.stdout
    assert "(transpose w^{l+1})" in result.stdout


def test_nielsen_bp2_with_a_wrong_layer_fails(cli):
    result = cli(r"\delta^l = ((w^l)^T \delta^{l+1}) \odot \sigma'(z^l)", *DEEP, *SIGMOID)
    assert result.exit_code == 1
    assert "✗ shape" in result.stdout


def test_nielsens_sigma_is_the_sigmoid_so_an_open_hidden_layer_fails(cli):
    # \sigma is the sigmoid (as in Nielsen's book); a hidden activation left open is not
    result = cli(r"\delta^1 = ((w^2)^T \delta^2) \odot \sigma'(z^1)", *NET)
    assert result.exit_code == 1
    assert "It holds for g1 = sigmoid but not for g1 = tanh" in result.stdout
    fixed = cli(r"\delta^1 = ((w^2)^T \delta^2) \odot \sigma'(z^1)", *NET, "--activation",
                "g1=sigmoid")
    assert fixed.exit_code == 0, fixed.stdout


def test_nielsen_bp3_and_bp4_pass(cli):
    for text in (r"\frac{\partial C}{\partial b^l} = \delta^l",
                 r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T"):
        result = cli(text, "--L", "2", *NET)
        assert result.exit_code == 0, result.stdout


def test_nielsen_bp4_without_its_transpose_fails(cli):
    result = cli(r"\frac{\partial C}{\partial w^l} = \delta^l a^{l-1}", "--L", "2", *NET)
    assert result.exit_code == 1
    assert "(transpose a^{l-1})" in result.stdout


def test_goodfellow_weight_gradient_passes(cli):
    result = cli(r"\nabla_{W^{(k)}} J = \nabla_{a^{(k)}} J \, \boldsymbol{h}^{(k-1)\top}",
                 "--L", "2", *NET)
    assert result.exit_code == 0, result.stdout
    assert "(n2, n1) = (2, 4)" in result.stdout


@pytest.mark.parametrize("wrong", [
    r"\nabla_{W^{(k)}} J = \nabla_{a^{(k)}} J \, \boldsymbol{h}^{(k-1)}",      # no transpose
    r"\nabla_{W^{(k)}} J = \nabla_{a^{(k)}} J \, \boldsymbol{h}^{(k)\top}",    # wrong layer
])
def test_goodfellow_weight_gradient_wrong_forms_fail(cli, wrong):
    result = cli(wrong, "--L", "2", *NET)
    assert result.exit_code == 1
    assert "✗ shape" in result.stdout


def test_goodfellow_backward_steps_pass(cli):
    back = cli(r"\nabla_{h^{(k-1)}} J = W^{(k)\top} \nabla_{a^{(k)}} J", "--L", "2", *NET)
    assert back.exit_code == 0, back.stdout
    # f is open: it holds at the hidden layer, the output layer being the sigmoid
    step = cli(r"\nabla_{a^{(k)}} J = \nabla_{h^{(k)}} J \odot f'(a^{(k)})", "--L", "2", *NET,
               "--layers", "1")
    assert step.exit_code == 0, step.stdout


def test_d2l_transpose_of_a_braced_weight_passes_and_without_it_fails(cli):
    right = cli(r"\frac{\partial J}{\partial \mathbf{h}} = {\mathbf{W}^{(2)}}^\top "
                r"\frac{\partial J}{\partial \mathbf{o}}", *D2L)
    assert right.exit_code == 0, right.stdout
    wrong = cli(r"\frac{\partial J}{\partial \mathbf{h}} = {\mathbf{W}^{(2)}} "
                r"\frac{\partial J}{\partial \mathbf{o}}", *D2L)
    assert wrong.exit_code == 1
    assert "(transpose {\\mathbf{W}^{(2)}})" in wrong.stdout


def test_d2l_prod_is_the_arrangement_whose_shapes_line_up(cli):
    result = cli(r"\frac{\partial J}{\partial \mathbf{W}^{(2)}} = "
                 r"\text{prod}(\frac{\partial J}{\partial \mathbf{o}}, \mathbf{h})", *D2L)
    assert result.exit_code == 0, result.stdout
    assert "read \\text{prod} as do @ h.T" in result.stdout


def test_d2l_prod_of_the_wrong_factor_fails(cli):
    result = cli(r"\frac{\partial J}{\partial \mathbf{h}} = "
                 r"\text{prod}(\frac{\partial J}{\partial \mathbf{o}}, \mathbf{W}^{(1)})", *D2L)
    assert result.exit_code == 1
    assert "✗ shape" in result.stdout


# --- ambiguous or unread forms: refused, with the readings --------------------------------------

def test_d2l_prod_that_lines_up_two_ways_is_refused_with_both(cli):
    result = cli(r"dW = \text{prod}(A, B)", "--forward", "J = np.sum(W * (A @ B))",
                 "--shape", "A=n,n", "--shape", "B=n,n", "--shape", "W=n,n", "--n", "3")
    assert result.exit_code == 2
    assert "\\text{prod} lines up more than one way: \\text{prod} as A @ B, or " \
        "\\text{prod} as A @ B.T" in result.stderr


def test_goodfellow_a_without_h_or_z_is_refused_with_both_readings():
    with pytest.raises(FormulaSyntaxError) as e:
        parse_equation(r"\nabla_{b^{(k)}} J = \nabla_{a^{(k)}} J")
    assert "a^{(k)} may be read two ways: Goodfellow's pre-activation a^{(k)}, the course's " \
        "z^{[k]}" in e.value.message
    assert "or UFLDL's activation a^{(k)}, the course's a^{[k]}" in e.value.message


def test_nabla_a_beside_goodfellow_names_is_refused_with_both_readings():
    with pytest.raises(FormulaSyntaxError, match="may be read two ways: Nielsen's gradient"):
        parse_equation(r"\nabla_{W^{(k)}} J = \nabla_a J \, h^{(k-1)\top}")


def test_an_example_index_is_never_a_layer():
    # outside a sum over examples, x^{(i)} is one example's x (examples: tests/test_example_sums.py)
    assert parse_equation(r"dW = x^{(i)}").rhs == s.Name("x", (5, 12))
    with pytest.raises(FormulaSyntaxError) as e:
        parse_equation(r"dW = x^{(i+1)}")
    assert "^{(i+1)} is the index of one example, not a layer" in e.value.message
    assert e.value.span == (5, 14)


def test_nabla_of_something_other_than_the_cost_is_refused():
    with pytest.raises(FormulaSyntaxError, match="\\\\nabla is read as the gradient of the cost"):
        parse_equation(r"d = \nabla_{W^{(k)}} Y")


@pytest.mark.parametrize("text, written", [("d = e^x", "^x"), ("d = A^{m-1}", "^{m-1}")])
def test_a_letter_after_caret_that_is_no_layer_is_refused(text, written):
    with pytest.raises(FormulaSyntaxError) as e:
        parse_equation(text)
    assert e.value.message.startswith(f"{written} is not read: after ^ shapecheck reads T")


def test_a_notes_file_takes_nielsens_and_goodfellows_left_sides_as_gradients():
    assert is_gradient_lhs(r"\delta^l") and is_gradient_lhs(r"\nabla_{W^{(k)}} J")
    assert not is_gradient_lhs(r"\delta")
