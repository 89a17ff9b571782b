"""The Python API from plain Python: verdicts, `.ok`, what is shown (repr, HTML, rich), the
exceptions, sizes from arrays, a light `import shapecheck`, and the README's examples."""
from __future__ import annotations

import doctest
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

import shapecheck
from shapecheck.cli import command

ROOT = Path(__file__).resolve().parent.parent
DZ1 = "dZ1 = W2.T @ dZ2 * g1'(Z1)"
SIZES = {"n0": 3, "n1": 4, "m": 5}


def test_a_right_formula_passes_with_its_shapes_and_error():
    r = shapecheck.check(DZ1, **SIZES)
    assert isinstance(r, shapecheck.CheckResult)
    assert r.ok and r.verdict == "pass"
    assert r.lhs_shape == ("n1", "m") and r.rhs_shape == ("n1", "m")
    assert r.rel_error < 1e-6 and r.tolerance == 1e-6
    assert dict(r.sizes) == {"n0": 3, "n1": 4, "n2": 2, "m": 5} and dict(r.defaults) == {"n2": 2}


def test_the_result_is_the_one_the_command_reports():
    r = shapecheck.check(DZ1, **SIZES)
    cli = CliRunner().invoke(command, [DZ1, "--n0", "3", "--n1", "4", "--m", "5", "--json"])
    assert cli.exit_code == 0
    assert json.loads(cli.output)["results"] == [r.to_dict()]


def test_a_wrong_formula_is_no_exception_it_has_a_verdict_and_a_repair():
    r = shapecheck.check("dZ1 = dZ2 @ W2.T * g1'(Z1)", **SIZES)
    assert not r.ok and r.verdict == "shape"
    assert [(o.text, o.shape) for o in r.operands] == [("dZ2", ("n2", "m")), ("W2.T", ("n1", "n2"))]
    assert r.hint == "W2.T @ dZ2" and r.repair["formula"] == DZ1
    r = shapecheck.check("dW1 = dZ1 @ X.T", **SIZES)
    assert r.verdict == "value" and r.diagnosis == {"kind": "factor", "factor": "m"}
    assert r.rel_error > 0.1 and r.repair["formula"] == "dW1 = 1/m * dZ1 @ X.T"


def test_repr_is_the_report_as_the_command_prints_it():
    r = shapecheck.check("dW1 = dZ1 @ X.T", **SIZES)
    cli = CliRunner(env={"NO_COLOR": "1"}).invoke(command, ["dW1 = dZ1 @ X.T", "--n0", "3",
                                                            "--n1", "4", "--m", "5"])
    assert repr(r) == str(r) == cli.output.rstrip("\n")
    assert repr(r).startswith("✗ value  dW1 = dZ1 @ X.T   (n1, n0) = (4, 3)\n")


def test_html_for_a_notebook_and_rich_for_a_terminal():
    r = shapecheck.check("dZ1 = dZ2 @ W2.T * g1'(Z1)", **SIZES)
    html = r._repr_html_()
    assert html.startswith("<pre") and html.rstrip().endswith("</pre>")
    assert "✗ shape" in html and "dZ2 is (n2, m)" in html and "color:" in html
    assert "<html" not in html  # a fragment for an output cell, not a page
    console = Console(file=io.StringIO(), width=60, color_system=None)
    console.print(r)
    lines = console.file.getvalue().splitlines()
    assert lines[0].startswith("✗ shape  dZ1 = dZ2 @ W2.T * g1'(Z1)")
    assert max(len(line) for line in lines) <= 60  # laid out for the console's width
    assert any("did you mean: dZ1 = W2.T @ dZ2 * g1'(Z1)" in line for line in lines)


def test_options_are_keywords_and_sizes_may_be_a_mapping():
    r = shapecheck.check("dZ1 = W2.T @ dZ2 * (1 - A1**2)", sizes=SIZES,
                         activations={"g1": "tanh"}, seed=3, tol=1e-7)
    assert r.ok and r.tolerance == 1e-7
    r = shapecheck.check("dZ1 = W2.T @ dZ2", n1=4, n2=3, m=5, values=False)
    assert r.ok and r.rel_error is None
    r = shapecheck.check("dW = 1/m * dZ @ A_prev.T", L=2, layers=(1, 2), n0=3, n1=4, n2=2, m=5)
    assert r.ok and r.layers == (1, 2)
    r = shapecheck.check("dH = (Y - T) @ W.T", forward="Y = H @ W; J = 1/2 * np.sum((Y - T) ** 2)",
                         shapes={"H": (1, "h"), "W": "h,y", "T": (1, "y")}, h=3, y=2)
    assert r.ok and r.lhs_shape == (1, "h")


