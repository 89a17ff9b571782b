"""The readers of each format: reading a file as text, Markdown (fenced blocks, directive
comments and display math), Jupyter notebooks (their markdown cells, placed at lines of
the .ipynb file) and LaTeX (math environments and `shapecheck` environments).
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from ..errors import UnreadableFileError

from .directives import OptIn
from .formulas import read_block, read_math
from .items import Item, Piece, Setting, content_pieces, slice_pieces, source_pieces


def read_text(path: str) -> str:
    if not path:  # Path("") is the current directory
        raise UnreadableFileError("'': an empty argument is neither a formula nor a notes file",
                                  path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file", path) from None
    except IsADirectoryError:
        raise UnreadableFileError(f"{path}: is a directory, not a notes file", path) from None
    except OSError as e:
        raise UnreadableFileError(f"{path}: cannot be read ({e.strerror or e})", path) from None
    except ValueError as e:  # a NUL in the name, which no file name holds
        raise UnreadableFileError(f"{path!r}: cannot be read ({e})", path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise UnreadableFileError(f"{path}: not UTF-8 text (byte 0x{data[e.start]:02x} "
                                  f"at offset {e.start})", path, line) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


_MD = MarkdownIt("commonmark").use(dollarmath_plugin, allow_labels=True, allow_space=True,
                                   allow_digits=True, double_inline=True)
_COMMENT = re.compile(r"<!--\s*shapecheck\b\s*:?(.*?)-->", re.DOTALL)


def read_markdown(text: str, file: str, opt_in: OptIn) -> list[Item]:
    source, items = text.split("\n"), []
    for token in _MD.parse(text):
        if token.type == "fence" and token.info.split()[:1] == ["shapecheck"]:
            lines = content_pieces(token.content, source, token.map[0] + 1)
            items += read_block(lines, file, opt_in.defaults)
        elif token.type == "fence" and token.info.split()[:1] == ["math"] and opt_in.scope:
            # ```math: display math as GitHub and GitLab render it
            items += read_math(content_pieces(token.content, source, token.map[0] + 1), file,
                               opt_in.scope)
        elif token.type == "html_block":
            pieces = content_pieces(token.content, source, token.map[0])
            for m in _COMMENT.finditer(token.content):
                items += opt_in.comment(slice_pieces(pieces, *m.span(1)), file)
        elif token.type in ("math_block", "math_block_label") and opt_in.scope:
            pieces = content_pieces(token.content, source, token.map[0])
            items += read_math(pieces, file, opt_in.scope)
        elif token.type == "inline" and opt_in.scope:
            for pieces in _display_math_in(token, source):
                items += read_math(pieces, file, opt_in.scope)
    return items


def _display_math_in(token, source: list[str]) -> Iterator[list[Piece]]:
    """`$$ ... $$` inside a paragraph (no blank line around it), as renderers show it."""
    if token.map is None:
        return
    pieces = content_pieces(token.content, source, token.map[0])
    at = 0
    for child in token.children or []:
        if child.type == "math_inline_double":
            start = token.content.find(f"$${child.content}$$", at)
            if start >= 0:
                at = start + len(child.content) + 4
                yield slice_pieces(pieces, start + 2, at - 2)


def read_notebook(text: str, file: str, defaults: Setting) -> list[Item]:
    try:
        notebook = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as e:
        raise UnreadableFileError(f"{file}: not a valid notebook (broken JSON at line "
                                  f"{e.lineno}: {e.msg})", file, e.lineno) from None
    except ValueError as e:
        raise UnreadableFileError(f"{file}: not a valid notebook ({e})", file) from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise UnreadableFileError(f"{file}: not a valid notebook (no list of cells)", file)
    lines = _string_lines(text, notebook)
    opt_in, items = OptIn(defaults), []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", [])
        strings = [source] if isinstance(source, str) else source
        if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
            raise UnreadableFileError(f"{file}: not a valid notebook (cell {number}'s "
                                      f"source is not text)", file)
        if isinstance(source, str):
            keys = [(id(cell), "source")]
        else:
            keys = [(id(source), i) for i in range(len(source))]
        to_file = _cell_lines(strings, [lines[key] for key in keys])
        for item in read_markdown("".join(strings), file, opt_in):
            items.append(replace(item, line=to_file.get(item.line, max(to_file.values()))))
    return items


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"duplicate key '{key}'")
    return dict(pairs)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _string_lines(text: str, notebook: object) -> dict[tuple[int, object], int]:
    """The .ipynb line of each string value, keyed by (id of its container, key or
    index). Valid JSON has `"` only in string literals, and the parsed notebook keeps
    the file's order, so the literals pair with a walk over it."""
    lines, line, last = [], 1, 0
    for m in _JSON_STRING.finditer(text):
        line += text.count("\n", last, m.start())
        lines.append(line)
        last = m.start()
    found: dict[tuple[int, object], int] = {}
    literals = iter(lines)

    def walk(node: object) -> None:
        entries = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in entries:
            if isinstance(node, dict):
                next(literals)  # the key itself
            if isinstance(value, str):
                found[(id(node), key)] = next(literals)
            elif isinstance(value, (dict, list)):
                walk(value)

    if isinstance(notebook, (dict, list)):
        walk(notebook)
    return found


