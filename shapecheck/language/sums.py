"""The sum over examples as textbooks write it: `\\sum_{i=1}^{m} X`, `\\sum_i X`.

The grammar reads `\\sum` with its limits as one token; `limits` splits it. The parser keeps
it as a call of `EXAMPLE_SUM` (a name no formula can spell), its index and limits as
keywords; shapecheck.meaning reads it as the numpy sum over axis k, kept, where k is the
axis the model's examples run along (`Examples`: axis 1 of the course's columns layout, 0
with `--layout rows`), and refuses any other index or limits. shapecheck.language.latex
writes that sum back the same way.
"""
from __future__ import annotations

import re

from typing import Callable, Mapping

from .. import functions, syntax as s
from ..frozen import Record, record

EXAMPLE_SUM = "\\sum_{i}"   # the func of a sum with limits, until meaning reads it
EXAMPLE_INDEX = "i"          # the example index of x^{(i)}: the one index read without limits
# a LaTeX argument: a braced group (one level of braces inside) or one character
_ARGUMENT = r"\s*(?:\{((?:[^{}]|\{[^{}]*\})*)\}|([A-Za-z0-9]))"
_SUB = re.compile("_" + _ARGUMENT)
_SUP = re.compile(r"\^" + _ARGUMENT)
_INDEX = re.compile(r"\s*([A-Za-z])\s*(?:=\s*(\d+)\s*)?")
_UPPER = re.compile(r"\s*([A-Za-z]\w*)\s*(?:-\s*(1)\s*)?")
AXIS_SUM = f"np.sum(A, axis=..., {functions.kept_written(True)})"
ANOTHER_AXIS = f"{AXIS_SUM} for a sum along another axis"


@record
class Limits(Record):
    """`\\sum_{i=1}^{m}`: index 'i', start '1', end 'm' ('m-1' for i = 0..m-1); a part
    not written is None."""
    index: str
    start: str | None
    end: str | None


def limits(token: str) -> Limits | str:
    """The limits of a `\\sum` token, or what is wrong with them."""
    sub = _SUB.search(token)
    sup = _SUP.search(token[:sub.start()] + token[sub.end():])
    lower = sub.group(1) if sub.group(1) is not None else sub.group(2)
    index = _INDEX.fullmatch(lower)
    upper = None
    if sup:
        written = sup.group(1) if sup.group(1) is not None else sup.group(2)
        upper = _UPPER.fullmatch(written)
        if upper is None:
            return (f"the upper limit {written!r} of \\sum is not read: shapecheck reads the sum "
                    f"over examples, \\sum_{{i=1}}^{{m}}, or {ANOTHER_AXIS}")
    if index is None:
        return (f"\\sum_{{{lower.strip()}}} is not read: shapecheck reads the sum over examples, "
                f"\\sum_{{i=1}}^{{m}} or \\sum_i, the total \\sum(A), or {ANOTHER_AXIS}")
    end = None if upper is None else upper.group(1) + ("-1" if upper.group(2) else "")
    return Limits(index.group(1), index.group(2), end)


def keywords(found: Limits, span: s.Span) -> tuple[s.Keyword, ...]:
    """The limits as the keywords of the EXAMPLE_SUM call (names carry their text)."""
    parts = (("index", found.index), ("start", found.start), ("end", found.end))
    return tuple(s.Keyword(key, s.Name(value, span), span) for key, value in parts if value)


def written(node: s.Call) -> dict[str, str]:
    """The limits of an EXAMPLE_SUM call: {'index': 'i', 'start': '1', 'end': 'm'}."""
    return {k.name: k.value.id for k in node.kwargs}


@record
class Examples(Record):
    """Where a formula's examples are: the size that counts them (`m`), the axis they run
    along, and which of the formula's names hold one column (or row) per example."""
    size: str
    axis: int
    carries: Callable[[str], bool]
    shape: Callable[[str], tuple | None] = lambda name: None  # a name's shape, when known

    @staticmethod
    def of(size: str | None, axis: int | None,
           shapes: Mapping[str, tuple | None]) -> "Examples | None":
        """From a model's examples and axis and the shapes of the formula's names."""
        if size is None or axis is None:
            return None

        def carries(name: str) -> bool:
            shape = shapes.get(name)
            return shape is not None and len(shape) > axis and shape[axis] == size
        return Examples(size, axis, carries, shapes.get)

    @property
    def sign(self) -> str:
        """How the sum over examples is written: `\\sum_{i=1}^{m}`."""
        return f"\\sum_{{{EXAMPLE_INDEX}=1}}^{{{self.size}}}"

