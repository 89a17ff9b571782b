"""Syntax tree → LaTeX, for notes: `H.T @ ((Y - T) * f'(H @ W + B))` becomes
`H^\\top \\left((Y - T) \\odot f'(HW + B)\\right)`.

A matrix product is written by juxtaposition (`HW`), an element-wise product as `\\odot`,
a constant factor in front (`\\frac{1}{m} dZ^{[1]} X^\\top`), the sum over examples as
`\\sum_{i=1}^{m}`. A function is written as its record in shapecheck.functions says.
Everything written here is read back by shapecheck.language.parse (tests/test_roundtrip).
Which names carry a layer (`W2` as `W^{[2]}`) is the naming convention's to say: the
caller passes its `mark` (shapecheck.models.names).
"""
from __future__ import annotations

from typing import Callable

from .. import functions
from .. import syntax as s
from .sums import Examples

_SUM, _ODOT, _JUX, _NEG, _POW, _ATOM = 1, 2, 3, 3, 5, 6
# a name → (its base, its layer or None): how the model's names carry layers
Mark = Callable[[str], tuple[str, str | None]]


def plain(name: str) -> tuple[str, str | None]:
    """Every name as it is, with no layer."""
    return name, None


class _Latex:
    def __init__(self, scalars, mark: Mark, examples: Examples | None = None):
        self.mark = mark
        self.scalars = set(scalars)
        self.examples = examples

    # -- names
    def name(self, name: str, sup: str = "") -> str:
        base, layer = self.mark(name)
        if layer is not None:
            return f"{base}^{{[{layer}]{sup}}}"
        if "_" in base:
            head, _, tail = base.partition("_")
            base = f"{head}_{{{tail}}}"
        if sup:
            return f"{base}^{{{sup}}}" if len(sup) > 1 and not sup.startswith("\\") else f"{base}^{sup}"
        return base

    # -- nodes, with their precedence
    def level(self, node: s.Node) -> int:
        if isinstance(node, s.BinOp):
            if node.op in (">", "<", ">=", "<=", "==", "!="):
                return _ATOM  # printed in its brackets
            if node.op in ("+", "-"):
                return _SUM
            if node.op == "*" and not self.constant(node.left):
                return _ODOT
            if node.op == "/":
                return _ATOM
            if node.op == "**":
                return _POW
            return _JUX
        if isinstance(node, s.Neg):
            return _NEG
        if isinstance(node, s.Number) and node.value < 0:
            return _NEG
        return _ATOM

    def constant(self, node: s.Node) -> bool:
        return all(isinstance(n, s.Number) or (isinstance(n, s.Name) and n.id in self.scalars)
                   or isinstance(n, s.BinOp) for n in s.walk(node))

    def atom(self, node: s.Node) -> str:
        """`node` as a factor nothing can split, that a power or a transpose may follow:
        bracketed unless it is one already (`\\sqrt{v}` is, but the parser reads `^` only
        after a name or a bracket, so it is bracketed too)."""
        text = self.wrap(node, _ATOM)
        if isinstance(node, s.Call) and not text.endswith(")"):
            return f"\\left({text}\\right)"
        return text

    def wrap(self, node: s.Node, at_least: int) -> str:
        text = self(node)
        if self.level(node) >= at_least:
            return text
        if "(" in text:
            return f"\\left({text}\\right)"
        return f"({text})"

    def __call__(self, node: s.Node) -> str:
        if isinstance(node, s.Equation):
            return f"{self.name(node.lhs.id)} = {self(node.rhs)}"
        if isinstance(node, s.Name):
            return self.name(node.id)
        if isinstance(node, s.Number):
            return node.text or repr(node.value)
        if isinstance(node, s.BinOp):
            return self.binop(node)
        if isinstance(node, s.Neg):
            return f"-{self.wrap(node.operand, _JUX)}"
        if isinstance(node, s.Transpose):
            return self.transpose(node.operand)
        if isinstance(node, s.Call):
            return self.call(node)
        if isinstance(node, s.Derivative):
            return self.derivative(node)
        if isinstance(node, s.Index):
            return f"{self.wrap(node.operand, _ATOM)}.{node.attr}[{node.index}]"
        if isinstance(node, s.Literal):
            return node.text  # as numpy writes it, so that it reads back
        if isinstance(node, s.Keyword):
            return f"{node.name}={self(node.value)}"
        if isinstance(node, s.Tuple):
            return "(" + ", ".join(self(i) for i in node.items) + ")"
        return str(node)

    def binop(self, node: s.BinOp) -> str:
        if node.op in ("+", "-"):
            return f"{self.wrap(node.left, _SUM)} {node.op} {self.wrap(node.right, _SUM + 1)}"
        if node.op in (">", "<", ">=", "<=", "==", "!="):
            return f"({self(node.left)} {node.op} {self(node.right)})"  # 1 where it holds
        if node.op == "/":
            return f"\\frac{{{self(node.left)}}}{{{self(node.right)}}}"
        if node.op == "**":
            return f"{self.atom(node.left)}^{{{self(node.right)}}}"
        if node.op == "*" and not self.constant(node.left):
            return f"{self.wrap(node.left, _ODOT)} \\odot {self.wrap(node.right, _ODOT + 1)}"
        left, right = self.wrap(node.left, _JUX), self.wrap(node.right, _JUX + 1)
        tight = all(isinstance(n, s.Name) and len(n.id) == 1 for n in (node.left, node.right))
        return f"{left}{'' if tight else ' '}{right}"

    def transpose(self, operand: s.Node) -> str:
        if isinstance(operand, s.Name):
            base, layer = self.mark(operand.id)
            return self.name(operand.id, "T" if layer is not None else "\\top")
        record = functions.lookup(operand.func) if isinstance(operand, s.Call) else None
        if record is not None and record.latex_transposed:
            return record.latex_transposed(self, operand)  # A^{-T}, as the parser reads it
        return f"{self.atom(operand)}^\\top"

    def call(self, node: s.Call) -> str:
        record = functions.lookup(node.func)
        latex = record.latex if record is not None else None
        if callable(latex):  # \\sum_{...}, A^{-1}, \\sqrt{...}: the record writes itself
            return latex(self, node)
        head = latex or self.name(node.func)
        inner = ", ".join([self(a) for a in node.args] + [self(k) for k in node.kwargs])
        return f"{head}\\left({inner}\\right)" if "(" in inner else f"{head}({inner})"

    def reduction(self, head: str, node: s.Call) -> str:
        """A sum or mean as the parser reads it back: the total `\\sum A`; the sum over
        examples `\\sum_{i=1}^{m} A` (over axis 1, kept, where examples are columns); along
        any other axis the call with its keywords, `\\sum(A, axis=0)`."""
        summand = node.args[0]
        if len(node.args) == 1 and not node.kwargs:
            return f"{head} {self.atom(summand)}"
        examples = self.examples
        if head == "\\sum" and examples is not None and len(node.args) == 1 \
                and len(node.kwargs) == 2 and functions.arguments(node).kept_along(examples.axis):
            return f"{examples.sign} {self.atom(summand)}"
        inner = ", ".join([self(a) for a in node.args] + [self(k) for k in node.kwargs])
        return f"{head}\\left({inner}\\right)" if "(" in inner else f"{head}({inner})"

    def derivative(self, node: s.Derivative) -> str:
        base, layer = self.mark(node.func)
        inner = ", ".join(self(a) for a in node.args)
        if layer is not None:
            head = f"{base}^{{[{layer}]\\prime}}"
        else:
            record = functions.lookup(node.func)
            latex = record.latex if record is not None else None
            head = f"{latex if isinstance(latex, str) else node.func}'"
        return f"{head}\\left({inner}\\right)" if "(" in inner else f"{head}({inner})"


def to_latex(node: s.Node, scalars=(), mark: Mark = plain,
             examples: Examples | None = None) -> str:
    """`to_latex(parse_equation("dW = H.T @ ((Y - T) * f'(H @ W + B))"))` →
    `dW = H^\\top \\left((Y - T) \\odot f'(HW + B)\\right)`. `scalars`: the size names;
    `mark`: which names carry a layer (`W2` → ('W', '2')), none by default; `examples`:
    the axis a sum over examples runs along, written `\\sum_{i=1}^{m}`."""
    return _Latex(scalars, mark, examples)(node)
