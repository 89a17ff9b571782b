"""Repairs (issue 9, part 3) and pictures of the report (part 4).

A repair is the smallest edit of the user's own text that passes the same check, values
included; the report highlights the edited parts, also without colour. `--svg` and `--html`
write the report as the terminal shows it, and nothing else.
"""
from __future__ import annotations

from dataclasses import replace

import io
import os
import re
import xml.etree.ElementTree as ET

import pytest

from shapecheck import report
from shapecheck.result import Result
from shapecheck.language.parse import parse_equation
from shapecheck.advice.edits import Edit, Editor, apply
from shapecheck.language.printer import to_numpy
from shapecheck.models.factors import name_of
from shapecheck.advice.repair import MAX_CANDIDATES, find

from conftest import COURSE, SPEC_EXAMPLE, size_args
from test_corpus import load_cases

POSTER = "dZ1 = dZ2 @ W2.T * g1'(Z1)"
FIXED = "dZ1 = W2.T @ dZ2 * g1'(Z1)"
SPEC_ARGS = size_args(SPEC_EXAMPLE)
COURSE_ARGS = size_args(COURSE)


def marked(repair: dict) -> list[str]:
    """The text of every highlighted part of a repaired formula."""
    return [repair["formula"][a:b] for e in repair["edits"] for a, b in e["marks"]]


def plain(result: Result) -> str:
    buffer = io.StringIO()
    console = report.make_console(file=buffer, width=120)
    report.render_one(result, console)
    text = buffer.getvalue()
    assert "\x1b" not in text
    return text


# --- the poster ----------------------------------------------------------------------------

def test_the_posters_formula_gets_the_swap(check):
    result = check(POSTER, sizes=SPEC_EXAMPLE)
    assert result.verdict == "shape"
    assert result.repair["formula"] == FIXED
    [edit] = result.repair["edits"]
    assert edit["kind"] == "swap"
    assert POSTER[slice(*edit["span"])] == "dZ2 @ W2.T" and edit["text"] == "W2.T @ dZ2"
    assert marked(result.repair) == ["W2.T", "dZ2"]


def test_the_swap_is_marked_in_plain_text(check):
    lines = plain(check(POSTER, sizes=SPEC_EXAMPLE)).splitlines()
    [at] = [i for i, line in enumerate(lines) if "did you mean:" in line]
    assert lines[at].endswith(f"did you mean: {FIXED}   (swap dZ2 and W2.T)")
    start = lines[at].index(FIXED)
    carets = lines[at + 1]
    assert set(carets.strip()) == {"^", " "}
    assert carets[start + FIXED.index("W2.T"):][:4] == "^^^^"
    assert carets[start + FIXED.index("dZ2"):][:3] == "^^^"
    assert carets[start:start + FIXED.index("W2.T")].strip() == ""
    assert carets.count("^") == len("W2.T") + len("dZ2")


def test_the_json_repair_passes_when_fed_back(cli):
    first = cli(POSTER, *SPEC_ARGS, "--json")
    assert first.exit_code == 1
    repair = first.json()["results"][0]["repair"]
    assert repair["formula"] == FIXED
    again = cli(repair["formula"], *SPEC_ARGS, "--json")
    assert again.exit_code == 0, again.stdout
    assert again.json()["results"][0]["verdict"] == "pass"
    assert again.json()["results"][0]["repair"] is None


def test_the_slide_notation_poster_keeps_its_notation(check):
    result = check("dZ[1] = dZ[2] W[2]T * g[1]'(Z[1])", sizes=SPEC_EXAMPLE)
    assert result.repair["formula"] == "dZ[1] = W[2]T dZ[2] * g[1]'(Z[1])"
    assert marked(result.repair) == ["W[2]T", "dZ[2]"]


def test_latex_keeps_its_notation(check):
    sizes = {"n0": 4, "n1": 5, "n2": 3, "n3": 2, "m": 6}
    result = check(r"dW^{[l]} = \frac{1}{m} A^{[l-1]T} dZ^{[l]}", sizes=sizes, layers=3)
    assert result.repair["formula"] == r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}"
    result = check("dA^{[l-1]} = W^{[l]} dZ^{[l]}", sizes=sizes, layers=3)
    assert result.repair["formula"] == "dA^{[l-1]} = W^{[l]T} dZ^{[l]}"
    assert marked(result.repair) == ["T"]


# --- every wrong case of the corpus --------------------------------------------------------

