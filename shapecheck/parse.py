"""Text → syntax tree. The only module that knows the grammar's rule names.

The LALR tables are built ahead of time (`python -m shapecheck.parse` rewrites
`grammar/formula.lalr`) because building them costs more than the rest of a start-up;
if the shipped tables do not match the grammar they are rebuilt in memory, never on disk.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from importlib import resources

import lark
from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import syntax as s
from .errors import FormulaSyntaxError

GRAMMAR_FILES = ("formula.lark",)
TABLES_FILE = "formula.lalr"
# numpy's namespaces: `np.sum` and `numpy.linalg.inv` are the functions `sum`, `linalg.inv`
NAMESPACES = {"np", "numpy"}


def _grammar_dir():
    return resources.files("shapecheck.grammar")


def _grammar_digest() -> tuple[str, str]:
    text = "".join((_grammar_dir() / name).read_text(encoding="utf-8") for name in GRAMMAR_FILES)
    key = f"lark {lark.__version__}\n{text}"
    return text, hashlib.sha256(key.encode()).hexdigest()


def _build(text: str) -> Lark:
    return Lark(text, parser="lalr", propagate_positions=True, maybe_placeholders=True)


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


class _ToSyntax(Transformer):
    """Parse tree → `syntax` nodes. Builds nodes only; meaning is decided later."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def _fail(self, message: str, span: s.Span):
        raise FormulaSyntaxError(message, self.text, span)

    @v_args(meta=True)
    def start(self, meta, children):
        return children[0]

    @v_args(meta=True)
    def equation(self, meta, children):
        name, rhs = children
        rhs = self._finish(rhs)
        return s.Equation(s.Name(str(name), _tok_span(name)), rhs, self.text, _span(meta))

    def _finish(self, node):
        if isinstance(node, _Attribute):
            self._fail(f"'.{node.name}' is not something shapecheck knows; "
                       "attributes it reads are .T and .shape[i]", node.span)
        return node

    @v_args(meta=True)
    def binop(self, meta, children):
        left, op, right = children
        return s.BinOp(str(op), self._finish(left), self._finish(right), _span(meta), _tok_span(op))

    compare = binop

    @v_args(meta=True)
    def neg(self, meta, children):
        return s.Neg(self._finish(children[0]), _span(meta))

    @v_args(meta=True)
    def pos(self, meta, children):
        return self._finish(children[0])

    @v_args(meta=True)
    def number(self, meta, children):
        tok = children[0]
        return s.Number(float(tok), str(tok), _tok_span(tok))

    @v_args(meta=True)
    def name(self, meta, children):
        tok = children[0]
        return s.Name(str(tok), _tok_span(tok))

    @v_args(meta=True)
    def attribute(self, meta, children):
        obj, name = children
        if str(name) == "T" and not isinstance(obj, _Attribute):
            return s.Transpose(obj, _span(meta))
        return _Attribute(obj, str(name), _span(meta))

    @v_args(meta=True)
    def index(self, meta, children):
        obj, number = children
        if not (isinstance(obj, _Attribute) and obj.name == "shape"):
            self._fail("indexing is only read in A.shape[i]", _span(meta))
        return s.Index(self._finish(obj.obj), "shape", int(number), _span(meta))

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
        return s.Call(str(name), args, kwargs, _span(meta), _tok_span(name))

    @v_args(meta=True)
    def derivative(self, meta, children):
        name, _prime, arguments = children
        args, kwargs = self._split(arguments, _span(meta))
        if kwargs:
            self._fail("a derivative g'(...) takes no keyword arguments", kwargs[0].span)
        return s.Derivative(str(name), args, _span(meta), (name.start_pos, _prime.end_pos))

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


def _describe_expected(expected: set[str]) -> str:
    words = {"NAME": "a name", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'",
             "COMMA": "','", "EQUAL": "'='", "MULOP": "an operator", "ADDOP": "an operator",
             "POWOP": "'**'", "RSQB": "']'", "INT": "an integer", "$END": "the end"}
    named = sorted({words.get(e, None) or e.lower() for e in expected if e in words})
    if not named:
        return ""
    if len(named) > 4:
        named = named[:4] + ["..."]
    return "; expected " + ", ".join(named)


def parse_equation(text: str) -> s.Equation:
    """`parse_equation("dW2 = 1/m * dZ2 @ A1.T")` → Equation(lhs=Name('dW2'), rhs=BinOp(...))."""
    try:
        tree = parser().parse(text)
    except UnexpectedEOF as e:
        raise FormulaSyntaxError("the formula ends too early" + _describe_expected(set(e.expected)),
                                 text, (len(text), len(text))) from None
    except UnexpectedToken as e:
        pos = e.token.start_pos if e.token.start_pos is not None else len(text)
        if e.token.type == "$END":
            message = "the formula ends too early" + _describe_expected(e.expected)
            pos = len(text.rstrip())
        elif e.token.type == "PRIME":
            message = ("quotes and strings are not part of the formula language; "
                       "' is read only after a function name, as in g'(z)")
        else:
            message = f"unexpected {str(e.token)!r} here" + _describe_expected(e.expected)
        raise FormulaSyntaxError(message, text, (pos, pos + max(1, len(str(e.token))))) from None
    except UnexpectedCharacters as e:
        char = text[e.pos_in_stream]
        message = f"{char!r} is not part of the formula language"
        if char in "'\"":
            message = "strings are not part of the formula language"
        raise FormulaSyntaxError(message, text, (e.pos_in_stream, e.pos_in_stream + 1)) from None
    except UnexpectedInput as e:  # pragma: no cover - lark's other input errors
        raise FormulaSyntaxError(str(e).splitlines()[0], text, (0, len(text))) from None
    try:
        return _ToSyntax(text).transform(tree)
    except lark.exceptions.VisitError as e:
        if isinstance(e.orig_exc, FormulaSyntaxError):
            raise e.orig_exc from None
        raise


if __name__ == "__main__":
    print("wrote", write_tables())
