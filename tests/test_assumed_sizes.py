"""What was assumed is shown with the result it changed (issue 17, item 3).

A size nobody declared gets a chosen value; it is reported with each result whose check
used it (text and JSON), never with a formula whose check did not touch it, never when it
was declared; where the formulas of one call were checked on different networks, each
result says which.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from shapecheck import report
from shapecheck.result import Network, Options, Result
from shapecheck.session import Checker, Session

LINE = "         sizes chosen (nobody declared them): "
TWO_LAYERS = {"layers": 2, "examples": "m", "layout": "columns", "forward": None}


def results(cli, *args: str) -> list[dict]:
    return cli(*args, "--json").json()["results"]


# --- per formula, in text and JSON ------------------------------------------------------

def test_a_chosen_size_is_shown_under_the_result_that_used_it(cli):
    out = cli("dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--n1", "4", "--m", "5")
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert lines[0].startswith("✓ pass   dZ1 = W2.T @ dZ2 * g1'(Z1)   (n1, m) = (4, 5)")
    assert lines[1:] == [LINE + "n2 = 2"]  # indented like the result's other lines


def test_json_gives_each_result_its_chosen_sizes_and_network(cli):
    [item] = results(cli, "dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--n1", "4", "--m", "5")
    assert item["defaults"] == {"n2": 2}
    assert item["sizes"] == {"n0": 3, "n1": 4, "n2": 2, "m": 5}
    assert item["network"] == TWO_LAYERS


def test_the_chosen_sizes_follow_a_failing_result_too(cli):
    out = cli("dZ1 = dZ2 @ W2.T * g1'(Z1)", "--n0", "3", "--n1", "4", "--m", "5")
    assert out.exit_code == 1
    lines = out.stdout.splitlines()
    assert lines[0].startswith("✗ shape")
    assert lines[-1] == LINE + "n2 = 2"  # after the rule and the repair, still indented


def test_sizes_shared_by_every_formula_are_listed_once_for_all(cli):
    out = cli("dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T", "dZ1 = W2.T @ dZ2 * g1'(Z1)",
              "--n0", "3", "--n1", "4", "--m", "5")
    lines = out.stdout.splitlines()
    assert [line[:6] for line in lines[:3]] == ["✓ pass"] * 3
    assert lines[3:] == ["sizes chosen (nobody declared them) for each of the 3 formulas "
                         "checked: n2 = 2", "3 formulas: 3 pass"]


# --- only what the formula's check touched ----------------------------------------------

def test_without_values_only_the_sizes_in_the_shapes_read_are_listed(cli):
    # n0 and n1 are chosen for the network; dZ2 = A2 - Y reads only (n2, m) shapes
    args = ("dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T", "--n2", "3", "--m", "5", "--no-values")
    dz2, dw2 = results(cli, *args)
    assert dz2["defaults"] == {} and dw2["defaults"] == {"n1": 4}
    assert dz2["sizes"]["n0"] == dw2["sizes"]["n0"] == 2  # chosen for the network, used by neither
    lines = cli(*args).stdout.splitlines()
    assert lines[0].startswith("✓ pass   dZ2 = A2 - Y") and lines[1].startswith("✓ pass   dW2")
    assert lines[2] == LINE + "n1 = 4"
    assert "n0" not in cli(*args).stdout


def test_a_shape_failure_lists_only_the_sizes_of_the_shapes_it_read(cli):
    # values are never compared: the forward pass (through n0) did not run
    [item] = results(cli, "dW2 = dZ2 @ A1", "--n2", "3", "--m", "5")
    assert item["verdict"] == "shape"
    assert item["defaults"] == {"n1": 4}


def test_a_value_check_uses_every_size_of_its_network(cli):
    # dZ2 = A2 - Y reads only (n2, m), but its values run the network from X (n0) to the cost
    [item] = results(cli, "dZ2 = A2 - Y", "--n2", "3", "--m", "5")
    assert item["verdict"] == "pass"
    assert item["defaults"] == {"n0": 2, "n1": 4}


def test_a_single_example_formula_does_not_list_the_count_of_examples(cli):
    dz2, dZ2 = results(cli, "dz2 = a2 - y", "dZ2 = A2 - Y", "--n0", "3", "--n1", "4", "--n2", "5")
    assert dz2["verdict"] == dZ2["verdict"] == "pass"
    assert dz2["defaults"] == {} and "m" not in dz2["sizes"]
    assert dZ2["defaults"] == {"m": 2}
    assert dz2["network"] == {"layers": 2, "examples": 1, "layout": "columns", "forward": None}
    assert dZ2["network"] == TWO_LAYERS


def test_a_generic_formula_lists_the_sizes_of_the_layers_it_was_checked_at(cli):
    [item] = results(cli, "dZ = dA * g'(Z)", "--L", "3", "--no-values")
    assert item["verdict"] == "pass"
    assert set(item["defaults"]) == {"n1", "n2", "n3", "m"}  # dA, Z at l = 1..3: never n0
    assert item["network"] == {"layers": 3, "examples": "m", "layout": "columns", "forward": None}


def test_a_generic_formula_failing_at_a_layer_lists_the_sizes_up_to_it(cli):
    [item] = results(cli, "dZ = W.T @ dZ * g'(Z)", "--L", "3", "--n1", "4", "--m", "5",
                     "--no-values")
    assert item["verdict"] == "shape" and item["layer"] == 1
    assert item["defaults"] == {"n0": 2}  # W1, dZ1, Z1: n2 and n3 were never reached


@pytest.mark.parametrize("values, chosen", [
    ([], {"n0": 2, "n2": 3, "n3": 6}),  # its values passed at l = 1: the whole network ran
    (["--no-values"], {"n2": 3}),        # shapes at l = 1, 2 only: n1 declared, never n0 or n3
])
def test_a_generic_formula_passing_a_layer_before_failing_one(cli, values, chosen):
    [item] = results(cli, "dZ = dA * g'(Z) + 0 * Z1", "--L", "3", "--n1", "4", "--m", "5", *values)
    assert item["verdict"] == "shape" and item["layer"] == 2
    assert item["defaults"] == chosen


# --- different networks in one call ---------------------------------------------------

def test_formulas_on_different_networks_each_say_which(cli):
    args = ("dZ3 = A3 - Y", "dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--n1", "4", "--m", "5")
    dz3, dz1 = results(cli, *args)
    assert dz3["network"]["layers"] == 3 and dz3["defaults"] == {"n2": 2, "n3": 6}
    assert dz1["network"]["layers"] == 2 and dz1["defaults"] == {"n2": 2}
    lines = cli(*args).stdout.splitlines()
    assert lines[1] == "         on the 3-layer network; sizes chosen (nobody declared them): " \
                       "n2 = 2, n3 = 6"
    assert lines[3] == "         on the 2-layer network; sizes chosen (nobody declared them): n2 = 2"
    assert "n3" not in lines[3]


def test_a_network_is_named_even_where_nothing_was_chosen(cli):
    out = cli("dz2 = a2 - y", "dZ2 = A2 - Y", "--n0", "3", "--n1", "4", "--n2", "5", "--m", "6")
    lines = out.stdout.splitlines()
    assert lines[1] == "         on the 2-layer network, one example"
    assert lines[3] == "         on the 2-layer network"


def test_a_forward_model_is_named_by_its_equations(cli):
    model = "Y = f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)"
    [item] = results(cli, "dB = (Y - T) * f'(H @ W + B)", "--forward", model, "--shape", "H=1,h",
                     "--shape", "W=h,k", "--shape", "B=1,k", "--shape", "T=1,k", "--k", "3")
    assert item["verdict"] == "pass"
    assert item["network"] == {"layers": None, "examples": None, "layout": None, "forward": model}
    assert item["defaults"] == {"h": 2}  # dB's values run through H @ W: h is used


# --- declared sizes are never chosen ----------------------------------------------------

def test_declared_sizes_are_never_listed_as_chosen(cli):
    out = cli("dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--n1", "4", "--n2", "2", "--m", "5")
    assert out.stdout.splitlines()[1:] == []
    [item] = results(cli, "dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--n1", "4", "--m", "5")
    assert set(item["defaults"]).isdisjoint({"n0", "n1", "m"})


def test_a_derivation_reports_its_own_chosen_sizes(cli):
    [item] = results(cli, "--derive", "dZ1", "--n0", "3", "--n1", "4", "--m", "5")
    assert item["derived"] == "dZ1 = W2.T @ dZ2 * g1'(Z1)"
    assert item["defaults"] == {"n2": 2} and item["network"] == TWO_LAYERS


def test_the_library_result_carries_them(check):
    result = Checker(Options(sizes={"n2": 3, "m": 5}, values=False)).check("dZ2 = A2 - Y")
    assert result.verdict == "pass" and result.defaults == {}
    assert result.network == Network(layers=2, examples="m", layout="columns")
    assert result.sizes["n0"] == 2  # a size of the network, not an assumption of this formula


def test_an_error_has_no_network_and_no_chosen_sizes():
    [result] = Session(Options(sizes={"m": 5})).formulas(["dZ1 = Q @ dZ2"])
    assert result.verdict == "error"
    assert result.network is None and result.defaults == {}


# --- notes files -----------------------------------------------------------------------

NOTES = """\
```shapecheck
sizes: n0=3 n1=4 m=5
dZ1 = W2.T @ dZ2 * g1'(Z1)
```

