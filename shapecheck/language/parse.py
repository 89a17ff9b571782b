"""Text → syntax tree. The only module that knows the grammar's rule names.

`parse_equation` parses with the prebuilt LALR tables (`tables.py`), words a refused
formula's message (`diagnose.py`), and turns the tree into `syntax` nodes with `_ToSyntax`
(numpy expressions and LaTeX function commands here, slide/LaTeX names in `notation.py`).
"""
from __future__ import annotations

import re
from dataclasses import replace

from lark import Lark, Token, Tree, v_args
from lark.exceptions import UnexpectedInput

from .. import functions
from .. import syntax as s
from ..errors import FormulaSyntaxError
from . import columns, sums, validate
from .diagnose import notation_problem, syntax_error
from .notation import (_Attribute, _dotted, _Function, _Gradient, _is_chain, _LayerMark, _Notation, _Odd,
                       _Primed, _span, _tok_span, canonical_name)
from .textbooks import D2L_PROD, NIELSEN_NAMES
# re-exported: the tables' developer step and the tests reach them through this module
from .tables import LEXER, _grammar_digest, _grammar_dir, _load_parser, write_tables  # noqa: F401

# numpy's namespaces: `np.sum` and `numpy.linalg.inv` are the functions `sum`, `linalg.inv`
NAMESPACES = validate.NAMESPACES

_parser: Lark | None = None


def parser() -> Lark:
    global _parser
    if _parser is None:
        _parser = _load_parser()
    return _parser


_OPERATORS = {"\\odot": "*", "\\circ": "*", "\\ast": "*", "⊙": "*", "∘": "*", "\\div": "/",
              "÷": "/", "\\times": s.TIMES, "×": s.TIMES, "\\otimes": s.OTIMES, "⊗": s.OTIMES}