WRONG = [c for c in load_cases() if c["expect"] in ("shape", "value")]
# the cases a small edit repairs (the others need the derived formula)
REPAIRED = {
    "pub-ng-w3-dZ1-poster": "dZ1 = W2.T @ dZ2 * g1'(Z1)",
    "pub-ng-w3-dW2-missing-1-over-m": "dW2 = 1/m * dZ2 @ A1.T",
    "pub-ng-w3-dW2-A1-not-transposed": "dW2 = 1/m * dZ2 @ A1.T",
    "pub-ng-w3-db2-no-axis": "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)",
    "pub-ng-w3-dW1-XT-first": "dW1 = 1/m * dZ1 @ X.T",
    "pub-ng-w3-precedence-trap": "dZ1 = g1'(Z1) * (W2.T @ dZ2)",
    "pub-rows-columns-formula": "dW2 = 1/m * A1.T @ dZ2",
    "pub-li-dA-prev-W-not-transposed": "dA_prev = W.T @ dZ",
    "pub-se-dW-swapped": "dW = H.T @ ((Y - T) * f'(H @ W + B))",
    "pub-mc-net2-dZ2-stated-cost": "dZ2 = 1/m * (A2 - Y)",
    "pub-not-poster": "dZ[1] = W[2]T dZ[2] * g[1]'(Z[1])",
}


@pytest.mark.parametrize("case", WRONG, ids=[c["id"] for c in WRONG])
def test_every_wrong_case_gets_a_formula_that_passes(cli, case):
    """A repair, else the derived formula (read from the report, as a user reads it), and
    what is shown passes when fed back with the same options."""
    first = cli(*case["argv"], "--json")
    assert first.exit_code == 1, first.stdout + first.stderr
    item = first.json()["results"][0]
    assert item["verdict"] == case["expect"]
    if case["id"] in REPAIRED:
        assert item["repair"] and item["repair"]["formula"] == REPAIRED[case["id"]]
    if item["repair"]:
        shown = item["repair"]["formula"]
    else:
        derived = item.get("derived") or re.search(
            r"^\s+derived: (.+)$", cli(*case["argv"]).stdout, re.MULTILINE).group(1)
        shown = with_lhs(item["formula"], derived)
    again = cli(shown, *case["argv"][1:], "--json")
    assert again.exit_code == 0, (shown, again.stdout, again.stderr)
    assert again.json()["results"][0]["verdict"] == "pass"


def with_lhs(formula: str, derived: str) -> str:
    """The derived formula as an equation: `dZ1 = ...` (the numpy name of the left side)."""
    if re.match(r"\s*[A-Za-z_]\w*\s*=[^=]", derived):
        return derived
    return f"{parse_equation(formula).lhs.id} = {derived}"


def test_the_repairs_of_the_corpus_are_edits_of_its_text(cli):
    for case in WRONG:
        if case["id"] not in REPAIRED:
            continue
        text = case["argv"][0]
        item = cli(*case["argv"], "--json").json()["results"][0]
        formula = text
        for edit in sorted(item["repair"]["edits"], key=lambda e: e["span"], reverse=True):
            start, end = edit["span"]
            formula = formula[:start] + edit["text"] + formula[end:]
        assert formula == item["repair"]["formula"], case["id"]


# --- the kinds of edit ---------------------------------------------------------------------

@pytest.mark.parametrize("text, fixed, kinds, marks", [
    ("dW2 = dZ2 @ A1.T", "dW2 = 1/m * dZ2 @ A1.T", ["factor"], ["1/m *"]),
    ("dW2 = 2 * dZ2 @ A1.T", "dW2 = 1/m * dZ2 @ A1.T", ["factor"], ["1/m"]),
    ("dW2 = dZ2 @ A1.T / 3", "dW2 = dZ2 @ A1.T / m", ["factor"], ["m"]),
    ("dW2 = -dZ2 @ A1.T / m", "dW2 = dZ2 @ A1.T / m", ["unfactor"], [""]),  # a deletion
    ("dZ2 = Y - A2", "dZ2 = -(Y - A2)", ["factor"], ["-(", ")"]),
    ("dW2 = 1/m * dZ2 @ A1", "dW2 = 1/m * dZ2 @ A1.T", ["transpose"], [".T"]),
    ("dW2 = 1/m * dZ2 @ A1.T.T", "dW2 = 1/m * dZ2 @ A1.T", ["untranspose"], ["A1.T"]),
    ("dW2 = dZ2 @ A1", "dW2 = 1/m * dZ2 @ A1.T", ["transpose", "factor"], [".T", "1/m *"]),
    ("db2 = 1/m * np.sum(dZ2)", "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", ["axis"],
     [", axis=1, keepdims=True"]),
    ("db2 = 1/m * np.sum(dZ2, axis=0, keepdims=True)",
     "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", ["axis"], ["1"]),
    ("db2 = 1/m * np.sum(dZ2, axis=1)", "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)",
     ["axis"], [", keepdims=True"]),
    ("dA1 = W2.T * dZ2", "dA1 = W2.T @ dZ2", ["operator"], ["@"]),
])
def test_a_kind_of_edit(check, text, fixed, kinds, marks):
    result = check(text)
    assert result.verdict in ("shape", "value")
    assert result.repair["formula"] == fixed
    assert [e["kind"] for e in result.repair["edits"]] == kinds
    assert marked(result.repair) == marks
    assert check(fixed).verdict == "pass"


