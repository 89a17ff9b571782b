"""The IPython extension: `%load_ext shapecheck`, then

    %shapecheck dZ1 = W2.T @ dZ2 * g1'(Z1) --n0 3 --n1 4 --m 5
    %%shapecheck --activation g1=tanh
    sizes: n2=1
    dW2 = 1/m * dZ2 @ A1.T
    dZ1 = W2.T @ dZ2 * (1 - A1**2)

A backward function written in the notebook is checked with

    %shapecheck_backward linear_forward linear_backward --shape W=n1,n0 --shape b=n1,1 \
        --shape A_prev=n0,m --n0 3 --n1 4 --m 5 --examples m

(shapecheck.check_backward on the notebook's functions, found by name, never evaluated).

The line magic takes what the command takes, read by the same code (cli.read_arguments,
click's parser): formulas, notes files, sizes and options. Unquoted, the line is one
formula (or one notes file) up to the first ` --`; quoted (`"dZ2 = A2 - Y" "dW2 = ..."`),
it is split as a shell would. The cell magic's line holds options only; its cell is
notes in the plain-text form, one formula or directive a line.

Sizes from the notebook: the names a formula reads that are arrays in the user's
namespace give their sizes (W1 of shape (4, 3) makes n1 = 4, n0 = 3); arrays that
contradict each other or the convention, or a size option with another value, are
refused (an option never silently wins over the notebook's arrays, nor they over it).

What the magic returns is displayed: a CheckResult (one formula) or a Report, as HTML in a
notebook and as the command's plain text in a terminal. What the command refuses (a bad
or unused option, contradicting arrays) is an IPython UsageError: one line, no traceback.
"""
from __future__ import annotations

import re
import shlex

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from .errors import ShapecheckError

# the options the magics take; the others (pictures, --toy, --explain) are the command's
_TAKEN = {"args", "shapes", "forward", "activations", "layers", "only_layers", "labels",
          "layout", "seed", "tol", "no_values", "probes", "exact", "derive", "expand", "latex",
          "steps", "as_json"}
_OPTIONS_START = re.compile(r"(?:^|\s)--[A-Za-z]")  # not `-`: `dZ = -A` is a formula


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(ShapecheckMagics)


@magics_class
class ShapecheckMagics(Magics):

    @line_cell_magic
    def shapecheck(self, line: str, cell: str | None = None):
        """Check gradient formulas: `%shapecheck FORMULA [options]`, or a cell of them under
        `%%shapecheck [options]`. Sizes come from options (`--n1 4`), directives
        (`sizes: n1=4`) or the notebook's arrays named in the formulas. `shapecheck --help`
        lists the options."""
        try:
            return run(line, cell, self.shell.user_ns if self.shell is not None else {})
        except ShapecheckError as e:
            raise UsageError(f"shapecheck: {e.message}") from None


    @line_magic
    def shapecheck_backward(self, line: str):
        """Check a backward function defined in the notebook against finite differences of
        its forward function: `%shapecheck_backward FORWARD BACKWARD --shape NAME=DIMS ...
        [--NAME INT ...] [--examples m] [--seed N] [--tol X]` (shapecheck.check_backward)."""
        try:
            return run_backward(line, self.shell.user_ns if self.shell is not None else {})
        except ShapecheckError as e:
            raise UsageError(f"shapecheck: {e.message}") from None


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*$")


def run_backward(line: str, namespace):
    """The backward magic's work: two function names, then shapes, sizes and options."""
    from . import cli
    from .backward import check_backward
    from .errors import BadOptionError

    words = split_line(line) if line.strip()[:1] in "\"'" else shlex.split(line)
    names = [w for w in words[:2] if not w.startswith("-")]
    if len(names) != 2:
        raise BadOptionError("give the forward and the backward function by name: "
                             "%shapecheck_backward forward backward --shape W=n1,n0 ...")
    functions = []
    for name in names:
        if not _IDENTIFIER.match(name) or not callable(namespace.get(name)):
            raise BadOptionError(f"{name} is no function of this notebook: define it first, "
                                 "or give its name as it is defined")
        functions.append(namespace[name])
    shapes, options, rest = {}, {}, []
    words = iter(words[2:])
    for word in words:
        if word not in ("--shape", "--examples", "--seed", "--tol"):
            rest.append(word)  # a size (--n1 4), or what parse_sizes refuses
            continue
        value = next(words, None)
        if value is None:
            raise BadOptionError(f"{word} needs a value")
        if word == "--shape":
            name, dims = cli.parse_shape(value)
            shapes[name] = dims
        elif word == "--examples":
            options["examples"] = value
        else:
            try:
                options[word[2:]] = int(value) if word == "--seed" else float(value)
            except ValueError:
                raise BadOptionError(f"{word} {value}: give a number") from None
    sizes, left = cli.parse_sizes(rest)
    if left:
        raise BadOptionError(f"{left[0]}: the backward magic takes two function names, then "
                             "--shape, sizes (--n1 4), --examples, --seed and --tol")
    return check_backward(functions[0], functions[1], shapes=shapes, sizes=sizes, **options)


def split_line(line: str) -> list[str]:
    """`dZ2 = A2 - Y --m 5` → ['dZ2 = A2 - Y', '--m', '5']: an unquoted formula runs up to
    the first option; a line that starts with a quote is split as a shell splits it."""
    line = line.strip()
    try:
        if line[:1] in "\"'":
            return shlex.split(line)
        found = _OPTIONS_START.search(line)
        head, tail = (line[:found.start()], line[found.start():]) if found else (line, "")
        return ([head.strip()] if head.strip() else []) + shlex.split(tail)
    except ValueError as e:  # an unclosed quote
        raise UsageError(f"shapecheck: {line}: {e}") from None


def run(line: str, cell: str | None, namespace):
    """The magic's work: its line read as the command reads its arguments, then the API."""
    import click

    from . import api, cli
    from .display import CheckResult, Report

    argv = split_line(line)
    try:
        ctx = cli.command.make_context("%shapecheck", argv)
    except click.exceptions.Exit:  # --help, --version: printed already
        return None
    except click.ClickException as e:
        raise ShapecheckError(e.format_message()) from None
    params = ctx.params
    for name, value in params.items():
        if name not in _TAKEN and value:
            option = next(p.opts[0] for p in cli.command.params if p.name == name)
            raise ShapecheckError(f"{option} is an option of the command, not of the magic: "
                                  f"run it as !shapecheck ... {option}")
    cells = [("cell", cell)] if cell is not None else []
    options, formulas, paths = cli.read_arguments(**params, notes_text=bool(cells))
    if cells and (formulas or paths):
        raise ShapecheckError("%%shapecheck takes options on its line; the formulas go in "
                              "the cell, one a line")
    derive = list(params["derive"])
    options, found = api.with_arrays(options, formulas, namespace, cells, command_line=True)
    call = api.Call(options, formulas, paths, cells, derive, expand=params["expand"],
                    latex=params["latex"], steps=params["steps"], command_line=True,
                    option=cli.closest_option, layers_typed=params["only_layers"])
    results = list(call.results())
    refused = call.refusals(results)
    if refused:
        raise ShapecheckError("; ".join(refused))
    arrays = {size: name for size, (_, name) in found.items()}
    if params["as_json"]:
        print(Report(results).to_json())
        return None
    if len(results) == 1 and (formulas or derive) and not paths and not cells:
        return CheckResult.of(results[0], arrays)
    return Report(results, files=len(paths), from_arrays=arrays)
