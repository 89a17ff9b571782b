"""Numbers computed once per array or per seed, and kept while they are asked for again.

Every binding of a model's open activations (tanh, sigmoid, softplus; relu and identity
to name the one a formula holds for) works on the same drawn inputs at the same sizes:
the scale of W1 (two million entries at 2048/1024) and the random arrays drawn from fixed
seeds are the same numbers each time, and drawing or summing them again costs a fair part
of a forward pass each time.
"""
from __future__ import annotations

import weakref
from typing import Callable

import numpy as np

_KEPT = 16  # entries of each memo; a call uses a few arrays and a few seeds at a time
WORTH_KEEPING = 4096  # entries: below this, computing again costs less than keeping
_by_array: dict[tuple, tuple[weakref.ref, float]] = {}
_by_seed: dict[tuple, np.ndarray] = {}


def _owner(x: np.ndarray) -> np.ndarray:
    """The array that owns `x`'s memory (a view's base, and its base)."""
    while isinstance(x.base, np.ndarray):
        x = x.base
    return x


def per_array(x: np.ndarray, what: str, compute: Callable[[np.ndarray], float]) -> float:
    """`compute(x)`, once for the same memory seen the same way (a view of a drawn array
    is a new object each time). The arrays it is asked about are never written to after
    they are made; one freed is forgotten, as its memory may hold another."""
    if not isinstance(x, np.ndarray) or x.size < WORTH_KEEPING:
        return compute(x)
    key = (what, x.__array_interface__["data"][0], x.shape, x.strides, x.dtype.str)
    kept = _by_array.get(key)
    if kept is not None and kept[0]() is not None:
        return kept[1]
    value = compute(x)
    if len(_by_array) >= _KEPT:
        _by_array.pop(next(iter(_by_array)))
    _by_array[key] = (weakref.ref(_owner(x)), value)
    return value


def per_seed(key: tuple, draw: Callable[[], np.ndarray]) -> np.ndarray:
    """The random array `draw()` makes from a seed that `key` names, once: read only."""
    if key not in _by_seed:
        if len(_by_seed) >= _KEPT:
            _by_seed.pop(next(iter(_by_seed)))
        value = draw()
        value.flags.writeable = False
        _by_seed[key] = value
    return _by_seed[key]
