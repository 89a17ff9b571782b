"""Metamorphic checks on the public corpus: changes whose effect on the verdict is known.

For every formula `dV = E` that the corpus says passes:

* `dV = 2 * (E)` and `dV = -(E)` are `value` failures whose diagnosis names the factor;
* the same command with its declared sizes permuted among themselves (and with every
  size equal) still passes;
* a notation twin, the same formula in slide or LaTeX notation (or in numpy for a corpus
  formula written in notation), still passes.

And a formula the corpus says is a `shape` failure stays one at any sizes: permuted, all
equal, all 1 (a size name never broadcasts, whatever its value).
"""
from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecheck.cli import command
from shapecheck.language.parse import parse_equation

CORPUS = [json.loads(line) for line in
          Path(__file__).with_name("corpus.jsonl").read_text(encoding="utf-8").splitlines()
          if line.strip()]
PASSING = [c for c in CORPUS if c["expect"] == "pass"]
SHAPE_FAILURES = [c for c in CORPUS if c["expect"] == "shape"]
OPTIONS_WITH_VALUES = {"--shape", "--forward", "--activation", "--L", "--layout", "--label",
                       "--seed", "--tol", "--probes"}


def run(argv: list[str]) -> dict:
    """The first result of the --json report of `shapecheck ARGV`."""
    result = CliRunner().invoke(command, argv + ["--json"], prog_name="shapecheck")
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)["results"][0]


def sides(formula: str) -> tuple[str, str]:
    """'dW2 = 1/m * dZ2 @ A1.T' → ('dW2 = ', '1/m * dZ2 @ A1.T'), as the parser splits it."""
    start, end = parse_equation(formula).rhs.span
    return formula[:start], formula[start:end]


def declared_sizes(argv: list[str]) -> dict[str, int]:
    """The `--NAME INT` pairs of a command line, in order."""
    sizes, i = {}, 1
    while i < len(argv):
        option = argv[i]
        if option in OPTIONS_WITH_VALUES:
            i += 2
            continue
        if option.startswith("--") and i + 1 < len(argv) and re.fullmatch(r"\d+", argv[i + 1]):
            sizes[option[2:]] = int(argv[i + 1])
            i += 2
            continue
        i += 1
    return sizes


def with_sizes(argv: list[str], sizes: dict[str, int]) -> list[str]:
    """`argv` with each declared size's value replaced."""
    out = list(argv)
    for i in range(1, len(out) - 1):
        name = out[i][2:]
        if out[i].startswith("--") and name in sizes and out[i - 1] not in OPTIONS_WITH_VALUES:
            out[i + 1] = str(sizes[name])
    return out


def permutations(sizes: dict[str, int], count: int = 6) -> list[dict[str, int]]:
    """Up to `count` permutations of the values among the names, never the identity, the
    same ones on every run."""
    names, values = list(sizes), list(sizes.values())
    every = [p for p in itertools.permutations(values) if list(p) != values]
    chosen = random.Random(len(values)).sample(every, min(count, len(every)))
    return [dict(zip(names, p)) for p in chosen]


def ids(cases):
    return [c["id"] for c in cases]


# --- a constant factor -------------------------------------------------------------------
@pytest.mark.parametrize("case", PASSING, ids=ids(PASSING))
def test_twice_a_passing_formula_is_a_value_failure_naming_2(case):
    lhs, rhs = sides(case["argv"][0])
    result = run([f"{lhs}2 * ({rhs})"] + case["argv"][1:])
    assert result["verdict"] == "value", result["message"]
    assert result["diagnosis"] == {"kind": "factor", "factor": "2"}, result["message"]
    assert "2 times the true gradient" in result["message"]


@pytest.mark.parametrize("case", PASSING, ids=ids(PASSING))
def test_minus_a_passing_formula_is_a_value_failure_naming_minus_1(case):
    lhs, rhs = sides(case["argv"][0])
    result = run([f"{lhs}-({rhs})"] + case["argv"][1:])
    assert result["verdict"] == "value", result["message"]
    assert result["diagnosis"] == {"kind": "factor", "factor": "-1"}, result["message"]
    assert "-1 times the true gradient" in result["message"]


# --- sizes -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", PASSING, ids=ids(PASSING))
def test_a_passing_formula_passes_with_its_sizes_permuted(case):
    sizes = declared_sizes(case["argv"])
    for permuted in permutations(sizes):
        result = run(with_sizes(case["argv"], permuted))
        assert result["verdict"] == "pass", (permuted, result["message"])


@pytest.mark.parametrize("case", PASSING, ids=ids(PASSING))
def test_a_passing_formula_passes_with_every_size_equal(case):
    sizes = declared_sizes(case["argv"])
    result = run(with_sizes(case["argv"], {name: 3 for name in sizes}))
    assert result["verdict"] == "pass", result["message"]


@pytest.mark.parametrize("case", SHAPE_FAILURES, ids=ids(SHAPE_FAILURES))
def test_a_shape_failure_stays_one_at_any_sizes(case):
    sizes = declared_sizes(case["argv"])
    tried = permutations(sizes, 12) + [{n: 1 for n in sizes}, {n: 3 for n in sizes},
                                       {n: 7 + i for i, n in enumerate(sizes)}]
    for chosen in tried:
        result = run(with_sizes(case["argv"], chosen))
        assert result["verdict"] == "shape", (chosen, result["message"])
        assert result["operands"] or result["rhs_shape"] is not None