```shapecheck
sizes: n0=3 n1=4 n2=2 m=5
dZ2 = A2 - Y
```
"""


def test_notes_give_each_formula_its_chosen_sizes(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("notes.md").write_text(NOTES, encoding="utf-8")
    dz1, dz2 = results(cli, "notes.md")
    assert dz1["defaults"] == {"n2": 2} and dz2["defaults"] == {}  # n2 declared in its block
    lines = cli("notes.md").stdout.splitlines()
    assert lines[0].startswith("notes.md:3:1: ✓ pass   dZ1 = W2.T @ dZ2 * g1'(Z1)")
    # under its result, indented past the location
    assert lines[1] == " " * len("notes.md:3:1: ✓ pass   ") + \
        "sizes chosen (nobody declared them): n2 = 2"
    assert lines[2].startswith("notes.md:8:1: ✓ pass   dZ2 = A2 - Y")
    assert lines[3] == "2 formulas in 1 file: 2 pass"


# --- the report, from plain results -------------------------------------------------------

def _rendered(results: list[Result]) -> str:
    buffer = io.StringIO()
    console = report.make_console(file=buffer, width=200)
    report.render_all(results, console, console)
    return buffer.getvalue()


def _passed(formula: str, network: Network | None, defaults: dict) -> Result:
    return Result(formula, "pass", "shapes line up (values not checked)", lhs_shape=("n2", "m"),
                  sizes={"n2": 2, "m": 5, **defaults}, defaults=defaults, network=network)


@pytest.mark.parametrize("defaults, shown", [
    ({"n1": 3}, ["n1 = 3"]),
    ({}, []),
])
def test_a_formula_that_did_not_touch_a_size_does_not_list_it(defaults, shown):
    two = Network(layers=2, examples="m", layout="columns")
    text = _rendered([_passed("dZ2 = A2 - Y", two, {}), _passed("dW2 = dZ2 @ A1.T", two, defaults)])
    lines = text.splitlines()
    assert lines[1].startswith("✓ pass   dW2")
    assert lines[2:-1] == [LINE + s for s in shown]


LAYOUTS = """\
```shapecheck
sizes: n0=3 n1=4 m=5
layout: rows
dZ2 = A2 - Y
```

```shapecheck
sizes: n0=3 n1=4 n2=2 m=5
dZ2 = A2 - Y
```
"""


def test_notes_blocks_on_different_networks_each_say_which(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("layouts.md").write_text(LAYOUTS, encoding="utf-8")
    rows, columns = results(cli, "layouts.md")
    assert rows["network"]["layout"] == "rows" and columns["network"]["layout"] == "columns"
    assert rows["defaults"] == {"n2": 2} and columns["defaults"] == {}
    pad = " " * len("layouts.md:4:1: ✓ pass   ")
    lines = cli("layouts.md").stdout.splitlines()
    assert lines[1] == pad + "on the 2-layer network, examples in rows; sizes chosen (nobody " \
                             "declared them): n2 = 2"
    assert lines[3] == pad + "on the 2-layer network"
