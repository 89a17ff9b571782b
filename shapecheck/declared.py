"""What the checks of a call used (Usage), and the declarations nothing used: a size, an
activation or a shape the user declared that no check read.

A check run on what the user did not mean is a silent guess (`--nl 4` for `--n1 4`
checks on a chosen n1), so such a declaration is an error (SPEC, Invocation), on the
command line and in a notes file's `sizes:`, `activation:` and `shape:` directives alike:

    unused({"nl": 4}, {}, usage, command_line=True)
    # -> [Unused("size", "nl", "--nl 4: no formula, model ... did you mean --n1?")]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, NamedTuple

from . import functions
from . import syntax as s
from .errors import closest_names
from .models.binding import natural_order, size_order
from .models.names import EXAMPLES, GENERIC_FUNCTION, at_layer
from .result import Result, Source

# the depth is an option (`--L`), not a size: these words are that option meant
LAYER_WORDS = {"l", "layers", "layer", "num_layers", "n_layers", "nlayers", "depth"}
_LOOKALIKE = str.maketrans("lIoO", "1100")  # nl for n1, nO for n0


class Unused(NamedTuple):
    kind: str  # "size" or "activation"
    name: str
    message: str


def closest(name: str, used: list[str]) -> str | None:
    """The used name `name` is most likely a slip for: a look-alike (`nl` for `n1`) first,
    else the closest spelling."""
    def plain(text: str) -> str:
        return text.translate(_LOOKALIKE).lower()

    alike = [u for u in used if u == name.lower()] or [u for u in used if plain(u) == plain(name)]
    found = alike or closest_names(name, used)
    return found[0] if found else None


def unused(sizes: Mapping[str, int], activations: Mapping[str, str], usage,
           command_line: bool = False,
           option: Callable[[str], str | None] = lambda name: None,
           shapes: Mapping[str, tuple] | None = None) -> list[Unused]:
    """The declared sizes, activations and shapes that `usage` (session.Usage) does not
    hold, each with its error, written as the user declared them: `--n1 4`, `--activation
    g1=tanh` and `--shape H=1,h` on the command line, `n1=4`, `g1=tanh` and `H = (1, h)` in
    a directive. `option(name)` is the real
    option a size's name is a slip for (`--sed 3` for `--seed`), if any. Empty where a
    formula could not be read far enough to tell."""
    if usage.unknown:
        return []

    def spell(name: str) -> str:
        return f"--{name}" if command_line else name

    found = []
    used = sorted(usage.sizes, key=size_order)
    for name, value in sizes.items():
        if name in usage.sizes:
            continue
        said = f"--{name} {value}" if command_line else f"{name}={value}"
        nobody = f"no formula, model or the naming convention uses a size {name}"
        in_use = f"the sizes in use: {', '.join(used)}" if used else "no size is in use"
        near_option = option(name)
        if name == EXAMPLES and usage.models and not any(
                EXAMPLES in model.sizes_used for model in usage.models.values()):
            message = (f"{said}: the formulas are written for one example (lower case: dz1, "
                       "x, a1) and are checked with m = 1; write them upper case (dZ1, X, A1) "
                       f"for {value} examples")
        elif name.lower() in LAYER_WORDS:
            message = f"{said}: {nobody}; the number of layers is the option --L {value}"
        elif near_option:
            message = f"{said}: unknown option; did you mean {near_option}? ({nobody})"
        else:
            near = closest(name, used)
            message = f"{said}: {nobody} ({in_use})" + (f"; did you mean {spell(near)}?"
                                                        if near else "")
        found.append(Unused("size", name, message))
    opened = sorted((f for f in usage.functions if not functions.known(f)), key=natural_order)
    for name, func in activations.items():
        if name in usage.functions:
            continue
        in_use = (f"the activations in use: {', '.join(opened)}" if opened
                  else "no formula or model leaves an activation open")
        said = f"--activation {name}={func}" if command_line else f"{name}={func}"
        if name == GENERIC_FUNCTION:  # the course's g=relu: the hidden layers
            found.append(Unused("activation", name, f"{said}: {name} sets the activation of "
                                "every hidden layer of the built-in network, and no network "
                                f"checked here has one ({in_use}; a network of L layers has "
                                "L - 1 hidden ones)"))
            continue
        near = closest(name, opened)
        found.append(Unused("activation", name,
                            f"{said}: no formula or model uses an activation {name} ({in_use})"
                            + (f"; did you mean {near}?" if near else "")))
    for name, dims in (shapes or {}).items():
        if name in usage.names:
            continue
        written = ",".join(str(d) for d in dims)
        said = f"--shape {name}={written}" if command_line else f"{name} = ({written})"
        near = closest_names(name, sorted(usage.names))
        found.append(Unused("shape", name, f"{said}: no formula or model reads a variable "
                            f"{name}" + (f"; did you mean {near[0]}?" if near else "")))
    return found


@dataclass
class Usage:
    """What the checks of a call actually used: the sizes and the function names (an
    activation) their models and formulas read; `unknown` when a formula could not be read
    far enough to tell. The command line refuses a declared size or `--activation` that
    nothing used (SPEC, Invocation)."""
    sizes: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # the variables read (a --shape's name)
    unknown: bool = False
    generic: bool = False  # a generic-layer formula was checked (what --layers restricts)
    # the models the formulas were read on, by identity: their own sizes and functions are
    # added once, at the end (in Session.usage), not walked again for every formula
    models: dict = field(default_factory=dict)

    def add(self, other: "Usage") -> None:
        self.sizes |= other.sizes
        self.functions |= other.functions
        self.names |= other.names
        self.unknown = self.unknown or other.unknown
        self.generic = self.generic or other.generic
        self.models.update(other.models)


def called(node: s.Node) -> set[str]:
    return {n.func for n in s.walk(node) if isinstance(n, (s.Call, s.Derivative))}


def used_by(checkers: list) -> Usage:
    """What the checks of these checkers used, their derivations' included."""
    used = Usage()
    while checkers:
        checker = checkers.pop()
        used.add(checker.usage)
        checkers += checker._derivers.values()
        if GENERIC_FUNCTION in checker.options.activations and not checker.options.forward \
                and any(len(m.weights) > 1 for m in checker.usage.models.values()):
            used.functions.add(GENERIC_FUNCTION)  # --activation g=relu: the hidden layers
    for model in used.models.values():
        used.sizes |= set(model.sizes_used)
        if model.weights:  # the built-in network's output activation g{L}, softmax too
            used.functions.add(at_layer(GENERIC_FUNCTION, len(model.weights)))
        for equation in model.equations:
            used.functions |= called(equation.rhs)
            used.names |= {n.id for n in s.walk(equation.rhs) if isinstance(n, s.Name)}
            used.names.add(equation.lhs.id)
    return used


def unused_directives(path: str, checked: dict) -> Iterator[Result]:
    """A notes directive's size or activation that none of the formulas under it used is
    an error at the directive, as `--nl 4` is on the command line."""
    for (kind, name, (line, column), value), checkers in sorted(checked.items(),
                                                                key=lambda e: e[0][2]):
        declared: dict = {"size": {}, "activation": {}, "shape": {}}
        declared[kind][name] = value
        for found in unused(declared["size"], declared["activation"],
                            used_by(list(dict.fromkeys(checkers))), shapes=declared["shape"]):
            yield Result("", "error", found.message, Source(path, line, column))
