"""Plain data every stage hands up: the options a formula is checked with and its verdict.

Nothing here computes anything; the report and the JSON depend on this module alone.
"""
from __future__ import annotations

from dataclasses import field
from typing import Mapping

from . import syntax as s
from .frozen import Record, record

Dim = int | str
Shape = tuple[Dim, ...]


def show(shape: Shape) -> str:
    """(n1, m) as text; a scalar is ()."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


@record
class Operand(Record):
    """An operand of the failing operator: its text, span and shape."""
    text: str
    span: s.Span
    shape: Shape


@record
class Options(Record):
    """Everything a formula is checked with, as the command line or a notes file gives it."""
    sizes: Mapping[str, int] = field(default_factory=dict)
    shapes: Mapping[str, Shape] = field(default_factory=dict)
    activations: Mapping[str, str] = field(default_factory=dict)
    layout: str = "columns"
    layers: int | None = None
    only_layers: tuple[int, int] | None = None  # --layers A..B: a generic formula's layers
    forward: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    seed: int = 0
    tol: float = 1e-6
    values: bool = True
    exact: bool = False     # entry-by-entry finite differences for every variable
    exact_max: int = 512    # variables up to this many entries are always taken exactly
    probes: int = 8         # random directions for larger ones


@record
class Source(Record):
    """Where a formula stands in a notes file (1-based line and column)."""
    file: str
    line: int
    column: int


@record
class Network(Record):
    """The model a formula was checked on: the course's network of `layers` layers over
    `examples` examples ("m", or 1 for the single-example names `dz2`, `a1`) in `layout`,
    or the model given by `forward` (its equations)."""
    layers: int | None = None
    examples: Dim | None = None
    layout: str | None = None
    forward: str | None = None

    def __str__(self) -> str:
        if self.forward is not None:
            return f"the model {self.forward}"
        one = ", one example" if self.examples == 1 else ""
        rows = ", examples in rows" if self.layout == "rows" else ""
        return f"the {self.layers}-layer network{one}{rows}"


@record
class Result(Record):
    """The verdict on one formula, as plain data (the JSON report is this)."""
    formula: str
    verdict: str  # pass | shape | value | error
    message: str
    source: Source | None = None
    lhs_shape: Shape | None = None
    rhs_shape: Shape | None = None
    span: s.Span | None = None
    op_span: s.Span | None = None
    operands: tuple[Operand, ...] = ()
    hint: str | None = None
    rule: str | None = None  # the broken rule alone (message adds the hint in words)
    rel_error: float | None = None
    tolerance: float | None = None
    diagnosis: dict | None = None
    layer: int | None = None
    layers: tuple[int, ...] | None = None  # the layers --layers restricted a check to
    activation: dict | None = None
    sizes: Mapping[str, int] = field(default_factory=dict)
    # the sizes nobody declared that the check chose and touched (Checker.verdict keeps
    # only those: a size this formula's check never read is not its assumption)
    defaults: Mapping[str, int] = field(default_factory=dict)
    network: Network | None = None  # what it was checked on (None: nothing was)
    reading: str | None = None  # how notation with more than one reading was read
    repair: dict | None = None  # the smallest verified edit that passes (advice.repair)
    derived: str | None = None  # a verified derivation by the chain rule (calculus.derive)
    derivation: object | None = None  # its derive.Derivation: LaTeX, steps (not in the JSON)
    # a link of a derivation (chains): its number, the number of links, the line of the
    # derivation's first member, and on the last link the derivation's summary
    link: dict | None = None
    searched: bool = False  # a repair and a derivation were looked for (values are checked)
    # a formula that multiplies Jacobians as the scalar chain rule does: its matrix forms,
    # for the session to verify and advice.chain_rule to explain (not in the JSON)
    chain: object | None = field(default=None, compare=False, repr=False)
    # what the session needs to look for a shape hint (check.Unhinted; not in the JSON)
    unhinted: object | None = field(default=None, compare=False, repr=False)
