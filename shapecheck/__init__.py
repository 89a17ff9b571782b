"""shapecheck: check hand-derived backpropagation formulas, shapes first, then values
against finite differences.

    import shapecheck
    shapecheck.check("dZ1 = W2.T @ dZ2 * g1'(Z1)", n0=3, n1=4, m=5).ok   # True

In IPython and Jupyter: `%load_ext shapecheck`, then `%shapecheck FORMULA [options]` and
`%%shapecheck [options]` (see shapecheck.ipython).

Importing the package loads nothing else: the API (numpy, rich, lark behind it) is
imported at the first use of one of its names, so that `shapecheck --help` and
`import shapecheck` stay quick.
"""
from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__all__ = ["check", "derive", "check_notes", "check_notes_text", "CheckResult", "Report",
           "check_backward",
           "ShapecheckError", "FormulaSyntaxError", "UnknownNameError", "BadOptionError",
           "ModelError", "CheckError", "UnreadableFileError", "load_ipython_extension"]

_FROM_API = {"check", "derive", "check_notes", "check_notes_text", "CheckResult", "Report"}
_FROM_ERRORS = {"ShapecheckError", "FormulaSyntaxError", "UnknownNameError", "BadOptionError",
                "ModelError", "CheckError", "UnreadableFileError"}

if TYPE_CHECKING:  # for type checkers and editors; at run time, __getattr__ below
    from .api import CheckResult, Report, check, check_notes, check_notes_text, derive
    from .backward import check_backward
    from .errors import (BadOptionError, CheckError, FormulaSyntaxError, ModelError,
                         ShapecheckError, UnknownNameError, UnreadableFileError)


def __getattr__(name: str) -> Any:
    if name in _FROM_API:
        from . import api
        return getattr(api, name)
    if name == "check_backward":
        from .backward import check_backward
        return check_backward
    if name in _FROM_ERRORS:
        from . import errors
        return getattr(errors, name)
    raise AttributeError(f"module 'shapecheck' has no attribute {name!r}")


class _Package(types.ModuleType):
    """`shapecheck.check` is the API's function, though the package also has a module
    check.py: importing that module sets the package's attribute `check` to it (Python
    does so for every submodule), which this property ignores. The module stays in
    sys.modules, where `from shapecheck.check import Check` finds it."""

    @property
    def check(self):
        from .api import check
        return check

    @check.setter
    def check(self, value) -> None:
        if not isinstance(value, types.ModuleType):
            raise AttributeError("shapecheck.check is the API's check(); it cannot be replaced")


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython) -> None:
    """`%load_ext shapecheck`: registers the `%shapecheck` and `%%shapecheck` magics."""
    from .ipython import load_ipython_extension as load
    load(ipython)
