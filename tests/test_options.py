"""Issue 17, item 2 (Options): no silent guesses at the command line's edges. A declared
size or `--activation` nothing uses, and a misspelt option, are errors (exit 2) that name
the closest real thing; `--version` prints the version; `--help` lists the exit
statuses, NO_COLOR and the notes-file directives (SPEC, Invocation)."""
from __future__ import annotations

from importlib.metadata import version

import pytest

from shapecheck.notes.directives import DIRECTIVES

DZ1 = "dZ1 = W2.T @ dZ2 * g1'(Z1)"
SIZES = ("--n0", "3", "--n1", "4", "--m", "5")
FORWARD = ("--forward", "Z = W @ X; J = np.sum(Z ** 2) / 2", "--shape", "W=h,d",
           "--shape", "X=d,m", "--h", "3", "--d", "4", "--m", "5")


def refused(result) -> str:
    """Exit 2, one message on stderr, nothing on stdout (no ✓), no traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("shapecheck: error: ")
    return result.stderr


# --- 1. a declared size nothing uses ----------------------------------------------------------

def test_nl_for_n1_is_refused_not_a_pass_on_a_default_n1(cli):
    said = refused(cli(DZ1, "--n0", "3", "--nl", "4", "--m", "5"))
    assert "--nl 4: no formula, model or the naming convention uses a size nl" in said
    assert "the sizes in use: n0, n1, n2, m" in said
    assert said.rstrip().endswith("did you mean --n1?")


def test_n0_written_with_a_capital_o_is_the_look_alike_of_n0(cli):
    said = refused(cli("dZ2 = A2 - Y", "--nO", "3", "--n1", "4", "--m", "5"))
    assert "did you mean --n0?" in said


@pytest.mark.parametrize("typed, meant", [("M", "m"), ("N1", "n1"), ("n_1", "n1")])
def test_a_size_in_the_wrong_case_or_spelling_names_the_used_one(cli, typed, meant):
    said = refused(cli(DZ1, "--n0", "3", "--n1", "4", "--m", "5", f"--{typed}", "6"))
    assert f"did you mean --{meant}?" in said


def test_a_size_far_from_every_used_one_names_the_sizes_in_use_without_a_guess(cli):
    said = refused(cli("dZ2 = A2 - Y", *SIZES, "--k", "3"))
    assert "--k 3: no formula, model or the naming convention uses a size k" in said
    assert "the sizes in use: n0, n1, n2, m" in said
    assert "did you mean" not in said


@pytest.mark.parametrize("word", ["layers", "l"])
def test_the_number_of_layers_as_a_size_names_the_option_L(cli, word):
    said = refused(cli("dZ2 = A2 - Y", *SIZES, f"--{word}", "3"))
    assert "the number of layers is the option --L 3" in said


def test_the_declared_sizes_a_check_uses_pass(cli):
    assert cli(DZ1, *SIZES).exit_code == 0


def test_a_size_declaring_a_deeper_network_is_used_by_the_convention(cli):
    # --n3 makes the network three layers deep: the check does use it
    assert cli("dZ2 = W3.T @ dZ3 * g2'(Z2)", *SIZES, "--n2", "2", "--n3", "6").exit_code == 0


def test_m_is_unused_where_every_formula_is_for_one_example_and_says_why(cli):
    # a one-example formula is checked with m = 1: a --m 5 beside it changes nothing (#17)
    result = cli("dz2 = a2 - y", *SIZES)
    assert result.exit_code == 2
    assert "--m 5: the formulas are written for one example (lower case" in result.stderr
    assert "write them upper case (dZ1, X, A1) for 5 examples" in result.stderr
    # beside a formula for all m examples, m is used
    assert cli("dz2 = a2 - y", "dZ2 = A2 - Y", *SIZES).exit_code == 0


def test_a_formula_mixing_one_example_and_all_examples_names_is_refused(cli):
    # `dz2` for `dZ2` (the shift key) would check the formula on one example, silently
    result = cli("dZ1 = W2.T @ dz2 * g1'(Z1)", *SIZES)
    assert result.exit_code == 2
    assert "dz2 is written for one example (lower case) but Z1, dZ1 for all m examples" \
        in result.stderr
    assert "write dZ2 for all examples, or z1, dz1 for one" in result.stderr
    assert cli("dW1 = 1/m * dZ1 @ x.T", *SIZES).exit_code == 2


def test_a_size_read_as_a_scalar_by_the_formula_is_used(cli):
    assert cli("dZ2 = (A2 - Y) * k / k", *SIZES, "--k", "3").exit_code == 0


def test_a_size_in_the_declared_shape_of_a_name_the_formula_reads_is_used(cli):
    assert cli("dZ2 = A2 - Y + 0 * np.sum(H)", "--shape", "H=1,h", "--h", "3", *SIZES,
               "--no-values").exit_code == 0


def test_a_size_unused_by_a_forward_model_is_refused(cli):
    said = refused(cli("dW = dZ @ X.T", *FORWARD, "--n1", "4"))
    assert "--n1 4: no formula, model or the naming convention uses a size n1" in said
    assert "the sizes in use: d, h, m" in said


def test_the_sizes_of_a_forward_model_are_used(cli):
    assert cli("dW = dZ @ X.T", *FORWARD).exit_code == 0


def test_a_size_used_by_a_derivation_is_used_and_one_unused_is_refused(cli):
    assert cli("--derive", "dZ1", *SIZES).exit_code == 0
    said = refused(cli("--derive", "dZ1", "--n0", "3", "--nl", "4", "--m", "5"))
    assert "did you mean --n1?" in said


def test_a_size_used_by_one_notes_file_only_is_used_across_the_call(cli, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("forward: Z = W @ X; J = np.sum(Z ** 2) / 2\n"
                     "shape: W = (h, n0)\nshape: X = (n0, m)\n"
                     "dW = dZ @ X.T\n")
    # h is used by the notes file's model only, n1 by the command line's formula only
    assert cli(DZ1, str(notes), *SIZES, "--h", "3").exit_code == 0
    said = refused(cli(DZ1, *SIZES, "--h", "3"))
    assert "--h 3: no formula, model or the naming convention uses a size h" in said


def test_an_unused_size_with_json_prints_no_report(cli):
    said = refused(cli("dZ2 = A2 - Y", *SIZES, "--nl", "4", "--json"))
    assert "did you mean --n1?" in said


def test_an_unused_size_writes_no_picture(cli, tmp_path):
    picture = tmp_path / "out.svg"
    refused(cli(DZ1, "--n0", "3", "--nl", "4", "--m", "5", "--svg", str(picture)))
    assert not picture.exists()


def test_a_formula_that_cannot_be_checked_is_the_error_reported_not_the_sizes(cli):
    # what a formula that does not parse would have used is unknown: its own error is said
    result = cli("dZ2 = A2 - (Y", *SIZES, "--nl", "4")
    assert result.exit_code == 2
    assert "nl" not in result.stdout + result.stderr


def test_notes_without_a_formula_report_that_not_the_sizes(cli, tmp_path):
    notes = tmp_path / "empty.md"
    notes.write_text("# nothing to check here\n")
    result = cli(str(notes), "--m", "5")
    assert "0 formulas" in result.stdout and "size" not in result.stderr


# --- 2. a misspelt option ---------------------------------------------------------------------

@pytest.mark.parametrize("args, meant", [
    (("--jsn",), "--json"),                  # before another option: not read as a size
    (("--explian",), "--explain"),
    (("--no-value",), "--no-values"),
    (("-jsn",), "--json"),                   # one dash
    (("--sed", "3"), "--seed"),              # a whole number after it: a size nobody uses
    (("--tl", "1e-3"), "--tol"),
    (("--jsn=1",), "--json"),
], ids=["jsn", "explian", "no-value", "one-dash-jsn", "sed-3", "tl-float", "jsn=1"])
def test_a_misspelt_option_names_the_real_one(cli, args, meant):
    said = refused(cli("dZ2 = A2 - Y", *args, *SIZES))
    assert args[0].partition("=")[0] in said
    assert f"unknown option; did you mean {meant}?" in said


def test_a_misspelt_option_last_on_the_line_names_the_real_one(cli):
    said = refused(cli("dZ2 = A2 - Y", *SIZES, "--explian"))
    assert "did you mean --explain?" in said


def test_a_size_named_like_an_option_is_a_size_where_a_model_uses_it(cli):
    forward = ("--forward", "Z = W @ X; J = np.sum(Z ** 2) / 2", "--shape", "W=h,seeds",
               "--shape", "X=seeds,m", "--h", "3", "--seeds", "4", "--m", "5")
    assert cli("dW = dZ @ X.T", *forward).exit_code == 0


def test_a_size_without_a_value_far_from_any_option_says_how_sizes_are_written(cli):
    said = refused(cli("dZ2 = A2 - Y", *SIZES, "--nl"))
    assert "--nl needs a value: a size is --nl INT" in said


# --- 3. --activation for a name nothing uses --------------------------------------------------

def test_an_activation_nothing_uses_is_refused(cli):
    said = refused(cli(DZ1, *SIZES, "--activation", "g7=relu"))
    assert "--activation g7=relu: no formula or model uses an activation g7" in said
    assert "the activations in use: g1, g2" in said


def test_an_activation_with_a_forward_model_that_calls_none_is_refused(cli):
    said = refused(cli("dW = dZ @ X.T", *FORWARD, "--activation", "g1=relu"))
    assert "no formula or model leaves an activation open" in said


def test_an_activation_the_network_uses_is_accepted(cli):
    assert cli(DZ1, *SIZES, "--activation", "g1=relu").exit_code == 0


def test_the_generic_g_is_used_by_a_generic_formula(cli):
    assert cli("dZ = dA * g'(Z)", *SIZES, "--L", "2", "--activation", "g=relu").exit_code == 0
    # the course's --activation g=relu sets the hidden layers: g1 here (issue 17, item 5)
    assert cli(DZ1, *SIZES, "--activation", "g=relu").exit_code == 0
    # a one-layer network has no hidden layer for it to set
    said = refused(cli("dZ1 = A1 - Y", "--n0", "3", "--n1", "4", "--m", "5",
                       "--activation", "g=relu"))
    assert "g sets the activation of every hidden layer" in said


def test_a_misspelt_activation_function_names_the_closest(cli):
    said = refused(cli(DZ1, *SIZES, "--activation", "g1=rleu"))
    assert "did you mean g1=relu?" in said


# --- 4. --version ----------------------------------------------------------------------------

def test_version_prints_the_installed_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"shapecheck {version('backprop-shapecheck')}\n"
    assert result.stderr == ""


# --- 5. --help -------------------------------------------------------------------------------

def test_help_lists_the_exit_statuses_no_color_and_the_notes_directives(cli):
    result = cli("--help")
    assert result.exit_code == 0
    text = result.stdout
    assert "Exit status:" in text
    for status in ("0  every formula passed", "1  at least one formula is wrong",
                   "2  something could not be checked"):
        assert status in text, status
    assert "NO_COLOR" in text
    for directive in DIRECTIVES:
        assert f"{directive}:" in text, directive
    assert "--version" in text


def test_a_size_given_twice_with_two_values_is_refused(cli):
    result = cli(DZ1, *SIZES, "--n1", "5")
    assert result.exit_code == 2
    assert "--n1 is given twice, as 4 and 5" in result.stderr
    assert cli(DZ1, *SIZES, "--n1", "4").exit_code == 0  # the same value twice says one thing


def test_a_shape_nothing_reads_is_refused_with_the_closest_name(cli):
    result = cli(DZ1, *SIZES, "--shape", "Q=3,3")
    assert result.exit_code == 2
    assert "--shape Q=3,3: no formula or model reads a variable Q" in result.stderr
    forward = ["--forward", "Y = f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)", "--label", "T",
               "--shape", "H=1,h", "--shape", "W=h,y", "--shape", "B=1,y", "--shape", "T=1,y",
               "--h", "3", "--y", "4"]
    right = "dW = H.T @ ((Y - T) * f'(H @ W + B))"
    assert cli(right, *forward).exit_code == 0
    result = cli(right, *forward, "--shape", "Hh=1,h")
    assert result.exit_code == 2 and "reads a variable Hh; did you mean H?" in result.stderr
    # a --shape that overrides the convention's is read by the network
    assert cli(DZ1, *SIZES, "--shape", "W2=n2,n1").exit_code == 0


def test_an_option_value_click_refuses_is_one_line_in_shapecheck_s_words(cli):
    result = cli(DZ1, *SIZES, "--layout", "row")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "shapecheck: error: Invalid value for '--layout': 'row' is not one of 'columns', "
        "'rows'; did you mean rows?"]
    result = cli(DZ1, *SIZES, "--probes", "0")
    assert result.exit_code == 2 and result.stderr.startswith("shapecheck: error: ")
    assert "Usage:" not in result.stderr


def test_an_empty_forward_model_is_refused_not_ignored(cli):
    result = cli("dZ2 = A2 - Y", *SIZES, "--forward", " ")
    assert result.exit_code == 2 and "--forward has no equation" in result.stderr


def test_the_output_activation_made_softmax_is_used(cli):
    # SPEC: --activation g2=softmax (L = 2) makes the output softmax; the model then calls
    # softmax, not g2, and g2 was refused as unused
    assert cli("dZ2 = A2 - Y", *SIZES, "--activation", "g2=softmax").exit_code == 0
    assert cli("dZ3 = A3 - Y", *SIZES, "--n2", "2", "--n3", "3",
               "--activation", "g3=softmax").exit_code == 0
