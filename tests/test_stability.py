"""Verdicts that do not depend on luck, runs that repeat exactly, checks that write nothing.

* Every public corpus case gets its verdict at every seed from 0 to 19.
* The same seed gives byte-identical `--json`: twice in one process, and in fresh
  processes whose hash seeds differ (so no set or dict order leaks into the report).
* A check writes nothing anywhere: run in a read-only directory of notes files, with
  HOME, TMPDIR and the XDG directories pointed at empty directories, no file appears,
  disappears or changes there, nor in the installed package; `--svg`/`--html` write
  exactly the files they are given.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from shapecheck.cli import command

CORPUS = [json.loads(line) for line in
          Path(__file__).with_name("corpus.jsonl").read_text(encoding="utf-8").splitlines()
          if line.strip()]
EXIT_FOR = {"pass": 0, "shape": 1, "value": 1, "error": 2}
SEEDS = range(20)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "notes"
COURSE = ["--n0", "3", "--n1", "4", "--n2", "2", "--m", "5"]
# what is read in every place the check is run in: formulas that pass, fail and do not parse
FORMULAS = ["dZ1 = W2.T @ dZ2 * g1'(Z1)", "dW2 = dZ2 @ A1.T", "dZ1 = dZ2 @ W2.T * g1'(Z1)",
            "dW1 = 1/m * dZ1 @@ X.T"]
NOTES = {
    "week3.md": "# Week 3\n\n```shapecheck\nsizes: n0=3 n1=4 n2=2 m=5\ndZ2 = A2 - Y\n"
                "dW2 = dZ2 @ A1.T\n```\n\n<!-- shapecheck: n0=3 n1=4 m=5 -->\n"
                "$$dZ^{[1]} = W^{[2]T} dZ^{[2]} \\odot g^{[1]\\prime}(Z^{[1]})$$\n",
    "plain.txt": "sizes: n0=3 n1=4 n2=2 m=5\ndb1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)\n"
                 "db2 = 1/m * np.sum(dZ2)\nforward: J = np.sum((X @ w - y) ** 2)\n"
                 "shape: X=(m, n); w=(n, 1); y=(m, 1)\nsizes: m=6 n=4\n"
                 "dw = 2 * X.T @ (X @ w - y)\n",
}


def run(argv: list[str]):
    return CliRunner().invoke(command, argv, prog_name="shapecheck")


def verdict_of(result) -> str | None:
    try:
        return json.loads(result.stdout)["results"][0]["verdict"]
    except (ValueError, KeyError, IndexError):
        return None


# --- the same verdict at every seed ----------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_a_corpus_case_gets_its_verdict_at_seeds_0_to_19(case):
    want = case["expect"]
    for seed in SEEDS:
        result = run(case["argv"] + ["--seed", str(seed), "--json"])
        assert result.exit_code == EXIT_FOR[want], (seed, result.stdout, result.stderr)
        got = verdict_of(result)
        if want == "error" and got is None:
            continue  # stopped before any report, as a bad option does
        assert got == want, (seed, result.stdout)


# --- the same bytes for the same seed --------------------------------------------------
@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_the_same_seed_gives_the_same_json_twice_in_one_process(case):
    for seed in ("0", "7"):
        first = run(case["argv"] + ["--seed", seed, "--json"])
        second = run(case["argv"] + ["--seed", seed, "--json"])
        assert (first.exit_code, first.stdout, first.stderr) == \
            (second.exit_code, second.stdout, second.stderr)


def shapecheck_process(argv: list[str], cwd: Path | None = None, env: dict | None = None):
    """The installed command in a fresh interpreter."""
    code = "from shapecheck.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, env=env,
                          capture_output=True, timeout=120)


def test_the_same_seed_gives_the_same_json_in_fresh_processes(tmp_path):
    for name, text in NOTES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    argv = FORMULAS + list(NOTES) + COURSE + ["--seed", "3", "--json"]
    outputs = set()
    for hash_seed in ("0", "1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        done = shapecheck_process(argv, cwd=tmp_path, env=env)
        assert done.returncode == 2, done.stderr  # one formula does not parse
        outputs.add(done.stdout)
    assert len(outputs) == 1
    report = json.loads(outputs.pop())
    assert [r["verdict"] for r in report["results"][:4]] == ["pass", "value", "shape", "error"]


def test_a_process_and_the_library_give_the_same_bytes():
    case = next(c for c in CORPUS if c["id"] == "pub-ng-w3-dW2-missing-1-over-m")
    argv = case["argv"] + ["--seed", "11", "--json"]
    assert shapecheck_process(argv).stdout.decode() == run(argv).stdout


def test_another_seed_draws_other_numbers_but_keeps_the_verdict():
    """The seed matters (the relative error moves) and only the seed does."""
    argv = ["dZ1 = W2.T @ dZ2 * g1'(Z1)"] + COURSE + ["--json"]
    errors = {json.loads(run(argv + ["--seed", str(s)]).stdout)["results"][0]["rel_error"]
              for s in (0, 1)}
    assert len(errors) == 2
    assert all(e < 1e-7 for e in errors)


# --- nothing written --------------------------------------------------------------------
def snapshot(*roots: Path) -> dict[str, tuple]:
    """Every file and directory under `roots`: kind, size, mode, mtime and content digest
    (bytecode caches left out: Python's, not the check's)."""
    seen = {}
    for root in roots:
        for path in sorted([root, *root.rglob("*")]):
            if "__pycache__" in path.parts:
                continue
            info = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
            seen[str(path)] = (stat.S_IFMT(info.st_mode), info.st_size, info.st_mode,
                               info.st_mtime_ns, digest)
    return seen


def package_dirs(cwd: Path, env: dict) -> list[Path]:
    """The folders of the package that shapecheck_process runs: asked of a fresh interpreter
    in the same place, since under `python -m pytest` this one may import the checkout's
    source folder (the current directory comes first on sys.path), not the installed one."""
    code = ("import json; from importlib import resources; print(json.dumps("
            "[str(resources.files(p)) for p in ('shapecheck', 'shapecheck.grammar')]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [Path(folder) for folder in json.loads(done.stdout)]


@pytest.fixture
def sandbox(tmp_path):
    """A read-only directory of notes files, and empty home, temporary, cache and config
    directories; made writable again afterwards so that pytest can remove them."""
    work = tmp_path / "notes"
    work.mkdir()
    for source in EXAMPLES.glob("*"):
        shutil.copy(source, work / source.name)
    for name, text in NOTES.items():
        (work / name).write_text(text, encoding="utf-8")
    places = {name: tmp_path / name for name in ("home", "tmp", "cache", "config", "data")}
    for place in places.values():
        place.mkdir()
    for path in [*work.iterdir(), work]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("XDG_", "PYTHON"))}
    env.update(HOME=str(places["home"]), TMPDIR=str(places["tmp"]), TEMP=str(places["tmp"]),
               TMP=str(places["tmp"]), XDG_CACHE_HOME=str(places["cache"]),
               XDG_CONFIG_HOME=str(places["config"]), XDG_DATA_HOME=str(places["data"]),
               PYTHONDONTWRITEBYTECODE="1")
    yield work, env, [work, *places.values()]
    for path in [work, *work.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("output", [[], ["--json"], ["--no-values"]])
def test_a_check_writes_nothing_anywhere(sandbox, output):
    work, env, watched = sandbox
    watched = watched + package_dirs(work, env)
    files = sorted(p.name for p in work.iterdir())
    before = snapshot(*watched)
    done = shapecheck_process(FORMULAS + files + ["missing.md"] + COURSE + output,
                              cwd=work, env=env)
    assert done.returncode == 2, done.stderr  # the unparsable formula, the missing file
    assert b"Traceback" not in done.stderr
    assert done.stdout.strip()
    assert snapshot(*watched) == before


def test_svg_and_html_write_the_files_asked_for_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text(NOTES["week3.md"], encoding="utf-8")
    before = snapshot(tmp_path)
    result = run(["notes.md", "dW2 = dZ2 @ A1.T", *COURSE, "--svg", "out.svg",
                  "--html", "out.html"])
    assert result.exit_code == 1, result.stderr
    after = snapshot(tmp_path)
    made = set(after) - set(before)
    assert made == {str(tmp_path / "out.svg"), str(tmp_path / "out.html")}
    assert {k: v for k, v in after.items() if k not in made and k != str(tmp_path)} == \
        {k: v for k, v in before.items() if k != str(tmp_path)}


# --- inputs these tests found, kept ----------------------------------------------------
# Draws that landed next to the edge of a domain: before the redraw (truth.edge_margin),
# central differences were off by more than the tolerance there and these right formulas
# got `value` verdicts at these seeds.
EDGES = [
    (["dx = -1 / np.sum(x) ** 2 * np.ones_like(x)", "--forward", "J = 1 / np.sum(x)",
      "--shape", "x=n,1", "--n", "2"], [66, 470, 753, 804]),
    (["dx = -np.ones_like(x) / (x.T @ y) ** 2 * y", "--forward", "J = 1 / (x.T @ y)",
      "--shape", "x=n,1", "--shape", "y=n,1", "--n", "3"], [116, 590, 752]),
    (["dx = 1 / (x - 1)", "--forward", "J = np.sum(np.log(x - 1))", "--shape", "x=n,1",
      "--n", "2"], [41, 42, 43, 44]),
    (["dx = 0.5 / np.sqrt(x - 1)", "--forward", "J = np.sum(np.sqrt(x - 1))", "--shape",
      "x=n,1", "--n", "2"], [41, 42, 43, 44]),
    (["dA = -np.linalg.inv(A - B).T @ np.linalg.inv(A - B).T", "--forward",
      "J = np.trace(np.linalg.inv(A - B))", "--shape", "A=n,n", "--shape", "B=n,n", "--n", "2"],
     [33, 55, 57, 93]),
]


@pytest.mark.parametrize("argv, seeds", EDGES, ids=["1/sum", "1/dot", "log", "sqrt", "inv"])
def test_a_draw_next_to_the_edge_of_a_domain_is_drawn_again(argv, seeds):
    for seed in seeds:
        result = run(argv + ["--seed", str(seed), "--json"])
        assert verdict_of(result) == "pass", (seed, result.stdout, result.stderr)


def test_a_draw_that_shows_one_side_of_a_kink_is_drawn_again():
    """With every x below 1, `np.maximum(x, 1)` has a zero gradient, which twice the right
    formula matched: at seed 0 this wrong formula passed."""
    model = ["--forward", "J = np.sum(np.maximum(x, 1))", "--shape", "x=n,1", "--n", "6"]
    for seed in (0, 1, 7, 8):
        assert verdict_of(run(["dx = (x > 1) * 1.0", *model, "--seed", str(seed), "--json"])) \
            == "pass"
        assert verdict_of(run(["dx = 2 * (x > 1)", *model, "--seed", str(seed), "--json"])) \
            == "value"


def test_a_kink_that_never_switches_still_gets_a_verdict():
    """x is drawn positive where a log reads it, so |x| never switches: no draw shows both
    sides, and the check goes on with the first usable one."""
    argv = ["dx = 1 / x", "--forward", "J = np.sum(np.log(np.abs(x)))", "--shape", "x=n,1",
            "--n", "3", "--json"]
    assert verdict_of(run(argv)) == "pass"


# Draws on which the true gradient was almost zero by chance, so that it was all rounding:
# before the redraw (draws.Drawer.resolved) these right formulas got `value` verdicts.
LOGISTIC = ["--forward", "A = sigmoid(X @ w + b); J = -np.mean(Y * np.log(A) + (1 - Y) * "
            "np.log(1 - A))", "--shape", "X=m,n", "--shape", "w=n,1", "--shape", "b=",
            "--shape", "Y=m,1"]
NEAR_ZERO = [
    # the course network with one output unit: db2 = mean(A2 - Y) was -1.7e-7 with tanh
    (["db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "--n0", "2", "--n1", "3", "--n2", "1",
      "--m", "3"], 876),
    (["db = np.mean(A - Y)", *LOGISTIC, "--m", "3", "--n", "2"], 372),
    (["db = np.mean(A - Y)", *LOGISTIC, "--m", "5", "--n", "6"], 512),
]


@pytest.mark.parametrize("argv, seed", NEAR_ZERO,
                         ids=["course db2", "logistic 3x2", "logistic 5x6"])
def test_a_draw_whose_gradient_is_all_rounding_is_drawn_again(argv, seed):
    for method in ([], ["--exact"]):
        result = run(argv + method + ["--seed", str(seed), "--json"])
        assert verdict_of(result) == "pass", (result.stdout, result.stderr)
        assert json.loads(result.stdout)["results"][0]["rel_error"] < 1e-7


def test_the_rounding_of_a_true_gradient_is_measured_against_its_size():
    """The draw of the course-db2 case above: its gradient for g1 = tanh is within a
    thousand times its rounding at one step; longer steps blur it a hundred times less,
    still too much, and the next draw's is far clear of it."""
    from shapecheck.result import Options
    from shapecheck.session import Checker

    checker = Checker(Options(sizes={"n0": 2, "n1": 3, "n2": 1, "m": 3}, seed=876))
    functions = {"g1": "tanh", "g2": "sigmoid"}
    differentiator = checker.drawer.draw(checker.binder.network(2, "m"), {"n0": 2, "n1": 3, "n2": 1, "m": 3},
                                   functions).differentiator
    one_step = differentiator.exact("b2")
    assert one_step.noise > 1e-3 * abs(one_step.full.item())
    first = differentiator.gradient("b2", whole=False)
    assert first.noise < one_step.noise / 50
    assert abs(first.full.item() - one_step.full.item()) < 2 * one_step.noise
    assert first.noise > 1e-7 * abs(first.full.item())
    draw, truth = checker.drawer.resolved(checker.binder.network(2, "m"),
                                    {"n0": 2, "n1": 3, "n2": 1, "m": 3}, functions, "b2")
    assert truth.noise < 1e-7 * abs(truth.full.item())


