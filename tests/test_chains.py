"""Derivations checked link by link (shapecheck.chains): the public derivation file, copies
of it with one step made wrong, `A = B = C` on one line, the summary and the JSON."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from shapecheck.chains import summary_text
from shapecheck.cli import command

DERIVATIONS = Path(__file__).resolve().parent.parent / "examples" / "derivations"
ANSWER = DERIVATIONS / "index-derivation-answer.md"
# the project's shared corpus, where more public derivations may join (absent: skipped)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "derivations"
PLAIN = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}


def run(*args: str):
    return CliRunner(env=PLAIN).invoke(command, list(args), catch_exceptions=False)


def links(*args: str) -> tuple[int, list[dict]]:
    result = run(*args, "--json")
    return result.exit_code, json.loads(result.stdout)["results"]


def by_line(results: list[dict]) -> dict[int, str]:
    return {r["source"]["line"]: r["verdict"] for r in results}


def made_wrong(tmp_path: Path, old: str, new: str) -> str:
    text = ANSWER.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "wrong.md"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return str(path)


def test_every_link_of_the_public_derivations_is_as_expected():
    checked = 0
    for answer in sorted(DERIVATIONS.glob("*.expect.json")) + sorted(SHARED.glob("*.expect.json")):
        path = answer.with_name(answer.name.removesuffix(".expect.json") + ".md")
        expected = json.loads(answer.read_text(encoding="utf-8"))
        checked += 1
        code, results = links(str(path))
        assert [(r["source"]["line"], r["verdict"] == "pass") for r in results] == \
            [(link["line"], link["holds"]) for link in expected["links"]], path
        assert all(r["verdict"] in ("pass", "value", "shape") for r in results), path
        broken = [r["source"]["line"] for r in results if r["verdict"] != "pass"]
        assert (broken[0] if broken else None) == expected["first_broken_line"]
        assert code == (0 if expected["first_broken_line"] is None else 1)
    assert checked >= 2


def test_a_step_made_wrong_in_its_values_is_found_at_its_line(tmp_path):
    # drop the 1/2 of line 15: that member is twice the one before it and the one after
    path = made_wrong(tmp_path, r"&= \frac{1}{2} \sum_j 2 (Y_j", r"&= \sum_j 2 (Y_j")
    code, results = links(path)
    found = by_line(results)
    assert code == 1
    assert [line for line, v in sorted(found.items()) if v != "pass"] == [15, 16]
    assert found[15] == "value" and "differ" in next(r for r in results
                                                     if r["source"]["line"] == 15)["message"]
    summary = [r["link"]["summary"] for r in results if r.get("link") and r["link"]["summary"]]
    assert summary[0].startswith("link 1 holds; link 2 fails: the members differ")


def test_a_step_made_wrong_in_its_indices_is_found_at_its_line(tmp_path):
    # H_l for H_k at line 49: l runs over y along Y but over h along H
    path = made_wrong(tmp_path, r"&= H_k \, [Y - Y^*]_l", r"&= H_l \, [Y - Y^*]_l")
    code, results = links(path)
    found = by_line(results)
    assert [line for line, v in sorted(found.items()) if v != "pass"] == [49, 50]
    assert found[49] == "shape"
    message = next(r for r in results if r["source"]["line"] == 49)["message"]
    assert message == "the free indices differ: k, l on the left, l on the right"


def test_a_dropped_delta_is_found_by_its_free_indices(tmp_path):
    path = made_wrong(tmp_path, r"&= [f'(HW + B)]_i \, H_k \, \delta_{il}",
                      r"&= [f'(HW + B)]_i \, H_k")
    code, results = links(path)
    found = by_line(results)
    assert [line for line, v in sorted(found.items()) if v != "pass"] == [42]
    message = next(r for r in results if r["source"]["line"] == 42)["message"]
    assert message == "the free indices differ: i, k, l on the left, i, k on the right"


def test_a_chain_on_one_line_in_the_course_notation(tmp_path):
    path = tmp_path / "steps.txt"
    path.write_text("dZ2 = A2 - Y = -(Y - A2) = Y - A2\n", encoding="utf-8")
    code, results = links(str(path), "--n0", "3", "--n1", "4", "--n2", "2", "--m", "5")
    assert code == 1
    assert [(r["source"]["column"], r["verdict"]) for r in results] == [(7, "pass"), (16, "pass"),
                                                                         (28, "value")]
    assert [r["link"]["number"] for r in results] == [1, 2, 3]
    assert results[-1]["link"]["summary"].startswith("links 1-2 hold; link 3 fails")


def test_the_report_names_the_derivation_and_its_first_broken_link(tmp_path):
    path = made_wrong(tmp_path, r"&= \frac{1}{2} \sum_j 2 (Y_j", r"&= \sum_j 2 (Y_j")
    out = run(path).stdout
    assert "derivation at line 14: link 1 holds; link 2 fails: the members differ" in out
    assert "derivation at line 48: all 3 links hold" in out


def test_summary_text():
    assert summary_text([(1, "pass", ""), (2, "pass", ""), (3, "pass", ""), (4, "value", "x")],
                        4) == "links 1-3 hold; link 4 fails: x"
    assert summary_text([(1, "pass", ""), (2, "pass", "")], 2) == "all 2 links hold"
    assert summary_text([(1, "shape", "y"), (2, "value", "z")], 2) == \
        "link 1 fails: y; also failing: link 2"


def test_derivations_in_latex_and_in_a_notebook(tmp_path):
    steps = [r"\frac{\partial Y_i}{\partial B_k} &= \frac{\partial}{\partial B_k} f([HW]_i + B_i) \\",
             r"&= f'([HW]_i + B_i) \, \delta_{ik} \\",
             r"&= [f'(HW + B)]_i \, \delta_{il}"]  # the last step made wrong: l for k
    model = ["sizes: h=3 y=4", "shape: H = (1, h); W = (h, y); B = (1, y)",
             "forward: Y = f(H @ W + B); J = np.sum(Y)"]
    tex = tmp_path / "notes.tex"
    tex.write_text("\n".join(["\\begin{document}", *(f"% shapecheck: {m}" for m in model),
                              "\\begin{align}", *steps, "\\end{align}", "\\end{document}", ""]),
                   encoding="utf-8")
    code, results = links(str(tex))
    assert [(r["source"]["line"], r["verdict"]) for r in results] == \
        [(6, "pass"), (7, "pass"), (8, "shape")]
    cell = ["<!-- shapecheck: " + "\n".join(model) + " -->\n", "\n", "$$\n", "\\begin{aligned}\n",
            *(s + "\n" for s in steps), "\\end{aligned}\n", "$$\n"]
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": cell}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "hw.ipynb"
    path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    code, results = links(str(path))
    assert code == 1 and [r["verdict"] for r in results] == ["pass", "pass", "shape"]
    assert results[-1]["link"]["summary"].startswith("links 1-2 hold; link 3 fails: the free "
                                                     "indices differ: i, k on the left, i, l")


def test_an_argument_in_index_notation_is_a_derivation_and_uses_its_sizes():
    model = ["--forward", "Y = f(H @ W + B); J = np.sum(Y)", "--shape", "H=1,h", "--shape",
             "W=h,y", "--shape", "B=1,y", "--h", "3", "--y", "4"]
    held = run(r"[HW]_i = \sum_j H_j W_{ji}", *model)
    assert held.exit_code == 0 and held.stdout.startswith(r"✓ pass   [HW]_i = \sum_j H_j W_{ji}")
    code, results = links(r"[HW]_i = \sum_j H_j W_{jk}", *model)
    assert code == 1 and results[0]["message"] == \
        "the free indices differ: i on the left, k on the right"
    unused = run(r"[HW]_i = \sum_j H_j W_{ji}", *model, "--q", "3")
    assert unused.exit_code == 2 and "--q 3: no formula, model or the naming convention uses" \
        in unused.stderr


def test_a_wrong_softmax_jacobian_is_found(tmp_path):
    text = (DERIVATIONS / "softmax-cross-entropy.md").read_text(encoding="utf-8")
    wrong = tmp_path / "softmax.md"
    wrong.write_text(text.replace(r"(\delta_{ij} - a_i)", r"(\delta_{ij} - a_j)"), encoding="utf-8")
    code, results = links(str(wrong))
    assert [(r["source"]["line"], r["verdict"]) for r in results] == \
        [(10, "pass"), (11, "value"), (12, "value"), (13, "pass")]


def test_a_link_between_two_wrong_members_is_checked_as_an_identity(tmp_path):
    path = tmp_path / "steps.md"
    path.write_text("<!-- shapecheck: sizes: n0=3 n1=4 n2=2 m=5 -->\n$$\n\\begin{aligned}\n"
                    "dW^{[2]} &= dZ^{[2]} A^{[1]T} \\\\\n"        # m times the truth
                    "&= (A^{[2]} - Y) A^{[1]T} \\\\\n"           # the same: dZ2 is A2 - Y
                    "&= \\frac{1}{m} (A^{[2]} - Y) A^{[1]T}\n"   # right, but not what is above
                    "\\end{aligned}\n$$\n", encoding="utf-8")
    code, results = links(str(path))
    assert [(r["source"]["line"], r["verdict"]) for r in results] == \
        [(4, "value"), (5, "pass"), (6, "value")]
    assert results[-1]["link"]["summary"].startswith("link 1 fails: the values differ")
