"""Issue 17, item 5: generic-layer formulas that hold at some layers only.

`dZ = dA * (Z > 0)` is right for relu hidden layers and wrong at the sigmoid output.
`--activation g=relu` (the course's way) fixes every hidden layer's activation; a formula
that then fails at l = L only says "holds for l = 1..2; at l = 3 the output activation is
sigmoid"; `--layers A..B` restricts the check, and the result says which layers it was.
"""
from __future__ import annotations

import pytest

from shapecheck.models.binding import hidden_activations, network
from shapecheck.result import Options
from shapecheck.session import Checker

RELU = "dZ = dA * (Z > 0)"
LAYERS = {"n0": 4, "n1": 5, "n2": 3, "n3": 2, "m": 6}
ARGS = ("--L", "3", "--n0", "4", "--n1", "5", "--n2", "3", "--n3", "2", "--m", "6")


def check(text: str, **options):
    return Checker(Options(sizes=dict(LAYERS), layers=3, **options)).check(text)


# --- --activation g=relu ------------------------------------------------------------------------

def test_g_fixes_every_hidden_layer_and_leaves_the_output_sigmoid():
    model = network(3, fixed_functions={"g": "relu"})
    assert model.fixed_functions == {"g1": "relu", "g2": "relu", "g3": "sigmoid"}


def test_an_activation_given_by_its_layer_wins_over_g():
    assert hidden_activations({"g": "relu", "g2": "tanh"}, 3) == {"g1": "relu", "g2": "tanh"}


def test_g_is_refused_for_softmax(cli):
    result = cli("dZ2 = A2 - Y", "--n0", "3", "--n1", "4", "--m", "5", "--activation", "g=softmax")
    assert result.exit_code == 2
    assert "softmax belongs to the output layer (--activation g2=softmax)" in result.stderr


def test_with_relu_hidden_layers_a_specific_formula_passes():
    r = Checker(Options(sizes={"n0": 3, "n1": 4, "m": 5}, activations={"g": "relu"})) \
        .check("dZ1 = W2.T @ dZ2 * (Z1 > 0)")
    assert r.verdict == "pass", r.message


# --- where a generic formula holds --------------------------------------------------------------

def test_holding_at_the_hidden_layers_only_says_so():
    r = check(RELU, activations={"g": "relu"})
    assert r.verdict == "value" and r.layer == 3
    assert r.message.startswith("holds for l = 1..2; at l = 3 the output activation is sigmoid: ")
    assert r.message.endswith("The hidden layers alone are checked with --layers 1..2")


def test_the_output_activation_named_is_the_one_given():
    r = Checker(Options(sizes={"n0": 4, "n1": 5, "n2": 3, "m": 6}, layers=2,
                        activations={"g": "relu", "g2": "softmax"})).check(RELU)
    assert r.verdict == "value" and r.layer == 2
    assert "at l = 2 the output activation is softmax" in r.message


def test_open_hidden_layers_name_the_activation_it_holds_for():
    r = check(RELU)
    assert r.verdict == "value" and r.layer == 1
    assert r.message.startswith("at layer l = 1: ")
    assert "It holds only if g1, g2 are relu" in r.message
    assert "--activation g=relu for every hidden layer" in r.message


def test_holding_at_the_output_only_names_the_failing_hidden_layer():
    r = check("dZ = A - Y")
    assert r.verdict == "shape" and r.layer == 1
    assert r.message.startswith("holds for l = 3 (the output layer, sigmoid); at layer l = 1: ")


def test_failing_everywhere_names_the_first_layer_as_before():
    r = check("dA_prev = W @ dZ")
    assert r.verdict == "shape" and r.layer == 1
    assert r.message.startswith("at layer l = 1: ")


def test_a_formula_right_at_every_layer_passes_without_a_layer_note():
    r = check("dW = 1/m * dZ @ A_prev.T")
    assert r.verdict == "pass" and r.layers is None and r.layer is None


# --- --layers -----------------------------------------------------------------------------------

def test_layers_restricts_the_check_and_the_result_says_which():
    r = check(RELU, activations={"g": "relu"}, only_layers=(1, 2))
    assert r.verdict == "pass", r.message
    assert r.layers == (1, 2) and r.message.endswith("at l = 1..2")


def test_one_layer_is_checked_alone():
    r = check(RELU, activations={"g": "relu"}, only_layers=(3, 3))
    assert r.verdict == "value" and r.layer == 3 and r.layers == (3,)
    assert r.message.startswith("at l = 3 the output activation is sigmoid: ")


def test_layers_out_of_range_are_an_error():
    r = check(RELU, only_layers=(1, 5))
    assert r.verdict == "error"
    assert "--layers 1..5: the network has layers 1..3 (--L 3)" in r.message


def test_the_command_line_passes_on_the_hidden_layers(cli):
    result = cli(RELU, *ARGS, "--activation", "g=relu", "--layers", "1..2")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "✓ pass" in result.stdout and "at l = 1..2" in result.stdout


def test_the_command_line_fails_with_where_it_holds(cli):
    result = cli(RELU, *ARGS, "--activation", "g=relu")
    assert result.exit_code == 1
    assert "holds for l = 1..2; at l = 3 the output activation is sigmoid" in result.stdout
    report = cli(RELU, *ARGS, "--activation", "g=relu", "--json").json()
    (r,) = report["results"]
    assert r["layer"] == 3 and r["message"].startswith("holds for l = 1..2; at l = 3 the output")


@pytest.mark.parametrize("value", ["0", "x", "2..1", "1..", "1..2..3", "-1"])
def test_a_garbled_layers_value_is_an_error(cli, value):
    result = cli(RELU, *ARGS, "--layers", value)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"--layers {value}: give a layer l or a range A..B" in result.stderr


def test_layers_out_of_range_exit_2(cli):
    result = cli(RELU, *ARGS, "--layers", "2..4")
    assert result.exit_code == 2
    assert "the network has layers 1..3 (--L 3)" in result.stderr


def test_layers_for_no_generic_formula_is_an_error(cli):
    result = cli("dZ2 = A2 - Y", "--n0", "3", "--n1", "4", "--m", "5", "--layers", "1..2")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--layers 1..2: no formula is written for a generic layer l" in result.stderr
