"""Spellings → meaning: one canonical tree for the many ways to write the same thing.

`np.dot(A, B)`, `np.matmul(A, B)` and `A.dot(B)` all become `A @ B`; `np.square(A)` becomes
`A ** 2`; `A.sum(axis=0)` becomes `sum(A, axis=0)`; `H'(Y - T)` where `H` is a variable is
`H.T @ (Y - T)`. Later stages (shapes, values) then know one form per operation.
Spans are kept, so messages still point into what the user typed.

Slide and LaTeX notation is read here too, because its reading depends on which names are
variables: juxtaposed factors are a matrix product scaled by the scalars among them
(`1/m dZ A^T` is `1/m * (dZ @ A.T)`); a run-together name that is no variable is split
into variables (`HW` is `H @ W`); `\\cdot`, `\\times` and `\\otimes` have more than one
reading. `readings` yields each reading in order of preference, with a note on what was
chosen; the checker takes the first whose shapes line up.
"""
from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Callable, Iterator

from .. import functions
from .. import syntax as s
from ..errors import FormulaSyntaxError, UnknownNameError
from .columns import COLUMN, EXAMPLE_COLUMN, SUMMED, VECTORISED, NotVectorised, Vectorising
from ..frozen import Record, record
from .printer import to_numpy
from .sums import ANOTHER_AXIS, AXIS_SUM, EXAMPLE_INDEX, EXAMPLE_SUM, Examples, written
from .textbooks import D2L_PROD, PROD_NOTE

# names that are never split into variables
_CONSTANTS = {"True", "False", "None"}
# how many readings of one formula are tried at most
MAX_READINGS = 64


@record
class Reading(Record):
    """One way to read a formula; `notes` say how its ambiguous parts were read."""
    equation: s.Equation
    notes: tuple[str, ...] = ()
    alternatives: bool = False  # other readings exist