def test_a_draw_taken_again_that_fails_keeps_the_first(monkeypatch):
    """Where the seeds past the first draw give no usable draw, the first one is kept: the
    check goes on with it (as before the redraw), it does not end in an error."""
    import shapecheck.draws as check
    from shapecheck.errors import ModelError

    first_seeds = check.draw_forward
    argv, seed = NEAR_ZERO[0]

    def only_the_first_seeds(model, sizes, functions, at, draws=None):
        if at >= seed + check.DRAW_ATTEMPTS:
            raise ModelError("no draw of the model's inputs gives finite values")
        return first_seeds(model, sizes, functions, at, draws)

    monkeypatch.setattr(check, "draw_forward", only_the_first_seeds)
    result = run(argv + ["--seed", str(seed), "--json"])
    # the first draw's: blurred at one step for g1 = tanh, clear with longer ones
    assert verdict_of(result) == "pass"


# --- deep networks: gradients that are a tiny part of the cost --------------------------
# In a deep sigmoid network the first layers' gradients are 1e-5 of the cost, and one
# step's change of the cost sits in its last digits: right formulas failed at --L 5 and up.
GENERIC = ["dW = 1/m * dZ @ A_prev.T", "dA_prev = W.T @ dZ",
           "db = 1/m * np.sum(dZ, axis=1, keepdims=True)"]


