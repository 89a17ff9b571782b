"""The public corpus (a copy of ../shared/corpus/cases.jsonl, so the suite stands alone).

A case agrees as in ../shared/tools/run_corpus.py: the exit status fits the expected
verdict (pass 0, shape/value 1, error 2) and the first result of the `--json` report has
that verdict; a case expected to be an `error` may stop before any report (a bad option).
Every capability the public corpus names has landed, so every case runs.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

CASES_FILE = Path(__file__).with_name("corpus.jsonl")
ENABLED = {"core", "notation", "forward", "rows", "layer-index"}
EXIT_FOR = {"pass": 0, "shape": 1, "value": 1, "error": 2}


def load_cases() -> list[dict]:
    with CASES_FILE.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = [c for c in load_cases() if c.get("needs", "core") in ENABLED]


def test_the_copy_holds_the_core_cases():
    every = load_cases()
    assert len({c["id"] for c in every}) == len(every)
    core = [c for c in every if c.get("needs", "core") == "core"]
    assert len(core) == 23
    assert {c["expect"] for c in core} == {"pass", "shape", "value", "error"}
    assert CASES


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_agrees(cli, case):
    result = cli(*case["argv"], "--json")
    assert not result.crashed, repr(result.exception)
    assert "Traceback" not in result.stderr
    want = case["expect"]
    try:
        verdict = result.json()["results"][0]["verdict"]
    except (ValueError, KeyError, IndexError):
        verdict = None
    assert result.exit_code == EXIT_FOR[want], (case["why"], result.stdout, result.stderr)
    if want == "error" and verdict is None:
        return  # stopped before any report, as a bad option may
    assert verdict == want, (case["why"], result.stdout)
