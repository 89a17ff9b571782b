"""Round trips (issue 17, item 4): every formula shapecheck prints, the numpy and the LaTeX
of a --derive, a repair's "did you mean", the numpy reading --explain shows, is read back by
shapecheck and gets the same verdict, pass. The derivations are every one the test suite
makes (tests/test_derive.py) and every gradient of the built-in network at several depths,
layouts, and in single-example and generic names."""
from __future__ import annotations

import pytest

from shapecheck.result import Options
from shapecheck.session import Checker

from conftest import SPEC_EXAMPLE
from test_corpus import load_cases
from test_repair import REPAIRED
from test_derive import (CONSTRUCT_SIZES, CONSTRUCTS, IDENTITIES, LAYERS, PAIRINGS, SE_MODEL,
                         SE_SHAPES)


def _network(layers: int) -> dict:
    return {**{f"n{l}": 3 + l for l in range(layers + 1)}, "m": 5}


def _network_names(layers: int) -> list[str]:
    return [f"d{base}{l}" for l in range(1, layers + 1) for base in "WbZA"] + ["dX"]


def _forward(model, shapes, sizes) -> dict:
    return dict(forward=(model,), shapes=shapes, sizes=sizes)


# (case id, options, the names derived): every derivation the suite makes, and more
DERIVATIONS = [
    *[(f"network-L{l}-{layout}", dict(sizes=_network(l), layers=l, layout=layout),
       _network_names(l)) for l in (1, 2, 3) for layout in ("columns", "rows")],
    ("network-softmax", dict(sizes={"n0": 3, "n1": 4, "n2": 3, "m": 5},
                             activations={"g2": "softmax"}), _network_names(2)),
    ("spec-example", dict(sizes=dict(SPEC_EXAMPLE)), _network_names(2)),
    ("single-example", dict(sizes={"n0": 3, "n1": 4}), ["dz1", "dz2", "da1", "dx", "dW1", "db1"]),
    ("generic", dict(sizes=LAYERS, layers=3), ["dW", "db", "dZ", "dA_prev"]),
    ("stackexchange", _forward(SE_MODEL, SE_SHAPES, {"h": 4, "y": 3}), ["dW", "dB", "dH"]),
    *[(f"identity-{i}", _forward(model, shapes, sizes), [name])
      for i, (model, shapes, sizes, name, _formula) in enumerate(IDENTITIES)],
    *[(f"construct-{i}", _forward(model, shapes, CONSTRUCT_SIZES), [name])
      for i, (model, shapes, name) in enumerate(CONSTRUCTS)],
    *[(f"pairing-{i}", _forward(model, shapes, sizes), [name])
      for i, (model, shapes, sizes, name, _formula) in enumerate(PAIRINGS)],
    # every kind of record's LaTeX, in a derived formula
    *[(f"record-{i}", _forward(model, {"X": ("n", "k"), "Y": ("n", "k"), "M": ("n", "n"),
                                       "a": ("n",), "v": ("n", 1)},
                               {"n": 3, "k": 2}), ["dX"])
      for i, model in enumerate([
          "J = np.sum(X) / np.linalg.norm(X)",
          "J = np.sum(np.linalg.inv(X @ X.T + M) ** 2) + np.trace(np.outer(a, a) @ X @ X.T)",
          "J = np.sum(softmax(X, axis=1) * Y) + np.sum(np.mean(X, axis=0, keepdims=True) ** 2)",
          "J = np.sum(np.clip(X, -1, 1) * Y + np.abs(X) * np.cbrt(Y) + np.log1p(X ** 2))",
          "J = np.sum(np.where(X > 0, np.expm1(X), Y) + np.minimum(X, Y) ** 2)",
          "J = np.log(np.linalg.det(X @ X.T + M)) + np.sum(leaky_relu(X) * Y)",
          "J = np.sum(np.sum(X, axis=1, keepdims=True) * v) + np.sum(relu(X) * np.sqrt(Y))",
          # the numpy of the assignments (issue 18): einsum's subscripts, constants, shapes
          "J = np.sum(Y * np.einsum('ij,kj->ik', M, X.T)) + np.sum(np.ones((n, n)) @ X * Y)",
          "J = np.sum(np.var(X, axis=0, keepdims=True) ** 2) + np.sum(Y * X.reshape(X.shape[0], -1))",
      ])],
]