@pytest.mark.parametrize("layers", [5, 6, 8])
def test_the_generic_formulas_hold_at_every_layer_of_a_deep_network(layers):
    result = run(GENERIC + ["--L", str(layers), "--m", "6", "--json"])
    assert [r["verdict"] for r in json.loads(result.stdout)["results"]] == ["pass"] * 3, \
        result.stdout


def test_a_deep_networks_first_layer_is_compared_at_what_the_differences_resolve():
    from shapecheck.result import Options
    from shapecheck.session import Checker

    options = Options(sizes={"m": 6}, layers=10)
    right = Checker(options).check("dW = 1/m * dZ @ A_prev.T")
    assert right.verdict == "pass"
    wrong = Checker(options).check("dW = dZ @ A_prev.T")
    assert wrong.verdict == "value" and wrong.layer == 1
    assert wrong.diagnosis == {"kind": "factor", "factor": "m"}
    # the coarser tolerance of layer 1 is said and shown, and still far below the error
    assert 1e-6 < wrong.tolerance < 1e-2 < wrong.rel_error
    assert f"tolerance {wrong.tolerance:.2g}, not 1e-06: the cost's rounding blurs" in \
        wrong.message


def test_longer_steps_blur_a_deep_networks_gradient_less_and_agree_with_one_step():
    from shapecheck.result import Options
    from shapecheck.session import Checker

    sizes = {"m": 5, **{f"n{i}": 3 + i for i in range(9)}}
    checker = Checker(Options(sizes=sizes, layers=8))
    model = checker.binder.network(8, "m")
    functions = {**model.fixed_functions, **{g: "sigmoid" for g in model.open_functions}}
    differentiator = checker.drawer.draw(model, sizes, functions).differentiator
    one_step = differentiator.exact("X")
    refined = differentiator.gradient("X", whole=True)
    assert differentiator.stretch() == 100  # no kink, no edge nearby: the longest steps
    assert refined.noise < one_step.noise / 50
    difference = np.linalg.norm(refined.full - one_step.full)
    assert difference < 3 * one_step.noise


