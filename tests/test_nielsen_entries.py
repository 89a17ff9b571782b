"""Issue 18: Nielsen's backpropagation equations entry by entry (*Neural Networks and Deep
Learning*, ch. 2): BP3 `\\frac{\\partial C}{\\partial b^l_j} = \\delta^l_j` and BP4
`\\frac{\\partial C}{\\partial w^l_{jk}} = a^{l-1}_k \\delta^l_j`.

His bare superscript layers combined with index notation: `b^l_j` is entry j of b^{[l]},
`w^l_{jk}` entry (j, k) of W^{[l]}, `a^{l-1}_k` entry k of a^{[l-1]}, `\\delta^l_j` entry j of
dz^{[l]} (his δ is ∂C/∂z), one example (m = 1); a generic l is checked at every layer.
"""
from __future__ import annotations

import pytest

from shapecheck.errors import FormulaSyntaxError
from shapecheck.language.index_terms import Entry, Layered, Partial
from shapecheck.language.indices import read_member, written_with_indices
from shapecheck.language.textbooks import GENERIC, NUMBERED, nielsen_layers
from shapecheck.models.names import quantity_at

NET = ("--L", "2", "--n0", "3", "--n1", "4", "--n2", "2")
SQUARE = ("--L", "2", "--n0", "3", "--n1", "3", "--n2", "3")  # no shape tells a slip apart
BP3 = r"\frac{\partial C}{\partial b^l_j} = \delta^l_j"
BP4 = r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j"


# --- reading -------------------------------------------------------------------------------------

def test_bp4_reads_as_entries_of_layered_names():
    texts = [r"\frac{\partial C}{\partial w^l_{jk}}", r"a^{l-1}_k \delta^l_j"]
    assert nielsen_layers(texts) == GENERIC
    left, right = (read_member(t, nielsen=GENERIC) for t in texts)
    assert isinstance(left, Partial) and left.var.name == "W" and left.indices == ("j", "k")
    assert right.left == Entry(Layered("a_prev", 0, True), ("k",), 7)
    assert right.right.base.name == "dz" and right.right.indices == ("j",)
    assert written_with_indices(texts)


def test_numbers_after_nielsens_names_are_layers_and_tell_the_others():
    texts = [r"\frac{\partial C}{\partial b^2_j}", r"\delta^2_j"]
    assert nielsen_layers(texts) == NUMBERED
    assert read_member(texts[0], nielsen=NUMBERED).var == Layered("b2", 27, True)
    # with no Nielsen name beside it, b^2 is a power, as before
    assert nielsen_layers([r"b^2_j"]) is None


def test_delta_with_its_index_first_is_the_same_entry():
    assert read_member(r"\delta_j^l", nielsen=GENERIC).base == \
        read_member(r"\delta^l_j", nielsen=GENERIC).base


def test_a_kronecker_delta_squared_stays_a_power():
    # two indices make a Kronecker delta: ^2 after it is its square, not a layer
    assert type(read_member(r"\delta_{ij}^2", nielsen=GENERIC)).__name__ == "Power"


def test_a_number_after_a_in_a_generic_formula_is_refused_with_both_readings():
    with pytest.raises(FormulaSyntaxError, match=r"a\^2 may be read two ways: layer 2"):
        read_member(r"a^2_j", nielsen=GENERIC)


@pytest.mark.parametrize("name, layer, network", [
    ("dz", 2, "dZ2"), ("a_prev", 1, "X"), ("a_prev", 2, "A1"), ("W", 1, "W1"), ("b2", None, "b2"),
    ("W_next", 2, "W3"), ("W_prev", 1, None), ("dz", None, None),
])
def test_a_layered_name_is_the_networks_quantity_at_a_layer(name, layer, network):
    assert quantity_at(name, layer, 3) == network


# --- verdicts: right forms pass at every layer ---------------------------------------------------

@pytest.mark.parametrize("formula", [
    BP3, BP4,
    r"\frac{\partial C}{\partial b^2_j} = \delta^2_j",
    r"\frac{\partial C}{\partial w^2_{jk}} = a^1_k \delta^2_j",
    r"\frac{\partial C}{\partial w^1_{jk}} = a^0_k \delta^1_j",  # a^0 is the input x
    r"\frac{\partial C}{\partial b^l_j} = \delta_j^l",
])
def test_bp3_and_bp4_pass(cli, formula):
    result = cli(formula, *NET)
    assert result.exit_code == 0, result.stdout
    assert "✓ pass" in result.stdout and "rel. error" in result.stdout


