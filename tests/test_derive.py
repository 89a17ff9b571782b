"""--derive: gradients derived by the chain rule, fed back to the check, shown only if they
pass; --expand, --steps, --latex, JSON `derived`, and what cannot be derived (issue 9)."""
from __future__ import annotations

import re

import pytest

from shapecheck.calculus import derive as derive_module
from shapecheck.result import Options
from shapecheck.session import Checker
from shapecheck.calculus.derive import Derivation, derive
from shapecheck.models.binding import network
from shapecheck.language.parse import parse_equation
from shapecheck.language.printer import to_numpy
from shapecheck.calculus.simplify import simplify

from conftest import COURSE_SIX, SPEC_EXAMPLE, size_args

SE_MODEL = "Y = f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)"
SE_SHAPES = {"H": (1, "h"), "W": ("h", "y"), "B": (1, "y"), "T": (1, "y")}
SE_ARGS = ["--forward", SE_MODEL, "--shape", "H=1,h", "--shape", "W=h,y", "--shape", "B=1,y",
           "--shape", "T=1,y", "--h", "4", "--y", "3"]
LAYERS = {"n0": 4, "n1": 5, "n2": 3, "n3": 2, "m": 6}


def derived(name, sizes=None, expand=False, **options):
    """The library's --derive: a pass Result whose `derived` is the formula, or an error."""
    checker = Checker(Options(sizes=dict(SPEC_EXAMPLE if sizes is None else sizes), **options))
    return checker.derive(name, expand)


def forward(model, shapes, sizes):
    return dict(forward=(model,), shapes=shapes, sizes=sizes)


# --- the course's six gradients, in the course's form (SPEC) -------------------------------

@pytest.mark.parametrize("formula", COURSE_SIX)
def test_the_six_course_gradients_are_derived_in_the_course_form(formula, check):
    name = formula.split(" =")[0]
    r = derived(name)
    assert r.verdict == "pass", r.message
    assert r.derived == formula
    assert r.formula == formula and r.rel_error < 1e-6
    assert check(r.derived).verdict == "pass"  # fed back to shapecheck


def test_other_course_gradients_and_conventions():
    assert derived("dA1").derived == "dA1 = W2.T @ dZ2"
    assert derived("dX").derived == "dX = W1.T @ dZ1"
    assert derived("dA2").verdict == "pass"
    # one example: lower-case names, no 1/m (m = 1)
    assert derived("dz1", sizes={"n0": 3, "n1": 4}).derived == "dz1 = W2.T @ dz2 * g1'(z1)"
    assert derived("dx", sizes={"n0": 3, "n1": 4}).derived == "dx = W1.T @ dz1"
    # examples in rows
    assert derived("dW1", layout="rows").derived == "dW1 = 1/m * X.T @ dZ1"
    assert derived("db1", layout="rows").derived == "db1 = 1/m * np.sum(dZ1, axis=0, keepdims=True)"
    # a one-layer network: its last layer is layer 1
    assert derived("dZ1", layers=1).derived == "dZ1 = A1 - Y"


def test_softmax_output_with_cross_entropy_gives_A_minus_Y():
    r = derived("dZ2", sizes={"n0": 3, "n1": 4, "n2": 3, "m": 5}, activations={"g2": "softmax"})
    assert r.verdict == "pass" and r.derived == "dZ2 = A2 - Y"


def test_expand_substitutes_until_only_model_quantities_remain():
    r = derived("dW1", expand=True)
    assert r.verdict == "pass", r.message
    assert r.derived == "dW1 = 1/m * (W2.T @ (A2 - Y) * g1'(Z1)) @ X.T"
    assert not re.search(r"\bd[A-Z]", r.derived.split("=", 1)[1])


# --- generic layers: derived at a layer, written back in the generic names ---------------

@pytest.mark.parametrize("name, formula", [
    ("dW", "dW = 1/m * dZ @ A_prev.T"),
    ("db", "db = 1/m * np.sum(dZ, axis=1, keepdims=True)"),
    ("dZ", "dZ = dA * g'(Z)"),
    ("dA_prev", "dA_prev = W.T @ dZ"),
])
def test_generic_layer_gradients(name, formula, check):
    r = derived(name, sizes=LAYERS, layers=3)
    assert r.verdict == "pass", r.message
    assert r.derived == formula
    assert check(formula, sizes=LAYERS, layers=3).verdict == "pass"


