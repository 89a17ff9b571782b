"""Diagnosis of a wrong value: a constant factor or a transpose that turns the true
gradient into the claimed one, in words.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .models.factors import inverse, name_of, with_values
from .models.model import Model
from .numeric.truth import relative_error


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
            name = name_of(factor, sizes, defaults) or f"{factor:.4g}"
            shape = model.shapes[var]
            value = with_values(name, sizes)
            if model.batch is None and name in model.averaged_over and name in shape:
                return ({"kind": "convention", "factor": name},
                        f"the right side is {value} times the gradient of the mean cost; "
                        f"this is the course's convention for a per-example quantity (the summed "
                        f"loss), not a slip, but this model's cost is a mean: divide by {name}")
            fix = f"multiply it by {inverse(name)}" if name != "-1" else "flip its sign"
            return ({"kind": "factor", "factor": name},
                    f"the right side is {value} times the true gradient; {fix}")
    swapped = transposed()
    if swapped is not None and relative_error(true, swapped) <= max(tol, 1e-6):
        return {"kind": "transpose"}, "the right side is the transpose of the true gradient"
    return None, ""

