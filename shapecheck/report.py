"""Rendering of results: rich text for people (and as an SVG or HTML picture of it), JSON
for machines. Data in, text out.

Rendering never raises on odd data (a span past the end of the text is clipped), so a
report always reaches the user.
"""
from __future__ import annotations

import io
import os
import re
from collections import Counter
from dataclasses import replace
from typing import Iterable, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from rich.theme import Theme

from .result import Result, show

# No underline: the carets below mark the operands and the edits (also without colour), and an
# underline runs on under the spaces of a picture's line
THEME = Theme({
    "pass": "bold green", "shape": "bold red", "value": "bold red", "error": "bold magenta",
    "operand": "bold yellow", "operator": "bold red", "formula": "bold",
    "hint": "green", "dim": "dim", "source": "cyan", "repair": "bold green", "carets": "bold green",
})
MARK = {"pass": "✓ pass ", "shape": "✗ shape", "value": "✗ value", "error": "! error"}
UNWRAPPED = 10_000  # the width of output that is no terminal: lines are not wrapped
PICTURE_COLUMNS = 100  # an --svg or --html picture is at most this wide
NARROWEST = 20  # a formula is cropped to no fewer columns than this, however narrow the terminal


def make_console(file=None, width: int | None = None) -> Console:
    """A console for the report: its own lines are wrapped here (`soft_wrap`: rich adds no
    breaks of its own) to a terminal's width (or COLUMNS). Output that is no terminal is
    not wrapped unless COLUMNS asks: a pipe or a file keeps a result's first line whole for
    grep and for editors that read `file:line:col:`. NO_COLOR (any value but empty,
    no-color.org) is plain text: rich alone would keep bold, dim and underline."""
    plain = os.environ.get("NO_COLOR", "") != ""
    console = Console(file=file, theme=THEME, width=width, soft_wrap=True, highlight=False,
                      **({"color_system": None} if plain else {}))
    if width is None and not console.is_terminal:
        columns = os.environ.get("COLUMNS", "")
        console.width = int(columns) if columns.isdigit() and int(columns) > 0 else UNWRAPPED
    return console


def pictures(results: Sequence[Result], files: int = 0) -> tuple[str, str]:
    """The report as a terminal shows it (errors in their place), as an SVG picture and an
    HTML page, laid out for at most 100 columns and no wider than its longest line."""
    plain = Console(file=io.StringIO(), theme=THEME, width=PICTURE_COLUMNS, soft_wrap=True,
                    highlight=False, color_system=None)
    render_all(results, plain, plain, files)
    longest = max((cell_len(line) for line in plain.file.getvalue().splitlines()), default=0)
    # the same lines at the width of the longest: a greedy wrap breaks them just as before
    console = Console(file=io.StringIO(), theme=THEME, width=max(min(longest, PICTURE_COLUMNS), 1),
                      highlight=False, record=True, force_terminal=True, color_system="truecolor",
                      soft_wrap=True)
    render_all(results, console, console, files)
    return (console.export_svg(title="shapecheck", clear=False),
            console.export_html(clear=False))


def _clip(span, text: str) -> tuple[int, int] | None:
    if not span:
        return None
    start, end = max(0, min(span[0], len(text))), max(0, min(span[1], len(text)))
    return (start, max(start, end))


def concrete(shape, sizes) -> str:
    return show(tuple(sizes.get(d, d) if isinstance(d, str) else d for d in shape))


def _location(result: Result) -> str:
    src = result.source
    return f"{src.file}:{src.line}:{src.column}: " if src else ""