def test_a_gradient_no_difference_resolves_is_an_error_placed_at_the_left_side():
    from shapecheck.result import Options
    from shapecheck.session import Checker

    text = "dZ30 = W31.T @ dZ31 * g30'(Z30)"
    result = Checker(Options(sizes={"m": 5}, layers=60)).check(text)
    assert result.verdict == "error", result.message
    assert "too small beside the rounding of J for finite differences to check it" in \
        result.message
    assert result.span == (0, 4)


def test_the_edges_of_a_model_with_many_inputs_are_measured_all_at_once(monkeypatch):
    """A deep network's edges (the logs of the cost) moved one input at a time cost a pass
    of what lies downstream of each: quadratic in the depth. All at once is one pass per
    direction, and measures the same distance to within the directions' chance."""
    from shapecheck.numeric import margins, truth
    from shapecheck.result import Options
    from shapecheck.session import Checker

    sizes = {"m": 5, **{f"n{i}": 3 + i for i in range(7)}}
    checker = Checker(Options(sizes=sizes, layers=6))
    model = checker.binder.network(6, "m")
    functions = {**model.fixed_functions, **{g: "tanh" for g in model.open_functions}}
    values = truth.forward(model, truth.draw_inputs(model, sizes, 0), functions, sizes)
    inputs = {n: values[n] for n in model.inputs}
    assert len(inputs) > truth.EDGE_ONE_AT_A_TIME
    at_once = truth.edge_margin(model, inputs, values, functions, sizes, 0)
    monkeypatch.setattr(margins, "EDGE_ONE_AT_A_TIME", len(inputs))
    one_at_a_time = truth.edge_margin(model, inputs, values, functions, sizes, 0)
    assert at_once != one_at_a_time  # the other way was taken
    assert one_at_a_time / 10 < at_once < 10 * one_at_a_time


