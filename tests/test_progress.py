"""The progress bar of a long check: on a terminal only, only past its delay, erased at the
end, and never in --json (issue: real sizes)."""
from __future__ import annotations

import io
import time

from rich.console import Console

import shapecheck.progress as progress
import shapecheck.report as report
from shapecheck.progress import with_progress

from conftest import size_args, COURSE


def slow(items, seconds):
    for item in items:
        time.sleep(seconds)
        yield item


def terminal() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=80, color_system=None)


def test_a_long_check_on_a_terminal_shows_a_bar_and_erases_it():
    console = terminal()
    assert list(with_progress(slow("abc", 0.15), console, 3, delay=0.05)) == ["a", "b", "c"]
    drawn = console.file.getvalue()
    assert "checking" in drawn and "3/3" in drawn
    assert drawn.endswith("\x1b[1A\x1b[2K")  # erased at the end: the report comes next


def test_a_quick_check_draws_nothing_even_on_a_terminal():
    console = terminal()
    assert list(with_progress(iter("abc"), console, 3)) == ["a", "b", "c"]
    assert console.file.getvalue() == ""


def test_output_that_is_not_a_terminal_gets_no_bar():
    console = Console(file=io.StringIO(), width=80)
    assert list(with_progress(slow("ab", 0.1), console, 2, delay=0.0)) == ["a", "b"]
    assert console.file.getvalue() == ""


def test_the_bar_counts_when_the_total_is_not_known():
    console = terminal()
    list(with_progress(slow("ab", 0.15), console, None, delay=0.05))
    assert "checking" in console.file.getvalue()


def _cli_on_a_terminal(cli, monkeypatch, *args):
    """The command with both its outputs on (pretend) terminals and no delay."""
    consoles = []

    def make_console(file=None, width=None):
        console = Console(file=io.StringIO(), force_terminal=True, width=100,
                          color_system=None, theme=report.THEME, highlight=False)
        consoles.append(console)
        return console

    monkeypatch.setattr(report, "make_console", make_console)
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    result = cli(*args)
    out, err = (c.file.getvalue() for c in consoles)
    return result, out, err


def test_the_command_shows_the_bar_on_stderr_of_a_terminal(cli, monkeypatch):
    formulas = ["dZ2 = A2 - Y", "dW1 = dZ1 @ X.T"]
    result, out, err = _cli_on_a_terminal(cli, monkeypatch, *formulas, *size_args(COURSE))
    assert result.exit_code == 1
    assert "2 formulas: 1 pass, 1 value" in out and "checking" not in out
    assert "checking" in err and "/2" in err


def test_the_command_shows_no_bar_with_json(cli, monkeypatch):
    result, out, err = _cli_on_a_terminal(cli, monkeypatch, "dZ2 = A2 - Y", "--json",
                                          *size_args(COURSE))
    assert result.exit_code == 0
    assert "checking" not in err + out + result.stdout
