"""The grammar and its LALR tables: where they are found, and how the tables are built.

The tables are built ahead of time (`python -m shapecheck.language.parse` rewrites
`grammar/formula.lalr`) because building them costs more than the rest of a start-up;
if the shipped tables do not match the grammar they are rebuilt in memory, never on disk.
"""
from __future__ import annotations

import hashlib
import io
import os

import lark
from lark import Lark, Token
from lark.lark import PostLex

GRAMMAR_FILES = ("formula.lark",)
TABLES_FILE = "formula.lalr"


def _grammar_dir() -> str:
    """The folder of the grammar and its tables: `shapecheck/grammar` as installed (the
    package data `importlib.resources.files("shapecheck.grammar")` names, found here without
    importing importlib.resources and pathlib, a tenth of a start-up), else the top-level
    `grammar/` of a source checkout (the source folder shadows the installed package, or an
    editable install maps the package data to it)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    installed = os.path.join(package, "grammar")
    if os.path.isfile(os.path.join(installed, GRAMMAR_FILES[0])):
        return installed
    return os.path.join(os.path.dirname(package), "grammar")


def _path(name: str) -> str:
    return os.path.join(_grammar_dir(), name)


def _grammar_digest() -> tuple[str, str]:
    text = ""
    for name in GRAMMAR_FILES:
        with open(_path(name), encoding="utf-8") as f:
            text += f.read()
    key = f"lark {lark.__version__} {LEXER}\n{text}"
    return text, hashlib.sha256(key.encode()).hexdigest()


# one lexer for every parser state: the terminals never need the state to be told apart,
# and one regular expression compiles far faster than one per state
LEXER = "basic"


class MarkParts(PostLex):
    """The lexer's last step: a layer mark read whole (LAYERMARK, `[l-1]T`) is handed to the
    parser as the terminals the grammar's `layer_mark` rule names: MARK `[`, the layer's own
    tokens (`l`, `-`, `1`, read by this same lexer), MARKEND `]` and TMARK `T`. The mark stays
    one terminal for the lexer because only its longest match tells `W[2]T` from `W[2] T`
    and a mark from a bracket `[x]`; splitting it here keeps lark's one basic lexer and
    conflict-free LALR tables, and leaves no second reading of the mark to the Transformer."""

    always_accept = ("LAYERMARK",)  # kept by the lexer though no rule names it

    def __init__(self):
        self.lexer: Lark | None = None  # set once the parser exists: it reads the layer

    def process(self, stream):
        for tok in stream:
            if tok.type != "LAYERMARK":
                yield tok
                continue
            close = tok.index("]")  # the lexer matched the mark: one `]`, maybe a `T` after it
            yield _part(tok, "MARK", 0, 1)
            for inner in self.lexer.lex(tok[1:close]):
                yield _part(tok, inner.type, 1 + inner.start_pos, 1 + inner.end_pos)
            yield _part(tok, "MARKEND", close, close + 1)
            if close + 1 < len(tok):
                yield _part(tok, "TMARK", close + 1, len(tok))


def _part(tok: Token, kind: str, start: int, end: int) -> Token:
    """The characters [start, end) of the token `tok`; spans use the offsets (line and column
    assume the mark on one line, as lark needs them only for its own messages)."""
    return Token(kind, tok[start:end], tok.start_pos + start, tok.line, tok.column + start,
                 tok.line, tok.column + end, tok.start_pos + end)


def _with_parts(parser: Lark) -> Lark:
    parser.options.postlex.lexer = parser
    return parser


def _build(text: str) -> Lark:
    return _with_parts(Lark(text, parser="lalr", lexer=LEXER, propagate_positions=True,
                            maybe_placeholders=True, postlex=MarkParts()))


def _load_parser() -> Lark:
    text, digest = _grammar_digest()
    try:
        with open(_path(TABLES_FILE), "rb") as f:
            data = f.read()
        header, _, body = data.partition(b"\n")
        if header.decode() == digest:
            # Lark.load with a post-lexer: the tables cannot pickle one, so the loader adds it
            loaded = Lark.__new__(Lark)._load(io.BytesIO(body), postlex=MarkParts())
            return _with_parts(loaded)
    except (OSError, ValueError, EOFError):
        pass
    return _build(text)


def write_tables() -> str:
    """Rebuild the shipped LALR tables from the grammar (a developer's step)."""
    text, digest = _grammar_digest()
    buffer = io.BytesIO()
    _build(text).save(buffer, exclude_options=("postlex",))  # a loader passes its own
    path = _path(TABLES_FILE)
    with open(path, "wb") as f:
        f.write(digest.encode() + b"\n" + buffer.getvalue())
    return path


_parser: Lark | None = None
