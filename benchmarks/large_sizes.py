"""Value checks at real sizes: figures, not a timed test.

    python benchmarks/large_sizes.py [--runs 5] [--cmd shapecheck] [--gradcheck]

1. The six course formulas at 784/128/10/64 in one call, and the same with a wrong one
   (`dW1 = dZ1 @ X.T`), against `python -c "import numpy, rich, click, lark"`, measured
   alternately; medians.
2. A sweep over sizes: the whole command's time, that time in plain numpy forward passes
   of the same network, and the process's peak memory.
3. With --gradcheck and torch importable: torch.autograd.gradcheck on the same network
   (full mode where it finishes in reasonable time, and fast_mode), for comparison.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

COURSE = ["dZ2 = A2 - Y", "dW2 = 1/m * dZ2 @ A1.T",
          "db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "dZ1 = W2.T @ dZ2 * g1'(Z1)",
          "dW1 = 1/m * dZ1 @ X.T", "db1 = 1/m * np.sum(dZ1, axis=1, keepdims=True)"]
WRONG = "dW1 = dZ1 @ X.T"
SIZES = [(3, 4, 2, 5), (64, 32, 10, 16), (784, 128, 10, 64), (1024, 512, 10, 128),
         (2048, 1024, 10, 256)]


def run(argv: list[str]) -> tuple[float, float, int]:
    """Wall time (s), peak memory (MB) and exit status of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


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
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cmd", default=shutil.which("shapecheck") or "shapecheck")
    ap.add_argument("--gradcheck", action="store_true", help="also time torch's gradcheck")
    ap.add_argument("--full-gradcheck-max", type=int, default=5_000,
                    help="largest parameter count for gradcheck's full mode")
    args = ap.parse_args()

    imports = [sys.executable, "-c", "import numpy, rich, click, lark"]
    mnist = (784, 128, 10, 64)
    print(f"1. course formulas at {'/'.join(map(str, mnist))}, medians of {args.runs} runs")
    timings = {"import": [], "six": [], "six+wrong": []}
    for _ in range(args.runs):  # alternately, so that load on the machine hits all alike
        timings["import"].append(run(imports)[0])
        timings["six"].append(run([args.cmd, *COURSE, *size_args(mnist)])[0])
        timings["six+wrong"].append(run([args.cmd, *COURSE, WRONG, *size_args(mnist)])[0])
    base = statistics.median(timings["import"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"   {name:10s} {median * 1000:7.0f} ms   {median / base:4.2f} x import")

    print("\n2. sweep (six course formulas and the wrong one, one call)")
    print(f"   {'n0/n1/n2/m':>20s} {'command':>9s} {'fwd pass':>9s} {'passes':>8s} {'peak MB':>8s}")
    first = None
    for sizes in SIZES:
        runs = [run([args.cmd, *COURSE, WRONG, *size_args(sizes)]) for _ in range(max(1, args.runs // 2))]
        seconds = statistics.median(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        forward = forward_pass_seconds(sizes)
        first = first if first is not None else seconds
        print(f"   {'/'.join(map(str, sizes)):>20s} {seconds * 1000:7.0f}ms {forward * 1000:7.2f}ms "
              f"{seconds / forward:8.0f} {peak:8.0f}   extra over course sizes: "
              f"{(seconds - first) / forward:6.1f} passes")

    if args.gradcheck:
        print("\n3. torch.autograd.gradcheck on the same network (float64, CPU; import not counted)")
        gradcheck_seconds(SIZES[0], fast=True)  # warm torch up once
        for sizes in SIZES:
            params = sizes[1] * sizes[0] + sizes[1] + sizes[2] * sizes[1] + sizes[2]
            fast = gradcheck_seconds(sizes, fast=True)
            if fast is None:
                print("   torch is not importable: skipped")
                break
            full = gradcheck_seconds(sizes, fast=False) if params <= args.full_gradcheck_max else None
            full_text = f"{full:8.2f} s" if full is not None else "   (skipped)"
            print(f"   {'/'.join(map(str, sizes)):>20s} fast_mode {fast:8.3f} s   full {full_text}")


if __name__ == "__main__":
    main()
