"""`--toy` (issue 19, item 3): the formula written out entry by entry at size 2, one entry
of the gradient by the scalar chain rule beside the same entry of the formula.

What is asserted: the verdict of the toy (agree for every entry, or the first entry where
the two differ, with both scalar expressions) matches the checker's verdict against finite
differences; every equation the toy prints holds at the values it drew (evaluated here by
a small evaluator of the printed text, not by the toy's code); the toy's exact gradient
matches central differences; every line fits in 80 columns.
"""
from __future__ import annotations

import ast
import operator
import re

import numpy as np
import pytest
from click.testing import CliRunner

from shapecheck.cli import command
from shapecheck.result import Options
from shapecheck.session import Session
from shapecheck.toy.render import render

FORWARD = "Y = f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)"
FORWARD_SHAPES = {"H": (1, "h"), "W": ("h", "y"), "B": (1, "y"), "T": (1, "y")}


def session(forward: bool = False, **options) -> Session:
    if forward:
        options.update(forward=(FORWARD,), shapes=FORWARD_SHAPES)
    return Session(Options(**options))


def toy(formula: str, forward: bool = False, **options):
    return session(forward, **options).toy(formula)


RIGHT = ["dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T",
         "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "dZ1 = W2.T @ dZ2 * g1'(Z1)",
         "dW1 = 1/m * dZ1 @ X.T", "db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)",
         "db1 = np.mean(dZ1, axis=1, keepdims=True)", "dA1 = W2.T @ dZ2",
         "dW1 = 1/m * (W2.T @ (A2 - Y) * g1'(Z1)) @ X.T"]
RIGHT_FORWARD = ["dW = H.T @ ((Y - T) * f'(H @ W + B))", "dB = (Y - T) * f'(H @ W + B)",
                 "dY = Y - T", "dH = ((Y - T) * f'(H @ W + B)) @ W.T"]
# (formula, the first entry where it differs)
WRONG = [("dW1 = dZ1 @ X.T", "dW1[0,0]"),
         ("dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)", "dZ1[0,0]"),
         ("db1 = 1/2 * np.sum(dZ1, axis=1, keepdims=True)", "db1[0,0]"),
         ("dW2 = 1/m * dZ2 @ Z1.T", "dW2[0,0]"),
         ("dZ2 = Y - A2", "dZ2[0,0]")]
WRONG_FORWARD = [("dW = H.T @ (Y - T)", "dW[0,0]"), ("dB = 2 * (Y - T) * f'(H @ W + B)", "dB[0,0]")]


@pytest.mark.parametrize("formula", RIGHT)
def test_a_right_formula_agrees_at_every_entry_as_the_checker_says(formula):
    found = toy(formula)
    assert found.problem is None and found.differ is None, render(found)
    assert session().checker(Options()).check(formula).verdict == "pass"
    assert f"Agree for all {found.entries} entries" in render(found)


@pytest.mark.parametrize("formula", RIGHT_FORWARD)
def test_a_right_formula_on_a_forward_model_agrees(formula):
    found = toy(formula, forward=True)
    assert found.problem is None and found.differ is None, render(found)
    assert list(session(True).formulas([formula]))[0].verdict == "pass"


@pytest.mark.parametrize("formula, first", WRONG + [(f, e) for f, e in WRONG_FORWARD])
def test_a_wrong_formula_differs_first_where_the_toy_says(formula, first):
    forward = (formula, first) in WRONG_FORWARD
    found = toy(formula, forward=forward)
    assert found.differ == first, render(found)
    assert found.chained[0] == found.yours[0] == first
    chained, yours = found.values
    assert abs(chained - yours) > 1e-6 * max(abs(chained), abs(yours))
    assert list(session(forward).formulas([formula]))[0].verdict == "value"
    assert f"Differ first at {first}: {found.chained[1]} vs {found.yours[1]}" in \
        " ".join(line.strip() for line in render(found).splitlines())


