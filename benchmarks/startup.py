"""Start-up: the README's first command against importing its libraries (issue 21, item 1).

    python benchmarks/startup.py [--runs 31] [--cmd shapecheck]

Runs `python -c "import numpy, rich, click, lark"` (with the interpreter of `--cmd`'s
script, so both start alike) and `shapecheck "dZ1 = W2.T @ dZ2 * g1'(Z1)" --n0 3 --n1 4
--m 5` alternately, so that load on the machine hits both alike, and prints the medians
of their wall time and of their CPU time (user + system, which other processes on a busy
machine disturb less) and each as a ratio to the import line: a figure that carries over
between machines. The bar is 1.35 x. The load average before and after is printed beside:
with a load above the number of cores the wall times wander, the CPU-time ratio less.
Not a test: tests/test_startup.py guards which modules a start-up loads.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# the command runs BLAS on one thread (shapecheck/__main__.py); the import line as the issue
# states it starts numpy's default threads, whose start-up cost varies between machines and
# loads, so the same line on one thread (large_sizes' environment) is measured beside it:
# the like-for-like figure (this folder is on the script's path)
from large_sizes import ONE_THREAD

ONE = ["dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--n1", "4", "--m", "5"]
IMPORTS = "import numpy, rich, click, lark"
BAR = 1.35


def run(argv: list[str], cwd: str, env: dict | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one command, in seconds (`env`: the whole
    environment, else this one's)."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)}: exit status {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime


def interpreter_of(script: str) -> str:
    """The Python a console script runs with (its `#!` line), else this one."""
    try:
        with open(script, encoding="utf-8") as f:
            first = f.readline()
    except (OSError, UnicodeDecodeError):
        return sys.executable
    return first[2:].strip() if first.startswith("#!") and "python" in first else sys.executable


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=31)
    ap.add_argument("--cmd", default=shutil.which("shapecheck") or "shapecheck")
    args = ap.parse_args()
    commands = {"import line": ([interpreter_of(args.cmd), "-c", IMPORTS], None),
                "  one thread": ([interpreter_of(args.cmd), "-c", IMPORTS], ONE_THREAD),
                "one formula": ([args.cmd, *ONE], None)}
    cores = os.cpu_count()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as away:  # not the checkout: `-c` would import from it
        for argv, env in commands.values():  # warm the file cache
            run(argv, away, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (argv, env) in commands.items():
                times[name].append(run(argv, away, env))
    print(f"{' '.join(ONE)!s} against {IMPORTS!r}: medians of {args.runs} alternate runs; "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, "
          f"on {cores} cores")
    base_wall = statistics.median(w for w, _ in times["import line"])
    base_cpu = statistics.median(c for _, c in times["import line"])
    for name, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(f"   {name:12s} wall {wall * 1000:6.0f} ms  {wall / base_wall:5.2f} x   "
              f"cpu {cpu * 1000:6.0f} ms  {cpu / base_cpu:5.2f} x")
    one_thread = statistics.median(w for w, _ in times["  one thread"])
    formula = statistics.median(w for w, _ in times["one formula"])
    print(f"   one formula against the import line on one BLAS thread: "
          f"{formula / one_thread:.2f} x wall")
    print(f"   bar: {BAR:.2f} x")


if __name__ == "__main__":
    main()