class Lowering:
    """Rewrites one equation; `is_variable(name)` says which names hold arrays, `is_size`
    which are sizes. `plan` picks an option at each ambiguous point (the first by default)."""

    def __init__(self, text: str, is_variable: Callable[[str], bool],
                 is_size: Callable[[str], bool] | None = None, plan: dict | None = None,
                 examples: Examples | None = None):
        self.text = text
        self.examples = examples  # where `\\sum_{i=1}^{m}` sums: None, nowhere
        self.is_variable = is_variable
        self.is_size = is_size or (lambda name: False)
        self.plan = plan or {}
        self.points: dict[tuple, int] = {}  # each ambiguous point → its number of options
        self.notes: list[str] = []
        self._splits: dict[str, list[list[str]]] = {}

    def equation(self, eq: s.Equation) -> s.Equation:
        return replace(eq, rhs=self.node(eq.rhs))  # a Cookbook cost ∂f/∂X kept as written

    def choose(self, key: tuple, options: list[tuple[str, Callable[[], s.Node]]]) -> s.Node:
        """One of `options` (note, build) at the ambiguous point `key`."""
        if len(options) > 1:
            self.points.setdefault(key, len(options))
        note, build = options[min(self.plan.get(key, 0), len(options) - 1)]
        if note and note not in self.notes:
            self.notes.append(note)
        return build()

    def node(self, node: s.Node) -> s.Node:
        if isinstance(node, s.Name):
            return self.name(node)
        if isinstance(node, s.BinOp):
            return self.binop(node)
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

    def _source_at(self, span: s.Span) -> str:
        return self.text[span[0]:span[1]]

    def _source(self, node: s.Node) -> str:
        return self.text[node.span[0]:node.span[1]]

    # -- names: `HW` is `H @ W` where HW is no variable but H and W are
    def name(self, node: s.Name) -> s.Node:
        if node.id in _CONSTANTS or self.is_size(node.id) or self.is_variable(node.id):
            return node
        splits = self.splits(node.id)
        if not splits:
            return node
        options = [(f"{node.id} as {' @ '.join(parts)}", lambda parts=parts: self._product_of(node, parts))
                   for parts in splits]
        return self.choose(("name", node.span), options)

    def splits(self, name: str) -> list[list[str]]:
        """Every way to cut `name` into two or more variables, fewest pieces first."""
        if name not in self._splits:
            found = []
            for cut in range(1, len(name)):
                head, tail = name[:cut], name[cut:]
                if not self.is_variable(head):
                    continue
                if self.is_variable(tail):
                    found.append([head, tail])
                found += [[head] + rest for rest in self.splits(tail)]
            self._splits[name] = sorted(found, key=len)
        return self._splits[name]

    def _product_of(self, node: s.Name, parts: list[str]) -> s.Node:
        start = node.span[0]
        result = None
        for part in parts:
            name = s.Name(part, (start, start + len(part)))
            result = name if result is None else s.BinOp(
                "@", result, name, (node.span[0], name.span[1]), (start, start))
            start += len(part)
        return result

    def mentions_variable(self, node: s.Node) -> bool:
        """Whether `node` holds an array rather than a scalar made of numbers and sizes."""
        for n in s.walk(node):
            if isinstance(n, s.Name) and n.id not in _CONSTANTS and (
                    self.is_variable(n.id) or (not self.is_size(n.id) and self.splits(n.id))):
                return True
            if isinstance(n, (s.Call, s.Derivative)) and (
                    self.is_variable(n.func) or getattr(functions.lookup(n.func), "creates", False)):
                return True
        return False

    # -- operators
    def binop(self, node: s.BinOp) -> s.Node:
        if node.op in (s.JUXTAPOSE, s.CDOT):
            return self.product(node)
        if node.op == "/" and (_chain(node.right) or self._is_cost(node.left)):
            regrouped = self.regroup(node)
            if regrouped is not None:
                return self.node(regrouped)
        left, right = self.node(node.left), self.node(node.right)
        if node.op == s.SUPERSCRIPT:
            record = functions.superscripted(right.value) if isinstance(right, s.Number) else None
            if record is not None and self.mentions_variable(left):  # A^{-1}: the table's
                return s.Call(record.name, (left,), (), node.span, node.op_span,
                              namespaced=record.numpy)
            return s.BinOp("**", left, right, node.span, node.op_span)
        if node.op in (s.TIMES, s.OTIMES):
            return self.ambiguous_product(node, left, right)
        return s.BinOp(node.op, left, right, node.span, node.op_span)

    def _is_cost(self, node: s.Node) -> bool:
        """`dJ` in `dJ/dW`, unless the formula has a variable of that name."""
        return isinstance(node, s.Name) and node.id[:1] == "d" and node.id[1:] in s.COST_NAMES \
            and not self.is_variable(node.id)

    def regroup(self, node: s.BinOp) -> s.Node | None:
        """`1/m dZ A^T` is `(1/m) (dZ A^T)`: a scalar divisor in front of juxtaposed factors
        divides only itself; `dJ/dW` is the name dW."""
        factors, links, ends = _flatten(node.right)
        first = factors[0]
        if self._is_cost(node.left) and isinstance(first, s.Name) and first.id[:1] == "d" \
                and len(first.id) > 1:
            head: s.Node = s.Name(first.id, (node.left.span[0], first.span[1]))
        elif len(factors) > 1 and not self.mentions_variable(first) \
                and not self._source_at(node.op_span).startswith("\\"):
            # (not a \\frac: its braces hold the whole divisor, \\frac{-1}{2 k n})
            head = s.BinOp("/", node.left, first, (node.left.span[0], first.span[1]), node.op_span)
        else:
            return None
        result = head
        for factor, (op, op_span), end in zip(factors[1:], links, ends[1:]):
            result = s.BinOp(op, result, factor, (head.span[0], end), op_span)
        return result

    def product(self, node: s.BinOp) -> s.Node:
        """Juxtaposed factors (and `\\cdot`): the scalars among them scale the matrix product
        of the others, `2 A x` is `2 * (A @ x)`; a scalar is a factor that mentions no
        variable (`\\frac{1}{m}`) or a call the function table says is one number
        (`\\det(X) (X^{-1})^T` is `np.linalg.det(X) * X^{-1}.T`)."""
        factors, links, ends = _flatten(node)
        lowered = [self.node(f) for f in factors]
        arrays = [i for i, f in enumerate(lowered)
                  if self.mentions_variable(f) and not functions.scalar_valued(f)]
        scalars = [i for i in range(len(lowered)) if i not in arrays]
        result = None
        for i in arrays:
            if result is None:
                result, start = lowered[i], node.span[0] if i == 0 else lowered[i].span[0]
                continue
            op, op_span = links[i - 1]
            result = self.matrix_product(op, result, lowered[i], op_span, (start, ends[i]))
        coefficient = None
        for i in scalars:
            factor = lowered[i]
            coefficient = factor if coefficient is None else s.BinOp(
                "*", coefficient, factor, (coefficient.span[0], factor.span[1]), links[i - 1][1])
        if result is None:
            return coefficient
        if coefficient is None:
            return result
        op_span = links[scalars[-1]][1] if scalars[-1] < len(links) else links[-1][1]
        return s.BinOp("*", coefficient, result, node.span, op_span)

    def matrix_product(self, op: str, left: s.Node, right: s.Node, op_span: s.Span,
                       span: s.Span) -> s.Node:
        if op == s.JUXTAPOSE:
            return s.BinOp("@", left, right, span, op_span)
        return self.choose(("cdot", op_span), [
            ("\\cdot as a matrix product @", lambda: s.BinOp("@", left, right, span, op_span)),
            ("\\cdot as a dot product of vectors, a.T @ b",
             lambda: s.BinOp("@", s.Transpose(left, left.span), right, span, op_span)),
            ("\\cdot as an element-wise product *", lambda: s.BinOp("*", left, right, span, op_span)),
        ])

    def ambiguous_product(self, node: s.BinOp, left: s.Node, right: s.Node) -> s.Node:
        def build(op, a=left, b=right):
            return lambda: s.BinOp(op, a, b, node.span, node.op_span)
        if not (self.mentions_variable(left) and self.mentions_variable(right)):
            return build("*")()  # a scalar times an array
        if node.op == s.TIMES:
            return self.choose(("times", node.op_span), [
                ("\\times as a matrix product @", build("@")),
                ("\\times as an element-wise product *", build("*"))])
        return self.choose(("otimes", node.op_span), [
            ("\\otimes as an element-wise product *", build("*")),
            ("\\otimes as an outer product a @ b.T", build("@", left, s.Transpose(right, right.span))),
            ("\\otimes as a matrix product @", build("@"))])

    def _arity(self, node: s.Call, count: int):
        if len(node.args) != count:
            shown = f".{node.func}()" if node.method else \
                f"{'np.' if node.namespaced else ''}{node.func}()"  # np. kept
            self._fail(f"{shown} takes {count} argument{'s' if count != 1 else ''}, "
                       f"got {len(node.args)}", node.span)

    def call(self, node: s.Call) -> s.Node:
        if node.func == EXAMPLE_SUM:
            return self.example_sum(node)
        if node.func == EXAMPLE_COLUMN:
            return node  # x^{(i)}: read with the sum around it (examples_read named it)
        if node.func == D2L_PROD:
            return self.d2l_product(node)
        func = functions.canonical(node.func)
        args = tuple(self.node(a) for a in node.args)
        kwargs = tuple(self.node(k) for k in node.kwargs)
        methods = functions.methods()
        if node.method and func not in methods:
            self._fail(f"'.{node.func}()' is not an array method shapecheck knows "
                       f"(it reads {', '.join(sorted('.' + m + '()' for m in methods))})",
                       node.func_span)
        operator = functions.operator(func)
        if operator is not None:  # np.matmul(A, B) is A @ B, np.square(A) is A ** 2
            written, arity = operator
            self._arity(node, arity)
            if written == ".T":
                return s.Transpose(args[0], node.span)
            if written == "**2":
                return s.BinOp("**", args[0], s.Number(2.0, "2", node.func_span), node.span,
                               node.func_span)
            return s.BinOp(written, args[0], args[1], node.span, node.func_span)
        spelled = functions.sloped(func)
        if spelled is not None and len(args) == 2 and not kwargs:
            return spelled(node, args)  # leaky_relu(Z, 0.2): its slope given
        if functions.known(func):
            return s.Call(func, args, kwargs, node.span, node.func_span, False, node.namespaced)
        if node.namespaced:
            near = functions.closest(node.func)
            self._fail(f"np.{node.func} is not a numpy function shapecheck knows"
                       + (f": did you mean {' or '.join(near)}?" if near else ""), node.func_span)
        if self.is_variable(func):
            # `W^{[2]}(A + b)`: a variable before a bracket multiplies it, as on slides (and as
            # `H'(Y - T)` is `H.T @ (Y - T)`); a size before one is still a function (SPEC)
            if kwargs or len(args) != 1:
                self._fail(f"{func} is a variable, not a function: write {func} @ (...) "
                           "for a product", node.func_span)
            name = s.Name(func, node.func_span)
            gap = (node.func_span[1], node.func_span[1])
            note = f"{self._source(name)}(...) as {func} @ (...)"
            return self.choose(("call", node.span), [
                (note, lambda: s.BinOp("@", name, args[0], node.span, gap))])
        if kwargs or len(args) != 1:
            self._fail(f"{func}(...) is read as an activation, which takes one argument",
                       node.span)
        return s.Call(func, args, (), node.span, node.func_span)

    def d2l_product(self, node: s.Call) -> s.Node:
        """d2l's `\\text{prod}(A, B)`: the product of A and B arranged (transposed, swapped)
        so that the shapes line up, each arrangement a reading (the checker refuses a
        formula where more than one lines up)."""
        self._arity(node, 2)
        if node.kwargs:
            self._fail("\\text{prod}(A, B) takes no keyword arguments", node.span)
        a, b = (self.node(arg) for arg in node.args)
        jacobian = next((n for n in (a, b) if isinstance(n, s.Jacobian)), None)
        if jacobian is not None:
            self._fail(f"{self._source(jacobian)} is a Jacobian: \\text{{prod}} of it is d2l's "
                       "sum over its entries, which shapecheck does not read; write what d2l "
                       "writes next, the product of matrices (\\frac{\\partial J}{\\partial o} "
                       "h^\\top)", jacobian.span)

        def t(n):
            return s.Transpose(n, n.span)
        products = [s.BinOp("@", left, right, node.span, node.func_span) for left, right in
                    [(a, b), (a, t(b)), (t(a), b), (b, a), (b, t(a)), (t(b), a)]]
        return self.choose(("prod", node.span), [
            (PROD_NOTE + to_numpy(product), lambda product=product: product)
            for product in products])

    def example_sum(self, node: s.Call) -> s.Node:
        """`\\sum_{i=1}^{m} X` (or `\\sum_i X` of a per-example X) is the sum over examples,
        numpy's sum over axis 1 (kept) where the examples are columns; any other index
        or limits are refused, never guessed."""
        sign, limits, examples = self._source_at(node.func_span), written(node), self.examples
        if examples is None:
            self._fail(f"{sign} is read as the sum over examples, but where the examples run "
                       "is not known here (in a --forward model's own equations, with one "
                       f"example, or where the cost sums no examples): write {AXIS_SUM}",
                       node.func_span)
        m, index = examples.size, limits["index"]
        bounds = (limits.get("start"), limits.get("end"))
        if bounds != (None, None) and bounds not in (("1", m), ("0", f"{m}-1")):
            self._fail(f"{sign} is not the sum over the {m} examples, "
                       f"{examples.sign}: shapecheck reads no other limits; write "
                       f"{ANOTHER_AXIS}", node.func_span)
        if bounds == (None, None) and index != EXAMPLE_INDEX:
            self._fail(f"{sign} is not read: without limits only the example index "
                       f"{EXAMPLE_INDEX} is read, \\sum_{EXAMPLE_INDEX}; write {examples.sign} "
                       f"for the sum over the {m} examples, or {ANOTHER_AXIS}", node.func_span)
        summand = self.node(node.args[0])
        if any(isinstance(n, s.Call) and n.func == EXAMPLE_COLUMN for n in s.walk(summand)):
            return self._example_columns(node, summand, sign)
        if not any(isinstance(n, s.Name) and examples.carries(n.id) for n in s.walk(summand)):
            self._fail(f"{sign} sums over the {m} examples, which run along axis "
                       f"{examples.axis}, but {self._source(node.args[0])} holds no "
                       f"quantity with one entry per example there: write {ANOTHER_AXIS}",
                       node.args[0].span)
        return self._along(summand, examples.axis, node)

    def _along(self, summand: s.Node, axis: int, node: s.Call) -> s.Node:
        total = s.Call("sum", (summand,), (), node.span, node.func_span, False, True)
        at = s.Number(float(axis), str(axis), node.func_span)
        return functions.with_axis(total, at, True)

    def _example_columns(self, node: s.Call, summand: s.Node, sign: str) -> s.Node:
        """`\\sum_i x^{(i)} (a^{(i)} - y^{(i)})`: its matrix form (columns.py), summed along
        the examples where it is one column (row) per example."""
        try:
            kind, matrix = Vectorising(self.examples).part(summand)
        except NotVectorised as e:
            self._fail(f"{e.args[0]}, {self._source(e.args[1])}, has no matrix form shapecheck "
                       f"reads inside {sign}: {VECTORISED}", e.args[1].span)
        if kind == SUMMED:
            return replace(matrix, span=node.span)
        return self._along(matrix, 1 if kind == COLUMN else 0, node)  # kind ROW: along axis 0

    def derivative(self, node: s.Derivative) -> s.Node:
        args = tuple(self.node(a) for a in node.args)
        if self.is_variable(node.func):
            # `H'(Y - T)`: MATLAB's transpose of a variable, times the bracket
            if len(args) != 1:
                self._fail(f"{node.func}'(...) needs one factor in the brackets", node.span)
            name_span = (node.func_span[0], node.func_span[1] - 1)
            transposed = s.Transpose(s.Name(node.func, name_span), node.func_span)
            note = f"{self._source(transposed)}(...) as {node.func}.T @ (...)"
            return self.choose(("derivative", node.span), [(note, lambda: s.BinOp(
                "@", transposed, args[0], node.span, (node.func_span[1] - 1, node.func_span[1])))])
        func = functions.canonical(node.func)
        if functions.known(func) and not functions.elementwise(func):
            self._fail(f"{node.func}' is not an element-wise derivative shapecheck knows",
                       node.func_span)
        spelled = functions.sloped(func, derivative=True)
        if spelled is not None and len(args) == 2:
            return spelled(node, args)  # leaky_relu'(Z, 0.2)
        if len(args) != 1:
            self._fail(f"{node.func}'(...) takes one argument", node.span)
        return s.Derivative(func, args, node.span, node.func_span)