def test_bp4_holds_at_every_layer_of_a_deeper_network(cli):
    result = cli(BP4, "--L", "3", "--n0", "3", "--n1", "4", "--n2", "2", "--n3", "3")
    assert result.exit_code == 0, result.stdout
    result = cli(BP4, "--L", "3", "--n0", "3", "--n1", "4", "--n2", "2", "--n3", "3",
                 "--layers", "2..3")
    assert result.exit_code == 0, result.stdout
    assert "at l = 2..3" in result.stdout


def test_bp2_entry_by_entry_passes_at_the_layers_before_the_last(cli):
    formula = r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)"
    result = cli(formula, "--L", "3", "--n0", "3", "--n1", "4", "--n2", "2", "--n3", "3",
                 "--activation", "g=sigmoid")
    assert result.exit_code == 0, result.stdout
    assert "at l = 1..2" in result.stdout


def test_a_chain_of_entries_holds_link_by_link(cli):
    result = cli(r"\frac{\partial C}{\partial b^l_j} = \frac{\partial C}{\partial z^l_j} "
                 r"= \delta^l_j", *NET)
    assert result.exit_code == 0, result.stdout
    assert "all 2 links hold" in result.stdout


# --- verdicts: wrong forms fail -------------------------------------------------------------------

def test_bp4_transposed_fails_on_shapes(cli):
    result = cli(r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j \delta^l_k", *NET)
    assert result.exit_code == 1, result.stdout
    assert "✗ shape" in result.stdout
    assert "at layer l = 1: the members have shapes (4, 3) and (3, 4)" in result.stdout


def test_bp4_transposed_fails_on_values_where_the_shapes_agree(cli):
    result = cli(r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j \delta^l_k", *SQUARE)
    assert result.exit_code == 1, result.stdout
    assert "✗ value" in result.stdout and "at layer l = 1: the members differ" in result.stdout


def test_bp4_at_a_wrong_layer_fails(cli):
    result = cli(r"\frac{\partial C}{\partial w^l_{jk}} = a^{l}_k \delta^l_j", *NET)
    assert result.exit_code == 1, result.stdout
    assert "✗ shape" in result.stdout
    result = cli(r"\frac{\partial C}{\partial w^l_{jk}} = a^{l}_k \delta^l_j", *SQUARE)
    assert result.exit_code == 1 and "✗ value" in result.stdout


def test_a_numbered_layer_that_holds_at_one_layer_only_says_where(cli):
    result = cli(r"\frac{\partial C}{\partial b^l_j} = \delta^2_j", *SQUARE)
    assert result.exit_code == 1, result.stdout
    assert "holds for l = 2 (the output layer, sigmoid); at layer l = 1: the members differ" \
        in result.stdout


def test_bp3_with_a_factor_fails_saying_the_factor(cli):
    result = cli(r"\frac{\partial C}{\partial b^l_j} = 2 \delta^l_j", *NET)
    assert result.exit_code == 1
    assert "the right one is 2 times the left" in result.stdout


def test_free_indices_must_match(cli):
    result = cli(r"\frac{\partial C}{\partial b^l_k} = \delta^l_j", *NET)
    assert result.exit_code == 1
    assert "the free indices differ: k on the left, j on the right" in result.stdout
    assert "at layer" not in result.stdout  # the same at every layer: no layer to name


# --- errors ---------------------------------------------------------------------------------------

def test_a_generic_layer_needs_the_number_of_layers(cli):
    result = cli(BP3, "--n0", "3", "--n1", "4", "--n2", "2")
    assert result.exit_code == 2
    assert "generic layer l: give the number of layers with --L N" in result.stderr


def test_a_layer_past_the_network_is_an_error(cli):
    result = cli(r"\frac{\partial C}{\partial b^3_j} = \delta^3_j", *NET)
    assert result.exit_code == 2
    assert "b3 is not a quantity of the 2-layer network" in result.stderr


# --- one index on a column runs along its long axis ----------------------------------------------

def test_one_index_on_a_column_of_one_example(cli):
    result = cli("[A1]_l = [A1]_l", "--n0", "3", "--n1", "4", "--n2", "2", "--m", "1")
    assert result.exit_code == 0, result.stdout
    result = cli("[A1]_l = [A1]_l", "--n0", "3", "--n1", "4", "--n2", "2", "--m", "3")
    assert result.exit_code == 1 and "1 index (l) for a value of shape 4×3" in result.stdout


def test_names_at_no_common_layer_are_an_error(cli):
    result = cli(r"\delta^{l-1}_j = \delta^{l+1}_j", *NET)
    assert result.exit_code == 2
    assert "no layer l = 1..2 has all of dz_prev, dz_next" in result.stderr


def test_one_example_refuses_a_number_of_examples(cli):
    result = cli(BP3, *NET, "--m", "5")
    assert result.exit_code == 2
    assert "checked with m = 1" in result.stderr
