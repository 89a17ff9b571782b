"""Structured perturbations give the numbers a dense evaluation gives (shapecheck.numeric.structured):
the finite differences taken over them are ordinary finite differences."""
from __future__ import annotations

import numpy as np
import pytest

from shapecheck.numeric import structured
from shapecheck.numeric.structured import LowRank, Patch, dense

RNG = np.random.default_rng(3)
BASE = RNG.standard_normal((1, 4, 6))


def patches():
    rows = Patch(BASE, 0, np.array([0, 2, 2, 3]), RNG.standard_normal((4, 6)))
    columns = Patch(BASE, 1, np.array([5, 0, 1]), RNG.standard_normal((3, 4)))
    return [rows, columns]


def low_ranks():
    rank1 = LowRank(BASE, RNG.standard_normal((3, 4, 1)), RNG.standard_normal((3, 1, 6)))
    rank2 = LowRank(BASE, RNG.standard_normal((2, 4, 2)), RNG.standard_normal((2, 2, 6)))
    return [rank1, rank2]


VALUES = patches() + low_ranks()
IDS = ["row patch", "column patch", "rank 1", "rank 2"]


@pytest.mark.parametrize("value", VALUES, ids=IDS)
@pytest.mark.parametrize("keep_axis", [None, 0, 1])
def test_a_total_is_the_total_of_the_dense_value(value, keep_axis):
    full = dense(value)
    expected = full.sum(axis=(1, 2)) if keep_axis is None else full.sum(axis=2 - keep_axis)
    assert np.allclose(structured.total(value, keep_axis), expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("value", VALUES, ids=IDS)
def test_negation_and_transpose_keep_the_numbers(value):
    assert np.array_equal(dense(structured.negate(value)), -dense(value))
    assert np.array_equal(dense(structured.transpose(value)), dense(value).transpose(0, 2, 1))


@pytest.mark.parametrize("value", VALUES, ids=IDS)
def test_products_with_a_plain_matrix_keep_the_numbers(value):
    right, left = RNG.standard_normal((1, 6, 5)), RNG.standard_normal((1, 3, 4))
    on_right = structured.binary("@", None, value, right, lambda: BASE[0] @ right)
    on_left = structured.binary("@", None, left, value, lambda: left @ BASE)
    assert np.allclose(dense(on_right), dense(value) @ right[0], rtol=1e-13, atol=1e-13)
    assert np.allclose(dense(on_left), left[0] @ dense(value), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("value", patches(), ids=IDS[:2])
@pytest.mark.parametrize("op, func", [("*", np.multiply), ("-", np.subtract), ("/", np.divide)])
def test_a_patch_stays_a_patch_element_wise(value, op, func):
    other = RNG.uniform(1, 2, size=(1, 4, 6))
    kept = structured.binary(op, func, value, other, lambda: func(BASE, other))
    assert isinstance(kept, Patch)
    assert np.allclose(dense(kept), func(dense(value), other), rtol=1e-13, atol=1e-13)
    assert np.allclose(dense(structured.elementwise(np.tanh, value, lambda: np.tanh(BASE))),
                       np.tanh(dense(value)), rtol=1e-13, atol=1e-13)


def test_entry_bytes_counts_what_a_perturbation_holds():
    rows, _ = patches()
    rank1, _ = low_ranks()
    assert structured.entry_bytes(rows) == 6 * 8                 # one row of slices
    assert structured.entry_bytes(rank1) == (4 + 6) * 8          # u and v
    assert structured.entry_bytes(np.zeros((5, 4, 6))) == 4 * 6 * 8
    assert structured.entry_bytes(np.zeros((1, 4, 6))) == 0      # unperturbed
