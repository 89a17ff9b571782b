"""How long the installed `shapecheck` takes on a notes file of 300 formulas.

    .venv/bin/python benchmarks/notes_benchmark.py            # 300 formulas, 9 runs
    .venv/bin/python benchmarks/notes_benchmark.py --formulas 600 --runs 9 --keep

It writes a Markdown file of course formulas, right and wrong, in `shapecheck` blocks
with different sizes (two- and three-layer networks, whole batches and single examples),
runs the command on it several times in one process each (as a user or pre-commit does),
checks that the verdicts are the expected ones, and prints the median wall time, the time
per formula, and the start-up time of `shapecheck --help` and of one formula next to
that of importing its libraries. Not a test: the figures depend on the machine.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# (formula, verdict) for a two-layer network, examples in columns
TWO_LAYERS = [
    ("dZ2 = A2 - Y", "pass"),
    ("dW2 = 1/m * dZ2 @ A1.T", "pass"),
    ("db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "pass"),
    ("dZ1 = W2.T @ dZ2 * g1'(Z1)", "pass"),
    ("dW1 = 1/m * dZ1 @ X.T", "pass"),
    ("db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)", "pass"),
    ("dW1 = 1/m * np.dot(dZ1, X.T)", "pass"),
    ("dA1 = W2.T @ dZ2", "pass"),
    ("dZ1 = dZ2 @ W2.T * g1'(Z1)", "shape"),            # operands swapped
    ("db1 = 1/m * np.sum(dZ1, axis=0, keepdims=True)", "shape"),  # wrong axis
    ("dW2 = dZ2 @ A1.T", "value"),                      # 1/m forgotten
    ("dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)", "value"),      # tanh only
]
THREE_LAYERS = [
    ("dZ3 = A3 - Y", "pass"),
    ("dW3 = 1/m * dZ3 @ A2.T", "pass"),
    ("dZ2 = W3.T @ dZ3 * g2'(Z2)", "pass"),
    ("dW2 = 1/m * dZ2 @ A1.T", "pass"),
    ("db3 = 1/m * np.sum(dZ3, axis=1, keepdims=True)", "pass"),
    ("dW3 = 1/m * A2 @ dZ3.T", "shape"),
    ("dW2 = 1/m * dZ2 @ A1", "shape"),
    ("dZ2 = W3.T @ dZ3 * A2 * (1 - A2)", "value"),      # sigmoid only
]
ONE_EXAMPLE = [
    ("dz2 = a2 - y", "pass"),
    ("dW2 = dz2 @ a1.T", "pass"),
    ("dz1 = W2.T @ dz2 * g1'(z1)", "pass"),
    ("dW1 = dz1 @ x.T", "pass"),
    ("dW1 = x @ dz1.T", "shape"),
]
# (sizes, formulas) of the blocks, used in turn
BLOCKS = [
    ("n0=3 n1=4 n2=2 m=5", TWO_LAYERS),
    ("n0=4 n1=6 n2=3 m=8", TWO_LAYERS),
    ("n0=2 n1=5 n2=3 n3=4 m=6", THREE_LAYERS),
    ("n0=3 n1=4 n2=2", ONE_EXAMPLE),
    ("n0=5 n1=7 n2=2 m=3", TWO_LAYERS),
    ("n0=3 n1=4 n2=5 n3=2 m=7", THREE_LAYERS),
]


def notes(count: int) -> tuple[str, Counter]:
    """A Markdown file of `count` formulas, and the verdicts expected for them."""
    parts, expected, n, block = ["# Generated notes for the benchmark\n"], Counter(), 0, 0
    while n < count:
        sizes, pool = BLOCKS[block % len(BLOCKS)]
        take = min(25, count - n)
        lines = [pool[(block + i) % len(pool)] for i in range(take)]
        parts.append(f"\n## Block {block + 1}\n\n```shapecheck\nsizes: {sizes}\n")
        parts += [f"{formula}\n" for formula, _ in lines]
        parts.append("```\n")
        expected.update(verdict for _, verdict in lines)
        n, block = n + take, block + 1
    return "".join(parts), expected


def timed(commands: dict[str, tuple[list[str], int | None]], runs: int) -> dict[str, list[float]]:
    """Wall times of each command, `runs` rounds taking each command in turn (so that a
    busy machine slows all of them alike); exits if a command's status is unexpected."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (args, expect) in commands.items():
            start = time.perf_counter()
            done = subprocess.run(args, capture_output=True, text=True)
            times[name].append(time.perf_counter() - start)
            if expect is not None and done.returncode != expect:
                sys.exit(f"{name}: exit status {done.returncode}, expected {expect}\n"
                         f"{done.stderr[-2000:]}")
    return times


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--formulas", type=int, default=300)
    options.add_argument("--runs", type=int, default=9)
    options.add_argument("--keep", action="store_true", help="keep and name the notes file")
    args = options.parse_args()

    command = Path(sys.executable).with_name("shapecheck")
    command = str(command) if command.exists() else shutil.which("shapecheck")
    if not command:
        sys.exit("the shapecheck command is not installed next to this Python or on PATH")

    text, expected = notes(args.formulas)
    directory = Path(tempfile.mkdtemp(prefix="shapecheck-benchmark-"))
    path = directory / "notes.md"
    path.write_text(text, encoding="utf-8")
    one_file = directory / "one.md"
    one_file.write_text("```shapecheck\ndZ2 = A2 - Y\n```\n", encoding="utf-8")
    commands = {
        f"shapecheck notes.md ({args.formulas} formulas)": ([command, str(path)], 1),
        "shapecheck one.md (1 formula)": ([command, str(one_file)], 0),
        "shapecheck \"dZ2 = A2 - Y\" (1 formula)": ([command, "dZ2 = A2 - Y"], 0),
        "shapecheck --help": ([command, "--help"], 0),
        "python -c \"import numpy, rich, click, lark\"":
            ([sys.executable, "-c", "import numpy, rich, click, lark"], 0),
    }
    try:
        done = subprocess.run([command, str(path)], capture_output=True, text=True)  # warm up
        summary = done.stdout.strip().splitlines()[-1]
        want = ", ".join(f"{expected[v]} {v}" for v in ("pass", "shape", "value") if expected[v])
        if summary != f"{args.formulas} formulas in 1 file: {want}":
            sys.exit(f"unexpected summary: {summary!r} (expected {want})")
        times = timed(commands, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(directory)

    median = {name: statistics.median(t) for name, t in times.items()}
    wall, one = median[next(iter(commands))], median["shapecheck one.md (1 formula)"]
    print(f"notes file: {args.formulas} formulas in {text.count('```shapecheck')} blocks with "
          f"{len({s for s, _ in BLOCKS})} settings" + (f" ({path})" if args.keep else ""))
    print(f"  {summary}")
    print(f"wall time, median (min) of {args.runs} runs, Python {sys.version.split()[0]}:")
    for name, t in times.items():
        print(f"  {name:46} {statistics.median(t):6.3f} s ({min(t):.3f} s)")
    print(f"per formula: {wall / args.formulas * 1000:.2f} ms with the start-up shared out, "
          f"{(wall - one) / (args.formulas - 1) * 1000:.2f} ms beyond the start-up "
          f"(notes.md minus one.md, over {args.formulas - 1} formulas)")


if __name__ == "__main__":
    main()
