"""`pytest --shapecheck`: the formulas of notes files as test items.

Registered through the `pytest11` entry point (as nbval and pytest-mypy are), so pytest
loads this module in every run of every project where shapecheck is installed: it imports
pytest alone, and shapecheck's checking only once `--shapecheck` is given. Without the
option nothing is collected.

With it, every notes file (Markdown, LaTeX, notebook: the files the pre-commit hook reads)
under the paths given is a collector, and each formula it holds (each step of a derivation)
one item, `notes.md::line 12: dZ1 = W2.T @ dZ2 * g1'(Z1)`. The checking is the library's:
`Session.files` reads and checks the file exactly as `shapecheck notes.md` does, with the
notes' own directives (`sizes: m=5`, `forward: ...`) and the command's defaults, so a
file passes under pytest exactly when it passes under the command; a failure shows the
command's report of that formula. Sizes are not taken from pytest options: the notes say
what they are checked with, in one place.
"""
from __future__ import annotations

import os

import pytest

# the notes files `shapecheck` reads as notes (any other file is read as plain text, which
# in a tree of tests would be every file), as the pre-commit hook selects them
SUFFIXES = (".md", ".markdown", ".qmd", ".tex", ".ipynb")
DIRECTIVES = "directives"  # the item of a file's directives that no formula used


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("shapecheck", "shapecheck: hand-derived gradient formulas")
    group.addoption("--shapecheck", action="store_true", default=False,
                    help="check the formulas of the notes files (" + ", ".join(SUFFIXES)
                         + ") under the paths given: one test per formula")


def pytest_collect_file(file_path, parent: pytest.Collector):
    if parent.config.getoption("shapecheck") and file_path.suffix.lower() in SUFFIXES:
        return NotesFile.from_parent(parent, path=file_path)
    return None


class FormulaFailed(Exception):
    """A formula that is wrong or could not be checked; its report is the failure."""

    def __init__(self, results):
        super().__init__(results[0].message if results else "")
        self.results = results


_SESSION = pytest.StashKey[object]()


def _session(config: pytest.Config):
    """One shapecheck Session for the pytest run: files that share a setting share its
    models, draws and verdicts, as they do in one call of the command."""
    if _SESSION not in config.stash:
        from .result import Options
        from .session import Session

        config.stash[_SESSION] = Session(Options())
    return config.stash[_SESSION]


class NotesFile(pytest.File):
    """A notes file: an item per formula and per directive error, in file order, then one
    for its directives if it has any (one that no formula used is an error). The results
    are the session's, taken as the items run."""

    def collect(self):
        from .errors import UnreadableFileError
        from .notes import NoteDerivation, NoteFormula, read_notes

        self.shown = os.path.relpath(self.path) if _inside(self.path) else str(self.path)
        self._results, self._items = None, {}
        try:
            found = read_notes(self.shown, _session(self.config).defaults())
        except UnreadableFileError as e:  # the session's error for it is the one item
            yield NotesItem.from_parent(self, name=f"line {e.line or 1}: unreadable", index=0)
            return
        names: set[str] = set()
        for index, item in enumerate(found):
            said = (item.text if isinstance(item, NoteFormula) else
                    " = ".join(m[0] for m in item.members) if isinstance(item, NoteDerivation)
                    else "directive")
            name = f"line {item.line}: {said}"
            if name in names:  # two on one line (`a = b = c`, two `$$` on a line)
                name = f"line {item.line}:{item.column}: {said}"
            names.add(name)
            yield NotesItem.from_parent(self, name=name, index=index, line=item.line)
        if any(getattr(item, "setting", None) and item.setting.declared for item in found):
            yield NotesItem.from_parent(self, name=DIRECTIVES, index=len(found), rest=True)

    def results(self, index: int, rest: bool = False) -> list | None:
        """The results of item `index` (a derivation has one per link; with `rest`: those of
        the file's directives), checking the file's items up to it if no item did yet."""
        if self._results is None:
            self._results, self._items = self._checked(), {}
        while index not in self._items:
            got = next(self._results, None)
            if got is None:
                break
            self._items[got[0]] = got[1]
        return self._items.get(index)  # None: the file changed since it was collected

    def _checked(self):
        """(item index or None for the directives, results), as Session.notes_by_item; an
        unreadable file is its one item's error."""
        from .errors import UnreadableFileError
        from .notes import read_notes

        session = _session(self.config)
        try:
            items = read_notes(self.shown, session.defaults())
        except UnreadableFileError:
            yield 0, list(session.files([self.shown]))
            return
        for index, results in session.notes_by_item(items, self.shown):
            yield (len(items) if index is None else index), results


class NotesItem(pytest.Item):
    def __init__(self, *, index: int, line: int | None = None, rest: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.index, self.line, self.rest = index, line, rest

    def runtest(self) -> None:
        results = self.parent.results(self.index, self.rest)
        if results is None:  # the file changed since it was collected
            if self.rest:
                return
            raise FormulaFailed([])
        failed = [r for r in results if r.verdict != "pass"]
        if failed:
            raise FormulaFailed(failed)

    def repr_failure(self, excinfo, style=None):
        if not isinstance(excinfo.value, FormulaFailed):
            return super().repr_failure(excinfo, style)
        if not excinfo.value.results:
            return f"{self.parent.shown}: changed while pytest ran; run it again"
        return rendered(excinfo.value.results, self.config)

    def reportinfo(self):
        # the headline of a failure; not the end of the node id, which pytest would show
        # with each `.` as `::` (`A1::T`)
        return self.path, (self.line or 1) - 1, f"{self.parent.shown}, {self.name}"


def rendered(results, config: pytest.Config) -> str:
    """The command's report of `results`: in colour and to the width of pytest's terminal
    where pytest writes in colour (a terminal, `--color=yes`), else plain and unwrapped, as
    the command's output in a pipe."""
    import io

    from rich.console import Console

    from . import report

    writer = config.get_terminal_writer()
    buffer = io.StringIO()
    if writer.hasmarkup:
        console = Console(file=buffer, theme=report.THEME, width=writer.fullwidth,
                          force_terminal=True, color_system="standard", soft_wrap=True,
                          highlight=False)  # the theme's colours are the 16 standard ones
    else:
        console = report.make_console(buffer)
    report.render_all(results, console, console)
    return buffer.getvalue().rstrip("\n")


def _inside(path) -> bool:
    """Whether `path` is under the working directory (shown relative to it, as typed)."""
    try:
        return not os.path.relpath(path).startswith("..")
    except ValueError:  # another drive
        return False
