"""`pytest --shapecheck`: notes files collected, one item per formula, failures shown with
the command's report; nothing collected (and nothing of shapecheck's checking imported)
without the option. Run with pytester over a folder of notes files."""
from __future__ import annotations

import shutil
from importlib.metadata import entry_points
from pathlib import Path

import pytest

# imported here, before any in-process pytester run: pytester gives sys.modules back as it
# found it after each run, so a module first imported inside a run (rich.segment under the
# report) would be imported again by the next one, and rich's classes would no longer be
# the ones the report's objects were made of (NotRenderableError: Segment)
import shapecheck.report  # noqa: F401
import shapecheck.session  # noqa: F401

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

NOTES = """\
# Week 3

```shapecheck
sizes: n0=3 n1=4 n2=2 m=5
dZ2 = A2 - Y
dW2 = dZ2 @ A1.T
dZ1 = dZ2 @ W2.T * g1'(Z1)
db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)
```
"""


@pytest.fixture
def notes(pytester):
    """A folder of notes: the repository's examples (20 formulas, 3 wrong) and notes.md
    (4 formulas: 2 right, one missing its 1/m, one with its product turned round)."""
    shutil.copytree(EXAMPLES, pytester.path / "examples")
    (pytester.path / "notes.md").write_text(NOTES, encoding="utf-8")
    return pytester


def test_the_plugin_is_registered_as_pytest11_entry_point():
    found = [e for e in entry_points(group="pytest11") if e.name == "shapecheck"]
    assert [e.value for e in found] == ["shapecheck.pytest_plugin"]


def test_each_formula_is_an_item_named_by_its_line(notes):
    result = notes.runpytest("--shapecheck", "--collect-only", "-q", "notes.md")
    assert result.ret == 0
    assert result.outlines[:5] == [
        "notes.md::line 5: dZ2 = A2 - Y",
        "notes.md::line 6: dW2 = dZ2 @ A1.T",
        "notes.md::line 7: dZ1 = dZ2 @ W2.T * g1'(Z1)",
        "notes.md::line 8: db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)",
        "notes.md::directives",  # its sizes: one that no formula used fails here
    ]


def test_outcomes_are_the_commands_verdicts(notes):
    result = notes.runpytest("--shapecheck", "-p", "no:cacheprovider", "-rf")
    # examples/notes/: 20 formulas (3 wrong) and 3 files with directives; examples/
    # derivations/: 17 formulas and derivations (2 with a wrong step), one item each;
    # notes.md: 4 and 1
    result.assert_outcomes(passed=17 + 3 + 15 + 2 + 1, failed=3 + 2 + 2)
    result.stdout.fnmatch_lines([
        "FAILED examples/derivations/a-wrong-step.md::line 10: *",  # the derivation's
        "FAILED examples/derivations/quadratic-form.md::line 9: *",  # members, its report
        "FAILED examples/notes/chapter2.tex::line 39: dW2 = dZ2 @ A1.T - *",
        "FAILED examples/notes/derivation.md::line 23: dZ1 = dZ2 @ W2.T * g1'(Z1) - *",
        "FAILED examples/notes/hw3.ipynb::line 47: db1 = 1/m * np.sum(dZ1, axis=0, keepdims=True)*",
        "FAILED notes.md::line 6: dW2 = dZ2 @ A1.T - *",
        "FAILED notes.md::line 7: dZ1 = dZ2 @ W2.T * g1'(Z1) - *",
    ])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_failure_shows_the_commands_report_of_that_formula(notes, cli, monkeypatch):
    monkeypatch.chdir(notes.path)
    command = cli("notes.md").stdout.splitlines()
    result = notes.runpytest("--shapecheck", "-p", "no:cacheprovider", "notes.md")
    result.assert_outcomes(passed=3, failed=2)
    text = result.stdout.str()
    # the command's lines for each wrong formula, as it prints them: location, verdict,
    # carets, the rule, the diagnosis and the verified repair
    wrong_value = command[1:5]
    assert wrong_value[0].startswith("notes.md:6:1: ✗ value  dW2 = dZ2 @ A1.T")
    assert "m = 5 times the true gradient; multiply it by 1/m" in wrong_value[1]
    wrong_shape = command[5:12]
    assert wrong_shape[-2].strip().startswith("did you mean: dZ1 = W2.T @ dZ2 * g1'(Z1)")
    for line in wrong_value + wrong_shape:
        assert line in result.stdout.lines
    # under the headline pytest gives each failure
    result.stdout.fnmatch_lines(["_* notes.md, line 6: dW2 = dZ2 @ A1.T _*", wrong_value[0]])
    assert "notes.md:5:1: ✓ pass" not in text  # a passing formula shows nothing


