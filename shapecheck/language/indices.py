"""Index notation as derivations write it: entries `Y_i`, `W_{kl}`, `[HW + B]_i`,
`\\left[\\frac{\\partial J}{\\partial W}\\right]_{kl}`, sums `\\sum_j`, `\\sum_{i=1}^{m}`,
Kronecker `\\delta_{ik}`, and partial derivatives of the cost or of an entry by an entry
(`\\frac{\\partial Y_i}{\\partial B_k}`, and the operator form
`\\frac{\\partial}{\\partial W_{kl}} ...`).

    read_member(r"\\sum_j H_j W_{ji}", names={"H", "W"})
    # -> Sum('j', None, None, Product(Entry(Sym('H'), ('j',)), Entry(Sym('W'), ('j', 'i'))))

A small recursive-descent reader of its own (the formula grammar reads one equation of
matrices; this reads one member of a derivation, whose values are arrays over index
axes: shapecheck.numeric.indexed evaluates it). Decisions:

* a run of letters is a name where `names` (the model's quantities and sizes) or the
  function table knows it, else one name per letter (`HW` is H times W);
* a subscript of digits keeps its layer meaning (`W_2` is W2), a subscript of one or two
  letters makes an entry, one index a letter (`W_{kl}`, `W_{k,l}`); a longer word is part
  of a name (`A_prev`, `x_max`), as is any subscript that makes a model's name;
* `\\sum` and the operator `\\frac{\\partial}{\\partial X}` apply to the rest of the product
  they start (`\\sum_j 2 (Y_j - Y^*_j) \\delta_{ij}` sums the three factors);
* juxtaposition and `\\cdot` multiply (matrices: the matrix product), `*` and `\\odot` are
  element-wise, `^T` and `^\\top` transpose, `^*` stars a name (`Y^*` is Y_star);
* Nielsen's bare layers make Layered names (`b^l_j` is entry j of b at layer l, `\\delta^2`
  dz2), a number a layer where the formula grammar reads one (textbooks.bare_layer).
"""
from __future__ import annotations

import re
from typing import Collection

from ..errors import FormulaSyntaxError
from ..errors import FormulaSyntaxError as ParseError
from .. import functions
from .index_terms import (Apply, Bin, Delta, Entry, Layered, Neg, Num, Partial, Power, Sum, Sym,
                          Transposed, free_indices, uses_indices)
from .members import maybe_indexed, split_members
from .notation import layered
from .textbooks import BARE, bare_layer, nielsen_layers, textbook_base

__all__ = ["Apply", "Bin", "Delta", "Entry", "Layered", "Neg", "Num", "Partial", "Power", "Sum",
           "Sym", "Transposed", "free_indices", "read_member", "split_members", "uses_indices",
           "written_with_indices"]


_TOKEN = re.compile(r"""
    (?P<space>\s+|\\[,;:!\ ]|\\q?quad\b|~)
  | (?P<open>\\(?:left|[bB]igg?l?)\s*[\[(])
  | (?P<close>\\(?:right|[bB]igg?r?)\s*[\])])
  | (?P<command>\\[A-Za-z]+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<word>[A-Za-z][A-Za-z0-9]*)
  | (?P<char>[{}()\[\]_^'+\-*/=,])
""", re.VERBOSE)
_PRODUCT_COMMANDS = {"\\cdot": "prod", "\\times": "prod", "\\odot": "*", "\\circ": "*"}
_FUNCTION_COMMANDS = {"\\sigma": "sigma", "\\phi": "phi", "\\ln": "log"}  # open ones, ln
_TRANSPOSE = ("T", "\\top", "\\intercal")
_ACCENTS = {"\\hat": "hat", "\\bar": "bar", "\\tilde": "tilde"}
_FONTS = ("\\mathbf", "\\boldsymbol", "\\mathrm", "\\operatorname", "\\text", "\\mathit")
_OPEN_LETTERS = ("f", "g", "h")


