"""Diagnosis of a wrong value: a constant factor or a transpose that turns the true
gradient into the claimed one, in words.
"""
from __future__ import annotations

import re
from typing import Callable, Mapping

import numpy as np

from .models.binding import size_order
from .models.model import Model
from .models.names import EXAMPLES
from .numeric.truth import relative_error


def _factor_names(sizes: Mapping[str, int], defaults: Mapping[str, int]) -> list[tuple[float, str]]:
    """Constant factors by name, the likeliest first: -1, m, small constants, the other
    declared sizes, and last the sizes chosen by default (whose values nobody chose)."""
    def of(names):
        named = []
        for name in sorted(names, key=lambda n: (n != EXAMPLES, size_order(n))):
            value = sizes[name]
            if value != 1:
                named += [(float(value), name), (1.0 / value, f"1/{name}"),
                          (-float(value), f"-{name}"), (-1.0 / value, f"-1/{name}")]
        return named
    constants = [(2.0, "2"), (0.5, "1/2"), (-2.0, "-2"), (-0.5, "-1/2")]
    # the examples' count m first (1/m is the course's classic slip), then small constants,
    # then the other declared sizes: a factor 2 is "2", not "n2" because n2 happens to be 2
    declared = [n for n in sizes if n not in defaults]
    return ([(-1.0, "-1")] + of(n for n in declared if n == EXAMPLES) + constants
            + of(n for n in declared if n != EXAMPLES) + of(n for n in sizes if n in defaults))


def _with_values(name: str, sizes: Mapping[str, int]) -> str:
    """'1/m' → '1/m = 1/5'; '2' → '2'."""
    shown = re.sub(r"[A-Za-z_]\w*", lambda m: str(sizes.get(m.group(0), m.group(0))), name)
    return name if shown == name else f"{name} = {shown}"


def diagnose(true: np.ndarray, claimed: np.ndarray, transposed: Callable[[], np.ndarray | None],
             sizes, defaults, model: Model, var: str, tol: float):
    """A constant factor or a transpose that turns the truth into the claim, in words; the
    two as they are compared (Gradient.reference, Gradient.claimed), `transposed()` the
    claim transposed (None if it is not square)."""
    if not np.all(np.isfinite(claimed)):
        return None, ""
    norm = float(np.vdot(true, true))
    if norm > 0:
        factor = float(np.vdot(true, claimed)) / norm
        if factor != 0 and relative_error(factor * true, claimed) <= max(tol, 1e-6):
            name = next((n for v, n in _factor_names(sizes, defaults)
                         if abs(factor - v) <= 1e-6 * abs(v)), f"{factor:.4g}")
            shape = model.shapes[var]
            value = _with_values(name, sizes)
            if model.batch is None and name in model.averaged_over and name in shape:
                return ({"kind": "convention", "factor": name},
                        f"the right side is {value} times the gradient of the mean cost; "
                        f"this is the course's convention for a per-example quantity (the summed "
                        f"loss), not a slip, but this model's cost is a mean: divide by {name}")
            fix = f"multiply it by {_inverse(name)}" if name != "-1" else "flip its sign"
            return ({"kind": "factor", "factor": name},
                    f"the right side is {value} times the true gradient; {fix}")
    swapped = transposed()
    if swapped is not None and relative_error(true, swapped) <= max(tol, 1e-6):
        return {"kind": "transpose"}, "the right side is the transpose of the true gradient"
    return None, ""


def _inverse(name: str) -> str:
    sign = "-" if name.startswith("-") else ""
    body = name.lstrip("-")
    if body.startswith("1/"):
        return sign + body[2:]
    return f"{sign}1/{body}"
