"""Hypothesis profiles for the generated-input tests (imported by them, not a conftest).

* `ci` (the default): a bounded number of examples per test, the same examples on every
  run (`derandomize`), no example database written to disk. Time is measured by `timed`
  below, not by hypothesis's deadline: a run slower than a limit that only a real
  slowdown reaches on two busy cores (5 s) fails, and a hang is interrupted; the SPEC's
  second is a figure (runs over a second, the slowest), not a flaky assertion.
* `long`: at least 100,000 examples per test, random, for a run by hand:

      HYPOTHESIS_PROFILE=long nice .venv/bin/python -m pytest -q -s -p no:cacheprovider \\
          tests/test_properties.py

  `-s` shows the figures each test prints when it ends (examples, time, slowest);
  `HYPOTHESIS_EXAMPLES=2000` makes it a shorter random run.
"""
from __future__ import annotations

import os
import signal
import sys
import time

from hypothesis import HealthCheck, Phase, settings

CI_EXAMPLES = 60  # a test's own count, `examples(n)`, wins over this default
LONG_EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", 100_000))  # fewer for a try-out

# no `explain` phase: it traces every line run, which slows a run ten times and would
# make the time measured of a failing example meaningless
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
settings.register_profile(
    "ci", max_examples=CI_EXAMPLES, derandomize=True, database=None, deadline=None,
    print_blob=True, phases=PHASES, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "long", max_examples=LONG_EXAMPLES, database=None, deadline=None, print_blob=True,
    phases=PHASES, suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
LONG = PROFILE == "long"


def examples(ci: int) -> int:
    """A test's number of examples: `ci` in CI (cheap tests run more), LONG_EXAMPLES in the
    long run: `@settings(max_examples=examples(300))`."""
    return LONG_EXAMPLES if LONG else ci


# an example slower than this (wall clock, on a second try too) fails the test: generous,
# as two busy cores run the whole suite; runs over ONE_SECOND are counted and shown
SLOWEST_ALLOWED = 5.0
ONE_SECOND = 1.0
HANG_SECONDS = 60  # a run still going after this is a hang: interrupted, and the test fails


class Hang(BaseException):  # not an Exception: no `except Exception` may swallow it
    pass


def _interrupt(signum, frame):
    raise Hang(f"still running after {HANG_SECONDS} s")


class Figures:
    """Examples run, total and slowest time of one generated-input test, printed at its end."""

    def __init__(self, name: str):
        self.name = name
        self.count = 0
        self.total = 0.0
        self.slowest = (0.0, "")
        self.over_a_second = 0
        self.verdicts: dict[str, int] = {}

    def add(self, seconds: float, verdict: str, what: str) -> None:
        self.count += 1
        self.total += seconds
        self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
        self.over_a_second += seconds > ONE_SECOND
        if seconds > self.slowest[0]:
            self.slowest = (seconds, what)

    def line(self) -> str:
        mean = self.total / self.count if self.count else 0.0
        verdicts = ", ".join(f"{v} {n}" for v, n in sorted(self.verdicts.items()))
        return (f"{self.name}: {self.count} runs in {self.total:.1f} s (mean {mean * 1000:.1f} ms, "
                f"{self.over_a_second} over a second, slowest {self.slowest[0]:.3f} s: "
                f"{self.slowest[1]!r}); {verdicts}")


def timed(run, figures: Figures, what: str):
    """`run()`'s result, timed; a run slower than a second is tried once more (a busy
    machine is not a slow check), and fails if it is slower than SLOWEST_ALLOWED again."""
    try:
        seconds, result = _once(run)
        if seconds > ONE_SECOND:
            again, result = _once(run)
            seconds = min(seconds, again)
    except Hang as e:  # a failure of this input, shown and shrunk as any other
        raise AssertionError(f"{what}: {e}") from None
    if seconds > ONE_SECOND:  # said at once, so that a long run shows it early
        print(f"\nslow: {seconds:.2f} s: {what!r}", file=sys.stderr)
    verdict = getattr(result, "verdict", None) or str(getattr(result, "exit_code", "?"))
    figures.add(seconds, verdict, what)
    assert seconds <= SLOWEST_ALLOWED, f"{what} took {seconds:.2f} s (twice)"
    return result


def _once(run):
    previous = signal.signal(signal.SIGALRM, _interrupt)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        start = time.perf_counter()
        result = run()
        return time.perf_counter() - start, result
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
