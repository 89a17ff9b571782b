"""The Python API: what the command does, called from Python (a notebook, a test).

    import shapecheck
    r = shapecheck.check("dZ1 = W2.T @ dZ2 * g1'(Z1)", n0=3, n1=4, m=5)
    r.ok, r.verdict, r.lhs_shape, r.rel_error   # True, 'pass', ('n1', 'm'), 1.6e-10
    shapecheck.derive("dW1", n0=3, n1=4, m=5).derived   # 'dW1 = 1/m * dZ1 @ X.T'
    shapecheck.check_notes("examples/notes/course.md").ok

Sizes are keyword arguments by name (`n1=4`, or `sizes={"n1": 4}`); every other keyword
is an option of the command (OPTIONS). As on the command line, what cannot be checked
raises an exception of the one family errors.ShapecheckError: a bad or unused option
(BadOptionError: `nl=4` where no formula uses an nl), a formula that does not parse
(FormulaSyntaxError) or cannot be checked (CheckError, its report in `.result`), a notes
file that cannot be read (UnreadableFileError). A wrong formula is no exception: its
verdict is `shape` or `value`, and `.ok` is False.

`Call` is what the command line and the IPython magics run too: the checks of one call,
then the declarations nothing used, refused.
"""
from __future__ import annotations

import itertools
import math
import os
import re
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Sequence

from . import functions
from .declared import unused
from .errors import BadOptionError, CheckError, ShapecheckError, closest_names
from .result import Options, Result
from .session import Session

__all__ = ["check", "derive", "check_notes", "check_notes_text", "make_options", "Call",
           "CheckResult", "Report", "OPTIONS"]

if TYPE_CHECKING:
    from .display import CheckResult, Report