def _chain(node: s.Node) -> bool:
    return isinstance(node, s.BinOp) and node.op in (s.JUXTAPOSE, s.CDOT)


def _flatten(node: s.Node) -> tuple[list[s.Node], list[tuple[str, s.Span]], list[int]]:
    """`a b \\cdot c` → factors [a, b, c], the links between them, and where the text of
    each factor ends (a bracket included, as the parser's spans have it)."""
    if not _chain(node):
        return [node], [], [node.span[1]]
    factors, links, ends = _flatten(node.left)
    return factors + [node.right], links + [(node.op, node.op_span)], ends + [node.span[1]]


def readings(eq: s.Equation, is_variable: Callable[[str], bool],
             is_size: Callable[[str], bool] | None = None,
             examples: Examples | None = None) -> Iterator[Reading]:
    """Every reading of `eq`, the preferred first: `HW` as `H @ W`, `\\cdot` as `@`, then
    as a dot product, and so on (at most MAX_READINGS). `examples`: where the model's
    examples are, for `\\sum_{i=1}^{m}`."""
    first = Lowering(eq.text, is_variable, is_size, examples=examples)
    equation = first.equation(eq)
    points = list(first.points.items())
    yield Reading(equation, tuple(first.notes), bool(points))
    if not points:
        return
    keys = [key for key, _ in points]
    choices = itertools.product(*(range(count) for _, count in points))
    for plan in itertools.islice(choices, 1, MAX_READINGS):
        lowering = Lowering(eq.text, is_variable, is_size, dict(zip(keys, plan)), examples)
        yield Reading(lowering.equation(eq), tuple(lowering.notes), True)