def _marked_formula(result: Result, indent: int, width: int) -> list[Text]:
    """Under the formula: `~` under the failing operands, `^` under the operator, then each
    operand's shape starting below it (moved left where it would pass the right edge)."""
    text = result.formula
    under = [" "] * (len(text) + 1)
    labels = []
    for operand in result.operands:
        span = _clip(operand.span, text)
        if span and span[1] > span[0]:
            under[span[0]:span[1]] = "~" * (span[1] - span[0])
            label = _label(operand.text, show(operand.shape), width - indent)
            labels.append((max(0, min(span[0], width - indent - cell_len(label))), label))
    op = _clip(result.op_span, text)
    if op:
        wide = max(op[1] - op[0], 1)
        under[op[0]:op[0] + wide] = "^" * wide
    pad = " " * indent
    lines = [Text(pad + "".join(under).rstrip(), style="operator")]
    rows: list[str] = []
    for column, label in labels:  # each label below its operand, on the first row with room
        for i, row in enumerate(rows):
            if len(row) < column:
                rows[i] = row.ljust(column) + label
                break
        else:
            rows.append(" " * column + label)
    lines += [Text(pad + row, style="dim") for row in rows]
    return lines


def _label(operand: str, shape: str, room: int) -> str:
    """`dZ2 is (n2, m)`; an operand too long for the `room` left is cut short with `…`."""
    said = f" is {shape}"
    if cell_len(operand + said) > room:
        operand = operand[:max(room - cell_len(said) - 1, 1)] + "…"
    return operand + said