@pytest.mark.parametrize("call, kind, said", [
    (lambda: shapecheck.check("dZ2 = A2 - Y", nl=4, m=5), shapecheck.BadOptionError,
     "nl=4: no formula, model or the naming convention uses a size nl"),
    (lambda: shapecheck.check("dZ2 = A2 - Y", activation={"g1": "tanh"}),
     shapecheck.BadOptionError, "unknown keyword argument; did you mean activations=?"),
    (lambda: shapecheck.check("dZ2 = A2 - Y", sed=3), shapecheck.BadOptionError,
     "did you mean seed=?"),
    (lambda: shapecheck.check("dZ2 = A2 - Y", activations={"g1": "tanhh"}),
     shapecheck.BadOptionError, "did you mean 'tanh'?"),
    (lambda: shapecheck.check("dZ2 = A2 - Y", layout="row"), shapecheck.BadOptionError,
     "did you mean 'rows'?"),
    (lambda: shapecheck.check("dZ2 = A2 - Y", m=0), shapecheck.BadOptionError,
     "m=0: sizes are positive integers"),
    (lambda: shapecheck.check("dZ2 = A2 - Y", activations={"g7": "tanh"}),
     shapecheck.BadOptionError, "no formula or model uses an activation g7"),
    (lambda: shapecheck.check("dZ1 = W2.T @@ dZ2"), shapecheck.FormulaSyntaxError,
     "unexpected '@' here"),
    (lambda: shapecheck.check("dZ1 = W2.T @ dZZ2"), shapecheck.CheckError,
     "dZZ2 has no shape (did you mean dZ2"),
    (lambda: shapecheck.derive("dQ1"), shapecheck.CheckError,
     "cannot derive dQ1: dQ1 is not the gradient of a quantity of the model"),
    (lambda: shapecheck.check_notes("no/such/notes.md"), shapecheck.UnreadableFileError,
     "no/such/notes.md: no such file"),
])
def test_what_cannot_be_checked_raises_one_family(call, kind, said):
    with pytest.raises(kind) as raised:
        call()
    assert isinstance(raised.value, shapecheck.ShapecheckError)
    assert said in raised.value.message and said in str(raised.value)


def test_an_error_verdict_raised_carries_its_place_and_its_report():
    with pytest.raises(shapecheck.FormulaSyntaxError) as raised:
        shapecheck.check("dZ1 = W2.T @@ dZ2")
    assert raised.value.span == (12, 13) and raised.value.text == "dZ1 = W2.T @@ dZ2"
    assert raised.value.result.verdict == "error" and not raised.value.result.ok
    with pytest.raises(shapecheck.CheckError) as raised:
        shapecheck.check("dZ1 = W2.T @ dZZ2")
    assert raised.value.span == (13, 17)
    assert repr(raised.value.result).startswith("! error  dZ1 = W2.T @ dZZ2")


def test_a_derivation_verified():
    r = shapecheck.derive("dW1", **SIZES)
    assert r.ok and r.derived == "dW1 = 1/m * dZ1 @ X.T" and r.lhs_shape == ("n1", "n0")
    assert r.derivation.steps == () and r.derivation.latex is None  # kept only when asked
    r = shapecheck.derive("dW1", steps=True, latex=True, **SIZES)
    assert r.derivation.latex and len(r.derivation.steps) >= 1
    assert "1. Z1 = W1 @ X + b1, so dW1 = 1/m * dZ1 @ X.T" in repr(r)