def test_both_scalar_expressions_of_the_missing_one_over_m():
    found = toy("dW1 = dZ1 @ X.T")
    assert found.chained == ("dW1[0,0]", "1/m*(dZ1[0,0]*X[0,0] + dZ1[0,1]*X[0,1])")
    assert found.yours == ("dW1[0,0]", "dZ1[0,0]*X[0,0] + dZ1[0,1]*X[0,1]")
    right = toy("dW1 = 1/m * dZ1 @ X.T")
    assert right.same and right.chained == right.yours == (
        "dW1[0,1]", "1/m*(dZ1[0,0]*X[1,0] + dZ1[0,1]*X[1,1])")
    assert ("Z1[0,1]", "W1[0,0]*X[0,1] + W1[0,1]*X[1,1] + b1[0,0]") in right.forward


def test_a_size_written_as_its_toy_value_is_wrong_and_said_why():
    found = toy("db1 = 1/2 * np.sum(dZ1, axis=1, keepdims=True)")
    assert found.differ == "db1[0,0]"
    assert any("equal where m = 2" in note for note in found.notes)


def test_an_open_activation_stays_a_symbol():
    found = toy("dZ1 = W2.T @ dZ2 * g1'(Z1)")
    assert found.same and "g1'(Z1[0,1])" in found.yours[1]
    assert any(note.startswith("g1 is left open") for note in found.notes)


def test_given_small_sizes_are_used_and_large_ones_replaced_by_two():
    found = toy("dW1 = 1/m * dZ1 @ X.T", sizes={"m": 3})
    assert found.sizes["m"] == 3 and found.entries == 4 and found.differ is None
    assert "[0,2]" in " ".join(right for _, right in found.chain)
    large = toy("dW1 = 1/m * dZ1 @ X.T", sizes={"m": 64, "n1": 3})
    assert large.sizes["m"] == 2 and large.sizes["n1"] == 3 and large.differ is None
    assert large.notes[0].startswith("the toy takes 2 for m = 64")


def test_what_has_no_scalar_form_is_said_not_guessed():
    found = toy("dZ1 = W2.T @ dZ2 * (Z1 > 0)")
    assert found.problem and "comparison" in found.problem
    assert toy("dZ1 = dZ2 @ W2.T * g1'(Z1)").problem.startswith("the shapes do not line up")


# --- every printed line holds ------------------------------------------------------------------

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow}


def _python(text: str) -> str:
    """The printed notation as a Python expression: ∂J/∂Z1[0,0] → PARTIAL_Z1[0,0],
    g1'(x) → g1__d(x)."""
    text = re.sub(r"∂(\w+)/∂(\w+)", r"PARTIAL_\2", text)
    return re.sub(r"(\w+)'\(", r"\1__d(", text)


def _evaluate(node: ast.AST, names: dict, functions) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, names, functions)
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.BinOp):
        return _OPS[type(node.op)](_evaluate(node.left, names, functions),
                                   _evaluate(node.right, names, functions))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, names, functions)
    if isinstance(node, ast.Name):
        return float(names[node.id])
    if isinstance(node, ast.Subscript):
        index = tuple(int(e.value) for e in node.slice.elts)
        return float(names[node.value.id][index])
    if isinstance(node, ast.Call):
        func = node.func.id
        order = 1 if func.endswith("__d") else 0
        (arg,) = node.args
        return functions(func.removesuffix("__d"), order)(_evaluate(arg, names, functions))
    raise AssertionError(ast.dump(node))


def equations(text: str) -> list[tuple[str, str]]:
    """The printed equations of the forward, chain-rule and formula sections, each with
    its continuation lines joined."""
    found, section = [], None
    for line in text.splitlines():
        if not line.startswith(" "):
            section = line.split(",")[0].split()[0] if line.strip() else None
            continue
        if section not in ("Forward", "Chain", "Your") or line.strip().startswith("..."):
            continue
        if line.startswith("      "):
            found[-1] = found[-1] + " " + line.strip()
        else:
            found.append(line.strip())
    return [tuple(eq.split(" = ", 1)) for eq in found]


