"""Rendering of results: rich text for people (and as an SVG or HTML picture of it), JSON
for machines. Data in, text out.

Rendering never raises on odd data (a span past the end of the text is clipped), so a
report always reaches the user.
"""
from __future__ import annotations

import io
import json
from collections import Counter
from typing import Iterable, Sequence

from rich.console import Console
from rich.text import Text
from rich.theme import Theme

from .result import Result, show

THEME = Theme({
    "pass": "bold green", "shape": "bold red", "value": "bold red", "error": "bold magenta",
    "operand": "underline yellow", "operator": "bold red", "formula": "bold",
    "hint": "green", "dim": "dim", "source": "cyan", "repair": "bold green underline",
})
MARK = {"pass": "✓ pass ", "shape": "✗ shape", "value": "✗ value", "error": "! error"}


def make_console(file=None, width: int | None = None) -> Console:
    return Console(file=file, theme=THEME, width=width, soft_wrap=True, highlight=False)


def pictures(results: Sequence[Result], files: int = 0, width: int = 80) -> tuple[str, str]:
    """The report as a terminal shows it (errors in their place), as an SVG picture and an
    HTML page: the width grows to the longest line (up to 200 columns, then lines wrap)."""
    plain = Console(file=io.StringIO(), theme=THEME, width=1000, soft_wrap=True, highlight=False,
                    color_system=None)
    render_all(results, plain, plain, files)
    longest = max((len(line) for line in plain.file.getvalue().splitlines()), default=0)
    console = Console(file=io.StringIO(), theme=THEME, width=min(max(width, longest), 200),
                      highlight=False, record=True, force_terminal=True, color_system="truecolor")
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


def _marked_formula(result: Result, indent: int) -> list[Text]:
    """Under the formula: `~` under the failing operands, `^` under the operator, then each
    operand's shape starting below it."""
    text = result.formula
    under = [" "] * (len(text) + 1)
    labels = []
    for operand in result.operands:
        span = _clip(operand.span, text)
        if span and span[1] > span[0]:
            under[span[0]:span[1]] = "~" * (span[1] - span[0])
            labels.append((span[0], f"{operand.text} is {show(operand.shape)}"))
    op = _clip(result.op_span, text)
    if op:
        width = max(op[1] - op[0], 1)
        under[op[0]:op[0] + width] = "^" * width
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
        if result.link and result.link["summary"] and result.link["links"] > 1:
            # under a derivation's last link: which link first fails
            at = f" at line {result.link['first_line']}" if result.link["first_line"] else ""
            console.print(Text(f"  derivation{at}: {result.link['summary']}", style="bold"))
        if len(checked) == 1 or alike > 1:
            _assumed(result, console, several)
    if len(checked) > 1 and alike == 1 and checked[0].defaults:
        out.print(Text(f"sizes chosen (nobody declared them) for each of the {len(checked)} "
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
        pad = " " * (len(_location(result)) + len(MARK.get(result.verdict, result.verdict)) + 2)
        console.print(Text(pad + "; ".join(said), style="dim"))


def _chosen(result: Result) -> str:
    return ", ".join(f"{k} = {v}" for k, v in result.defaults.items())


def render_one(result: Result, console: Console) -> None:
    """One result: a line for a pass; the formula marked, the rule and a hint otherwise."""
    head = Text(_location(result), style="source")
    head.append(MARK.get(result.verdict, result.verdict), style=result.verdict)
    head.append("  ")
    indent = len(head.plain)
    if not result.formula:  # an unreadable file or a bad directive: no formula to show
        head.append(_without_file(result))
        console.print(head)
        return
    head.append_text(_styled_formula(result))
    if result.verdict != "error" and result.lhs_shape is not None:
        head.append(f"   {show(result.lhs_shape)} = {concrete(result.lhs_shape, result.sizes)}",
                    style="dim")
    if result.verdict == "pass":
        if result.rel_error is not None:
            head.append(f"   rel. error {result.rel_error:.1e} < tol {result.tolerance:g}",
                        style="dim")
        else:
            head.append(f"   {result.message}", style="dim")
        if result.layers:  # a generic-layer formula checked at the layers --layers gave
            head.append(f"   at l = {_layers(result.layers)}", style="dim")
        console.print(head)
        _reading(result, console, indent)
        _derivation(result, console, indent)
        return
    console.print(head)
    _reading(result, console, indent)
    if result.span is not None or result.op_span is not None:
        for line in _marked_formula(result, indent):
            console.print(line)
    pad = " " * indent
    console.print(Text(pad) + Text(result.rule or result.message))
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
        console.print(line)
        console.print(Text(" " * len(lead) + "".join(under).rstrip(), style="repair"))
        return
    if derived:
        console.print(Text(pad + "derived: ") + Text(derived, style="hint"))
        return
    if result.hint:
        console.print(Text(pad + "did you mean: ") + Text(result.hint, style="hint"))
    if result.searched:  # under --no-values nothing is looked for, so nothing is said
        console.print(Text(pad + "no small edit of this formula, and no derivation, could be "
                                 "verified by the check", style="dim"))


def _derivation(result: Result, console: Console, indent: int) -> None:
    """A --derive result's LaTeX and steps, where the command line asked for them (it keeps
    in `result.derivation` only what is to be shown)."""
    derivation = getattr(result, "derivation", None)
    if derivation is None:
        return
    pad = " " * indent
    if derivation.latex:
        console.print(Text(pad + "LaTeX  ", style="dim") + Text(derivation.latex, style="hint"))
    for number, step in enumerate(derivation.steps, 1):
        line = Text(f"{pad}{number}. ", style="dim")
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
        console.print(line)


def _layers(layers) -> str:
    """(1, 2, 3) → '1..3'; (2,) → '2'."""
    return f"{layers[0]}..{layers[-1]}" if len(layers) > 1 else str(layers[0])


def _reading(result: Result, console: Console, indent: int) -> None:
    """How notation with more than one reading was read (`HW as H @ W`)."""
    if result.reading:
        console.print(Text(" " * indent + f"read {result.reading}", style="dim"))


def _without_file(result: Result) -> str:
    """The message without a leading `file: `, which the location already shows."""
    return result.message.removeprefix(f"{result.source.file}: ") if result.source \
        else result.message


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
    found = {
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
    if result.link is not None:  # a link of a derivation (shapecheck.chains)
        found["link"] = result.link
    return found


def json_report(results: Iterable[Result]) -> str:
    items = [to_json(r) for r in results]
    return json.dumps({"ok": all(r["verdict"] == "pass" for r in items), "results": items},
                      indent=1)
