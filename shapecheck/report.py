"""Rendering of results: rich text for people, JSON for machines. Data in, text out.

Rendering never raises on odd data (a span past the end of the text is clipped), so a
report always reaches the user.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Iterable, Sequence

from rich.console import Console
from rich.text import Text
from rich.theme import Theme

from .check import Result
from .shapes import show

THEME = Theme({
    "pass": "bold green", "shape": "bold red", "value": "bold red", "error": "bold magenta",
    "operand": "underline yellow", "operator": "bold red", "formula": "bold",
    "hint": "green", "dim": "dim", "source": "cyan",
})
MARK = {"pass": "✓ pass ", "shape": "✗ shape", "value": "✗ value", "error": "! error"}


def make_console(file=None, width: int | None = None) -> Console:
    return Console(file=file, theme=THEME, width=width, soft_wrap=True, highlight=False)


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
    """Errors to `err`, the rest to `out`; then the sizes chosen by default, once, and a
    summary where there are several formulas or files."""
    for result in results:
        render_one(result, err if result.verdict == "error" else out)
    defaults = {}
    for result in results:
        defaults.update(result.defaults or {})
    if defaults:
        chosen = ", ".join(f"{k} = {v}" for k, v in defaults.items())
        out.print(Text(f"sizes nobody declared, chosen: {chosen}", style="dim"))
    if files or len(results) > 1:
        out.print(Text(summary(results, files), style="bold"))


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
        console.print(head)
        return
    console.print(head)
    if result.span is not None or result.op_span is not None:
        for line in _marked_formula(result, indent):
            console.print(line)
    pad = " " * indent
    console.print(Text(pad) + Text(result.rule or result.message))
    if result.hint:
        console.print(Text(pad + "did you mean: ") + Text(result.hint, style="hint"))


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
    }


def json_report(results: Iterable[Result]) -> str:
    items = [to_json(r) for r in results]
    return json.dumps({"ok": all(r["verdict"] == "pass" for r in items), "results": items},
                      indent=1)
