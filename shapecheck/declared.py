"""Declarations nothing used: a size or an activation the user declared that no check read.

A check run on what the user did not mean is a silent guess (`--nl 4` for `--n1 4`
checks on a chosen n1), so such a declaration is an error (SPEC, Invocation), on the
command line and in a notes file's `sizes:` and `activation:` directives alike:

    unused({"nl": 4}, {}, usage, command_line=True)
    # -> [Unused("size", "nl", "--nl 4: no formula, model ... did you mean --n1?")]
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

from . import functions
from .errors import closest_names
from .models.binding import natural_order, size_order
from .models.names import EXAMPLES, GENERIC_FUNCTION

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
