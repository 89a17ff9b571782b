"""The command line: options → the library → the report → exit status. No checking here."""
from __future__ import annotations

import math
import os
import re
import sys

import click

from . import functions
from .result import Options, Result
from .errors import BadOptionError, ShapecheckError, closest_names

EXIT_OK, EXIT_WRONG, EXIT_ERROR = 0, 1, 2
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*$")


def option_names() -> list[str]:
    """Every long option of the command, `--json` ... (the sizes' names must not be these)."""
    return sorted({o for p in command.params for o in p.opts + p.secondary_opts
                   if o.startswith("--")} | {"--help", "--version"})


def closest_option(token: str) -> str | None:
    """`--jsn` → '--json', `-explain` → '--explain'; None where no option is close."""
    name = "--" + token.lstrip("-").partition("=")[0]
    found = closest_names(name.lower(), option_names(), cutoff=0.7)
    return found[0] if found else None


def unknown_option(token: str, also: str = "") -> BadOptionError:
    """The error of an option that does not exist, naming the closest one."""
    near = closest_option(token)
    said = f"; did you mean {near}?" if near else " (sizes are written --NAME INT)"
    return BadOptionError(f"{token}: unknown option{said}{also}")


def parse_sizes(tokens: list[str]) -> tuple[dict[str, int], list[str]]:
    """`['f = x', '--n0', '3']` → ({'n0': 3}, ['f = x']): `--NAME INT` declares a size.
    A `--NAME` without a whole number after it is no size: a misspelt option (`--jsn`)."""
    sizes, rest, i = {}, [], 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("--") and len(token) > 2:
            name, _, value = token[2:].partition("=")
            if not _IDENTIFIER.match(name):
                raise unknown_option(token)
            if not _:
                if i + 1 >= len(tokens) or not _is_number(tokens[i + 1]):
                    if closest_option(token):
                        raise unknown_option(token)
                if i + 1 >= len(tokens):
                    raise BadOptionError(f"--{name} needs a value: a size is --{name} INT")
                value = tokens[i + 1]
                i += 1
            elif not _is_number(value) and closest_option(token):
                raise unknown_option(token)
            number = parse_size(name, value)
            if sizes.get(name, number) != number:  # which one was meant cannot be told
                raise BadOptionError(f"--{name} is given twice, as {sizes[name]} and {number}: "
                                     "give each size once")
            sizes[name] = number
        elif token.startswith("-") and "=" not in token and len(token) > 1:
            raise unknown_option(token)
        else:
            rest.append(token)
        i += 1
    return sizes, rest


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d+", text.strip()))


def parse_size(name: str, value: str) -> int:
    if not _is_number(value):
        raise BadOptionError(f"--{name} {value}: a size is a positive whole number")
    number = int(value)
    if number <= 0:
        raise BadOptionError(f"--{name} {value}: sizes are positive integers")
    return number


def parse_shape(text: str) -> tuple[str, tuple]:
    """`H=1,h` → ('H', (1, 'h')); `s=` → ('s', ()) a scalar; `b=c` → ('b', ('c',))."""
    name, eq, dims = text.partition("=")
    name = name.strip()
    if not eq or not _IDENTIFIER.match(name):
        raise BadOptionError(f"--shape {text}: write NAME=DIMS, e.g. --shape H=1,h")
    dims = dims.strip().strip("()")
    shape = []
    for dim in (d.strip() for d in dims.split(",")) if dims else []:
        if not dim:
            continue
        if re.fullmatch(r"\d+", dim) and int(dim) > 0:
            shape.append(int(dim))
        elif _IDENTIFIER.match(dim):
            shape.append(dim)
        else:
            raise BadOptionError(f"--shape {text}: {dim!r} is not a size name or a positive integer")
    return name, tuple(shape)


def parse_activation(text: str) -> tuple[str, str]:
    name, eq, func = (part.strip() for part in text.partition("="))
    if not eq or not _IDENTIFIER.match(name) or func not in functions.activations():
        near = closest_names(func, functions.activations(), cutoff=0.6) if eq else []
        raise BadOptionError(f"--activation {text}: write NAME=FUNC with FUNC one of "
                             + ", ".join(functions.activations())
                             + (f"; did you mean {name}={near[0]}?" if near else ""))
    return name, func


def parse_layers(text: str | None) -> tuple[int, int] | None:
    """`1..2` → (1, 2); `3` → (3, 3): the layers a generic-layer formula is checked at."""
    if text is None:
        return None
    from .api import layer_range  # the API reads its layers= so; loaded by the command anyway

    found = layer_range(text)
    if found is None:
        raise BadOptionError(f"--layers {text}: give a layer l or a range A..B of layers "
                             "from 1, as --layers 1..2 or --layers 3")
    return found


