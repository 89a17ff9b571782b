"""The textbooks' names for the network's quantities (Nielsen, Goodfellow, d2l, UFLDL), read
into the course's names by the notation family a formula's layer marks show.

Nielsen writes bare superscript layers (`w^l`, `\\delta^{l+1}`, `z^L`): `w` the weights,
`\\delta^l` = dC/dz^l (the course's dz^{[l]}). Parenthesised layers (`W^{(k)}`) are
Goodfellow's, d2l's and UFLDL's: Goodfellow's h^{(k)} is the hidden activation and
a^{(k)} = b^{(k)} + W^{(k)} h^{(k-1)} its pre-activation, where UFLDL's a^{(l)} is the
activation (beside z^{(l)}, \\delta^{(l)}): the formula's other names tell which (h:
Goodfellow; z, \\delta: UFLDL), else `a^{(k)}` is ambiguous and refused with its readings.
"""
from __future__ import annotations

BARE, PARENTHESISED = "bare", "parenthesised"
_TEXTBOOK_NAMES = {"w": "W", "delta": "dz"}
NIELSEN_NAMES = frozenset(_TEXTBOOK_NAMES)  # a number after them is a layer: w^2, \delta^2
_GOODFELLOW = {"h": "a", "H": "A", "a": "z", "A": "Z"}
_GOODFELLOW_EVIDENCE = frozenset({"h", "H"})
_UFLDL_EVIDENCE = frozenset({"z", "Z", "delta"})
# names that take a number after ^ as a layer in Nielsen's notation: the convention's and his
LAYER_BASES = frozenset({"W", "b", "Z", "A", "z", "a"} | NIELSEN_NAMES)


def textbook_base(base: str, style: str, marked: frozenset[str], written: str = "^{(k)}",
                  layer: str = "k") -> str | tuple[str, ...]:
    """The convention's name for the textbook name `base` written with a layer in `style`
    (`marked`: the names the formula writes with parenthesised layers), or, where the
    formula leaves its meaning open, its readings, worded:
    `textbook_base('delta', BARE, frozenset())` → 'dz'; `('a', PARENTHESISED, {'a', 'W'})`
    → ("Goodfellow's pre-activation ...", "UFLDL's activation ...")."""
    if style == PARENTHESISED and base in _GOODFELLOW:
        goodfellow, ufldl = bool(marked & _GOODFELLOW_EVIDENCE), bool(marked & _UFLDL_EVIDENCE)
        if base in "hH" or goodfellow != ufldl:  # h is Goodfellow's alone
            return _GOODFELLOW[base] if goodfellow else base
        course = _GOODFELLOW[base]
        return (f"Goodfellow's pre-activation {base}{written}, the course's "
                f"{course}^{{[{layer}]}} (with h^{{(k)}} the activation)",
                f"UFLDL's activation {base}{written}, the course's {base}^{{[{layer}]}} (with "
                "z^{(k)} the pre-activation)")
    return _TEXTBOOK_NAMES.get(base, base)


# d2l's `\text{prod}(A, B)`: "multiplication after the necessary operations, such as
# transposition and swapping input positions" (d2l 5.3): its func until meaning reads it
# as the arrangement whose shapes line up (a name no formula can spell)
D2L_PROD = "\\text{prod}"
PROD_NOTE = "\\text{prod} as "  # how a reading of it is noted: `\text{prod} as dz @ h.T`

