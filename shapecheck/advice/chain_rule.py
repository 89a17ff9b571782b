"""Why the scalar chain rule does not carry over to matrices, said to the learner who wrote it.

`dZ1 = ∂L/∂A1 * ∂A1/∂Z1` is right for scalars; with matrices ∂A1/∂Z1 is a Jacobian of
shape (n1, m, n1, m), and the chain rule sums over the entries in between. The message
says so and shows the matrix form each forward equation gives (calculus.jacobians), but
only the forms the caller's `verify` passes (the same check, finite differences included).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Mapping

from .. import syntax as s
from ..language.printer import to_numpy
from ..result import Result, show


def explain(result: Result, verify: Callable[[str], bool]) -> Result:
    """`result` (a `shape` result carrying a calculus.jacobians.ChainRule) with the message
    a learner can act on, and the verified matrix form of its left side as `derived`."""
    chain = result.chain
    shown = dict(chain.shown or {})

    def said(derivation) -> str | None:
        if derivation is None:
            return None
        text = to_numpy(s.rename(derivation.equation, shown))
        return text if verify(text) else None

    links, lhs = chain.links, _renamed(chain.lhs_var, shown)
    first = links[0]
    if len(links) == 1:
        head = (f"{first.written} is a Jacobian: every entry of {_renamed(first.of, shown)} "
                f"against every entry of {_renamed(first.wrt, shown)}, an array of shape "
                f"{show(first.shape)}, so no product of matrices applies it")
    else:
        head = (" and ".join(f"{link.written} {show(link.shape)}" for link in links)
                + " are Jacobians, each entry of the top against each entry of the bottom, so "
                "no product of matrices applies them")
    parts = [head + " as the scalar chain rule dL/dz = dL/da · da/dz does: that rule does "
             "not carry over to matrices. For matrices the chain rule sums over the entries "
             "in between" + _sum(first, shown)]
    forms = [(link, said(link.form)) for link in links]
    forms = [(link, form) for link, form in forms if form]
    words = []
    for link, form in forms:
        step = link.step
        words.append(f"{_renamed(step.equation, shown)} gives {form} "
                     f"({_renamed(f'{step.rule}; {step.shapes}', shown)})"
                     if step and step.equation else form)
    if words:
        parts.append(", and each forward equation turns that sum into a matrix formula: "
                     + "; ".join(words))
    whole = said(chain.whole)
    if not chain.chained:
        parts.append(f". Even as scalars these factors do not make ∂L/∂{lhs}: each ∂ below a "
                     f"line must be the ∂ on top of the next, from ∂L/∂V down to ∂·/∂{lhs}")
        if whole:
            parts.append(f". The chain rule from the cost gives {whole}")
    elif whole and not (len(forms) == 1 and forms[0][1] == whole):
        parts.append(f"; together, {whole}")
    message = "".join(parts) + "."
    derived = whole
    hint = derived.split(" = ", 1)[1] if derived else None
    return replace(result, message=message, rule=message, derived=derived, hint=hint,
                   searched=True, chain=None)


def _renamed(text: str, shown: Mapping[str, str]) -> str:
    """Names in plain text as a generic formula wrote them (`A1` → `A`)."""
    return re.sub(r"[A-Za-z_]\w*", lambda m: shown.get(m.group(), m.group()), text) \
        if shown else text


def _sum(link, shown) -> str:
    """dZ1[i, j] = Σ_kl dA1[k, l] ∂A1[k, l]/∂Z1[i, j], for two matrices."""
    of, wrt = _renamed(link.of, shown), _renamed(link.wrt, shown)
    if len(link.of_shape) == 2 and len(link.wrt_shape) == 2:
        return f", d{wrt}[i, j] = Σ_kl d{of}[k, l] ∂{of}[k, l]/∂{wrt}[i, j]"
    return f": each entry of d{wrt} is a sum over every entry of {of}"
