"""Index notation (shapecheck.language.indices read, shapecheck.numeric.indexed evaluated):
entries, sums, deltas and derivatives by an entry, on the model of a notes file."""
from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from shapecheck.cli import command
from shapecheck.errors import FormulaSyntaxError
from shapecheck.language.indices import (Entry, Partial, Sum, Sym, free_indices, read_member,
                                         split_members, written_with_indices)

PLAIN = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}
MODEL = """<!-- shapecheck: sizes: h={h} y={y}
     shape: H = (1, h); W = (h, y); B = (1, y); Ystar = (1, y)
     label: Ystar
     forward: Y = f(H @ W + B); J = 1/2 * np.sum((Y - Ystar) ** 2) -->
"""


def check(tmp_path, *lines: str, h: int = 3, y: int = 4) -> list[dict]:
    """The links of one derivation, written one member a line as an align block."""
    body = f"{lines[0]} &= " + " \\\\\n&= ".join(lines[1:])
    path = tmp_path / "steps.md"
    block = f"\n$$\n\\begin{{align}}\n{body}\n\\end{{align}}\n$$\n"
    path.write_text(MODEL.format(h=h, y=y) + block, encoding="utf-8")
    out = CliRunner(env=PLAIN).invoke(command, [str(path), "--json"], catch_exceptions=False)
    return json.loads(out.stdout)["results"]


def verdicts(results: list[dict]) -> list[str]:
    return [r["verdict"] for r in results]


# --- reading ---------------------------------------------------------------------------------

def test_entries_sums_and_juxtaposed_names_are_read():
    tree = read_member(r"\sum_j H_j W_{ji}", {"H", "W"})
    assert tree == Sum("j", None, None, tree.body)
    assert [n.base.name for n in (tree.body.left, tree.body.right)] == ["H", "W"]
    assert tree.body.right.indices == ("j", "i")
    assert free_indices(tree) == {"i"}
    assert free_indices(read_member(r"[HW + B]_{k,l}")) == {"k", "l"}


def test_digits_keep_their_layer_meaning_and_a_star_names_the_target():
    assert read_member("W_2", {"W2"}) == Sym("W2", 0)
    assert read_member("W^{[2]}", {"W2"}) == Sym("W2", 0)
    starred = read_member("Y^*_i", {"Y", "Ystar"})
    assert isinstance(starred, Entry) and starred.base.name == "Y_star"


def test_derivatives_by_an_entry_and_the_operator_form():
    tree = read_member(r"\left[\frac{\partial J}{\partial W}\right]_{kl}", {"J", "W"})
    assert isinstance(tree, Entry) and tree.base == Partial(Sym("J", 21), "W", (), 6)
    operator = read_member(r"\frac{\partial}{\partial B_k} f([HW]_i + B_i)", {"H", "W", "B"})
    assert isinstance(operator, Partial) and operator.indices == ("k",)
    assert free_indices(operator) == {"i", "k"}


def test_a_sum_whose_index_is_no_subscript_is_the_sum_over_examples():
    assert not written_with_indices([r"\frac{1}{m} \sum_{i=1}^{m} dZ"])
    assert written_with_indices([r"\sum_i Y_i"])
    assert not written_with_indices([r"\frac{\partial J}{\partial W}", "dZ X^T"])


def test_members_split_at_each_equals_sign_outside_brackets():
    assert split_members("a = b = c") == [(0, "a "), (3, " b "), (7, " c")]
    assert split_members("f(x=1) = y") == [(0, "f(x=1) "), (8, " y")]


def test_unreadable_notation_is_refused_with_its_position():
    with pytest.raises(FormulaSyntaxError) as e:
        read_member(r"W_{k2}")
    assert "not an index" in e.value.message
    with pytest.raises(FormulaSyntaxError) as e:
        read_member(r"\int_0^1 x")
    assert e.value.message == r"\int is not read in index notation (nor a name of the model)"
    assert e.value.span == (0, 4)


# --- evaluating ------------------------------------------------------------------------------

def test_an_entry_of_a_product_is_the_sum_over_the_inner_index(tmp_path):
    assert verdicts(check(tmp_path, r"[HW]_i", r"\sum_j H_j W_{ji}")) == ["pass"]
    wrong = check(tmp_path, r"[HW + B]_i", r"\sum_j H_j W_{ji}")
    assert verdicts(wrong) == ["value"] and "the members differ: at i = " in wrong[0]["message"]


def test_the_jacobian_of_an_entry_by_an_entry(tmp_path):
    assert verdicts(check(tmp_path, r"\frac{\partial Y_i}{\partial B_k}",
                          r"[f'(HW + B)]_i \, \delta_{ik}")) == ["pass"]
    # by the whole of B, a Jacobian has two indices: without the delta, one is missing
    dropped = check(tmp_path, r"\frac{\partial Y_i}{\partial B_k}", r"[f'(HW + B)]_i")
    assert verdicts(dropped) == ["shape"]
    assert dropped[0]["message"] == "the free indices differ: i, k on the left, i on the right"


