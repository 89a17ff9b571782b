"""What the Python API returns: a checked formula (CheckResult) and a list of them (Report),
shown as the command shows them, wherever they are shown: plain text for `repr` (a
Python prompt, a terminal IPython), HTML in a notebook (`_repr_html_`) and styled text
for rich (`__rich_console__`). All three are report.py's rendering; nothing is drawn here.

    >>> shapecheck.check("dZ2 = A2 - Y", n1=4, n2=1, m=5).ok
    True
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import field, fields
from typing import Iterator, Mapping, overload

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from . import report
from .frozen import record
from .result import Result

# a notebook's output area: the report laid out as an --html picture is (at most 100 columns)
_HTML = ('<pre style="font-family:Menlo,\'DejaVu Sans Mono\',Consolas,\'Courier New\',monospace;'
         'line-height:1.35;white-space:pre-wrap">{code}</pre>')


@record
class CheckResult(Result):
    """The verdict on one formula or derivation: every field of the `--json` report
    (`verdict`, `lhs_shape`, `rel_error`, `diagnosis`, `repair`, `derived`, ...) and
    `from_arrays`, the sizes read off the arrays of a namespace (size → the array's name)."""
    from_arrays: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, result: Result, from_arrays: Mapping[str, str] | None = None) -> "CheckResult":
        kept = {f.name: getattr(result, f.name) for f in fields(Result)}
        return cls(**kept, from_arrays=dict(from_arrays or {}))

    @property
    def ok(self) -> bool:
        """True for a pass (a derivation that was verified passes)."""
        return self.verdict == "pass"

    def to_dict(self) -> dict:
        """The result as `--json` reports it (one item of its `results`)."""
        from .json_report import to_json  # json: only when a dictionary is asked for
        return to_json(self)

    def __repr__(self) -> str:
        return plain([self])

    def __str__(self) -> str:
        return plain([self])

    def _repr_html_(self) -> str:
        return html([self])

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield styled([self], options.max_width)


class Report(Sequence[CheckResult]):
    """The results of notes (a file, several, an IPython cell), in order: a sequence of
    CheckResult, `ok` when every one passed, shown as the command shows them."""

    def __init__(self, results: Sequence[Result], files: int = 0,
                 from_arrays: Mapping[str, str] | None = None):
        self.results = tuple(r if isinstance(r, CheckResult) else CheckResult.of(r, from_arrays)
                             for r in results)
        self.files = files
        self.from_arrays = dict(from_arrays or {})

    @overload
    def __getitem__(self, index: int) -> CheckResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CheckResult]: ...

    def __getitem__(self, index):
        return self.results[index]

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[CheckResult]:
        return iter(self.results)

    @property
    def ok(self) -> bool:
        """True when every formula passed (and there was something to check)."""
        return bool(self.results) and all(r.ok for r in self.results)

    @property
    def summary(self) -> str:
        """`3 formulas in 1 file: 2 pass, 1 value`."""
        return report.summary(self.results, self.files)

    def to_json(self) -> str:
        """The `--json` report."""
        from .json_report import json_report
        return json_report(self.results)

    def __repr__(self) -> str:
        return plain(self.results, self.files)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return html(self.results, self.files)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield styled(self.results, options.max_width, self.files)


# --- rendering: report.render_all onto a console of our own, then taken as text --------------

def _console(width: int, color: bool, record: bool = False) -> Console:
    return Console(file=io.StringIO(), theme=report.THEME, width=width, soft_wrap=True,
                   highlight=False, record=record, force_terminal=color,
                   color_system="truecolor" if color else None)


def _render(results: Sequence[CheckResult], console: Console, files: int) -> None:
    report.render_all(results, console, console, files)
    arrays = {}
    for result in results:
        arrays.update(result.from_arrays)
    if arrays:  # where sizes came from that nobody typed: said, as a chosen default is
        said = ", ".join(f"{size} = {_size(results, size)} ({name})"
                         for size, name in arrays.items())
        console.print(Text(f"sizes from the arrays: {said}", style="dim"))


def _size(results: Sequence[CheckResult], size: str) -> object:
    return next((r.sizes[size] for r in results if size in r.sizes), "?")


def plain(results: Sequence[CheckResult], files: int = 0) -> str:
    """The report as the command prints it to a pipe: no colour, lines not wrapped."""
    console = _console(report.UNWRAPPED, color=False)
    _render(results, console, files)
    return "\n".join(line.rstrip() for line in console.file.getvalue().rstrip("\n").split("\n"))


def html(results: Sequence[CheckResult], files: int = 0) -> str:
    """The report as a terminal shows it, in colour, as an HTML fragment for a notebook."""
    console = _console(report.PICTURE_COLUMNS, color=True, record=True)
    _render(results, console, files)
    return console.export_html(inline_styles=True, code_format=_HTML)


def styled(results: Sequence[CheckResult], width: int, files: int = 0) -> Text:
    """The report as styled text `width` columns wide, for a rich console to print."""
    console = _console(max(width, 1), color=True)
    _render(results, console, files)
    return Text.from_ansi(console.file.getvalue().rstrip("\n"))
