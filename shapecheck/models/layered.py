"""A derivation's layered names (`b^l_j`, `\\delta^l_j`, `w^2_{jk}`, language.indices'
Layered) as the network's quantities at a layer, and the layers a generic one is checked at.

Nielsen writes one example (his lower-case names, SPEC "Naming"), so a derivation with
his bare layers is checked on the network with m = 1, where his cost C is the course's J.
A derivation for a generic layer l is checked at every layer where each of its names is a
quantity of the network: l = 1..L, or 1..L-1 with `w^{l+1}`; `a^{l-1}` at l = 1 is the
input x, as the generic formulas' A_prev is.
"""
from __future__ import annotations

from typing import Collection

from .. import functions
from .. import syntax as s
from ..errors import FormulaSyntaxError, UnknownNameError
from ..language.index_terms import Apply, Layered, Partial, Sym, layered_in, resolved
from ..language.indices import read_member
from .binding import layer_range
from .model import Model
from .names import is_generic, quantity_at


def written(texts: list[str], nielsen: str | None) -> list[Layered]:
    """The layered names a derivation's members write (members the reader refuses give
    none here: they are reported where they are read)."""
    found = []
    for text in texts:
        try:
            found += layered_in(read_member(text, nielsen=nielsen))
        except FormulaSyntaxError:
            continue
    return found


def one_example(names: list[Layered]) -> bool:
    """Whether the derivation is Nielsen's, of one example: written with his bare layers."""
    return any(name.bare for name in names)


def layers_of(names: list[Layered], last_layer: int | None, only: tuple[int, int] | None,
              model: Model, gradients: Collection[str]) -> list[int | None]:
    """The layers a derivation is checked at: [None] for one with no generic layer."""
    known = set(model.shapes) | set(gradients)
    unknown = [n for n in names if not is_generic(n.name) and last_layer is not None
               and quantity_at(n.name, None, last_layer) not in known]
    if unknown:  # b^3 in a 2-layer network
        raise UnknownNameError(f"{unknown[0].name} is not a quantity of the {last_layer}-layer "
                               "network")
    generic = [n for n in names if is_generic(n.name)]
    if not generic:
        return [None]
    if last_layer is None:
        raise UnknownNameError(f"{generic[0].name} is the name of a generic layer l: give "
                               "the number of layers with --L N (on the course's network, "
                               "not a --forward model) to check it at every layer")
    first, end = only or (1, last_layer)
    candidates = range(first, end + 1)
    layers = [layer for layer in candidates
              if all(quantity_at(n.name, layer, last_layer) in known for n in generic)]
    if not layers:
        missing = next((n for n in generic if not any(
            quantity_at(n.name, layer, last_layer) in known for layer in candidates)), None)
        if missing is None:  # each is at some layer, never all at one (dz^{l-1}, dz^{l+1})
            raise UnknownNameError(f"no layer l = {layer_range(list(candidates))} has all of "
                                   f"{', '.join(dict.fromkeys(n.name for n in generic))}")
        raise UnknownNameError(f"{missing.name} names no quantity of the {last_layer}-layer "
                               f"network at l = {layer_range(list(candidates))}")
    return layers


def named_at(tree, layer: int | None, last_layer: int | None, model: Model,
             quantities: Collection[str]):
    """The member with its layered names the network's at `layer` (a name that is none
    keeps its spelling, for the evaluator to refuse), and the cost written C, L or E in a
    numerator (`\\frac{\\partial C}{\\partial b^l_j}`) the model's; `\\sigma`, where the
    model has no function of that name, the function table's (the sigmoid)."""
    def name_of(node: Layered) -> str:
        found = quantity_at(node.name, layer, last_layer or 0) if last_layer else None
        return found if found is not None else node.name

    own = set(model.open_functions) | set(model.fixed_functions)

    def named(node):
        if isinstance(node, Apply) and node.func not in own and _command(node.func):
            # \sigma: Nielsen's sigmoid, the function table's
            return Apply(_command(node.func).name, named(node.arg), node.prime)
        if isinstance(node, Partial):
            body = node.body
            if isinstance(body, Sym) and body.name in s.COST_NAMES and \
                    body.name not in quantities:
                body = Sym(model.cost, body.at)
            return Partial(named(body), node.var, node.indices, node.at)
        if hasattr(node, "__dataclass_fields__"):
            return type(node)(**{f: named(getattr(node, f)) for f in node.__dataclass_fields__})
        return node

    return named(resolved(tree, name_of))


def _command(name: str):
    """The function table's record of the LaTeX command `\\name`, or None."""
    try:
        return functions.command("\\" + name)
    except KeyError:
        return None
