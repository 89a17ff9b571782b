"""The terminal (issue 17, item 6), tried for real: the command runs in a pseudo-terminal
of 80 columns (its window size set as a terminal sets it), and what the screen shows is
read back from what it wrote, escape codes, carriage returns and erased lines included.

Output fits the width, wrapped at spaces with the continuation under the message column;
carets stay under the operator they mark; NO_COLOR is plain text with no escape code at
all; `--svg` pictures are at most 100 columns wide with no underline; the progress bar
names the count, the rate and the time left, and moves on while one slow item runs.
"""
from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.cells import cell_len

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")

ROOT = Path(__file__).resolve().parent.parent
SIZES = ["--n0", "3", "--n1", "4", "--m", "5"]
# the message of a formula right for g1 = tanh only (SPEC: open activations), over 200 columns
OPEN = ["dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)", *SIZES, "--n2", "2"]
# a formula wider than the terminal, its failing product near the end
LONG = "dZ1 = W2.T @ dZ2 * g1'(Z1) + W2.T @ dZ2 * g1'(Z1) + W2.T @ dZ2 * g1'(Z1) + dZ2 @ W2.T"
POSTER = "dZ1 = dZ2 @ W2.T * g1'(Z1)"
STYLE = re.compile(r"\x1b\[[0-9;]*m")
ESCAPE = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
RUN = [sys.executable, "-c", "from shapecheck.cli import main; main()"]


