"""The pre-commit hook, for real: a git repository whose .pre-commit-config.yaml points at
this checkout, the real `pre-commit` (test extra), and `git commit` stopped by a wrong
formula, then let through once it is fixed.

pre-commit reads the hook from the commit that `rev:` names, so `.pre-commit-hooks.yaml`
must be committed in this checkout (HEAD) for the slow test to pass; it then checks the
code of HEAD, installed by pre-commit with pip, as a user gets it.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pre_commit.clientlib import load_manifest

ROOT = Path(__file__).resolve().parent.parent
SIZES = '[--n0, "3", --n1, "4", --n2, "2", --m, "5"]'

WRONG = """\
# Week 3

```shapecheck
dZ2 = A2 - Y
dZ1 = dZ2 @ W2.T * g1'(Z1)
```
"""
RIGHT = WRONG.replace("dZ2 @ W2.T", "W2.T @ dZ2")


def test_the_hook_definition():
    (hook,) = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert (hook["id"], hook["entry"], hook["language"]) == ("shapecheck", "shapecheck", "python")
    assert hook["require_serial"] and hook["pass_filenames"]
    files = re.compile(hook["files"])
    for name in ("notes.md", "week3/derivation.markdown", "chapter2.tex", "hw3.ipynb",
                 "report.qmd", "README.MD"):
        assert files.search(name), name
    for name in ("train.py", "notes.txt", "refs.bib", "figure.png", "md", "notes.md.orig"):
        assert not files.search(name), name


def _isolated_env(tmp_path: Path) -> dict[str, str]:
    """No user or system git configuration and no git variables of a calling hook; a
    pre-commit cache of our own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Student\n\temail = student@example.com\n"
                      "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    env.update(GIT_CONFIG_GLOBAL=str(config), GIT_CONFIG_NOSYSTEM="1",
               PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=900)


@pytest.mark.slow
def test_a_commit_is_stopped_by_a_wrong_formula_and_allowed_once_it_is_fixed(tmp_path):
    env = _isolated_env(tmp_path)
    rev = _run(["git", "rev-parse", "HEAD"], ROOT, env)
    assert rev.returncode == 0, f"{ROOT} is not a git checkout with a commit: {rev.stdout}"
    rev = rev.stdout.strip()
    committed = _run(["git", "cat-file", "-e", f"{rev}:.pre-commit-hooks.yaml"], ROOT, env)
    assert committed.returncode == 0, (
        "commit .pre-commit-hooks.yaml first: pre-commit reads the hook from the commit "
        f"that rev: names ({rev})")

    repo = tmp_path / "notes"
    repo.mkdir()
    assert _run(["git", "init", "-q"], repo, env).returncode == 0
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n    hooks:\n"
        f"      - id: shapecheck\n        args: {SIZES}\n", encoding="utf-8")
    (repo / "notes.md").write_text(WRONG, encoding="utf-8")
    # not a notes file: never passed to shapecheck (it would be read as plain text)
    (repo / "train.py").write_text("dW2 = dZ2 @ A1.T\n", encoding="utf-8")
    installed = _run([sys.executable, "-m", "pre_commit", "install"], repo, env)
    assert installed.returncode == 0, installed.stdout

    assert _run(["git", "add", "-A"], repo, env).returncode == 0
    stopped = _run(["git", "commit", "-m", "week 3 notes"], repo, env)
    assert stopped.returncode != 0, stopped.stdout
    assert re.search(r"^shapecheck\.+Failed$", stopped.stdout, re.MULTILINE), stopped.stdout
    assert "notes.md:5:1: ✗ shape  dZ1 = dZ2 @ W2.T * g1'(Z1)" in stopped.stdout
    assert "did you mean: dZ1 = W2.T @ dZ2 * g1'(Z1)" in stopped.stdout
    assert "2 formulas in 1 file: 1 pass, 1 shape" in stopped.stdout
    assert "train.py" not in stopped.stdout
    assert _run(["git", "rev-parse", "--verify", "-q", "HEAD"], repo, env).returncode != 0

    (repo / "notes.md").write_text(RIGHT, encoding="utf-8")
    assert _run(["git", "add", "notes.md"], repo, env).returncode == 0
    allowed = _run(["git", "commit", "-m", "week 3 notes"], repo, env)
    assert allowed.returncode == 0, allowed.stdout
    assert re.search(r"^shapecheck\.+Passed$", allowed.stdout, re.MULTILINE), allowed.stdout
    log = _run(["git", "log", "--format=%s"], repo, env)
    assert log.stdout.splitlines() == ["week 3 notes"]
