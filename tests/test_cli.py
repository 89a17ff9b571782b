"""The command line through click's CliRunner: exit statuses, stdout and stderr kept apart,
`--json`, `--help`, and bad input that must end in exit status 2 without a traceback."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from shapecheck.cli import command

from conftest import COURSE_SIX, COURSE, SPEC_EXAMPLE, size_args

COURSE_ARGS = size_args(COURSE)
SPEC_ARGS = size_args(SPEC_EXAMPLE)
POSTER = "dZ1 = dZ2 @ W2.T * g1'(Z1)"


def assert_clean_error(result):
    """Exit status 2, one message on stderr, nothing on stdout, no traceback."""
    assert not result.crashed, repr(result.exception)
    assert result.exit_code == 2
    assert result.stderr.strip()
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


# --- the SPEC's examples ------------------------------------------------------------------

def test_the_posters_formula(cli):
    result = cli(POSTER, *SPEC_ARGS)
    assert result.exit_code == 1
    assert result.stderr == ""
    out = result.stdout
    assert POSTER in out
    assert "the inner sizes m and n1 of a matrix product must be equal" in out
    assert "dZ2 is (n2, m)" in out and "W2.T is (n1, n2)" in out
    assert "W2.T @ dZ2" in out
    # the @ and its two operands marked under the formula
    lines = out.splitlines()
    row = next(i for i, line in enumerate(lines) if POSTER in line)
    start = lines[row].index(POSTER)
    marks = lines[row + 1]
    assert marks[start + 6:start + 16] == "~~~ ^ ~~~~"


def test_the_six_course_formulas_in_one_call(cli):
    result = cli(*COURSE_SIX, *COURSE_ARGS)
    assert result.exit_code == 0
    assert result.stderr == ""
    for formula in COURSE_SIX:
        assert formula in result.stdout
    assert "6 formulas: 6 pass" in result.stdout


def test_a_pass_is_one_line(cli):
    result = cli("dZ1 = W2.T @ dZ2 * g1'(Z1)", *COURSE_ARGS)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert "dZ1 = W2.T @ dZ2 * g1'(Z1)" in line
    assert "(n1, m)" in line and "(4, 5)" in line      # the left side's shape, symbolic and sized
    assert re.search(r"\d\.\de-\d\d", line)             # the relative error
    assert "1e-06" in line                              # the tolerance


def test_defaults_shared_by_every_formula_are_listed_once(cli):
    result = cli("dZ2 = A2 - Y", "dZ1 = W2.T @ dZ2 * g1'(Z1)", *SPEC_ARGS)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 4  # two results, the sizes chosen for both, the summary
    assert lines[2] == "sizes chosen (nobody declared them) for each of the 2 formulas checked: n2 = 2"


# --- exit statuses ----------------------------------------------------------------------------

@pytest.mark.parametrize("formulas, status", [
    (["dZ2 = A2 - Y"], 0),
    (["dW2 = 1/m * dZ2 @ A1"], 1),                       # shape
    (["dW2 = dZ2 @ A1.T"], 1),                           # value
    (["dZ1 = W2.T @@ dZ2"], 2),                          # error
    (["dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1"], 1),
    (["dZ2 = A2 - Y", "dW2 = dZ2 @ A1.T"], 1),
    (["dW2 = 1/m * dZ2 @ A1", "dZ1 = Q @ dZ2"], 2),       # an error outranks a wrong formula
    (["dZ1 = Q @ dZ2", "dZ2 = A2 - Y"], 2),
])
def test_exit_status(cli, formulas, status):
    result = cli(*formulas, *COURSE_ARGS)
    assert not result.crashed
    assert result.exit_code == status


def test_errors_go_to_stderr_and_results_to_stdout(cli):
    result = cli("dZ2 = A2 - Y", "dZ1 = Q @ dZ2", *COURSE_ARGS)
    assert result.exit_code == 2
    assert "dZ2 = A2 - Y" in result.stdout and "dZ2 = A2 - Y" not in result.stderr
    assert "dZ1 = Q @ dZ2" in result.stderr and "Q has no shape" in result.stderr
    assert "dZ1 = Q @ dZ2" not in result.stdout


def test_options_change_the_verdict(cli):
    assert cli("dW2 = dZ2 @ A1.T", *COURSE_ARGS, "--no-values").exit_code == 0
    tanh = "dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)"
    assert cli(tanh, *COURSE_ARGS).exit_code == 1
    assert cli(tanh, *COURSE_ARGS, "--activation", "g1=tanh").exit_code == 0
    assert cli("dW2 = dZ2 @ A1.T", *COURSE_ARGS, "--tol", "0.9").exit_code == 0


def test_layers_option_sets_the_last_layer(cli):
    assert cli("dZ2 = A2 - Y", *COURSE_ARGS, "--L", "2").exit_code == 0
    item = cli("dZ2 = A2 - Y", *COURSE_ARGS, "--L", "3", "--json").json()["results"][0]
    assert item["verdict"] == "shape"  # with three layers Y is (n3, m)
    assert item["operands"][1]["shape"] == ["n3", "m"]
    assert set(item["defaults"]) == {"n3"}


def test_sizes_may_be_written_with_equals(cli):
    result = cli("dZ2 = A2 - Y", "--n0=3", "--n1=4", "--n2=2", "--m=5", "--json")
    assert result.exit_code == 0
    assert result.json()["results"][0]["sizes"] == COURSE


def test_forward_and_shape_options(cli):
    args = ["--forward", "J = np.log(np.linalg.det(X))", "--shape", "X=n,n", "--n", "3"]
    assert cli("dX = np.linalg.inv(X).T", *args).exit_code == 0
    wrong = cli("dX = np.linalg.inv(X)", *args, "--json")
    assert wrong.exit_code == 1
    assert wrong.json()["results"][0]["diagnosis"] == {"kind": "transpose"}


# --- --json --------------------------------------------------------------------------------

SPEC_JSON_EXAMPLE = {
    "formula": "dZ1 = dZ2 @ W2.T * g1'(Z1)",
    "source": None,
    "verdict": "shape",
    "lhs_shape": ["n1", "m"],
    "rhs_shape": None,
    "span": [6, 16],
    "operands": [{"text": "dZ2", "span": [6, 9], "shape": ["n2", "m"]},
                 {"text": "W2.T", "span": [12, 16], "shape": ["n1", "n2"]}],
    "hint": "W2.T @ dZ2",
    "rel_error": None,
    "tolerance": None,
    "diagnosis": None,
    "layer": None,
    "activation": None,
    "sizes": {"n0": 3, "n1": 4, "n2": 2, "m": 5},
    "defaults": {"n2": 2},
}
# repair, derived: issue 9; network (what the formula was checked on): issue 17
RESULT_KEYS = set(SPEC_JSON_EXAMPLE) | {"message", "repair", "derived", "network"}


def test_json_is_the_spec_example(cli):
    result = cli(POSTER, *SPEC_ARGS, "--json")
    assert result.exit_code == 1
    report = result.json()
    assert set(report) == {"ok", "results"}
    assert report["ok"] is False
    [item] = report["results"]
    assert set(item) == RESULT_KEYS
    message = item.pop("message")
    assert item.pop("repair")["formula"] == "dZ1 = W2.T @ dZ2 * g1'(Z1)"
    assert item.pop("derived") is None
    assert item.pop("network") == {"layers": 2, "examples": "m", "layout": "columns", "forward": None}
    assert item == SPEC_JSON_EXAMPLE
    assert "the inner sizes m and n1 of a matrix product must be equal" in message


def test_json_spans_index_the_formula(cli):
    item = cli(POSTER, *SPEC_ARGS, "--json").json()["results"][0]
    start, end = item["span"]
    assert POSTER[start:end] == "dZ2 @ W2.T"
    assert [POSTER[slice(*o["span"])] for o in item["operands"]] == [o["text"] for o in item["operands"]]


def test_json_of_a_pass(cli):
    result = cli("db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", *COURSE_ARGS, "--json")
    assert result.exit_code == 0
    report = result.json()
    assert report["ok"] is True
    [item] = report["results"]
    assert set(item) == RESULT_KEYS
    assert item["verdict"] == "pass"
    assert item["lhs_shape"] == ["n2", 1] and item["rhs_shape"] == ["n2", 1]  # 1 is an integer
    assert isinstance(item["rel_error"], float) and item["rel_error"] < item["tolerance"] == 1e-6
    assert item["span"] is None and item["operands"] == [] and item["hint"] is None
    assert item["repair"] is None
    assert item["diagnosis"] is None and item["defaults"] == {} and item["sizes"] == COURSE


def test_json_without_values_has_no_numbers(cli):
    item = cli("dW2 = dZ2 @ A1.T", *COURSE_ARGS, "--no-values", "--json").json()["results"][0]
    assert item["verdict"] == "pass"
    assert item["rel_error"] is None and item["tolerance"] is None
    assert item["rhs_shape"] == ["n2", "n1"]


def test_json_of_a_value_failure(cli):
    item = cli("dW2 = dZ2 @ A1.T", *COURSE_ARGS, "--json").json()["results"][0]
    assert item["verdict"] == "value"
    assert item["diagnosis"] == {"kind": "factor", "factor": "m"}
    assert item["rel_error"] == pytest.approx(0.8, abs=1e-6)
    assert item["tolerance"] == 1e-6


def test_json_of_an_open_activation(cli):
    item = cli("dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)", *COURSE_ARGS, "--json").json()["results"][0]
    assert item["verdict"] == "value"
    assert set(item["activation"]) == {"g1"} and item["activation"]["g1"] != "tanh"


def test_json_of_an_error(cli):
    result = cli("dZ1 = W2.T @@ dZ2", *COURSE_ARGS, "--json")
    assert result.exit_code == 2
    assert not result.crashed
    [item] = result.json()["results"]
    assert item["verdict"] == "error"
    assert item["span"] == [12, 13]  # the second @
    assert "unexpected '@'" in item["message"]


def test_json_of_several_formulas_keeps_their_order(cli):
    report = cli(*COURSE_SIX, "dW2 = dZ2 @ A1.T", *COURSE_ARGS, "--json").json()
    assert [r["formula"] for r in report["results"]] == COURSE_SIX + ["dW2 = dZ2 @ A1.T"]
    assert report["ok"] is False


def test_json_stays_valid_when_values_are_not_finite(cli):
    result = cli("dA1 = W2.T @ dZ2 * 1e300 * 1e300", *COURSE_ARGS, "--json")
    assert result.exit_code == 1
    assert result.json()["results"][0]["verdict"] == "value"  # parsed without NaN/Infinity


# --- bad input: exit 2, a message, never a traceback ------------------------------------------

@pytest.mark.parametrize("args", [
    ["dZ1 = W2.T @@ dZ2", *COURSE_ARGS],                                  # does not parse
    ["db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True", *COURSE_ARGS],      # unbalanced
    ["dZ1 = Q @ dZ2", *COURSE_ARGS],                                      # unknown name
    ["dZ2 = np.foo(A2)", *COURSE_ARGS],                                   # unknown function
    ["Q = A2 - Y", *COURSE_ARGS],                                         # not a gradient
    ["dZ2 = A2 - Y", "--n0", "3", "--n1", "0"],                           # size 0
    ["dZ2 = A2 - Y", "--n0", "3", "--n1", "-4"],                          # negative size
    ["dZ2 = A2 - Y", "--n0", "3", "--n1", "2.5"],                         # not a whole number
    ["dZ2 = A2 - Y", "--n0", "3", "--n1", "four"],
    ["dZ2 = A2 - Y", "--n0", "3", "--m", "1000000000000"],                # absurd
    ["dZ2 = A2 - Y", "--n0", "3", "--m", "10" + "0" * 40],                # more absurd
    ["dZ2 = A2 - Y", "--n0", "3", "--n1", "99999999"],                    # too large to check
    ["dZ2 = A2 - Y", "--m"],                                               # a size without value
    ["dZ2 = A2 - Y", "-x"],                                                # unknown option
    ["dZ2 = A2 - Y", "--1x", "3"],                                         # not a size name
    [*COURSE_ARGS],                                                        # nothing to check
    ["dZ2 = A2 - Y", *COURSE_ARGS, "--shape", "H=0"],
    ["dZ2 = A2 - Y", *COURSE_ARGS, "--shape", "=n"],
    ["dZ2 = A2 - Y", *COURSE_ARGS, "--activation", "g1=cosh"],
    ["dZ2 = A2 - Y", *COURSE_ARGS, "--layout", "diagonal"],
    ["dZ2 = A2 - Y", *COURSE_ARGS, "--tol", "0"],
    ["dZ2 = A2 - Y", *COURSE_ARGS, "--tol", "-1"],
    ["dZ2 = A2 - Y", *COURSE_ARGS, "--L", "0"],
    ["dZ2 = A2 - Y", *COURSE_ARGS, "--seed", "abc"],
    ["dv = 2 * M.T @ M @ v", "--forward", "J = np.sum((M @ v) ** 2)", "--shape", "v=k,1", "--k", "3"],
    ["dx = x", "--forward", "J = x", "--shape", "x=n,1", "--n", "3"],      # a cost that is not a scalar
])
def test_bad_input_exits_2_without_a_traceback(cli, args):
    assert_clean_error(cli(*args))


def test_a_parse_error_points_at_its_position(cli):
    formula = "dZ1 = W2.T @@ dZ2"
    result = cli(formula, *COURSE_ARGS)
    assert_clean_error(result)
    lines = result.stderr.splitlines()
    row = next(i for i, line in enumerate(lines) if formula in line)
    caret = lines[row + 1]
    assert caret.strip() == "^"
    assert caret.index("^") == lines[row].index(formula) + 12


def test_an_unknown_name_points_at_the_name(cli):
    formula = "dZ1 = Q @ dZ2"
    lines = cli(formula, *COURSE_ARGS).stderr.splitlines()
    row = next(i for i, line in enumerate(lines) if formula in line)
    assert lines[row + 1].index("^") == lines[row].index(formula) + formula.index("Q")


def test_a_bad_size_names_the_option(cli):
    result = cli("dZ2 = A2 - Y", "--n0", "3", "--n1", "0")
    assert "--n1 0" in result.stderr and "positive" in result.stderr


def test_an_absurd_size_says_it_is_too_large(cli):
    result = cli("dZ2 = A2 - Y", *COURSE_ARGS[:6], "--m", "1000000000000")
    assert "too large" in result.stderr


def test_code_in_a_formula_is_never_run(cli, capfd):
    # os.system would write to file descriptor 1, which capfd sees and CliRunner does not
    result = cli("dW = __import__('os').system('echo hi-from-the-shell')", *COURSE_ARGS)
    assert_clean_error(result)
    captured = capfd.readouterr()
    assert "hi-from-the-shell" not in captured.out + captured.err


def test_a_negative_seed_is_not_a_traceback(cli):
    result = cli("dZ2 = A2 - Y", *COURSE_ARGS, "--seed", "-1")
    assert not result.crashed, repr(result.exception)
    assert result.exit_code in (0, 2)


def test_a_softmax_axis_out_of_range_is_not_a_traceback(cli):
    result = cli("dZ2 = softmax(Z2, axis=2)", *COURSE_ARGS)
    assert not result.crashed, repr(result.exception)
    assert result.exit_code == 1  # a shape failure, as np.sum(Z2, axis=2) is


def test_a_tolerance_that_is_not_a_number_is_a_bad_option(cli):
    assert_clean_error(cli("dZ2 = A2 - Y", *COURSE_ARGS, "--tol", "nan"))


# --- --help ---------------------------------------------------------------------------------

SPEC_OPTIONS = ["--shape", "--forward", "--activation", "--L", "--label", "--layout", "--seed",
                "--tol", "--no-values", "--json"]


def test_help_lists_every_option(cli):
    result = cli("--help")
    assert result.exit_code == 0
    text = result.stdout
    for option in SPEC_OPTIONS:
        assert re.search(rf"(^|\s){re.escape(option)}\b", text), option
    for param in command.params:
        for opt in param.opts + param.secondary_opts:
            if opt.startswith("-"):
                assert opt in text, opt
    assert "--NAME INT" in text  # how sizes are declared
    assert "shapecheck \"dZ1 = W2.T @ dZ2 * g1'(Z1)\"" in text  # the docstring's example


def test_a_formula_alone_does_not_load_the_markdown_reader():
    """Start-up counts on every commit: markdown-it is imported only for notes files."""
    code = ("import sys; from click.testing import CliRunner; from shapecheck.cli import command; "
            "r = CliRunner().invoke(command, ['dZ2 = A2 - Y', '--n0', '3', '--n1', '4', "
            "'--n2', '2', '--m', '5']); print(r.exit_code, 'markdown_it' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.split() == ["0", "False"], run.stderr