def _cropped(result: Result, columns: int) -> Result:
    """A marked formula wider than `columns`, cut down to the `columns` around its marks
    (around its operator, where the marks alone are wider), `…` where text was left out;
    the spans move with it, so the carets stay under their text."""
    text = result.formula
    if cell_len(text) <= columns:
        return result
    columns = max(columns, NARROWEST) - 2  # room for a `…` at either end
    spans = [_clip(o.span, text) for o in result.operands] + [_clip(result.op_span, text),
                                                              _clip(result.span, text)]
    spans = [sp for sp in spans if sp] or [(0, 0)]
    low, high = min(sp[0] for sp in spans), max(sp[1] for sp in spans)
    op = _clip(result.op_span, text)
    if high - low > columns and op:  # the operator in the middle, the operands cut at the edges
        low = high = (op[0] + op[1]) // 2
    elif high - low > columns:  # one long part marked: from its start
        high = low + columns
    start = max(0, min(low - (columns - (high - low)) // 2, len(text) - columns))
    end = min(len(text), start + columns)
    if start == 0 or end == len(text):  # one `…` only: its room goes to the text
        start, end = max(0, start - (end == len(text))), min(len(text), end + (start == 0))
    while start < end and text[start] == " ":  # a `…` leans on text, not on a space
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    lead = "…" if start else ""
    shown = lead + text[start:end] + ("…" if end < len(text) else "")

    def moved(span):
        if not span:
            return span
        at = [min(max(p, start), end) - start + len(lead) for p in span]
        return (at[0], at[1])
    return replace(result, formula=shown, span=moved(result.span), op_span=moved(result.op_span),
                   operands=tuple(replace(o, span=moved(o.span)) for o in result.operands))


_SHAPE = re.compile(r"\([\w ,]{1,24}\)")  # `(n1, n2)`: a shape is not broken at its comma


def _pieces(plain: str, width: int, indent: int, keep=()) -> list[tuple[int, int]]:
    """Where `plain` is cut into lines of at most `width` columns, the lines after the first
    starting at column `indent`: at runs of spaces past the first `indent` characters, never
    inside a span of `keep` or a shape; a word wider than a line is left whole (the terminal
    folds it)."""
    keep = [*keep, *((m.start(), m.end()) for m in _SHAPE.finditer(plain))]
    breaks = [(m.start(), m.end()) for m in re.finditer(" +", plain)
              if indent < m.start() and m.end() < len(plain)
              and not any(a < m.start() < b for a, b in keep)]
    pieces, start, column = [], 0, 0
    while column + cell_len(plain[start:]) > width:
        ahead = [b for b in breaks if b[0] > start]
        if not ahead:
            break
        fitting = [b for b in ahead if column + cell_len(plain[start:b[0]]) <= width]
        cut = fitting[-1] if fitting else ahead[0]
        pieces.append((start, cut[0]))
        start, column = cut[1], indent
    return pieces + [(start, len(plain))]


def _emit(console: Console, line: Text, indent: int = 0, keep=(), under: str = "",
          style: str = "carets") -> None:
    """`line` printed to the console's width, wrapped at spaces, the lines after the first
    indented by `indent` (under the message); not broken inside a span of `keep` (a formula,
    a shape) that fits on a line. `under` (carets, by position in `line`) is printed below
    each piece it marks, so that a caret stays under its text."""
    width = console.width
    keep = [(a, b) for a, b in keep if cell_len(line.plain[a:b]) <= width - indent]
    for number, (start, end) in enumerate(_pieces(line.plain, width, indent, keep)):
        pad = " " * (indent if number else 0)
        console.print(Text(pad) + line[start:end])
        marks = under[start:end].rstrip()
        if marks.strip():
            console.print(Text(pad + marks, style=style))


def _styled_formula(result: Result) -> Text:
    line = Text(result.formula, style="formula")
    for operand in result.operands:
        span = _clip(operand.span, result.formula)
        if span and span[1] > span[0]:
            line.stylize("operand", *span)
    op = _clip(result.op_span, result.formula)
    if op:
        line.stylize("operator", op[0], max(op[1], op[0] + 1))
    return line


def render_all(results: Sequence[Result], out: Console, err: Console, files: int = 0) -> None:
    """Errors to `err`, the rest to `out`, each with the sizes chosen for it (once, after
    them all, where every formula checked was checked on the same network with the same
    chosen sizes); then a summary where there are several formulas or files."""
    checked = [r for r in results if r.network]
    alike = len({(r.network, tuple(r.defaults.items())) for r in checked})
    several = len({r.network for r in checked}) > 1
    for result in results:
        console = err if result.verdict == "error" else out
        render_one(result, console)
        if len(checked) == 1 or alike > 1:
            _assumed(result, console, several)
    if len(checked) > 1 and alike == 1 and checked[0].defaults:
        _emit(out, Text(f"sizes chosen (nobody declared them) for each of the {len(checked)} "
                        f"formulas checked: {_chosen(checked[0])}", style="dim"))
    if files or len(results) > 1:
        out.print(Text(summary(results, files), style="bold"))


def _assumed(result: Result, console: Console, several: bool) -> None:
    """Under a result, the sizes its check chose because nobody declared them (only those
    it touched) and, where the formulas of the call were checked on different networks,
    which one this was: `on the 3-layer network; sizes chosen (nobody declared them): n3 = 6`."""
    said = [f"on {result.network}"] if several and result.network else []
    if result.defaults:
        said.append(f"sizes chosen (nobody declared them): {_chosen(result)}")
    if said:
        pad = cell_len(_location(result)) + len(MARK.get(result.verdict, result.verdict)) + 2
        _emit(console, Text(" " * pad + "; ".join(said), style="dim"), pad)


def _chosen(result: Result) -> str:
    return ", ".join(f"{k} = {v}" for k, v in result.defaults.items())


def render_one(result: Result, console: Console) -> None:
    """One result: a line for a pass; the formula marked, the rule and a hint otherwise."""
    head = Text(_location(result), style="source")
    head.append(MARK.get(result.verdict, result.verdict), style=result.verdict)
    head.append("  ")
    indent = cell_len(head.plain)
    if not result.formula:  # an unreadable file or a bad directive: no formula to show
        head.append(_without_file(result))
        _emit(console, head, indent)
        return
    marked = result.verdict != "pass" and (result.span is not None or result.op_span is not None)
    if marked:  # one line with its carets: cropped around them where it is too wide
        result = _cropped(result, console.width - indent)
    head.append_text(_styled_formula(result))
    formula = [(indent, len(head))]
    after = Text()
    if result.verdict != "error" and result.lhs_shape is not None:
        after.append(f"   {show(result.lhs_shape)} = {concrete(result.lhs_shape, result.sizes)}",
                     style="dim")
    if result.verdict == "pass":
        if result.rel_error is not None:
            after.append(f"   rel. error {result.rel_error:.1e} < tol {result.tolerance:g}",
                         style="dim")
        else:
            after.append(f"   {result.message}", style="dim")
        if result.layers:  # a generic-layer formula checked at the layers --layers gave
            after.append(f"   at l = {_layers(result.layers)}", style="dim")
        _emit(console, head + after, indent, keep=formula + _parts(after, len(head)))
        _reading(result, console, indent)
        _derivation(result, console, indent)
        return
    fits = cell_len(head.plain + after.plain) <= console.width
    if marked and not fits:  # never broken, so that the carets below are under their text
        console.print(head)
    else:
        _emit(console, head + after, indent, keep=formula + _parts(after, len(head)))
    _reading(result, console, indent)
    if marked:
        for line in _marked_formula(result, indent, console.width):
            console.print(line)
        if not fits and after.plain:  # the left side's shape after the carets (under the formula)
            _emit(console, Text(" " * indent) + after[3:], indent)
    pad = " " * indent
    _emit(console, Text(pad) + Text(result.rule or result.message), indent)
    _suggestion(result, console, pad)


def _suggestion(result: Result, console: Console, pad: str) -> None:
    """The verified repair, its edits highlighted and marked `^` beneath (so they survive
    without colour); else the verified derivation; else the shape hint (shape-correct, not
    verified) and a word that nothing could be verified."""
    repair = result.repair
    derived = getattr(result, "derived", None)
    if repair and repair.get("formula"):
        lead = pad + "did you mean: "
        formula = Text(repair["formula"], style="hint")
        under = [" "] * (len(repair["formula"]) + 1)
        for edit in repair.get("edits", []):
            for span in edit.get("marks", []):  # an empty mark: where something was deleted
                start, end = _clip(span, repair["formula"]) or (0, 0)
                formula.stylize("repair", start, end)
                under[start:max(end, start + 1)] = "^" * max(end - start, 1)
        notes = "; ".join(e["note"] for e in repair.get("edits", []) if e.get("note"))
        line = Text(lead) + formula
        if notes:
            line.append(f"   ({notes})", style="dim")
        # too wide, the formula is wrapped with its carets, each piece above its own
        _emit(console, line, len(lead), keep=[(len(lead), len(lead) + len(formula))],
              under=" " * len(lead) + "".join(under))
        return
    if derived:
        _said(console, pad + "derived: ", Text(derived, style="hint"))
        return
    if result.hint:
        _said(console, pad + "did you mean: ", Text(result.hint, style="hint"))
    if result.searched:  # under --no-values nothing is looked for, so nothing is said
        _emit(console, Text(pad + "no small edit of this formula, and no derivation, could be "
                                  "verified by the check", style="dim"), len(pad))


def _parts(line: Text, offset: int) -> list[tuple[int, int]]:
    """The spans of the parts of `line` set apart by three spaces (`(n2, m) = (2, 5)`), from
    `offset` on: each is kept on one line where it can be."""
    return [(offset + m.start(), offset + m.end())
            for m in re.finditer(r"\S+(?: {1,2}\S+)*", line.plain)]


def _said(console: Console, lead: str, formula: Text) -> None:
    """`lead` then a formula, which goes on wrapped under its own first column."""
    _emit(console, Text(lead) + formula, cell_len(lead),
          keep=[(len(lead), len(lead + formula.plain))])


def _derivation(result: Result, console: Console, indent: int) -> None:
    """A --derive result's LaTeX and steps, where the command line asked for them (it keeps
    in `result.derivation` only what is to be shown)."""
    derivation = getattr(result, "derivation", None)
    if derivation is None:
        return
    pad = " " * indent
    if derivation.latex:
        _emit(console, Text(pad + "LaTeX  ", style="dim") + Text(derivation.latex, style="hint"),
              indent + len("LaTeX  "))
    for number, step in enumerate(derivation.steps, 1):
        line = Text(f"{pad}{number}. ", style="dim")
        hang = len(line)
        if step.equation:
            line.append(step.equation, style="formula")
            line.append(", so ")
            line.append(step.gradient, style="hint")
            line.append(f": {step.rule}")
            if step.shapes:
                line.append(f"; {step.shapes}", style="dim")
        else:
            line.append(f"{step.rule}: " if step.rule else "so ")
            line.append(step.gradient, style="hint")
        _emit(console, line, hang)


def _layers(layers) -> str:
    """(1, 2, 3) → '1..3'; (2,) → '2'."""
    return f"{layers[0]}..{layers[-1]}" if len(layers) > 1 else str(layers[0])


def _reading(result: Result, console: Console, indent: int) -> None:
    """How notation with more than one reading was read (`HW as H @ W`)."""
    if result.reading:
        _emit(console, Text(" " * indent + f"read {result.reading}", style="dim"), indent)


def _without_file(result: Result) -> str:
    """The message without a leading `file: `, which the location already shows."""
    return result.message.removeprefix(f"{result.source.file}: ") if result.source \
        else result.message


def error(message: str, console: Console) -> None:
    """`shapecheck: error: MESSAGE`, what could not be checked at all, wrapped under itself."""
    lead = "shapecheck: error: "
    _emit(console, Text(lead + message), len(lead))


def summary(results: Sequence[Result], files: int = 0) -> str:
    """`12 formulas in 3 files: 11 pass, 1 shape`. An unreadable file or a bad directive is
    no formula, so it is counted apart: `1 formula in 2 files: 1 pass; 1 file or directive
    error`."""
    formulas = [r for r in results if r.formula]
    others = len(results) - len(formulas)
    counts = Counter(r.verdict for r in formulas)
    parts = ", ".join(f"{counts[v]} {v}" for v in ("pass", "shape", "value", "error") if counts[v])
    where = f" in {files} file{'s' if files != 1 else ''}" if files else ""
    noun = "formula" if len(formulas) == 1 else "formulas"
    line = f"{len(formulas)} {noun}{where}: {parts or ('' if others else 'nothing to check')}"
    if others:
        line += f"{'; ' if parts else ''}{others} file or directive " \
                f"error{'s' if others != 1 else ''}"
    return line


def _finite(x: float | None) -> float | None:
    return x if x is None or x == x and abs(x) != float("inf") else None


def _dims(shape) -> list | None:
    return None if shape is None else [d for d in shape]


def to_json(result: Result) -> dict:
    source = None
    if result.source:
        source = {"file": result.source.file, "line": result.source.line,
                  "column": result.source.column}
    return {
        "formula": result.formula,
        "source": source,
        "verdict": result.verdict,
        "lhs_shape": _dims(result.lhs_shape),
        "rhs_shape": _dims(result.rhs_shape),
        "message": result.message,
        "span": list(result.span) if result.span else None,
        "operands": [{"text": o.text, "span": list(o.span), "shape": _dims(o.shape)}
                     for o in result.operands],
        "hint": result.hint,
        "rel_error": _finite(result.rel_error),
        "tolerance": result.tolerance,
        "diagnosis": result.diagnosis,
        "layer": result.layer,
        "activation": result.activation,
        "sizes": dict(result.sizes),
        "defaults": dict(result.defaults),
        "network": None if result.network is None else {
            "layers": result.network.layers, "examples": result.network.examples,
            "layout": result.network.layout, "forward": result.network.forward},
        "repair": result.repair,
        "derived": getattr(result, "derived", None),
    }


def json_report(results: Iterable[Result]) -> str:
    import json  # only --json asks for it

    items = [to_json(r) for r in results]
    return json.dumps({"ok": all(r["verdict"] == "pass" for r in items), "results": items},
                      indent=1)
