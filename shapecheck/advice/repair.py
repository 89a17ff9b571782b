"""Repairs: the smallest edit of the user's own text that turns a wrong formula into a right one.

The candidates are the text forms of advice.edits' moves (edits of the formula as typed), so a repair keeps the
user's notation: the poster's `dZ[2] W[2]T` becomes `W[2]T dZ[2]`. What a failure's
diagnosis asks for (a factor, a transpose) is tried first, then the edits inside the part
that failed, then the rest; one edit before two. Every candidate goes through the caller's
`verify` (the same checker, finite differences included), and only one whose verdict is
`pass` is ever returned.
"""
from __future__ import annotations

import itertools
from typing import Callable, Mapping, Protocol

from .. import syntax as s
from .edits import Edit, Editor, apply
from ..errors import ShapecheckError
from ..models.factors import name_of, same, value_of

# how many candidate formulas are checked at most for one repair (each is a full check)
MAX_CANDIDATES = 40
# a diagnosis prints its factor to 4 digits: a factor written or wanted matches it that closely
# (the check of the candidate decides)
_PRINTED = 1e-3
_KIND_ORDER = {"swap": 0, "transpose": 1, "untranspose": 1, "axis": 1, "group": 2, "operator": 2}


class Checked(Protocol):
    """What a repair reads of a verdict (the fields of result.Result): never the checker."""
    verdict: str
    span: s.Span | None
    diagnosis: dict | None


def _named(value: float, sizes: Mapping[str, int]) -> str | None:
    """A constant of that value as people write it (models.factors), as closely as a
    diagnosis prints it; None for a number right only at this draw's sizes (`1/25`)."""
    return name_of(value, sizes, tolerance=_PRINTED)


def _factor_edits(editor: Editor, factor: str) -> list[Edit]:
    """For a right side `factor` times the truth: take out a factor of that value as
    written (`* 2`, even where a size is also 2), else multiply by the inverse."""
    value = value_of(factor, editor.sizes)
    if not value:
        return []
    out = []
    for whole, node, kept, written in editor.factors():
        if same(written, value, _PRINTED):
            out.insert(0, editor.unfactor(whole, node, kept))
        elif whole is not node:  # `2 * dZ2` where `1/m * dZ2` is right; `X / 2` for `X / m`
            divides = isinstance(whole, s.BinOp) and whole.op == "/"
            wanted = _named(value / written if divides else written / value, editor.sizes)
            out += [editor.refactor(whole, node, wanted)] if wanted else []
    inverse = _named(1 / value, editor.sizes)
    return out + ([editor.factor(inverse)] if inverse else [])


def _fixes(editor: Editor, result: Checked) -> list[Edit]:
    """The edits a result's diagnosis asks for: a factor, or the transpose of the whole."""
    diagnosis = getattr(result, "diagnosis", None) or {}
    if diagnosis.get("kind") in ("factor", "convention") and diagnosis.get("factor"):
        return _factor_edits(editor, diagnosis["factor"])
    if diagnosis.get("kind") == "transpose":
        edit = editor.transpose(editor.eq.rhs, whole=True).edit
        return [edit] if edit else []
    return []


def _ordered(editor: Editor, result: Checked) -> list[Edit]:
    """Single edits, likeliest first: what the diagnosis asks for, then those inside the part
    that failed, then the rest, each group by kind."""
    fixes = _fixes(editor, result)
    failing = getattr(result, "span", None) if getattr(result, "verdict", "") == "shape" else None

    def near(edit: Edit) -> int:
        return 0 if failing and failing[0] <= edit.span[0] and edit.span[1] <= failing[1] else 1
    rest = sorted(editor.structural(), key=lambda e: (near(e), _KIND_ORDER.get(e.kind, 3)))
    return fixes + [e for e in rest if e not in fixes]


def find(text: str, result: Checked, verify: Callable[[str], Checked], sizes: Mapping[str, int],
         limit: int = MAX_CANDIDATES) -> dict | None:
    """The smallest verified repair of the failing formula `text`, as plain data:
    `{"formula": "dZ1 = W2.T @ dZ2 * g1'(Z1)", "edits": [{"kind": "swap", ...}]}`, or None.
    `result` is its failing Result; `verify(text)` checks a candidate and returns its Result."""
    try:
        editor = Editor(text, sizes)
    except ShapecheckError:
        return None
    singles = _ordered(editor, result)
    tried: set[str] = set()
    followups: list[tuple[Edit, ...]] = []

    def attempt(edits: tuple[Edit, ...], single: bool = False):
        applied = apply(text, edits)
        if applied is None or applied[0] in tried or len(tried) >= limit:
            return None
        tried.add(applied[0])
        checked = verify(applied[0])
        if checked.verdict == "pass":
            return _data(text, applied, edits)
        if checked.verdict == "value" and single:  # right shape, off by a factor?
            followups.extend(edits + (fix,) for fix in _fixes(editor, checked))
        return None

    for edit in singles:
        found = attempt((edit,), single=True)
        if found:
            return found
    swapped = [(e,) for node in s.walk(editor.eq.rhs) for e in editor.swaps(node, transposing=True)]
    pairs = itertools.chain(followups, swapped, itertools.combinations(singles, 2))
    for edits in pairs:
        if len(tried) >= limit:
            break
        found = attempt(tuple(edits))
        if found:
            return found
    return None


def _data(text: str, applied: tuple[str, list[list[s.Span]]], edits: tuple[Edit, ...]) -> dict:
    formula, marks = applied
    items = []
    for edit, spans in zip(edits, marks):
        start, end = edit.span
        alone = apply(text[start:end], [Edit(edit.kind, edit.note, tuple(
            ((a - start, b - start), new) for (a, b), new in edit.parts))])
        items.append({"kind": edit.kind, "note": edit.note, "span": [start, end],
                      "text": alone[0], "marks": [list(m) for m in spans]})
    return {"formula": formula, "edits": items}
