"""The errors shapecheck reports: each carries where in the user's input it happened.

The CLI maps every one of them to exit status 2 in one place; nothing else is allowed to
escape to the user as a traceback. The Python API raises them: `except
shapecheck.ShapecheckError` catches everything that could not be checked.
"""
from __future__ import annotations


class ShapecheckError(Exception):
    """Something could not be checked. `span` is a [start, end) range in `text`."""

    def __init__(self, message: str, text: str | None = None,
                 span: tuple[int, int] | None = None):
        super().__init__(message)
        self.message = message
        self.text = text
        self.span = span


class FormulaSyntaxError(ShapecheckError):
    """The formula (or a --forward equation) does not parse."""


class UnknownNameError(ShapecheckError):
    """A name has no shape: not in the model, the convention or a --shape."""


class BadOptionError(ShapecheckError):
    """An option's value is unusable (a size of 0, a malformed --shape, ...)."""


class ModelError(ShapecheckError):
    """A --forward model cannot be checked (input without shape, non-scalar cost)."""


class CheckError(ShapecheckError):
    """A formula or derivation could not be checked (its verdict is `error`: an unknown
    name, a faulty model, no verified derivation). The Python API raises it with the
    report of that verdict as `result`."""

    def __init__(self, message: str, text: str | None = None,
                 span: tuple[int, int] | None = None, result=None):
        super().__init__(message, text, span)
        self.result = result


class UnreadableFileError(ShapecheckError):
    """A notes file is missing, not UTF-8, or not a valid notebook."""

    def __init__(self, message: str, path: str, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line


def closest_names(name: str, candidates, count: int = 1, cutoff: float = 0.5) -> list[str]:
    """The candidates spelled most like `name`, closest first (ties in alphabetical order),
    for an error's "did you mean": `closest_names('tanhh', ['tanh', 'exp'])` → ['tanh']."""
    from difflib import SequenceMatcher  # only an error asks, never a check that passes

    scored = sorted((-SequenceMatcher(None, name, c).ratio(), c) for c in set(candidates))
    return [c for score, c in scored if -score >= cutoff][:count]