class _ToSyntax(_Notation):
    """Parse tree → `syntax` nodes. Builds nodes only; meaning is decided later."""

    def __init__(self, text: str, terminals, tree=None):
        super().__init__()
        self.text = text
        self.terminals = terminals  # the grammar's, to tell a misplaced command from unknown
        self.odd: list[_Odd] = []  # parts the builders could not build, in building order
        # the textbook notation the formula shows, which decides what its names mean:
        # Nielsen's bare layers (w^l), and the names written with parenthesised ones (W^{(k)})
        self.bare_layers = tree is not None and _bare_layers(tree)
        self.generic_letters = tree is not None and any(  # w^l, z^{k-1}: a generic layer
            str(letter.children[0])[:1] in "lk" for letter in tree.find_data("letter_layer"))
        self.marked = _parenthesised_names(tree) if tree is not None else frozenset()
        # where the names a layer made a quantity start (dZ^{[l]}, \delta^l, h^{(k)}): a
        # bracket after one is a factor, `\delta^l (a^{l-1})^T`, never its argument
        self.quantities: set[int] = set()

    def _call_userfunc(self, tree, new_children=None):
        """A rule's node, or a `Refused` one: its first refused child, else its own check's
        problem (validate.CHECKS), else the first part its builder recorded as odd, as
        validate words it."""
        children = new_children if new_children is not None else tree.children
        refused = next((c for c in children if isinstance(c, validate.Refused)), None)
        if refused is not None:
            return refused
        check = validate.CHECKS.get(tree.data)
        problem = check(self, tree.meta, children) if check else None
        if problem:
            return validate.Refused(*problem)
        recorded = len(self.odd)
        node = super()._call_userfunc(tree, new_children)
        if len(self.odd) > recorded:
            return validate.Refused(*validate.word(self, self.odd[recorded]))
        return node

    def _source(self, span: s.Span) -> str:
        return self.text[span[0]:span[1]]

    @v_args(meta=True)
    def start(self, meta, children):
        return children[0]

    @v_args(meta=True)
    def equation(self, meta, children):
        lhs, rhs = children
        if isinstance(lhs, _Gradient):  # ∂(a^T X^T b)/∂X: dX, of its own cost
            return s.Equation(lhs.name, self._finish(rhs), self.text, _span(meta), lhs.cost)
        return s.Equation(self._lhs(self._finish(lhs)), self._finish(rhs), self.text, _span(meta))

    def _lhs(self, node) -> s.Name:
        """The left side is one name (validate checked it); `dJ/dW` is the name dW."""
        return s.Name(node.right.id, node.span) if validate.is_gradient_name(node) else node

    def _finish(self, node):
        """A node as a finished sub-expression: a marker left waiting for what follows (`.name`,
        `\\sigma` with no argument) is recorded as odd."""
        if isinstance(node, _Attribute) and node.name == "shape":
            # `x.shape`: numpy's np.shape(x), the tuple of x's sizes
            return s.Call("shape", (self._finish(node.obj),), (), node.span, node.span,
                          namespaced=True)
        if isinstance(node, (_Attribute, _Function, _Gradient)):
            return self._odd("unfinished", node, node.span)
        if isinstance(node, _Primed):
            return s.Transpose(node.name, node.span)  # X' with no bracket after it
        if _is_chain(node) and isinstance(node.right, _Primed):
            return replace(node, right=self._finish(node.right))
        return node

    @v_args(meta=True)
    def binop(self, meta, children):
        left, op, right = children
        return s.BinOp(_OPERATORS.get(str(op), str(op)), self._finish(left), self._finish(right),
                       _span(meta), _tok_span(op))

    compare = binop

    @v_args(meta=True)
    def signed(self, meta, children):
        sign, operand = children
        operand = self._finish(operand)
        return s.Neg(operand, _span(meta)) if str(sign) == "-" else operand

    @v_args(meta=True)
    def number(self, meta, children):
        tok = children[0]
        return s.Number(float(tok), str(tok), _tok_span(tok))

    @v_args(meta=True)
    def name(self, meta, children):
        tok = children[0]
        return s.Name(canonical_name(tok), _tok_span(tok))

    @v_args(meta=True)
    def attribute(self, meta, children):
        obj, name = children
        if str(name) == "T" and not isinstance(obj, _Attribute):
            return s.Transpose(self._finish(obj), _span(meta))
        return _Attribute(obj, str(name), _span(meta))

    @v_args(meta=True)
    def index(self, meta, children):
        obj, name, mark = children
        return s.Index(self._finish(obj), str(name), int(mark.layer), _span(meta))

    @v_args(meta=True)
    def slice(self, meta, children):
        # x[:, :, t]: np.take(x, t, axis=2), one item a name or a whole number, the others `:`
        obj, tok = children
        items = [i.strip() for i in str(tok)[1:-1].split(",")]
        at = [k for k, item in enumerate(items) if item != ":"]
        if len(at) != 1:
            return self._odd("slice", obj, _tok_span(tok), str(tok))
        item, span = items[at[0]], _tok_span(tok)
        index = s.Number(float(item), item, span) if item.isdigit() else s.Name(item, span)
        axis = s.Keyword("axis", s.Number(float(at[0]), str(at[0]), span), span)
        return s.Call("take", (self._finish(obj), index), (axis,), _span(meta), span,
                      namespaced=True)

    def arguments(self, children):
        return [self._finish(self._typed(c)) if not isinstance(c, s.Keyword) else c
                for c in children if c is not None]

    def _typed(self, node):
        """`np.int64` as an argument: a type, read as written (a function's record says
        where it takes one)."""
        dotted = _dotted(node) if isinstance(node, _Attribute) else None
        if dotted is not None and dotted.split(".")[0] in NAMESPACES:
            return s.Literal(self._source(node.span), dotted.split(".", 1)[1], node.span)
        return node

    @v_args(meta=True)
    def string(self, meta, children):
        tok = children[0]
        return s.Literal(str(tok), str(tok)[1:-1], _tok_span(tok))

    @staticmethod
    def _types(func: str, args: tuple) -> tuple:
        """A bare name where the function takes a type (`.astype(float)`) is that type."""
        record = functions.lookup(func)
        if record is None or not record.types:
            return args
        return tuple(s.Literal(a.id, a.id, a.span)
                     if isinstance(a, s.Name) and i in record.written else a
                     for i, a in enumerate(args))

    @v_args(meta=True)
    def keyword(self, meta, children):
        name, value = children
        return s.Keyword(str(name), self._finish(value), _span(meta))

    def _split(self, arguments, span):
        """Positional arguments and keywords (validate checked that the keywords come last)."""
        arguments = arguments or []
        return (tuple(a for a in arguments if not isinstance(a, s.Keyword)),
                tuple(a for a in arguments if isinstance(a, s.Keyword)))

    @v_args(meta=True)
    def call(self, meta, children):
        name, arguments = children
        args, kwargs = self._split(arguments, _span(meta))
        return s.Call(canonical_name(name), args, kwargs, _span(meta), _tok_span(name))

    @v_args(meta=True)
    def method(self, meta, children):
        obj, name, arguments = children
        args, kwargs = self._split(arguments, _span(meta))
        func_span = (obj.span[0], name.end_pos)
        dotted = _dotted(obj)
        if dotted is not None and dotted.split(".")[0] in NAMESPACES:
            func = ".".join(dotted.split(".")[1:] + [str(name)])
            return s.Call(func, self._types(func, args), kwargs, _span(meta), func_span,
                          namespaced=True)
        if str(name) == "transpose" and not args and not kwargs:
            return s.Transpose(self._finish(obj), _span(meta))
        args = self._types(str(name), (self._finish(obj),) + args)
        return s.Call(str(name), args, kwargs, _span(meta), _tok_span(name), method=True)

    @v_args(meta=True)
    def tuple(self, meta, children):
        return s.Tuple(tuple(self._finish(c) for c in children if c is not None), _span(meta))

    # -- juxtaposition: a product, or a function applied to the bracket that follows it
    @v_args(meta=True)
    def juxtapose(self, meta, children):
        left, right = children
        last = left.right if _is_chain(left) else left
        if isinstance(last, (s.Name, _Primed)) and self._bracket_follows(last, right) and \
                not (isinstance(last, s.Name) and last.span[0] in self.quantities):
            # `g^{[1]}(Z^{[1]})`, `g[1]'(Z[1])`: the bracket is the argument (meaning.py
            # makes `W^{[2]}(A)` a product again where W2 is a variable)
            applied = self._applied(last, right, meta.end_pos)
            if _is_chain(left):
                return replace(left, right=applied, span=_span(meta))
            return applied
        left = self._finish(left)
        right = right if isinstance(right, _Primed) else self._finish(right)
        return s.BinOp(s.JUXTAPOSE, left, right, _span(meta), (left.span[1], right.span[0]))

    @v_args(meta=True)
    def cdot(self, meta, children):
        left, op, right = children
        right = right if isinstance(right, _Primed) else self._finish(right)
        return s.BinOp(s.CDOT, self._finish(left), right, _span(meta), _tok_span(op))

    def _gap(self, before, after) -> str:
        """The text between two nodes, without spaces and bracket sizes (`\\left`)."""
        gap = self.text[before.span[1]:after.span[0]]
        return re.sub(r"\s|\\(?:left|[bB]igg?l?)(?![A-Za-z])", "", gap)

    def _bracket_follows(self, last, right) -> bool:
        gap = self._gap(last, right)
        return gap.startswith("(") or (not gap and self.text.startswith("(", right.span[0]))

    def _applied(self, func, right, end: int):
        """`func` applied to the bracket that starts `right`; a postfix after the bracket
        (`g'(Z)^2`, `g'(Z).T`) applies to the result."""
        bracket = self._gap(func, right)
        inner = right.operand if isinstance(right, s.Transpose) else \
            right.left if isinstance(right, s.BinOp) and right.op in ("**", s.SUPERSCRIPT) else None
        if not bracket.startswith("(") and inner is not None:
            close = self._closing(right.span[0])
            if inner.span[1] <= close:
                applied = self._applied(func, inner, close)
                if isinstance(right, s.Transpose):
                    return s.Transpose(applied, (func.span[0], right.span[1]))
                return replace(right, left=applied, span=(func.span[0], right.span[1]))
        args = right.items if isinstance(right, s.Tuple) else (self._finish(right),)
        span = (func.span[0], end)
        if isinstance(func, _Primed):
            return s.Derivative(func.name.id, args, span, func.span)
        return s.Call(func.id, args, (), span, func.span)

    def _closing(self, start: int) -> int:
        """The offset just after the bracket that closes the one at `start`."""
        depth = 0
        for i in range(start, len(self.text)):
            depth += {"(": 1, ")": -1}.get(self.text[i], 0)
            if depth == 0:
                return i + 1
        return len(self.text)

    # -- functions written as LaTeX commands
    @v_args(meta=True)
    def fhead(self, meta, children):
        if len(children) == 1:
            record = functions.command(str(children[0]))  # \sigma, \log: the table's
            return _Function(record.name, _span(meta), numpy=record.numpy)
        name = canonical_name(children[1])
        record = functions.text_command(name)  # \operatorname{Tr}, \text{Tr}: the table's
        if record is not None:  # (written without np.: \operatorname{diag} of a column is
            return _Function(record.name, _span(meta))  # ambiguous, np.diag's is not)
        return _Function(functions.slide_name(name), _span(meta))

    @v_args(meta=True)
    def fhead_limits(self, meta, children):
        # \sum_{i=1}^{m} (validate checked its limits): a sum over examples, for meaning
        return _Function(sums.EXAMPLE_SUM, _span(meta), limits=sums.limits(str(children[0])))

    @v_args(meta=True)
    def fhead_decorated(self, meta, children):
        head, mark = children[0], children[-1]
        items = mark if isinstance(mark, list) else [] if isinstance(mark, _LayerMark) else \
            [("prime", None, _tok_span(mark))]
        primed = head.primed
        # a layer mark on \sigma changes nothing (validate refuses any other superscript)
        primed = head.primed or any(kind == "prime" for kind, _value, _where in items)
        return _Function(head.func, _span(meta), primed, head.numpy)

    @v_args(meta=True)
    def apply(self, meta, children):
        head, operand = children
        return self._function(head, (self._finish(operand),), (), _span(meta))

    @v_args(meta=True)
    def fcall(self, meta, children):
        head, arguments = children
        args, kwargs = self._split(arguments, _span(meta))
        return self._function(head, args, kwargs, _span(meta))

    def _function(self, head: _Function, args, kwargs, span):
        if head.func == "prod" and not head.numpy and self._source(head.span).startswith("\\"):
            # d2l's \text{prod}(A, B): meaning arranges it (numpy's np.prod is another thing)
            return s.Call(D2L_PROD, tuple(args), tuple(kwargs), span, head.span)
        if head.limits is not None:
            return s.Call(head.func, args, sums.keywords(head.limits, head.span), span, head.span)
        if head.primed:
            return s.Derivative(head.func, args, span, head.span)
        return s.Call(head.func, args, kwargs, span, head.span, namespaced=head.numpy)


