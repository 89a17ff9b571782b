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
member k is checked as `first = member k` (shapes, then values against the truth; the
result shows that equation, whose marks and repair fit its text), so
link k holds when members k - 1 and k both equal the truth, and fails when one does and
the other does not; where neither does, the two members are compared with each other as
above when the index reader reads them (LaTeX notation, `dZ^{[2]}` the true gradient in
the course's convention), else the link is not decided and the summary says so.

Each link's Result carries `link`: its number, the number of links, the line of the
derivation's first member and, on the last link, the summary ("links 1-3 hold; link 4
fails: ...").
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np

from .check import pick_defaults
from .diagnosis import across_layers
from .errors import ShapecheckError
from .frozen import Record, record
from .language.indices import (Apply, Partial, Sum, Sym, free_indices,
                               operator_form, read_member, written_with_indices)
from .language.textbooks import nielsen_layers
from .models import layered
from .models.binding import gradients_read, output_activation, starred
from .models.model import OPEN_ACTIVATIONS
from .numeric import indexed
from .result import Network, Result, Source


@record
class Member(Record):
    text: str
    line: int
    column: int


def check_derivation(checker, members: list[Member], file: str | None) -> list[Result]:
    """One Result per link of the derivation, each at its right member."""
    texts = [m.text for m in members]
    if written_with_indices(texts) or operator_form(texts):
        results = _indexed_links(checker, members, file)
    else:
        results = _gradient_links(checker, members, file)
        if None in results and all(_readable(text) for text in texts):
            # neither member of a link equals the truth: compare the two members themselves
            # (LaTeX notation reads here too, gradient names as the true gradients)
            direct = _indexed_links(checker, members, file)
            results = [d if r is None and d.verdict != "error" else r
                       for r, d in zip(results, direct)]
    return _summarised(results, members)


def _readable(text: str) -> bool:
    try:
        read_member(text)
    except ShapecheckError:
        return False
    return True


def _source(member: Member, file: str | None) -> Source | None:
    """Where a link is reported: its right member (None for a formula given as an argument)."""
    return None if file is None else Source(file, member.line, member.column)


def _link(left: Member, right: Member) -> str:
    return f"{left.text} = {right.text}"


# --- index notation ---------------------------------------------------------------------

def _indexed_links(checker, members: list[Member], file: str) -> list[Result]:
    options = checker.options
    links = list(zip(members, members[1:]))
    nielsen = nielsen_layers([m.text for m in members])
    try:
        names_written = layered.written([m.text for m in members], nielsen)
        layers = None if options.forward else \
            checker.binder.layers({n.name for n in names_written})
        batch = 1 if layered.one_example(names_written) else "m"  # Nielsen's: one example
        model = checker.binder.network(layers, batch) if layers else checker.binder.forward_model()
        sizes = {**options.sizes}
        sizes.update(pick_defaults(sorted(model.sizes_used), sizes))
        gradients = gradients_read(model, layers)
        names = set(model.shapes) | set(sizes) | set(gradients)
        trees = []
        for member in members:
            try:
                trees.append(read_member(member.text, names, nielsen))
            except ShapecheckError as e:
                trees.append(_Unread(member, e, "error"))
        _note_use(checker, model, trees, sizes)
        # a derivation for a generic layer l (`b^l_j`): its members at each layer checked
        checked = layered.layers_of(names_written, options.layers, options.only_layers, model,
                                    gradients)
        checker.usage.generic = checker.usage.generic or checked != [None]
        at = {layer: [t if isinstance(t, _Unread) else
                      layered.named_at(t, layer, layers, model, names) for t in trees]
              for layer in checked}
        fixed = {**model.fixed_functions, **options.activations}
        open_ = sorted(set(model.open_functions) - set(fixed))
        bindings = [{g: a for g in open_} for a in OPEN_ACTIVATIONS] if open_ else [{}]
        # per layer and link: (verdict, message, rel) at its worst
        outcomes: dict = {layer: [None] * len(links) for layer in checked}
        for binding in bindings:
            functions = {**fixed, **binding}
            draw = checker.drawer.draw(model, sizes, functions)
            space = indexed.Space(model, draw.values, functions, sizes, gradients=gradients,
                                  cost_gradient=partial(_cost_gradient, draw.differentiator))
            for layer, named in at.items():
                found = _values(named, members, space)
                for k, (left, right) in enumerate(zip(found, found[1:])):
                    bad = next((v for v in (left, right) if isinstance(v, _Unread)), None)
                    shown = binding if _through_open(named[k:k + 2], model) else {}
                    outcome = _free_mismatch(trees[k], trees[k + 1]) or \
                        ((bad.verdict, bad, None) if bad else
                         _compare(left, right, options.tol if options.values else None, shown))
                    if outcomes[layer][k] is None or _worse(outcome, outcomes[layer][k]):
                        outcomes[layer][k] = outcome
    except ShapecheckError as e:  # the model: no link can be checked
        return [Result(_link(left, right), "error", e.message, _source(right, file))
                for left, right in links]
    network = Network(forward="; ".join(options.forward)) if options.forward else None
    results = []
    for k, (left, right) in enumerate(links):
        said = {}
        for layer in checked:
            verdict, message, rel = outcomes[layer][k]
            span = None
            if isinstance(message, _Unread):
                message, span = _unread(message, left, right)
            said[layer] = (verdict, message, rel, span)
        verdict, message, rel, span, first, shown = across_layers(
            said, layers, options.only_layers is not None,
            output_activation(options.activations, layers) if layers else "")
        results.append(Result(_link(left, right), verdict, message, _source(right, file),
                              span=span, op_span=span, rel_error=rel, tolerance=options.tol,
                              sizes=sizes, network=network, layer=first, layers=shown))
    return results


def _note_use(checker, model, trees, sizes) -> None:
    """What the derivation used, for the command line's check of unused options: its
    model, and the sizes its members read (`\\frac{1}{m}`, `\\sum_{i=1}^{m}`)."""
    checker.usage.models[id(model)] = model
    nodes = list(trees)
    while nodes:
        node = nodes.pop()
        if isinstance(node, _Unread):
            checker.usage.unknown = True
        elif isinstance(node, Sym) and node.name in sizes:
            checker.usage.sizes.add(node.name)
        elif isinstance(node, Sum) and node.end in sizes:
            checker.usage.sizes.add(node.end)
        if hasattr(node, "__dataclass_fields__") and not isinstance(node, _Unread):
            nodes += [v for v in vars(node).values() if hasattr(v, "__dataclass_fields__")]


def _free_mismatch(left, right):
    """A link whose members do not have the same free indices (read from the text, so that
    an index no member gives a range to is still named)."""
    if isinstance(left, _Unread) or isinstance(right, _Unread):
        return None
    a, b = sorted(free_indices(left)), sorted(free_indices(right))
    if a == b:
        return None
    return ("shape", f"the free indices differ: {_letters(a)} on the left, {_letters(b)} on "
            "the right", None)


def _cost_gradient(differentiator, var: str) -> np.ndarray:
    """∂J/∂var, every entry, by the truth's own finite differences (structured, batched)."""
    return differentiator.gradient(var, whole=True).full


def _through_open(trees, model) -> bool:
    """True when a link's members call an open activation or read what one shapes (so
    that a failure names the activation it was found with)."""
    nodes = list(trees)
    while nodes:
        node = nodes.pop()
        if isinstance(node, Apply) and node.func in model.open_functions:
            return True
        if isinstance(node, Sym) and (node.name in model.through_open
                                      or starred(node.name) in model.through_open):
            return True
        if isinstance(node, Partial) and node.var in model.through_open:
            return True
        nodes += [v for v in vars(node).values() if hasattr(v, "__dataclass_fields__")] \
            if hasattr(node, "__dataclass_fields__") else []
    return False


@record
class _Unread(Record):
    """A member that could not be read (verdict 'error') or evaluated: its indices or
    shapes do not fit (verdict 'shape': a wrong step)."""
    member: Member
    error: ShapecheckError
    verdict: str


def _unread(bad: _Unread, left: Member, right: Member) -> tuple[str, tuple | None]:
    """The message of a link with an unread member, and the span in the link's text."""
    span = bad.error.span
    if bad.member is right and span is not None:
        span = (span[0] + len(left.text) + 3, span[1] + len(left.text) + 3)
    side = "right" if bad.member is right else "left"
    return f"the {side} member: {bad.error.message}", span


def _values(trees, members: list[Member], space: indexed.Space) -> list:
    """Each member's value (or _Unread). An index's range is taken where the member uses it;
    a delta's or a sum's index that the member uses nowhere else takes its range from the
    nearest member that uses it (the one before first), so that a wrong member does not
    change how its neighbours are read."""
    found: list = list(trees)
    learned: list[dict] = [{} for _ in trees]
    missing: dict[int, str] = {}
    for i, tree in enumerate(trees):
        if not isinstance(tree, _Unread):
            found[i] = _evaluated(tree, members[i], space, learned[i], missing, i)
    for i, letter in missing.items():
        order = sorted((j for j in range(len(trees)) if j != i),
                       key=lambda j: (abs(j - i), j > i), reverse=True)
        ranges = {}
        for j in order:  # the nearest last: it wins
            ranges.update(learned[j])
        ranges.update(learned[i])
        again: dict[int, str] = {}
        found[i] = _evaluated(trees[i], members[i], space, ranges, again, i)
        if again:
            found[i] = _Unread(members[i], ShapecheckError(
                f"the range of index {again[i]} is not known: use it as the index of an "
                f"entry (e.g. X_{again[i]}) or give the sum its limits"), "error")
    return found


def _evaluated(tree, member: Member, space: indexed.Space, ranges: dict, missing: dict, i: int):
    try:
        with np.errstate(all="ignore"):  # a member that is not finite is said so (_compare)
            return indexed.evaluate(tree, replace(space, text=member.text, ranges=ranges))
    except indexed.UnknownRange as e:
        missing[i] = e.letter
    except indexed.IndexError_ as e:
        return _Unread(member, e, "shape")
    except ShapecheckError as e:
        return _Unread(member, e, "error")
    return None


def _compare(left: indexed.Value, right: indexed.Value, tol: float | None, binding: dict):
    """(verdict, message, rel. error) of a link between two members' values (their free
    indices and shapes only where `tol` is None: --no-values)."""
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
    if tol is None:
        return ("pass", "indices and shapes line up (values not checked)", None)
    for side, data in (("left", a), ("right", b)):
        if not np.all(np.isfinite(data)):
            return ("error", f"the {side} member is not finite (inf or nan) on the model's "
                    "draw: a division by zero, or a log or root of a negative number?", None)
    a, b = np.broadcast_arrays(a[0], b[0])
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    gap = np.abs(a - b)
    rel = float(np.max(gap, initial=0.0)) / scale if scale > 0 else 0.0
    if rel < tol:
        return ("pass", "holds", rel)
    scaled = _scaled(a, b, tol)
    if scaled is not None:
        return ("value", f"the members differ: the right one is {scaled:.4g} times the left "
                f"(rel. error {rel:.1e})", rel)
    where = np.unravel_index(int(np.argmax(gap)), gap.shape)
    at = ", ".join(f"{letter} = {i + 1}" for letter, i in zip(left.indices or (), where)) \
        if left.indices else f"entry ({', '.join(str(i + 1) for i in where)})"
    bound = f" with {', '.join(f'{g} = {f}' for g, f in binding.items())}" if binding else ""
    return ("value", f"the members differ{bound}: at {at or 'the value'}, "
            f"{a[where]:.6g} and {b[where]:.6g} (rel. error {rel:.1e})", rel)


def _scaled(a: np.ndarray, b: np.ndarray, tol: float) -> float | None:
    """c where b = c a for every entry (a factor lost or doubled), else None."""
    norm = float(np.sum(a * a))
    if norm == 0:
        return None
    c = float(np.sum(a * b)) / norm
    return c if np.max(np.abs(b - c * a), initial=0.0) <= tol * np.max(np.abs(b)) else None


def _letters(indices) -> str:
    return ", ".join(indices) if indices else "none"


def _worse(new, old) -> bool:
    rank = {"pass": 0, "value": 1, "shape": 2, "error": 3}
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
        if now.verdict == "error" or before is None or before.verdict == "pass":
            results.append(now)  # shown as checked, `first = right`: its marks fit that text
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
    if summary.startswith(("all", "the link")) and all(r.rel_error is None for _, r in kept):
        summary += " in shape (values not checked)"  # --no-values
    out = []
    for k, result in kept:
        link = {"number": k, "links": count,
                "first_line": members[0].line if result.source else None,
                "summary": summary if k == kept[-1][0] else None}
        out.append(replace(result, link=link))
    return out


def summary_text(verdicts: list[tuple[int, str, str]], count: int) -> str:
    """`links 1-3 hold; link 4 fails: ...` from (number, verdict, message) of the links."""
    held = [k for k, verdict, _ in verdicts if verdict == "pass"]
    failed = [(k, m) for k, verdict, m in verdicts if verdict in ("shape", "value")]
    errors = [(k, m) for k, verdict, m in verdicts if verdict == "error"]
    if not failed and not errors:
        return f"all {count} links hold" if count > 1 else "the link holds"
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
