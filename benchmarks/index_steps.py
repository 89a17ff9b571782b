"""Steps in index notation at growing sizes: figures, not a timed test.

    python benchmarks/index_steps.py [--runs 5]

The public derivation's hardest steps (issue "Check the derivation"), each checked as a
two-member derivation on the model Y = f(HW + B), J = 1/2 Σ (Y - Y*)^2 with h = y = N:
the time of one step's check (every value of its free indices, for every open activation),
median of the runs, in the library (no process start-up). The bar (issue "Close to the
floor", item 4): a step at sizes up to 64 is checked in well under a second.
"""
from __future__ import annotations

import argparse
import statistics
import time

from shapecheck.chains import Member, check_derivation
from shapecheck.result import Options
from shapecheck.session import Checker

MODEL = "Y = f(H @ W + B); J = 1/2 * np.sum((Y - Ystar) ** 2)"
SHAPES = {"H": (1, "h"), "W": ("h", "y"), "B": (1, "y"), "Ystar": (1, "y")}
STEPS = {
    "dJ/dW_kl, a sum over i with a delta": (
        r"\left[\frac{\partial J}{\partial W}\right]_{kl}",
        r"\sum_i [Y - Y^*]_i \, [f'(HW + B)]_i \, H_k \, \delta_{il}"),
    "dY_i/dW_kl, a Jacobian entry": (
        r"\frac{\partial Y_i}{\partial W_{kl}}", r"[f'(HW + B)]_i \, H_k \, \delta_{il}"),
    "the matrix form, entry kl": (
        r"H_k \, [Y - Y^*]_l \, [f'(HW + B)]_l", r"[H^T ((Y - Y^*) * f'(HW + B))]_{kl}"),
}


def seconds(left: str, right: str, size: int) -> float:
    """One step checked afresh (a new checker: no draw or truth kept from an earlier run)."""
    checker = Checker(Options(sizes={"h": size, "y": size}, shapes=SHAPES, forward=(MODEL,),
                              labels=("Ystar",)))
    start = time.perf_counter()
    [result] = check_derivation(checker, [Member(left, 1, 1), Member(right, 2, 1)], None)
    elapsed = time.perf_counter() - start
    assert result.verdict == "pass", (left, right, size, result.message)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    sizes = (8, 16, 32, 64)
    print(f"one step in index notation, h = y = N (median of {args.runs} runs, seconds)")
    print("| step | " + " | ".join(f"N = {n}" for n in sizes) + " |")
    print("| --- |" + " --- |" * len(sizes))
    for name, (left, right) in STEPS.items():
        seconds(left, right, 4)  # the first call pays the imports and the parser's tables
        figures = [statistics.median(seconds(left, right, n) for _ in range(args.runs))
                   for n in sizes]
        print(f"| {name} | " + " | ".join(f"{f:.3f}" for f in figures) + " |")


if __name__ == "__main__":
    main()