def test_selecting_one_formula_checks_it_alone(notes):
    result = notes.runpytest("--shapecheck", "-p", "no:cacheprovider", "notes.md",
                             "-k", "db2")
    result.assert_outcomes(passed=1, deselected=4)
    result = notes.runpytest("--shapecheck", "-p", "no:cacheprovider",
                             "notes.md::line 6: dW2 = dZ2 @ A1.T")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*multiply it by 1/m*"])


def test_a_size_no_formula_uses_fails_the_files_directives(pytester):
    pytester.makefile(".md", slip="```shapecheck\nsizes: n0=3 n1=4 n2=2 m=5 k=7\n"
                                  "dZ2 = A2 - Y\n```\n")
    result = pytester.runpytest("--shapecheck", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "slip.md::line 3: dZ2 = A2 - Y PASSED*",
        "slip.md::directives FAILED*",
        "slip.md:2:27: ! error  k=7: no formula, model or the naming convention uses a size k*",
    ])


def test_a_bad_directive_and_an_unreadable_notebook_fail(pytester):
    pytester.makefile(".md", bad="```shapecheck\nsizes: m=0\ndZ2 = A2 - Y\n```\n")
    pytester.makefile(".ipynb", broken="{ not json")
    result = pytester.runpytest("--shapecheck", "-p", "no:cacheprovider", "-v")
    result.stdout.fnmatch_lines(["bad.md::line 2: directive FAILED*",
                                 "broken.ipynb::line 1: unreadable FAILED*"])
    result.stdout.fnmatch_lines(["bad.md:2:10: ! error  size 'm' must be a positive integer, not '0'",
                                 "broken.ipynb:1:1: ! error  *"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_without_the_option_nothing_is_collected(notes):
    notes.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = notes.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)  # the Python test alone
    result = notes.runpytest("-p", "no:cacheprovider", "--collect-only", "-q", "examples")
    assert "line" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result = notes.runpytest("-p", "no:cacheprovider", "notes.md")  # named, still no test
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: not found: */notes.md"])


LOADED = """
import sys

def pytest_sessionfinish(session):
    names = ["numpy", "lark", "rich", "shapecheck.session", "shapecheck.notes"]
    print("\\nLOADED", ", ".join(n for n in names if n in sys.modules) or "nothing")
"""


def test_without_the_option_shapecheck_is_not_imported_beyond_the_plugin(notes):
    # in a fresh interpreter: the plugin is loaded in every pytest run of every project
    # where shapecheck is installed, so it must cost nothing there
    notes.makeconftest(LOADED)
    notes.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = notes.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["LOADED nothing"])
    result = notes.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--shapecheck",
                                        "notes.md", "test_plain.py")
    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines(["LOADED numpy, lark, rich, shapecheck.session, shapecheck.notes"])


def test_in_colour_where_pytest_writes_in_colour(notes):
    result = notes.runpytest("--shapecheck", "-p", "no:cacheprovider", "--color=yes",
                             "notes.md")
    text = result.stdout.str()
    assert "\x1b[1;31m✗ value\x1b[0m" in text  # the verdict as the terminal shows it
    result = notes.runpytest("--shapecheck", "-p", "no:cacheprovider", "--color=no",
                             "notes.md")
    assert "\x1b[" not in result.stdout.str() and "✗ value" in result.stdout.str()
