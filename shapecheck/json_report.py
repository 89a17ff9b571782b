"""The machine-readable report (`--json`, SPEC "JSON"): each result as a dictionary of
exactly SPEC's keys (a derivation's link adds `link`), and the whole report as strict JSON
(a NaN or infinite error is null)."""
from __future__ import annotations

import json
from typing import Iterable

from .result import Result


def _finite(x: float | None) -> float | None:
    return x if x is None or x == x and abs(x) != float("inf") else None


def _dims(shape) -> list | None:
    return None if shape is None else [d for d in shape]


def to_json(result: Result) -> dict:
    source = None
    if result.source:
        source = {"file": result.source.file, "line": result.source.line,
                  "column": result.source.column}
    found = {
        "formula": result.formula,
        "source": source,
        "verdict": result.verdict,
        "lhs_shape": _dims(result.lhs_shape),
        "rhs_shape": _dims(result.rhs_shape),
        "message": result.message,
        "span": list(result.span) if result.span else None,
        "operands": [{"text": o.text, "span": list(o.span), "shape": _dims(o.shape)}
                     for o in result.operands],
        "hint": result.hint,
        "rel_error": _finite(result.rel_error),
        "tolerance": result.tolerance,
        "diagnosis": result.diagnosis,
        "layer": result.layer,
        "activation": result.activation,
        "sizes": dict(result.sizes),
        "defaults": dict(result.defaults),
        "network": None if result.network is None else {
            "layers": result.network.layers, "examples": result.network.examples,
            "layout": result.network.layout, "forward": result.network.forward},
        "repair": result.repair,
        "derived": getattr(result, "derived", None),
    }
    if result.link is not None:  # a link of a derivation (shapecheck.chains)
        found["link"] = result.link
    return found


def json_report(results: Iterable[Result]) -> str:
    items = [to_json(r) for r in results]
    return json.dumps({"ok": all(r["verdict"] == "pass" for r in items), "results": items},
                      indent=1)