_OPTION_WITH_VALUE = re.compile(r"--[A-Za-z_][\w-]*=")


class _Command(click.Command):
    """Click reads every token that starts with '-' as options: a formula typed with a
    leading minus, `-\frac{...} = ...`, was read as short options, its 'h' as -h, and
    the help was printed. A token with an '=' that is no `--NAME=VALUE` is a formula: it
    is shielded from click's option parser and handed on as typed. So is a `--NAME` that
    names no option of the command (a size, `--n0 3`, or a misspelt option), which
    `parse_sizes` reads: click would look for the option closest to it first (difflib, on
    every start), only to hand it on."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        params = [p for p in self.get_params(ctx) if isinstance(p, click.Option)]
        known = {o for p in params for o in p.opts + p.secondary_opts} | {"--"}  # "--": no size
        takes_value = {o for p in params if not p.is_flag for o in p.opts}
        kept: dict[str, str] = {}
        shielded = []
        for number, token in enumerate(args):
            formula = token.startswith("-") and "=" in token and not _OPTION_WITH_VALUE.match(token)
            size = token.startswith("--") and token.partition("=")[0] not in known \
                and (number == 0 or args[number - 1] not in takes_value)  # not an option's value
            if formula or size:
                key = f"\x00shapecheck formula {len(kept)}\x00"
                kept[key] = token
                token = key
            shielded.append(token)
        try:
            rest = super().parse_args(ctx, shielded)
        except click.UsageError as e:  # one line in shapecheck's own words, not click's usage
            raise _Refused(_usage_message(e)) from None

        def restore(value):
            if isinstance(value, (tuple, list)):
                return type(value)(restore(v) for v in value)
            return kept.get(value, value) if isinstance(value, str) else value

        ctx.params = {name: restore(value) for name, value in ctx.params.items()}
        ctx.args = restore(ctx.args)
        return restore(rest)


class _Refused(click.ClickException):
    """An option click itself refused (`--layout row`), shown as every other error is."""
    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:
        _error(self.message)


def _usage_message(e: click.UsageError) -> str:
    """`--layout row` → "Invalid value for '--layout': 'row' is not one of 'columns', 'rows';
    did you mean rows?"."""
    message = e.format_message().rstrip(".")
    param = getattr(e, "param", None)
    bad = re.search(r"'([^']*)' is not one of", message)
    if bad and param is not None and isinstance(param.type, click.Choice):
        near = closest_names(bad.group(1), [str(c) for c in param.type.choices], cutoff=0.5)
        if near:
            message += f"; did you mean {near[0]}?"
    return message


def exit_status(results: list[Result]) -> int:
    verdicts = {r.verdict for r in results}
    if "error" in verdicts:
        return EXIT_ERROR
    return EXIT_WRONG if verdicts & {"shape", "value"} else EXIT_OK


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        click.echo(f"shapecheck {version('backprop-shapecheck')}")
    except PackageNotFoundError:  # run from a source tree that was never installed
        click.echo("shapecheck (version unknown: the package is not installed)")
    ctx.exit(EXIT_OK)


@click.command(cls=_Command, context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                 "help_option_names": ["-h", "--help"]})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("--shape", "shapes", multiple=True, metavar="NAME=DIMS",
              help="Declare a variable's shape: --shape H=1,h (scalar: s=; 1-D: b=c).")
@click.option("--forward", metavar="'EQ; EQ'", help="The forward model; its last equation is the cost.")
@click.option("--activation", "activations", multiple=True, metavar="NAME=FUNC",
              help=f"Fix an open activation: g1={functions.activations()[0]} "
                   f"({', '.join(functions.activations())}).")
@click.option("--L", "layers", type=click.IntRange(min=1), metavar="N",
              help="Number of layers of the built-in network (turns on generic names W, dZ, A_prev).")
@click.option("--layers", "only_layers", metavar="A..B",
              help="Check a generic-layer formula at these layers only: 1..2, or 3.")
@click.option("--label", "labels", multiple=True, metavar="NAME", help="Mark a --forward input as labels.")
@click.option("--layout", type=click.Choice(["columns", "rows"]), default="columns", show_default=True,
              help="Examples in columns (Z = W @ X + b) or in rows (Z = X @ W + b).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random draw.")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), default=1e-6, show_default=True,
              help="Relative tolerance of the value check.")
@click.option("--no-values", is_flag=True, help="Check shapes only.")
@click.option("--probes", type=click.IntRange(min=1, max=1000), default=8, show_default=True,
              help="Random directions for the gradient of a large variable.")
@click.option("--exact", is_flag=True,
              help="Finite differences entry by entry for every variable, whatever its size.")
@click.option("--derive", "derive", multiple=True, metavar="NAME",
              help="Derive the gradient NAME (dZ1, dW) by the chain rule; shown only once verified.")
