"""Frozen records: the package's immutable dataclasses, with equality, hash and repr shared.

Python 3.11 compiles each method a dataclass generates when its class is made: six for a
frozen one, about 0.4 ms a class, which every start-up pays for the forty-odd classes a
check loads (a fifth of the command's own time). `@record` makes a dataclass that compiles
only its `__init__`; the rest comes from `Record`, written once over the fields, with a
frozen dataclass's meaning: equal when of the same class with equal compared fields,
hashed on them, shown as `Name(id='W2', span=(0, 2))`, and immutable: `__init__` sets
each field once, and setting a field again, any other attribute, or deleting one raises
FrozenInstanceError.

    @record(slots=True)
    class Name(Record):
        id: str
        span: Span
"""
from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, fields

# per class: its fields, the fields compared and hashed, and the fields shown
# (dataclasses' `compare` and `repr` flags), found once
_FIELDS: dict[type, frozenset[str]] = {}
_COMPARED: dict[type, tuple[str, ...]] = {}
_SHOWN: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> frozenset[str]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = frozenset(f.name for f in fields(cls))
    return names


def _compared(cls: type) -> tuple[str, ...]:
    names = _COMPARED.get(cls)
    if names is None:
        names = _COMPARED[cls] = tuple(f.name for f in fields(cls) if f.compare)
    return names


def _shown(cls: type) -> tuple[str, ...]:
    names = _SHOWN.get(cls)
    if names is None:
        names = _SHOWN[cls] = tuple(f.name for f in fields(cls) if f.repr)
    return names


def _assigned(obj: object, name: str) -> bool:
    """Whether the instance holds `name` already (in its __dict__, or its slot is filled);
    a class attribute (a field's default) does not count."""
    try:
        return name in object.__getattribute__(obj, "__dict__")
    except AttributeError:  # a slotted record
        try:
            object.__getattribute__(obj, name)
        except AttributeError:
            return False
        return True


class Record:
    """The base of every `@record` class: immutability, equality, hash and repr."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        # __init__ sets each field once; nothing else is ever set
        if name not in _fields(self.__class__) or _assigned(self, name):
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()  # as tuples, as dataclasses compare

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple:
        return tuple(getattr(self, name) for name in _compared(self.__class__))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _shown(self.__class__))
        return f"{self.__class__.__qualname__}({shown})"


def record(cls: type | None = None, /, *, slots: bool = False):
    """`@record` or `@record(slots=True)`: `cls`, a subclass of Record, made a dataclass
    whose immutability, equality, hash and repr are Record's."""
    def make(cls: type) -> type:
        if not issubclass(cls, Record):
            raise TypeError(f"@record class {cls.__qualname__} must derive from Record")
        return dataclass(eq=False, repr=False, slots=slots)(cls)
    return make if cls is None else make(cls)
