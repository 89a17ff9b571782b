"""Example columns, `x^{(i)}`: example i of the all-examples X, as textbooks write a sum over
examples of products of examples (`\\sum_{i=1}^{m} x^{(i)} (a^{(i)} - y^{(i)})`).

The parser leaves `v^{(i)}` as a call of EXAMPLE_COLUMN on the name; `examples_read` names
it for where it stands: inside a sum over examples, column i of the course's upper-case V
(`x^{(i)}` is X, `dz^{[1](i)}` dZ1); outside any sum, a per-example formula, the one-example
name (`x`, checked with m = 1). `vectorised` then reads a sum of such columns as the matrix
expression it is: Σ_i f(col_i) g(col_i)^T is F @ G.T, Σ_i of a per-example column is the sum
along the examples; any other use of a column is refused with the vectorised form to write.
"""
from __future__ import annotations

from dataclasses import fields, replace

from .. import functions
from .. import syntax as s
from .sums import EXAMPLE_SUM, written


EXAMPLE_COLUMN = "^{(i)}"   # the func of `v^{(i)}` (a name no formula can spell), its arg V


def column(upper: s.Name, one: s.Name, index: str, span: s.Span) -> s.Call:
    """`x^{(i)}` as the parser leaves it: a call of EXAMPLE_COLUMN on the all-examples name
    (`X`), with the index and the one-example name (`x`) as keywords; `examples_read` then
    reads it for where it stands."""
    return s.Call(EXAMPLE_COLUMN, (upper,), (s.Keyword("index", s.Name(index, span), span),
                                             s.Keyword("one", one, span)), span, span)


def column_index(node: s.Call) -> str:
    return node.kwargs[0].value.id


def _is_sum(node) -> bool:
    return isinstance(node, s.Call) and node.func == EXAMPLE_SUM


def _has_column(node) -> bool:
    return any(isinstance(n, s.Call) and n.func == EXAMPLE_COLUMN for n in s.walk(node))


def _chain_factors(node) -> list:
    if isinstance(node, s.BinOp) and node.op in (s.JUXTAPOSE, s.CDOT):
        return _chain_factors(node.left) + [node]
    return [node]


class ExampleIndexError(Exception):
    """An example index that does not belong where it is: (message, span)."""


def examples_read(node, index: str | None = None):
    """The example columns of a formula named for where they stand: inside a sum over
    examples, `x^{(i)}` is column i of X (the call kept, on the upper-case name, for meaning
    to read the sum); outside any sum, a per-example formula, the one-example name `x`.
    A `\\sum` written before juxtaposed factors sums their product (`\\sum_i x^{(i)}
    (a^{(i)} - y^{(i)})`), where the sum holds an example column."""
    if isinstance(node, s.BinOp) and node.op in (s.JUXTAPOSE, s.CDOT):
        chain = _chain_factors(node)  # the BinOps of the chain, the first factor first
        factors = [chain[0]] + [link.right for link in chain[1:]]
        at = next((k for k, f in enumerate(factors[:-1]) if _is_sum(f) and any(
            _has_column(g) for g in factors[k:])), None)
        if at is not None:
            total = factors[at]
            summand = total.args[0]
            for link in chain[at + 1:]:
                summand = s.BinOp(link.op, summand, link.right,
                                  (summand.span[0], link.span[1]), link.op_span)
            absorbed = replace(total, args=(summand,), span=(total.span[0], node.span[1]))
            rebuilt = absorbed if at == 0 else s.BinOp(
                chain[at].op, chain[at].left, absorbed, node.span, chain[at].op_span)
            return examples_read(rebuilt, index)
    if isinstance(node, s.BinOp) and node.op == "*" and _has_column(node.right):
        # \frac{1}{m} \sum_i dz^{(i)} * g'(z^{(i)}): the sum holds the product, as it
        # holds juxtaposed factors; the sum may end a chain of them
        left = examples_read(node.left, index)  # its chain first: \sum_i W dz^{(i)}
        total = left.right if isinstance(left, s.BinOp) and left.op in (s.JUXTAPOSE, s.CDOT) \
            else left
        if _is_sum(total):
            summand = replace(node, left=total.args[0], span=(total.args[0].span[0], node.span[1]))
            total = replace(total, args=(summand,), span=(total.span[0], node.span[1]))
            rebuilt = total if _is_sum(left) else replace(left, right=total, span=node.span)
            return examples_read(rebuilt, index)
    if _is_sum(node):
        index = written(node)["index"]
    if isinstance(node, s.Call) and node.func == EXAMPLE_COLUMN:
        own = column_index(node)
        if index is None:
            return s.Name(node.kwargs[1].value.id, node.span)  # one example: m = 1
        if own != index:
            raise ExampleIndexError(f"^{{({own})}} is not the index of the sum around it, "
                                    f"{index}: write ^{{({index})}}", node.span)
        return replace(node, kwargs=node.kwargs[:1])  # column i of X: the one-example x gone
    changes = {}
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, tuple) and value and hasattr(value[0], "span"):
            changes[f.name] = tuple(examples_read(v, index) for v in value)
        elif hasattr(value, "span") and f.name != "span":
            changes[f.name] = examples_read(value, index)
    return replace(node, **changes) if changes else node


