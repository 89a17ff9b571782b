"""The messages of a formula the grammar refuses: what was expected, and clearer words for
malformed slide or LaTeX notation (an unclosed brace or layer mark, a \\frac with one
argument, limits on \\sum)."""
from __future__ import annotations

import re

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .. import functions, syntax as s
from ..errors import FormulaSyntaxError


def describe_expected(expected: set[str]) -> str:
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


def notation_problem(text: str) -> tuple[str, s.Span] | None:
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
        return ("these limits on \\sum are not read: shapecheck reads the sum over examples "
                "\\sum_{i=1}^{m} A (or \\sum_i A), the total \\sum(A), and "
                f"np.sum(A, axis=..., {functions.kept_written(True)}) along any axis",
                (match.start(), match.end()))
    # MATLAB's element-wise operators: numpy's `*`, `/`, `**` are element-wise already
    for match in re.finditer(r"\.\s*([*/^])", text):
        before = re.search(r"[\w.]*$", text[:match.start()]).group()
        if before[:1].isdigit():
            continue  # `2.*A` is the number 2. times A
        op = match.group(1)
        return (f"numpy writes the element-wise {_MATLAB[op]} as {'**' if op == '^' else op}, "
                f"not .{op} as MATLAB does", match.span())
    return None


_MATLAB = {"*": "product", "/": "quotient", "^": "power"}



def _shown(token, text: str) -> str:
    """A token as the user wrote it: a layer mark out of place is shown whole (`[2]T`), not
    as the `[` the parser met first."""
    if token.type != "MARK":
        return str(token)
    end = text.index("]", token.start_pos) + 1
    return text[token.start_pos:end + (text[end:end + 1] in ("T", "ᵀ"))]


def syntax_error(e: UnexpectedInput, text: str) -> FormulaSyntaxError:
    """The parser's complaint as one sentence at its position."""
    if isinstance(e, UnexpectedEOF):
        return FormulaSyntaxError("the formula ends too early" + describe_expected(set(e.expected)),
                                  text, (len(text), len(text)))
    if isinstance(e, UnexpectedToken):
        pos = e.token.start_pos if e.token.start_pos is not None else len(text)
        if e.token.type == "$END":
            message = "the formula ends too early" + describe_expected(e.expected)
            pos = len(text.rstrip())
        elif e.token.type == "STRING":
            message = ("a string is read only as an argument, as in "
                       "np.einsum('ij,jk->ik', A, B) or x.astype('float')")
        elif e.token.type == "PRIME":
            message = ("quotes and strings are not part of the formula language; "
                       "' is read only after a name, as in g'(z) or X'")
        else:
            message = f"unexpected {_shown(e.token, text)!r} here" + describe_expected(e.expected)
        return FormulaSyntaxError(message, text, (pos, pos + max(1, len(_shown(e.token, text)))))
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

