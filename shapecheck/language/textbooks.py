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

import re

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


# Nielsen's layers, as the formula grammar tells them (parse._bare_layers): a letter layer
# after a name (`w^l`, `\delta^{l+1}`, `a^L`), or a number after one of his own names
_LETTER_LAYER = re.compile(r"(?:\b[A-Za-z]|\\delta)\s*\^\s*"
                           r"(?:\{\s*[lkL]\s*(?:[+-]\s*1\s*)?\}|[lkL](?![A-Za-z]))")
_NUMBERED = re.compile(r"(?:\bw|\\delta)\s*\^\s*(?:\{\s*\d+\s*\}|\d)")
GENERIC, NUMBERED = "generic", "numbered"  # how a derivation shows them


def nielsen_layers(texts) -> str | None:
    """How a derivation's members show Nielsen's bare layers: GENERIC (a letter, `w^l`),
    NUMBERED (only numbers after his names, `\\delta^2`), or None."""
    joined = " ".join(texts)
    if _LETTER_LAYER.search(joined):
        return GENERIC
    return NUMBERED if _NUMBERED.search(joined) else None


def bare_layer(base: str, text: str, nielsen: str | None) -> str | None:
    """The layer `text` after `^` is on `base` in index notation (`'l-1'`, `'2'`; `k` is
    read l), or None where it is none (`A^2`, a power). A number is a layer on Nielsen's
    own names, and on the names that take one in a derivation written with his layers
    (`nielsen`); in one for a generic layer, `a^2` is read two ways: ValueError."""
    if base not in LAYER_BASES:
        return None
    if text.isdigit() and base not in NIELSEN_NAMES:
        if nielsen is None:
            return None
        if nielsen == GENERIC:
            raise ValueError(f"{base}^{text} may be read two ways: layer {text}, "
                             f"{base}^{{[{text}]}}; or a power of the generic layer's {base}, "
                             f"({base}^l)^{{{text}}}. Write the course's names to say which")
    return "l" + text[1:] if text[:1] == "k" else text


# d2l's `\text{prod}(A, B)`: "multiplication after the necessary operations, such as
# transposition and swapping input positions" (d2l 5.3): its func until meaning reads it
# as the arrangement whose shapes line up (a name no formula can spell)
D2L_PROD = "\\text{prod}"
PROD_NOTE = "\\text{prod} as "  # how a reading of it is noted: `\text{prod} as dz @ h.T`

