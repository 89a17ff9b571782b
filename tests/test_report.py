"""Rendering: plain data in, plain text out, compared whole (no colour codes).

Results are built by hand from SPEC's examples, so these tests fix the layout and not the
checker; one test renders a real result to tie the two together.
"""
from __future__ import annotations

import io
import json
import math
import re
from dataclasses import replace

import pytest

from shapecheck import json_report, report
from shapecheck.result import Network, Result, Source
from shapecheck.shapes import Operand

from conftest import COURSE, SPEC_EXAMPLE

POSTER = "dZ1 = dZ2 @ W2.T * g1'(Z1)"
POSTER_RULE = ("the inner sizes m and n1 of a matrix product must be equal: "
               "dZ2 is (n2, m) and W2.T is (n1, n2)")
POSTER_RESULT = Result(
    formula=POSTER, verdict="shape",
    message=POSTER_RULE + ". Did you mean W2.T @ dZ2? It is (n1, m), and the right side then "
                          "has the shape (n1, m) that dZ1 needs.",
    lhs_shape=("n1", "m"), span=(6, 16), op_span=(10, 11),
    operands=(Operand("dZ2", (6, 9), ("n2", "m")), Operand("W2.T", (12, 16), ("n1", "n2"))),
    hint="W2.T @ dZ2", rule=POSTER_RULE,
    sizes={"n0": 3, "n1": 4, "n2": 2, "m": 5}, defaults={"n2": 2},
    repair={"formula": "dZ1 = W2.T @ dZ2 * g1'(Z1)",
            "edits": [{"kind": "swap", "note": "swap dZ2 and W2.T", "span": [6, 16],
                       "text": "W2.T @ dZ2", "marks": [[6, 10], [13, 16]]}]})
POSTER_TEXT = (
    "✗ shape  dZ1 = dZ2 @ W2.T * g1'(Z1)   (n1, m) = (4, 5)\n"
    "               ~~~ ^ ~~~~\n"
    "               dZ2 is (n2, m)\n"
    "                     W2.T is (n1, n2)\n"
    "         the inner sizes m and n1 of a matrix product must be equal: dZ2 is (n2, m) and W2.T is\n"
    "         (n1, n2)\n"  # wrapped at 100 columns, a shape kept whole
    "         did you mean: dZ1 = W2.T @ dZ2 * g1'(Z1)   (swap dZ2 and W2.T)\n"
    "                             ^^^^   ^^^\n"
)


@pytest.fixture
def console(monkeypatch):
    """`console()` → (Console, buffer): the CLI's console, on a string, 100 columns, no colour."""
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)

    def make():
        buffer = io.StringIO()
        con = report.make_console(file=buffer, width=100)
        assert con.color_system is None
        return con, buffer
    return make


def rendered(console, result: Result) -> str:
    con, buffer = console()
    report.render_one(result, con)
    text = buffer.getvalue()
    assert "\x1b" not in text
    return text


def test_a_shape_failure(console):
    assert rendered(console, POSTER_RESULT) == POSTER_TEXT


def test_the_checkers_result_renders_the_same(console, check):
    real = check(POSTER, sizes=SPEC_EXAMPLE)
    assert rendered(console, real) == POSTER_TEXT


def test_a_pass_is_one_line(console):
    result = Result(formula="dZ2 = A2 - Y", verdict="pass", message="shapes line up and values match",
                    lhs_shape=("n2", "m"), rhs_shape=("n2", "m"), rel_error=1.94e-10,
                    tolerance=1e-6, sizes=COURSE)
    assert rendered(console, result) == \
        "✓ pass   dZ2 = A2 - Y   (n2, m) = (2, 5)   rel. error 1.9e-10 < tol 1e-06\n"


def test_a_pass_without_values(console):
    result = Result(formula="dW2 = dZ2 @ A1.T", verdict="pass",
                    message="shapes line up (values not checked)",
                    lhs_shape=("n2", "n1"), rhs_shape=("n2", "n1"), sizes=COURSE)
    assert rendered(console, result) == \
        "✓ pass   dW2 = dZ2 @ A1.T   (n2, n1) = (2, 4)   shapes line up (values not checked)\n"


