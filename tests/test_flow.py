"""The flow is one way: session → binding → check → report, with advice called by the
session. Read from the code: each module's imports, those inside functions included."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "shapecheck"


def imported(module: str) -> set[str]:
    """The package modules `module` (a path under shapecheck/) imports, as dotted names."""
    path = PACKAGE / module
    here = ["shapecheck"] + list(Path(module).parent.parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found |= {target} | {f"{target}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {name for name in found if name.startswith("shapecheck")}


def test_check_asks_no_advice_and_no_derivation():
    for module in ("check.py", "draws.py", "diagnosis.py", "models/binding.py"):
        names = imported(module)
        assert not {n for n in names if n.startswith(("shapecheck.advice",
                                                       "shapecheck.calculus.derive",
                                                       "shapecheck.session"))}, module


@pytest.mark.parametrize("module", ["report.py", "cli.py"])
def test_the_report_and_the_command_line_do_not_reach_into_check(module):
    assert not {n for n in imported(module) if n.startswith(("shapecheck.check",
                                                             "shapecheck.shapes"))}


def test_the_report_depends_on_the_plain_results_alone():
    assert {n.rsplit(".", 1)[0] if n.count(".") > 1 else n
            for n in imported("report.py")} == {"shapecheck.result"}
