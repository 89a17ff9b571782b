"""Issue 17, names: an unknown called name is no open activation, an unknown variable no
quiet guess. Each is refused (exit 2) at its place, with the closest known names."""
from __future__ import annotations

import numpy as np
import pytest

from shapecheck import functions

SIZES = ("--n0", "3", "--n1", "4", "--m", "5")
FORWARD = ("--shape", "X=m,d", "--shape", "V=d,h", "--shape", "W=h,y", "--shape", "T=m,y")


def caret_under(stderr: str, word: str) -> bool:
    """Whether the error's caret line marks exactly `word` in the echoed formula."""
    lines = stderr.splitlines()
    for formula, marks in zip(lines, lines[1:]):
        start = marks.find("^")
        if start >= 0 and set(marks.strip()) == {"^"}:
            return formula[start:start + len(marks.strip())] == word
    return False


@pytest.mark.parametrize("formula, name, suggested", [
    ("dZ1 = W2.T @ dZ2 * tanhh'(Z1)", "tanhh", "tanh"),      # the issue's own example
    ("dZ1 = W2.T @ dZ2 * tanhh(Z1)", "tanhh", "tanh"),       # called, not derived
    ("dZ1 = W2.T @ dZ2 * sigmod'(Z1)", "sigmod", "sigmoid"),
    ("dZ1 = W2.T @ dZ2 * softplsu'(Z1)", "softplus", "softplus"),
], ids=["tanhh-derivative", "tanhh-call", "sigmod", "softplsu"])
def test_a_misspelt_function_is_refused_with_the_closest_known_name(cli, formula, name,
                                                                    suggested):
    result = cli(formula, *SIZES)
    assert result.exit_code == 2 and not result.crashed
    written = formula.split("* ")[1].split("'")[0].split("(")[0]
    assert f"{written} is not a function shapecheck knows" in result.stderr
    assert f"did you mean {suggested}" in result.stderr
    assert caret_under(result.stderr, written)


def test_an_unknown_name_with_nothing_close_lists_the_activations(cli):
    result = cli("dZ1 = W2.T @ dZ2 * q1'(Z1)", *SIZES)
    assert result.exit_code == 2
    assert "q1 is not a function shapecheck knows" in result.stderr
    assert "the activations it knows are tanh, sigmoid" in result.stderr


def test_an_unknown_function_is_refused_with_values_off_too(cli):
    result = cli("dZ1 = W2.T @ dZ2 * tanhh'(Z1)", *SIZES, "--no-values")
    assert result.exit_code == 2
    assert "did you mean tanh" in result.stderr


def test_an_unknown_function_is_an_error_in_json(cli):
    result = cli("dZ1 = W2.T @ dZ2 * tanhh'(Z1)", *SIZES, "--json")
    assert result.exit_code == 2
    assert "did you mean tanh" in result.stdout + result.stderr


@pytest.mark.parametrize("formula", [
    "dZ1 = W2.T @ dZ2 * g1'(Z1)",
    "dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]}'(Z^{[1]})",
    "dZ1 = W2.T @ dZ2 * f1'(Z1)",
    "dZ1 = W2.T @ dZ2 * h1'(Z1)",
    "dZ1 = W2.T @ dZ2 * phi1'(Z1)",
    "dZ1 = W2.T @ dZ2 * f'(Z1)",  # SPEC's table: `f(HW)`, `f'(U)`, a bare letter
], ids=["g1", "g-layer-mark", "f1", "h1", "phi1", "bare-f"])
def test_a_single_letter_activation_is_still_open(cli, formula):
    result = cli(formula, *SIZES)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_the_generic_layer_g_with_L_is_still_open(cli):
    result = cli("dZ = dA * g'(Z)", "--L", "2", "--n0", "3", "--n1", "4", "--n2", "2",
                 "--m", "5")
    assert "is not a function shapecheck knows" not in result.stdout + result.stderr


def test_an_open_activation_is_still_checked_for_every_activation(cli):
    # tanh' is known: a formula right only for tanh still fails as before
    result = cli("dZ1 = W2.T @ dZ2 * tanh'(Z1)", *SIZES)
    assert result.exit_code == 1
    assert "g1 is open" in result.stdout


def test_closest_queries_the_table():
    assert functions.closest("tanhh")[0] == "tanh"
    assert functions.closest("sigmod")[0] == "sigmoid"
    assert functions.closest("zzzzzz") == []


def test_a_forward_model_with_an_unknown_function_is_refused(cli):
    result = cli("dW = H.T @ (Y - T)",
                 "--forward", "H = tanhh(X @ V); Y = H @ W; J = 0.5 * sum((Y - T)**2)", *FORWARD)
    assert result.exit_code == 2 and not result.crashed
    assert "--forward equation 'H = tanhh(X @ V)'" in result.stderr
    assert "did you mean tanh" in result.stderr


