"""What the formula language refuses, checked apart from the building of nodes.

Each check reads one grammar rule's children (already turned into nodes) and returns a
problem, `(message, span)`, or None. `parse._ToSyntax` runs a rule's check before building
its node: a problem becomes a `Refused` node that stands for the whole rule, and every rule
above it passes it up unbuilt, so the first refusal in reading order reaches the top, where
`report` raises it (the Transformer itself never raises, so no error arrives wrapped).
A part a builder cannot build (a layer mark on something other than a name, `.name` left
waiting) is recorded by the builder as an `_Odd` part; `word` decides what is wrong with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import functions
from .. import syntax as s
from ..errors import FormulaSyntaxError
from . import columns, sums
from .diagnose import notation_problem
from .notation import (GREEK, _Attribute, _dotted, _Function, _Gradient, _LayerMark, _Odd,
                       _Primed, _span, _tok_span, canonical_name)

NAMESPACES = {"np", "numpy"}  # numpy's: `np.einsum` is the function einsum

Problem = "tuple[str, s.Span] | None"  # a message and where it points


@dataclass(slots=True, eq=False, repr=False)  # a parse marker, as notation's: never compared
class Refused:
    """A part of the formula the language does not read, standing in for its node."""
    message: str
    span: s.Span


def report(result, text: str):
    """The Transformer's result, or the formula's first refusal raised at its span."""
    if isinstance(result, Refused):
        raise FormulaSyntaxError(result.message, text, result.span)
    return result


def unfinished(t, node) -> Problem:
    """The problem of a marker left waiting for what follows, or None."""
    if isinstance(node, _Attribute):
        return (f"'.{node.name}' is not something shapecheck knows; "
                "attributes it reads are .T, .shape and .shape[i]", node.span)
    if isinstance(node, _Function):
        return f"{t._source(node.span)} needs an argument", node.span
    if isinstance(node, _Gradient):
        return ("a derivative ∂J/∂W or ∂A/∂Z is read with one name on top: the cost J, L, E, "
                "C, \\mathcal{L}, \\ell, or a quantity of the model; ∂f/∂X of an expression f "
                "(the Matrix Cookbook's) is read only as the whole left side",
                # the expression on top of a \frac; the whole operator form ∂/∂X f
                node.cost.span if node.cost.span[1] < node.span[1] else node.span)
    return None


def word(t, odd: _Odd) -> tuple[str, s.Span]:
    """What a part the builder recorded as odd does wrong, at its span."""
    subject = odd.subject
    if odd.kind == "unfinished":
        return unfinished(t, subject)
    if odd.kind == "star":
        return "^* marks a name, as in Y^*", odd.span
    if odd.kind == "example":
        return (f"{odd.written} is the index of one example, not a layer, and an example "
                "index is read only as one letter on a name: x^{(i)}, dz^{[1](i)}, x^{(i)T} "
                "(column i of X inside \\sum_{i=1}^{m}, one example's x outside a sum); or "
                "write the formula for all examples at once (\\sum_{i=1}^{m} x^{(i)} "
                "(a^{(i)} - y^{(i)})^T is X (A - Y)^T); a layer is ^{(2)}, ^{(k)}, ^{(l)} or "
                "^{[2]}", odd.span)
    if odd.kind == "slice":
        return (f"{odd.written} is not a slice shapecheck reads: it reads one index along one "
                "axis, a size name or a whole number, the other axes whole (x[:, t], "
                "x[:, :, t], x[:, t, :])", odd.span)
    if odd.kind == "letter":
        return (f"{odd.written} is not read: after ^ shapecheck reads T, \\top, *, a number, "
                "or a layer: [2], l, l+1, l-1, L, (k), (k-1) (e^x is \\exp(x))", odd.span)
    if odd.kind == "readings":
        readings = "; or ".join(odd.readings)
        return (f"{t._source(odd.span)} may be read two ways: {readings}. Write the course's "
                "names to say which", odd.span)
    if odd.kind == "accent":
        return "an accent such as \\hat belongs on a name: \\hat{Y}", odd.span
    if not isinstance(subject, s.Name):  # a layer mark
        return (f"a layer mark {odd.written} belongs right after a name, as in W^{{[2]}}",
                odd.span)
    if re.search(r"\d$", subject.id):
        return f"{subject.id} already has a layer number", odd.span
    return (f"{odd.written} is not a layer mark shapecheck reads: a layer is a number, "
            "l, l-1, l+1, L or L-1", odd.span)


def is_gradient_name(node) -> bool:
    """`dJ/dW` written with plain names: the name dW."""
    return isinstance(node, s.BinOp) and node.op == "/" and all(
        isinstance(n, s.Name) and n.id.startswith("d") for n in (node.left, node.right)) \
        and node.left.id[1:] in s.COST_NAMES


def _equation(t, meta, children) -> Problem:
    lhs, rhs = children
    problem = None if isinstance(lhs, _Gradient) else unfinished(t, lhs)
    if problem:
        return problem
    if not isinstance(lhs, (s.Name, _Gradient)) and not is_gradient_name(lhs) \
            and not (isinstance(lhs, s.Call) and lhs.func == columns.EXAMPLE_COLUMN):  # z^{(i)} = ...
        return ("the left side must be one name, such as dW2, dW^{[2]}, dJ/dW or "
                "\\frac{\\partial J}{\\partial W}", lhs.span)
    return unfinished(t, rhs)


def _name(t, meta, children) -> Problem:
    tok = children[0]
    if tok.type == "COMMAND" and tok[1:] not in GREEK:
        # a command the grammar reads elsewhere (\cdot, \top) is out of place here
        known = any(re.fullmatch(term.pattern.to_regexp(), str(tok)) for term in t.terminals
                    if term.name not in ("COMMAND", "SPACE"))
        return (f"unexpected {str(tok)!r} here" if known else
                f"{tok} is not LaTeX that shapecheck reads", _tok_span(tok))
    return None


def _index(t, meta, children) -> Problem:
    _obj, name, mark = children
    if str(name) != "shape" or not mark.number or mark.transposed:
        return "indexing is only read in A.shape[i]", _span(meta)
    return None


def _positional_after_keyword(arguments) -> Problem:
    seen_keyword = False
    for a in arguments or []:
        if isinstance(a, s.Keyword):
            seen_keyword = True
        elif seen_keyword:
            return "a positional argument follows a keyword argument", a.span
    return None


def _strings(func: str | None, arguments, before: int = 0) -> Problem:
    """A string where `func` takes none (`__import__('os')`): refused as it is read."""
    record = functions.lookup(func) if func is not None else None
    for i, a in enumerate(arguments or []):
        if isinstance(a, s.Literal) and a.text[:1] in "'\"" and (
                record is None or i + before not in record.written):
            return ("strings are not part of the formula language, except where a function "
                    "takes one: np.einsum('ij,jk->ik', A, B), x.astype('float')", a.span)
    return None


def _call(t, meta, children) -> Problem:
    return _positional_after_keyword(children[-1]) or _strings(
        canonical_name(children[0]), children[-1])


def _method(t, meta, children) -> Problem:
    obj, name, arguments = children
    dotted = _dotted(obj)
    if dotted is not None and dotted.split(".")[0] in NAMESPACES:  # np.einsum(...)
        func, before = ".".join(dotted.split(".")[1:] + [str(name)]), 0
    else:
        func, before = str(name), 1  # x.astype(...): x is the first argument
    return _positional_after_keyword(arguments) or _strings(func, arguments, before)


def _fcall(t, meta, children) -> Problem:
    head, arguments = children
    func = None if head.primed or not isinstance(head, _Function) else head.func
    problem = _positional_after_keyword(arguments) or _strings(func, arguments)
    if not problem and head.limits is not None and (arguments is None or len(arguments) != 1
                                                    or isinstance(arguments[0], s.Keyword)):
        return (f"{t._source(head.span)} takes one summand, as in {t._source(head.span)} "
                "(A - Y)", _span(meta))
    if problem or not head.primed:
        return problem
    keywords = [a for a in arguments or [] if isinstance(a, s.Keyword)]
    if keywords:
        return "a derivative g'(...) takes no keyword arguments", keywords[0].span
    return None


def _fhead_limits(t, meta, children) -> Problem:
    found = sums.limits(str(children[0]))
    return (found, _span(meta)) if isinstance(found, str) else None


def _fhead_decorated(t, meta, children) -> Problem:
    head, mark = children[0], children[-1]
    if head.limits is not None:
        return f"{t._source(head.span)} is a sum: write its summand right after it", _span(meta)
    record = functions.lookup(head.func)
    if isinstance(mark, _LayerMark) and record is not None and not record.activation:
        # only an activation has a layer (\\sigma^{[1]}); \\sqrt[3]{x} is no layer of \\sqrt
        return (f"{t._source(head.span)} is not an activation: it takes no layer mark "
                f"{t._source(mark.span)}", mark.span)
    for kind, _value, span in mark if isinstance(mark, list) else []:
        if kind == "layer" and (record is None or not record.activation):
            # \sum^m: the limits a sum may have, worded as for any other limits
            return notation_problem(t.text) or (
                f"{t._source(head.span)} is not an activation: it takes no layer "
                f"{t._source(span)}", span)
        if kind not in ("prime", "mark", "layer"):  # a layer on \sigma changes nothing
            return (f"{t._source(head.span)} is a function: it takes no {t._source(span)}",
                    span)
    return None


def _mark(t, meta, children) -> Problem:
    base = children[0]
    if isinstance(base, s.Name) and re.search(r"\d$", base.id):
        return "indexing is only read in A.shape[i]", _span(meta)
    return None


def _primed(t, meta, children) -> Problem:
    if isinstance(children[0], _Primed):
        return "a second derivative g'' is not something shapecheck reads", _span(meta)
    return None


def _sup_inverse_transpose(t, meta, children) -> Problem:
    if str(children[0]) != "-":
        return ("after ^ shapecheck reads T, -T, \\top, *, a layer mark [2] or a number",
                _span(meta))
    return None


def _sup_star(t, meta, children) -> Problem:
    tok = children[0]
    if str(tok) not in ("*", "\\ast"):
        return (f"^{tok} is not read; after ^ shapecheck reads T, \\top, *, a layer mark "
                "[2] or a number", _tok_span(tok))
    return None


def _gradient(t, meta, children) -> Problem:
    ops = [c for c in children if hasattr(c, "type") and c.type == "MULOP"]
    if ops and str(ops[0]) != "/":
        return f"∂J/∂W is written with /, not {ops[0]}", _tok_span(ops[0])
    cost, var = (c for c in children if not hasattr(c, "type"))
    # a primed name here is read as a transpose: neither the cost nor one name; a name that
    # is not the cost on top is a Jacobian ∂A1/∂Z1, the scalar chain rule's factor; in
    # \frac{\partial ...}{\partial X} an expression on top is its own cost (the Cookbook's)
    if not isinstance(cost, s.Name) and ops:
        return ("a derivative ∂J/∂W or ∂A/∂Z is read with one name on top: the cost J, L, E, "
                "C, \\mathcal{L}, \\ell, or a quantity of the model", cost.span)
    if not isinstance(var, s.Name):
        return "a derivative ∂J/∂W is read with respect to one name", var.span
    return None


def _dop(t, meta, children) -> Problem:
    var = next(c for c in children if not hasattr(c, "type"))
    if not isinstance(var, s.Name):
        return "a derivative ∂/∂W is read with respect to one name", var.span
    return None


def _nabla(t, meta, children) -> Problem:
    var, cost = children[-2], children[-1]
    if isinstance(cost, s.Name) and cost.id not in s.COST_NAMES:
        return (f"\\nabla is read as the gradient of the cost (J, L, C, E, \\mathcal{{L}}, "
                f"\\ell), as in \\nabla_{{W^{{(k)}}}} J; {cost.id} is no cost", cost.span)
    if len(children) > 2 and not isinstance(var, s.Name):
        return "\\nabla_{W} J is read with respect to one name", var.span
    return None


def _nabla_bare(t, meta, children) -> Problem:
    return ("\\nabla is read with the variable below it: \\nabla_{W^{(k)}} J, \\nabla_a C",
            _tok_span(children[0]))


# grammar rule (or alias) → its check
CHECKS = {"equation": _equation, "name": _name, "index": _index, "call": _call,
          "method": _method, "fcall": _fcall, "fhead_limits": _fhead_limits,
          "fhead_decorated": _fhead_decorated, "mark": _mark,
          "primed": _primed, "sup_inverse_transpose": _sup_inverse_transpose,
          "sup_star": _sup_star, "gradient": _gradient, "dop": _dop, "nabla": _nabla,
          "nabla_bare": _nabla_bare}
