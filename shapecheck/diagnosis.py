"""Diagnosis of a wrong value: a constant factor or a transpose that turns the true
gradient into the claimed one, in words; the layers or the activation a formula holds for.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .models.binding import layer_range
from .models.factors import inverse, name_of, with_values
from .models.model import Model
from .models.names import GENERIC_FUNCTION, is_layer_activation
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


def layers_said(holding: list[int], first: int, last: int, checked, output: str) -> tuple[str, str]:
    """What goes before and after a generic formula's failure at layer `first`: "holds for
    l = 1..2; at l = 3 the output activation is sigmoid: " (a formula right for the hidden
    layers only, as `dZ = dA * (Z > 0)` with relu ones), and how to check those alone."""
    said = f" (the output layer, {output})" if holding == [last] else ""
    where = f"holds for l = {layer_range(holding)}{said}; " if holding else ""
    where += (f"at l = {last} the output activation is {output}: " if first == last
              else f"at layer l = {first}: ")
    hidden_only = holding and first == last and holding == [l for l in checked if l != last]
    after = (f". The hidden layers alone are checked with --layers {layer_range(holding)}"
             if hidden_only else "")
    return where, after


def holds_only_for(names: list[str], activation: str, forward: bool) -> str:
    """The words for a formula that holds for none of the smooth activations an open one is
    checked with, but for `activation` (relu), with the option that fixes it."""
    hidden = not forward and all(is_layer_activation(g) for g in names)
    fix = (f"--activation {GENERIC_FUNCTION}={activation} for every hidden layer" if hidden else
           " ".join(f"--activation {g}={activation}" for g in names))
    return (f". It holds only if {', '.join(names)} {'is' if len(names) == 1 else 'are'} "
            f"{activation}: an open activation must hold for any smooth one (or fix it: {fix})")



def across_layers(said: dict, last: int | None, only: bool, output: str) -> tuple:
    """A derivation's link for a generic layer l from its outcome at each layer checked
    (`said`: layer → (verdict, message, rel, span); the one key None where no layer is
    generic): the first failing layer's, said with the layers where it holds (as a generic
    formula's), else the pass closest to its tolerance. Returns the verdict, message, rel,
    span, the failing layer and the layers to show beside a pass (None: all of 1..L)."""
    checked = list(said)
    if checked == [None] or len({said[layer][:2] for layer in checked}) == 1 \
            and said[checked[0]][0] != "pass":  # the same at every layer: no layer to name
        return (*said[checked[0]], None, None)
    failing = [layer for layer in checked if said[layer][0] != "pass"]
    if failing:
        first = failing[0]
        verdict, message, rel, span = said[first]
        holding = [layer for layer in checked if said[layer][0] == "pass"]
        where, after = layers_said(holding, first, last, checked, output)
        return verdict, where + message + after, rel, span, first, \
            tuple(checked) if only else None
    verdict, message, rel, span = max(said.values(), key=lambda outcome: outcome[2] or 0.0)
    if not only and checked[-1] == last:
        return verdict, message, rel, span, None, None
    return verdict, f"{message} at l = {layer_range(checked)}", rel, span, None, tuple(checked)
