"""Binding: which model a formula is checked on, at which layer, and what its names mean.

With `names` (the convention itself) this is the only code that knows the course's names
(`W2`, `dZ`, `A_prev`, `g1`, `n1`): check and model ask here. The models built are kept
in a dictionary the session owns and hands in.
"""
from __future__ import annotations

import re
from functools import partial
from typing import Mapping

from .. import functions
from .. import syntax as s
from ..errors import ModelError, UnknownNameError
from ..result import Options, Shape
from .model import MAX_LAYERS, Model, build
from .names import (EXAMPLES, GENERIC_FUNCTION, at_layer, gradient_names, highest_layer,
                    is_generic, is_open_activation, is_per_example, network_shapes, role)

Binding = Mapping[str, tuple[str, bool]]  # a formula's name → (model variable, is gradient)
_SIZE = re.compile(r"n(\d+)")


class Binder:
    """The models of one set of options (cached in `models`), and formulas bound to them."""

    def __init__(self, options: Options, models: dict[tuple, Model] | None = None):
        self.options = options
        self.models = {} if models is None else models

    def network(self, layers: int, batch) -> Model:
        key = ("network", layers, batch, self.options.layout)
        if key not in self.models:
            self.models[key] = network(layers, self.options.layout, batch,
                                       dict(self.options.activations), self.options.shapes)
        return self.models[key]

    def layers(self, names: set[str]) -> int:
        """The network's depth: --L, else the highest layer named or declared by a size."""
        if self.options.layers:
            return self.options.layers
        named = [highest_layer(n) for n in names if role(n, 1)]
        declared = [int(k[1:]) for k in self.options.sizes if _SIZE.fullmatch(k)]
        return max(named + declared + [1])

    def derivation_layers(self, name: str) -> int | None:
        """The depth a derivation is verified at: the course network with at least two
        layers (so that dZ1 is written in dZ2, as the course does); --forward's own model."""
        if self.options.forward or self.options.layers:
            return self.options.layers
        return max(self.layers({name}), 2)

    def forward_model(self) -> Model:
        key = ("forward",)
        if key not in self.models:
            text = "; ".join(self.options.forward)
            equations = [t for t in re.split(r"[;\n]", text) if t.strip()]
            words = re.findall(r"[A-Za-z_]\w*", text)
            layers = max([highest_layer(n) for n in words] + [1])
            convention = network_shapes(layers, self.options.layout,
                                        1 if single_example_model(words, layers) else EXAMPLES)
            shapes = {}
            for name in set(words):
                found = role(name, layers)
                if found and not found.gradient and found.var in convention:
                    shapes[name] = convention[found.var]
            shapes.update(self.options.shapes)
            sizes = {d for shape in shapes.values() for d in shape if isinstance(d, str)}
            sizes |= set(self.options.sizes)
            labels = {n for n in ("Y", "T", "y", "t") if n in shapes} | set(self.options.labels)
            model = build(equations, shapes, sizes, labels=labels,
                          fixed_functions=dict(self.options.activations),
                          class_axis=0 if self.options.layout == "columns" else 1,
                          examples=EXAMPLES)
            refuse_unknown_open(model)
            self.models[key] = model
        return self.models[key]

    def cost_model(self, eq: s.Equation) -> Model:
        """The model of a left side ∂f/∂X with an expression f on top (the Matrix Cookbook's
        ∂(a^T X^T b)/∂X): the one equation `J = f`, its names shaped by --shape."""
        written = eq.text[eq.cost.span[0]:eq.cost.span[1]]
        key = ("cost", written)
        if key not in self.models:
            cost = s.Equation(s.Name(COST, eq.lhs.span), eq.cost, eq.text, eq.cost.span)
            shapes = dict(self.options.shapes)
            sizes = {d for shape in shapes.values() for d in shape if isinstance(d, str)}
            try:
                model = build([cost], shapes, sizes | set(self.options.sizes),
                              fixed_functions=dict(self.options.activations))
            except ModelError as e:
                shape = model_shape(e)
                if shape is None:
                    raise
                raise ModelError(f"{written} is {shape}, not a scalar: ∂f/∂{eq.lhs.id[1:]} is "
                                 "read as the gradient of a scalar f, such as a^T X b or "
                                 "Tr(A X B)", eq.text, eq.cost.span) from None
            refuse_unknown_open(model)
            self.models[key] = model
        return self.models[key]

    def bind(self, eq: s.Equation) -> tuple[Model, dict[str, tuple[str, bool]]]:
        """The model, and each of the formula's names bound to (model variable, is gradient)."""
        names = {n.id for n in s.walk(eq.rhs) if isinstance(n, s.Name)} | {eq.lhs.id}
        binding: dict[str, tuple[str, bool]] = {}
        if self.options.forward or eq.cost is not None:
            model = self.forward_model() if eq.cost is None else self.cost_model(eq)
            for name in names:
                if name in model.shapes:
                    binding[name] = (name, False)
                elif name.startswith("d") and name[1:] in model.shapes:
                    binding[name] = (name[1:], True)
                elif starred(name) in model.shapes:  # `Y^*` (read Y_star) is the model's Ystar
                    binding[name] = (starred(name), False)
            return model, binding
        layers = self.layers(names)
        roles = {n: role(n, layers) for n in names}
        refuse_mixed_examples(eq, roles)
        single = any(r and r.single_example for r in roles.values())
        model = self.network(layers, 1 if single else "m")
        for name, found in roles.items():
            if found and found.var in model.shapes:
                binding[name] = (found.var, found.gradient)
            elif name in self.options.shapes:
                binding[name] = (name, False)  # declared, outside the model: shapes only
        return model, binding


