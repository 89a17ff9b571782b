"""A progress bar for long checks: on a terminal, it appears once a check has run for about
a second (a quick check shows none) and is erased before the report is printed."""
from __future__ import annotations

import threading
from typing import Iterable, Iterator, TypeVar

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn)

DELAY_SECONDS = 1.0
Item = TypeVar("Item")


def with_progress(items: Iterable[Item], console: Console, total: int | None,
                  delay: float | None = None) -> Iterator[Item]:
    """`items`, passed through as they come; if they take longer than `delay` seconds, a bar
    of how many have come (of `total`, when it is known) appears on `console`, which must
    be a terminal. `for r in with_progress(session.formulas(texts), err, len(texts))`."""
    if not console.is_terminal:
        yield from items
        return
    progress = Progress(SpinnerColumn(), TextColumn("checking"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                        transient=True)
    task = progress.add_task("checking", total=total)
    # started from a timer, so that a check that ends within the delay draws nothing at all
    timer = threading.Timer(DELAY_SECONDS if delay is None else delay, progress.start)
    timer.daemon = True
    timer.start()
    try:
        for item in items:
            progress.advance(task)
            yield item
    finally:
        timer.cancel()
        timer.join()  # a start already under way ends before the bar is stopped
        progress.stop()