def test_notes_files_give_a_list_like_report():
    report = shapecheck.check_notes(ROOT / "examples" / "notes" / "hw3.ipynb")
    assert isinstance(report, shapecheck.Report) and len(report) == 4
    assert [r.verdict for r in report] == ["pass", "pass", "shape", "pass"]
    assert not report.ok and report[2].hint and report[2].source.line == 47
    assert report.summary == "4 formulas in 1 file: 3 pass, 1 shape"
    assert repr(report).endswith("\n4 formulas in 1 file: 3 pass, 1 shape")
    assert json.loads(report.to_json())["ok"] is False
    assert "✗ shape" in report._repr_html_()
    both = shapecheck.check_notes([str(ROOT / "examples" / "notes" / "derivation.md"),
                                   ROOT / "examples" / "notes" / "hw3.ipynb"])
    assert len(both) == 12 and both.summary.startswith("12 formulas in 2 files")


def test_notes_as_text_with_directives():
    report = shapecheck.check_notes_text(
        "sizes: n0=3 n1=4 m=5\ndZ2 = A2 - Y\nactivation: g1 = tanh\n"
        "dZ1 = W2.T @ dZ2 * (1 - A1**2)\n# no 1/m\ndW2 = dZ2 @ A1.T\n", name="mine")
    assert [(r.verdict, r.source.line) for r in report] == [("pass", 2), ("pass", 4), ("value", 6)]
    assert str(report).startswith("mine:2:1: ✓ pass   dZ2 = A2 - Y")
    assert shapecheck.check_notes_text("sizes: m=5\ndZ2 = A2 - Y\n").ok
    report = shapecheck.check_notes_text("sizes: nl=4\ndZ2 = A2 - Y\n")
    assert not report.ok and report[-1].message.startswith("nl=4: no formula")


def test_sizes_from_arrays():
    arrays = {"W2": np.ones((1, 4)), "dZ2": np.ones((1, 7)), "Z1": np.ones((4, 7)), "m": 3}
    r = shapecheck.check(DZ1, arrays=arrays)
    assert r.ok and dict(r.from_arrays) == {"n1": "W2", "n2": "W2", "m": "dZ2"}
    assert {k: r.sizes[k] for k in ("n1", "n2", "m")} == {"n1": 4, "n2": 1, "m": 7}
    assert "sizes from the arrays: n1 = 4 (W2), n2 = 1 (W2), m = 7 (dZ2)" in repr(r)
    assert shapecheck.check(DZ1, arrays=arrays, m=7).ok  # a size that agrees is fine
    with pytest.raises(shapecheck.BadOptionError, match=r"m=5 is declared, but the array dZ2 "
                       r"is \(1, 7\), so m = 7"):
        shapecheck.check(DZ1, arrays=arrays, m=5)
    with pytest.raises(shapecheck.BadOptionError, match=r"the arrays disagree on n1: W2 is "
                       r"\(1, 4\), so n1 = 4 \(W2 is \(n2, n1\)\), but Z1 is \(5, 7\)"):
        shapecheck.check(DZ1, arrays={**arrays, "Z1": np.ones((5, 7))})
    with pytest.raises(shapecheck.BadOptionError, match=r"b1 is an array of shape \(4,\), but "
                       r"b1 is \(n1, 1\) here"):
        shapecheck.check("db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True) + 0 * b1",
                         arrays={"b1": np.ones(4)})


def test_import_shapecheck_is_light_and_check_stays_the_function():
    probe = ("import sys, shapecheck; heavy = [m for m in ('numpy', 'rich', 'lark', 'click', "
             "'IPython') if m in sys.modules]; import shapecheck.check as module; "
             "import shapecheck.session; print(heavy, callable(shapecheck.check), "
             "shapecheck.check.__module__, type(module).__name__)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "True", "shapecheck.api", "function"]
    assert set(shapecheck.__all__) <= set(dir(shapecheck))
    with pytest.raises(AttributeError):
        shapecheck.no_such_name


def _readme_examples() -> str:
    """The `pycon` blocks of the README's Python section, as one doctest."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## In Python and Jupyter")
    section = text[start:text.index("\n## ", start + 1)]
    return "\n\n".join(re.findall(r"```pycon\n(.*?)```", section, re.DOTALL))


def test_the_readme_python_examples_print_what_they_show(monkeypatch):
    monkeypatch.chdir(ROOT)
    section = _readme_examples()
    assert section.count(">>> ") >= 8
    test = doctest.DocTestParser().get_doctest(section, {"shapecheck": shapecheck, "np": np},
                                               "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    out = io.StringIO()
    runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()