def test_generic_names_need_L_and_a_formula_within_one_layer():
    assert "--L" in derived("dW").message
    r = derived("dA", sizes=LAYERS, layers=3)
    assert r.verdict == "error" and "other layers" in r.message
    r = derived("dW", sizes=LAYERS, layers=3, expand=True)
    assert r.verdict == "error" and "--expand" in r.message


# --- --forward models: the stackexchange model and the identities of the models issue -----

def test_stackexchange_model_dW_and_dB():
    options = forward(SE_MODEL, SE_SHAPES, {"h": 4, "y": 3})
    assert derived("dW", **options).derived == "dW = H.T @ (dY * f'(H @ W + B))"
    assert derived("dB", **options).derived == "dB = dY * f'(H @ W + B)"
    expanded = derived("dW", expand=True, **options)
    assert expanded.verdict == "pass"
    assert expanded.derived == "dW = H.T @ ((Y - T) * f'(H @ W + B))"
    assert derived("dB", expand=True, **options).derived == "dB = (Y - T) * f'(H @ W + B)"


IDENTITIES = [
    ("J = a.T @ X @ b", {"a": ("p", 1), "X": ("p", "q"), "b": ("q", 1)}, {"p": 2, "q": 5},
     "dX", "dX = a @ b.T"),
    ("J = x.T @ A @ x", {"x": ("n", 1), "A": ("n", "n")}, {"n": 3}, "dx", "dx = (A + A.T) @ x"),
    ("J = np.trace(A @ X)", {"A": ("n", "n"), "X": ("n", "n")}, {"n": 3}, "dX", "dX = A.T"),
    ("J = np.trace(X.T @ A @ X)", {"A": ("n", "n"), "X": ("n", "k")}, {"n": 3, "k": 2},
     "dX", "dX = (A + A.T) @ X"),
    ("J = np.sum((X @ w - y) ** 2)", {"X": ("m", "n"), "w": ("n", 1), "y": ("m", 1)},
     {"m": 6, "n": 4}, "dw", "dw = 2 * X.T @ (X @ w - y)"),
    ("P = sigmoid(X @ w); J = -np.sum(y * np.log(P) + (1 - y) * np.log(1 - P))",
     {"X": ("m", "n"), "w": ("n", 1), "y": ("m", 1)}, {"m": 7, "n": 3}, "dw", "dw = X.T @ (P - y)"),
    ("A = softmax(Z, axis=0); J = -np.sum(Y * np.log(A))", {"Z": ("k", "m"), "Y": ("k", "m")},
     {"k": 4, "m": 5}, "dZ", "dZ = A - Y"),
    ("J = np.log(np.linalg.det(X))", {"X": ("n", "n")}, {"n": 3}, "dX", "dX = np.linalg.inv(X).T"),
    ("J = np.trace(np.linalg.inv(X) @ A)", {"X": ("n", "n"), "A": ("n", "n")}, {"n": 3},
     "dX", "dX = -np.linalg.inv(X).T @ A.T @ np.linalg.inv(X).T"),
]


@pytest.mark.parametrize("model, shapes, sizes, name, formula", IDENTITIES)
def test_identities_are_derived_and_pass(model, shapes, sizes, name, formula):
    r = derived(name, expand=True, **forward(model, shapes, sizes))
    assert r.verdict == "pass", r.message
    assert r.derived == formula
    fed_back = Checker(Options(**forward(model, shapes, sizes))).check(r.derived)
    assert fed_back.verdict == "pass"


def test_unexpanded_forward_gradients_name_the_next_quantity():
    logistic, shapes, sizes = IDENTITIES[5][:3]
    assert derived("dw", **forward(logistic, shapes, sizes)).derived == \
        "dw = X.T @ (dP * sigmoid'(X @ w))"
    softmax, shapes, sizes = IDENTITIES[6][:3]
    r = derived("dZ", **forward(softmax, shapes, sizes))
    assert r.verdict == "pass"
    assert r.derived == "dZ = A * (dA - np.sum(dA * A, axis=0, keepdims=True))"


