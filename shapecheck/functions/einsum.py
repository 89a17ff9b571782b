"""np.einsum with its subscripts written as a string: np.einsum('ij,kj->ik', A, B).

The shape comes from the subscripts (each letter one size, the same wherever it appears),
the value from numpy's einsum, and the gradient with respect to one operand is an einsum
of the gradient and the other operands back to that operand's subscripts."""
from __future__ import annotations

import re


import numpy as np

from .. import syntax as s
from ..frozen import Record, record
from .record import Function, call
from .rules import NOWHERE, Shape, ShapeCall, show, whole

_OPERANDS = 8  # the most operands read


@record
class Subscripts(Record):
    """np.einsum's subscripts read: the operands' letters and the output's."""
    inputs: tuple[str, ...]
    output: str

    def written(self) -> str:
        return f"{','.join(self.inputs)}->{self.output}"


def subscripts(text: str) -> Subscripts | None:
    """'ij,kj->ik' → inputs ('ij', 'kj'), output 'ik'; without '->', numpy's output: the
    letters used once, in alphabetical order. None for what einsum does not read here."""
    text = text.replace(" ", "")
    match = re.fullmatch(r"([A-Za-z]*(?:,[A-Za-z]*)*)(?:->([A-Za-z]*))?", text)
    if match is None:
        return None
    inputs = tuple(match.group(1).split(","))
    letters = "".join(inputs)
    output = match.group(2)
    if output is None:
        output = "".join(sorted(x for x in set(letters) if letters.count(x) == 1))
    if len(set(output)) != len(output) or not set(output) <= set(letters):
        return None
    return Subscripts(inputs, output)


def _read(c: ShapeCall) -> Subscripts:
    written = c.node.args[0]
    read = subscripts(written.value) if isinstance(written, s.Literal) else None
    if read is None:
        c.refuse("np.einsum's first argument is its subscripts, a string of letters such as "
                 "'ij,kj->ik' (each output letter once and in an input; no '...')", written.span)
    if len(read.inputs) != len(c.node.args) - 1:
        c.refuse(f"the subscripts {written.text} name {len(read.inputs)} operand(s), but "
                 f"np.einsum is given {len(c.node.args) - 1}", c.node.span)
    return read


def _shape(c: ShapeCall) -> Shape:
    c.arity()
    c.arguments()
    read = _read(c)
    sizes: dict[str, object] = {}
    for letters, arg, shape in zip(read.inputs, c.node.args[1:], c.shapes[1:]):
        if len(letters) != len(shape):
            c.fail(f"the subscripts '{letters}' name {len(letters)} axes, but {c.text(arg)} is "
                   f"{show(shape)}", arg.span, arg)
        for letter, size in zip(letters, shape):
            if sizes.setdefault(letter, size) != size:
                c.fail(f"the letter {letter} stands for one size in np.einsum, but it is "
                       f"{sizes[letter]} and {size} here", c.node.func_span, *c.node.args[1:])
    return tuple(sizes[letter] for letter in read.output)


def _value(at, node, args):
    read = subscripts(node.args[0].value)
    ops = args[1:]
    stacked = ",".join("..." + x for x in read.inputs) + "->..." + read.output
    at.limit((max(a.shape[0] for a in ops),) + tuple(
        dict(p for x, a in zip(read.inputs, ops) for p in zip(x, a.shape[1:]))[k]
        for k in read.output))
    return np.einsum(stacked, *ops)


def _chain(site, i, ops, g):
    read = subscripts(site.node.args[0].value)
    target = read.inputs[i]
    if len(set(target)) != len(target):
        return None  # a repeated letter (a diagonal): its gradient is no einsum
    others = [(x, op) for j, (x, op) in enumerate(zip(read.inputs, ops)) if j != i]
    terms = [(read.output, whole(site, g))] + others
    if not set(target) <= set("".join(x for x, _ in terms)):
        # a letter only this operand has was summed over: the gradient spreads along it
        terms.append((target, call("ones_like", ops[i])))
    written = ",".join(x for x, _ in terms) + "->" + target
    literal = s.Literal(f"'{written}'", written, NOWHERE)
    return (call("einsum", literal, *(op for _, op in terms)),
            f"for P = np.einsum('{read.written()}', ...), the gradient of operand {i + 1} is "
            f"np.einsum('{written}', dP, the other operands)")


def _latex(r, node):
    return f"\\operatorname{{einsum}}({', '.join(r(a) for a in node.args)})"


EINSUM = Function("einsum", arity=(2, 1 + _OPERANDS), written=(0,), shape=_shape,
                  stacked=_value, chain=_chain, operands=lambda node: node.args[1:],
                  latex=_latex)
