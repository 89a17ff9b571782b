"""A progress bar for long checks: on a terminal, it appears once a check has run for about
a second (a quick check shows none) and is erased before the report is printed. It names
how many formulas are checked (of how many), how fast, and the time left; it is redrawn
several times a second, so that it goes on moving while one slow formula is checked."""
from __future__ import annotations

import threading
import time
from typing import Iterable, Iterator, TypeVar

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.text import Text

DELAY_SECONDS = 1.0
REDRAWS_PER_SECOND = 4
Item = TypeVar("Item")


def clock(seconds: float | None) -> str:
    """`75.2` → '1:15', `3725` → '1:02:05'; None → '–' (not known yet)."""
    if seconds is None:
        return "–"
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def rate(done: int, elapsed: float | None) -> str:
    """`3` in `12.0` s → '4.0 s/formula'; `30` in `2.0` s → '15.0 formulas/s'."""
    if not done or not elapsed:
        return "– formulas/s"
    per_second = done / elapsed
    return f"{per_second:.1f} formulas/s" if per_second >= 1 else f"{1 / per_second:.1f} s/formula"


def time_left(done: int, total: float | None, elapsed: float, last: float) -> float | None:
    """Seconds left, when `done` of `total` were done by `last` and it is `elapsed` now: each
    formula left takes the mean so far, the one under way less what it has run already;
    once it runs past the mean, the estimate grows with it, as if it were just ending."""
    if total is None or not done:
        return None
    left = max(total - done, 0)
    if not left:
        return 0.0
    mean = last / done
    running = elapsed - last
    return max(mean * left - running, elapsed / (done + 1) * (left - 1))


def counts(done: int, total: int | None, elapsed: float, last: float) -> str:
    """`3/12 · 4.0 s/formula · 0:36 left · 0:12 elapsed` (`3 checked · ...` without a total)."""
    parts = [f"{done}/{total}" if total is not None else f"{done} checked", rate(done, elapsed)]
    if total is not None:
        parts.append(f"{clock(time_left(done, total, elapsed, last))} left")
    return " · ".join(parts + [f"{clock(elapsed)} elapsed"])


class _Counts(ProgressColumn):
    """The counts, read anew at every redraw."""

    def render(self, task: Task) -> Text:
        total = None if task.total is None else int(task.total)
        return Text(counts(int(task.completed), total, task.elapsed or 0.0, task.fields["last"]),
                    style="progress.remaining")


class _PlainLine:
    """The bar where colour is off (NO_COLOR, no colour system): one line of text redrawn
    after a carriage return, no escape codes at all; blanked out at the end."""
    SPINNER = "|/-\\"

    def __init__(self, console: Console, total: int | None):
        self.file, self.total, self.width = console.file, total, console.width - 1
        self.done, self.last, self.started, self.drawn = 0, 0.0, time.monotonic(), 0
        self.stopping, self.thread = threading.Event(), None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._redraw, daemon=True)
        self.thread.start()

    def advance(self) -> None:
        self.done, self.last = self.done + 1, time.monotonic() - self.started

    def _redraw(self) -> None:
        turn = 0
        while True:
            elapsed = time.monotonic() - self.started
            # cut to the width: a line the terminal folds is not overwritten by `\r`
            line = (f"{self.SPINNER[turn % 4]} checking "
                    f"{counts(self.done, self.total, elapsed, self.last)}")[:self.width]
            self.file.write("\r" + line.ljust(self.drawn))
            self.file.flush()
            self.drawn, turn = max(self.drawn, len(line)), turn + 1
            if self.stopping.wait(1 / REDRAWS_PER_SECOND):
                return

    def stop(self) -> None:
        self.stopping.set()
        if self.thread:
            self.thread.join()
            self.file.write("\r" + " " * self.drawn + "\r")
            self.file.flush()


def results_in(paths: Iterable[str], defaults) -> int:
    """How many results the notes files at `paths` give, for the bar's total: a result for
    each formula and each faulty directive, one for a file that cannot be read."""
    from .errors import ShapecheckError
    from .notes import NoteError, NoteFormula, read_notes

    count = 0
    for path in paths:
        try:
            items = read_notes(path, defaults)
            count += sum(isinstance(item, (NoteError, NoteFormula)) for item in items)
        except ShapecheckError:  # unreadable: one error
            count += 1
    return count


def with_progress(items: Iterable[Item], console: Console, total: int | None,
                  delay: float | None = None) -> Iterator[Item]:
    """`items`, passed through as they come; if they take longer than `delay` seconds, a bar
    of how many have come (of `total`, when it is known) appears on `console`, which must
    be a terminal. `for r in with_progress(session.formulas(texts), err, len(texts))`."""
    if not console.is_terminal:
        yield from items
        return
    if console.color_system is None:
        progress = _PlainLine(console, total)
        advance = progress.advance
    else:
        progress = Progress(SpinnerColumn(), TextColumn("checking"), BarColumn(bar_width=12),
                            _Counts(), console=console, transient=True, auto_refresh=True,
                            refresh_per_second=REDRAWS_PER_SECOND)
        task = progress.add_task("checking", total=total, last=0.0)
        started = time.monotonic()

        def advance():
            progress.update(task, advance=1, last=time.monotonic() - started)
    # started from a timer, so that a check that ends within the delay draws nothing at all
    timer = threading.Timer(DELAY_SECONDS if delay is None else delay, progress.start)
    timer.daemon = True
    timer.start()
    try:
        for item in items:
            advance()
            yield item
    finally:
        timer.cancel()
        timer.join()  # a start already under way ends before the bar is stopped
        progress.stop()
