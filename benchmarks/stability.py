"""How far apart right and wrong formulas land: figures, not a timed test.

    python benchmarks/stability.py [--seeds 20] [--verbose]

Over seeds 0..N-1 (default 20), every formula that is right (the public corpus's `pass`
cases, models with kinks and domain edges, and gradients that a draw may make almost zero)
and every formula that is wrong by values
(the corpus's `value` cases, and each right formula times 2 and times -1) is checked; the
script prints the largest relative error of any right formula, the smallest of any wrong
one, and the margin between them in decades, with where the default tolerance 1e-6 sits.
Deep networks (generic formulas at --L 6 and 8, sigmoid among the open activations) are
reported apart, with the coarsest tolerance their rounding made the check show.
A verdict that differs from the expected one at any seed is listed (and exits 1).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from shapecheck.cli import command
from shapecheck.language.parse import parse_equation

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus.jsonl"
TOLERANCE = 1e-6
# right formulas on models where a draw may land next to a kink or the edge of a domain
KINKS_AND_EDGES = [
    ["dZ1 = W2.T @ dZ2 * (Z1 > 0)", "--activation", "g1=relu", "--n0", "3", "--n1", "4",
     "--n2", "2", "--m", "5"],
    ["dx = np.where(x > 0, 1, -1)", "--forward", "J = np.sum(np.abs(x))", "--shape", "x=n,1",
     "--n", "6"],
    ["dx = (x > 1) * 1.0", "--forward", "J = np.sum(np.maximum(x, 1))", "--shape", "x=n,1",
     "--n", "6"],
    ["dx = 1 / (x - 1)", "--forward", "J = np.sum(np.log(x - 1))", "--shape", "x=n,1", "--n", "2"],
    ["dx = 0.5 / np.sqrt(x - 1)", "--forward", "J = np.sum(np.sqrt(x - 1))", "--shape", "x=n,1",
     "--n", "2"],
    ["dx = -1 / np.sum(x) ** 2 * np.ones_like(x)", "--forward", "J = 1 / np.sum(x)", "--shape",
     "x=n,1", "--n", "2"],
    ["dA = -np.linalg.inv(A - B).T @ np.linalg.inv(A - B).T", "--forward",
     "J = np.trace(np.linalg.inv(A - B))", "--shape", "A=n,n", "--shape", "B=n,n", "--n", "2"],
]


# right formulas whose gradient is a mean over a few examples, which a draw may make almost
# zero (then all rounding: such a draw is drawn again, draws.Drawer.resolved)
LOGISTIC = ["--forward", "A = sigmoid(X @ w + b); J = -np.mean(Y * np.log(A) + (1 - Y) * "
            "np.log(1 - A))", "--shape", "X=m,n", "--shape", "w=n,1", "--shape", "b=",
            "--shape", "Y=m,1", "--m", "3", "--n", "2"]
NEAR_ZERO = [
    ["db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", "--n0", "2", "--n1", "3", "--n2", "1",
     "--m", "3"],
    ["dZ2 = A2 - Y", "--n0", "2", "--n1", "3", "--n2", "1", "--m", "3"],
    ["db = np.mean(A - Y)", *LOGISTIC],
    ["dw = X.T @ (A - Y) / m", *LOGISTIC],
]


# right generic formulas in deep networks, whose first layers' gradients are a tiny part of
# the cost (longer steps, and where needed a coarser tolerance: truth.Differentiator.refined)
DEEP = [
    ["dW = 1/m * dZ @ A_prev.T", "--L", "6", "--m", "6"],
    ["dA_prev = W.T @ dZ", "--L", "8", "--m", "6"],
    ["db = 1/m * np.sum(dZ, axis=1, keepdims=True)", "--L", "8", "--m", "4"],
]
GROUPS = ("kink-or-edge", "near-zero", "deep")


def cases() -> list[tuple[str, str, list[str]]]:
    """(name, expected verdict, argv) for every formula measured."""
    found = []
    corpus = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()
              if line.strip()]
    right = [(c["id"], c["argv"]) for c in corpus if c["expect"] == "pass"]
    right += [(f"kink-or-edge-{i}", argv) for i, argv in enumerate(KINKS_AND_EDGES)]
    right += [(f"near-zero-{i}", argv) for i, argv in enumerate(NEAR_ZERO)]
    right += [(f"deep-{i}", argv) for i, argv in enumerate(DEEP)]
    for name, argv in right:
        found.append((name, "pass", argv))
        start, end = parse_equation(argv[0]).rhs.span
        lhs, rhs = argv[0][:start], argv[0][start:end]
        found.append((f"{name} times 2", "value", [f"{lhs}2 * ({rhs})"] + argv[1:]))
        found.append((f"{name} times -1", "value", [f"{lhs}-({rhs})"] + argv[1:]))
    found += [(c["id"], "value", c["argv"]) for c in corpus if c["expect"] == "value"]
    return found


def report(title: str, right: list, wrong: list) -> None:
    worst_right, best_wrong = max(right), min(wrong)
    margin = math.log10(best_wrong[0] / worst_right[0])
    print(f"{title}:")
    print(f"  largest relative error of a right formula:  {worst_right[0]:.2e}  "
          f"({worst_right[1]}, seed {worst_right[2]})")
    print(f"  smallest relative error of a wrong formula: {best_wrong[0]:.2e}  "
          f"({best_wrong[1]}, seed {best_wrong[2]})")
    print(f"  margin: {margin:.1f} decades; the tolerance {TOLERANCE:g} sits "
          f"{math.log10(TOLERANCE / worst_right[0]):.1f} decades above the largest right error "
          f"and {math.log10(best_wrong[0] / TOLERANCE):.1f} below the smallest wrong one")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    runner = CliRunner()
    right, wrong, surprises = [], [], []
    start = time.perf_counter()
    measured = cases()
    for name, expected, argv in measured:
        for seed in range(args.seeds):
            result = runner.invoke(command, argv + ["--seed", str(seed), "--json"])
            first = json.loads(result.stdout)["results"][0]
            if first["verdict"] != expected:
                surprises.append((name, seed, expected, first["verdict"], first["message"]))
                continue
            error = first["rel_error"]
            (right if expected == "pass" else wrong).append((error, name, seed,
                                                             first["tolerance"]))
            if args.verbose:
                print(f"{name:45s} seed {seed:2d}  {expected:5s} {error:.3g}")
    seconds = time.perf_counter() - start
    print(f"{len(measured)} formulas x {args.seeds} seeds ({len(right)} right, {len(wrong)} "
          f"wrong checks) in {seconds:.1f} s")
    def among(checks, *kinds):
        return [r for r in checks if not r[1].startswith(GROUPS) or r[1].startswith(kinds)]

    report("the public corpus (and its formulas times 2 and -1)", among(right), among(wrong))
    report("with the models that have kinks and domain edges", among(right, "kink-or-edge"),
           among(wrong, "kink-or-edge"))
    report("with gradients that a draw may make almost zero (one output unit, a scalar bias)",
           among(right, "near-zero"), among(wrong, "near-zero"))
    deep_right, deep_wrong = among(right, "deep"), among(wrong, "deep")
    print("with deep networks (--L 6 and 8, sigmoid among the open activations), each check "
          "against the tolerance it showed (coarser where rounding blurs the gradient):")
    closest = max(deep_right, key=lambda r: r[0] / r[3])
    farthest = min(deep_wrong, key=lambda r: r[0] / r[3])
    print(f"  the right formula closest to its tolerance: {closest[0]:.2e} < {closest[3]:.2g} "
          f"({closest[1]}, seed {closest[2]}), "
          f"{math.log10(closest[3] / closest[0]):.1f} decades below it")
    print(f"  the wrong formula closest to its tolerance: {farthest[0]:.2e} > {farthest[3]:.2g} "
          f"({farthest[1]}, seed {farthest[2]}), "
          f"{math.log10(farthest[0] / farthest[3]):.1f} decades above it")
    coarser = [r for r in right + wrong if r[3] > TOLERANCE]
    print(f"  {len(coarser)} of {len(right) + len(wrong)} checks were compared coarser than "
          f"{TOLERANCE:g}, at most at {max(r[3] for r in coarser):.2g}" if coarser else
          "  every check was compared at the default tolerance")
    for name, seed, expected, got, message in surprises:
        print(f"UNEXPECTED {name} seed {seed}: {got}, expected {expected}: {message}")
    return 1 if surprises else 0


if __name__ == "__main__":
    sys.exit(main())