# the kinds of a part of a summand: the same for every example (INDEPENDENT), one column per
# example (COLUMN: its matrix has example i's column as its column i), one row per example
# (ROW: its matrix has example i's row as its row i), or already summed (SUMMED: F @ G.T)
INDEPENDENT, COLUMN, ROW, SUMMED = "independent", "column", "row", "summed"
_FLIPPED = {COLUMN: ROW, ROW: COLUMN, SUMMED: SUMMED}
VECTORISED = ("write the sum for all examples at once: \\sum_i f^{(i)} g^{(i)T} is F G^T, "
              f"\\sum_i of a column f^{{(i)}} is np.sum(F, axis=1, {functions.kept_written(True)})")


class NotVectorised(Exception):
    """A use of example columns with no matrix form read: (what, node)."""


def _binop(node: s.BinOp, left: s.Node, right: s.Node) -> s.BinOp:
    return replace(node, left=left, right=right)


class Vectorising:
    """The matrix form of a summand of example columns (`part`). `examples` (a sums.Examples)
    says where the examples run: with examples in columns `x^{(i)}` is column i of X, with
    `--layout rows` row i of X."""

    def __init__(self, examples):
        self.examples = examples

    @staticmethod
    def elementwise(node) -> bool:
        """A call that acts entry by entry: a known element-wise function or an activation
        (open, or its derivative g'(z))."""
        return isinstance(node, s.Derivative) or functions.elementwise(node.func) or \
            not functions.known(node.func)

    def length(self, node: s.Node):
        """How many entries one example's vector `node` has, where that is plain, else None."""
        if isinstance(node, s.Call) and node.func == EXAMPLE_COLUMN:
            shape = self.examples.shape(node.args[0].id)
            at = 0 if self.examples.axis == 1 else 1
            return shape[at] if shape is not None and len(shape) == 2 else None
        if isinstance(node, (s.Neg, s.Transpose)):
            return self.length(node.operand)
        if isinstance(node, s.BinOp) and node.op in ("+", "-", "*", "/"):
            found = [self.length(n) for n in (node.left, node.right) if _has_column(n)]
            return found[0] if found and all(f == found[0] for f in found) else None
        return None

    def stretches(self, node: s.Node, kind: str) -> bool:
        """Whether `node`, the same for every example, meets each example's column (row)
        entry by entry as it meets all of them: every name in it a number, a column (n, 1)
        (a row (1, n) or (n,) with examples in rows). `x^{(i)} * B` with B (n, m) is not: each
        example's product is (n, m), where X * B would be column by column."""
        for name in (n for n in s.walk(node) if isinstance(n, s.Name)):
            shape = self.examples.shape(name.id)
            if shape not in (None, ()) and not (
                    len(shape) == 2 and str(shape[1 if kind == COLUMN else 0]) == "1"
                    or kind == ROW and len(shape) == 1):
                return False
        return True

    def _one(self, node: s.Node) -> bool:
        return str(self.length(node)) == "1"

    def part(self, node: s.Node) -> tuple[str, s.Node]:
        """The kind of `node` and its matrix form."""
        if not _has_column(node):
            return INDEPENDENT, node
        if isinstance(node, s.Call) and node.func == EXAMPLE_COLUMN:
            name = s.Name(node.args[0].id, node.span)  # spanning what was written, x^{(i)}
            if not self.examples.carries(name.id):
                raise NotVectorised(f"an example of {name.id}, which holds no column per "
                                    "example", node)
            return (COLUMN if self.examples.axis == 1 else ROW), name
        if isinstance(node, s.Neg):
            kind, inner = self.part(node.operand)
            return kind, replace(node, operand=inner)
        if isinstance(node, s.Transpose):
            kind, inner = self.part(node.operand)
            return _FLIPPED[kind], replace(node, operand=inner)
        if isinstance(node, s.BinOp):
            return self.binop(node)
        if isinstance(node, (s.Call, s.Derivative)) and len(node.args) == 1 and \
                not getattr(node, "kwargs", ()) and self.elementwise(node):
            kind, inner = self.part(node.args[0])
            if kind in (COLUMN, ROW):
                return kind, replace(node, args=(inner,))
        raise NotVectorised("this use of an example", node)

    def binop(self, node: s.BinOp) -> tuple[str, s.Node]:
        (lk, left), (rk, right) = self.part(node.left), self.part(node.right)
        kinds = {lk, rk}
        if node.op == "@":
            if (lk, rk) in ((INDEPENDENT, COLUMN), (ROW, INDEPENDENT)):
                return rk if lk == INDEPENDENT else lk, _binop(node, left, right)  # W x^{(i)}
            if (lk, rk) == (COLUMN, ROW):
                return SUMMED, _binop(node, left, right)   # Σ_i f g^T = F @ G.T
            # f g of two columns is f g^T where each g is one number (1, 1), and two rows
            # r s is r^T s where each r is; any other stays F @ G, a shape error as f g is,
            # never a transpose added
            if (lk, rk) == (COLUMN, COLUMN):
                return SUMMED, _binop(node, left, s.Transpose(right, right.span)
                                      if self._one(node.right) else right)
            if (lk, rk) == (ROW, ROW):
                return SUMMED, _binop(node, s.Transpose(left, left.span)
                                      if self._one(node.left) else left, right)
            if kinds <= {INDEPENDENT, SUMMED}:
                return SUMMED, _binop(node, left, right)   # W (Σ_i f g^T): linear
        elif node.op in ("+", "-", "*", "/", "**"):
            for each in (COLUMN, ROW):  # element-wise, example by example
                if kinds <= {INDEPENDENT, each} and (node.op != "**" or rk == INDEPENDENT) \
                        and all(self.stretches(n, each) for n, k in
                                ((node.left, lk), (node.right, rk)) if k == INDEPENDENT):
                    return each, _binop(node, left, right)
            if node.op in ("+", "-") and kinds == {SUMMED}:
                return SUMMED, _binop(node, left, right)
            if node.op in ("*", "/") and (lk, rk) == (SUMMED, INDEPENDENT) or \
                    node.op == "*" and (lk, rk) == (INDEPENDENT, SUMMED):
                return SUMMED, _binop(node, left, right)   # a factor the same for all: linear
        raise NotVectorised("this product of examples" if node.op == "@" else
                            "this use of an example", node)