@click.option("--expand", is_flag=True,
              help="With --derive: substitute the gradients until only the model's quantities remain.")
@click.option("--latex", is_flag=True, help="With --derive: also print the result in LaTeX.")
@click.option("--steps", is_flag=True, help="With --derive: show the derivation one step a line.")
@click.option("--index", is_flag=True, help="With --derive: the derivation in index notation, each line verified.")
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable report.")
@click.option("--explain", is_flag=True,
              help="Show how each formula was read, in numpy form, with the shape of every part.")
@click.option("--toy", is_flag=True,
              help="Write each formula out entry by entry at size 2 and compare one entry with "
                   "the scalar chain rule's.")
@click.option("--svg", "svg_file", metavar="FILE",
              help="Also write the report, as the terminal shows it, to FILE as an SVG picture.")
@click.option("--png", "png_file", metavar="FILE",
              help="Also write the report, as the terminal shows it, to FILE as a PNG image "
                   "(needs the extra: pip install \"backprop-shapecheck[png]\").")
@click.option("--html", "html_file", metavar="FILE",
              help="Also write the report, as the terminal shows it, to FILE as an HTML page.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the version and exit.")
def command(args, shapes, forward, activations, layers, labels, layout, seed, tol, no_values,
            probes, exact, as_json, explain, svg_file, html_file, derive=(), expand=False,
            latex=False, steps=False, only_layers=None, toy=False, png_file=None, index=False):
    """Check hand-derived gradient formulas: shapes, then values against finite differences.

    \b
    Example:
      shapecheck "dZ1 = W2.T @ dZ2 * g1'(Z1)" --n0 3 --n1 4 --m 5
      shapecheck --derive dZ1 --steps --n0 3 --n1 4 --m 5

    An ARG containing '=' is a formula, any other ARG a notes file (Markdown,
    LaTeX, Jupyter, text); --NAME INT declares the size NAME. A size or an
    --activation that nothing uses is an error, as is a misspelt option.

    \b
    Exit status:
      0  every formula passed
      1  at least one formula is wrong (shapes or values)
      2  something could not be checked (a formula that does not parse, an
         unknown name, a bad or unused option, a faulty --forward model, an
         unreadable file); the message goes to standard error

    \b
    Notes-file directives (a line 'WORD: ...' in a plain-text file or a
    ```shapecheck block, a '<!-- shapecheck: ... -->' comment in Markdown,
    '% shapecheck: ...' in LaTeX), for the formulas after them:
      sizes: m=5 n1=4        shape: H = (1, h)      activation: g1 = tanh
      layout: rows           label: T               forward: EQ; EQ

    \b
    Environment:
      NO_COLOR   set (to anything) for plain text: no colour, bold or underline
    """
    from . import report  # imported here so that --help stays quick
    from .api import Call

    try:
        options, formulas, paths = read_arguments(
            args, shapes, forward, activations, layers, labels, layout, seed, tol, no_values,
            probes, exact, only_layers, derive, expand, latex, steps)
        if index and not derive:
            raise BadOptionError("--index goes with --derive NAME (say --derive dW1 --index)")
        if png_file:  # refused before any check where the renderer is missing
            from .raster import renderer
            renderer()
    except ShapecheckError as e:
        _error(e.message)
        sys.exit(EXIT_ERROR)

    call = Call(options, formulas, paths, derive=derive, expand=expand, latex=latex, steps=steps,
                command_line=True, option=closest_option, layers_typed=only_layers)
    session = call.session
    out = report.make_console()
    err = report.make_console(file=sys.stderr)
    checked = call.results()
    if out.is_terminal and not as_json:  # a bar on stderr, for a check of more than a second
        from .progress import results_in, with_progress
        files = results_in(paths, session.defaults()) if paths else 0
        checked = with_progress(checked, err, len(formulas) + len(derive) + files)
    results = list(checked)
    # where something could not be checked (exit 2 already) what it would use is unknown;
    # notes without a formula say so in their summary
    refused = call.refusals(results)
    if refused:  # the results were checked on what the user did not mean: none is shown
        for message in refused:
            _error(message)
        sys.exit(EXIT_ERROR)
    if explain:  # before the report; on stderr when stdout carries JSON
        from .advice.explain import render
        for text, result in zip(formulas, results):
            render(session.explain(text, result.layer), err if as_json else out)
    if toy:  # the 2×2 toy of each formula, before the report (stderr when stdout is JSON)
        from .toy.render import render as render_toy
        for text in formulas:
            click.echo(render_toy(session.toy(text)) + "\n", err=as_json)
    if index:  # the index form of each derivation, before the report (stderr with JSON)
        from .index_form import render as render_index
        for name in derive:
            click.echo(render_index(session.index_form(name), latex) + "\n", err=as_json)
    if as_json:
        from .json_report import json_report  # json: only --json asks for it
        click.echo(json_report(results))
        for r in results:
            if r.verdict == "error":
                report.render_one(r, err)
    else:
        report.render_all(results, out, err, files=len(paths))
    if svg_file or html_file or png_file:
        svg, html = report.pictures(results, len(paths))
        for option, path, content in (("--svg", svg_file, svg), ("--html", html_file, html),
                                      ("--png", png_file, None)):
            if path:
                _write(option, path, content if content is not None else _png(svg))
    sys.exit(exit_status(results))


