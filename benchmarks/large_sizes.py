"""Value checks at real sizes: figures, not a timed test.

    python benchmarks/large_sizes.py [--runs 5] [--cmd shapecheck] [--gradcheck]

1. Start-up: one formula at course sizes (the README's first command), and the six course
   formulas at 784/128/10/64 in one call, and the same with a wrong one
   (`dW1 = dZ1 @ X.T`), against `python -c "import numpy, rich, click, lark"`, measured
   alternately; medians, printed as ratios to the import line (a figure that carries over
   between machines).
2. A sweep over sizes: the whole command's time, that time in plain numpy forward passes
   of the same network, the time over the same call at course sizes in forward passes
   (each run beside one at course sizes and a forward pass: the median of their ratios),
   and the process's peak memory.
3. Passes per formula at 2048/1024/10/256, in this process: the CPU time of each formula's
   check (one Checker for all, in order: work shared between formulas falls on the first
   that needs it), in plain numpy forward passes timed the same way, and the total.
4. With --gradcheck and torch importable: torch.autograd.gradcheck on the same network
   (fast_mode; full mode where it finishes in reasonable time), for comparison. torch is
   not a dependency: `pip install ".[bench]"` (on this project's machines,
   `pip install torch==2.13.0` takes the CPU build that lies on disk).

The bars: one formula at course sizes at most 1.35 x import; at 784/128/10/64 at most
3.5 x import; at 2048/1024/10/256 at most 40 (then 20) forward passes over the course
sizes, and under 500 MB.
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

import numpy as np

COURSE = ["dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T",
          "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "dZ1 = W2.T @ dZ2 * g1'(Z1)",
          "dW1 = 1/m * dZ1 @ X.T", "db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)"]
WRONG = "dW1 = dZ1 @ X.T"
# the README's first command, as a newcomer types it
ONE = ["dZ1 = W2.T @ dZ2 * g1'(Z1)", "--n0", "3", "--n1", "4", "--m", "5"]
SIZES = [(3, 4, 2, 5), (64, 32, 10, 16), (784, 128, 10, 64), (1024, 512, 10, 128),
         (2048, 1024, 10, 256)]


def run(argv: list[str], env: dict | None = None) -> tuple[float, int]:
    """Wall time (s) and exit status of one command."""
    start = time.perf_counter()
    status = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env).returncode
    return time.perf_counter() - start, status


def peak_megabytes(argv: list[str]) -> float | None:
    """The command's peak resident memory, measured by GNU time: a child's own rusage would
    count the memory of this process (torch and all) that it was forked from."""
    gnu_time = shutil.which("time")
    if gnu_time is None:
        return None
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run([gnu_time, "-f", "%M", "-o", out.name, *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(out.read().split()[-1]) / 1024


def size_args(sizes) -> list[str]:
    return [a for name, value in zip(("--n0", "--n1", "--n2", "--m"), sizes)
            for a in (name, str(value))]


def forward_pass_seconds(sizes, repeats: int = 20) -> float:
    """One plain numpy forward pass of the course network: the floor of any check."""
    n0, n1, n2, m = sizes
    rng = np.random.default_rng(0)  # weights scaled by 1/sqrt(fan-in), as shapecheck draws them
    X, b1, b2 = rng.standard_normal((n0, m)), rng.standard_normal((n1, 1)), rng.standard_normal((n2, 1))
    W1 = rng.standard_normal((n1, n0)) / np.sqrt(n0)
    W2 = rng.standard_normal((n2, n1)) / np.sqrt(n1)
    Y = rng.uniform(0.05, 0.95, size=(n2, m))

    def forward():
        A1 = np.tanh(W1 @ X + b1)
        A2 = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
        return -np.mean(np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2), axis=0))

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def forward_pass_cpu_seconds(sizes, repeats: int = 20) -> float:
    """forward_pass_seconds in CPU time: a ratio of CPU times holds on a loaded machine."""
    clock, time.perf_counter = time.perf_counter, time.process_time
    try:
        return forward_pass_seconds(sizes, repeats)
    finally:
        time.perf_counter = clock


def passes_per_formula(sizes) -> tuple[list[tuple[str, float, str]], float, float]:
    """Each formula's check (and its repair, if wrong) in CPU time, as (formula, passes,
    verdict), with the total in passes and the forward pass (s) they are counted in."""
    from shapecheck.result import Options
    from shapecheck.session import Checker
    checker = Checker(Options(sizes=dict(zip(("n0", "n1", "n2", "m"), sizes))))
    forward = forward_pass_cpu_seconds(sizes)
    rows = []
    for formula in COURSE + [WRONG]:
        start = time.process_time()
        verdict = checker.check(formula).verdict
        rows.append((formula, time.process_time() - start, verdict))
    forward = (forward + forward_pass_cpu_seconds(sizes)) / 2
    total = sum(seconds for _, seconds, _ in rows)
    return [(f, seconds / forward, v) for f, seconds, v in rows], total / forward, forward


def print_passes_per_formula(sizes) -> None:
    rows, total, forward = passes_per_formula(sizes)
    print(f"\n3. passes per formula at {'/'.join(map(str, sizes))} in one session, in CPU time "
          f"(a forward pass {forward * 1000:.1f} ms; one BLAS thread, as the command has; work "
          "shared between formulas falls on the first that needs it)")
    for formula, passes, verdict in rows:
        print(f"   {passes:5.1f}  {verdict:5s}  {formula}")
    print(f"   {total:5.1f}  total")


ONE_THREAD = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def forward_pass_one_thread_seconds(sizes, repeats: int = 5) -> float:
    """forward_pass_seconds with one BLAS thread (in a process of its own: BLAS reads its
    thread count when numpy loads), as the command runs: on a loaded machine, BLAS threads
    waiting for a core slow a plain forward pass many times over, a reference that moves."""
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
            f"from large_sizes import forward_pass_seconds; "
            f"print(forward_pass_seconds({tuple(sizes)!r}, {repeats}))")
    out = subprocess.run([sys.executable, "-c", code], env=ONE_THREAD, capture_output=True,
                         text=True, check=True).stdout
    return float(out)


def gradcheck_seconds(sizes, fast: bool) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    n0, n1, n2, m = sizes
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n0, m, generator=g, dtype=torch.float64)
    Y = torch.rand(n2, m, generator=g, dtype=torch.float64)
    scales = (n0 ** -0.5, 1.0, n1 ** -0.5, 1.0)  # as shapecheck draws them: no saturation
    params = [(torch.randn(*s, generator=g, dtype=torch.float64) * c).requires_grad_()
              for s, c in zip(((n1, n0), (n1, 1), (n2, n1), (n2, 1)), scales)]

    def cost(W1, b1, W2, b2):
        A2 = torch.sigmoid(W2 @ torch.tanh(W1 @ X + b1) + b2)
        return -(Y * torch.log(A2) + (1 - Y) * torch.log(1 - A2)).sum() / m

    start = time.perf_counter()
    torch.autograd.gradcheck(cost, params, fast_mode=fast)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cmd", default=shutil.which("shapecheck") or "shapecheck")
    ap.add_argument("--gradcheck", action="store_true", help="also time torch's gradcheck")
    ap.add_argument("--full-gradcheck-max", type=int, default=110_000,
                    help="largest parameter count for gradcheck's full mode (784/128/10/64 "
                         "has 101,770 and takes about a minute; it grows with the square)")
    ap.add_argument("--per-formula", action="store_true", help="only part 3")
    args = ap.parse_args()
    if args.per_formula:
        print_passes_per_formula(SIZES[-1])
        return

    imports = [sys.executable, "-c", "import numpy, rich, click, lark"]
    mnist = (784, 128, 10, 64)
    print(f"1. the README's first command ({' '.join(ONE)}); the six course formulas at "
          f"{'/'.join(map(str, mnist))} in one call, and with the "
          f"wrong {WRONG!r}; medians of {args.runs} runs, alternately")
    timings = {"import": [], "import, one BLAS thread": [], "one": [], "six": [], "six+wrong": []}
    for _ in range(args.runs):  # alternately, so that load on the machine hits all alike
        timings["import"].append(run(imports)[0])
        timings["import, one BLAS thread"].append(run(imports, ONE_THREAD)[0])
        timings["one"].append(run([args.cmd, *ONE])[0])
        timings["six"].append(run([args.cmd, *COURSE, *size_args(mnist)])[0])
        timings["six+wrong"].append(run([args.cmd, *COURSE, WRONG, *size_args(mnist)])[0])
    base = statistics.median(timings["import"])
    single = statistics.median(timings["import, one BLAS thread"])
    for name, values in timings.items():  # the command runs BLAS on one thread: like for like
        median = statistics.median(values)
        print(f"   {name:24s} {median * 1000:7.0f} ms   {median / base:4.2f} x import   "
              f"{median / single:4.2f} x import on one BLAS thread")

    print(f"\n2. sweep: the six and the wrong one in one call, each run beside a run at course "
          f"sizes ({'/'.join(map(str, SIZES[0]))}) and a plain numpy forward pass (median of 5), "
          f"alternately; medians of {args.runs}; peak memory of the command")
    if args.gradcheck:
        gradcheck_seconds(SIZES[0], fast=True)  # torch warmed up once; its import not counted
    print("| n0/n1/n2/m | command | plain forward pass | command in passes | extra over course "
          "sizes, in passes | forward pass, one BLAS thread | extra, in those | peak memory | "
          "gradcheck fast_mode | in passes | gradcheck full |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    course = [args.cmd, *COURSE, WRONG, *size_args(SIZES[0])]
    for sizes in SIZES:
        argv = [args.cmd, *COURSE, WRONG, *size_args(sizes)]
        runs = []
        for _ in range(args.runs):  # side by side, so that load on the machine hits all alike
            at_course, (seconds, status) = run(course)[0], run(argv)
            assert status == 1, "the wrong formula must make the exit status 1"
            runs.append((seconds, at_course, forward_pass_seconds(sizes, repeats=5),
                         forward_pass_one_thread_seconds(sizes)))
        seconds, forward, single = (statistics.median(r[i] for r in runs) for i in (0, 2, 3))
        extra = statistics.median((r[0] - r[1]) / r[2] for r in runs)
        extra_single = statistics.median((r[0] - r[1]) / r[3] for r in runs)
        peak = peak_megabytes(argv)
        fast = full = None
        if args.gradcheck:
            params = sizes[1] * sizes[0] + sizes[1] + sizes[2] * sizes[1] + sizes[2]
            fast = gradcheck_seconds(sizes, fast=True)
            if fast is not None and params <= args.full_gradcheck_max:
                full = gradcheck_seconds(sizes, fast=False)
        print(f"| {'/'.join(map(str, sizes))} | {seconds:.2f} s | {forward * 1000:.2f} ms | "
              f"{seconds / forward:.0f} | {extra:.1f} | {single * 1000:.2f} ms | "
              f"{extra_single:.1f} | "
              f"{'?' if peak is None else f'{peak:.0f}'} MB | "
              f"{_seconds(fast)} | {'' if fast is None else f'{fast / forward:.1f}'} | "
              f"{_seconds(full)} |")
    # in a process of its own, with one BLAS thread as the command has
    subprocess.run([sys.executable, __file__, "--per-formula"], env=ONE_THREAD, check=True)
    if args.gradcheck and fast is None:
        print("torch is not importable: gradcheck not run (pip install torch)")


def _seconds(value: float | None) -> str:
    return "not run" if value is None else f"{value:.3f} s"


if __name__ == "__main__":
    main()