def test_a_value_failure(console):
    message = ("the values differ from the finite-difference gradient of J (relative error 0.8 > "
               "tolerance 1e-06): the right side is m = 5 times the true gradient; multiply it by 1/m")
    result = Result(formula="dW2 = dZ2 @ A1.T", verdict="value", message=message,
                    lhs_shape=("n2", "n1"), rhs_shape=("n2", "n1"), rel_error=0.8, tolerance=1e-6,
                    diagnosis={"kind": "factor", "factor": "m"}, sizes=COURSE, searched=True)
    assert rendered(console, result) == (
        "✗ value  dW2 = dZ2 @ A1.T   (n2, n1) = (2, 4)\n"
        "         the values differ from the finite-difference gradient of J (relative error 0.8 > tolerance\n"
        "         1e-06): the right side is m = 5 times the true gradient; multiply it by 1/m\n"
        "         no small edit of this formula, and no derivation, could be verified by the "
        "check\n")


def test_an_error_points_at_its_position(console):
    result = Result(formula="dZ1 = W2.T @@ dZ2", verdict="error",
                    message="unexpected '@' here; expected '(', a name, a number",
                    span=(12, 13), op_span=(12, 13))
    assert rendered(console, result) == (
        "! error  dZ1 = W2.T @@ dZ2\n"
        "                     ^\n"
        "         unexpected '@' here; expected '(', a name, a number\n")


def test_a_source_location_leads_the_line(console):
    result = Result(formula="dZ2 = A2 - Y", verdict="pass", message="ok",
                    source=Source("notes.md", 12, 7), lhs_shape=("n2", "m"),
                    rel_error=1e-10, tolerance=1e-6, sizes=COURSE)
    assert rendered(console, result).startswith("notes.md:12:7: ✓ pass   dZ2 = A2 - Y")


@pytest.mark.parametrize("span", [(50, 80), (-5, 3), (3, 1), (0, 10**9)])
def test_rendering_never_crashes_on_a_bad_span(console, span):
    result = Result(formula="dZ2 = A2 - Y", verdict="shape", message="m", rule="a rule",
                    lhs_shape=("n2", "m"), span=span, op_span=span,
                    operands=(Operand("A2", span, ("n2", "m")),), sizes=COURSE)
    text = rendered(console, result)
    assert text.startswith("✗ shape  dZ2 = A2 - Y")
    assert "a rule" in text


def test_render_all_splits_errors_from_results_and_lists_shared_defaults_once(console):
    out, out_buffer = console()
    err, err_buffer = console()
    ok = Result(formula="dZ2 = A2 - Y", verdict="pass", message="ok", lhs_shape=("n2", "m"),
                rel_error=1e-10, tolerance=1e-6, sizes={**SPEC_EXAMPLE, "n2": 2}, defaults={"n2": 2},
                network=Network(layers=2, examples="m"))
    bad = Result(formula="dZ1 = Q @ dZ2", verdict="error", message="Q has no shape", span=(6, 7),
                 op_span=(6, 7))
    poster = replace(POSTER_RESULT, network=Network(layers=2, examples="m"))
    report.render_all([ok, poster, bad], out, err)
    stdout, stderr = out_buffer.getvalue(), err_buffer.getvalue()
    assert stdout == (  # the error was checked on nothing: the sizes were chosen for 2
        "✓ pass   dZ2 = A2 - Y   (n2, m) = (2, 5)   rel. error 1.0e-10 < tol 1e-06\n"
        + POSTER_TEXT
        + "sizes chosen (nobody declared them) for each of the 2 formulas checked: n2 = 2\n"
        + "3 formulas: 1 pass, 1 shape, 1 error\n")
    assert stderr == (
        "! error  dZ1 = Q @ dZ2\n"
        "               ^\n"
        "         Q has no shape\n")


def test_summary():
    def r(verdict):
        return Result(formula="dZ2 = A2 - Y", verdict=verdict, message="")
    assert report.summary([r("pass")]) == "1 formula: 1 pass"
    assert report.summary([r("pass"), r("value"), r("pass"), r("shape")]) == \
        "4 formulas: 2 pass, 1 shape, 1 value"
    assert report.summary([]) == "0 formulas: nothing to check"


# --- JSON ---------------------------------------------------------------------------------

