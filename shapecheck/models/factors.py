"""Constant factors by name: the one namer of a factor between a claimed gradient and the
true one (`m`, `1/m`, `2`, `-1`, `1/n2`), for the verdict's diagnosis ("the right side is
m = 64 times the true gradient") and for the factor a repair writes in (`1/m * …`).

Factor names are sizes of the model, so they live with the model: the check stage
(diagnosis) and advice (repair) both read them here.
"""
from __future__ import annotations

import re
from typing import Collection, Mapping

from .binding import size_order
from .names import EXAMPLES

_CONSTANTS = [(2.0, "2"), (0.5, "1/2"), (-2.0, "-2"), (-0.5, "-1/2")]


def factor_names(sizes: Mapping[str, int], defaults: Collection[str] = ()) -> list[tuple[float, str]]:
    """Constant factors by name, the likeliest first: -1, m, small constants, the other
    declared sizes, and last the sizes chosen by default (whose values nobody chose).
    `factor_names({'m': 5})` → `[(-1.0, '-1'), (5.0, 'm'), (0.2, '1/m'), …]`."""
    def of(names):
        named = []
        for name in sorted(names, key=lambda n: (n != EXAMPLES, size_order(n))):
            value = sizes[name]
            if value != 1:  # a size of 1 would name every factor 1
                named += [(float(value), name), (1.0 / value, f"1/{name}"),
                          (-float(value), f"-{name}"), (-1.0 / value, f"-1/{name}")]
        return named
    # the examples' count m first (1/m is the course's classic slip), then small constants,
    # then the other declared sizes: a factor 2 is "2", not "n2" because n2 happens to be 2
    declared = [n for n in sizes if n not in defaults]
    return ([(-1.0, "-1")] + of(n for n in declared if n == EXAMPLES) + _CONSTANTS
            + of(n for n in declared if n != EXAMPLES) + of(n for n in sizes if n in defaults))


def name_of(value: float, sizes: Mapping[str, int], defaults: Collection[str] = (),
            tolerance: float = 1e-6) -> str | None:
    """The likeliest name of a factor `value` (relative `tolerance`), or None (`1/25`: a
    number right only at the sizes of this draw). `name_of(0.2, {'m': 5})` → `'1/m'`."""
    return next((n for v, n in factor_names(sizes, defaults) if same(value, v, tolerance)), None)


def same(a: float, b: float, tolerance: float = 1e-6) -> bool:
    """Equal but for a relative `tolerance`: a diagnosis's factor is measured to about 1e-6,
    a repair matches the factor as a diagnosis prints it (4 digits: 1e-3)."""
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def value_of(name: str, sizes: Mapping[str, int]) -> float | None:
    """The value a factor's name stands for: `'-1/m'` with m = 5 → -0.2; None for a name
    that is no factor or a size of 0."""
    match = re.fullmatch(r"(-?)(1/)?([A-Za-z_]\w*|[\d.]+(?:e[-+]?\d+)?)", name)
    if not match:
        return None
    body = sizes.get(match[3]) if match[3][0].isalpha() or match[3][0] == "_" else float(match[3])
    if not body:
        return None
    return (-1 if match[1] else 1) * (1 / body if match[2] else body)


def with_values(name: str, sizes: Mapping[str, int]) -> str:
    """'1/m' → '1/m = 1/5'; '2' → '2'."""
    shown = re.sub(r"[A-Za-z_]\w*", lambda m: str(sizes.get(m.group(0), m.group(0))), name)
    return name if shown == name else f"{name} = {shown}"


def inverse(name: str) -> str:
    """The factor that undoes `name`: 'm' → '1/m', '-1/n2' → '-n2'."""
    sign = "-" if name.startswith("-") else ""
    body = name.lstrip("-")
    if body.startswith("1/"):
        return sign + body[2:]
    return f"{sign}1/{body}"