def _derivations(options: dict, names: list[str]):
    """Each derivation (unexpanded and expanded) that passes its own check: some names have
    none (dA of the last layer of a softmax, dX with --expand in generic names)."""
    checker = Checker(Options(**options))
    for name in names:
        for expand in (False, True):
            result = checker.derive(name, expand)
            if result.verdict == "pass":
                yield checker, result.derivation


@pytest.mark.parametrize("options, names", [case[1:] for case in DERIVATIONS],
                         ids=[case[0] for case in DERIVATIONS])
def test_every_derivation_reads_back_as_a_pass(options, names):
    """Its numpy, its LaTeX and the numpy --explain shows for that LaTeX are each read back
    and pass."""
    seen = 0
    for checker, derivation in _derivations(options, names):
        seen += 1
        for shown in (derivation.numpy, derivation.latex):
            result = checker.check(shown)
            assert result.verdict == "pass", (shown, result.message)
        explained = checker.explain(derivation.latex)
        assert explained.numpy, (derivation.latex, explained.problem)
        result = checker.check(explained.numpy)
        assert result.verdict == "pass", (derivation.latex, explained.numpy, result.message)
    assert seen >= len(names)  # most names derive, both ways


def test_the_sum_over_examples_is_printed_as_a_sum_with_limits():
    checker = Checker(Options(sizes={"n0": 3, "n1": 4, "m": 5}))
    latex = checker.derive("db1").derivation.latex
    assert latex == r"db^{[1]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[1]}"
    rows = Checker(Options(sizes={"n0": 3, "n1": 4, "m": 5}, layout="rows"))
    assert rows.derive("db1").derivation.latex == latex  # examples in rows: the same sum
    generic = Checker(Options(sizes=LAYERS, layers=3)).derive("db").derivation.latex
    assert generic == r"db^{[l]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[l]}"


def test_a_sum_along_another_axis_is_printed_as_the_call_it_is():
    softmax = _forward("A = softmax(Z, axis=0); J = -np.sum(Y * np.log(A))",
                       {"Z": ("k", "m"), "Y": ("k", "m")}, {"k": 4, "m": 5})
    latex = Checker(Options(**softmax)).derive("dZ").derivation.latex
    assert latex == r"dZ = A \odot \left(dA - \sum(dA \odot A, axis=0, keepdims=True)\right)"


# --- repairs ---------------------------------------------------------------------------------

REPAIRABLE = [c for c in load_cases() if c["id"] in REPAIRED]


@pytest.mark.parametrize("case", REPAIRABLE, ids=[c["id"] for c in REPAIRABLE])
def test_the_repairs_of_the_corpus_read_back_as_a_pass(case):
    """Through the library: the repair shown is checked again, with the same options."""
    checker = Checker(_options(case["argv"][1:]))
    result = checker.check(case["argv"][0])
    assert result.verdict == case["expect"] and result.repair, result.message
    again = checker.check(result.repair["formula"])
    assert again.verdict == "pass", (result.repair["formula"], again.message)


def _options(argv: list[str]) -> Options:
    """The corpus's options (sizes, --L, --forward, --shape, --layout) as library Options."""
    sizes, options, shapes = {}, {}, {}
    for flag, value in zip(argv[::2], argv[1::2]):
        if flag == "--L":
            options["layers"] = int(value)
        elif flag == "--forward":
            options["forward"] = options.get("forward", ()) + (value,)
        elif flag == "--shape":
            name, dims = value.split("=")
            shapes[name] = tuple(int(d) if d.isdigit() else d for d in dims.split(","))
        elif flag == "--layout":
            options["layout"] = value
        else:
            sizes[flag[2:]] = int(value)
    return Options(sizes=sizes, shapes=shapes, **options)


