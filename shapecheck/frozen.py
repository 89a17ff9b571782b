"""Frozen records: the package's immutable dataclasses, with equality, hash and repr shared.

Python 3.11 compiles each method a dataclass generates when its class is made: six for a
frozen one, about 0.4 ms a class, which every start-up pays for the forty-odd classes a
check loads. `@record` makes a frozen dataclass that compiles only the methods that must
know its fields to be fast (`__init__`, which sets them past the frozen guard, and that
guard, `__setattr__` and `__delattr__`); equality, hash and repr come from `Record`,
written once over the fields, with dataclasses' meaning: equal when of the same class with
equal compared fields (as tuples), hashed on them, shown as `Name(id='W2', span=(0, 2))`.
(A shared guard would save two more compilations a class, but an `__init__` that goes
through a Python `__setattr__` made each formula of a notes file a fifth slower.)

    @record(slots=True)
    class Name(Record):
        id: str
        span: Span
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Callable

# per class: the tuple of its compared fields (dataclasses' `compare` flag), read by one
# attrgetter, and the names of the fields shown (`repr`), found once
_KEYS: dict[type, Callable[[object], tuple]] = {}
_SHOWN: dict[type, tuple[str, ...]] = {}


def _key_of(cls: type) -> Callable[[object], tuple]:
    key = _KEYS.get(cls)
    if key is None:
        names = [f.name for f in fields(cls) if f.compare]
        if len(names) > 1:
            key = attrgetter(*names)
        else:  # attrgetter of one name gives the value itself, not a 1-tuple
            key = (lambda obj, get=attrgetter(*names): (get(obj),)) if names else (lambda obj: ())
        _KEYS[cls] = key
    return key


def _shown(cls: type) -> tuple[str, ...]:
    names = _SHOWN.get(cls)
    if names is None:
        names = _SHOWN[cls] = tuple(f.name for f in fields(cls) if f.repr)
    return names


class Record:
    """The base of every `@record` class: equality, hash and repr over its fields."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = _key_of(self.__class__)
        return key(self) == key(other)

    def __hash__(self) -> int:
        return hash(_key_of(self.__class__)(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _shown(self.__class__))
        return f"{self.__class__.__qualname__}({shown})"


def record(cls: type | None = None, /, *, slots: bool = False):
    """`@record` or `@record(slots=True)`: `cls`, a subclass of Record, made a frozen
    dataclass whose equality, hash and repr are Record's."""
    def make(cls: type) -> type:
        if not issubclass(cls, Record):
            raise TypeError(f"@record class {cls.__qualname__} must derive from Record")
        return dataclass(frozen=True, eq=False, repr=False, slots=slots)(cls)
    return make if cls is None else make(cls)