CONSTRUCT_SIZES = {"n": 3, "k": 2, "m": 5, "d": 3, "h": 4, "c": 2}
# every construct of the chain rule, in a --forward model (tests/test_roundtrip reads them too)
CONSTRUCTS = [
    ("J = np.sum(b * X)", {"X": ("n", "k"), "b": ("n", 1)}, "db"),       # broadcast bias
    ("J = np.sum(b * X)", {"X": ("n", "k"), "b": ("n", 1)}, "dX"),
    ("J = np.sum(s + X)", {"X": ("n", "k"), "s": ()}, "ds"),              # a broadcast scalar
    ("J = np.mean(np.exp(X) / np.sqrt(v))", {"X": ("n", "k"), "v": ("n", 1)}, "dv"),
    ("S = np.sum(X, axis=1); J = np.sum(S ** 2)", {"X": ("n", "k")}, "dX"),
    ("S = np.mean(X, axis=0); J = np.sum(np.tanh(S) ** 3)", {"X": ("n", "k")}, "dX"),
    ("J = np.linalg.norm(X @ w)", {"X": ("n", "k"), "w": ("k", 1)}, "dw"),
    ("J = np.linalg.det(X)", {"X": ("n", "n")}, "dX"),
    ("J = np.sum(np.maximum(0, X - 1) * np.log1p(X ** 2))", {"X": ("n", "k")}, "dX"),
    ("H = np.tanh(X @ W1 + b1); Y = softmax(H @ W2 + b2, axis=1); "
     "J = -np.mean(np.sum(T * np.log(Y), axis=1))",
     {"X": ("m", "d"), "W1": ("d", "h"), "b1": (1, "h"), "W2": ("h", "c"), "b2": (1, "c"),
      "T": ("m", "c")}, "dW1"),
    ("J = np.sum(np.outer(a, b) * C)", {"a": ("n",), "b": ("k",), "C": ("n", "k")}, "da"),
    ("J = a @ (M @ b)", {"a": ("n",), "b": ("k",), "M": ("n", "k")}, "dM"),     # 1-D products
    ("J = np.sum(v @ M)", {"v": ("n",), "M": ("n", "k")}, "dv"),
    ("J = np.sum(np.where(X > 0, X, 2 * X) ** 2)", {"X": ("n", "k")}, "dX"),
    ("Z = W @ X + b; A = relu(Z); J = np.sum(A ** 2) / m",
     {"W": ("n", "k"), "X": ("k", "m"), "b": ("n", 1)}, "db"),
    ("J = np.sum(X / X.sum(axis=1, keepdims=True) * Y)", {"X": ("n", "k"), "Y": ("n", "k")}, "dX"),
    ("J = np.sum(softplus(X) * np.sqrt(Y) - np.tanh(X) / Y)", {"X": ("n", "k"), "Y": ("n", "k")},
     "dY"),
]


@pytest.mark.parametrize("model, shapes, name", CONSTRUCTS)
@pytest.mark.parametrize("expand", [False, True])
def test_every_construct_derives_to_a_passing_formula(model, shapes, name, expand):
    sizes = CONSTRUCT_SIZES
    r = derived(name, expand=expand, **forward(model, shapes, sizes))
    assert r.verdict == "pass", r.message


# --- readability -------------------------------------------------------------------------

UNREADABLE = re.compile(r"\.T\.T|(?<![\w.])1 \*|\* 1(?![\w.])|(?<![\w.])0 \+|\+ 0(?![\w.])|--")


def test_derived_formulas_are_readable():
    results = [derived(n) for n in ("dZ2", "dW2", "db2", "dZ1", "dW1", "db1", "dA1", "dX", "dA2")]
    results += [derived(n, expand=True) for n in ("dW1", "db1", "dX")]
    results += [derived(name, expand=e, **forward(*case[:3]))
                for case in IDENTITIES for name in (case[3],) for e in (False, True)]
    for r in results:
        assert r.verdict == "pass", r.message
        assert not UNREADABLE.search(r.derived), r.derived


@pytest.mark.parametrize("text, simplified", [
    ("d = 1 * (a.T).T + 0", "a"),
    ("d = (1/m) * (dZ1 @ X.T)", "1/m * dZ1 @ X.T"),
    ("d = m * (1/m) * (A2 - Y)", "A2 - Y"),
    ("d = A @ x + A.T @ x", "(A + A.T) @ x"),
    ("d = x @ A + x @ B", "x @ (A + B)"),
    ("d = (a.T @ X).T", "X.T @ a"),
    ("d = -(A - B)", "B - A"),
    ("d = x * 1 + 0 * y", "x"),
    ("d = np.eye(n) @ A.T", "A.T"),
    ("d = 2 * (1/2) * (Y - T)", "Y - T"),
    ("d = x + x", "2 * x"),
    ("d = -2 * x + y", "y - 2 * x"),
    ("d = 1/m * (W @ (A - Y) * G) @ X.T", "1/m * (W @ (A - Y) * G) @ X.T"),
])
def test_simplifier(text, simplified):
    node = parse_equation(text).rhs
    assert to_numpy(simplify(node, sizes={"m", "n"})) == simplified