def read_arguments(args, shapes=(), forward=None, activations=(), layers=None, labels=(),
                   layout="columns", seed=0, tol=1e-6, no_values=False, probes=8, exact=False,
                   only_layers=None, derive=(), expand=False, latex=False, steps=False,
                   notes_text=False, **_) -> tuple[Options, list[str], list[str]]:
    """The command's arguments and options (click's values) read into the library's Options,
    the formulas and the notes files' paths; the IPython magics read their line with this
    too (`notes_text`: a cell of notes is checked as well). Raises BadOptionError for what
    the command refuses."""
    if not math.isfinite(tol):
        raise BadOptionError(f"--tol {tol}: the tolerance is a positive number")
    if forward is not None and not forward.strip(" ;\n"):
        raise BadOptionError("--forward has no equation: give the model, e.g. "
                             "--forward \"Y = f(H @ W + B); J = 1/2 * np.sum((Y - T) ** 2)\"")
    sizes, formulas = parse_sizes(list(args))
    options = Options(sizes=sizes, shapes=dict(parse_shape(s) for s in shapes),
                      activations=dict(parse_activation(a) for a in activations),
                      layout=layout, layers=layers, only_layers=parse_layers(only_layers),
                      forward=(forward,) if forward else (), labels=tuple(labels),
                      seed=seed, tol=tol, values=not no_values, probes=probes, exact=exact)
    paths = [a for a in formulas if "=" not in a]
    formulas = [a for a in formulas if "=" in a]
    if not formulas and not paths and not derive and not notes_text:
        raise BadOptionError("nothing to check: give a formula such as \"dZ2 = A2 - Y\", "
                             "a notes file, or --derive dZ1")
    for flag, given in (("--expand", expand), ("--latex", latex), ("--steps", steps)):
        if given and not derive:
            raise BadOptionError(f"{flag} goes with --derive NAME (say --derive dW1 {flag})")
    return options, formulas, paths


def _png(svg: str) -> bytes:
    from .raster import png
    try:
        return png(svg)
    except ShapecheckError as e:  # nothing written, as for a path that cannot be
        _error(e.message)
        sys.exit(EXIT_ERROR)


def _write(option: str, path: str, content: str | bytes) -> None:
    """Write the one file that was asked for; a path that cannot be written is exit 2."""
    try:
        with (open(path, "wb") if isinstance(content, bytes) else
              open(path, "w", encoding="utf-8")) as f:
            f.write(content)
    except OSError as e:
        _error(f"{option} {path}: cannot write it ({e.strerror or e})")
        sys.exit(EXIT_ERROR)


def _error(message: str) -> None:
    """`shapecheck: error: MESSAGE` on stderr, wrapped to a terminal's width like the report."""
    from . import report

    report.error(message, report.make_console(file=sys.stderr))


def keep_freed_memory() -> None:
    """Ask glibc's malloc to keep freed memory for the next array instead of handing it
    back to the system: a check at real sizes makes and frees arrays of a few MB in every
    batch, and each array taken afresh from the system first faults in every one of its
    pages (a third of the time of the whole check at n1=1024, m=256). For this process
    only, which lives for one check; a library user's process is left as it is."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(-1, 1 << 30)    # M_TRIM_THRESHOLD: keep up to 1 GiB of freed memory
        libc.mallopt(-3, 256 << 20)  # M_MMAP_THRESHOLD: arrays below 256 MB from the heap
    except (OSError, AttributeError):  # not glibc: its allocator's defaults stand
        pass


def main():
    keep_freed_memory()
    try:
        command(prog_name="shapecheck")
    except SystemExit as e:
        if e.code is not None and not isinstance(e.code, int):
            raise
        exit_now(e.code or 0)


def exit_now(status: int) -> None:
    """End the process once its output is out, without the interpreter's clean-up: freeing
    every object of numpy, rich, lark and shapecheck one by one costs a sixth of a start-up
    and serves nobody (mypy exits so for the same reason). A library user's process ends as
    it likes; this is the command's. Where the output cannot be flushed (a closed pipe) the
    ordinary exit reports it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(status)
    os._exit(status)
