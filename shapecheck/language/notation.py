"""The notation of slides and LaTeX: names with layer marks (`W^{[2]T}`, `dz^[1]`, `W_{2}`),
accents, `Y^*`, primes, superscripts, and the gradient `\\partial J/\\partial W`.

`_Notation` is the part of the parse-tree Transformer that reads them; `parse._ToSyntax`
adds the numpy expressions and the functions LaTeX writes as commands.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from lark import Transformer, v_args

from .. import syntax as s
from .columns import column
from .textbooks import BARE, LAYER_BASES, NIELSEN_NAMES, PARENTHESISED, textbook_base


# The parse markers below live only while a tree is built: never compared, hashed, changed
# or shown, so they are plain slotted classes with only an __init__ (each method a
# dataclass generates is compiled when the class is made, and every start-up makes them)
@dataclass(slots=True, eq=False, repr=False)
class _Attribute:
    """`obj.name` before we know whether it is a call, an index or a mistake."""
    obj: object
    name: str
    span: s.Span


@dataclass(slots=True, eq=False, repr=False)
class _Function:
    """A function LaTeX writes as a command (`\\sigma`, `\\log`, `\\operatorname{relu}`),
    waiting for its argument."""
    func: str
    span: s.Span
    primed: bool = False
    numpy: bool = False  # \log, \exp: print as np.log, np.exp
    limits: object = None  # \sum_{i=1}^{m}: its sums.Limits


@dataclass(slots=True, eq=False, repr=False)
class _Odd:
    """What a builder could not make into a node, recorded as written for validate.py to
    word: `kind` is 'mark' (a layer mark on `subject`), 'star' (^* on it), 'accent' (an
    accent on it), 'unfinished' (`subject`, a `.name` or a `\\sigma`, left waiting),
    'example' (`x^{(i)}`: an example's index, not a layer), 'letter' (`e^x`: no layer
    letter) or 'readings' (a textbook's name the formula leaves open, `a^{(k)}`)."""
    kind: str
    subject: object
    span: s.Span
    written: str = ""
    readings: tuple = ()  # 'readings': the ways a textbook's name may be read


@dataclass(slots=True, eq=False, repr=False)
class _LayerMark:
    """A layer mark as the grammar read it: `[l - 1]T` has the layer 'l-1' (its tokens, no
    spaces), written 'l - 1', `number` False, and a transpose; `named_end` ends its `]`."""
    layer: str
    written: str
    number: bool
    transposed: bool
    named_end: int
    span: s.Span


@dataclass(slots=True, eq=False, repr=False)
class _Gradient:
    """The gradient of an expression, `\\frac{\\partial a^T X b}{\\partial X}` or the operator
    `\\frac{\\partial}{\\partial X} Tr(AXB)`: read only as a left side, the name `name` (dX)
    with the expression as the equation's cost."""
    name: s.Name
    cost: object
    span: s.Span


@dataclass(slots=True, eq=False, repr=False)
class _TextbookLayer:
    """A layer as a textbook prints it: Nielsen's bare `^{l+1}` (style BARE), Goodfellow's
    and d2l's `^{(k)}` (PARENTHESISED); `layer` its tokens without spaces, `number` whether
    it is a number."""
    layer: str
    written: str
    number: bool
    style: str


@dataclass(slots=True, eq=False, repr=False)
class _Primed:
    """`g'`, `g^{[1]\\prime}` before we know what follows: a bracket makes it a derivative
    (`g'(z)`), anything else a transpose (MATLAB's `X'`)."""
    name: s.Name
    span: s.Span


_ACCENTS = {"\\hat": "_hat", "\\bar": "_bar", "\\tilde": "_tilde"}
# the LaTeX commands read as names
GREEK = set("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta kappa lambda mu nu "
            "xi pi rho tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
            "Phi Psi Omega ell".split())


def _span(meta) -> s.Span:
    return (meta.start_pos, meta.end_pos)


def _tok_span(tok) -> s.Span:
    return (tok.start_pos, tok.end_pos)


def _dotted(node) -> str | None:
    """`np.linalg` → 'np.linalg'; None when `node` is not a chain of plain names."""
    if isinstance(node, s.Name):
        return node.id
    if isinstance(node, _Attribute):
        head = _dotted(node.obj)
        return f"{head}.{node.name}" if head else None
    return None


def canonical_name(tok) -> str:
    """A name token as shapecheck names it: `W_2` → 'W2', `\\delta` → 'delta'."""
    if tok.type in ("LAYERNAME", "LAYERCALL"):  # the grammar's letters_digits: one `_`
        base, _, layer = tok.partition("_")
        return base + layer
    if tok.type == "ESCAPEDNAME":
        return tok.replace("\\_", "_")  # \operatorname{ones\_like}
    if tok.startswith("\\"):
        return tok[1:]  # a Greek letter (validate refuses other commands)
    return str(tok)


def layered(base: str, spec: str) -> str | None:
    """`W` with the layer mark `2` → 'W2'; generic layers: `l` → 'W', `l-1` → 'W_prev',
    `l+1` → 'W_next', `L` → 'WL', `L-1` → 'WL_prev'. None for any other mark. `spec` is the
    layer's tokens as the grammar read them, without spaces."""
    if re.fullmatch(r"\d+", spec):
        return base + str(int(spec))
    return {"l": base, "l-1": base + "_prev", "l+1": base + "_next", "L": base + "L",
            "L-1": base + "L_prev"}.get(spec)


def _cased(name: str, upper: bool) -> str:
    """`dz1` ↔ `dZ1`, `x` ↔ `X`: the letter after a gradient's `d` in the other case."""
    at = 1 if name.startswith("d") and len(name) > 1 and name[1].isalpha() else 0
    return name[:at] + (str.upper if upper else str.lower)(name[at]) + name[at + 1:]


def _is_chain(node) -> bool:
    return isinstance(node, s.BinOp) and node.op in (s.JUXTAPOSE, s.CDOT)


class _Notation(Transformer):
    """Slide and LaTeX notation, parse tree → `syntax` nodes (a part of `parse._ToSyntax`)."""

    def _odd(self, kind: str, subject, span: s.Span, written: str = "",
             readings: tuple = ()) -> _Odd:
        """Record a part that cannot be built and stand it in for its node: the rule being
        built is then refused, worded by validate.py (the first part recorded, in building
        order, is the one reported), and nothing is raised while building."""
        odd = _Odd(kind, subject, span, written, readings)
        self.odd.append(odd)
        return odd

    # -- names with layer marks, transposes, primes: W^{[2]T}, dz^[1], W_{2}, Y^*, g'
    def _layered(self, base, spec: str, span: s.Span, written: str, where: s.Span):
        """`base` with the layer mark `spec`, spanning `span`; an odd part points at `where`."""
        if isinstance(base, _Primed):  # g'^{[1]}
            return _Primed(self._layered(base.name, spec, span, written, where), span)
        found = layered(base.id, spec) if isinstance(base, s.Name) and \
            not re.search(r"\d$", base.id) else None
        if found is None:  # not a name, a name with its layer already, or not a layer
            return self._odd("mark", base, where, written)
        if re.fullmatch(r"d?[WbZAza]", base.id):  # a quantity, never a function: dZ^{[l]}(A)
            self.quantities.add(base.span[0])
        return s.Name(found, (base.span[0], span[1]))

    @v_args(meta=True)
    def layer_mark(self, meta, children):
        _open, (layer, written, number), close, tee = children
        return _LayerMark(layer, written, number, tee is not None, close.end_pos, _span(meta))

    @v_args(meta=True)
    def layer_number(self, meta, children):
        sign, number = children
        return (sign or "") + number, self._source(_span(meta)), True

    @v_args(meta=True)
    def layer_generic(self, meta, children):
        name, sign, number = children
        return name + (sign or "") + (number or ""), self._source(_span(meta)), False

    @v_args(meta=True)
    def mark(self, meta, children):
        base, mark = children
        named = (meta.start_pos, mark.named_end)  # W[2] of W[2]T
        node = self._layered(base, mark.layer, named, self._source(mark.span), _span(meta))
        # W'^[2]T: the prime before the mark, with no bracket after, is a transpose too
        return s.Transpose(self._finish(node), _span(meta)) if mark.transposed else node

    @v_args(meta=True)
    def subscript(self, meta, children):
        base, _sub, (layer, written) = children
        return self._layered(base, layer, _span(meta), f"_{{{written}}}", _span(meta))

    def sub(self, children):
        item = children[0]
        return item if isinstance(item, tuple) else (str(item), str(item))

    @v_args(meta=True)
    def subitem(self, meta, children):
        # the layer (its tokens, no spaces) and how it was written; W_{[2]T}: the mark's
        # layer, its transpose unread, as ever
        mark = children[0]
        if isinstance(mark, _LayerMark):
            return mark.layer, mark.written
        return "".join(c for c in children if c is not None), self._source(_span(meta))

    @v_args(meta=True)
    def primed(self, meta, children):
        base, _prime = children
        if isinstance(base, s.Name):
            return _Primed(base, _span(meta))
        return s.Transpose(self._finish(base), _span(meta))

    @v_args(meta=True)
    def accent(self, meta, children):
        accent, base = children
        if hasattr(base, "type"):  # \hat Y: a NAME token
            base = s.Name(canonical_name(base), _tok_span(base))
        if not isinstance(base, s.Name):
            return self._odd("accent", base, base.span)
        return s.Name(base.id + _ACCENTS[str(accent)], _span(meta))

    @v_args(meta=True)
    def font(self, meta, children):
        _font, base = children
        return s.Name(base.id, _span(meta)) if isinstance(base, s.Name) else base

    @v_args(meta=True)
    def superscript(self, meta, children):
        base, sup, items = children
        node = base
        for kind, value, span in items:
            whole = (base.span[0], span[1])
            if kind == "mark":
                named = (whole[0], value.named_end)
                node = self._layered(node, value.layer, named, "^" + self._source(value.span),
                                     _span(meta))
                if value.transposed:
                    node = s.Transpose(self._finish(node), whole)
            elif kind == "layer":
                node = self._textbook(node, value, whole, _span(meta))
            elif kind == "power" and self._bare_layer(node, meta.start_pos, span):
                # w^2 where the formula writes Nielsen's bare layers (w^l): layer 2
                written = self._source(span).strip("{} ")
                layer = _TextbookLayer(written, "^" + self._source(span), True, BARE)
                node = self._ambiguous_power(node, written, whole) or \
                    self._textbook(node, layer, whole, _span(meta))
            elif kind == "T":
                node = s.Transpose(self._finish(node), whole)
            elif kind == "-T":
                power = s.BinOp(s.SUPERSCRIPT, self._finish(node), s.Number(-1.0, "-1", span),
                                whole, _tok_span(sup))
                node = s.Transpose(power, whole)
            elif kind == "star":
                node = s.Name(node.id + "_star", whole) if isinstance(node, s.Name) else \
                    self._odd("star", node, whole)
            elif kind == "prime":
                node = _Primed(node, whole) if isinstance(node, s.Name) else \
                    s.Transpose(self._finish(node), whole)
            else:  # a power: A^2, A^{-1}
                node = s.BinOp(s.SUPERSCRIPT, self._finish(node), s.Number(value, self._source(span)
                               .strip("{}^ "), span), whole, _tok_span(sup))
        return replace(node, span=_span(meta))  # with the closing brace of ^{...}

    @v_args(meta=True)
    def transposed(self, meta, children):
        return s.Transpose(self._finish(children[0]), _span(meta))

    def sup(self, children):
        # a textbook's layer comes as a list: the layer and what follows it (^{(k)\top})
        return children[0] if isinstance(children[0], list) else list(children)

    # -- textbook layers: Nielsen's w^l, \delta^{l+1}; Goodfellow's and d2l's W^{(k)}, h^{(k-1)\top}
    @v_args(meta=True)
    def letter_layer(self, meta, children):
        name, sign, number, after = (list(children) + [None] * 3)[:4]
        layer = str(name) + (str(sign) + str(number) if sign is not None else "")
        written = "^" + self._source(_span(meta))
        return [("layer", _TextbookLayer(layer, written, False, BARE), _span(meta))] + \
            ([after] if after is not None else [])

    @v_args(meta=True)
    def mark_example(self, meta, children):
        # dz^{[1](i)}: the layer mark, then example i (with what follows it, ^{[1](i)T})
        mark, (layer, _written, number), after = children
        span = _span(meta)
        return [("mark", mark, span),
                ("layer", _TextbookLayer(layer, "^" + self._source(span), number, PARENTHESISED),
                 span)] + ([after] if after is not None else [])

    @v_args(meta=True)
    def paren_layer(self, meta, children):
        (layer, _written, number), after = children
        written = "^" + self._source(_span(meta))
        return [("layer", _TextbookLayer(layer, written, number, PARENTHESISED), _span(meta))] + \
            ([after] if after is not None else [])

    def _bare_layer(self, node, start: int, span: s.Span) -> bool:
        """Whether the number after `^` is a layer: on Nielsen's own names (`w^2`,
        `\\delta^2`), and in a formula written with Nielsen's layers (`w^l`, `\\delta^2`) on
        any name that takes a layer and has none of its own (`a^1`); else a power (`A^2`,
        and `(a^l)^2`, a name in brackets or with its layer already)."""
        return isinstance(node, s.Name) and node.span[0] == start and \
            node.span[0] not in self.quantities and self._source(span).strip("{} ").isdigit() \
            and (node.id in NIELSEN_NAMES or (self.bare_layers and node.id in LAYER_BASES))

    def _ambiguous_power(self, node: s.Name, number: str, span: s.Span):
        """`a^2` in a formula for a generic layer (`\\delta^l = ... (1 - a^2)`), where the
        course's generic `a` is a quantity too: layer 2 or a square, refused with both."""
        if not self.generic_letters or node.id in NIELSEN_NAMES:
            return None
        return self._odd("readings", node, span, "", (
            f"layer {number}, {node.id}^{{[{number}]}}",
            f"a power of the generic layer's {node.id}, ({node.id}^l)^{{{number}}}"))

    def _textbook(self, base, layer: _TextbookLayer, span: s.Span, where: s.Span):
        """`base` with a textbook's layer, named as the course names it: Nielsen's
        `\\delta^l` is dz, Goodfellow's `h^{(k-1)}` a_prev (textbooks.py)."""
        if layer.style == PARENTHESISED and not layer.number and layer.layer[0] not in "lkL":
            if isinstance(base, s.Name) and re.fullmatch(r"[a-z]", layer.layer):
                return column(s.Name(_cased(base.id, True), base.span),  # x^{(i)}: X's
                              s.Name(_cased(base.id, False), base.span), layer.layer, span)
            return self._odd("example", base, where, layer.written)
        spec = "l" + layer.layer[1:] if layer.layer[0] == "k" else layer.layer
        if layered("W", spec) is None:  # e^x, A^n: no layer, and no power shapecheck reads
            return self._odd("letter", base, where, layer.written)
        if not isinstance(base, s.Name) or re.search(r"\d$", base.id):
            return self._layered(base, spec, span, layer.written, where)  # worded as a mark's
        mapped = textbook_base(base.id, layer.style, self.marked, layer.written, layer.layer)
        if isinstance(mapped, tuple):
            return self._odd("readings", base, where, layer.written, mapped)
        return self._layered(s.Name(mapped, base.span), spec, span, layer.written, where)

    # -- \nabla_{W^{(k)}} J, \nabla_a C: the gradient of the cost, the name dW
    @v_args(meta=True)
    def nabla(self, meta, children):
        # validate checked that the last child is the cost
        if len(children) == 2:  # \nabla_a: the letter ends the token
            tok = children[0]
            var = s.Name(str(tok)[-1], (tok.end_pos - 1, tok.end_pos))
        else:
            var = children[2]
        if var.id == "a" and var.span[1] - var.span[0] == 1:
            # Nielsen's \nabla_a C, with respect to the output activations a^L
            if self.marked:
                return self._odd("readings", var, _span(meta), "", (
                    "Nielsen's gradient with respect to the output activation a^L",
                    "a gradient with respect to a pre-activation a^{(k)}, as Goodfellow "
                    "writes it"))
            var = s.Name("aL", var.span)
        return s.Name("d" + var.id, _span(meta))

    @v_args(meta=True)
    def nabla_font(self, meta, children):
        return s.Name(canonical_name(children[1]), _span(meta))

    @v_args(meta=True)
    def sup_transpose(self, meta, children):
        return ("T", None, _span(meta))

    @v_args(meta=True)
    def sup_inverse_transpose(self, meta, children):
        return ("-T", None, _span(meta))

    @v_args(meta=True)
    def sup_star(self, meta, children):
        return ("star", None, _span(meta))

    @v_args(meta=True)
    def sup_prime(self, meta, children):
        return ("prime", None, _span(meta))

    @v_args(meta=True)
    def sup_mark(self, meta, children):
        return ("mark", children[0], _span(meta))

    @v_args(meta=True)
    def sup_power(self, meta, children):
        value = float(children[-1])
        return ("power", -value if str(children[0]) == "-" else value, _span(meta))

    # -- ∂J/∂W as the name dW; ∂A1/∂Z1 (no cost on top) a Jacobian
    @v_args(meta=True)
    def gradient(self, meta, children):
        # one name on top and one below (validate checked them)
        top, var = (c for c in children if not hasattr(c, "type"))
        if isinstance(top, s.Call) and top.func in s.COST_NAMES and not top.namespaced:
            top = s.Name(top.func, top.func_span)  # the cost with its arguments: J(W), L(ŷ, y)
        if not isinstance(top, s.Name):  # an expression on top: its own cost
            return self._gradient_of(top, s.Name("d" + var.id, _span(meta)), _span(meta))
        if top.id not in s.COST_NAMES:
            return s.Jacobian(top, var, _span(meta))
        return s.Name("d" + var.id, _span(meta))

    @v_args(meta=True)
    def dop(self, meta, children):
        var = next(c for c in children if not hasattr(c, "type"))
        return s.Name("d" + var.id, _span(meta))

    @v_args(meta=True)
    def doperator(self, meta, children):
        name, operand = children
        return self._gradient_of(self._finish(operand), name, _span(meta))

    def _gradient_of(self, cost, name: s.Name, span: s.Span):
        """∂f/∂X of an expression f: read only as the whole left side, so it starts the
        formula; anywhere else it is refused where it is (validate words it)."""
        gradient = _Gradient(name, cost, span)
        if self.text[:span[0]].strip():
            return self._odd("unfinished", gradient, span)
        return gradient

    @v_args(meta=True)
    def abs(self, meta, children):
        (inner,) = children
        return s.Call("abs", (self._finish(inner),), (), _span(meta), _span(meta),
                      namespaced=True)

    @v_args(meta=True)
    def frac(self, meta, children):
        op, top, bottom = children
        return s.BinOp("/", self._finish(top), self._finish(bottom), _span(meta), _tok_span(op))

    @v_args(meta=True)
    def over(self, meta, children):
        top, op, bottom = children
        return s.BinOp("/", self._finish(top), self._finish(bottom), _span(meta), _tok_span(op))

