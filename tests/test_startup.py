"""Start-up (issue 21, item 1), guarded by what is imported rather than by a clock: checking
one passing formula from the command line loads no module that only another path needs.
The time itself is benchmarks/large_sizes.py's figure (part 1), measured as a ratio to
`python -c "import numpy, rich, click, lark"`.

Each check runs in a fresh interpreter, away from the checkout, so that nothing pytest or
another test imported is counted.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SIZES = ["--n0", "3", "--n1", "4", "--m", "5"]
# modules for other paths only: notes files (markdown-it), did-you-mean (difflib), --json,
# derivations and the chain rule (calculus), repairs and hints (advice), --toy, the progress
# bar (a terminal only), the tests' own hypothesis, importlib.resources (the grammar is
# found by its path), a wrong formula's diagnosis (and the factors it names), the library's
# result types (display) and array sizes (arrays), and the thread pool of large sizes
NOT_FOR_ONE_FORMULA = ["markdown_it", "mdit_py_plugins", "difflib", "json", "hypothesis",
                       "importlib.resources", "shapecheck.calculus", "shapecheck.advice",
                       "shapecheck.notes", "shapecheck.toy", "shapecheck.progress", "rich.table",
                       "rich.progress", "shapecheck.diagnosis", "shapecheck.models.factors",
                       "shapecheck.display", "shapecheck.arrays", "concurrent.futures"]

_PROBE = """
import sys
from shapecheck.cli import command
try:
    command.main(sys.argv[1:], prog_name="shapecheck")
except SystemExit as e:
    status = e.code
loaded = [m for m in %r if m in sys.modules]
import json  # only now: it is watched
print(json.dumps({"status": status, "loaded": loaded}))
""" % (NOT_FOR_ONE_FORMULA,)


def _loaded(tmp_path, *args: str) -> tuple[int, list[str], str]:
    """Exit status, the watched modules loaded, and the report, of one in-process run."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["NO_COLOR"] = "1"
    probe = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    *report, last = probe.stdout.rstrip("\n").split("\n")
    found = json.loads(last)
    return found["status"], found["loaded"], "\n".join(report)


def test_one_passing_formula_loads_only_what_its_check_needs(tmp_path):
    status, loaded, report = _loaded(tmp_path, "dZ1 = W2.T @ dZ2 * g1'(Z1)", *SIZES)
    assert status == 0 and "✓ pass" in report
    assert loaded == []


def test_a_wrong_formula_loads_the_advice_it_needs(tmp_path):
    # the probe sees what a path imports: a wrong formula's repair search is there
    status, loaded, report = _loaded(tmp_path, "dW1 = dZ1 @ X.T", *SIZES)
    assert status == 1 and "did you mean: dW1 = 1/m * dZ1 @ X.T" in report
    assert "shapecheck.advice" in loaded


@pytest.mark.parametrize("args, needs", [
    (["dZ2 = A2 - Y", "--json"], "json"),
    (["dZ2 = A2 - Y", "--jsn"], "difflib"),  # a misspelt option: did you mean --json?
    (["--derive", "dZ1"], "shapecheck.calculus"),
])
def test_another_path_loads_what_it_needs(tmp_path, args, needs):
    _, loaded, _ = _loaded(tmp_path, *args, *SIZES)
    assert needs in loaded