def numbers(found) -> dict:
    draw = found.draw
    names = {**draw.arrays, **draw.sizes}
    names.update({f"PARTIAL_{n}": a for n, a in draw.adjoint.items()})
    for name, (var, factor) in draw.gradients.items():
        names[name] = factor.value(draw.of) * draw.adjoint[var]
    return names


CASES = [(f, False) for f in RIGHT] + [(f, False) for f, _ in WRONG] + \
    [(f, True) for f in RIGHT_FORWARD] + [(f, True) for f, _ in WRONG_FORWARD]


@pytest.mark.parametrize("formula, forward", CASES)
def test_every_printed_equation_holds_at_the_drawn_values(formula, forward):
    found = toy(formula, forward=forward)
    text = render(found)
    printed = equations(text)
    assert len(printed) >= 3, text
    names = numbers(found)
    for left, right in printed:
        values = [_evaluate(ast.parse(_python(side), mode="eval"), names, found.draw.function)
                  for side in (left, right)]
        if left == found.yours[0] and right == found.yours[1] and found.differ:
            assert values[0] != pytest.approx(values[1], rel=1e-6), (left, right)
            continue  # the formula's own entry: it is what differs from the truth
        assert values[0] == pytest.approx(values[1], rel=1e-9, abs=1e-12), (left, right, text)


@pytest.mark.parametrize("formula, forward", CASES)
def test_the_toy_fits_an_80_column_terminal(formula, forward):
    text = render(toy(formula, forward=forward))
    assert max(len(line) for line in text.splitlines()) <= 80, text


def test_the_exact_gradient_matches_central_differences():
    found = toy("dW1 = 1/m * dZ1 @ X.T", activations={"g1": "tanh"}, layers=2)
    draw = found.draw
    scalars = draw.scalars

    def cost(name, index, step):
        saved = {n: a.copy() for n, a in draw.arrays.items()}
        draw.arrays[name][index] += step
        for defined in scalars.model.defined():
            if defined != name and scalars.model.downstream(name) is not None:
                draw.arrays[defined] = draw._evaluate(scalars.entries[defined])
        value = float(draw.arrays[scalars.cost])
        draw.arrays.update(saved)
        return value

    for name in ("W1", "b2", "X"):
        for index in np.ndindex(*draw.arrays[name].shape):
            estimate = (cost(name, index, 1e-6) - cost(name, index, -1e-6)) / 2e-6
            assert draw.adjoint[name][index] == pytest.approx(estimate, rel=1e-5, abs=1e-9)


# --- the command line ---------------------------------------------------------------------------

def test_the_option_prints_the_toy_then_the_report():
    run = CliRunner().invoke(command, ["dW1 = dZ1 @ X.T", "--toy"])
    assert run.exit_code == 1
    assert run.output.index("Differ first at dW1[0,0]") < run.output.index("✗ value")
    right = CliRunner().invoke(command, ["dW1 = 1/m * dZ1 @ X.T", "--toy"])
    assert right.exit_code == 0 and "Agree for all 4 entries of dW1" in right.output


def test_the_toy_goes_to_stderr_beside_json():
    run = CliRunner().invoke(command, ["dW1 = 1/m * dZ1 @ X.T", "--toy", "--json"])
    assert run.exit_code == 0 and run.stdout.lstrip().startswith("{")
    assert "Agree for all 4 entries" in run.stderr


def test_a_fixed_activation_is_its_function():
    formula = "dZ1 = W2.T @ dZ2 * A1 * (1 - A1)"
    fixed = toy(formula, activations={"g1": "sigmoid"})
    assert fixed.differ is None and not fixed.same, render(fixed)
    assert "g1 = sigmoid" in fixed.notes
    assert toy(formula).differ == "dZ1[0,0]"  # g1 open: right only for the sigmoid


def test_a_formula_that_cannot_be_read_gets_one_line_and_the_report_says_why():
    run = CliRunner().invoke(command, ["dW1 = 1/m * dZ1 @@ X.T", "--toy"])
    assert run.exit_code == 2
    assert run.output.startswith("No toy of dW1 = 1/m * dZ1 @@ X.T: unexpected '@'")
