"""shapecheck.frozen: a @record class means what a frozen dataclass means (equality, hash,
repr, immutability, `replace`, the `compare` and `repr` flags of a field), with its
equality, hash and repr shared rather than compiled per class."""
from __future__ import annotations

import dataclasses

import pytest

from shapecheck.frozen import Record, record


@record(slots=True)
class Point(Record):
    x: int
    y: int = 0
    note: str = dataclasses.field(default="", compare=False, repr=False)


@record
class Other(Record):
    x: int
    y: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class Plain:
    x: int
    y: int = 0
    note: str = dataclasses.field(default="", compare=False, repr=False)


def test_equality_and_hash_are_a_frozen_dataclass_s():
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2)) == hash(Point(1, 2)) == hash(Plain(1, 2))
    assert len({Point(1, 2), Point(1, 2, note="other"), Point(1, 3)}) == 2  # note not compared
    assert Point(1, 2) != Other(1, 2)  # another class is never equal, as with dataclasses
    assert Point(1, 2).__eq__((1, 2)) is NotImplemented
    nan = float("nan")
    assert Point(nan) == Point(nan)  # the same object: tuples compare identity first


def test_repr_shows_the_shown_fields_as_a_dataclass_does():
    assert repr(Point(1, 2, note="hidden")) == "Point(x=1, y=2)"
    assert repr(Point(1, 2)) == repr(Plain(1, 2)).replace("Plain", "Point")


def test_a_record_is_frozen_and_replace_works():
    p = Point(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 3
    assert dataclasses.replace(p, y=5) == Point(1, 5)
    assert [f.name for f in dataclasses.fields(p)] == ["x", "y", "note"]
    match p:
        case Point(x, y):
            assert (x, y) == (1, 2)


def test_a_record_must_derive_from_record():
    with pytest.raises(TypeError, match="must derive from Record"):
        @record
        class Loose:
            x: int


def test_a_record_without_slots_is_frozen_too():
    o = Other(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.y = 3  # y has a default (a class attribute): set by __init__ all the same
    with pytest.raises(dataclasses.FrozenInstanceError):
        del o.x
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.extra = 1  # not a field: a frozen dataclass refuses it too
    assert dataclasses.replace(o, y=4) == Other(1, 4) and o == Other(1, 0)


@record
class Single(Record):
    x: object


def test_a_record_of_one_field_compares_and_hashes_on_it():
    assert Single(1) == Single(1) and Single(1) != Single(2)
    assert hash(Single((1, 2))) == hash(Single((1, 2)))
    assert {Single(1): "a"}[Single(1)] == "a"
