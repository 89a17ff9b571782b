"""Shared fixtures: the library called the way the CLI calls it, and the CLI in-process.

The sizes are those of the SPEC's examples: `COURSE` declares every size of the course's
2-layer network; `SPEC_EXAMPLE` leaves `n2` undeclared, as the SPEC's first example does.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from shapecheck.result import Options
from shapecheck.session import Checker
from shapecheck.cli import command

COURSE = {"n0": 3, "n1": 4, "n2": 2, "m": 5}
SPEC_EXAMPLE = {"n0": 3, "n1": 4, "m": 5}
# the six course gradients, as SPEC writes them: each passes
COURSE_SIX = [
    "dZ2 = A2 - Y",
    "dW2 = 1/m * dZ2 @ A1.T",
    "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)",
    "dZ1 = W2.T @ dZ2 * g1'(Z1)",
    "dW1 = 1/m * dZ1 @ X.T",
    "db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)",
]


def size_args(sizes: dict[str, int]) -> list[str]:
    """{'n0': 3} → ['--n0', '3']."""
    return [item for name, value in sizes.items() for item in (f"--{name}", str(value))]


@pytest.fixture
def check():
    """`check("dZ2 = A2 - Y")` → Result, on the course network with every size declared;
    `check(text, sizes=..., **options)` for anything else `Options` takes."""
    def run(text: str, sizes: dict[str, int] | None = None, **options):
        chosen = COURSE if sizes is None else sizes
        return Checker(Options(sizes=dict(chosen), **options)).check(text)
    return run


class CliResult:
    """What a user sees: exit status, standard output, standard error, kept apart."""

    def __init__(self, result):
        self.raw = result
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.exception = result.exception

    def json(self) -> dict:
        return json.loads(self.stdout, parse_constant=_reject_constant)

    @property
    def crashed(self) -> bool:
        """True when anything but the CLI's own sys.exit ended the run (a traceback)."""
        return self.exception is not None and not isinstance(self.exception, SystemExit)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


@pytest.fixture
def cli():
    """`cli("dZ2 = A2 - Y", "--n0", "3")` → CliResult, run in-process through CliRunner."""
    runner = CliRunner()

    def run(*args: str) -> CliResult:
        return CliResult(runner.invoke(command, list(args), prog_name="shapecheck"))
    return run