# --- --steps -------------------------------------------------------------------------------

def test_steps_for_dZ1(cli):
    r = cli("--derive", "dZ1", "--steps", *size_args(SPEC_EXAMPLE))
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "dZ1 = W2.T @ dZ2 * g1'(Z1)" in lines[0] and "pass" in lines[0]
    steps = [line.strip() for line in lines[1:] if re.match(r"\s+\d\. ", line)]
    assert steps == [
        "1. Z2 = W2 @ A1 + b2, so dA1 = W2.T @ dZ2: for a product P = M @ N, dN = M.T @ dP; "
        "W2.T is (n1, n2), dZ2 is (n2, m), so dA1 is (n1, m) like A1",
        "2. A1 = g1(Z1), so dZ1 = dA1 * g1'(Z1): for an element-wise function P = g1(M), "
        "dM = dP * g1'(M); dA1 is (n1, m), g1'(Z1) is (n1, m), so dZ1 is (n1, m) like Z1",
        "3. substituting dA1 = W2.T @ dZ2: dZ1 = W2.T @ dZ2 * g1'(Z1)",
    ]


def test_steps_for_the_stackexchange_model(cli):
    r = cli("--derive", "dW", "--steps", *SE_ARGS)
    assert r.exit_code == 0, r.stderr
    assert "U = H @ W + B, so dW = H.T @ dU: for a product P = M @ N, dN = M.T @ dP; " \
           "H.T is (h, 1), dU is (1, y), so dW is (h, y) like W" in r.stdout
    assert "Y = f(U) where U = H @ W + B, so dU = dY * f'(U)" in r.stdout


def test_steps_name_the_convention_the_pairing_and_broadcasting():
    d = derived("dW1", expand=True).derivation
    text = "\n".join(f"{st.equation} | {st.gradient} | {st.rule} | {st.shapes}" for st in d.steps)
    assert "sigmoid output under the binary cross-entropy" in text
    assert "the course's convention" in text
    assert "substituting dZ1 = W2.T @ (A2 - Y) * g1'(Z1)" in text
    db = derived("db1").derivation
    assert "b1 is (n1, 1), broadcast to (n1, m), so its gradient is summed over axis 1" in \
        db.steps[0].rule


# --- --latex -------------------------------------------------------------------------------

def test_latex_in_the_notation_of_the_model(cli):
    r = cli("--derive", "dW", "--expand", "--latex", *SE_ARGS)
    assert r.exit_code == 0, r.stderr
    assert r"dW = H^\top \left((Y - T) \odot f'(HW + B)\right)" in r.stdout
    course = cli("--derive", "dZ1", "--derive", "dW1", "--latex", *size_args(SPEC_EXAMPLE))
    assert r"dZ^{[1]} = W^{[2]T} dZ^{[2]} \odot g^{[1]\prime}(Z^{[1]})" in course.stdout
    assert r"dW^{[1]} = \frac{1}{m} dZ^{[1]} X^\top" in course.stdout
    generic = derived("dW", sizes=LAYERS, layers=3).derivation.latex
    assert generic == r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}"


@pytest.mark.parametrize("name, options", [
    ("dZ1", {}), ("dW1", {}),
    ("dW", forward(SE_MODEL, SE_SHAPES, {"h": 4, "y": 3})),
])
def test_the_latex_reads_back_as_a_passing_formula(name, options):
    options = {"sizes": dict(SPEC_EXAMPLE), **options}
    checker = Checker(Options(**options))
    latex = checker.derive(name, expand=True).derivation.latex
    assert checker.check(latex).verdict == "pass", latex


# --- JSON, errors --------------------------------------------------------------------------

def test_json_has_derived(cli):
    r = cli("--derive", "dW1", "dZ2 = A2 - Y", "--json", *size_args(SPEC_EXAMPLE))
    assert r.exit_code == 0
    items = r.json()["results"]
    assert [i["derived"] for i in items] == [None, "dW1 = 1/m * dZ1 @ X.T"]
    assert items[1]["verdict"] == "pass" and items[1]["formula"] == "dW1 = 1/m * dZ1 @ X.T"


def test_an_underivable_request_is_a_clear_error(cli):
    r = cli("--derive", "dQ", *size_args(SPEC_EXAMPLE))
    assert r.exit_code == 2 and not r.crashed
    assert "cannot derive dQ: dQ is not the gradient of a quantity of the model" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    r = cli("--derive", "dX", "--forward", "J = np.max(X)", "--shape", "X=n,k")
    assert r.exit_code == 2 and "np.max has no rule" in r.stderr
    r = cli("--derive", "dW", *size_args(SPEC_EXAMPLE), "--json")
    assert r.exit_code == 2
    [item] = r.json()["results"]
    assert item["verdict"] == "error" and item["derived"] is None