def test_the_gradient_entry_and_the_matrix_form(tmp_path):
    results = check(tmp_path, r"\left[\frac{\partial J}{\partial W}\right]_{kl}",
                    r"H_k \, [Y - Y^*]_l \, [f'(HW + B)]_l",
                    r"[H^T ((Y - Y^*) * f'(HW + B))]_{kl}")
    assert verdicts(results) == ["pass", "pass"]
    transposed = check(tmp_path, r"\left[\frac{\partial J}{\partial W}\right]_{kl}",
                       r"H_l \, [Y - Y^*]_k \, [f'(HW + B)]_k", h=4, y=4)
    assert verdicts(transposed) == ["value"]


def test_an_entry_with_too_few_indices_is_refused(tmp_path):
    results = check(tmp_path, r"W_i", r"[W]_i")
    assert verdicts(results) == ["shape"]
    assert "1 index (i) for a value of shape 3×4" in results[0]["message"]


def test_an_index_whose_range_nothing_gives_is_an_error(tmp_path):
    results = check(tmp_path, r"\delta_{ab}", r"\delta_{ba}")
    assert verdicts(results) == ["error"]
    assert "the range of index a is not known" in results[0]["message"]


def test_large_sizes_are_evaluated_at_once(tmp_path):
    start = time.perf_counter()
    results = check(tmp_path, r"\left[\frac{\partial J}{\partial W}\right]_{kl}",
                    r"[H^T ((Y - Y^*) * f'(HW + B))]_{kl}", h=64, y=64)
    assert verdicts(results) == ["pass"]
    assert time.perf_counter() - start < 1  # every entry of a 64×64 W, three activations


def test_layered_names_on_the_course_network(tmp_path):
    path = tmp_path / "layers.md"
    path.write_text("<!-- shapecheck: sizes: n0=3 n1=4 n2=2 m=5 -->\n$$\n\\begin{align}\n"
                    r"\left[\frac{\partial J}{\partial Z^{[2]}}\right]_{kl} &= "
                    r"\frac{1}{m} [A^{[2]} - Y]_{kl} \\" "\n"
                    r"&= \frac{1}{m} (A_{2,kl} - Y_{kl}) \\" "\n"
                    r"&= \frac{1}{m} (A_{2,kl} + Y_{kl})" "\n\\end{align}\n$$\n", encoding="utf-8")
    out = CliRunner(env=PLAIN).invoke(command, [str(path), "--json"], catch_exceptions=False)
    results = json.loads(out.stdout)["results"]
    assert [(r["source"]["line"], r["verdict"]) for r in results] == \
        [(4, "pass"), (5, "pass"), (6, "value")]


def test_gradient_names_are_the_true_gradients_in_the_course_convention(tmp_path):
    # dZ2 = A2 - Y is m times ∂J/∂Z2 (the course's summed loss); dW2 is ∂J/∂W2
    path = tmp_path / "grads.md"
    path.write_text("<!-- shapecheck: sizes: n0=3 n1=4 n2=2 m=5 -->\n$$\n"
                    r"[dW_2]_{kl} = \frac{1}{m} \sum_i [dZ_2]_{ki} A_{1,li} = "
                    r"\sum_i [dZ_2]_{ki} A_{1,li}" "\n$$\n", encoding="utf-8")
    out = CliRunner(env=PLAIN).invoke(command, [str(path), "--json"], catch_exceptions=False)
    results = json.loads(out.stdout)["results"]
    assert [r["verdict"] for r in results] == ["pass", "value"]
    assert results[1]["message"].startswith("the members differ: the right one is 5 times the left")


def test_a_subscripted_name_alone_is_not_index_notation():
    assert not written_with_indices([r"dW_{hh}", r"dH_{t}^T"])
    assert not written_with_indices(["dA_prev", "W @ dZ"])
    assert read_member(r"dW_{hh}", {"dW_hh"}) == Sym("dW_hh", 0)
    assert read_member(r"A_{prev}") == Sym("A_prev", 0)


def test_exponentials_logs_and_chains_on_one_line(tmp_path):
    path = tmp_path / "softmax.md"
    path.write_text("<!-- shapecheck: sizes: n=4\n shape: z = (n, 1); y = (n, 1)\n label: y\n"
                    " forward: a = softmax(z); L = -np.sum(y * np.log(a)) -->\n\n$$\n"
                    r"a_i = \frac{e^{z_i}}{\sum_k e^{z_k}} = \frac{\exp(z_i)}{\sum_k \exp z_k}"
                    "\n$$\n\n$$\n"
                    r"L = -\sum_j y_j \log a_j = -\sum_j y_j \, \log \frac{e^{z_j}}{\sum_k e^{2 z_k}}"
                    "\n$$\n", encoding="utf-8")
    out = CliRunner(env=PLAIN).invoke(command, [str(path), "--json"], catch_exceptions=False)
    results = json.loads(out.stdout)["results"]
    # the last member's denominator is not the softmax's
    assert [(r["source"]["line"], r["source"]["column"], r["verdict"]) for r in results] == \
        [(7, 7, "pass"), (7, 40, "pass"), (11, 5, "pass"), (11, 28, "value")]


def test_a_member_that_is_not_finite_is_an_error_not_a_verdict(tmp_path):
    results = check(tmp_path, r"[Y]_i", r"[Y / 0]_i")
    assert verdicts(results) == ["error"]
    assert results[0]["message"].startswith("the right member is not finite (inf or nan)")
