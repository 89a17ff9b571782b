"""Docs that cannot drift: every command shown in README.md and docs/ with its output
(`$ shapecheck ...` in a fenced block, the lines after it up to the next `$` or the
block's end) runs here, and its real output must be the one shown (issue 17).

Commands run in-process through CliRunner from the repository's root (the examples'
paths are relative to it); stdout and stderr are read together, as a terminal shows
them. Commands shown without output (`shapecheck notes.md --html report.html`) are not
run: they name files of the reader's own. A shown output that ends in `...` is compared up to
there; a `*` in a path is expanded as a shell would.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecheck.cli import command

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def shown_examples() -> list[tuple[str, int, str, str]]:
    """(file, line, command, output) for every `$ shapecheck` in a fenced block."""
    found = []
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        in_block, current = False, None
        for number, line in enumerate(lines, 1):
            if line.startswith("```"):
                if current:
                    found.append(current)
                in_block, current = not in_block, None
                continue
            if not in_block:
                continue
            if line.startswith("$ shapecheck"):
                if current:
                    found.append(current)
                current = [path.name, number, line[2:], []]
            elif current is not None:
                if current[2].endswith("\\") and not current[3]:
                    current[2] = current[2][:-1] + " " + line.strip()
                else:
                    current[3].append(line)
    return [(f, n, cmd, "\n".join(out).rstrip()) for f, n, cmd, out in found]


EXAMPLES = shown_examples()


def test_the_docs_show_examples():
    assert len(EXAMPLES) >= 20, [e[:2] for e in EXAMPLES]


@pytest.mark.parametrize("where, line, shown, output", EXAMPLES,
                         ids=[f"{e[0]}:{e[1]}" for e in EXAMPLES])
def test_a_shown_example_prints_what_it_shows(where, line, shown, output, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("COLUMNS", raising=False)  # no terminal, no COLUMNS: lines unwrapped
    argv = [path for word in shlex.split(shown)[1:] for path in _expanded(word)]
    result = CliRunner().invoke(command, argv, catch_exceptions=False)
    real = "\n".join(l.rstrip() for l in result.output.rstrip().splitlines())
    expected = "\n".join(l.rstrip() for l in output.splitlines())
    if expected.endswith("\n..."):  # the rest of a long output left out
        real, expected = real[:len(expected) - 4], expected[:-4]
    assert real == expected, f"{where}:{line}: {shown}"


def _expanded(word: str) -> list[str]:
    """A word as a shell gives it: `examples/notes/*` is the files it matches, sorted."""
    if "*" not in word or "=" in word:  # a formula is no path
        return [word]
    return sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(word)) or [word]
