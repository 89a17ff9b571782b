"""Sizes read off arrays: in a notebook after a forward pass, `X`, `W1`, `dZ2` are arrays,
and their shapes give the sizes of the names a formula reads (`W1` is (n1, n0), so an
array W1 of shape (4, 3) makes n1 = 4 and n0 = 3), through the same binding a check uses.

Arrays that contradict each other or the convention (W1 is (4, 3) but X has 5 rows), or
a size declared otherwise, are refused: checked on sizes that are not the notebook's, a
formula would be judged on what the user did not mean.

    from_arrays([("dW1 = 1/m * dZ1 @ X.T", options)], {"X": X, "dZ1": dZ1})
    # -> {"n1": (4, "dZ1"), "m": (5, "dZ1"), "n0": (3, "X")}
"""
from __future__ import annotations

from typing import Iterable, Mapping

from . import syntax as s
from .errors import BadOptionError, ShapecheckError
from .language.parse import parse_equation
from .models.binding import Binder, generic_in, size_order
from .result import Options, Shape, show


def array_shape(value: object) -> tuple[int, ...] | None:
    """The shape of an array (numpy's, or anything with a tuple of whole numbers as `.shape`)."""
    shape = getattr(value, "shape", None)
    if isinstance(value, type) or not isinstance(shape, tuple):
        return None
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        return None
    return tuple(shape)


def from_arrays(formulas: Iterable[tuple[str, Options]], arrays: Mapping[str, object],
                declared_by=lambda name: f"{name}=") -> dict[str, tuple[int, str]]:
    """size → (its value, the array that gave it), for the names each formula (checked under
    its options) reads that are arrays in `arrays`. Raises BadOptionError where an array's
    shape is not the one its name has, where two arrays give a size two values, or where a
    size is declared (its options' `sizes`) with another value; `declared_by(size)` words
    such a declaration (`--n0` on a command line)."""
    found: dict[str, tuple[int, str, Shape]] = {}  # size → value, array name, its shape
    for text, options in formulas:
        for name, shape in _shapes_read(text, options):
            real = array_shape(arrays.get(name))
            if real is None:
                continue
            if len(real) != len(shape) or any(isinstance(d, int) and d != r
                                               for d, r in zip(shape, real)):
                raise BadOptionError(f"{name} is an array of shape {show(real)}, but {name} "
                                     f"is {show(shape)} here, so the array is not the {name} "
                                     f"of {text!r}")
            for dim, value in zip(shape, real):
                if isinstance(dim, int):
                    continue
                if dim in found and found[dim][0] != value:
                    value0, name0, shape0 = found[dim]
                    raise BadOptionError(
                        f"the arrays disagree on {dim}: {name0} is {show(_real(arrays, name0))}, "
                        f"so {dim} = {value0} ({name0} is {show(shape0)}), but {name} is "
                        f"{show(real)}, so {dim} = {value} ({name} is {show(shape)})")
                declared = options.sizes.get(dim)
                if declared is not None and declared != value:
                    raise BadOptionError(
                        f"{declared_by(dim)}{declared} is declared, but the array {name} is "
                        f"{show(real)}, so {dim} = {value} ({name} is {show(shape)}): declare "
                        f"no {dim} (the arrays give it), or the one the arrays have")
                found.setdefault(dim, (value, name, shape))
    return {dim: found[dim][:2] for dim in sorted(found, key=size_order)}


def _real(arrays: Mapping[str, object], name: str) -> tuple[int, ...]:
    return array_shape(arrays[name]) or ()


def _shapes_read(text: str, options: Options) -> list[tuple[str, Shape]]:
    """(name, symbolic shape) of each name the formula reads, its left side first: the shape
    its check gives it (a --shape, else the model's). Nothing where the formula cannot be
    read, or names a generic layer (which layer an array `W` is cannot be told): its check
    says why, or checks it at every layer."""
    try:
        eq = parse_equation(text)
        if generic_in(eq):
            return []
        model, binding = Binder(options, {}).bind(eq)
    except (ShapecheckError, RecursionError):
        return []
    ordered = [eq.lhs.id] + [n.id for n in s.walk(eq.rhs) if isinstance(n, s.Name)]
    shapes = []
    for name in dict.fromkeys(ordered):
        if name not in binding:
            continue
        var = binding[name][0]
        shape = options.shapes.get(name, model.shapes.get(var))
        if shape is not None:
            shapes.append((name, tuple(shape)))
    return shapes