def test_a_deep_networks_open_activations_are_named_by_the_first_and_the_last():
    from shapecheck.result import Options
    from shapecheck.session import Checker

    result = Checker(Options(sizes={"m": 5}, layers=10)).check("dZ5 = W6.T @ dZ6 * (1 - A5 ** 2)")
    assert result.verdict == "value"
    assert "It holds for tanh but not for sigmoid: g1 to g9 (9 activations) are open" in \
        result.message
    assert "--activation g1=tanh and so on to g9)" in result.message
    assert result.activation == {f"g{i}": "sigmoid" for i in range(1, 10)}  # all, in --json


def test_a_generic_pass_shows_the_error_of_the_layer_closest_to_its_tolerance():
    from shapecheck.result import Options
    from shapecheck.session import Checker

    checker = Checker(Options(sizes={"n0": 4, "n1": 5, "n2": 3, "n3": 2, "m": 6}, layers=3))
    generic = checker.check("dW = 1/m * dZ @ A_prev.T")
    layers = [checker.check(f"dW{l} = 1/m * dZ{l} @ A{l - 1}.T") for l in (1, 2, 3)]
    assert generic.verdict == "pass" and all(r.verdict == "pass" for r in layers)
    assert generic.rel_error == max(r.rel_error for r in layers)
    assert generic.rel_error != layers[-1].rel_error  # not merely the last layer's