@pytest.mark.parametrize("wrong", [
    r"db^{[1]} = \sum_{i=1}^{m} dZ^{[1]}",                   # the 1/m forgotten
    r"db^{[1]} = \frac{1}{m} \sum(dZ^{[1]})",                # a total, not a sum over examples
    r"dW^{[1]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[1]} X^\top",  # no sum in dW
])
def test_the_repairs_of_latex_sums_read_back_as_a_pass(wrong):
    checker = Checker(Options(sizes={"n0": 3, "n1": 4, "m": 5}))
    result = checker.check(wrong)
    assert result.verdict in ("shape", "value"), result.message
    if result.repair:  # where a small edit repairs it, the edit passes
        again = checker.check(result.repair["formula"])
        assert again.verdict == "pass", (result.repair["formula"], again.message)


# --- reading the sums over examples --------------------------------------------------------

COURSE = {"n0": 3, "n1": 4, "n2": 2, "m": 5}


@pytest.mark.parametrize("text", [
    r"db^{[1]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[1]}",
    r"db^{[1]} = \frac{1}{m}\sum_{i=1}^m dZ^{[1]}",
    r"db^{[1]} = \frac{1}{m} \sum^{m}_{i=1} dZ^{[1]}",
    r"db^{[1]} = \frac{1}{m} \sum_{i=0}^{m-1} dZ^{[1]}",
    r"db^{[1]} = \frac{1}{m} \sum_{k=1}^{m} dZ^{[1]}",
    r"db^{[1]} = \frac{1}{m} \sum_i dZ^{[1]}",
    r"db1 = 1/m \sum_{i} dZ1",
    r"db1 = 1/m * ∑_{i=1}^{m} dZ1",
])
@pytest.mark.parametrize("layout, axis", [("columns", 1), ("rows", 0)])
def test_a_sum_over_examples_is_numpys_sum_along_the_examples_axis(text, layout, axis):
    checker = Checker(Options(sizes=COURSE, layout=layout))
    assert checker.explain(text).numpy == f"db1 = 1/m * np.sum(dZ1, axis={axis}, keepdims=True)"
    assert checker.check(text).verdict == "pass"


def test_a_sum_over_examples_of_the_wrong_quantity_fails_as_its_numpy_twin_does():
    checker = Checker(Options(sizes=COURSE))
    latex = checker.check(r"db^{[1]} = \sum_{i=1}^{m} dZ^{[1]}")  # 1/m forgotten
    numpy = checker.check("db1 = np.sum(dZ1, axis=1, keepdims=True)")
    assert latex.verdict == numpy.verdict == "value"
    assert checker.check(r"db^{[1]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[2]}").verdict == "shape"


@pytest.mark.parametrize("text, message, marked", [
    (r"db1 = \frac{1}{m} \sum_{j=1}^{n1} dZ1", "is not the sum over the m examples",
     r"\sum_{j=1}^{n1}"),
    (r"db1 = \frac{1}{m} \sum_{i=1} dZ1", "is not the sum over the m examples", r"\sum_{i=1}"),
    (r"db1 = \frac{1}{m} \sum_j dZ1", "without limits only the example index i is read", r"\sum_j"),
    (r"db1 = \frac{1}{m} \sum_i W1", "holds no quantity with one entry per example", "W1"),
])
def test_other_indices_and_limits_are_refused_with_what_to_write(text, message, marked):
    result = Checker(Options(sizes=COURSE)).check(text)
    assert result.verdict == "error" and message in result.message
    assert "np.sum(A, axis=..., keepdims=True)" in result.message  # what to write instead
    assert text[result.span[0]:result.span[1]] == marked


def test_a_sum_over_examples_needs_a_model_whose_examples_run_along_one_axis():
    one_example = Checker(Options(sizes={"n0": 3, "n1": 4})).check(r"db1 = \sum_i dz1")
    assert one_example.verdict == "error"
    assert "where the examples run is not known" in one_example.message
    total = Checker(Options(sizes=COURSE)).check(r"db1 = \frac{1}{m} \sum(dZ1)")
    assert total.verdict == "shape"  # \sum(A) stays the total of all entries