def test_a_derivation_that_does_not_pass_is_never_shown(monkeypatch):
    wrong = parse_equation("dW1 = dZ1 @ X.T")  # missing 1/m

    def fake(*args, **kwargs):
        return Derivation("dW1", wrong.rhs, "dW1 = dZ1 @ X.T", "", ())
    monkeypatch.setattr(derive_module, "derive_name", fake)
    r = derived("dW1")
    assert r.verdict == "error" and r.derived is None
    assert "no derivation of dW1 could be verified" in r.message
    assert "dZ1 @ X.T" not in r.message


def test_derive_options_need_derive(cli):
    for flag in ("--expand", "--latex", "--steps"):
        r = cli("dZ2 = A2 - Y", flag, *size_args(SPEC_EXAMPLE))
        assert r.exit_code == 2 and "--derive" in r.stderr


def test_derive_alone_is_something_to_check(cli):
    r = cli("--derive", "dZ2", "--derive", "db2", *size_args(SPEC_EXAMPLE))
    assert r.exit_code == 0, r.stderr
    assert "dZ2 = A2 - Y" in r.stdout and "2 formulas: 2 pass" in r.stdout


def test_library_derive_returns_none_where_no_rule_applies():
    model = network(2)
    assert derive(model, "W1").numpy == "dW1 = 1/m * dZ1 @ X.T"
    assert derive(model, "W1", expand=True).numpy == \
        "dW1 = 1/m * (W2.T @ (A2 - Y) * g1'(Z1)) @ X.T"
    checker = Checker(Options(forward=("J = np.max(X)",), shapes={"X": ("n", "k")}))
    assert derive(checker.binder.forward_model(), "X") is None


PAIRINGS = [
    ("H = np.tanh(X @ W1 + b1); Y = softmax(H @ W2 + b2, axis=1); "
     "J = -np.mean(np.sum(T * np.log(Y), axis=1))",
     {"X": ("m", "d"), "W1": ("d", "h"), "b1": (1, "h"), "W2": ("h", "c"), "b2": (1, "c"),
      "T": ("m", "c")}, {"m": 5, "d": 3, "h": 4, "c": 2}, "dW2", "dW2 = 1/m * H.T @ (Y - T)"),
    ("P = sigmoid(X @ w + b); J = -np.mean(y * np.log(P) + (1 - y) * np.log(1 - P))",
     {"X": ("m", "n"), "w": ("n", 1), "y": ("m", 1), "b": ()}, {"m": 7, "n": 3},
     "db", "db = 1/m * np.sum(P - y)"),
    ("A = softmax(Z); J = -np.sum(Y * np.log(A)) / m", {"Z": ("k", "m"), "Y": ("k", "m")},
     {"k": 4, "m": 5}, "dZ", "dZ = 1/m * (A - Y)"),
]


@pytest.mark.parametrize("model, shapes, sizes, name, formula", PAIRINGS)
def test_pairings_under_a_mean_cost_keep_its_factor(model, shapes, sizes, name, formula):
    r = derived(name, expand=True, **forward(model, shapes, sizes))
    assert r.verdict == "pass", r.message
    assert r.derived == formula


def test_a_model_written_in_latex_gets_its_results_in_latex_too(cli):
    r = cli("--derive", "dW", "--forward", r"Y = f(H W + B); J = \frac{1}{2} \sum (Y - T)^2",
            *SE_ARGS[2:])
    assert r.exit_code == 0, r.stderr
    assert "dW = H.T @ (dY * f'(H @ W + B))" in r.stdout
    assert r"LaTeX  dW = H^\top \left(dY \odot f'(HW + B)\right)" in r.stdout


def test_g_prime_of_a_softmax_layer_is_an_error_not_a_crash(check, cli):
    sizes = {"n0": 2, "n1": 3, "n2": 4, "m": 5}
    r = check("dZ = dA * g'(Z)", sizes=sizes, layers=2, activations={"g2": "softmax"})
    assert r.verdict == "error" and "not an element-wise function" in r.message
    r = derived("dZ", sizes=sizes, layers=2, activations={"g2": "softmax"})
    assert r.verdict == "error" and r.derived is None  # holds below the softmax layer only
