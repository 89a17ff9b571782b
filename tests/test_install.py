"""What ships: the grammar found as package data, LALR tables that match it, no eval/exec,
and (slow) a non-editable wheel installed into a fresh virtual environment."""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import shapecheck
from shapecheck.language import parse

PACKAGE = Path(shapecheck.__file__).resolve().parent
ROOT = Path(__file__).resolve().parent.parent


# --- the grammar as package data ----------------------------------------------------------

# `python -m pytest` puts the current directory first on sys.path: run from the checkout,
# `import shapecheck` here is then the source folder, which has no `shapecheck.grammar` (the
# grammar is mapped into the package only when installed). So the installed package is
# asked in a fresh interpreter started away from the checkout.
_PROBE_GRAMMAR = (
    "import json; from importlib import resources; from shapecheck.language import parse; "
    "g = resources.files('shapecheck.grammar'); "
    "print(json.dumps([(g / 'formula.lark').is_file(), (g / 'formula.lalr').is_file(), "
    "'equation' in (g / 'formula.lark').read_text(encoding='utf-8'), "
    "str(parse._grammar_dir()) == str(g)]))")


def test_the_grammar_is_found_through_importlib_resources(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    probe = subprocess.run([sys.executable, "-c", _PROBE_GRAMMAR], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    has_grammar, has_tables, is_the_grammar, parser_reads_it = json.loads(probe.stdout)
    assert has_grammar and has_tables and is_the_grammar
    # and the parser reads it from there, not from a path relative to the source tree
    assert parser_reads_it


def test_the_shipped_tables_are_current():
    # the parser's own look-up: the package data when installed, the checkout's grammar/
    # when the source folder shadows the installed package
    _, digest = parse._grammar_digest()
    header = (Path(parse._grammar_dir()) / "formula.lalr").read_bytes().split(b"\n", 1)[0]
    assert header.decode() == digest, "run `python -m shapecheck.language.parse` to rebuild the tables"


def test_the_grammar_has_no_collisions_in_strict_mode():
    pytest.importorskip("interegular")  # lark needs it to compare terminals
    from lark import Lark
    text, _ = parse._grammar_digest()
    Lark(text, parser="lalr", strict=True)


# --- no code is ever run from a formula ----------------------------------------------------

FORBIDDEN = {"eval", "exec", "compile", "__import__"}  # the builtins that run or load code


def _sources():
    files = sorted(PACKAGE.rglob("*.py"))
    assert files
    return files


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.name)
def test_no_eval_or_exec_in_the_package(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):  # eval(...), compile(...); re.compile is fine
                assert func.id not in FORBIDDEN, f"{path.name}:{node.lineno} calls {func.id}"
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                dotted = f"{func.value.id}.{func.attr}"  # builtins.eval(...)
                assert not (func.value.id == "builtins" and func.attr in FORBIDDEN), dotted
        if isinstance(node, ast.Name):
            assert node.id not in {"eval", "exec"}, f"{path.name}:{node.lineno} names {node.id}"


# --- the wheel --------------------------------------------------------------------------------

SPEC_EXAMPLE = ["dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--n1", "4", "--m", "5", "--json"]
_NOT_SOURCES = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__",
                                      ".pytest_cache", ".hypothesis", "*.whl")


def _run(args, cwd, env):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_wheel_installs_and_ships_the_grammar(tmp_path):
    # build from a copy, so the checkout gets no build/ directory
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCES)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(wheels), str(source)],
                 tmp_path, env)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = list(wheels.glob("*.whl"))
    # every module of the package is in the wheel (a subpackage missing from pyproject's
    # list would import in an editable checkout and fail where it is installed)
    shipped = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "shapecheck").rglob("*.py")}
    assert modules <= shipped, sorted(modules - shipped)

    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(target)
    python = target / "bin" / "python"
    installed = _run([str(python), "-m", "pip", "install", str(wheel)], tmp_path, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # the installed command on SPEC's example, away from the checkout
    result = _run([str(target / "bin" / "shapecheck"), *SPEC_EXAMPLE], tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["results"][0]["verdict"] == "pass"

    # the package comes from the new environment and carries its grammar
    probe = _run([str(python), "-c",
                  "import json, shapecheck; from importlib import resources; "
                  "g = resources.files('shapecheck.grammar'); "
                  "print(json.dumps([shapecheck.__file__, (g / 'formula.lark').is_file(), "
                  "(g / 'formula.lalr').is_file()]))"], tmp_path, env)
    assert probe.returncode == 0, probe.stderr
    location, has_grammar, has_tables = json.loads(probe.stdout)
    assert Path(location).resolve().is_relative_to(target.resolve())
    assert has_grammar and has_tables