def _bare_layers(tree) -> bool:
    """Whether a parse tree shows Nielsen's bare layers: `w^l`, or a number after one of
    his own names (`\\delta^2`, `w^3`)."""
    if any(tree.find_data("letter_layer")):
        return True
    return any(len(sub.children) == 3 and isinstance(sub.children[2], Tree)
               and _names_a_number(sub.children[2])
               and _base(sub.children[0]) in NIELSEN_NAMES
               for sub in tree.find_data("superscript"))


def _names_a_number(sup: Tree) -> bool:
    return len(sup.children) == 1 and isinstance(sup.children[0], Tree) and \
        sup.children[0].data == "sup_power" and str(sup.children[0].children[-1]).isdigit()


def _base(symbol) -> str | None:
    """The name a superscripted symbol starts with: 'delta' for `\\delta`, 'h' for
    `\\boldsymbol{h}`."""
    if not isinstance(symbol, Tree):
        return None
    name = next(symbol.scan_values(
        lambda v: isinstance(v, Token) and v.type in ("NAME", "COMMAND")), None)
    return canonical_name(name) if name is not None else None


def _parenthesised_names(tree) -> frozenset[str]:
    """The names a parse tree writes with a parenthesised layer: {'h', 'W'} for
    `\\nabla_{W^{(k)}} J = g h^{(k-1)\\top}`."""
    found = set()
    for sub in tree.find_data("superscript"):
        sup = sub.children[-1]
        if isinstance(sup, Tree) and sup.children and isinstance(sup.children[0], Tree) \
                and sup.children[0].data == "paren_layer":
            name = _base(sub.children[0])
            if name is not None:
                found.add(name)
    return frozenset(found)


def parse_equation(text: str) -> s.Equation:
    """`parse_equation("dW2 = 1/m * dZ2 @ A1.T")` → Equation(lhs=Name('dW2'), rhs=BinOp(...))."""
    try:
        tree = parser().parse(text)
    except UnexpectedInput as e:
        problem = notation_problem(text)
        if problem:
            raise FormulaSyntaxError(problem[0], text, problem[1]) from None
        raise syntax_error(e, text) from None
    eq = validate.report(_ToSyntax(text, parser().terminals, tree).transform(tree), text)
    try:  # x^{(i)}: column i of X inside a sum over examples, one example's x outside any
        return replace(eq, lhs=columns.examples_read(eq.lhs), rhs=columns.examples_read(eq.rhs))
    except columns.ExampleIndexError as e:
        raise FormulaSyntaxError(e.args[0], text, e.args[1]) from None


if __name__ == "__main__":
    print("wrote", write_tables())
