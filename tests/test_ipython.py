"""The IPython extension in a real kernel: a notebook built here is executed by nbclient
(as Jupyter runs it headlessly), loads the extension and runs both magics with sizes
taken from its own arrays; its outputs are read back. Then the same magics in-process
(IPython's InteractiveShell) for the cases that need no kernel."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

FORWARD_PASS = """\
import numpy as np
rng = np.random.default_rng(0)
X = rng.normal(size=(3, 5))                        # n0 = 3 features, m = 5 examples
W1, b1 = rng.normal(size=(4, 3)), np.zeros((4, 1))  # n1 = 4
W2, b2 = rng.normal(size=(1, 4)), np.zeros((1, 1))  # n2 = 1
Z1 = W1 @ X + b1; A1 = np.tanh(Z1)
Z2 = W2 @ A1 + b2; A2 = 1 / (1 + np.exp(-Z2))
dZ2 = A2 - (rng.random((1, 5)) > 0.5)
"""


def _kernel(tmp_path, monkeypatch) -> str:
    """A kernelspec that runs this interpreter (the venv's), in a JUPYTER_PATH of its own:
    nothing installed for the user, nothing of the user's used."""
    spec = tmp_path / "jupyter" / "kernels" / "shapecheck-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "shapecheck test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("NO_COLOR", "")
    return "shapecheck-test"


def _run(cells: list[str], tmp_path, monkeypatch):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    client = nbclient.NotebookClient(notebook, kernel_name=_kernel(tmp_path, monkeypatch),
                                     timeout=180, allow_errors=True,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return notebook.cells


def _outputs(cell) -> dict:
    """mime type (and 'error', 'stdout', 'stderr') → the text of a cell's outputs."""
    found: dict[str, str] = {}
    for output in cell.outputs:
        if output.output_type in ("execute_result", "display_data"):
            for mime, data in output.data.items():
                found[mime] = found.get(mime, "") + data
        elif output.output_type == "error":
            found["error"] = f"{output.ename}: {output.evalue}"
        elif output.output_type == "stream":  # "stdout", "stderr"
            found[output.name] = found.get(output.name, "") + output.text
    return found


@pytest.mark.slow
def test_a_notebook_runs_both_magics_with_sizes_from_its_arrays(tmp_path, monkeypatch):
    cells = _run([
        "%load_ext shapecheck",
        FORWARD_PASS,
        "%shapecheck dZ1 = W2.T @ dZ2 * g1'(Z1)",
        "%shapecheck dZ1 = dZ2 @ W2.T * g1'(Z1)",
        "%%shapecheck --activation g1=tanh\n"
        "dW2 = 1/m * dZ2 @ A1.T\n"
        "# the tanh derivative, written out\n"
        "dZ1 = W2.T @ dZ2 * (1 - A1**2)\n"
        "db1 = np.sum(dZ1, axis=1, keepdims=True)\n",
        "X_wrong = X\nX = np.zeros((5, 5))\n%shapecheck dW1 = 1/m * dZ1 @ X.T + 0 * W1",
        "%shapecheck dZ2 = A2 - Y --nl 3",
        "r = %shapecheck dW1 = 1/m * dZ1 @ X_wrong.T --n0 3\nprint(r.ok)\nr",
    ], tmp_path, monkeypatch)
    loaded, forward, passing, swapped, cell, contradicting, unused, unknown = map(_outputs, cells)
    assert "error" not in loaded and "error" not in forward

    # one formula: a pass, its sizes from the arrays W2 (n2, n1) and dZ2 (n2, m)
    text, html = passing["text/plain"], passing["text/html"]
    assert text.startswith("✓ pass   dZ1 = W2.T @ dZ2 * g1'(Z1)   (n1, m) = (4, 5)   rel. error")
    assert "sizes from the arrays: n1 = 4 (W2), n2 = 1 (W2), m = 5 (dZ2)" in text
    assert "<pre" in html and "✓ pass" in html and "(n1, m) = (4, 5)" in html
    assert "color" in html  # in colour, as a terminal shows it

    # a wrong one: its verdict, the operands marked, the repair
    text = swapped["text/plain"]
    assert text.startswith("✗ shape  dZ1 = dZ2 @ W2.T * g1'(Z1)   (n1, m) = (4, 5)")
    assert "dZ2 is (n2, m)" in text and "did you mean: dZ1 = W2.T @ dZ2 * g1'(Z1)" in text
    assert "✗ shape" in swapped["text/html"]

    # a cell of notes: each formula at its line, the summary
    text = cell["text/plain"]
    assert "cell:1:1: ✓ pass   dW2 = 1/m * dZ2 @ A1.T   (n2, n1) = (1, 4)" in text
    assert "cell:3:1: ✓ pass   dZ1 = W2.T @ dZ2 * (1 - A1**2)   (n1, m) = (4, 5)" in text
    assert "cell:4:1: ✗ value  db1 = np.sum(dZ1, axis=1, keepdims=True)" in text
    assert "the right side is m = 5 times the true gradient" in text
    assert "3 formulas: 2 pass, 1 value" in text

    # arrays that contradict the convention: refused as IPython refuses a magic's usage,
    # one line on stderr, no traceback, no report
    assert contradicting == {"stderr": (
        "UsageError: shapecheck: the arrays disagree on n0: X is (5, 5), so n0 = 5 (X is "
        "(n0, m)), but W1 is (4, 3), so n0 = 3 (W1 is (n1, n0))\n")}
    assert unused["stderr"].startswith("UsageError: shapecheck: --nl 3: no formula, model or "
                                       "the naming convention uses a size nl")
    assert "did you mean --n1?" in unused["stderr"] and "text/plain" not in unused
    # X_wrong is no name of the convention: an error verdict is shown, not raised
    assert unknown["text/plain"].startswith("! error  dW1 = 1/m * dZ1 @ X_wrong.T")
    assert "X_wrong has no shape" in unknown["text/plain"]
    assert unknown["stdout"] == "False\n"


# --- the same magics in-process: IPython's own shell, no kernel ------------------------------

@pytest.fixture(scope="module")
def shell():
    from IPython.testing.globalipapp import start_ipython
    ip = start_ipython()
    ip.run_line_magic("load_ext", "shapecheck")
    return ip


@pytest.fixture
def namespace(shell):
    arrays = {"X": np.zeros((3, 5)), "W2": np.zeros((1, 4)), "dZ2": np.zeros((1, 5))}
    shell.user_ns.update(arrays)
    yield shell.user_ns
    for name in arrays:
        shell.user_ns.pop(name, None)


def test_the_line_is_a_formula_up_to_its_first_option():
    from shapecheck.ipython import split_line
    assert split_line("dZ1 = W2.T @ dZ2 * g1'(Z1) --n0 3 --m 5") == [
        "dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--m", "5"]
    assert split_line("dZ = -A + B --n1 2") == ["dZ = -A + B", "--n1", "2"]
    assert split_line('"dZ2 = A2 - Y" "dW2 = 1/m * dZ2 @ A1.T" --m 5') == [
        "dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T", "--m", "5"]
    assert split_line("--derive dW1 --steps") == ["--derive", "dW1", "--steps"]
    assert split_line('dH = (Y - T) @ W.T --forward "Y = H @ W; J = np.sum(Y)"') == [
        "dH = (Y - T) @ W.T", "--forward", "Y = H @ W; J = np.sum(Y)"]


def test_options_and_arrays_together(shell, namespace):
    from IPython.core.error import UsageError
    r = shell.run_line_magic("shapecheck", "dZ1 = W2.T @ dZ2 * g1'(Z1) --m 5 --activation g1=tanh")
    assert r.ok and r.sizes["m"] == 5 and dict(r.from_arrays) == {"n1": "W2", "n2": "W2",
                                                                   "m": "dZ2"}
    with pytest.raises(UsageError, match=r"shapecheck: --m 7 is declared, but the array dZ2 is "
                                         r"\(1, 5\), so m = 5"):
        shell.run_line_magic("shapecheck", "dZ1 = W2.T @ dZ2 * g1'(Z1) --m 7")


def test_several_formulas_a_file_and_a_derivation(shell, namespace):
    report = shell.run_line_magic("shapecheck", '"dZ2 = A2 - Y" "dW2 = dZ2 @ A1.T"')
    assert [r.verdict for r in report] == ["pass", "value"] and not report.ok
    path = Path(__file__).resolve().parent.parent / "examples" / "notes" / "hw3.ipynb"
    notes = shell.run_line_magic("shapecheck", str(path))
    assert notes.summary == "4 formulas in 1 file: 3 pass, 1 shape"
    derived = shell.run_line_magic("shapecheck", "--derive dW1 --n0 3 --n1 4 --m 5")
    assert derived.ok and derived.derived == "dW1 = 1/m * dZ1 @ X.T"


@pytest.mark.parametrize("line, cell, said", [
    ("dZ2 = A2 - Y --toy", None, "--toy is an option of the command, not of the magic"),
    ("dZ2 = A2 - Y --layout row", None, "did you mean rows?"),
    ("dZ2 = A2 - Y --jsn", None, "--jsn: unknown option; did you mean --json?"),
    ("", None, "nothing to check"),
    ("dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T\n", "the formulas go in the cell"),
    ("dZ2 = A2 - Y --expand", None, "--expand goes with --derive NAME"),
])
def test_what_the_command_refuses_is_a_usage_error(shell, line, cell, said):
    from IPython.core.error import UsageError
    with pytest.raises(UsageError) as raised:
        if cell is None:
            shell.run_line_magic("shapecheck", line)
        else:
            shell.run_cell_magic("shapecheck", line, cell)
    assert str(raised.value).startswith("shapecheck: ") and said in str(raised.value)


def test_help_is_printed_and_nothing_returned(shell, capsys):
    assert shell.run_line_magic("shapecheck", "--help") is None
    assert "--activation NAME=FUNC" in capsys.readouterr().out


def test_a_cell_with_a_faulty_directive_reports_it(shell):
    report = shell.run_cell_magic("shapecheck", "--n0 3 --n1 4 --m 5",
                                  "sizes: n2=2\ndZ2 = A2 - Y\nlayout: diagonal\n")
    assert [r.verdict for r in report] == ["pass", "error"]
    assert report[1].source.line == 3 and "cell:3:" in repr(report)


def test_a_backward_function_of_the_notebook_is_checked_by_name(shell):
    from IPython.core.error import UsageError
    shell.run_cell(
        "import numpy as np\n"
        "def linear_forward(A_prev, W, b):\n"
        "    return W @ A_prev + b\n"
        "def linear_backward(dout, A_prev, W, b):\n"
        "    m = A_prev.shape[1]\n"
        "    return {'A_prev': W.T @ dout, 'W': dout @ A_prev.T / m,\n"
        "            'b': dout.sum(axis=1, keepdims=True) / m}\n"
        "def forgot_1_over_m(dout, A_prev, W, b):\n"
        "    return {'W': dout @ A_prev.T}\n")
    shapes = "--shape A_prev=n0,m --shape W=n1,n0 --shape b=n1,1 --n0 3 --n1 4 --m 5"
    checked = shell.run_line_magic(
        "shapecheck_backward", f"linear_forward linear_backward {shapes} --examples m")
    assert checked.ok and [g.verdict for g in checked.gradients] == ["pass"] * 3
    wrong = shell.run_line_magic(
        "shapecheck_backward", f"linear_forward forgot_1_over_m {shapes} --examples m")
    assert not wrong.ok and wrong.wrong == ["W"]
    assert wrong["W"].diagnosis == {"kind": "factor", "factor": "m"}  # the factor named
    with pytest.raises(UsageError, match="no_such is no function of this notebook"):
        shell.run_line_magic("shapecheck_backward", f"linear_forward no_such {shapes}")
    with pytest.raises(UsageError, match="--shape needs a value"):
        shell.run_line_magic("shapecheck_backward", "linear_forward linear_backward --shape")