def __getattr__(name: str):
    # the library's result types (display: rich rendering, `--json`'s dictionary) are loaded
    # when asked for: the command only runs a Call, and its start-up is kept to what it needs
    if name in ("CheckResult", "Report"):
        from . import display
        return getattr(display, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# the keyword arguments that are options; any other keyword is a size
OPTIONS = ("sizes", "shapes", "forward", "activations", "layout", "L", "layers", "labels",
           "seed", "tol", "values", "probes", "exact", "arrays")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def check(formula: str, /, *, arrays: Mapping[str, object] | None = None,
          **options) -> CheckResult:
    """Check one formula: shapes, then values against finite differences.

    `check("dZ1 = W2.T @ dZ2 * g1'(Z1)", n0=3, n1=4, m=5)` → a CheckResult whose
    `verdict` is 'pass'. `arrays` (a namespace: `globals()`) gives the sizes of the names
    the formula reads that are arrays there. Raises FormulaSyntaxError, CheckError,
    BadOptionError (see the module)."""
    chosen = make_options(**options)
    chosen, found = with_arrays(chosen, [formula], arrays)
    call = Call(chosen, formulas=[formula])
    [result] = list(call.results())
    return _returned(call, result, found)


def derive(name: str, /, *, expand: bool = False, latex: bool = False, steps: bool = False,
           **options) -> CheckResult:
    """Derive the gradient `name` by the chain rule, verified by the check of a formula.

    `derive("dW1", n0=3, n1=4, m=5).derived` → 'dW1 = 1/m * dZ1 @ X.T'; `latex` and `steps`
    keep its LaTeX and its steps in `.derivation` (and in what is shown). Raises CheckError
    where no derivation can be verified."""
    call = Call(make_options(**options), derive=[name], expand=expand, latex=latex,
                steps=steps)
    [result] = list(call.results())
    return _returned(call, result, {})


def check_notes(paths: str | os.PathLike | Iterable[str | os.PathLike], /,
                **options) -> Report:
    """Check every formula of notes files (Markdown, LaTeX, Jupyter, plain text), their
    directives included: a Report, one CheckResult per formula (a bad directive is an
    `error` result in it). Raises UnreadableFileError for a file that cannot be read."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    from .display import Report
    call = Call(make_options(**options), paths=paths, strict=True)
    results = list(call.results())
    _refuse(call, results)
    return Report(results, files=len(paths))


def check_notes_text(text: str, /, *, name: str = "notes",
                     arrays: Mapping[str, object] | None = None, **options) -> Report:
    """Check notes given as text, one formula or directive a line, as in a plain-text notes
    file (`sizes: m=5`, `activation: g1 = tanh`, `# a comment`); positions name `name`."""
    chosen = make_options(**options)
    chosen, found = with_arrays(chosen, [], arrays, cells=[(name, text)])
    from .display import Report
    call = Call(chosen, cells=[(name, text)])
    results = list(call.results())
    _refuse(call, results)
    return Report(results, from_arrays=_names(found))


def _returned(call: "Call", result: Result, found: dict) -> CheckResult:
    """The one result of a call, or its error raised: an error verdict (a formula that does
    not parse raises the parser's own error), then a declaration nothing used."""
    from .display import CheckResult
    shown = CheckResult.of(result, _names(found))
    if result.verdict == "error":
        error: ShapecheckError = CheckError(result.message, result.formula or None,
                                            result.span, shown)
        if result.formula and "=" in result.formula:
            from .language.parse import parse_equation
            try:
                parse_equation(result.formula)
            except ShapecheckError as e:
                error = e
        error.result = shown
        raise error
    _refuse(call, [result])
    return shown


def _refuse(call: "Call", results: list[Result]) -> None:
    refused = call.refusals(results)
    if refused:
        raise BadOptionError("; ".join(refused))


def _names(found: Mapping[str, tuple[int, str]]) -> dict[str, str]:
    return {size: name for size, (_, name) in found.items()}


def with_arrays(options: Options, formulas: Sequence[str], arrays: Mapping[str, object] | None,
                cells: Sequence[tuple[str, str]] = (), command_line: bool = False
                ) -> tuple[Options, dict[str, tuple[int, str]]]:
    """The options with the sizes the arrays give (arrays.from_arrays) added, and those sizes
    (size → value, array); the options as they are where no array is given."""
    if not arrays:
        return options, {}
    from .arrays import from_arrays
    read = [(text, options) for text in formulas]
    if cells:
        from .notes import NoteFormula, read_plain
        session = Session(options)
        for name, text in cells:
            read += [(item.text, session.options_for(item.setting))
                     for item in read_plain(text, name, session.defaults())
                     if isinstance(item, NoteFormula)]
    spell = (lambda size: f"--{size} ") if command_line else (lambda size: f"{size}=")
    found = from_arrays(read, arrays, spell)
    sizes = {**{size: value for size, (value, _) in found.items()}, **options.sizes}
    return _replace_sizes(options, sizes), found


def _replace_sizes(options: Options, sizes: dict) -> Options:
    from dataclasses import replace
    return replace(options, sizes=sizes)


class Call:
    """One call: formulas, notes files, notes given as text (`cells`: (name, text)) and
    derivations, checked under `options` by one session, each result as soon as it is
    known (a progress bar counts them); then `refusals`, the declarations none of them
    used. `command_line` words those as typed there (`--nl 4`), else as keywords (`nl=4`)."""

    def __init__(self, options: Options, formulas: Sequence[str] = (),
                 paths: Sequence[str] = (), cells: Sequence[tuple[str, str]] = (),
                 derive: Sequence[str] = (), *, expand: bool = False, latex: bool = False,
                 steps: bool = False, strict: bool = False, command_line: bool = False,
                 option=None, layers_typed: str | None = None):
        self.options = options
        self.session = Session(options)
        self.formulas, self.paths, self.cells = list(formulas), list(paths), list(cells)
        self.derive, self.expand, self.latex, self.steps = list(derive), expand, latex, steps
        self.strict, self.command_line = strict, command_line
        self.option = option or (closest_option if not command_line else (lambda name: None))
        self.layers_typed = layers_typed

    def results(self) -> Iterator[Result]:
        return itertools.chain(
            self.session.formulas(self.formulas), self.session.files(self.paths, self.strict),
            self._cells(),
            self.session.derivations(self.derive, self.expand, latex=self.latex,
                                     steps=self.steps))

    def _cells(self) -> Iterator[Result]:
        if not self.cells:
            return
        from .notes import read_plain
        for name, text in self.cells:
            yield from self.session.notes(read_plain(text, name, self.session.defaults()), name)

    def refusals(self, results: Sequence[Result]) -> list[str]:
        """The declarations these results were checked with and none of them used, each an
        error; none where something could not be checked (what it would use is unknown)."""
        if not results or any(r.verdict == "error" for r in results):
            return []
        options, usage = self.options, self.session.usage()
        refused = [found.message for found in unused(options.sizes, options.activations, usage,
                                                     command_line=self.command_line,
                                                     option=self.option, shapes=options.shapes)]
        if options.only_layers and not refused and not usage.generic and not usage.unknown:
            first, last = options.only_layers
            typed = self.layers_typed or (f"{first}..{last}" if last != first else str(first))
            said = f"--layers {typed}" if self.command_line else f"layers={typed!r}"
            depth = (f"--L {typed.strip()}" if self.command_line else f"L={typed.strip()}")
            refused = [f"{said}: no formula is written for a generic layer l (W, dZ, A_prev, "
                       "... with --L N), the only formulas checked layer by layer"
                       + (f"; the number of layers is the option {depth}"
                          if typed.strip().isdigit() else "")]
        return refused


def closest_option(name: str) -> str | None:
    """`sed` → 'seed=': the keyword option a size's name is a slip for, if any."""
    found = closest_names(name.lower(), [o.lower() for o in OPTIONS], cutoff=0.75)
    return next((f"{o}=" for o in OPTIONS if found and o.lower() == found[0]), None)


# --- keyword arguments → Options -------------------------------------------------------------

def make_options(sizes: Mapping[str, int] | None = None, *,
                 shapes: Mapping[str, Sequence[int | str] | str] | None = None,
                 forward: str | Sequence[str] | None = None,
                 activations: Mapping[str, str] | None = None, layout: str = "columns",
                 L: int | None = None, layers: int | tuple[int, int] | str | None = None,
                 labels: str | Sequence[str] = (), seed: int = 0, tol: float = 1e-6,
                 values: bool = True, probes: int = 8, exact: bool = False,
                 **named_sizes: int) -> Options:
    """The Options of keyword arguments, each refused as the command line refuses it:
    `make_options(n0=3, shapes={"H": (1, "h")}, activations={"g1": "tanh"}, L=2)`.
    `layers` is the command's `--layers` (the generic layers to check: 2, (1, 2), '1..2');
    `L` its `--L` (the number of layers); `values=False` its `--no-values`."""
    given = dict(sizes or {})
    for name, value in named_sizes.items():
        if name in OPTIONS:  # `arrays=` where only check() and notes text read arrays
            raise BadOptionError(f"{name}=: not an option of this function")
        if not isinstance(value, int) or isinstance(value, bool):
            near = closest_option(name)
            raise BadOptionError(f"{name}={value!r}: " + (
                f"unknown keyword argument; did you mean {near}?" if near else
                "a size is a positive whole number (options: " + ", ".join(OPTIONS) + ")"))
        if name in given and given[name] != value:
            raise BadOptionError(f"{name} is given twice, as {given[name]} and {value}: "
                                 "give each size once")
        given[name] = value
    for name, value in given.items():
        if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
            raise BadOptionError(f"{name!r}: a size's name is an identifier, such as n1 or m")
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise BadOptionError(f"{name}={value!r}: sizes are positive integers")
    if isinstance(forward, str):
        forward = [forward]
    forward = tuple(forward or ())
    if forward and not any(f.strip(" ;\n") for f in forward):
        raise BadOptionError("forward has no equation: give the model, e.g. forward=\"Y = "
                             "f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)\"")
    if layout not in ("columns", "rows"):
        near = closest_names(str(layout), ["columns", "rows"])
        raise BadOptionError(f"layout={layout!r}: the layout is 'columns' or 'rows'"
                             + (f"; did you mean {near[0]!r}?" if near else ""))
    _whole("L", L, low=1, none=True)
    _whole("seed", seed, low=0)
    _whole("probes", probes, low=1, high=1000)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not math.isfinite(tol) \
            or tol <= 0:
        raise BadOptionError(f"tol={tol!r}: the tolerance is a positive number")
    return Options(sizes=given, shapes={n: _shape(n, d) for n, d in (shapes or {}).items()},
                   activations={n: _activation(n, f) for n, f in (activations or {}).items()},
                   layout=layout, layers=L, only_layers=_layers(layers), forward=forward,
                   labels=(labels,) if isinstance(labels, str) else tuple(labels),
                   seed=seed, tol=float(tol), values=bool(values), probes=probes,
                   exact=bool(exact))


def _whole(name: str, value, low: int, high: int | None = None, none: bool = False) -> None:
    if value is None and none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < low \
            or (high is not None and value > high):
        within = f"from {low} to {high}" if high else f"from {low}"
        raise BadOptionError(f"{name}={value!r}: a whole number {within}")


def _shape(name: str, dims) -> tuple:
    """`(1, "h")`, `"1,h"` → (1, 'h'); `()` or `""` a scalar; `("c",)` a 1-D array."""
    if isinstance(dims, str):
        dims = [d.strip() for d in dims.strip().strip("()").split(",") if d.strip()]
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise BadOptionError(f"shapes={{{name!r}: ...}}: a variable's name is an identifier")
    shape = []
    for dim in dims:
        if isinstance(dim, str) and dim.isdigit():
            dim = int(dim)
        if isinstance(dim, int) and not isinstance(dim, bool) and dim > 0:
            shape.append(dim)
        elif isinstance(dim, str) and _IDENTIFIER.fullmatch(dim):
            shape.append(dim)
        else:
            raise BadOptionError(f"shapes={{{name!r}: {dims!r}}}: {dim!r} is not a size name "
                                 "or a positive integer")
    return tuple(shape)


def _activation(name: str, func: str) -> str:
    if func in functions.activations() and isinstance(name, str) and _IDENTIFIER.fullmatch(name):
        return func
    near = closest_names(str(func), functions.activations(), cutoff=0.6)
    raise BadOptionError(f"activations={{{name!r}: {func!r}}}: the function is one of "
                         + ", ".join(functions.activations())
                         + (f"; did you mean {near[0]!r}?" if near else ""))


def _layers(layers) -> tuple[int, int] | None:
    """2 → (2, 2); (1, 2) → (1, 2); '1..2' → (1, 2)."""
    if layers is None:
        return None
    if isinstance(layers, str):
        layers = layer_range(layers)
    elif isinstance(layers, int) and not isinstance(layers, bool):
        layers = (layers, layers)
    elif isinstance(layers, (tuple, list, range)) and len(layers) >= 1 \
            and all(isinstance(l, int) for l in layers):
        layers = (min(layers), max(layers))
    else:
        layers = None
    if layers is None or not 1 <= layers[0] <= layers[1]:
        raise BadOptionError("layers: give a layer l or a range of layers from 1, as "
                             "layers=3, layers=(1, 2) or layers='1..2'")
    return layers


def layer_range(text: str) -> tuple[int, int] | None:
    """`'1..2'` → (1, 2) (also `1-2`, `1:2`); `'3'` → (3, 3); None where it is no range of
    layers from 1 (the command's --layers reads its text with this too)."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:(?:\.\.|-|:)\s*(\d+)\s*)?", text)
    first, last = (int(match[1]), int(match[2] or match[1])) if match else (0, 0)
    return (first, last) if 1 <= first <= last else None
