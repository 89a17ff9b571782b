"""Many formulas in one call: from the command line and from notes files.

The session is the one orchestrator and the one owner of caches. For each distinct
setting a `Checker` keeps the models, their draws and gradients and the verdicts, so each
is computed once per process; a formula goes binding → check → (if it fails) advice →
report, and nothing below calls back up:

    Checker.check ─→ Check.verdict (models.binding, draws, diagnosis)
                 └─→ advice: hints.suggest, repair.find(verify=Checker.verdict),
                     calculus.derive.derive_name (verified by Check.verdict on its node)
"""
from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Iterable, Iterator

import numpy as np

from . import syntax as s
from .check import Check, failed
from .declared import Usage, called as _called, unused_directives, used_by
from .draws import Drawer
from .errors import ShapecheckError, UnreadableFileError
from .models.names import gradient_names, highest_layer
from .models.binding import COST, Binder, at_layer_names, generic_in, names_a_gradient
from .language.members import maybe_indexed, split_members
from .language.parse import parse_equation
from .language.printer import to_numpy
from .result import Network, Options, Result, Source, show


class Checker:
    """Checks formulas under one set of options, sharing models and gradients between them:
    `Checker(Options(sizes={'n0': 3, 'n1': 4, 'm': 5})).check("dZ2 = A2 - Y")`."""

    def __init__(self, options: Options):
        self.options = options
        self.binder = Binder(options, {})
        self.drawer = Drawer(options, {}, {})
        self._check = Check(options, self.binder, self.drawer, {})
        self._derivers: dict[int | None, "Checker"] = {}  # for --derive (see _deriving)
        self._repairs: dict[str, dict] = {}  # formula → its repair or derivation (Result fields)
        self._verdicts: dict = {}  # formula (text, or ("built", text)) → its verdict (no source)
        self.usage = Usage()  # what the formulas checked (not repairs tried) used
        self._noted: set[str] = set()
        self._equations: dict[str, s.Equation | None] = {}  # text → tree, None if unreadable

    def check(self, text: str, source: Source | None = None) -> Result:
        """The verdict; a wrong formula's Result carries its smallest verified `repair`
        where one exists, else a verified derivation of its left side (`derived`)."""
        result = self._repaired(text, self.verdict(text, source))
        if text not in self._noted:
            self._noted.add(text)
            self._note_use(text)
        return result

    def _note_use(self, formula: str | s.Equation) -> None:
        """Record the sizes and functions `formula` uses: its model's sizes, the declared
        sizes it reads as scalars (`1/m`), the dimensions of the `--shape`s it reads, every
        function its model and itself call (a generic `g` stands for g1 to gL)."""
        eq = self._parsed(formula) if isinstance(formula, str) else formula
        if eq is None:
            self.usage.unknown = True
            return
        try:
            called = _called(eq.rhs)
            generic = generic_in(eq)
            if generic and self.options.layers and not self.options.forward:
                self.usage.generic = True
                for layer in range(1, self.options.layers + 1):
                    called |= _called(s.rename(eq, at_layer_names(generic, layer)).rhs)
                eq = s.rename(eq, at_layer_names(generic, 1))  # one model at every layer
            read = self._check.read(eq)
        except (ShapecheckError, RecursionError):
            self.usage.unknown = True
            return
        model, binding = read.model, read.binding
        sizes = set()  # a one-example formula (`dz1`) is checked with m = 1: it uses no m
        for name, (var, _) in binding.items():
            if var not in model.shapes and var in self.options.shapes:
                sizes |= {d for d in self.options.shapes[var] if isinstance(d, str)}
        read_names = {n.id for n in s.walk(read.equation.rhs) if isinstance(n, s.Name)}
        sizes |= {n for n in read_names - set(binding) if n in self.options.sizes}
        self.usage.add(Usage(sizes, called | _called(read.equation.rhs),
                             read_names | set(binding) | {read.equation.lhs.id},
                             models={id(model): model}))

    def verdict(self, formula: str | s.Equation, source: Source | None = None) -> Result:
        """The check (and a shape hint) alone, without looking for a repair, of a formula's
        text or of an equation already built (a derivation). The same formula gets the same
        verdict under the same options: a repair that is a formula already checked (or a
        formula written twice in notes) is not checked again."""
        text = formula if isinstance(formula, str) else formula.text
        key = text if isinstance(formula, str) else ("built", text)
        if key not in self._verdicts:
            # parsed once for the check and for noting its use; unreadable text goes to the
            # check as text, which words its error
            eq = self._parsed(formula) if isinstance(formula, str) else formula
            self._verdicts[key] = self._assumed(eq, _hinted(text, self._check.verdict(eq or text)))
        return replace(self._verdicts[key], source=source)

    def _assumed(self, eq: s.Equation | None, result: Result) -> Result:
        """The result with the network it was checked on, and of the sizes chosen because
        nobody declared them only those its check touched: where values were compared the
        forward pass ran to the cost, through every size of the model; where only shapes
        were (--no-values, a shape failure), the sizes of the shapes of the names it reads,
        its left side's and those it reads as scalars (`1/m`)."""
        if eq is None or result.verdict == "error":
            return result
        try:
            reads = [self._check.read(e) for e in self._checked(eq, result.layer)]
        except (ShapecheckError, RecursionError):
            return result
        model = reads[-1].model
        # values ran where they were compared, or passed at a generic layer before the failing one
        if self.options.values and (result.verdict in ("pass", "value") or (result.layer or 1) > 1):
            touched = set(model.sizes_used)
        else:
            touched = set().union(*(_shaped(read) for read in reads))
        return replace(result, defaults={k: v for k, v in result.defaults.items() if k in touched},
                       network=self._network(model))

    def _checked(self, eq: s.Equation, failed_at: int | None) -> list[s.Equation]:
        """The equations Check.verdict checked for `eq`: a generic formula at each layer
        up to the one it failed at (all, if it passed)."""
        generic = generic_in(eq)
        if not generic or self.options.forward or not self.options.layers:
            return [eq]
        return [s.rename(eq, at_layer_names(generic, layer))
                for layer in range(1, (failed_at or self.options.layers) + 1)]

    def _network(self, model) -> Network | None:
        if self.options.forward:
            return Network(forward="; ".join(t.strip() for t in self.options.forward))
        # the binder keeps the network it built under ("network", layers, batch, layout)
        key = next((k for k, m in self.binder.models.items() if m is model), None)
        if key and key[0] == "cost":  # a Cookbook ∂f/∂X: the model is f itself
            return Network(forward=f"{model.cost} = {key[1]}")
        return Network(layers=key[1], examples=key[2], layout=key[3]) if key else None

    def _parsed(self, text: str) -> s.Equation | None:
        if text not in self._equations:
            try:
                self._equations[text] = parse_equation(text)
            except (ShapecheckError, RecursionError):
                self._equations[text] = None
        return self._equations[text]

    def _repaired(self, text: str, result: Result) -> Result:
        """A wrong formula gets the smallest edit of its text that passes the same check
        (values included), else the derived formula, once it passes that check too."""
        if result.verdict not in ("shape", "value") or not self.options.values:
            return replace(result, chain=None)
        if result.chain is not None:  # the scalar chain rule: its matrix form, verified
            from .advice.chain_rule import explain
            return explain(result, lambda formula: self.verdict(formula).verdict == "pass")
        from .advice.repair import find

        if text not in self._repairs:
            found = find(text, result, self.verdict, {**self.options.sizes, **result.sizes})
            self._repairs[text] = {"repair": found} if found else self._derived_instead(text)
        return replace(result, searched=True, **self._repairs[text])

    def _derived_instead(self, text: str) -> dict:
        """The derivation of the formula's left side, if it passes this checker's check; in
        the model's own quantities where the formula names no gradient (`(Y - T)`, not `dY`)."""
        eq = parse_equation(text)
        if eq.cost is not None:  # ∂f/∂X of its own f: derived on the model J = f, as --forward
            written = eq.text[eq.cost.span[0]:eq.cost.span[1]]
            model = Checker(replace(self.options, forward=(f"{COST} = {written}",)))
            derived = model.derive(eq.lhs.id, expand=True)  # verified there, values included
            return {"derived": derived.derived} if derived.verdict == "pass" and derived.derived \
                else {}
        expand = not names_a_gradient(eq)
        for derived in [self.derive(eq.lhs.id, expand)] + ([self.derive(eq.lhs.id)] if expand else []):
            if derived.verdict == "pass" and derived.derived \
                    and self.verdict(derived.derivation.equation).verdict == "pass":
                return {"derived": derived.derived}
        return {}

    def explain(self, text: str, layer: int | None = None):
        """How `text` is read, for --explain: its numpy reading and the shape of each part
        (at generic layer `layer`, default 1), as plain data for `explain.render`."""
        from .advice.explain import explanation, failed as unexplained

        try:
            eq = parse_equation(text)
            generic = generic_in(eq)
            if generic and self.options.layers and not self.options.forward:
                eq = s.rename(eq, at_layer_names(generic, layer or 1))
            read = self._check.read(eq)
        except ShapecheckError as e:
            return unexplained(text, e)
        lhs = read.binding.get(read.equation.lhs.id)
        lhs_shape = read.model.shapes[lhs[0]] if lhs and lhs[1] else None
        return explanation(text, read.equation, read.env, lhs_shape, read.notes)

    def toy(self, text: str):
        """`--toy`: the formula's 2×2 toy (toy.build on check's reading of it), plain data
        for toy.render.render; a formula that cannot be read is a toy saying why."""
        from .toy import Toy, build

        try:
            eq = parse_equation(text)
            generic = generic_in(eq)
            if generic and self.options.layers and not self.options.forward:
                eq = s.rename(eq, at_layer_names(generic, 1))
            read = self._check.read(eq)
        except ShapecheckError as e:
            return Toy(text, problem=e.message)
        return build(read, self.options.sizes, self.options.seed)

    def derive(self, name: str, expand: bool = False) -> Result:
        """`--derive dZ1`: the gradient `name` derived by the chain rule over the model
        (calculus.derive) and verified by the same check as a user's formula: a `pass`
        Result whose `derived` is "dZ1 = W2.T @ dZ2 * g1'(Z1)", else an `error` Result."""
        from .calculus.derive import Underivable, derive_name

        checker = self._deriving(name)
        try:
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise Underivable("write the name of a gradient, such as dW1")
            model, binding = checker.binder.bind(s.Equation(s.Name(name, (0, len(name))),
                                                            s.Name(name, (0, len(name))), name))
            derivation = derive_name(model, binding, name, expand, self.options.layers,
                                     bool(self.options.forward))
        except Underivable as e:
            checker.usage.unknown = True
            return Result(name, "error", f"cannot derive {name}: {e.reason}")
        except ShapecheckError as e:
            checker.usage.unknown = True
            return Result(name, "error", f"cannot derive {name}: {e.message}")
        result = checker.verdict(derivation.equation)  # the tree itself, not its text
        checker._note_use(derivation.equation)
        if result.verdict != "pass":  # never shown: it did not pass
            why = result.message if result.verdict == "error" else \
                f"the chain rule gave a formula whose verdict is {result.verdict}, not pass"
            return Result(name, "error", f"no derivation of {name} could be verified: {why}")
        return replace(result, derived=derivation.numpy, derivation=derivation)

    def _deriving(self, name: str) -> "Checker":
        """The checker that verifies a derivation: values always checked, on the depth
        binding chooses for it."""
        layers = self.binder.derivation_layers(name)
        if layers == self.options.layers and self.options.values:
            return self
        if layers not in self._derivers:
            self._derivers[layers] = Checker(replace(self.options, layers=layers, values=True))
        return self._derivers[layers]


