"""`--derive NAME --index`: the derivation in index notation, every line verified.

The lines are checked here again by the notes check (the LaTeX align block read back from
a Markdown file), and a line made wrong must fail there.
"""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from shapecheck.api import make_options
from shapecheck.cli import command
from shapecheck.index_form import render
from shapecheck.session import Session

NETWORK = dict(n0=3, n1=4, m=5)
FORWARD = "Y = f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)"
FORWARD_SHAPES = {"H": (1, "h"), "W": ("h", "y"), "B": (1, "y"), "T": (1, "y")}


def _form(name: str, forward: bool):
    options = make_options(shapes=FORWARD_SHAPES, forward=FORWARD, h=4, y=3) if forward \
        else make_options(**NETWORK)
    return Session(options).index_form(name)


def _notes(tmp_path, form, forward: bool, change=None) -> tuple[list[str], object]:
    """The LaTeX align block written into a Markdown notes file after its model's directive,
    and checked by the command (one formula a link)."""
    block = render(form, latex=True).split("\\begin{align}")[1].split("\\end{align}")[0]
    rows = block.strip().splitlines()
    if change:
        rows = change(rows)
    if forward:
        directive = ("<!-- shapecheck: sizes: h=4 y=3\n     shape: H = (1, h); W = (h, y); "
                     f"B = (1, y); T = (1, y)\n     label: T\n     forward: {FORWARD} -->")
        args = []
    else:
        directive = "<!-- shapecheck: sizes: n0=3 n1=4 m=5 -->"
        args = ["--L", "2"]
    text = f"{directive}\n\n$$\n\\begin{{align}}\n" + "\n".join(rows) + "\n\\end{align}\n$$\n"
    path = tmp_path / "notes.md"
    path.write_text(text)
    return rows, CliRunner().invoke(command, args + [str(path)])


CASES = [("dW1", False, "\\frac{1}{m} \\sum_i \\left[dZ^{[1]}\\right]_{ki} X_{li}"),
         ("db1", False, "\\frac{1}{m} \\sum_i \\left[dZ^{[1]}\\right]_{ki}"),
         ("dZ1", False, "\\left[dA^{[1]}\\right]_{kl} \\left[g^{[1]\\prime}(Z^{[1]})\\right]_{kl}"),
         ("dW2", False, "\\frac{1}{m} \\sum_i \\left[dZ^{[2]}\\right]_{ki} A^{[1]}_{li}"),
         ("dW", True, "H_{k} \\left[Y - T\\right]_{l} \\left[f'(HW + B)\\right]_{l}"),
         ("dB", True, "\\left[Y - T\\right]_{l} \\left[f'(HW + B)\\right]_{l}")]


@pytest.mark.parametrize("name, forward, collapsed", CASES)
def test_every_line_of_the_index_form_holds_and_reads_back(tmp_path, name, forward, collapsed):
    form = _form(name, forward)
    assert form.problem is None
    assert len(form.lines) == 5 and len(form.links) == 4
    assert [r.verdict for r in form.links] == ["pass"] * 4
    assert form.lines[3] == collapsed  # the deltas collapsed
    shown = render(form)
    assert shown.count("✓") == 4 and "✗" not in shown
    assert all(len(line) <= 80 for line in shown.splitlines())
    _, run = _notes(tmp_path, form, forward)
    assert run.exit_code == 0, run.output
    assert "all 4 links hold" in run.output and "4 pass" in run.output


def test_the_index_form_ends_in_the_matrix_formula():
    assert _form("dW1", False).lines[-1] == "\\left[\\frac{1}{m} dZ^{[1]} X^\\top\\right]_{kl}"
    assert _form("dW", True).lines[-1] == \
        "\\left[H^\\top \\left((Y - T) \\odot f'(HW + B)\\right)\\right]_{kl}"
    assert "Σ_j H_j δ_{jk} δ_{il}" in render(_form("dW", True))  # why H is transposed


@pytest.mark.parametrize("name, forward", [("dW1", False), ("dW", True)])
def test_a_line_made_wrong_fails_at_that_link(tmp_path, name, forward):
    form = _form(name, forward)

    def wrong(rows):  # the collapsed line with its indices swapped on the gradient
        rows = list(rows)
        rows[2] = rows[2].replace("_{l}", "_{k}").replace("_{ki}", "_{li}").replace(
            "X_{li}", "X_{ki}").replace("H_{k}", "H_{l}")
        return rows
    rows, run = _notes(tmp_path, form, forward, wrong)
    assert rows[2] != _notes(tmp_path, form, forward)[0][2]
    _, run = _notes(tmp_path, form, forward, wrong)
    assert run.exit_code == 1, run.output
    assert "link 3 fails" in run.output and "links 1-2 hold" in run.output


def test_a_line_that_does_not_verify_is_shown_marked_not_as_holding():
    form = _form("dX", False)  # [dX]_{kl}: the index reader knows no gradient of an input
    assert [r.verdict for r in form.links][0] != "pass"
    shown = render(form)
    assert "NOT every line holds" in shown and "each line verified" not in shown
    assert shown.splitlines()[2].startswith("✗") and "d is not a quantity" in shown


def test_the_command_prints_the_index_form_and_refuses_it_without_derive():
    run = CliRunner().invoke(command, ["--derive", "dW1", "--index", "--n0", "3", "--n1", "4",
                                       "--m", "5"])
    assert run.exit_code == 0, run.output
    assert "[dW1]_{kl}" in run.output and "= 1/m Σ_i [dZ1]_{ki} X_{li}" in run.output
    assert "= [1/m dZ1 X^T]_{kl}" in run.output
    bad = CliRunner().invoke(command, ["dW1 = dZ1 @ X.T", "--index"])
    assert bad.exit_code == 2 and "--index goes with --derive" in bad.output


def test_a_derivation_without_an_index_form_says_why():
    options = make_options(shapes={"W": ("h", "h")}, forward="Y = W @ W; J = np.sum(Y)", h=3)
    form = Session(options).index_form("dW")
    assert form.problem == "no index form of dW: W appears more than once in Y = W @ W"
    assert not form.lines and render(form) == form.problem