def _cell_lines(strings: list[str], lines: list[int]) -> dict[int, int]:
    """Cell source line (1-based) -> .ipynb line of the string where that line starts."""
    to_file, line = {}, 1
    for string, file_line in zip(strings, lines):
        starts = string.count("\n") + (0 if string.endswith("\n") else 1)
        for i in range(starts):
            to_file.setdefault(line + i, file_line)
        line += string.count("\n")
    return to_file or {1: 1}


# --- LaTeX -------------------------------------------------------------------------

_TEX_COMMENT = re.compile(r"(?<!\\)%.*")
_TEX_DIRECTIVE = re.compile(r"^[ \t]*%+[ \t]*shapecheck\b[ \t]*:?(.*)$", re.MULTILINE)
_TEX_MATH_ENVS = "equation|align|alignat|gather|multline|flalign|eqnarray|displaymath"
_TEX_EVENT = re.compile(
    r"\\begin\{(?P<env>(?:%s)\*?|shapecheck|verbatim\*?|lstlisting|minted|comment)\}"
    r"(?:\{\d+\})?"
    r"|(?P<open>(?<!\\)\\\[|(?<!\\)\$\$)"
    r"|(?P<section>\\(?:part|chapter|(?:sub)*section|(?:sub)?paragraph)\b)"
    r"|(?P<stop>\\end\{document\})" % _TEX_MATH_ENVS)


def read_latex(text: str, file: str, defaults: Setting) -> list[Item]:
    masked = _TEX_COMMENT.sub(lambda m: " " * len(m.group()), text)  # keeps offsets
    comments = [m for m in _TEX_DIRECTIVE.finditer(text)]
    opt_in, items, pos = OptIn(defaults), [], 0
    while True:
        event = _TEX_EVENT.search(masked, pos)
        at = event.start() if event else len(masked)
        for comment in comments:
            if pos <= comment.start() < at:
                items += opt_in.comment(source_pieces(text, *comment.span(1)), file)
        if event is None or event["stop"]:
            return items
        if event["section"]:
            opt_in.scope, pos = None, event.end()
            continue
        if event["open"]:
            closer = "$$" if event["open"] == "$$" else "\\]"
        else:
            closer = "\\end{%s}" % event["env"]
        end = masked.find(closer, event.end())
        end = len(masked) if end < 0 else end
        body = source_pieces(masked, event.end(), end)
        if event["env"] == "shapecheck":
            items += read_block(body, file, defaults)
        elif (event["open"] or event["env"].rstrip("*") in _TEX_MATH_ENVS.split("|")) \
                and opt_in.scope:
            items += read_math(body, file, opt_in.scope)
        pos = end + len(closer)
