"""Syntax tree → numpy text, with only the parentheses Python's precedence needs."""
from __future__ import annotations

from .. import functions
from .. import syntax as s

_PRECEDENCE = {">": 1, "<": 1, ">=": 1, "<=": 1, "==": 1, "!=": 1,
               "+": 2, "-": 2, "@": 3, "*": 3, "/": 3, "**": 5,
               # notation not yet read by shapecheck.meaning, printed as written
               s.JUXTAPOSE: 3, s.CDOT: 3, s.TIMES: 3, s.OTIMES: 3, s.SUPERSCRIPT: 5}
_NEG, _POSTFIX, _ATOM = 4, 6, 7


def precedence(node: s.Node) -> int:
    if isinstance(node, s.BinOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, s.Neg):
        return _NEG
    if isinstance(node, (s.Transpose, s.Index)):
        return _POSTFIX
    if isinstance(node, s.Number) and node.value < 0:
        return _NEG
    return _ATOM


def _wrapped(node: s.Node, at_least: int) -> str:
    text = to_numpy(node)
    return f"({text})" if precedence(node) < at_least else text


def _number(value: float, text: str) -> str:
    return text if text else (str(int(value)) if float(value).is_integer() else repr(value))


def to_numpy(node: s.Node) -> str:
    """`to_numpy(parse_equation('d = (a@b)*c').rhs)` → 'a @ b * c'."""
    if isinstance(node, s.Equation):
        return f"{node.lhs.id} = {to_numpy(node.rhs)}"
    if isinstance(node, s.Name):
        return node.id
    if isinstance(node, s.Number):
        return _number(node.value, node.text)
    if isinstance(node, s.BinOp):
        level = _PRECEDENCE[node.op]
        if node.op in ("**", s.SUPERSCRIPT):  # right-associative
            return f"{_wrapped(node.left, level + 1)} {node.op} {_wrapped(node.right, _NEG)}"
        if node.op == s.JUXTAPOSE:
            return f"{_wrapped(node.left, level)} {_wrapped(node.right, level + 1)}"
        if node.op == "/" and all(isinstance(n, (s.Number, s.Name)) for n in (node.left, node.right)):
            return f"{to_numpy(node.left)}/{to_numpy(node.right)}"  # 1/m, as people write it
        return f"{_wrapped(node.left, level)} {node.op} {_wrapped(node.right, level + 1)}"
    if isinstance(node, s.Neg):
        return f"-{_wrapped(node.operand, _NEG)}"
    if isinstance(node, s.Transpose):
        return f"{_wrapped(node.operand, _POSTFIX)}.T"
    if isinstance(node, s.Index):
        return f"{_wrapped(node.operand, _POSTFIX)}.{node.attr}[{node.index}]"
    if isinstance(node, s.Keyword):
        return f"{node.name}={to_numpy(node.value)}"
    if isinstance(node, s.Literal):
        return node.text
    if isinstance(node, s.Tuple):
        return "(" + ", ".join(to_numpy(i) for i in node.items) + ("," if len(node.items) == 1 else "") + ")"
    if isinstance(node, s.Call):
        args = [to_numpy(a) for a in node.args] + [to_numpy(k) for k in node.kwargs]
        if node.method:
            return f"{_wrapped(node.args[0], _POSTFIX)}.{node.func}({', '.join(args[1:])})"
        # a numpy function is printed np.NAME however it was written (\\operatorname{diag},
        # \\det): only np.linalg.norm reads back, and a hint never drops np.
        prefix = "np." if node.namespaced or "." in node.func or functions.namespaced(node.func) \
            else ""
        return f"{prefix}{node.func}({', '.join(args)})"
    if isinstance(node, s.Derivative):
        return f"{node.func}'({', '.join(to_numpy(a) for a in node.args)})"
    if isinstance(node, s.Jacobian):
        return f"∂{node.of.id}/∂{node.wrt.id}"
    raise TypeError(f"cannot print {type(node).__name__}")
