"""Derivations: `A = B = C` and `align` blocks with `&=` rows, checked link by link.

    check_derivation(checker, [Member("dZ1", ...), Member("W2.T @ dZ2 * g1'(Z1)", ...), ...])
    # -> one Result per link, at its right member's line and column

A link joins two neighbouring members. Written in index notation (an entry `Y_i`, a sum,
a delta, ∂ by an entry), every member is evaluated on the model's draw as an array over
its free indices (shapecheck.numeric.indexed; a derivative's true value by central
differences) and each link compares its two members: the same free indices, the same
shape, the same values for every value of the indices and for every open activation. A
link between two right-hand sides is thus an identity of the model's quantities.

In the formula grammar's notation (`dZ1 = ... = ...`), the first member names a gradient:
member k is checked as `first = member k` (shapes, then values against the truth), so
link k holds when members k - 1 and k both equal the truth, and fails when one does and
the other does not; where neither does, the link is not decided and the summary says so.

Each link's Result carries `link`: its number, the number of links, the line of the
derivation's first member and, on the last link, the summary ("links 1-3 hold; link 4
fails: ...").
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .check import pick_defaults
from .errors import ShapecheckError
from .language.indices import read_member, written_with_indices
from .models.model import OPEN_ACTIVATIONS
from .numeric import indexed
from .numeric.truth import draw_forward
from .result import Network, Result, Source


@dataclass(frozen=True)
class Member:
    text: str
    line: int
    column: int


def check_derivation(checker, members: list[Member], file: str) -> list[Result]:
    """One Result per link of the derivation, each at its right member."""
    if written_with_indices([m.text for m in members]):
        results = _indexed_links(checker, members, file)
    else:
        results = _gradient_links(checker, members, file)
    return _summarised(results, members)


def _source(member: Member, file: str) -> Source:
    return Source(file, member.line, member.column)


def _link(left: Member, right: Member) -> str:
    return f"{left.text} = {right.text}"


# --- index notation ---------------------------------------------------------------------

def _indexed_links(checker, members: list[Member], file: str) -> list[Result]:
    options = checker.options
    links = list(zip(members, members[1:]))
    try:
        model = checker.binder.forward_model() if options.forward else \
            checker.binder.network(checker.binder.layers(set()), "m")
        sizes = {**options.sizes}
        sizes.update(pick_defaults(sorted(model.sizes_used), sizes))
        names = set(model.shapes) | set(sizes)
        trees = []
        for member in members:
            try:
                trees.append(read_member(member.text, names))
            except ShapecheckError as e:
                raise _At(member, e) from None
        fixed = {**model.fixed_functions, **options.activations}
        open_ = sorted(set(model.open_functions) - set(fixed))
        bindings = [{g: a for g in open_} for a in OPEN_ACTIVATIONS] if open_ else [{}]
        outcomes = [None] * len(links)  # per link: (verdict, message, rel) of its worst binding
        for binding in bindings:
            functions = {**fixed, **binding}
            values, _ = draw_forward(model, sizes, functions, options.seed)
            space = indexed.Space(model, values, functions, sizes)
            found = _values(trees, members, space)
            for k, (left, right) in enumerate(zip(found, found[1:])):
                outcome = _compare(left, right, options.tol, binding)
                if outcomes[k] is None or _worse(outcome, outcomes[k]):
                    outcomes[k] = outcome
    except _At as at:
        return [_error(left, right, file, at) for left, right in links]
    except ShapecheckError as e:
        return [Result(_link(left, right), "error", e.message, _source(right, file))
                for left, right in links]
    network = Network(forward="; ".join(options.forward)) if options.forward else None
    return [Result(_link(left, right), verdict, message, _source(right, file),
                   rel_error=rel, tolerance=options.tol, sizes=sizes, network=network)
            for (left, right), (verdict, message, rel) in zip(links, outcomes)]


class _At(Exception):
    """An error in one member: the links on either side of it cannot be checked."""

    def __init__(self, member: Member, error: ShapecheckError):
        super().__init__(error.message)
        self.member, self.error = member, error


def _error(left: Member, right: Member, file: str, at: _At) -> Result:
    where = at.member
    span = at.error.span if where in (left, right) else None
    if where is right and span is not None:
        offset = len(left.text) + 3
        span = (span[0] + offset, span[1] + offset)
    message = at.error.message if where in (left, right) else \
        f"not checked: a member at line {where.line} is not read ({at.error.message})"
    return Result(_link(left, right), "error", message, _source(right, file), span=span)


def _values(trees, members: list[Member], space: indexed.Space) -> list:
    """Each member's value; a member whose delta or sum needs a range another member gives
    is evaluated again once the others have been."""
    found: list = [None] * len(trees)
    pending = list(range(len(trees)))
    while pending:
        missing = {}
        for i in pending:
            try:
                found[i] = indexed.evaluate(trees[i], replace(space, text=members[i].text))
            except indexed.UnknownRange as e:
                missing[i] = e.letter
            except ShapecheckError as e:
                raise _At(members[i], e) from None
        if len(missing) == len(pending):
            i, letter = next(iter(missing.items()))
            raise _At(members[i], ShapecheckError(
                f"the range of index {letter} is not known: use it as the index of an entry "
                f"(e.g. W_{{{letter}k}}) or give the sum its limits"))
        pending = list(missing)
    return found


def _compare(left: indexed.Value, right: indexed.Value, tol: float, binding: dict):
    """(verdict, message, rel. error) of a link between two members' values."""
    if (left.indices is None) != (right.indices is None) and (left.indices or right.indices):
        free = left.indices or right.indices
        return ("shape", f"one member is a matrix, the other an entry with free indices "
                f"{', '.join(free)}", None)
    if left.indices is not None and right.indices is not None:
        if set(left.indices) != set(right.indices):
            return ("shape", f"the free indices differ: {_letters(left.indices)} on the left, "
                    f"{_letters(right.indices)} on the right", None)
        a, b = left.data, indexed.same_order(right, left.indices)
    else:
        a, b = left.data, right.data
    if a.shape[1:] != b.shape[1:] and a.size > 1 and b.size > 1:
        return ("shape", f"the members have shapes {a.shape[1:]} and {b.shape[1:]}", None)
    a, b = np.broadcast_arrays(a[0], b[0])
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    gap = np.abs(a - b)
    rel = float(np.max(gap, initial=0.0)) / scale if scale > 0 else 0.0
    if rel < tol:
        return ("pass", "holds", rel)
    where = np.unravel_index(int(np.argmax(gap)), gap.shape)
    at = ", ".join(f"{letter} = {i + 1}" for letter, i in zip(left.indices or (), where)) \
        if left.indices else ", ".join(str(i + 1) for i in where)
    bound = f" with {', '.join(f'{g} = {f}' for g, f in binding.items())}" if binding else ""
    return ("value", f"the members differ{bound}: at {at or 'the value'}, "
            f"{a[where]:.6g} and {b[where]:.6g} (rel. error {rel:.1e})", rel)