def _shaped(read) -> set[str]:
    """The sizes in the shapes a formula's shape check read: its names' (left side too)
    and the sizes it reads as scalars."""
    names = {n.id for n in s.walk(read.equation.rhs) if isinstance(n, s.Name)}
    names.add(read.equation.lhs.id)
    dims = {d for n in names if n in read.env.variables
            for d in read.env.variables[n] if isinstance(d, str)}
    return dims | {n for n in names - set(read.env.variables) if n in set(read.env.sizes)}


def _hinted(text: str, result: Result) -> Result:
    """A shape result with the hint of advice.hints, when a small edit lines the shapes up:
    said in the message before the note on how the notation was read."""
    unhinted = result.unhinted
    if unhinted is None:
        return result
    from .advice.hints import suggest

    result = replace(result, unhinted=None)
    try:
        with np.errstate(all="ignore"):
            found = suggest(unhinted.rhs, unhinted.node, unhinted.lhs_shape, unhinted.env)
    except ShapecheckError as e:
        return failed(text, e)
    except RecursionError:
        return Result(text, "error", "the formula is nested too deeply to check")
    if not found:
        return result
    whole = unhinted.node is None  # the whole right side: the edit may sit anywhere in it
    part = found[2] if whole else found[0]
    hint = to_numpy(s.rename(part, unhinted.shown) if unhinted.shown else part)
    if whole:
        said = f". Did you mean {hint}? It gives {show(unhinted.lhs_shape)}."
    else:
        said = (f". Did you mean {hint}? It is {show(found[1])}, and the right side then has "
                f"the shape {show(unhinted.lhs_shape)} that {unhinted.lhs} needs.")
    note = f" (read {result.reading})" if result.reading else ""
    at = len(result.message) - len(note)
    return replace(result, hint=hint, message=result.message[:at] + said + result.message[at:])