def environment(**extra: str) -> dict[str, str]:
    """The test's environment without what decides colour or width, and a colour terminal."""
    drop = {"NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
            "CLICOLOR_FORCE", "PY_COLORS", "JUPYTER_COLUMNS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, "TERM": "xterm-256color", **extra}


def on_a_terminal(argv: list[str], columns: int = 80, cwd: Path = ROOT,
                  **env: str) -> tuple[int, str]:
    """`argv` run with stdin, stdout and stderr on a pseudo-terminal `columns` wide: its
    exit status and all it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                               env=environment(**env), close_fds=True)
    os.close(slave)
    written, deadline = b"", time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # Linux: the other end is closed
                    break
                if not chunk:
                    break
                written += chunk
            elif process.poll() is not None:
                break
    finally:
        os.close(master)
    return process.wait(timeout=10), written.decode("utf-8")


def shapecheck(*args: str, columns: int = 80, **env: str) -> tuple[int, str]:
    return on_a_terminal([*RUN, *args], columns, **env)


def screen(written: str) -> list[str]:
    """The lines a terminal shows for `written`: a carriage return goes back to the start
    of the line, cursor-up and erase-line codes are obeyed, other codes draw nothing."""
    rows: list[list[str]] = [[]]
    row = column = 0
    for match in re.finditer(ESCAPE.pattern + r"|\r|\n|[^\x1b\r\n]", written):
        token = match.group(0)
        if token == "\n":
            row, column = row + 1, 0
            rows += [[] for _ in range(row + 1 - len(rows))]
        elif token == "\r":
            column = 0
        elif token.startswith("\x1b"):
            if match.group(2) == "A":
                row = max(0, row - int(match.group(1) or 1))
            elif match.group(2) == "K":
                rows[row] = [] if match.group(1) == "2" else rows[row][:column]
        else:
            rows[row] += [" "] * (column + 1 - len(rows[row]))
            rows[row][column] = token
            column += 1
    return ["".join(r).rstrip() for r in rows]


def words(text: str) -> list[str]:
    return text.split()


def wide_report(*args: str) -> str:
    """The report with no terminal and room for any line: no line is wrapped."""
    done = subprocess.run([*RUN, *args], cwd=ROOT, capture_output=True, text=True,
                          env=environment(NO_COLOR="1", COLUMNS="1000"))
    return done.stdout + done.stderr


def test_a_long_message_wraps_at_spaces_under_its_column():
    status, written = shapecheck(*OPEN)
    assert status == 1
    lines = screen(written)
    assert max(cell_len(line) for line in lines) <= 80, lines
    assert all(cell_len(line) <= 80 for line in lines)
    # every word whole and in its order: the same words as the unwrapped report
    assert words("\n".join(lines)) == words(wide_report(*OPEN))
    start = next(i for i, line in enumerate(lines) if "the values differ" in line)
    end = next(i for i, line in enumerate(lines) if "derived:" in line)
    message = lines[start:end]
    assert len(message) >= 3  # over 200 columns: wrapped
    assert all(line.startswith(" " * 9) and line[9] != " " for line in message)
    assert "It holds for g1 = tanh but not for g1 = sigmoid: g1 is open" in \
        " ".join(line.strip() for line in message)


def test_a_formula_wider_than_the_terminal_is_cropped_around_its_carets():
    status, written = shapecheck(LONG, *SIZES, "--no-values")
    assert status == 1
    lines = screen(written)
    assert all(cell_len(line) <= 80 for line in lines), lines
    head = next(i for i, line in enumerate(lines) if line.startswith("✗ shape  "))
    formula, marks = lines[head], lines[head + 1]
    assert formula.startswith("✗ shape  …") and formula.endswith("dZ2 @ W2.T")
    assert formula.removeprefix("✗ shape  …") in LONG  # cut, not changed
    assert [formula[m.start():m.end()] for m in re.finditer(r"\^+", marks)] == ["@"]
    assert [formula[m.start():m.end()] for m in re.finditer(r"~+", marks)] == ["dZ2", "W2.T"]
    # the operands' shapes below, under their operands, moved left as far as the edge needs
    label = lines[head + 2]
    assert label.endswith("dZ2 is (n2, m)") and len(label) <= 80
    assert label.index("dZ2 is") == min(formula.rindex("dZ2"), 80 - len("dZ2 is (n2, m)"))


def test_a_repair_wider_than_the_terminal_keeps_its_carets_under_its_edits():
    """At 40 columns the repaired formula is wrapped with its carets, each piece above its
    own: the marked text is the swapped operands."""
    status, written = shapecheck(POSTER, *SIZES, columns=40, NO_COLOR="1")
    assert status == 1
    lines = screen(written)
    assert all(cell_len(line) <= 40 for line in lines), lines
    marked = []
    for above, line in zip(lines, lines[1:]):
        if "did you mean" in "".join(lines[:lines.index(above) + 1]) and set(line) <= {" ", "^"} \
                and "^" in line:
            marked += [above[m.start():m.end()] for m in re.finditer(r"\^+", line)]
    assert marked == ["W2.T", "dZ2"]
    at = next(i for i, line in enumerate(lines) if "did you mean:" in line)
    repaired = " ".join(line.strip() for line in lines[at:] if "^" not in line)
    assert "did you mean: dZ1 = W2.T @ dZ2 * g1'(Z1)" in repaired


@pytest.mark.parametrize("args", [OPEN, [LONG, *SIZES, "--no-values"], [POSTER, *SIZES]])
def test_no_color_is_plain_text_on_a_terminal(args):
    status, written = shapecheck(*args, NO_COLOR="1")
    assert status == 1
    assert "\x1b" not in written
    status, coloured = shapecheck(*args)  # the same on the same terminal, colour allowed
    assert STYLE.search(coloured), "no style at all: this test could not fail"
    assert screen(coloured) == screen(written)


def underlined(written: str) -> bool:
    """Whether an SGR code turns underline on (`4`, past any `38;5;N`-style colour)."""
    for match in STYLE.finditer(written):
        params = match.group(0)[2:-1].split(";")
        while params:
            param = params.pop(0)
            if param in ("38", "48"):  # a colour: 5;N or 2;R;G;B follow
                del params[:2 if params[:1] == ["5"] else 4]
            elif param == "4":
                return True
    return False


def test_no_underline_on_a_colour_terminal():
    """The carets mark operands and edits; an underline would run on under the spaces."""
    status, written = shapecheck(POSTER, *SIZES)
    assert STYLE.search(written) and not underlined(written)
    assert underlined("\x1b[1;4;33mW2.T\x1b[0m") and not underlined("\x1b[38;5;4mW\x1b[0m")


def test_no_color_set_empty_is_not_set():
    """no-color.org: only a non-empty NO_COLOR turns colour off."""
    assert STYLE.search(shapecheck(POSTER, *SIZES, NO_COLOR="")[1])


def test_no_color_holds_when_colour_is_forced():
    """FORCE_COLOR makes rich treat a pipe as a terminal; NO_COLOR still wins over it."""
    forced = subprocess.run([*RUN, POSTER, *SIZES], cwd=ROOT, capture_output=True, text=True,
                            env=environment(FORCE_COLOR="1"))
    assert STYLE.search(forced.stdout)
    both = subprocess.run([*RUN, POSTER, *SIZES], cwd=ROOT, capture_output=True, text=True,
                          env=environment(FORCE_COLOR="1", NO_COLOR="1"))
    assert "\x1b" not in both.stdout + both.stderr and "did you mean" in both.stdout


def svg_columns(path: Path) -> tuple[int, int]:
    """(columns rich laid the picture out for, columns the widest line of text reaches)."""
    root = ET.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    runs = [e for e in root.iter(f"{ns}text") if e.get("textLength")]
    char = float(runs[0].get("textLength")) / len(runs[0].text)
    clip = next(c for c in root.iter(f"{ns}clipPath") if c.get("id").endswith("clip-terminal"))
    laid_out = round((float(clip.find(f"{ns}rect").get("width")) + 1) / char)
    reached = max(round((float(r.get("x")) + float(r.get("textLength"))) / char) for r in runs
                  if r.text.strip("\xa0 \n"))
    return laid_out, reached


def test_an_svg_picture_is_at_most_100_columns_and_has_no_underline(tmp_path):
    picture = tmp_path / "report.svg"
    status, _ = shapecheck(*OPEN, LONG, "--svg", str(picture), columns=200)
    assert status == 1
    laid_out, reached = svg_columns(picture)
    assert laid_out <= 100 and reached <= laid_out
    assert reached > 80  # the picture used its room: its lines are longer than the terminal's
    content = picture.read_text(encoding="utf-8")
    assert "underline" not in content
    assert "It holds for g1 = tanh" in content.replace("&#160;", " ")


SLOW_ITEMS = """
import sys, time
from shapecheck import report
from shapecheck.progress import with_progress

def slow():
    for seconds in (0.3, 0.3, 1.5, 0.3):
        time.sleep(seconds)
        yield seconds

err = report.make_console(file=sys.stderr)
for _ in with_progress(slow(), err, 4, delay=0.0):
    pass
print("done")
"""


@pytest.mark.parametrize("no_color", ["", "1"])
def test_the_bar_names_count_rate_and_time_left_and_moves_on_a_slow_item(no_color):
    status, written = on_a_terminal([sys.executable, "-c", SLOW_ITEMS], NO_COLOR=no_color)
    assert status == 0
    assert ("\x1b" in written) == (not no_color)
    frames = [ESCAPE.sub("", f) for f in written.split("\r")]
    frames = [f for f in frames if "checking" in f]
    assert any(re.search(r"checking .*2/4 · \d+\.\d (formulas/s|s/formula) · \d+:\d\d left · "
                         r"\d+:\d\d elapsed", f) for f in frames), frames
    # the third item runs 1.5 s: the bar is redrawn meanwhile, the time going on
    during = {re.search(r"\d+:\d\d elapsed", f).group(0) for f in frames if "2/4" in f}
    assert len([f for f in frames if "2/4" in f]) >= 3 and len(during) >= 2, frames
    assert screen(written)[-2:] == ["done", ""] or screen(written)[-1] == "done"


def test_the_command_shows_the_bar_on_a_terminal(tmp_path):
    """The real command: its bar (shown at once here) counts the formulas of a notes file."""
    notes = tmp_path / "notes.md"
    notes.write_text("```shapecheck\ndZ2 = A2 - Y\ndW2 = 1/m * dZ2 @ A1.T\n```\n",
                     encoding="utf-8")
    run = [sys.executable, "-c", "import shapecheck.progress as p; p.DELAY_SECONDS = 0; "
                                 "from shapecheck.cli import main; main()"]
    status, written = on_a_terminal([*run, str(notes), *SIZES], NO_COLOR="1")
    assert status == 0
    assert "\x1b" not in written
    assert re.search(r"checking [0-2]/2 · ", written)
    shown = [line for line in screen(written) if line]
    assert shown[-1] == "2 formulas in 1 file: 2 pass"
    assert not any("checking" in line for line in shown)  # blanked before the report


def test_notes_files_with_long_locations_fit_too():
    """A `file:line:col:` before each result leaves 40 columns: still nothing wider than
    80, a formula wider than its room cropped with its carets, a long operand's shape
    label cut short."""
    notes = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples" / "notes").iterdir())
    status, written = shapecheck(*notes, NO_COLOR="1")
    assert status == 1
    lines = screen(written)
    assert all(cell_len(line) <= 80 for line in lines), [l for l in lines if cell_len(l) > 80]
    assert re.match(rf"\d+ formulas in {len(notes)} files: ", [l for l in lines if l][-1])
    cropped = [i for i, line in enumerate(lines) if "✗ shape  …" in line]
    assert cropped
    for i in cropped:
        formula, marks = lines[i], lines[i + 1]
        assert set(marks.strip()) <= {"~", "^"} and formula[marks.index("~")] != " "


def test_an_error_of_the_command_line_wraps_under_its_message():
    status, written = shapecheck("dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--nl", "4", "--m", "5")
    assert status == 2
    lines = [line for line in screen(written) if line]
    assert lines[0].startswith("shapecheck: error: --nl 4: ") and len(lines) >= 2
    assert all(cell_len(line) <= 80 for line in lines)
    assert all(line.startswith(" " * 19) and line[19] != " " for line in lines[1:])
    assert " ".join(line.strip() for line in lines).endswith("did you mean --n1?")
