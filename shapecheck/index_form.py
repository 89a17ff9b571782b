"""`--derive NAME --index`: a derivation in index notation, every line verified.

    index_form(checker, "dW1") -> IndexForm(lines=["[dW^{[1]}]_{kl}", "\\frac{1}{m} \\sum_a
        \\sum_i [dZ^{[1]}]_{ai} \\frac{\\partial}{\\partial W^{[1]}_{kl}} ...", ...])

The lines go from the entry of the gradient, through the chain rule written as a sum over
the entries of the quantity whose equation reads the variable (each element-wise step of
that equation a factor, its product or the variable itself left as the partial of an
entry), the same partial written with Kronecker deltas by the local rule (P = M @ V:
∂P_ai/∂V_kl = Σ_j M_aj δ_jk δ_il; a broadcast bias has no delta along its axis of size 1),
the deltas collapsed, to the matrix formula's entry. The lines are LaTeX, and are checked
as one derivation by the same checker as a user's (chains.check_derivation), each link on
the model's draw: a link that does not hold is shown marked, never as holding. An axis of
size 1 carries no index (`H_j` for H of shape (1, h)), as a hand derivation writes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import syntax as s
from .errors import ShapecheckError
from .functions import lookup
from .result import Result
from .shapes import ShapeEnv, infer

_ROW, _COL, _INNER = "a", "i", "j"  # the entry of the quantity between, and a product's sum
_V = ("k", "l")                      # the entry of the gradient


class Unsupported(Exception):
    """The derivation has no index form here (the reason is shown)."""


@dataclass
class IndexForm:
    name: str
    lines: list[str] = field(default_factory=list)   # LaTeX members of one derivation
    links: list[Result] = field(default_factory=list)  # one per link, lines[k] = lines[k+1]
    problem: str | None = None

    @property
    def holds(self) -> bool:
        return self.problem is None and all(r.verdict == "pass" for r in self.links)


def index_form(checker, name: str, check_lines) -> IndexForm:
    """The verified index form of `--derive name` (a `problem` where there is none);
    `check_lines(checker, lines)` checks the lines as one derivation (Session.index_form
    gives chains.check_derivation: this module does not reach into the checker)."""
    from .calculus.derive import Underivable, derive_name
    from .calculus.walk import Chain, model_sizes
    from .language.latex import to_latex
    from .language.sums import Examples
    from .models.names import latex_mark

    forward = bool(checker.options.forward)
    checker = checker._deriving(name)  # the depth --derive verifies this name on
    try:
        model, binding = checker.binder.bind(s.Equation(s.Name(name, (0, 0)),
                                                        s.Name(name, (0, 0)), name))
        derivation = derive_name(model, binding, name, False, checker.options.layers, forward)
        final = derive_name(model, binding, name, True, checker.options.layers, forward) \
            if forward else derivation  # the matrix form in the model's own quantities
        var = binding[name][0]
        sizes = model_sizes(model)
        mark = latex_mark("plain" if forward else "network")
        examples = Examples.of(model.examples, model.example_axis, {})

        def tex(node: s.Node) -> str:
            return to_latex(node, sizes, mark, examples)

        builder = _Builder(model, var, tex, forward, Chain(model, (), False), sizes)
        lines = builder.lines(derivation, final)
    except Underivable as e:
        return IndexForm(name, problem=f"cannot derive {name}: {e.reason}")
    except ShapecheckError as e:
        return IndexForm(name, problem=f"cannot derive {name}: {e.message}")
    except Unsupported as e:
        return IndexForm(name, problem=f"no index form of {name}: {e}")
    return IndexForm(name, lines, check_lines(checker, lines))


class _Builder:
    """The lines of one variable's index form, from the one equation that reads it."""

    def __init__(self, model, var, tex, forward, chain, sizes):
        self.model, self.var, self.tex, self.forward, self.chain = model, var, tex, forward, chain
        readers = [i for i, eq in enumerate(model.equations)
                   if var in model.uses[i] and eq.lhs.id != var]
        if len(readers) != 1:
            raise Unsupported(f"{var} is read by {len(readers)} equations; the index form "
                              "follows one")
        self.eq = model.equations[readers[0]]
        if sum(isinstance(n, s.Name) and n.id == var for n in s.walk(self.eq.rhs)) != 1:
            raise Unsupported(f"{var} appears more than once in {self.eq.text}")
        self.shapes = dict(infer(self.eq.rhs, ShapeEnv(model.shapes, sizes, self.eq.text))[1])
        self.lhs = self.eq.lhs.id
        self.p_shape = tuple(model.shapes.get(self.lhs, ()))
        self.v_shape = tuple(model.shapes[var])
        if len(self.v_shape) != 2 or len(self.p_shape) not in (0, 2):
            raise Unsupported("the index form is written for matrices")

    # -- entries
    def kept(self, shape, letters) -> tuple:
        """The letters of the axes not of size 1 (None for the others)."""
        return tuple(None if str(d) == "1" else x for d, x in zip(shape, letters))

    def sub(self, letters) -> str:
        used = "".join(x for x in letters if x)
        return f"_{{{used}}}" if used else ""

    def entry(self, node: s.Node, letters, shape=None) -> str:
        shape = shape if shape is not None else self.shapes.get(id(node))
        if shape is None or len(shape) != 2:
            if shape == () or shape is None and isinstance(node, s.Number):
                return self.tex(node)
            raise Unsupported(f"{self.tex(node)} is not a matrix")
        letters = self.kept(shape, letters)
        if isinstance(node, s.Name):
            return self.tex(node) + self.sub(letters)
        return f"\\left[{self.tex(node)}\\right]{self.sub(letters)}"

    # -- the chain rule's pieces
    def peel(self, node: s.Node, factors: list) -> s.Node:
        """The element-wise steps from `node` down to the variable or a product reading it,
        each a factor (a function of the entry's letters); returns that core."""
        if isinstance(node, s.Name) and node.id == self.var:
            return node
        if isinstance(node, s.BinOp) and node.op == "@":
            if not isinstance(node.left, s.Name) and not isinstance(node.right, s.Name):
                raise Unsupported("a product whose operands are not names")
            return node
        if isinstance(node, s.BinOp) and node.op in "+-*":
            inside = [side for side in (node.left, node.right) if self.reads(side)]
            if len(inside) != 1 or node.op == "-" and inside[0] is node.right:
                raise Unsupported(f"{self.tex(node)}: the variable on both sides or negated")
            other = node.right if inside[0] is node.left else node.left
            if node.op == "*":
                factors.append(lambda r, c, o=other: self.entry(o, (r, c)))
            return self.peel(inside[0], factors)
        if isinstance(node, s.Call) and len(node.args) == 1 and not node.kwargs and \
                self.elementwise(node.func):
            prime = s.Derivative(node.func, node.args, node.span, node.func_span)
            factors.append(lambda r, c, n=node, d=prime: self.entry(d, (r, c),
                                                                    self.shapes.get(id(n))))
            return self.peel(node.args[0], factors)
        raise Unsupported(f"no index rule written for {self.tex(node)}")

    def elementwise(self, func: str) -> bool:
        if func in self.model.open_functions or func in self.model.fixed_functions:
            return True
        record = lookup(func)
        return bool(record and record.elementwise)

    def reads(self, node: s.Node) -> bool:
        return any(isinstance(n, s.Name) and n.id == self.var for n in s.walk(node))

    def deltas(self, core: s.Node, r, c) -> tuple[str, dict, str]:
        """∂core_rc/∂V_kl with deltas; the letters the deltas collapse (to k, l); and the
        collapsed partial's factor (empty for the variable itself)."""
        k, l = self.kept(self.v_shape, _V)
        if isinstance(core, s.Name):
            pairs = [(x, y) for x, y in ((r, k), (c, l)) if x and y]
            text = " ".join(f"\\delta_{{{x}{y}}}" for x, y in pairs)
            return text, dict(pairs), ""
        j = _INNER
        if isinstance(core.right, s.Name) and core.right.id == self.var:  # P = M @ V
            m = core.left
            pairs = [(x, y) for x, y in ((j, k), (c, l)) if x and y]
            inner_m = self.entry(m, (r, j))
            text = f"\\sum_{j} {inner_m} " + " ".join(f"\\delta_{{{x}{y}}}" for x, y in pairs)
            return text, dict(pairs), self.entry(m, (r, k or j))
        if isinstance(core.left, s.Name) and core.left.id == self.var:  # P = V @ N
            n = core.right
            pairs = [(x, y) for x, y in ((r, k), (j, l)) if x and y]
            text = f"\\sum_{j} {self.entry(n, (j, c))} " + " ".join(
                f"\\delta_{{{x}{y}}}" for x, y in pairs)
            return text, dict(pairs), self.entry(n, (l or j, c))
        raise Unsupported(f"no index rule written for {self.tex(core)}")

    # -- the lines
    def lines(self, derivation, final_form) -> list[str]:
        v = s.Name(self.var, (0, 0))
        k, l = self.kept(self.v_shape, _V)
        if self.forward:
            first = f"\\left[\\frac{{\\partial J}}{{\\partial {self.tex(v)}}}\\right]" \
                    f"{self.sub((k, l))}"
        else:
            first = f"\\left[{self.tex(s.Name(derivation.name, (0, 0)))}\\right]" \
                    f"{self.sub((k, l))}"
        coef = self.coefficient()
        factors: list = []
        core = self.peel(self.eq.rhs, factors)
        if self.p_shape:
            r, c = self.kept(self.p_shape, (_ROW, _COL))
            gradient_of_p = self.upstream()
        else:
            r = c = None
            gradient_of_p = None
        sums = [x for x in (r, c) if x]

        def product(rr, cc, last: str) -> str:
            parts = ([gradient_of_p(rr, cc)] if gradient_of_p else []) + \
                [f(rr, cc) for f in factors] + [last]
            return " ".join(p for p in parts if p)

        def summed(letters, body) -> str:
            return " ".join([coef] + [f"\\sum_{x}" for x in letters] + [body]).strip()

        core_entry = self.entry(core, (r, c), self.v_shape if isinstance(core, s.Name) else
                                self.shapes.get(id(core)) or self.p_shape)
        partial = f"\\frac{{\\partial}}{{\\partial {self.tex(v)}{self.sub((k, l))}}} {core_entry}"
        with_deltas, collapse, rest = self.deltas(core, r, c)
        rr, cc = collapse.get(r, r) if r else r, collapse.get(c, c) if c else c
        left = [x for x in sums if x not in collapse]
        if isinstance(core, s.BinOp) and getattr(core.right, "id", None) == self.var:
            collapsed = summed(left, f"{rest} {product(rr, cc, '')}")  # M's entry first
        else:
            collapsed = summed(left, product(rr, cc, rest))
        final = f"\\left[{self.tex(final_form.node)}\\right]{self.sub((k, l))}"
        return [first, summed(sums, product(r, c, partial)),
                summed(sums, product(r, c, with_deltas)), collapsed, final]

    def coefficient(self) -> str:
        """1/m where the gradient names follow the course (dZ is m ∂J/∂Z, dW is ∂J/∂W)."""
        if self.forward or not self.p_shape:
            return ""
        mine, theirs = self.chain.scale(self.var), self.chain.scale(self.lhs)
        if mine == theirs:
            return ""
        if not mine.one:
            raise Unsupported("a per-example variable")
        from .calculus.simplify import coefficient_node
        return self.tex(coefficient_node(theirs.inverse()))

    def upstream(self):
        """The gradient of the quantity between, as an entry: its name in the course's
        network, the model's own quantities on a --forward model (the cost: none)."""
        if not self.forward:
            from .models.names import gradient_name
            g = s.Name(gradient_name(self.lhs), (0, 0))
            return lambda r, c: f"\\left[{self.tex(g)}\\right]" \
                f"{self.sub(self.kept(self.p_shape, (r, c)))}"
        from .calculus.derive import derive
        d = derive(self.model, self.lhs, expand=True, strict=True)
        return lambda r, c: self.entry(d.node, (r, c), self.p_shape)