# the name of the cost of a model built from a left side ∂f/∂X
COST = "J"


def model_shape(e: ModelError) -> str | None:
    """The shape a non-scalar cost was found to have, from build's refusal; else None."""
    found = re.search(r"must be a scalar, but it is (.+)$", e.message)
    return found.group(1) if found else None


def single_example_model(words, layers: int) -> bool:
    """Whether a --forward model writes its per-example quantities as one example does
    (`x`, `z1`, `a1`, `y`: SPEC's naming table), so that they are columns (n, 1)."""
    kinds = {found.single_example for found in (role(w, layers) for w in set(words))
             if found and not found.gradient and is_per_example(found.var)}
    return kinds == {True}


def gradients_read(model: Model, last_layer: int | None) -> dict[str, tuple[str, str | None]]:
    """The gradient names a derivation may read, each → (the quantity it is the gradient
    of, the size it is multiplied by in the course's convention, or None): `dW2` →
    ('W2', None), `dZ2` → ('Z2', 'm'); for a --forward model (`last_layer` None), `dV`
    for each quantity V but the cost."""
    if last_layer is None:
        candidates = {"d" + var: var for var in model.shapes}
    else:
        candidates = {name: role(name, last_layer).var for name in gradient_names(last_layer)}
    return {name: (var, model.batch if var in model.per_example else None)
            for name, var in candidates.items() if var in model.shapes and var != model.cost}


def starred(name: str) -> str:
    """The model's spelling of a starred name: `starred('Y_star')` -> 'Ystar'."""
    return name[:-len("_star")] + "star" if name.endswith("_star") else name


def hidden_activations(fixed: Mapping[str, str] | None, last_layer: int) -> dict[str, str]:
    """The network's fixed activations: the course's `--activation g=relu` sets every hidden
    layer's (g1 to g{L-1}; the output keeps its sigmoid or softmax), and one given by its
    layer (`g2=tanh`) wins over it."""
    fixed = dict(fixed or {})
    hidden = fixed.pop(GENERIC_FUNCTION, None)
    if hidden is None:
        return fixed
    if not functions.elementwise(hidden):
        raise ModelError(f"--activation {GENERIC_FUNCTION}={hidden}: {GENERIC_FUNCTION} sets "
                         "the activation of every hidden layer, an element-wise one; "
                         f"{hidden} belongs to the output layer (--activation g{last_layer}="
                         f"{hidden})")
    return {**{at_layer(GENERIC_FUNCTION, l): hidden for l in range(1, last_layer)}, **fixed}


def output_activation(fixed: Mapping[str, str], last_layer: int) -> str:
    """The activation of the network's last layer: sigmoid unless --activation gL says."""
    return fixed.get(at_layer(GENERIC_FUNCTION, last_layer), functions.cross_entropy_outputs()[0])


def layer_range(layers: list[int]) -> str:
    """[1, 2, 3] → '1..3'; [1, 3] → '1, 3'."""
    if len(layers) > 1 and layers == list(range(layers[0], layers[-1] + 1)):
        return f"{layers[0]}..{layers[-1]}"
    return ", ".join(str(layer) for layer in layers)


def refuse_mixed_examples(eq: s.Equation, roles) -> None:
    """One formula is checked on one network: all m examples (`dZ2`, `A1`) or one example
    (`dz2`, `a1`). A formula that mixes the two (`dZ1 = W2.T @ dz2 * g1'(Z1)`, a slip of the
    shift key) would silently be checked on one example: refused, pointing at the fewer."""
    kinds: dict[bool, list[str]] = {True: [], False: []}
    for name, found in roles.items():
        if found and is_per_example(found.var):
            kinds[found.single_example].append(name)
    if not (kinds[True] and kinds[False]):
        return
    odd = kinds[True] if len(kinds[True]) <= len(kinds[False]) else kinds[False]
    first = next(n for n in [eq.lhs, *s.walk(eq.rhs)] if isinstance(n, s.Name) and n.id in odd)
    lower, upper = sorted(kinds[True]), sorted(kinds[False])
    raise UnknownNameError(
        f"{', '.join(lower)} {'is' if len(lower) == 1 else 'are'} written for one example (lower "
        f"case) but {', '.join(upper)} for all m examples (upper case): one formula is checked on "
        f"one network; write {', '.join(_cased(n, upper=True) for n in lower)} for all "
        f"examples, or {', '.join(_cased(n, upper=False) for n in upper)} for one",
        eq.text, first.span)