def test_a_forward_model_with_an_open_letter_still_passes(cli):
    result = cli("dW = H.T @ (Y - T)",
                 "--forward", "H = f(X @ V); Y = H @ W; J = 0.5 * sum((Y - T)**2)", *FORWARD)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_a_formula_on_a_forward_model_calling_an_unknown_name_is_refused(cli):
    result = cli("dV = X.T @ ((Y - T) @ W.T * fx'(X @ V))",
                 "--forward", "H = f(X @ V); Y = H @ W; J = 0.5 * sum((Y - T)**2)", *FORWARD)
    assert result.exit_code == 2
    assert "fx is not a function shapecheck knows" in result.stderr
    assert caret_under(result.stderr, "fx")


@pytest.mark.parametrize("formula, name, suggested", [
    ("dZ1 = W2.T @ dZ2 * g1'(Zl)", "Zl", "Z1"),          # l for 1
    ("dZ1 = W2.T @ dZz2 * g1'(Z1)", "dZz2", "dZ2"),      # a doubled letter in a gradient
], ids=["Zl", "dZz2"])
def test_an_unknown_variable_is_refused_with_the_closest_names(cli, formula, name, suggested):
    result = cli(formula, *SIZES)
    assert result.exit_code == 2 and not result.crashed
    assert f"{name} has no shape (did you mean" in result.stderr
    assert suggested in result.stderr.split("did you mean")[1].split("?")[0]
    assert caret_under(result.stderr, name)


def test_an_unknown_variable_with_nothing_close_still_says_how_to_declare_it(cli):
    result = cli("dZ1 = W2.T @ dZ2 * g1'(Z1) + QQQ", *SIZES)
    assert result.exit_code == 2
    assert "QQQ has no shape: it is not a name of the model" in result.stderr
    assert "--shape QQQ=" in result.stderr


def test_a_forward_variable_typo_gets_the_models_names(cli):
    result = cli("dW = Hh.T @ (Y - T)",
                 "--forward", "H = f(X @ V); Y = H @ W; J = 0.5 * sum((Y - T)**2)", *FORWARD)
    assert result.exit_code == 2
    assert "Hh has no shape (did you mean H" in result.stderr


# --- functions the course uses, added as one record each (issue 17, item 1) -----------------

EXPM1 = ["--forward", "Y = np.expm1(X); J = np.sum(Y * C)", "--shape", "X=n,k",
         "--shape", "C=n,k", "--n", "3", "--k", "2"]


def test_expm1_is_one_record_the_cli_checks_through(cli):
    right = cli(*EXPM1, "dX = C * np.exp(X)")
    assert right.exit_code == 0, right.stdout + right.stderr
    also_right = cli(*EXPM1, "dX = C * (Y + 1)")
    assert also_right.exit_code == 0, also_right.stdout + also_right.stderr
    wrong = cli(*EXPM1, "dX = C * np.expm1(X)")  # expm1 is not its own derivative
    assert wrong.exit_code == 1
    assert "derived: dX = C * (Y + 1)" in wrong.stdout


def test_expm1_is_derived_and_written_in_latex(cli):
    derived = cli("--derive", "dX", *EXPM1)
    assert derived.exit_code == 0, derived.stdout + derived.stderr
    assert "dX = dY * (Y + 1)" in derived.stdout
    from shapecheck.language.latex import to_latex
    from shapecheck.language.parse import parse_equation
    assert to_latex(parse_equation("y = np.expm1(A)")) == "y = \\operatorname{expm1}(A)"
    assert functions.lookup("expm1").derivative(np.array([0.0, 1.0])).tolist() == \
        [1.0, float(np.exp(1.0))]


def test_expm1_derivative_is_checked_in_a_formula(cli):
    # expm1' is exp, not an open activation: right only if g1 were expm1, so a value failure
    result = cli("dZ1 = W2.T @ dZ2 * expm1'(Z1)", *SIZES)
    assert result.exit_code == 1


LEAKY = ["--shape", "X=n,k", "--shape", "C=n,k", "--n", "3", "--k", "2"]


def leaky_model(call: str) -> list[str]:
    return ["--forward", f"Y = {call}; J = np.sum(Y * C)", *LEAKY]