def test_a_factor_that_equals_a_size_by_chance_is_taken_out_as_written(check):
    # n2 = 2: the diagnosis may name n2, but the 2 written is what is wrong
    result = check("dZ2 = (A2 - Y) * 2")
    assert result.repair["formula"] == "dZ2 = (A2 - Y)"
    assert result.repair["edits"][0]["note"] == "without the factor 2"


def test_a_deletion_is_marked_where_it_was(check):
    result = check("dZ2 = (A2 - Y) * 2")
    [edit] = result.repair["edits"]
    assert edit["kind"] == "unfactor" and edit["text"] == "" and edit["marks"] == [[14, 14]]
    lines = plain(result).splitlines()
    assert lines[-2].endswith("did you mean: dZ2 = (A2 - Y)   (without the factor 2)")
    assert lines[-1] == " " * lines[-2].index("dZ2 = (A2") + " " * len("dZ2 = (A2 - Y)") + "^"


def test_rows_against_columns_is_a_swap_and_a_transpose(check):
    sizes = {"n0": 3, "n1": 5, "n2": 2, "m": 4}
    result = check(r"dZ^{[1]} = W^{[2]} dZ^{[2]} \odot g^{[1]\prime}(Z^{[1]})", sizes=sizes,
                   layout="rows")
    assert result.repair["formula"] == r"dZ^{[1]} = dZ^{[2]} W^{[2]T} \odot g^{[1]\prime}(Z^{[1]})"
    assert result.repair["edits"][0]["note"] == "swap W^{[2]} and dZ^{[2]}, and transpose W^{[2]}"


def test_a_transposed_gradient_gets_the_transpose_of_the_whole(check):
    result = check("dX = np.linalg.inv(X)", sizes={"n": 3}, forward=("J = np.log(np.linalg.det(X))",),
                   shapes={"X": ("n", "n")})
    assert result.diagnosis == {"kind": "transpose"}
    assert result.repair["formula"] == "dX = np.linalg.inv(X).T"


def test_no_repair_for_a_pass_an_error_or_without_values(check):
    assert check("dZ2 = A2 - Y").repair is None
    assert check("dZ1 = W2.T @@ dZ2").repair is None
    assert check(POSTER, values=False).repair is None


# --- never an unverified formula -----------------------------------------------------------

def test_only_a_candidate_that_passes_is_returned(check):
    failing = check(POSTER, sizes=SPEC_EXAMPLE)
    seen = []

    def never(text):
        seen.append(text)
        return Result(text, "value", "no")
    assert find(POSTER, failing, never, SPEC_EXAMPLE) is None
    assert FIXED in seen
    assert 0 < len(seen) <= MAX_CANDIDATES
    assert len(set(seen)) == len(seen)


def test_the_search_is_limited(check):
    text = "dW = ((Y - T) * f'(H @ W + B)) @ H.T + H.T @ (Y - T) * f'(H @ W + B) @ W.T @ W"
    calls = []

    def count(candidate):
        calls.append(candidate)
        return Result(candidate, "shape", "no")
    find(text, Result(text, "shape", "no"), count, {"h": 4, "y": 3}, limit=7)
    assert len(calls) == 7


def test_the_report_says_when_nothing_could_be_verified(check):
    result = check("dZ2 = A2 - Y - Y")
    assert result.verdict == "value" and result.repair is None
    if getattr(result, "derived", None) is None:
        assert "no small edit of this formula, and no derivation, could be verified" in plain(result)
    hand_made = Result("dZ2 = A2 - Y - Y", "value", "the values differ", lhs_shape=("n2", "m"),
                       sizes=COURSE, searched=True)
    assert "could be verified" in plain(hand_made)
    # under --no-values nothing is looked for, and the report does not claim a search
    assert "could be verified" not in plain(replace(hand_made, searched=False))
    assert "did you mean" not in plain(hand_made)


def test_apply_refuses_overlapping_edits():
    a = Edit("swap", "a", (((0, 3), "x"),))
    b = Edit("transpose", "b", (((2, 4), "y"),))
    assert apply("abcdef", [a, b]) is None
    text, marks = apply("abcdef", [Edit("factor", "f", (((0, 0), "2 * "),)), a])
    assert text == "2 * xdef" and marks == [[(0, 3)], [(4, 5)]]


# --- --svg and --html ----------------------------------------------------------------------

