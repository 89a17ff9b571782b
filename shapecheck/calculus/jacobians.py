"""The scalar chain rule written with matrices: `dZ1 = ∂L/∂A1 * ∂A1/∂Z1`.

For scalars, dL/dz = dL/da · da/dz. For matrices, ∂A1/∂Z1 holds every entry of A1 against
every entry of Z1 (an array of both shapes), and the chain rule sums over the entries in
between: dZ1[i, j] = Σ_kl dA1[k, l] ∂A1[k, l]/∂Z1[i, j]. Each forward equation turns that
sum into a matrix formula (element-wise for `A1 = g1(Z1)`, a product with a transpose for
`Z2 = W2 @ A1 + b2`). `read_chain` finds, by the derivation's rules (calculus.derive),
the matrix form of each written Jacobian and of the left side; nothing here is shown
before the session has verified it by the check.
"""
from __future__ import annotations

from typing import Mapping

from .. import syntax as s
from ..errors import ShapecheckError, UnknownNameError
from ..frozen import Record, record
from ..models.model import Model
from ..models.names import gradient_name, role, single_example
from ..result import Operand, Result, show
from ..shapes import Mismatch, Shape, infer
from .derive import Derivation, derive
from .walk import Step


@record
class Link(Record):
    """One written Jacobian `∂V/∂U` (its text and span), its shape (V's, then U's), and
    the matrix form of its step of the chain rule, `dU = ...dV...`, with the forward
    equation and the rule that give it (None where no single step of the model links
    them)."""
    written: str
    span: s.Span
    of: str
    wrt: str
    of_shape: Shape
    wrt_shape: Shape
    form: Derivation | None
    step: Step | None

    @property
    def shape(self) -> Shape:
        return self.of_shape + self.wrt_shape


@record
class ChainRule(Record):
    """What a formula that multiplies Jacobians means: its links, whether they chain from
    a named gradient to the left side (`chained`), and the matrix form of the left side in
    the gradients the formula names (`whole`). `shown` maps names back to how a generic
    formula wrote them."""
    lhs: str
    lhs_var: str
    links: tuple[Link, ...]
    chained: bool
    whole: Derivation | None
    shown: Mapping[str, str] | None = None


def jacobians(node: s.Node) -> list[s.Jacobian]:
    return [n for n in s.walk(node) if isinstance(n, s.Jacobian)]


def read_chain(eq: s.Equation, model: Model, binding, shown=None) -> ChainRule:
    """`dZ1 = ∂L/∂A1 * ∂A1/∂Z1` on the course network → a ChainRule whose one link is
    `dZ1 = dA1 * g1'(Z1)` (from `A1 = g1(Z1)`) and whose whole form is the same formula."""
    lhs_var = binding[eq.lhs.id][0]
    named = {binding[n.id][0] for n in s.walk(eq.rhs)
             if isinstance(n, s.Name) and n.id in binding and binding[n.id][1]}
    links = tuple(_link(eq, j, model, binding) for j in jacobians(eq.rhs))
    found = role(eq.lhs.id, 1)
    if shown is None and found is not None and found.single_example:  # dz1, a1: as written
        shown = {v: single_example(v) for v in model.shapes}
        shown.update({gradient_name(v): gradient_name(single_example(v)) for v in model.shapes})
    return ChainRule(eq.lhs.id, lhs_var, links, _chains(named, links, lhs_var),
                     _form(model, lhs_var, named or None, eq.lhs.id), shown)


def _quantity(eq: s.Equation, name: s.Name, model: Model, binding) -> str:
    bound = binding.get(name.id)
    if not bound or bound[1] or bound[0] not in model.shapes or bound[0] == model.cost:
        raise UnknownNameError(f"{name.id} in a Jacobian ∂V/∂U must be a quantity of the model "
                               f"({', '.join(model.defined()[:-1] + list(model.inputs))})",
                               eq.text, name.span)
    return bound[0]


def _link(eq: s.Equation, j: s.Jacobian, model: Model, binding) -> Link:
    of, wrt = _quantity(eq, j.of, model, binding), _quantity(eq, j.wrt, model, binding)
    form = _form(model, wrt, {of})
    names = {n.id for n in s.walk(form.node) if isinstance(n, s.Name)} if form else set()
    if form is not None and names & {gradient_name(v) for v in model.shapes} != \
            {gradient_name(of)}:
        form = None  # U reaches the cost by another way too: no one step from dV to dU
    step = form.steps[0] if form is not None and len(form.steps) == 1 else None
    return Link(eq.text[j.span[0]:j.span[1]], j.span, of, wrt, tuple(model.shapes[of]),
                tuple(model.shapes[wrt]), form, step)


def _form(model: Model, var: str, stops, lhs: str | None = None) -> Derivation | None:
    """dJ/d`var` by the chain rule, in the gradients of `stops` (the course's default
    where None); None where no rule derives it."""
    if var == model.cost or var in (stops or ()):
        return None
    return derive(model, var, stops=stops, lhs=lhs)


def _chains(named: set[str], links: tuple[Link, ...], lhs_var: str) -> bool:
    """Whether the factors make ∂L/∂lhs as the scalar chain rule links them: one named
    gradient ∂L/∂V, then ∂V/∂U, ∂U/∂..., ending at the left side, in any order."""
    if len(named) != 1:
        return False
    current, left = next(iter(named)), list(links)
    while left:
        nxt = next((link for link in left if link.of == current), None)
        if nxt is None:
            return False
        left.remove(nxt)
        current = nxt.wrt
    return current == lhs_var


def chain_result(eq: s.Equation, chain: ChainRule, env, base) -> Result:
    """A `shape` result at the first Jacobian, with the operand it is multiplied by; the
    session verifies the chain's matrix forms and advice.chain_rule words the message."""
    link, shown = chain.links[0], chain.shown or {}
    message = (f"{link.written} is a Jacobian, every entry of {shown.get(link.of, link.of)} "
               f"against every entry of {shown.get(link.wrt, link.wrt)}: an array of shape "
               f"{show(link.shape)}, so the scalar chain rule's product does not carry over to "
               "matrices (with values checked, the matrix form the chain rule gives is shown)")
    op_span, operands = None, [Operand(link.written, link.span, link.shape)]
    for node in s.walk(eq.rhs):
        if isinstance(node, s.BinOp) and link.span in (node.left.span, node.right.span):
            other = node.left if node.right.span == link.span else node.right
            op_span = node.op_span if node.op_span[1] > node.op_span[0] else None
            try:
                shape = tuple(infer(other, env)[0])
                operands.insert(0 if other is node.left else 1,
                                Operand(eq.text[other.span[0]:other.span[1]], other.span, shape))
            except (Mismatch, ShapecheckError):
                pass  # a shape is only a help here
            break
    return Result(verdict="shape", message=message, rule=message, span=link.span,
                  op_span=op_span, operands=tuple(operands), chain=chain, **base)
