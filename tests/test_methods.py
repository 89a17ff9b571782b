"""The truth does not depend on how it is taken: entry by entry, by per-example groups or
by random directions, in one batch or many (issue: real sizes)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import shapecheck.check as check_module
import shapecheck.truth as truth
from shapecheck.check import Checker, Options
from shapecheck.truth import Method

CASES = [json.loads(line) for line in Path(__file__).with_name("corpus.jsonl").open()
         if line.strip()]
COURSE = ["dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T",
          "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "dZ1 = W2.T @ dZ2 * g1'(Z1)",
          "dW1 = 1/m * dZ1 @ X.T", "db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)",
          "dW1 = dZ1 @ X.T", "dW1 = -1/m * dZ1 @ X.T", "dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)"]


def outcome(cli, argv):
    result = cli(*argv, "--json")
    assert not result.crashed, repr(result.exception)
    try:
        r = result.json()["results"][0]
    except (ValueError, KeyError, IndexError):
        return ("no report", result.exit_code)
    return (result.exit_code, r["verdict"], r["diagnosis"], r["layer"], r["activation"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_large_size_method_agrees_with_the_exact_one(cli, monkeypatch, case):
    exact = outcome(cli, case["argv"] + ["--exact"])
    # every variable above 0 entries goes to the large-size methods
    monkeypatch.setattr(check_module, "Method",
                        lambda exact, exact_max, probes: Method(exact, 0, probes))
    large = outcome(cli, case["argv"])
    assert large == exact


@pytest.mark.parametrize("exact_max", [0, 512])
def test_methods_give_the_same_verdicts_and_close_errors(exact_max):
    sizes = {"n0": 6, "n1": 5, "n2": 3, "m": 7}
    by_method = Checker(Options(sizes=sizes, exact_max=exact_max))
    by_entry = Checker(Options(sizes=sizes, exact=True))
    for formula in COURSE:
        a, b = by_method.check(formula), by_entry.check(formula)
        assert (a.verdict, a.diagnosis, a.activation) == (b.verdict, b.diagnosis, b.activation)
        if a.verdict == "pass":
            assert a.rel_error < 1e-7 and b.rel_error < 1e-7
        else:
            assert a.rel_error > 1e-2 and b.rel_error > 1e-2


def test_batching_changes_no_result(monkeypatch):
    sizes = {"n0": 20, "n1": 12, "n2": 4, "m": 9}
    whole = [Checker(Options(sizes=sizes, exact_max=0)).check(f) for f in COURSE]
    monkeypatch.setattr(truth, "BATCH_BYTES", 512)  # one or two perturbations per batch
    batched = [Checker(Options(sizes=sizes, exact_max=0)).check(f) for f in COURSE]
    for a, b in zip(whole, batched):
        assert (a.verdict, a.diagnosis) == (b.verdict, b.diagnosis)
        assert a.rel_error == pytest.approx(b.rel_error, rel=1e-3, abs=1e-9)


def test_probes_decide_the_number_of_directions():
    sizes = {"n0": 30, "n1": 20, "n2": 3, "m": 8}
    for probes in (2, 8, 32):
        r = Checker(Options(sizes=sizes, exact_max=0, probes=probes)).check("dW1 = dZ1 @ X.T")
        assert r.verdict == "value"
        assert r.diagnosis == {"kind": "factor", "factor": "m"}