def test_leaky_relu_has_slope_one_hundredth_by_default(cli):
    right = cli(*leaky_model("leaky_relu(X)"), "dX = C * leaky_relu'(X)")
    assert right.exit_code == 0, right.stdout + right.stderr
    spelled = cli(*leaky_model("leaky_relu(X)"), "dX = C * np.where(X > 0, 1, 0.01)")
    assert spelled.exit_code == 0, spelled.stdout + spelled.stderr
    relu = cli(*leaky_model("leaky_relu(X)"), "dX = C * relu'(X)")  # the slope is not 0
    assert relu.exit_code == 1
    assert "derived: dX = C * leaky_relu'(X)" in relu.stdout
    assert functions.lookup("leaky_relu").value(np.array([-2.0, 3.0])).tolist() == [-0.02, 3.0]


def test_leaky_relu_takes_its_slope_as_a_second_argument(cli):
    model = leaky_model("leaky_relu(X, 0.2)")
    right = cli(*model, "dX = C * leaky_relu'(X, 0.2)")
    assert right.exit_code == 0, right.stdout + right.stderr
    spelled = cli(*model, "dX = C * np.where(X > 0, 1, 0.2)")
    assert spelled.exit_code == 0, spelled.stdout + spelled.stderr
    default_slope = cli(*model, "dX = C * leaky_relu'(X)")  # 0.01 is not 0.2
    assert default_slope.exit_code == 1


def test_leaky_relu_is_derived_and_its_latex_reads_back(cli):
    derived = cli("--derive", "dX", "--latex", *leaky_model("leaky_relu(X)"))
    assert derived.exit_code == 0, derived.stdout + derived.stderr
    assert "dX = dY * leaky_relu'(X)" in derived.stdout
    assert "\\operatorname{LeakyReLU}'(X)" in derived.stdout
    back = cli("dX = dY \\odot \\operatorname{LeakyReLU}'(X)", *leaky_model("leaky_relu(X)"))
    assert back.exit_code == 0, back.stdout + back.stderr


def test_leaky_relu_derivative_in_a_network_formula_is_checked(cli):
    # g1 stays open (tanh, sigmoid, softplus): leaky_relu' is none of their derivatives, so
    # a value failure (--activation accepts only SPEC's list, which leaky_relu is not on)
    open_ = cli("dZ1 = W2.T @ dZ2 * leaky_relu'(Z1)", *SIZES)
    assert open_.exit_code == 1
    assert "derived: dZ1 = W2.T @ dZ2 * g1'(Z1)" in open_.stdout


def test_leaky_relu_with_three_arguments_is_refused(cli):
    result = cli("dZ1 = W2.T @ dZ2 * leaky_relu(Z1, 0.2, 3)", *SIZES)
    assert result.exit_code == 2 and not result.crashed
    assert "leaky_relu() takes" in result.stderr


def clip_model(call: str, *shapes: str) -> list[str]:
    return ["--forward", f"Y = {call}; J = np.sum(Y * C)", *LEAKY,
            *(item for shape in shapes for item in ("--shape", shape))]


def test_clip_passes_the_gradient_only_between_its_bounds(cli):
    model = clip_model("np.clip(X, -0.5, 0.5)")
    right = cli(*model, "dX = C * (X > -0.5) * (X < 0.5)")
    assert right.exit_code == 0, right.stdout + right.stderr
    unclipped = cli(*model, "dX = C")  # as if nothing were clipped
    assert unclipped.exit_code == 1
    assert "derived: dX = C * ((X > -1/2) * (X < 1/2))" in unclipped.stdout


def test_clip_derives_the_gradient_of_each_bound(cli):
    model = clip_model("np.clip(X, L, H)", "L=n,k", "H=n,k")
    for name, derived in [("dX", "dX = dY * ((X > L) * (X < H))"),
                          ("dL", "dL = dY * ((X < L) * (L < H))"),
                          ("dH", "dH = dY * (1 - (X > L) * (X < H) - (X < L) * (L < H))")]:
        result = cli("--derive", name, *model)
        assert result.exit_code == 0, result.stdout + result.stderr
        assert derived in result.stdout


def test_clip_is_written_in_latex_and_needs_both_bounds(cli):
    from shapecheck.language.latex import to_latex
    from shapecheck.language.parse import parse_equation
    assert to_latex(parse_equation("y = np.clip(A, 0, 1)")) == "y = \\operatorname{clip}(A, 0, 1)"
    one_bound = cli(*clip_model("np.clip(X, -0.5, 0.5)"), "dX = np.clip(X, 1)")
    assert one_bound.exit_code == 2 and not one_bound.crashed
    assert "clip() takes 3 argument(s), got 2" in one_bound.stderr


def test_a_misspelt_numpy_function_gets_the_closest_known_name(cli):
    result = cli("dZ1 = W2.T @ dZ2 * np.tanhh(Z1)", *SIZES)
    assert result.exit_code == 2 and not result.crashed
    assert "np.tanhh is not a numpy function shapecheck knows: did you mean tanh?" in result.stderr
    assert caret_under(result.stderr, "np.tanhh")