def _letters(indices) -> str:
    return ", ".join(indices) if indices else "none"


def _worse(new, old) -> bool:
    rank = {"pass": 0, "value": 1, "shape": 2}
    return rank[new[0]] > rank[old[0]] or new[0] == old[0] and (new[2] or 0) > (old[2] or 0)


# --- the formula grammar's notation ---------------------------------------------------------

def _gradient_links(checker, members: list[Member], file: str) -> list[Result]:
    first = members[0]
    truths = [checker.check(f"{first.text} = {m.text}", _source(m, file)) for m in members[1:]]
    results = []
    for k, (left, right) in enumerate(zip(members, members[1:])):
        now = truths[k]
        before = truths[k - 1] if k else None
        text = _link(left, right)
        if now.verdict == "error":
            results.append(replace(now, formula=text))
        elif before is None or before.verdict == "pass":
            results.append(replace(now, formula=f"{first.text} = {right.text}"
                                   if before is None else text))
        elif now.verdict == "pass":
            results.append(Result(text, "value", f"the left member {left.text} is not the "
                                  f"true gradient and the right one is", _source(right, file)))
        else:  # neither member equals the truth: the link itself is not decided
            results.append(None)
    return results


# --- the summary ----------------------------------------------------------------------------

def _summarised(results: list, members: list[Member]) -> list[Result]:
    count = len(members) - 1
    kept = [(k + 1, r) for k, r in enumerate(results) if r is not None]
    summary = summary_text([(k, r.verdict, r.message) for k, r in kept], count)
    out = []
    for k, result in kept:
        link = {"number": k, "links": count, "first_line": members[0].line,
                "summary": summary if k == kept[-1][0] else None}
        out.append(replace(result, link=link))
    return out


def summary_text(verdicts: list[tuple[int, str, str]], count: int) -> str:
    """`links 1-3 hold; link 4 fails: ...` from (number, verdict, message) of the links."""
    held = [k for k, verdict, _ in verdicts if verdict == "pass"]
    failed = [(k, m) for k, verdict, m in verdicts if verdict in ("shape", "value")]
    errors = [(k, m) for k, verdict, m in verdicts if verdict == "error"]
    if not failed and not errors:
        return f"all {count} link{'s' if count != 1 else ''} hold" if count > 1 else "the link holds"
    parts = []
    if failed:
        first, message = failed[0]
        before = [k for k in held if k < first]
        if before:
            parts.append(f"{_span(before)} hold{'s' if len(before) == 1 else ''}")
        parts.append(f"link {first} fails: {message}")
        later = [k for k, _ in failed[1:]]
        if later:
            parts.append(f"also failing: {_span(later)}")
    if errors:
        parts.append(f"not checked: {_span([k for k, _ in errors])}")
    undecided = count - len(verdicts)
    if undecided:
        parts.append(f"{undecided} link{'s' if undecided != 1 else ''} not decided "
                     "(neither member equals the true gradient)")
    return "; ".join(parts)


def _span(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"link {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"links {numbers[0]}-{numbers[-1]}"
    return "links " + ", ".join(map(str, numbers))
