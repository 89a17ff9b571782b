"""Spellings → meaning: one canonical tree for the many ways to write the same thing.

`np.dot(A, B)`, `np.matmul(A, B)` and `A.dot(B)` all become `A @ B`; `np.square(A)` becomes
`A ** 2`; `A.sum(axis=0)` becomes `sum(A, axis=0)`; `H'(Y - T)` where `H` is a variable is
`H.T @ (Y - T)`. Later stages (shapes, values) then know one form per operation.
Spans are kept, so messages still point into what the user typed.
"""
from __future__ import annotations

from typing import Callable

from . import syntax as s
from .errors import UnknownNameError

ELEMENTWISE = {"exp", "log", "log1p", "sqrt", "abs", "tanh", "sigmoid", "relu", "softplus",
               "identity"}
REDUCTIONS = {"sum", "mean", "max", "min"}
OTHERS = {"softmax", "trace", "outer", "linalg.inv", "linalg.det", "linalg.norm", "maximum",
          "minimum", "where", "ones_like", "zeros_like", "eye"}
KNOWN = ELEMENTWISE | REDUCTIONS | OTHERS
_RENAMED = {"absolute": "abs", "amax": "max", "amin": "min", "inv": "linalg.inv",
            "det": "linalg.det", "norm": "linalg.norm"}
_BINARY = {"dot": "@", "matmul": "@", "multiply": "*", "divide": "/", "true_divide": "/",
           "add": "+", "subtract": "-", "power": "**"}
# methods an array has in numpy, with the function they mean
_METHODS = {"sum", "mean", "max", "min", "dot", "transpose"}


class Lowering:
    """Rewrites one equation; `is_variable(name)` says which names hold arrays."""

    def __init__(self, text: str, is_variable: Callable[[str], bool]):
        self.text = text
        self.is_variable = is_variable

    def equation(self, eq: s.Equation) -> s.Equation:
        return s.Equation(eq.lhs, self.node(eq.rhs), eq.text, eq.span)

    def node(self, node: s.Node) -> s.Node:
        if isinstance(node, s.BinOp):
            return s.BinOp(node.op, self.node(node.left), self.node(node.right), node.span, node.op_span)
        if isinstance(node, s.Neg):
            return s.Neg(self.node(node.operand), node.span)
        if isinstance(node, s.Transpose):
            return s.Transpose(self.node(node.operand), node.span)
        if isinstance(node, s.Index):
            return s.Index(self.node(node.operand), node.attr, node.index, node.span)
        if isinstance(node, s.Keyword):
            return s.Keyword(node.name, self.node(node.value), node.span)
        if isinstance(node, s.Tuple):
            return s.Tuple(tuple(self.node(i) for i in node.items), node.span)
        if isinstance(node, s.Call):
            return self.call(node)
        if isinstance(node, s.Derivative):
            return self.derivative(node)
        return node

    def _fail(self, message: str, span: s.Span):
        raise UnknownNameError(message, self.text, span)

    def _arity(self, node: s.Call, count: int):
        if len(node.args) != count:
            shown = f"{node.func}()" if not node.method else f".{node.func}()"
            self._fail(f"{shown} takes {count} argument{'s' if count != 1 else ''}, "
                       f"got {len(node.args)}", node.span)

    def call(self, node: s.Call) -> s.Node:
        func = _RENAMED.get(node.func, node.func)
        args = tuple(self.node(a) for a in node.args)
        kwargs = tuple(self.node(k) for k in node.kwargs)
        if node.method and func not in _METHODS:
            self._fail(f"'.{node.func}()' is not an array method shapecheck knows "
                       f"(it reads {', '.join(sorted('.' + m + '()' for m in _METHODS))})",
                       node.func_span)
        if func in _BINARY:
            self._arity(node, 2)
            return s.BinOp(_BINARY[func], args[0], args[1], node.span, node.func_span)
        if func == "square":
            self._arity(node, 1)
            return s.BinOp("**", args[0], s.Number(2.0, "2", node.func_span), node.span, node.func_span)
        if func == "transpose":
            self._arity(node, 1)
            return s.Transpose(args[0], node.span)
        if func in KNOWN:
            return s.Call(func, args, kwargs, node.span, node.func_span, False, node.namespaced)
        if node.namespaced:
            self._fail(f"np.{node.func} is not a numpy function shapecheck knows", node.func_span)
        if self.is_variable(func):
            self._fail(f"{func} is a variable, not a function: write {func} @ (...) "
                       "for a product", node.func_span)
        if kwargs or len(args) != 1:
            self._fail(f"{func}(...) is read as an activation, which takes one argument",
                       node.span)
        return s.Call(func, args, (), node.span, node.func_span)

    def derivative(self, node: s.Derivative) -> s.Node:
        args = tuple(self.node(a) for a in node.args)
        if self.is_variable(node.func):
            # `H'(Y - T)`: MATLAB's transpose of a variable, times the bracket
            if len(args) != 1:
                self._fail(f"{node.func}'(...) needs one factor in the brackets", node.span)
            name_span = (node.func_span[0], node.func_span[1] - 1)
            transposed = s.Transpose(s.Name(node.func, name_span), node.func_span)
            return s.BinOp("@", transposed, args[0], node.span, (node.func_span[1] - 1, node.func_span[1]))
        func = _RENAMED.get(node.func, node.func)
        if func in KNOWN and func not in ELEMENTWISE:
            self._fail(f"{node.func}' is not an element-wise derivative shapecheck knows",
                       node.func_span)
        if len(args) != 1:
            self._fail(f"{node.func}'(...) takes one argument", node.span)
        return s.Derivative(func, args, node.span, node.func_span)


def lower(eq: s.Equation, is_variable: Callable[[str], bool]) -> s.Equation:
    """`lower(parse_equation('d = np.dot(A, B)'), ...)` → the equation `d = A @ B`."""
    return Lowering(eq.text, is_variable).equation(eq)
