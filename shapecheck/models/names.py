"""The naming convention: what a name in a formula means in the built-in network.

`W2` is `W` of layer 2; a leading `d` marks a gradient (`dW2` has `W2`'s shape); lower-case
per-example names (`x`, `a1`, `dz2`, `y`) mean one example. This is the only module that
knows these names.
"""
from __future__ import annotations

import re

from ..frozen import Record, record


Dim = int | str
Shape = tuple[Dim, ...]

# the size that counts examples: in the built-in network, and in a --forward model's shapes
EXAMPLES = "m"
# per-example quantities: their gradient follows the course's summed-loss convention
PER_EXAMPLE_BASES = {"X", "A", "Z", "Y"}
_LAYERED = re.compile(r"^(?P<base>W|b|Z|A|z|a)(?P<layer>\d+|L)$")
_LAST = {"AL": "A", "ZL": "Z"}


@record
class Role(Record):
    """What a formula's name refers to: the model variable `var`, or its gradient."""
    var: str
    gradient: bool
    single_example: bool  # written lower case: a per-example name of one example


def _variable(name: str, last_layer: int) -> tuple[str, bool] | None:
    """'A0' → ('X', False); 'z2' → ('Z2', True); 'W' → None (generic names need --L)."""
    if name in ("X", "A0"):
        return "X", False
    if name in ("x", "a0"):
        return "X", True
    if name in ("Y", "y"):
        return "Y", name == "y"
    if name in _LAST:
        return f"{_LAST[name]}{last_layer}", False
    match = _LAYERED.match(name)
    if not match:
        return None
    base, layer = match["base"], match["layer"]
    layer_number = last_layer if layer == "L" else int(layer)
    if layer_number == 0 and base in "Aa":
        return "X", base == "a"
    return f"{base.upper() if base in 'za' else base}{layer_number}", base in "za"


def role(name: str, last_layer: int) -> Role | None:
    """`role('dZ1', 2)` → Role(var='Z1', gradient=True, single_example=False)."""
    found = _variable(name, last_layer)
    if found:
        return Role(found[0], False, found[1])
    if name.startswith("d") and len(name) > 1:
        found = _variable(name[1:], last_layer)
        if found:
            return Role(found[0], True, found[1])
    return None


def gradient_name(var: str) -> str:
    """The name of the cost's gradient with respect to `var`: 'W1' → 'dW1'."""
    return "d" + var


# a left side, as notes write it, that names a gradient: the convention's `d` prefix and
# the calculus notations for a derivative
_GRADIENT_LHS = r"""
    d[A-Za-z][\w{}\[\]^_'+\-]*              # dW, dZ1, dA_prev, dW^{[2]}, dW[1]
  | d[A-Za-z]\w*/d.+                        # dJ/dW
  | (\\partial|∂).*/(\\partial|∂).+         # \partial J/\partial W
  | \\[dt]?frac\{(\\partial|∂|d[A-Za-z\\]).*  # \frac{\partial J}{\partial W}
  | \{(\\partial|∂).*\\over(\\partial|∂).*\}  # {\partial J \over \partial W}
  | \\nabla.+                               # \nabla_W J
  | \\delta\^.+                             # Nielsen's \delta^l, dC/dz^l
"""


def gradient_names(last_layer: int) -> list[str]:
    """Every gradient of the built-in network, layer by layer: dZ1, dA1, dW1, db1, dZ2, ..."""
    return [gradient_name(f"{base}{layer}") for layer in range(1, last_layer + 1)
            for base in "ZAWb"]


def is_gradient_lhs(lhs: str) -> bool:
    """Whether an equation's left side names a gradient: `is_gradient_lhs("dW^{[2]}")`."""
    # compiled on first use (by re's cache): only notes files ask, so a formula's start-up
    # does not pay for it
    return re.fullmatch(_GRADIENT_LHS, re.sub(r"\s+", "", lhs), re.VERBOSE) is not None


def highest_layer(name: str) -> int:
    """The layer a name refers to, 0 if none: 'dW3' → 3."""
    match = re.search(r"(\d+)$", name)
    return int(match.group(1)) if match else 0


def is_per_example(var: str) -> bool:
    return var.rstrip("0123456789") in PER_EXAMPLE_BASES


def network_shapes(last_layer: int, layout: str, batch: Dim) -> dict[str, Shape]:
    """The symbolic shape of every variable of the built-in network."""
    def oriented(rows: Dim, cols: Dim) -> Shape:
        return (rows, cols) if layout == "columns" else (cols, rows)

    shapes: dict[str, Shape] = {"X": oriented("n0", batch),
                                "Y": oriented(f"n{last_layer}", batch)}
    for layer in range(1, last_layer + 1):
        size, previous = f"n{layer}", f"n{layer - 1}"
        shapes[f"W{layer}"] = (size, previous) if layout == "columns" else (previous, size)
        shapes[f"b{layer}"] = oriented(size, 1)
        shapes[f"Z{layer}"] = oriented(size, batch)
        shapes[f"A{layer}"] = oriented(size, batch)
    return shapes