def read_member(text: str, names: Collection[str] = (), nielsen: str | None = None) -> object:
    """The tree of one member of a derivation; ParseError (with a span) if not read.
    `nielsen`: how the derivation shows Nielsen's layers (textbooks.nielsen_layers)."""
    return _Reader(text, set(names), nielsen).member()


def operator_form(texts) -> bool:
    """True when a derivation starts with the operator `\\frac{\\partial}{\\partial x} f` (the
    derivative of an expression, not of the cost) and every member reads here."""
    try:
        trees = [read_member(text, nielsen=nielsen_layers(texts)) for text in texts]
    except FormulaSyntaxError:
        return False
    first = trees[0]
    return isinstance(first, Partial) and not isinstance(first.body, Sym) or \
        isinstance(first, Bin) and isinstance(first.right, Partial) and first.op == "prod"


def written_with_indices(texts) -> bool:
    """True when some member of a derivation is written in index notation."""
    nielsen = nielsen_layers(texts)
    for text in texts if maybe_indexed(texts) else ():  # no subscript: no index to read
        try:
            if uses_indices(read_member(text, nielsen=nielsen)):
                return True
        except FormulaSyntaxError:
            continue
    return False


class _Reader:
    def __init__(self, text: str, names: set[str], nielsen: str | None = None):
        self.text, self.names, self.nielsen = text, names, nielsen
        self.tokens: list[tuple[str, str, int]] = []
        at = 0
        while at < len(text):
            m = _TOKEN.match(text, at)
            if m is None:
                raise ParseError(f"'{text[at]}' is not read in index notation", text, (at, at + 1))
            kind = m.lastgroup
            if kind != "space":
                value = m.group()
                if kind in ("open", "close"):
                    kind, value = "char", value[-1]
                self.tokens.append((kind, value, m.start()))
            at = m.end()
        self.i = 0

    # --- tokens ---
    def peek(self, offset: int = 0) -> tuple[str, str, int]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else ("end", "", len(self.text))

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        self.i += 1
        return token

    def is_(self, value: str, offset: int = 0) -> bool:
        return self.peek(offset)[1] == value and self.peek(offset)[0] != "end"

    def expect(self, value: str) -> int:
        kind, found, at = self.take()
        if found != value or kind == "end":
            shown = f"'{found}'" if kind != "end" else "the end"
            raise ParseError(f"expected '{value}', found {shown}", self.text,
                             (at, at + max(len(found), 1)))
        return at

    def fail(self, message: str):
        _, found, at = self.peek()
        raise ParseError(message, self.text, (at, at + max(len(found), 1)))

    # --- grammar ---
    def member(self):
        node = self.expr()
        if self.peek()[0] != "end":
            self.fail(f"'{self.peek()[1]}' is not read here")
        return node

    def expr(self):
        node = None
        if self.is_("-") or self.is_("+"):
            sign = self.take()[1]
            node = self.product()
            node = Neg(node) if sign == "-" else node
        else:
            node = self.product()
        while self.is_("+") or self.is_("-"):
            op = self.take()[1]
            node = Bin(op, node, self.product())
        return node

    def starts_factor(self) -> bool:
        kind, value, _ = self.peek()
        if kind in ("number", "word"):
            return True
        if kind == "command":
            return value not in _PRODUCT_COMMANDS and value != "\\right"
        return kind == "char" and value in ("(", "[")

    def product(self):
        node = self.factor()
        if isinstance(node, (Sum, Partial)) and node.body is None:
            return self.completed(node)
        while True:
            op = "prod"
            if self.is_("*") or self.is_("/"):
                op = self.take()[1]
            elif self.peek()[0] == "command" and self.peek()[1] in _PRODUCT_COMMANDS:
                op = _PRODUCT_COMMANDS[self.take()[1]]
            elif not self.starts_factor():
                return node
            right = self.factor()
            if isinstance(right, (Sum, Partial)) and right.body is None:
                return Bin(op, node, self.completed(right))
            node = Bin(op, node, right)

    def completed(self, node):
        """A sum or a ∂ operator: its body is the rest of the product."""
        if not self.starts_factor():
            self.fail("a sum or a derivative operator needs something to apply to")
        body = self.product()
        return Sum(node.index, node.start, node.end, body) if isinstance(node, Sum) \
            else Partial(body, node.var, node.indices, node.at)

    def factor(self):
        return self.postfix(self.primary())

    def postfix(self, node):
        """Subscripts and superscripts on what precedes them."""
        while True:
            if self.is_("_"):
                bracketed = self.is_("]", -1)
                at = self.take()[2]
                node = self.subscripted(node, self.group_text(), at)
                if bracketed and isinstance(node, Entry):
                    node = Entry(node.base, node.indices, node.at, True)
            elif self.is_("^"):
                self.take()
                node = self.superscript(node)
            else:
                return node

    def group_text(self) -> str:
        """A braced group's tokens as text, or one token."""
        if not self.is_("{"):
            return self.take()[1]
        self.take()
        parts = []
        while not self.is_("}"):
            if self.peek()[0] == "end":
                self.fail("'{' is never closed")
            parts.append(self.take()[1])
        self.take()
        return "".join(parts)

    def subscripted(self, node, sub: str, at: int):
        """`W_2` is W2 (the layer), `A_{2,kl}` the entry kl of A2, `A_prev` a model's own
        name; other letters are indices: `W_{kl}`."""
        layer, comma, rest = sub.partition(",")
        if isinstance(node, Sym) and layer.strip().isdigit():
            node = Sym(node.name + layer.strip(), node.at)
            return Entry(node, self.indices(rest), at) if comma else node
        if isinstance(node, Sym) and (f"{node.name}_{sub}" in self.names
                                      or len(sub) > 2 and sub.isalpha()):
            return Sym(f"{node.name}_{sub}", node.at)  # A_prev, x_max: a name, not 4 indices
        return Entry(node, self.indices(sub), at)

    def indices(self, text: str) -> tuple[str, ...]:
        letters = text.replace(",", "")
        if not letters.isalpha():
            self.fail(f"the subscript '{text}' is not an index (a letter, or letters: W_{{kl}})")
        return tuple(letters)

    def superscript(self, node):
        if node == Sym("e", node.at if isinstance(node, Sym) else 0) and "e" not in self.names:
            return Apply("exp", self.braced() if self.is_("{") else self.primary(), False)
        text = self.group_text()
        if text in _TRANSPOSE:
            return Transposed(node)
        if text == "*" and isinstance(node, Sym):
            return Sym(node.name + "_star", node.at)
        layer = re.fullmatch(r"\[(\w+)\](T|\\top)?", text)
        if layer and layer.group(1).isdigit() and isinstance(node, Sym):  # W^{[2]}, A^{[1]T}
            named = Sym(node.name + layer.group(1), node.at)
            return Transposed(named) if layer.group(2) else named
        bare = self.bare_layer(node, text)
        if bare is not None:  # Nielsen's w^l, \delta^2
            return bare
        try:
            return Power(node, float(text))
        except ValueError:
            self.fail(f"the superscript '{text}' is not read (T, *, a layer [2] or a number)")

    def bare_layer(self, node, text: str) -> Layered | None:
        """`w^l`, `\\delta^2` (Sym('delta')) named as the formula grammar names them, or None:
        a model's own name (w^2 its square) or no layer (textbooks.bare_layer)."""
        if not isinstance(node, Sym) or text.isdigit() and node.name in self.names:
            return None
        try:
            spec = bare_layer(node.name, text, self.nielsen)
        except ValueError as e:
            raise ParseError(str(e), self.text, (node.at, self.peek(-1)[2] + 1)) from None
        name = spec and layered(textbook_base(node.name, BARE, frozenset()), spec)
        return Layered(name, node.at, True) if name else None

    def primary(self):
        kind, value, at = self.peek()
        if kind == "number":
            self.take()
            return Num(float(value))
        if value in ("(", "[") and kind == "char":
            self.take()
            inner = self.expr()
            self.expect(")" if value == "(" else "]")
            return inner
        if kind == "word":
            return self.word()
        if kind == "command":
            return self.command()
        self.fail(f"expected a quantity, found '{value}'" if kind != "end"
                  else "expected a quantity, found the end")

    def word(self):
        _, value, at = self.take()
        if value in self.names:
            return self.called(Sym(value, at))
        if value in _OPEN_LETTERS and [self.peek(k)[1] for k in range(7)][:3] == ["^", "{", "["] \
                and [self.peek(k)[1] for k in (4, 5, 6)] == ["]", "\\prime", "}"] \
                and self.peek(3)[0] == "number":  # g^{[1]\prime}(Z): as shapecheck prints g1'
            layer_of = self.peek(3)[1]
            self.i += 7
            return self.call(value + layer_of, prime=True)
        layer = self.layer_after()
        if layer and value + layer[0] in self.names:  # dW_2, dZ^{[2]}: one name
            self.i += layer[1]
            return self.called(Sym(value + layer[0], at))
        named = self.named_after(value)
        if named:  # dW_{hh}: a model's name (or its gradient's)
            return self.called(Sym(named, at))
        head = value.rstrip("0123456789")
        if head != value and head in self.names and len(head) > 1:
            return self.called(Sym(value, at))
        if functions.lookup(value) is not None and self.is_("("):
            return self.call(value)
        # `HW`: one name a letter; the last one may take a call, a subscript or a power
        node = None
        for offset, letter in enumerate(value):
            last = offset == len(value) - 1
            part = Sym(letter, at + offset)
            if last:  # `HW_{kl}`: the subscript is W's
                part = self.postfix(self.called(part))
            node = part if node is None else Bin("prod", node, part)
        return node

    def layer_after(self) -> tuple[str, int] | None:
        """The layer written right after a word (`_2`, `_{2}`, `^{[2]}`) and its tokens."""
        shapes = {("_", "2"): 2, ("_", "{", "2", "}"): 4, ("^", "{", "[", "2", "]", "}"): 6}
        for shape, count in shapes.items():
            found = [self.peek(k) for k in range(count)]
            if all(f[1] == s or s == "2" and f[0] == "number" for f, s in zip(found, shape)):
                return next(f[1] for f, s in zip(found, shape) if s == "2"), count
        return None

    def named_after(self, value: str) -> str | None:
        """`value_sub` where the subscript after a word makes a name of the model."""
        if not self.is_("_"):
            return None
        start = self.i
        self.take()
        sub = self.group_text()
        if f"{value}_{sub}" in self.names:
            return f"{value}_{sub}"
        self.i = start
        return None

    def called(self, sym: Sym):
        """`f(x)`, `f'(x)` where f is an activation left open (or a known function)."""
        name = sym.name
        if name in self.names and not (self.is_("'") or self.is_("(")):
            return sym
        if (name in _OPEN_LETTERS or name.rstrip("0123456789") in _OPEN_LETTERS
                or name in ("sigma", "phi")) and (self.is_("'") or self.is_("(")):
            return self.call(name)
        return sym

    def call(self, name: str, prime: bool = False):
        if self.is_("'"):
            self.take()
            prime = True
        if self.is_("{"):  # \sqrt{x}
            return Apply(name, self.braced(), prime)
        if not self.is_("("):  # \log a_j: the factor after it
            return Apply(name, self.factor(), prime)
        self.expect("(")
        arg = self.expr()
        self.expect(")")
        return Apply(name, arg, prime)

    def command(self):
        _, value, at = self.take()
        if value == "\\frac":
            return self.fraction(at)
        if value == "\\sum":
            return self.summation()
        if value == "\\delta" and self.is_("^"):  # Nielsen's \delta^l: dC/dz^l
            return self.layer_of(Sym("delta", at))
        if value == "\\delta":
            sub_at = self.expect("_")
            pair = self.indices(self.group_text())
            if len(pair) == 1 and self.is_("^"):  # \delta_j^l: entry j of Nielsen's \delta^l
                return Entry(self.layer_of(Sym("delta", at)), pair, sub_at)
            if len(pair) != 2:
                self.fail("a Kronecker delta takes two indices: \\delta_{ik}")
            return Delta(*pair)
        name = _FUNCTION_COMMANDS.get(value, value[1:])
        if value in _FUNCTION_COMMANDS and not (self.is_("(") or self.is_("'")):
            return Sym(name, at)  # \sigma^2: a name
        if value in _FUNCTION_COMMANDS or functions.lookup(name) is not None:
            return self.call(name)  # \exp(x), \log a_j, \sqrt{x}: the function table's
        if value in _ACCENTS:  # \hat{y} is y_hat, as the formula grammar reads it
            return Sym(f"{self.group_text()}_{_ACCENTS[value]}", at)
        if value in _FONTS:  # \mathbf{x}, \operatorname{softplus}(z): the name inside
            word = self.group_text()
            if functions.lookup(word) is not None and self.is_("("):
                return self.call(word)
            return self.called(Sym(word, at))
        if name in self.names or name.removeprefix("var") in self.names:
            return self.called(Sym(name if name in self.names else name.removeprefix("var"), at))
        raise ParseError(f"{value} is not read in index notation (nor a name of the model)",
                         self.text, (at, at + len(value)))

    def layer_of(self, node: Sym) -> Layered:
        self.expect("^")
        found = self.bare_layer(node, text := self.group_text())
        if found is None:
            self.fail(f"'{text}' after {node.name}^ is not a layer (l, l+1, l-1, L, a number)")
        return found

    def braced(self):
        self.expect("{")
        inner = self.expr()
        self.expect("}")
        return inner

    def fraction(self, at: int):
        if self.is_("{") and self.is_("\\partial", 1):
            self.take()
            self.take()
            body = None if self.is_("}") else self.expr()
            self.expect("}")
            self.expect("{")
            self.expect("\\partial")
            kind, var, var_at = self.take()
            if kind != "word":
                raise ParseError("expected the name ∂ is taken by", self.text,
                                 (var_at, var_at + 1))
            node = Sym(var, var_at)
            if self.is_("^"):  # ∂Y^*, ∂W^{[2]}, ∂b^l (a Layered name)
                self.take()
                node = self.superscript(node)
                if not isinstance(node, (Sym, Layered)):
                    self.fail("only ^*, a layer ^{[2]} or ^l is read on the variable of ∂")
            if self.is_("_"):
                self.take()
                node = self.subscripted(node, self.group_text(), var_at)
            self.expect("}")
            base = node.base if isinstance(node, Entry) else node
            return Partial(body, base.name if isinstance(base, Sym) else base,
                           node.indices if isinstance(node, Entry) else (), at)
        numerator = self.braced()
        return Bin("/", numerator, self.braced())

    def summation(self):
        index, start, end = None, None, None
        if self.is_("_"):
            self.take()
            lower = self.group_text()
            m = re.fullmatch(r"([A-Za-z])(?:=(\d+))?", lower)
            if m is None:
                self.fail(f"the sum's index '{lower}' is not read: \\sum_i or \\sum_{{i=1}}^{{m}}")
            index, start = m.group(1), m.group(2)
        if self.is_("^"):
            self.take()
            end = self.group_text()
        if index is None:
            self.fail("a sum names its index: \\sum_i")
        return Sum(index, start, end, None)