class Session:
    def __init__(self, options: Options):
        self.options = options
        self._checkers: dict[tuple, Checker] = {}

    def checker(self, options: Options) -> Checker:
        key = tuple(sorted((k, repr(sorted(v.items())) if isinstance(v, dict) else repr(v))
                           for k, v in vars(options).items()))
        if key not in self._checkers:
            self._checkers[key] = Checker(options)
        return self._checkers[key]

    def formulas(self, texts: Iterable[str]) -> Iterator[Result]:
        """`list(Session(Options(sizes={'m': 5})).formulas(["dZ2 = A2 - Y"]))`; each result
        as soon as it is known (a progress bar counts them)."""
        checker = self.checker(self.options)
        for text in texts:
            members = split_members(text)
            bodies = [body for _, body in members]
            if len(members) > 2 or len(members) == 2 and maybe_indexed(bodies) and \
                    _written_with_indices(bodies):
                # `A = B = C`, or index notation: a derivation, checked link by link
                from .chains import Member, check_derivation

                yield from check_derivation(checker, [
                    Member(body.strip(), 1, offset + len(body) - len(body.lstrip()) + 1)
                    for offset, body in members], None)
            else:
                yield checker.check(text)

    def derivations(self, names: Iterable[str], expand: bool = False, latex: bool = True,
                    steps: bool = True) -> Iterator[Result]:
        """`--derive dZ1`: each gradient derived and verified (Checker.derive); the result's
        derivation keeps the LaTeX (asked for, or the notation of a model written in LaTeX)
        and the steps only where they are to be shown."""
        checker = self.checker(self.options)
        latex = latex or any("\\" in text for text in self.options.forward)  # a LaTeX model
        for name in names:
            result = checker.derive(name, expand)
            if result.derivation is not None:
                shown = replace(result.derivation, latex=result.derivation.latex if latex else None,
                                steps=result.derivation.steps if steps else ())
                result = replace(result, derivation=shown)
            yield result

    def usage(self) -> Usage:
        """What every check of this session used, derivations included."""
        return used_by(list(self._checkers.values()))


    def toy(self, text: str):
        """The 2×2 toy of `text` (--toy), as plain data for toy.render.render."""
        return self.checker(self.options).toy(text)

    def index_form(self, name: str):
        """`--derive NAME --index`: the derivation in index notation, each line checked as
        a link of one derivation (index_form.render shows it)."""
        from .chains import Member, check_derivation
        from .index_form import index_form

        def check_lines(checker, lines):
            return check_derivation(checker, [Member(text, 0, 0) for text in lines], None)
        return index_form(self.checker(self.options), name, check_lines)

    def explain(self, text: str, layer: int | None = None):
        """How `text` is read (--explain), as plain data for advice.explain.render."""
        return self.checker(self.options).explain(text, layer)

    def defaults(self):
        from .notes import Setting  # Markdown parsing is loaded only for notes files

        o = self.options
        return Setting(sizes=dict(o.sizes), shapes=dict(o.shapes), activations=dict(o.activations),
                       layout=o.layout, forward=tuple(o.forward), labels=tuple(o.labels))

    def files(self, paths: Iterable[str], strict: bool = False) -> Iterator[Result]:
        """Every formula of every notes file, in order; an unreadable file is one error
        (`strict`: raised, as the Python API does)."""
        paths = list(paths)
        if not paths:  # the Markdown reader is loaded only for notes files
            return
        from .notes import read_notes

        for path in paths:
            try:
                items = read_notes(path, self.defaults())
            except UnreadableFileError as e:
                if strict:
                    raise
                yield self._no_left_side(path) or Result("", "error", e.message,
                                                         Source(path, e.line or 1, 1))
                continue
            yield from self.notes(items, path)

    def notes(self, items: list, path: str) -> Iterator[Result]:
        """The formulas and directive errors read from one file (or an IPython cell)."""
        for _, results in self.notes_by_item(items, path):
            yield from results

    def notes_by_item(self, items: list, path: str) -> Iterator[tuple[int | None, list[Result]]]:
        """Each item's results with its index in `items` (a derivation has one per link it
        decides), then (None, the errors of directives no formula used)."""
        from .chains import Member, check_derivation
        from .notes import NoteDerivation, NoteError, NoteFormula

        checked: dict[tuple, list] = {}  # a declaration → its value, its formulas' checkers
        for index, item in enumerate(items):
            source = Source(item.file, item.line, item.column)
            if isinstance(item, NoteError):
                yield index, [Result("", "error", item.message, source)]
                continue
            checker = self.checker(self.options_for(item.setting))
            if isinstance(item, NoteFormula):
                yield index, [checker.check(item.text, source)]
            elif isinstance(item, NoteDerivation):
                members = [Member(*member) for member in item.members]
                yield index, list(check_derivation(checker, members, item.file))
            for (kind, name), at in item.setting.declared.items():
                value = {"size": item.setting.sizes, "shape": item.setting.shapes,
                         "activation": item.setting.activations}[kind][name]
                checked.setdefault((kind, name, at, value), []).append(checker)
        yield None, list(unused_directives(path, checked))

    def _no_left_side(self, text: str) -> Result | None:
        """`shapecheck "W2.T @ dZ2"`: no file of that name, but a formula without its left
        side; the gradients of the network whose shape it has are offered."""
        if os.path.exists(text):
            return None
        try:
            if isinstance(parse_equation(f"d = {text}").rhs, s.Name):
                return None  # a bare word is a file's name more likely than a formula
        except ShapecheckError:
            return None
        shaped = replace(self.options, values=False)
        layers = max([highest_layer(n) for n in re.findall(r"[A-Za-z_]\w*", text)] + [2])
        # the shape check alone (verdict: no repair, nothing noted as used)
        fits = [name for name in gradient_names(layers)
                if self.checker(shaped).verdict(f"{name} = {text}").verdict == "pass"]
        which = (f", e.g. {fits[0]} = {text}" + (f" (its shape is also that of "
                 f"{', '.join(fits[1:])})" if len(fits) > 1 else "")) if fits else ""
        return Result(text, "error", f"no file of that name, and as a formula it needs a left "
                      f"side: the gradient it computes{which}")

    def options_for(self, setting) -> Options:
        """The options a notes formula is checked with: these, with its directives'."""
        return replace(self.options, sizes=dict(setting.sizes), shapes=dict(setting.shapes),
                       activations=dict(setting.activations),
                       layout=setting.layout or self.options.layout,
                       forward=tuple(setting.forward), labels=tuple(setting.labels))


def _written_with_indices(texts) -> bool:
    from .language.indices import written_with_indices  # the index reader: index notation only

    return written_with_indices(texts)