def _cased(name: str, upper: bool) -> str:
    """`dz2` ↔ `dZ2`: the per-example letter after a gradient's `d`, in the other case."""
    at = 1 if name.startswith("d") and len(name) > 1 and name[1].isalpha() else 0
    letter = name[at].upper() if upper else name[at].lower()
    return name[:at] + letter + name[at + 1:]


def unknown_function_message(func: str) -> str:
    """`tanhh is not a function shapecheck knows: did you mean tanh? ...`"""
    near = functions.closest(func)
    said = (f"did you mean {' or '.join(near)}?" if near else
            f"the activations it knows are {', '.join(functions.activations())}")
    return (f"{func} is not a function shapecheck knows: {said} (an activation left open is "
            "a single letter g, f, h, \\sigma or \\phi, with its layer: g1, g^{[1]})")


def refuse_unknown_open(model: Model) -> None:
    """A --forward model's functions are known ones or open activations (`f`, `g1`); any
    other name is refused where the model calls it (`tanhh(X @ W)`)."""
    for eq in model.equations:
        for node in s.walk(eq.rhs):
            if isinstance(node, (s.Call, s.Derivative)) and node.func in model.open_functions \
                    and not is_open_activation(node.func):
                span = node.func_span
                if isinstance(node, s.Derivative) and eq.text[span[1] - 1:span[1]] == "'":
                    span = (span[0], span[1] - 1)
                raise ModelError(f"in the --forward equation {eq.text!r}: "
                                 f"{unknown_function_message(node.func)}",
                                 eq.text, span)


def generic_in(eq: s.Equation) -> list[str]:
    """The generic-layer names (`W`, `dZ`, `A_prev`) a formula uses, on either side."""
    return sorted({n.id for n in s.walk(eq.rhs) if isinstance(n, s.Name) and is_generic(n.id)}
                  | ({eq.lhs.id} if is_generic(eq.lhs.id) else set()))


def at_layer_names(generic: list[str], layer: int) -> dict[str, str]:
    """Each generic name, and the generic activation `g`, as it is at `layer`."""
    return {n: at_layer(n, layer) for n in generic + [GENERIC_FUNCTION]}


def names_a_gradient(eq: s.Equation) -> bool:
    """Whether the right side reads a gradient by name (`dZ2`, `dz1`), not only the model's
    own quantities (`Y - T`)."""
    return any(isinstance(n, s.Name) and re.fullmatch(r"d[A-Z]\w*|d[a-z]\d\w*", n.id)
               for n in s.walk(eq.rhs))


def size_order(name: str):
    """n0, n1, n2, ... in layer order, then the other sizes by name."""
    match = _SIZE.fullmatch(name)
    return (0, int(match.group(1)), "") if match else (1, 0, name)


def natural_order(name: str) -> tuple:
    """g2 before g10."""
    stem = name.rstrip("0123456789")
    return (stem, int(name[len(stem):]) if name[len(stem):] else -1)


class _Piece:
    """A node to be, with the text it prints as: placed at an offset, it gets the spans
    the parser would give that text, so the network is built as nodes, never parsed."""

    def __init__(self, text: str, make):
        self.text, self.make = text, make  # make(offset) → the node

    def __matmul__(self, other): return _binop(self, "@", other)
    def __add__(self, other): return _binop(self, "+", other)
    def __sub__(self, other): return _binop(self, "-", other)
    def __mul__(self, other): return _binop(self, "*", other)
    def __truediv__(self, other): return _binop(self, "/", other, tight=True)  # -1/m
    def __neg__(self):
        return _Piece("-" + self.text, lambda o: s.Neg(self.make(o + 1), (o, o + 1 + len(self.text))))


def _name(id_: str) -> _Piece:
    return _Piece(id_, lambda o: s.Name(id_, (o, o + len(id_))))


def _num(value: int) -> _Piece:
    text = str(value)
    return _Piece(text, lambda o: s.Number(float(value), text, (o, o + len(text))))


def _size(size: str | int) -> _Piece:
    return _num(size) if isinstance(size, int) else _name(size)


