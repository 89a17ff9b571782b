"""Syntax tree → LaTeX, for notes: `H.T @ ((Y - T) * f'(H @ W + B))` becomes
`H^\\top \\left((Y - T) \\odot f'(HW + B)\\right)`.

A matrix product is written by juxtaposition (`HW`), an element-wise product as `\\odot`,
a constant factor in front (`\\frac{1}{m} dZ^{[1]} X^\\top`). Styles: `plain` keeps the
model's names; `network` writes the course's layers as `W^{[2]}`; `generic` writes the
generic layer's names as `W^{[l]}`, `A^{[l-1]}`.
"""
from __future__ import annotations

import re

from .. import syntax as s

_SUM, _ODOT, _JUX, _NEG, _POW, _ATOM = 1, 2, 3, 3, 5, 6
_FUNCTIONS = {"log": "\\log", "exp": "\\exp", "tanh": "\\tanh", "sigmoid": "\\sigma",
              "linalg.det": "\\det", "trace": "\\operatorname{tr}", "softmax": "\\operatorname{softmax}",
              "relu": "\\operatorname{relu}", "softplus": "\\operatorname{softplus}",
              "log1p": "\\operatorname{log1p}", "abs": "\\operatorname{abs}",
              "maximum": "\\max", "minimum": "\\min", "where": "\\operatorname{where}"}
_LAYERED = re.compile(r"^(?P<grad>d?)(?P<base>[A-Za-z])(?P<layer>\d+)$")
_GENERIC = re.compile(r"^(?P<grad>d?)(?P<base>W|b|Z|A|g)(?P<prev>_prev)?$")


class _Latex:
    def __init__(self, style: str, scalars):
        self.style = style
        self.scalars = set(scalars)

    # -- names
    def mark(self, name: str) -> tuple[str, str | None]:
        """'W2' → ('W', '2') in the network style; 'A_prev' → ('A', 'l-1') generic."""
        if self.style == "network":
            match = _LAYERED.match(name)
            if match:
                return match["grad"] + match["base"], match["layer"]
        if self.style == "generic":
            match = _GENERIC.match(name)
            if match:
                return match["grad"] + match["base"], "l-1" if match["prev"] else "l"
        return name, None

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
            if node.op in ("+", "-") or node.op in (">", "<", ">=", "<=", "==", "!="):
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
        return str(node)

    def binop(self, node: s.BinOp) -> str:
        if node.op in ("+", "-"):
            return f"{self.wrap(node.left, _SUM)} {node.op} {self.wrap(node.right, _SUM + 1)}"
        if node.op in (">", "<", ">=", "<=", "==", "!="):
            return f"\\mathbb{{1}}[{self(node.left)} {node.op} {self(node.right)}]"
        if node.op == "/":
            return f"\\frac{{{self(node.left)}}}{{{self(node.right)}}}"
        if node.op == "**":
            return f"{self.wrap(node.left, _ATOM)}^{{{self(node.right)}}}"
        if node.op == "*" and not self.constant(node.left):
            return f"{self.wrap(node.left, _ODOT)} \\odot {self.wrap(node.right, _ODOT + 1)}"
        left, right = self.wrap(node.left, _JUX), self.wrap(node.right, _JUX + 1)
        tight = all(isinstance(n, s.Name) and len(n.id) == 1 for n in (node.left, node.right))
        return f"{left}{'' if tight else ' '}{right}"

    def transpose(self, operand: s.Node) -> str:
        if isinstance(operand, s.Name):
            base, layer = self.mark(operand.id)
            return self.name(operand.id, "T" if layer is not None else "\\top")
        if isinstance(operand, s.Call) and operand.func == "linalg.inv":
            return f"{self.wrap(operand.args[0], _ATOM)}^{{-T}}"  # as the parser reads it
        return f"{self.wrap(operand, _ATOM)}^\\top"

    def call(self, node: s.Call) -> str:
        func, args = node.func, node.args
        axis = next((k.value for k in node.kwargs if k.name == "axis"), None)
        if func in ("sum", "mean"):
            sign = "\\sum" if func == "sum" else "\\operatorname{mean}"
            under = f"_{{\\text{{axis }} {self(axis)}}}" if axis is not None else ""
            return f"{sign}{under} {self.wrap(args[0], _ATOM)}"
        if func == "linalg.inv":
            return f"{self.wrap(args[0], _ATOM)}^{{-1}}"
        if func == "sqrt":
            return f"\\sqrt{{{self(args[0])}}}"
        if func == "eye":
            return f"I_{{{self(args[0])}}}"
        if func == "ones_like":
            return "\\mathbf{1}"
        if func == "zeros_like":
            return "0"
        if func == "outer":
            return f"{self.wrap(args[0], _ATOM)} {self.transpose(args[1])}"
        if func == "linalg.norm":
            return f"\\left\\|{self(args[0])}\\right\\|"
        head = _FUNCTIONS.get(func) or self.name(func)
        inner = ", ".join(self(a) for a in args)
        return f"{head}\\left({inner}\\right)" if "(" in inner else f"{head}({inner})"

    def derivative(self, node: s.Derivative) -> str:
        base, layer = self.mark(node.func)
        inner = ", ".join(self(a) for a in node.args)
        if layer is not None:
            head = f"{base}^{{[{layer}]\\prime}}"
        else:
            head = f"{_FUNCTIONS.get(node.func, node.func)}'"
        return f"{head}\\left({inner}\\right)" if "(" in inner else f"{head}({inner})"


def to_latex(node: s.Node, style: str = "plain", scalars=()) -> str:
    """`to_latex(parse_equation("dW = H.T @ ((Y - T) * f'(H @ W + B))"))` →
    `dW = H^\\top \\left((Y - T) \\odot f'(HW + B)\\right)`. `scalars`: the size names."""
    return _Latex(style, scalars)(node)