def as_text(latex: str) -> str:
    """A line for the terminal: the same text with the LaTeX commands as symbols."""
    text = latex
    for old, new in ((r"\left[", "["), (r"\right]", "]"), (r"\left(", "("), (r"\right)", ")"),
                     (r"\odot", "*"), (r"^\top", "^T"), (r"\delta", "δ"), (r"\sum", "Σ"),
                     (r"\partial", "∂"), (r"\cdot", "·")):
        text = text.replace(old, new)
    text = re.sub(r"\\frac\{(∂)\}\{∂ ([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", r"∂/∂\2", text)
    text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"\1/\2", text)
    # W^{[1]} → W1, g^{[1]\prime} → g1', W^{[2]T} → W2^T: as the course's names
    text = re.sub(r"\^\{\[(\d+)\](\\prime|T)?\}",
                  lambda m: m[1] + {"\\prime": "'", "T": "^T", None: ""}[m[2]], text)
    return re.sub(r"_\{(\w)\}", r"_\1", text).replace("∂ ", "∂")


def render(form: IndexForm, latex: bool = False) -> str:
    """The index form for the terminal: each `= line` marked ✓ where its link holds, ✗ with
    the reason where it does not; with `latex`, the align block that reads back as one
    derivation."""
    if form.problem:
        return form.problem
    verdict = "each line verified on the model" if form.holds else \
        "NOT every line holds: the marked lines are shown as wrong, not as steps"
    out = [f"Index form of {form.name} ({verdict}):", f"  {as_text(form.lines[0])}"]
    for line, link in zip(form.lines[1:], form.links):
        mark = "✓" if link.verdict == "pass" else "✗"
        out.append(f"{mark}   = {as_text(line)}")
        if link.verdict != "pass":
            out.append(f"      {link.message}")
    if latex:
        out.append("\\begin{align}")
        rows = [f"{form.lines[0]} &= {form.lines[1]}"] + [f"&= {x}" for x in form.lines[2:]]
        out += [row + (" \\\\" if i < len(rows) - 1 else "") for i, row in enumerate(rows)]
        out.append("\\end{align}")
    return "\n".join(out)