def _binop(left: _Piece, op: str, right: _Piece, tight: bool = False) -> _Piece:
    space = "" if tight else " "
    text = f"{left.text}{space}{op}{space}{right.text}"
    at = len(left.text) + len(space)  # the operator's offset

    def make(o):
        return s.BinOp(op, left.make(o), right.make(o + at + len(op) + len(space)),
                       (o, o + len(text)), (o + at, o + at + len(op)))
    return _Piece(text, make)


def _paren(inner: _Piece) -> _Piece:
    return _Piece(f"({inner.text})", lambda o: inner.make(o + 1))


def _call(func: str, *args: _Piece, axis: int | None = None, numpy: bool = False) -> _Piece:
    written = ("np." if numpy else "") + func
    parts = [a.text for a in args] + ([f"axis={axis}"] if axis is not None else [])
    text = f"{written}({', '.join(parts)})"

    def make(o):
        at, made = o + len(written) + 1, []
        for a in args:
            made.append(a.make(at))
            at += len(a.text) + 2
        kwargs = ()
        if axis is not None:
            value = _num(axis).make(at + len("axis="))
            kwargs = (s.Keyword("axis", value, (at, value.span[1])),)
        return s.Call(func, tuple(made), kwargs, (o, o + len(text)), (o, o + len(written)),
                      namespaced=numpy)
    return _Piece(text, make)


def _equation(lhs: str, rhs: _Piece) -> s.Equation:
    text = f"{lhs} = {rhs.text}"
    return s.Equation(s.Name(lhs, (0, len(lhs))), rhs.make(len(lhs) + 3), text, (0, len(text)))


def network(last_layer: int, layout: str = "columns", batch: str | int = "m",
            fixed_functions: Mapping[str, str] | None = None,
            declared: Mapping[str, Shape] | None = None) -> Model:
    """The course's L-layer network: hidden activations open, a sigmoid (or softmax) output
    and the mean cross-entropy cost."""
    if last_layer > MAX_LAYERS:
        raise ModelError(
            f"the network would have {last_layer} layers (the highest layer that the formula "
            f"names, that a size n{{l}} declares or that --L gives); shapecheck builds at most "
            f"{MAX_LAYERS}")
    outputs = functions.cross_entropy_outputs()
    fixed = {f"g{last_layer}": outputs[0], **hidden_activations(fixed_functions, last_layer)}
    output = functions.lookup(fixed[f"g{last_layer}"])
    if output is None or not output.cross_entropy:
        # the cross-entropy's logs are undefined for any other output: no draw would do
        raise ModelError(
            f"g{last_layer} is the output activation of this {last_layer}-layer network, and "
            f"its cross-entropy cost needs {' (or '.join(outputs)}{')' * (len(outputs) - 1)} there, "
            f"not {fixed[f'g{last_layer}']}: name a "
            f"later layer (declare n{last_layer + 1}, or give --L {last_layer + 1}) so that "
            f"g{last_layer} is a hidden activation, or give the model with --forward")
    columns = layout == "columns"
    equations = []
    for layer in range(1, last_layer + 1):
        previous = _name("X" if layer == 1 else f"A{layer - 1}")
        weight, z = _name(f"W{layer}"), _name(f"Z{layer}")
        product = weight @ previous if columns else previous @ weight
        equations.append(_equation(f"Z{layer}", product + _name(f"b{layer}")))
        if layer == last_layer and output.normalises:
            equations.append(_equation(f"A{layer}", _call(output.name, z, axis=0 if columns else 1)))
        else:
            equations.append(_equation(f"A{layer}", _call(f"g{layer}", z)))
    out, y, one = _name(f"A{last_layer}"), _name("Y"), _num(1)
    log = partial(_call, "log", numpy=True)
    if output.cross_entropy == "categorical":
        loss = y * log(out)
    else:
        loss = y * log(out) + _paren(one - y) * log(one - out)
    equations.append(_equation("J", -one / _size(batch) * _call("sum", loss, numpy=True)))
    shapes = network_shapes(last_layer, layout, batch)
    shapes.update({n: tuple(s) for n, s in (declared or {}).items() if n in shapes})  # --shape wins
    sizes = {d for shape in shapes.values() for d in shape if isinstance(d, str)}
    per_example = {"X", "Y"} | {f"{b}{l}" for b in "ZA" for l in range(1, last_layer + 1)}
    return build(equations, {n: shapes[n] for n in ("X", "Y") + tuple(
                     f"{p}{l}" for l in range(1, last_layer + 1) for p in "Wb")},
                 sizes, labels={"Y"}, fixed_functions=fixed,
                 per_example=frozenset(per_example), batch=batch if isinstance(batch, str) else None,
                 class_axis=0 if columns else 1, examples=EXAMPLES,
                 weights=frozenset(f"W{l}" for l in range(1, last_layer + 1)))