# --- notation twins ----------------------------------------------------------------------
# For each passing corpus case, the same formula in other notations (slide, LaTeX, numpy).
TWINS = {
    "pub-ng-w3-dZ2": ["dZ^{[2]} = A^{[2]} - Y", "dZ[2] = A[2] - Y",
                      "\\frac{\\partial J}{\\partial Z^{[2]}} = A^{[2]} - Y"],
    "pub-ng-w3-dW2": ["dW^{[2]} = \\frac{1}{m} dZ^{[2]} A^{[1]T}", "dW[2] = 1/m dZ[2] A[1]T",
                      "dW_2 = \\frac{1}{m} dZ_2 A_1^\\top", "dW2 = 1/m * np.dot(dZ2, A1.T)"],
    "pub-ng-w3-db2": ["db^{[2]} = \\frac{1}{m} np.sum(dZ^{[2]}, axis=1, keepdims=True)",
                      "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
                      "db2 = 1./m * dZ2.sum(axis=1, keepdims=True)"],
    "pub-ng-w3-dZ1": ["dZ^{[1]} = W^{[2]T} dZ^{[2]} \\odot g^{[1]\\prime}(Z^{[1]})",
                      "dZ[1] = W[2]T dZ[2] * g[1]'(Z[1])",
                      "dZ1 = np.multiply(np.dot(W2.T, dZ2), g1'(Z1))"],
    "pub-ng-w3-dW1": ["dW^{[1]} = \\frac{1}{m} dZ^{[1]} X^T", "dW[1] = 1/m dZ[1] X^T",
                      "dW1 = 1/m * dZ1 @ A0.T"],
    "pub-ng-w3-db1": ["db^{[1]} = \\frac{1}{m} np.sum(dZ^{[1]}, axis=1, keepdims=True)",
                      "db1 = np.mean(dZ1, axis=1, keepdims=True)"],
    "pub-ng-w3-tanh-fixed": ["dZ^{[1]} = W^{[2]T} dZ^{[2]} \\odot (1 - (A^{[1]})^2)",
                             "dZ1 = W2.T @ dZ2 * (1 - np.square(A1))"],
    "pub-ng-w3-lc-dz1": ["dz^{[1]} = W^{[2]T} dz^{[2]} \\odot g^{[1]\\prime}(z^{[1]})",
                         "dz[1] = W[2]T dz[2] * g[1]'(z[1])"],
    "pub-ng-w4-dA2": ["dA^{[2]} = -\\left(\\frac{Y}{A^{[2]}} - \\frac{1 - Y}{1 - A^{[2]}}\\right)",
                      "dA2 = -(Y / A2 - (1 - Y) / (1 - A2))"],
    "pub-ng-w4-dZ2-L3": ["dZ^{[2]} = W^{[3]T} dZ^{[3]} \\odot g^{[2]\\prime}(Z^{[2]})"],
    "pub-rows-dZ1-poster-order": ["dZ^{[1]} = dZ^{[2]} W^{[2]T} \\odot g^{[1]\\prime}(Z^{[1]})"],
    "pub-li-dW": ["dW^{[l]} = \\frac{1}{m} dZ^{[l]} A^{[l-1]T}", "dW[l] = 1/m dZ[l] A[l-1]T"],
    "pub-li-notation-dW": ["dW = 1/m * dZ @ A_prev.T"],
    "pub-se-dW": ["\\frac{\\partial J}{\\partial W} = "
                  "H^\\top \\left((Y - T) \\odot f'(HW + B)\\right)",
                  "dW = H'((Y - T) * f'(HW + B))"],
    "pub-se-dB": ["{\\partial J \\over \\partial B} = (Y - T) * f'(HW + B)",
                  "dB = (Y - T) \\odot f'(H W + B)"],
    "pub-mc-aXb": ["dX = a b^T", "\\frac{\\partial J}{\\partial X} = a b^\\top",
                   "dX = np.outer(a, b)"],
    "pub-mc-least-squares": ["dw = 2 X^T (X w - y)", "dw = 2 X^\\top (Xw - y)"],
    "pub-mc-softmax": ["dZ = \\operatorname{softmax}(Z) - Y", "dZ = softmax(Z) - Y"],
    "pub-mc-logdet": ["dX = X^{-T}", "dX = (X^{-1})^T", "dX = np.linalg.inv(X.T)"],
    "pub-not-slide-dZ1": ["dZ1 = W2.T @ dZ2 * g1'(Z1)",
                          "dZ^{[1]} = W^{[2]T} dZ^{[2]} \\odot g^{[1]\\prime}(Z^{[1]})"],
    "pub-not-seed-dB": ["dB = (Y - T) * f'(H @ W + B)"],
}
# shape failures keep theirs too
SHAPE_TWINS = {
    "pub-ng-w3-dZ1-poster": ["dZ^{[1]} = dZ^{[2]} W^{[2]T} \\odot g^{[1]\\prime}(Z^{[1]})"],
    "pub-ng-w3-dW1-XT-first": ["dW^{[1]} = \\frac{1}{m} X^T dZ^{[1]}"],
    "pub-not-poster": ["dZ1 = dZ2 @ W2.T * g1'(Z1)"],
    "pub-se-dW-swapped": ["dW = ((Y - T) \\odot f'(HW + B)) H^\\top"],
}
BY_ID = {c["id"]: c for c in CORPUS}


def test_every_passing_case_has_a_twin():
    assert set(TWINS) == {c["id"] for c in PASSING}


@pytest.mark.parametrize("case_id, twin", [(i, t) for i, twins in TWINS.items() for t in twins]
                         + [(i, t) for i, twins in SHAPE_TWINS.items() for t in twins])
def test_a_notation_twin_keeps_the_verdict(case_id, twin):
    case = BY_ID[case_id]
    result = run([twin] + case["argv"][1:])
    assert result["verdict"] == case["expect"], result["message"]
