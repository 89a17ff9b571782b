"""Binding: which model a formula is checked on, at which layer, and what its names mean.

With `names` (the convention itself) this is the only code that knows the course's names
(`W2`, `dZ`, `A_prev`, `g1`, `n1`): check and model ask here. The models built are kept
in a dictionary the session owns and hands in.
"""
from __future__ import annotations

import re
from typing import Mapping

from .. import syntax as s
from ..errors import ModelError
from ..result import Options, Shape
from .model import MAX_LAYERS, Model, build
from .names import (EXAMPLES, GENERIC_FUNCTION, at_layer, highest_layer, is_generic,
                    network_shapes, role)

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
            convention = network_shapes(layers, self.options.layout, "m")
            shapes = {}
            for name in set(words):
                found = role(name, layers)
                if found and not found.gradient and found.var in convention:
                    shapes[name] = convention[found.var]
            shapes.update(self.options.shapes)
            sizes = {d for shape in shapes.values() for d in shape if isinstance(d, str)}
            sizes |= set(self.options.sizes)
            labels = {n for n in ("Y", "T", "y", "t") if n in shapes} | set(self.options.labels)
            self.models[key] = build(equations, shapes, sizes, labels=labels,
                                     fixed_functions=dict(self.options.activations),
                                     class_axis=0 if self.options.layout == "columns" else 1,
                                     examples=EXAMPLES)
        return self.models[key]

    def bind(self, eq: s.Equation) -> tuple[Model, dict[str, tuple[str, bool]]]:
        """The model, and each of the formula's names bound to (model variable, is gradient)."""
        names = {n.id for n in s.walk(eq.rhs) if isinstance(n, s.Name)} | {eq.lhs.id}
        binding: dict[str, tuple[str, bool]] = {}
        if self.options.forward:
            model = self.forward_model()
            for name in names:
                if name in model.shapes:
                    binding[name] = (name, False)
                elif name.startswith("d") and name[1:] in model.shapes:
                    binding[name] = (name[1:], True)
            return model, binding
        layers = self.layers(names)
        roles = {n: role(n, layers) for n in names}
        single = any(r and r.single_example for r in roles.values())
        model = self.network(layers, 1 if single else "m")
        for name, found in roles.items():
            if found and found.var in model.shapes:
                binding[name] = (found.var, found.gradient)
            elif name in self.options.shapes:
                binding[name] = (name, False)  # declared, outside the model: shapes only
        return model, binding


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
    fixed = {f"g{last_layer}": "sigmoid", **(fixed_functions or {})}
    output = fixed[f"g{last_layer}"]
    if output not in ("sigmoid", "softmax"):
        # the cross-entropy's logs are undefined for any other output: no draw would do
        raise ModelError(
            f"g{last_layer} is the output activation of this {last_layer}-layer network, and "
            f"its cross-entropy cost needs sigmoid (or softmax) there, not {output}: name a "
            f"later layer (declare n{last_layer + 1}, or give --L {last_layer + 1}) so that "
            f"g{last_layer} is a hidden activation, or give the model with --forward")
    columns = layout == "columns"
    texts = []
    for layer in range(1, last_layer + 1):
        previous = "X" if layer == 1 else f"A{layer - 1}"
        product = f"W{layer} @ {previous}" if columns else f"{previous} @ W{layer}"
        texts.append(f"Z{layer} = {product} + b{layer}")
        if layer == last_layer and fixed[f"g{layer}"] == "softmax":
            texts.append(f"A{layer} = softmax(Z{layer}, axis={0 if columns else 1})")
        else:
            texts.append(f"A{layer} = g{layer}(Z{layer})")
    out = f"A{last_layer}"
    if fixed[f"g{last_layer}"] == "softmax":
        texts.append(f"J = -1/{batch} * np.sum(Y * np.log({out}))")
    else:
        texts.append(f"J = -1/{batch} * np.sum(Y * np.log({out}) + (1 - Y) * np.log(1 - {out}))")
    shapes = network_shapes(last_layer, layout, batch)
    shapes.update({n: tuple(s) for n, s in (declared or {}).items() if n in shapes})  # --shape wins
    sizes = {d for shape in shapes.values() for d in shape if isinstance(d, str)}
    per_example = {"X", "Y"} | {f"{b}{l}" for b in "ZA" for l in range(1, last_layer + 1)}
    return build(texts, {n: shapes[n] for n in ("X", "Y") + tuple(
                     f"{p}{l}" for l in range(1, last_layer + 1) for p in "Wb")},
                 sizes, labels={"Y"}, fixed_functions=fixed,
                 per_example=frozenset(per_example), batch=batch if isinstance(batch, str) else None,
                 class_axis=0 if columns else 1, examples=EXAMPLES,
                 weights=frozenset(f"W{l}" for l in range(1, last_layer + 1)))