def test_to_json_has_exactly_the_spec_keys():
    assert list(json_report.to_json(POSTER_RESULT)) == [
        "formula", "source", "verdict", "lhs_shape", "rhs_shape", "message", "span", "operands",
        "hint", "rel_error", "tolerance", "diagnosis", "layer", "activation", "sizes", "defaults",
        "network", "repair", "derived"]


def test_to_json_of_a_source():
    result = Result(formula="dZ2 = A2 - Y", verdict="pass", message="", source=Source("notes.md", 12, 7))
    assert json_report.to_json(result)["source"] == {"file": "notes.md", "line": 12, "column": 7}


def test_json_report_is_strict_json():
    infinite = Result(formula="dZ2 = A2 - Y", verdict="value", message="", rel_error=math.inf,
                      tolerance=1e-6)
    text = json_report.json_report([POSTER_RESULT, infinite])

    def refuse(name):
        raise ValueError(name)
    data = json.loads(text, parse_constant=refuse)
    assert data["ok"] is False
    assert data["results"][1]["rel_error"] is None


def test_json_report_ok_only_when_all_pass():
    ok = Result(formula="dZ2 = A2 - Y", verdict="pass", message="")
    assert json.loads(json_report.json_report([ok, ok]))["ok"] is True
    assert json.loads(json_report.json_report([ok, POSTER_RESULT]))["ok"] is False


# --- the terminal's width and NO_COLOR (issue 17; tests/test_terminal.py runs them for real) ---

def test_a_console_that_is_no_terminal_wraps_only_when_columns_asks(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert report.make_console(file=io.StringIO()).width == report.UNWRAPPED
    monkeypatch.setenv("COLUMNS", "60")
    assert report.make_console(file=io.StringIO()).width == 60


@pytest.mark.parametrize("value, plain", [("1", True), ("", False)])
def test_no_color_is_no_style_at_all_even_when_colour_is_forced(monkeypatch, value, plain):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", value)
    buffer = io.StringIO()
    report.render_one(POSTER_RESULT, report.make_console(file=buffer, width=100))
    assert ("\x1b" not in buffer.getvalue()) == plain
    assert "did you mean" in buffer.getvalue()


def wrapped(text: str, width: int, indent: int) -> list[str]:
    return [text[a:b] for a, b in report._pieces(text, width, indent)]


def test_lines_break_at_spaces_and_keep_shapes_whole():
    text = "         the rule: dZ2 is (n2, m) and W2.T is (n1, n2)"
    assert wrapped(text, 40, 9) == ["         the rule: dZ2 is (n2, m) and", "W2.T is (n1, n2)"]
    assert wrapped(text, 34, 9) == ["         the rule: dZ2 is (n2, m)", "and W2.T is (n1, n2)"]
    # a word wider than a line is left whole, never cut
    assert wrapped("ab " + "x" * 30 + " cd", 10, 0) == ["ab", "x" * 30, "cd"]


def test_a_marked_formula_too_wide_is_cropped_around_its_operator(console):
    con, buffer = console()
    con.width = 40
    report.render_one(POSTER_RESULT, con)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "✗ shape  dZ1 = dZ2 @ W2.T * g1'(Z1)"  # fits: whole, its shape moved
    assert max(len(line) for line in lines) <= 40
    for width, shown in [(30, "…1 = dZ2 @ W2.T * g1…"), (24, "…1 = dZ2 @ W2.T * g…")]:
        con, buffer = console()
        con.width = width  # 24: a formula is cropped to no fewer than 20 columns, unbroken
        report.render_one(POSTER_RESULT, con)
        head, marks = buffer.getvalue().splitlines()[:2]
        assert head == "✗ shape  " + shown
        assert head[marks.index("^")] == "@"
        assert [head[m.start():m.end()] for m in re.finditer("~+", marks)] == ["dZ2", "W2.T"]


@pytest.mark.parametrize("span", [(50, 80), (-5, 3), (3, 1), (0, 10**9), ()])
def test_cropping_never_crashes_on_a_bad_span(console, span):
    formula = "dZ1 = " + " + ".join(["W2.T @ dZ2"] * 12)
    result = Result(formula=formula, verdict="error", message="m", span=span, op_span=span)
    con, buffer = console()
    con.width = 60
    report.render_one(result, con)
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("! error  ") and len(lines[0]) <= 60 and "…" in lines[0]
    assert lines[-1] == "         m"
