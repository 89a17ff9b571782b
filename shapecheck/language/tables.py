"""The grammar and its LALR tables: where they are found, and how the tables are built.

The tables are built ahead of time (`python -m shapecheck.language.parse` rewrites
`grammar/formula.lalr`) because building them costs more than the rest of a start-up;
if the shipped tables do not match the grammar they are rebuilt in memory, never on disk.
"""
from __future__ import annotations

import hashlib
import io
from importlib import resources
from pathlib import Path

import lark
from lark import Lark

GRAMMAR_FILES = ("formula.lark",)
TABLES_FILE = "formula.lalr"


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