# generic-layer names of the programming assignments (`--L N`): a formula written with them
# holds for a layer l, and is checked at every l = 1..L
_GENERIC = re.compile(r"^(?P<grad>d?)(?P<base>W|b|Z|A|z|a)(?:(?P<prev>_prev)|(?P<next>_next))?$")
GENERIC_FUNCTION = "g"


def is_generic(name: str) -> bool:
    return bool(_GENERIC.match(name))


def is_next(name: str) -> bool:
    """`W_next` (Nielsen's `w^{l+1}`): a generic name of the layer after l, so a formula
    with one holds for l = 1..L-1 only."""
    match = _GENERIC.match(name)
    return bool(match and match["next"])


def at_layer(name: str, layer: int) -> str:
    """`at_layer('A_prev', 1)` → 'A0'; `at_layer('dW', 3)` → 'dW3'; other names unchanged."""
    match = _GENERIC.match(name)
    if not match:
        return f"g{layer}" if name == GENERIC_FUNCTION else name
    if match["prev"] and match["base"] in "Wb":
        return name  # W_prev means nothing in the course's notation: left unknown
    number = layer - 1 if match["prev"] else layer + 1 if match["next"] else layer
    return f"{match['grad']}{match['base']}{number}"


def quantity_at(name: str, layer: int | None, last_layer: int) -> str | None:
    """The network's name for a formula's layered name (`w^l` is read W, `\\delta^l` dz,
    `a^{l-1}` a_prev, `b^2` b2) at `layer` (None: a formula for no generic layer):
    `quantity_at('dz', 2, 2)` → 'dZ2', `('a_prev', 1, 2)` → 'X'; None where it names
    nothing there (`W_prev`, a generic name without a layer)."""
    if is_generic(name):
        if layer is None:
            return None
        name = at_layer(name, layer)
    found = role(name, last_layer)
    if found is None:
        return None
    return gradient_name(found.var) if found.gradient else found.var


# the names an activation left open may have (SPEC "Invocation"): a single letter, bare
# (`f(HW)`, `g'(Z)`) or with a layer number (`g1`, `gL`; `g^{[1]}` is read as `g1`)
_OPEN_ACTIVATION = re.compile(r"^(g|f|h|sigma|phi|σ|φ)(\d+|L)?$")
OPEN_ACTIVATION_LETTERS = ("g", "f", "h", "sigma", "phi")


def is_open_activation(name: str) -> bool:
    """`is_open_activation('g1')` → True; 'tanhh', 'act' → False."""
    return bool(_OPEN_ACTIVATION.match(name))


GENERIC_NAMES = ("W", "b", "Z", "A", "A_prev", "dW", "db", "dZ", "dA", "dA_prev")


def generic_names(layer: int, last_layer: int) -> dict[str, str]:
    """The network's names at `layer` → the generic names (derivations are written back in
    them): `generic_names(1, 2)` maps 'X' → 'A_prev', 'dZ1' → 'dZ', 'g1' → 'g', ..."""
    found = {}
    for generic in GENERIC_NAMES:
        specific = role(at_layer(generic, layer), last_layer)
        if specific:
            found[("d" if specific.gradient else "") + specific.var] = generic
    found[at_layer(GENERIC_FUNCTION, layer)] = GENERIC_FUNCTION
    return found


def is_layer_activation(name: str) -> bool:
    """`g2`: the activation of one layer of the built-in network (what `g` stands for)."""
    return bool(re.fullmatch(GENERIC_FUNCTION + r"\d+", name))


def is_pre_activation(var: str) -> bool:
    """`Z2`: the quantities the course writes every backward step in (`dZ1 = W2.T @ dZ2 ...`)."""
    return bool(re.fullmatch(r"Z\d+", var))


def is_activation(var: str) -> bool:
    return bool(re.fullmatch(r"A\d+", var))


def single_example(var: str) -> str:
    """A per-example quantity as one example writes it: 'Z1' → 'z1', 'X' → 'x'."""
    return var[0].lower() + var[1:] if is_per_example(var) else var


_LATEX_LAYERED = re.compile(r"^(?P<grad>d?)(?P<base>[A-Za-z])(?P<layer>\d+)$")
_LATEX_GENERIC = re.compile(r"^(?P<grad>d?)(?P<base>W|b|Z|A|g)(?P<prev>_prev)?$")


def latex_mark(style: str):
    """How LaTeX marks a name's layer, for shapecheck.language.latex.to_latex: `network`
    writes 'W2' as ('W', '2') (`W^{[2]}`); `generic` writes 'A_prev' as ('A', 'l-1');
    `plain` keeps every name as it is."""
    def mark(name: str) -> tuple[str, str | None]:
        if style == "network":
            match = _LATEX_LAYERED.match(name)
            if match:
                return match["grad"] + match["base"], match["layer"]
        if style == "generic":
            match = _LATEX_GENERIC.match(name)
            if match:
                return match["grad"] + match["base"], "l-1" if match["prev"] else "l"
        return name, None
    return mark


