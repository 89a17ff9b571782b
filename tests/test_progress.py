"""The progress bar of a long check: on a terminal only, only past its delay, erased at the
end, and never in --json (issue: real sizes)."""
from __future__ import annotations

import io
import re
import time

import pytest

from rich.console import Console

import shapecheck.progress as progress
import shapecheck.report as report
from shapecheck.progress import with_progress

from conftest import size_args, COURSE


def slow(items, seconds):
    for item in items:
        time.sleep(seconds)
        yield item


def terminal(colour: bool = False) -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=80,
                   color_system="standard" if colour else None)


def test_a_long_check_on_a_terminal_shows_a_bar_and_erases_it():
    console = terminal(colour=True)
    assert list(with_progress(slow("abc", 0.15), console, 3, delay=0.05)) == ["a", "b", "c"]
    drawn = console.file.getvalue()
    assert "checking" in drawn and "3/3" in drawn
    assert "formulas/s" in drawn and " left" in drawn and " elapsed" in drawn
    assert drawn.endswith("\x1b[1A\x1b[2K")  # erased at the end: the report comes next


def test_without_colour_the_bar_is_plain_text_redrawn_and_blanked():
    """NO_COLOR: no escape code at all, not even to move the cursor."""
    console = terminal()
    assert list(with_progress(slow("abc", 0.3), console, 3, delay=0.0)) == ["a", "b", "c"]
    drawn = console.file.getvalue()
    assert "\x1b" not in drawn
    frames = [f for f in drawn.split("\r") if f.strip()]
    assert frames[0].startswith("| checking 0/3 · – formulas/s · – left · 0:00 elapsed")
    assert any(" checking 2/3 · " in f and "formulas/s · 0:0" in f for f in frames), frames
    assert drawn.endswith("\r" + " " * len(max(frames, key=len)) + "\r")


@pytest.mark.parametrize("colour", [True, False])
def test_the_bar_moves_on_while_one_slow_item_is_checked(colour):
    """Redrawn several times a second: one item of 1.2 s shows the time going by."""
    console = terminal(colour)
    list(with_progress(slow("a", 1.2), console, 1, delay=0.0))
    frames = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", console.file.getvalue()).split("\r")
    waiting = [f for f in frames if "0/1" in f]
    assert len(waiting) >= 3
    assert any("0:00 elapsed" in f for f in waiting) and any("0:01 elapsed" in f for f in waiting)


def test_a_quick_check_draws_nothing_even_on_a_terminal():
    for colour in (True, False):
        console = terminal(colour)
        assert list(with_progress(iter("abc"), console, 3)) == ["a", "b", "c"]
        assert console.file.getvalue() == ""


def test_output_that_is_not_a_terminal_gets_no_bar():
    console = Console(file=io.StringIO(), width=80)
    assert list(with_progress(slow("ab", 0.1), console, 2, delay=0.0)) == ["a", "b"]
    assert console.file.getvalue() == ""


def test_the_bar_counts_when_the_total_is_not_known():
    console = terminal()
    list(with_progress(slow("ab", 0.3), console, None, delay=0.05))
    drawn = console.file.getvalue()
    assert "checking 1 checked · " in drawn and " left" not in drawn


def test_the_numbers_on_the_bar():
    assert progress.clock(None) == "–" and progress.clock(75.2) == "1:15"
    assert progress.clock(3725) == "1:02:05"
    assert progress.rate(3, 12.0) == "4.0 s/formula"
    assert progress.rate(30, 2.0) == "15.0 formulas/s"
    assert progress.rate(0, 2.0) == "– formulas/s"
    # 2 of 10 done by 4 s (2 s each): at 5 s, the third has 1 s to go, then 7 more
    assert progress.time_left(2, 10, 5.0, 4.0) == pytest.approx(15.0)
    # the third runs long: at 12 s the estimate grows, as if it were just ending
    assert progress.time_left(2, 10, 12.0, 4.0) == pytest.approx(12.0 / 3 * 7)
    assert progress.time_left(0, 10, 5.0, 0.0) is None
    assert progress.time_left(3, None, 5.0, 4.0) is None
    assert progress.time_left(10, 10, 5.0, 5.0) == 0.0


def test_the_total_of_notes_files_is_counted_before_they_are_checked(tmp_path):
    from shapecheck.notes import Setting

    notes = tmp_path / "notes.md"
    notes.write_text("```shapecheck\ndZ2 = A2 - Y\ndW2 = dZ2 @ A1.T\n```\n", encoding="utf-8")
    assert progress.results_in([str(notes), str(tmp_path / "missing.md")], Setting()) == 3


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
    assert "checking" in err and "/2" in err and "formulas/s" in err


def test_the_command_shows_no_bar_with_json(cli, monkeypatch):
    result, out, err = _cli_on_a_terminal(cli, monkeypatch, "dZ2 = A2 - Y", "--json",
                                          *size_args(COURSE))
    assert result.exit_code == 0
    assert "checking" not in err + out + result.stdout
