"""Text → syntax tree. The only module that knows the grammar's rule names.

The LALR tables are built ahead of time (`python -m shapecheck.language.parse` rewrites
`grammar/formula.lalr`) because building them costs more than the rest of a start-up;
if the shipped tables do not match the grammar they are rebuilt in memory, never on disk.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import lark
from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .. import functions
from .. import syntax as s
from ..errors import FormulaSyntaxError

GRAMMAR_FILES = ("formula.lark",)
TABLES_FILE = "formula.lalr"
# numpy's namespaces: `np.sum` and `numpy.linalg.inv` are the functions `sum`, `linalg.inv`
NAMESPACES = {"np", "numpy"}


def _grammar_dir():
    try:
        return resources.files("shapecheck.grammar")
    except ModuleNotFoundError:
        # run from a source checkout (`python -c ...` in the repository) while the installed
        # wheel is elsewhere: the grammar sits beside the package, at the top level
        return Path(__file__).resolve().parents[2] / "grammar"


def _grammar_digest() -> tuple[str, str]:
    text = "".join((_grammar_dir() / name).read_text(encoding="utf-8") for name in GRAMMAR_FILES)
    key = f"lark {lark.__version__} {LEXER}\n{text}"
    return text, hashlib.sha256(key.encode()).hexdigest()


# one lexer for every parser state: the terminals never need the state to be told apart,
# and one regular expression compiles far faster than one per state
LEXER = "basic"


def _build(text: str) -> Lark:
    return Lark(text, parser="lalr", lexer=LEXER, propagate_positions=True,
                maybe_placeholders=True)


def _load_parser() -> Lark:
    text, digest = _grammar_digest()
    tables = _grammar_dir() / TABLES_FILE
    try:
        data = tables.read_bytes()
        header, _, body = data.partition(b"\n")
        if header.decode() == digest:
            return Lark.load(io.BytesIO(body))
    except (OSError, ValueError, EOFError):
        pass
    return _build(text)


def write_tables() -> str:
    """Rebuild the shipped LALR tables from the grammar (a developer's step)."""
    text, digest = _grammar_digest()
    buffer = io.BytesIO()
    _build(text).save(buffer)
    path = _grammar_dir() / TABLES_FILE
    with open(str(path), "wb") as f:
        f.write(digest.encode() + b"\n" + buffer.getvalue())
    return str(path)


_parser: Lark | None = None


def parser() -> Lark:
    global _parser
    if _parser is None:
        _parser = _load_parser()
    return _parser


@dataclass(frozen=True, slots=True)
class _Attribute:
    """`obj.name` before we know whether it is a call, an index or a mistake."""
    obj: object
    name: str
    span: s.Span


@dataclass(frozen=True, slots=True)
class _Primed:
    """`g'`, `g^{[1]\\prime}` before we know what follows: a bracket makes it a derivative
    (`g'(z)`), anything else a transpose (MATLAB's `X'`)."""
    name: s.Name
    span: s.Span


@dataclass(frozen=True, slots=True)
class _Function:
    """A function LaTeX writes as a command (`\\sigma`, `\\log`, `\\operatorname{relu}`),
    waiting for its argument."""
    func: str
    span: s.Span
    primed: bool = False
    numpy: bool = False  # \log, \exp: print as np.log, np.exp


_OPERATORS = {"\\odot": "*", "\\circ": "*", "\\ast": "*", "⊙": "*", "∘": "*", "\\div": "/",
              "÷": "/", "\\times": s.TIMES, "×": s.TIMES, "\\otimes": s.OTIMES, "⊗": s.OTIMES}
_ACCENTS = {"\\hat": "_hat", "\\bar": "_bar", "\\tilde": "_tilde"}
# the LaTeX commands read as names
GREEK = set("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta kappa lambda mu nu "
            "xi pi rho tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
            "Phi Psi Omega ell".split())
_MARK = re.compile(r"\[\s*(?P<spec>-?\d+|[lL](?:\s*[-+]\s*\d+)?)\s*\](?P<t>[Tᵀ]?)")
_SUBSCRIPTED = re.compile(r"(?P<base>[A-Za-z]+)_(?P<layer>\d+)")


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


def canonical_name(text: str) -> str:
    """A name token as shapecheck names it: `W_2` → 'W2', `\\delta` → 'delta'."""
    if text.startswith("\\"):
        return text[1:]  # a Greek letter (the transformer refuses other commands)
    match = _SUBSCRIPTED.fullmatch(text)
    return match["base"] + match["layer"] if match else text


def layered(base: str, spec: str) -> str | None:
    """`W` with the layer mark `2` → 'W2'; generic layers: `l` → 'W', `l-1` → 'W_prev',
    `l+1` → 'W_next', `L` → 'WL', `L-1` → 'WL_prev'. None for any other mark."""
    spec = re.sub(r"\s+", "", spec)
    if re.fullmatch(r"\d+", spec):
        return base + str(int(spec))
    return {"l": base, "l-1": base + "_prev", "l+1": base + "_next", "L": base + "L",
            "L-1": base + "L_prev"}.get(spec)


def _is_chain(node) -> bool:
    return isinstance(node, s.BinOp) and node.op in (s.JUXTAPOSE, s.CDOT)


class _ToSyntax(Transformer):
    """Parse tree → `syntax` nodes. Builds nodes only; meaning is decided later."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def _fail(self, message: str, span: s.Span):
        raise FormulaSyntaxError(message, self.text, span)

    def _source(self, span: s.Span) -> str:
        return self.text[span[0]:span[1]]

    @v_args(meta=True)
    def start(self, meta, children):
        return children[0]

    @v_args(meta=True)
    def equation(self, meta, children):
        lhs, rhs = children
        return s.Equation(self._lhs(self._finish(lhs)), self._finish(rhs), self.text, _span(meta))

    def _lhs(self, node) -> s.Name:
        """The left side is one name; `dJ/dW` written with plain names is the name dW."""
        if isinstance(node, s.Name):
            return node
        if isinstance(node, s.BinOp) and node.op == "/" and all(
                isinstance(n, s.Name) and n.id.startswith("d") for n in (node.left, node.right)) \
                and node.left.id[1:] in s.COST_NAMES:
            return s.Name(node.right.id, node.span)
        self._fail("the left side must be one name, such as dW2, dW^{[2]}, dJ/dW or "
                   "\\frac{\\partial J}{\\partial W}", node.span)

    def _finish(self, node):
        """A node as a finished sub-expression: no marker is left waiting for what follows."""
        if isinstance(node, _Attribute):
            self._fail(f"'.{node.name}' is not something shapecheck knows; "
                       "attributes it reads are .T and .shape[i]", node.span)
        if isinstance(node, _Primed):
            return s.Transpose(node.name, node.span)  # X' with no bracket after it
        if isinstance(node, _Function):
            self._fail(f"{self._source(node.span)} needs an argument", node.span)
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
        if tok.type == "COMMAND" and tok[1:] not in GREEK:
            # a command the grammar reads elsewhere (\cdot, \top) is out of place here
            known = any(re.fullmatch(t.pattern.to_regexp(), str(tok)) for t in parser().terminals
                        if t.name not in ("COMMAND", "SPACE"))
            self._fail(f"unexpected {str(tok)!r} here" if known else
                       f"{tok} is not LaTeX that shapecheck reads", _tok_span(tok))
        return s.Name(canonical_name(str(tok)), _tok_span(tok))

    @v_args(meta=True)
    def attribute(self, meta, children):
        obj, name = children
        if str(name) == "T" and not isinstance(obj, _Attribute):
            return s.Transpose(self._finish(obj), _span(meta))
        return _Attribute(obj, str(name), _span(meta))

    @v_args(meta=True)
    def index(self, meta, children):
        obj, name, mark = children
        match = _MARK.fullmatch(str(mark))
        if str(name) != "shape" or not re.fullmatch(r"-?\d+", match["spec"]) or match["t"]:
            self._fail("indexing is only read in A.shape[i]", _span(meta))
        return s.Index(self._finish(obj), "shape", int(match["spec"]), _span(meta))

    def arguments(self, children):
        return [self._finish(c) if not isinstance(c, s.Keyword) else c for c in children
                if c is not None]

    @v_args(meta=True)
    def keyword(self, meta, children):
        name, value = children
        return s.Keyword(str(name), self._finish(value), _span(meta))

    def _split(self, arguments, span):
        args, kwargs = [], []
        for a in arguments or []:
            if isinstance(a, s.Keyword):
                kwargs.append(a)
            elif kwargs:
                self._fail("a positional argument follows a keyword argument", a.span)
            else:
                args.append(a)
        return tuple(args), tuple(kwargs)

    @v_args(meta=True)
    def call(self, meta, children):
        name, arguments = children
        args, kwargs = self._split(arguments, _span(meta))
        return s.Call(canonical_name(str(name)), args, kwargs, _span(meta), _tok_span(name))

    @v_args(meta=True)
    def method(self, meta, children):
        obj, name, arguments = children
        args, kwargs = self._split(arguments, _span(meta))
        func_span = (obj.span[0], name.end_pos)
        dotted = _dotted(obj)
        if dotted is not None and dotted.split(".")[0] in NAMESPACES:
            func = ".".join(dotted.split(".")[1:] + [str(name)])
            return s.Call(func, args, kwargs, _span(meta), func_span, namespaced=True)
        if str(name) == "transpose" and not args and not kwargs:
            return s.Transpose(self._finish(obj), _span(meta))
        return s.Call(str(name), (self._finish(obj),) + args, kwargs, _span(meta),
                      _tok_span(name), method=True)

    @v_args(meta=True)
    def tuple(self, meta, children):
        return s.Tuple(tuple(self._finish(c) for c in children if c is not None), _span(meta))

    # -- juxtaposition: a product, or a function applied to the bracket that follows it
    @v_args(meta=True)
    def juxtapose(self, meta, children):
        left, right = children
        last = left.right if _is_chain(left) else left
        if isinstance(last, (s.Name, _Primed)) and self._bracket_follows(last, right):
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

    # -- names with layer marks, transposes, primes: W^{[2]T}, dz^[1], W_{2}, Y^*, g'
    def _layered(self, base, spec: str, span: s.Span, written: str, where: s.Span):
        """`base` with the layer mark `spec`, spanning `span`; errors point at `where`."""
        if isinstance(base, _Primed):  # g'^{[1]}
            return _Primed(self._layered(base.name, spec, span, written, where), span)
        if not isinstance(base, s.Name):
            self._fail(f"a layer mark {written} belongs right after a name, as in W^{{[2]}}",
                       where)
        if re.search(r"\d$", base.id):
            self._fail(f"{base.id} already has a layer number", where)
        found = layered(base.id, spec)
        if found is None:
            self._fail(f"{written} is not a layer mark shapecheck reads: a layer is a number, "
                       "l, l-1, l+1, L or L-1", where)
        return s.Name(found, (base.span[0], span[1]))

    @v_args(meta=True)
    def mark(self, meta, children):
        base, mark = children
        match = _MARK.fullmatch(str(mark))
        if isinstance(base, s.Name) and re.search(r"\d$", base.id):
            self._fail("indexing is only read in A.shape[i]", _span(meta))
        named = (meta.start_pos, meta.end_pos - len(match["t"]))  # W[2] of W[2]T
        node = self._layered(base, match["spec"], named, str(mark), _span(meta))
        # W'^[2]T: the prime before the mark, with no bracket after, is a transpose too
        return s.Transpose(self._finish(node), _span(meta)) if match["t"] else node

    @v_args(meta=True)
    def subscript(self, meta, children):
        base, _sub, (spec, span) = children
        return self._layered(base, spec, _span(meta), f"_{{{spec}}}", _span(meta))

    def sub(self, children):
        item = children[0]
        return item if isinstance(item, tuple) else (str(item), _tok_span(item))

    @v_args(meta=True)
    def subitem(self, meta, children):
        text = self._source(_span(meta))
        match = _MARK.fullmatch(text)
        return (match["spec"] if match else text), _span(meta)

    @v_args(meta=True)
    def primed(self, meta, children):
        base, _prime = children
        if isinstance(base, s.Name):
            return _Primed(base, _span(meta))
        if isinstance(base, _Primed):
            self._fail("a second derivative g'' is not something shapecheck reads", _span(meta))
        return s.Transpose(self._finish(base), _span(meta))

    @v_args(meta=True)
    def accent(self, meta, children):
        accent, base = children
        base = self.name_of(base) if not isinstance(base, s.Name) else base
        return s.Name(canonical_name(base.id if isinstance(base, s.Name) else str(base))
                      + _ACCENTS[str(accent)], _span(meta))

    def name_of(self, node):
        if hasattr(node, "type"):  # a NAME token
            return s.Name(canonical_name(str(node)), _tok_span(node))
        if not isinstance(node, s.Name):
            self._fail("an accent such as \\hat belongs on a name: \\hat{Y}", node.span)
        return node

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
                match = _MARK.fullmatch(value)
                named = (whole[0], whole[1] - len(match["t"]))
                node = self._layered(node, match["spec"], named, f"^{value}", _span(meta))
                if match["t"]:
                    node = s.Transpose(self._finish(node), whole)
            elif kind == "T":
                node = s.Transpose(self._finish(node), whole)
            elif kind == "-T":
                power = s.BinOp(s.SUPERSCRIPT, self._finish(node), s.Number(-1.0, "-1", span),
                                whole, _tok_span(sup))
                node = s.Transpose(power, whole)
            elif kind == "star":
                if not isinstance(node, s.Name):
                    self._fail("^* marks a name, as in Y^*", whole)
                node = s.Name(node.id + "_star", whole)
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
        return [c for c in children]

    @v_args(meta=True)
    def sup_transpose(self, meta, children):
        return ("T", None, _span(meta))

    @v_args(meta=True)
    def sup_inverse_transpose(self, meta, children):
        if str(children[0]) != "-":
            self._fail("after ^ shapecheck reads T, -T, \\top, *, a layer mark [2] or a number",
                       _span(meta))
        return ("-T", None, _span(meta))

    @v_args(meta=True)
    def sup_star(self, meta, children):
        tok = children[0]
        if str(tok) not in ("*", "\\ast"):
            self._fail(f"^{tok} is not read; after ^ shapecheck reads T, \\top, *, a layer mark "
                       "[2] or a number", _tok_span(tok))
        return ("star", None, _span(meta))

    @v_args(meta=True)
    def sup_prime(self, meta, children):
        return ("prime", None, _span(meta))

    @v_args(meta=True)
    def sup_mark(self, meta, children):
        return ("mark", str(children[0]), _span(meta))

    @v_args(meta=True)
    def sup_power(self, meta, children):
        value = float(children[-1])
        return ("power", -value if str(children[0]) == "-" else value, _span(meta))

    # -- ∂J/∂W as the name dW
    @v_args(meta=True)
    def gradient(self, meta, children):
        nodes = [c for c in children if not hasattr(c, "type")]
        ops = [c for c in children if hasattr(c, "type") and c.type == "MULOP"]
        if ops and str(ops[0]) != "/":
            self._fail(f"∂J/∂W is written with /, not {ops[0]}", _tok_span(ops[0]))
        cost, var = (self._finish(n) for n in nodes)
        if not isinstance(cost, s.Name) or cost.id not in s.COST_NAMES:
            self._fail("a gradient ∂J/∂W is read where J is the cost: J, L, E, C, \\mathcal{L}, "
                       "\\ell", cost.span)
        if not isinstance(var, s.Name):
            self._fail("a gradient ∂J/∂W is read with respect to one name", var.span)
        return s.Name("d" + var.id, _span(meta))

    @v_args(meta=True)
    def frac(self, meta, children):
        op, top, bottom = children
        return s.BinOp("/", self._finish(top), self._finish(bottom), _span(meta), _tok_span(op))

    @v_args(meta=True)
    def over(self, meta, children):
        top, op, bottom = children
        return s.BinOp("/", self._finish(top), self._finish(bottom), _span(meta), _tok_span(op))

    # -- functions written as LaTeX commands
    @v_args(meta=True)
    def fhead(self, meta, children):
        if len(children) == 1:
            record = functions.command(str(children[0]))  # \sigma, \log: the table's
            return _Function(record.name, _span(meta), numpy=record.numpy)
        return _Function(functions.slide_name(canonical_name(str(children[1]))), _span(meta))

    @v_args(meta=True)
    def fhead_decorated(self, meta, children):
        head, mark = children[0], children[-1]
        items = mark if isinstance(mark, list) else \
            [("prime", None, _tok_span(mark))] if mark.type == "PRIME" else []
        primed = head.primed
        for kind, _value, span in items:
            if kind == "prime":
                primed = True
            elif kind != "mark":  # a layer mark on \sigma changes nothing
                self._fail(f"{self._source(head.span)} is a function: it takes no "
                           f"{self._source(span)}", span)
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
        if head.primed:
            if kwargs:
                self._fail("a derivative g'(...) takes no keyword arguments", kwargs[0].span)
            return s.Derivative(head.func, args, span, head.span)
        return s.Call(head.func, args, kwargs, span, head.span, namespaced=head.numpy)


def _describe_expected(expected: set[str]) -> str:
    words = {"NAME": "a name", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'",
             "COMMA": "','", "EQUAL": "'='", "MULOP": "an operator", "ADDOP": "an operator",
             "POWOP": "'**'", "RSQB": "']'", "RBRACE": "'}'", "LBRACE": "'{'",
             "MARK": "a layer mark like [2]", "TEE": "'T'", "$END": "the end"}
    named = sorted({words.get(e, None) or e.lower() for e in expected if e in words})
    if not named:
        return ""
    if len(named) > 4:
        named = named[:4] + ["..."]
    return "; expected " + ", ".join(named)


_CLOSING = {"}": "{", "]": "[", ")": "("}


def _notation_problem(text: str) -> tuple[str, s.Span] | None:
    """A clearer message than the parser's for malformed slide or LaTeX notation: an
    unclosed brace or layer mark, a \\frac with one argument, limits on \\sum."""
    stack: list[tuple[str, int]] = []
    for i, char in enumerate(text):
        if char in "([{":
            stack.append((char, i))
        elif char in _CLOSING:
            if not stack or stack[-1][0] != _CLOSING[char]:
                if char == ")" or (stack and stack[-1][0] == "("):
                    return None  # brackets: the parser's message says it well
                opened = f"; it closes the '{stack[-1][0]}' opened at column {stack[-1][1] + 1}" \
                    if stack else ""
                return f"'{char}' has no matching '{_CLOSING[char]}'{opened}", (i, i + 1)
            stack.pop()
    for char, i in stack:
        if char == "[" and text[:i].rstrip().endswith("^"):
            start = text.rindex("^", 0, i)
            return "the layer mark '^[' opened here is never closed with ']'", (start, i + 1)
        if char == "[":
            return "the '[' opened here is never closed with ']'", (i, i + 1)
        if char == "{":
            return "the '{' opened here is never closed with '}'", (i, i + 1)
    for match in re.finditer(r"\\[dt]?frac(?![A-Za-z])", text):
        count, at = 0, match.end()
        last = at
        while count < 2:
            while at < len(text) and text[at].isspace():
                at += 1
            if at >= len(text) or text[at] != "{":
                break
            depth, end = 0, at
            for end in range(at, len(text)):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                if depth == 0:
                    break
            count, at = count + 1, end + 1
            last = at
        if count < 2:
            got = "one" if count == 1 else "none"
            return (f"\\frac takes two arguments in braces, \\frac{{a}}{{b}}; this one has {got}",
                    (match.start(), last))
    match = re.search(r"(?:\^\{?|_\{)\s*(\[(?!\s*(?:-?\d+|[lL](?:\s*[-+]\s*\d+)?)\s*\])[^\]]*\])", text)
    if match:
        return (f"{match.group(1)} is not a layer mark shapecheck reads: a layer is a number, l, "
                "l-1, l+1, L or L-1", match.span(1))
    pairs = list(re.finditer(r"\\partial(?:(?!\\partial)[^/{}])*(?:/|\}\s*\{|\\over(?![A-Za-z]))\s*\\partial", text))
    paired = {p.start() for p in pairs} | {p.end() - len("\\partial") for p in pairs}
    alone = [m.start() for m in re.finditer(r"\\partial(?![A-Za-z])", text) if m.start() not in paired]
    if alone:
        at = alone[0]
        return ("\\partial is read only in a gradient: \\partial J/\\partial W, "
                "\\frac{\\partial J}{\\partial W} or {\\partial J \\over \\partial W}", (at, at + 8))
    match = re.search(r"\\sum\s*[_^]", text)
    if match:
        return ("limits on \\sum are not read: write \\sum(A) for the total of all entries, or "
                "np.sum(A, axis=1, keepdims=True) for the sum over examples",
                (match.start(), match.end()))
    match = re.search(r"\^\s*\{?[^}^]*?\(\s*[a-z]\s*\)", text)
    if match:
        return ("an example index such as ^{(i)} is not read: write the formula for all "
                "examples at once (A^{[1]} rather than a^{[1](i)})", (match.start(), match.end()))
    return None


def parse_equation(text: str) -> s.Equation:
    """`parse_equation("dW2 = 1/m * dZ2 @ A1.T")` → Equation(lhs=Name('dW2'), rhs=BinOp(...))."""
    try:
        tree = parser().parse(text)
    except UnexpectedInput as e:
        problem = _notation_problem(text)
        if problem:
            raise FormulaSyntaxError(problem[0], text, problem[1]) from None
        raise _syntax_error(e, text) from None
    try:
        return _ToSyntax(text).transform(tree)
    except lark.exceptions.VisitError as e:
        if isinstance(e.orig_exc, FormulaSyntaxError):
            raise e.orig_exc from None
        raise


def _syntax_error(e: UnexpectedInput, text: str) -> FormulaSyntaxError:
    """The parser's complaint as one sentence at its position."""
    if isinstance(e, UnexpectedEOF):
        return FormulaSyntaxError("the formula ends too early" + _describe_expected(set(e.expected)),
                                  text, (len(text), len(text)))
    if isinstance(e, UnexpectedToken):
        pos = e.token.start_pos if e.token.start_pos is not None else len(text)
        if e.token.type == "$END":
            message = "the formula ends too early" + _describe_expected(e.expected)
            pos = len(text.rstrip())
        elif e.token.type == "PRIME":
            message = ("quotes and strings are not part of the formula language; "
                       "' is read only after a name, as in g'(z) or X'")
        else:
            message = f"unexpected {str(e.token)!r} here" + _describe_expected(e.expected)
        return FormulaSyntaxError(message, text, (pos, pos + max(1, len(str(e.token)))))
    if isinstance(e, UnexpectedCharacters):
        char = text[e.pos_in_stream]
        message = f"{char!r} is not part of the formula language"
        if char in "'\"":
            message = "strings are not part of the formula language"
        command = re.match(r"\\[A-Za-z]+", text[e.pos_in_stream:])
        if command:
            message = f"{command.group()} is not LaTeX that shapecheck reads"
            return FormulaSyntaxError(message, text, (e.pos_in_stream,
                                                      e.pos_in_stream + len(command.group())))
        return FormulaSyntaxError(message, text, (e.pos_in_stream, e.pos_in_stream + 1))
    return FormulaSyntaxError(str(e).splitlines()[0], text, (0, len(text)))  # pragma: no cover


if __name__ == "__main__":
    print("wrote", write_tables())