def lower(eq: s.Equation, is_variable: Callable[[str], bool],
          is_size: Callable[[str], bool] | None = None,
          examples: Examples | None = None) -> s.Equation:
    """`lower(parse_equation('d = np.dot(A, B)'), ...)` → the equation `d = A @ B` (the
    preferred reading, where notation leaves more than one)."""
    return next(readings(eq, is_variable, is_size, examples)).equation


def has_product(notes) -> bool:
    """Whether a reading's notes say how it read a `\\text{prod}`."""
    return any(n.startswith(PROD_NOTE) for n in notes)


def one_product(read, other) -> None:
    """d2l's `\\text{prod}(A, B)` is the arrangement of A and B whose shapes line up: where
    `other`, a later reading that reads a prod another way, lines up too (`.notes`,
    `.fits()`), it is ambiguous, refused with both."""
    chosen = [n for n in read.notes if n.startswith(PROD_NOTE)]
    differ = [n for n in other.notes if n.startswith(PROD_NOTE) and n not in chosen]
    if differ and other.fits():
        raise FormulaSyntaxError(
            f"\\text{{prod}} lines up more than one way: {'; '.join(chosen)}, or "
            f"{'; '.join(differ)}: write the product itself, as d2l does after it "
            "(A B^\\top)", read.equation.text, read.equation.rhs.span)