@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def svg_text(path) -> str:
    """The terminal's lines, read back from where rich places each run of text (it draws no
    text for spaces between styled runs)."""
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    runs = [e for e in root.iter("{http://www.w3.org/2000/svg}text") if e.get("textLength")]
    width = float(runs[0].get("textLength")) / len(runs[0].text)
    lines: dict[float, str] = {}
    for run in runs:
        y, column = float(run.get("y")), round(float(run.get("x")) / width)
        lines[y] = lines.get(y, "").ljust(column) + run.text.replace("\xa0", " ")
    return "\n".join(lines[y] for y in sorted(lines))


def test_svg_is_svg_and_holds_the_formula_and_its_repair(cli, here):
    before = set(os.listdir(here))
    result = cli(POSTER, *SPEC_ARGS, "--svg", "poster.svg")
    assert result.exit_code == 1 and result.stderr == ""
    assert set(os.listdir(here)) == before | {"poster.svg"}
    text = svg_text(here / "poster.svg")
    assert POSTER in text and FIXED in text
    assert "^^^^   ^^^" in text
    assert result.stdout.splitlines()[0] in text  # the report as the terminal shows it


def test_html_is_written_alone(cli, here):
    before = set(os.listdir(here))
    result = cli(POSTER, *SPEC_ARGS, "--html", "poster.html")
    assert result.exit_code == 1
    assert set(os.listdir(here)) == before | {"poster.html"}
    page = (here / "poster.html").read_text(encoding="utf-8")
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert "W2.T" in page and "did you mean" in page


def test_both_pictures_at_once_and_nothing_without_asking(cli, here):
    assert cli(POSTER, *SPEC_ARGS).exit_code == 1
    assert cli(POSTER, *SPEC_ARGS, "--json").exit_code == 1
    assert os.listdir(here) == []
    result = cli("dZ2 = A2 - Y", *COURSE_ARGS, "--svg", "a.svg", "--html", "a.html")
    assert result.exit_code == 0
    assert sorted(os.listdir(here)) == ["a.html", "a.svg"]
    assert "dZ2 = A2 - Y" in svg_text(here / "a.svg")


def test_a_long_line_is_not_cut_off_in_the_picture(cli, here):
    """It is wrapped at spaces instead (a picture is at most 100 columns wide, issue 17)."""
    cli(POSTER, *SPEC_ARGS, "--svg", "p.svg")
    rule = ("the inner sizes m and n1 of a matrix product must be equal: dZ2 is (n2, m) and "
            "W2.T is (n1, n2)")
    assert rule in " ".join(svg_text(here / "p.svg").split())


@pytest.mark.parametrize("path, reason", [("missing/dir/p.svg", "No such file or directory"),
                                          (".", "Is a directory")])
def test_a_path_that_cannot_be_written_is_a_clear_error(cli, here, path, reason):
    result = cli("dZ2 = A2 - Y", *COURSE_ARGS, "--svg", path)
    assert not result.crashed
    assert result.exit_code == 2
    assert result.stderr.startswith(f"shapecheck: error: --svg {path}: cannot write it")
    assert reason in result.stderr and "Traceback" not in result.stderr


def test_the_options_are_in_help(cli):
    text = cli("--help").stdout
    assert "--svg" in text and "--html" in text


def test_one_move_is_made_once_with_its_tree_form_and_its_text_edit():
    """advice.edits is the one edit engine: a shape hint reads a move's node, a repair its
    edit of the text as typed."""
    editor = Editor("dZ[1] = W[2] dZ[2]", {})
    move = editor.transpose(editor.rhs.left)
    assert to_numpy(move.tree) == "W2.T"
    assert apply(editor.text, [move.edit])[0] == "dZ[1] = W[2]T dZ[2]"
    swap = editor.swap(editor.rhs)
    assert to_numpy(swap.tree) == "dZ2 @ W2"
    assert apply(editor.text, [swap.edit])[0] == "dZ[1] = dZ[2] W[2]"
    # a tree alone (a shape hint has no text): the same move, with no text form
    alone = Editor(None, {}, parse_equation("dZ1 = W2 @ dZ2").rhs)
    assert to_numpy(alone.transpose(alone.rhs.left).tree) == "W2.T"
    assert alone.transpose(alone.rhs.left).edit is None


def test_one_factor_namer_for_the_diagnosis_and_the_repair():
    """models.factors names a constant factor for both: m first, then small constants, then
    the other sizes in layer order; a number right only at these sizes has no name."""
    assert name_of(0.2, {"m": 5, "n1": 5}) == "1/m"
    assert name_of(2.0, {"n2": 2}) == "2"
    assert name_of(-1 / 3, {"n10": 3, "n2": 3}) == "-1/n2"
    assert name_of(1 / 25, {"m": 5}) is None  # (test_architecture: both import it)
