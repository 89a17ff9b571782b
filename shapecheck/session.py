"""Many formulas in one call: from the command line and from notes files.

One `Checker` per distinct setting, so the parser, the models, their forward passes and
their gradients are built once per process and shared by every formula that can use them.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Iterator

from .check import Checker, Options, Result, Source
from .errors import UnreadableFileError


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
        return (checker.check(text) for text in texts)

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

    def defaults(self):
        from .notes import Setting  # Markdown parsing is loaded only for notes files

        o = self.options
        return Setting(sizes=dict(o.sizes), shapes=dict(o.shapes), activations=dict(o.activations),
                       layout=o.layout, forward=tuple(o.forward), labels=tuple(o.labels))

    def files(self, paths: Iterable[str]) -> Iterator[Result]:
        """Every formula of every notes file, in order; an unreadable file is one error."""
        paths = list(paths)
        if not paths:  # the Markdown reader is loaded only for notes files
            return
        from .notes import NoteError, NoteFormula, read_notes

        for path in paths:
            try:
                items = read_notes(path, self.defaults())
            except UnreadableFileError as e:
                yield Result("", "error", e.message, Source(path, e.line or 1, 1))
                continue
            for item in items:
                source = Source(item.file, item.line, item.column)
                if isinstance(item, NoteError):
                    yield Result("", "error", item.message, source)
                elif isinstance(item, NoteFormula):
                    yield self.checker(self._options(item.setting)).check(item.text, source)

    def _options(self, setting) -> Options:
        return replace(self.options, sizes=dict(setting.sizes), shapes=dict(setting.shapes),
                       activations=dict(setting.activations),
                       layout=setting.layout or self.options.layout,
                       forward=tuple(setting.forward), labels=tuple(setting.labels))
