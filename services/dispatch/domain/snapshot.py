"""A folded state (`TicketState`, a work item's `ItemState`) as plain JSON and back (issue 13: load a long stream
without re-folding it).

Explicit, not pickle: each field is written by its declared type (enums by value, datetimes as ISO-8601, UUIDs as
text, frozensets sorted, the `Appointment` window as its two ends). A snapshot carries its shape, which changes when
the state's fields change or when `FORMAT` is bumped (bump it when a mutator changes what an event means); a
snapshot of another shape is not used, the stream is folded again instead.
"""

from __future__ import annotations

import hashlib
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import Any

from services.dispatch.domain.state import Appointment, TicketState

FORMAT = 1  # bump when an event's meaning to the fold changes: older snapshots are then ignored and rebuilt

Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]  # (to JSON, from JSON)


def _same(value: Any) -> Any:
    return value


def _codec(hint: Any) -> Codec:
    """How a value of the declared type `hint` is written and read back."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        [inner] = [a for a in args if a is not type(None)]
        dump, load = _codec(inner)
        return (lambda v: None if v is None else dump(v)), (lambda v: None if v is None else load(v))
    if origin is frozenset:
        dump, load = _codec(args[0])
        return (lambda v: sorted(dump(x) for x in v)), (lambda v: frozenset(load(x) for x in v))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        dump, load = _codec(args[0])
        return (lambda v: [dump(x) for x in v]), (lambda v: tuple(load(x) for x in v))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return (lambda v: hint(v).value), hint
    if hint is datetime:
        return datetime.isoformat, datetime.fromisoformat
    if hint is uuid.UUID:
        return str, uuid.UUID
    if hint is Appointment:
        return (lambda v: [v.start.isoformat(), v.end.isoformat()],
                lambda v: Appointment(datetime.fromisoformat(v[0]), datetime.fromisoformat(v[1])))
    if origin is dict and args[0] is str:
        dump, load = _codec(args[1])
        return (lambda v: {k: dump(x) for k, x in v.items()}), (lambda v: {k: load(x) for k, x in v.items()})
    if hint in (int, str, bool, object):  # `object`: a value already in JSON form (a payload dumped as JSON)
        return _same, _same
    raise TypeError(f"state field type {hint!r} has no snapshot codec")


class Snapshots:
    """Snapshots of one frozen state dataclass: `dump(state)` to JSON, `restore(json)` back (None when unusable)."""

    def __init__(self, cls: type, format_: int = FORMAT) -> None:
        hints = typing.get_type_hints(cls)
        self._cls = cls
        self._codecs: dict[str, Codec] = {f.name: _codec(hints[f.name]) for f in fields(cls)}
        self.shape = f"{format_}:" + hashlib.sha256(
            ";".join(f"{name}={hints[name]!r}" for name in self._codecs).encode()).hexdigest()[:16]

    def dump(self, state: Any) -> dict[str, Any]:
        """The snapshot of `state`: JSON-ready, tagged with its shape."""
        return {"shape": self.shape,
                "state": {name: dump(getattr(state, name)) for name, (dump, _) in self._codecs.items()}}

    def restore(self, snapshot: dict[str, Any] | None) -> Any:
        """The state a snapshot holds; None when there is none or it has another shape (fold the stream instead)."""
        if not snapshot or snapshot.get("shape") != self.shape:
            return None
        data = snapshot["state"]
        return self._cls(**{name: load(data[name]) for name, (_, load) in self._codecs.items()})


TICKETS = Snapshots(TicketState)
SHAPE = TICKETS.shape


def dump(state: TicketState) -> dict[str, Any]:
    """The snapshot of a ticket's state."""
    return TICKETS.dump(state)


def restore(snapshot: dict[str, Any] | None) -> TicketState | None:
    """The ticket state a snapshot holds; None when there is none or it has another shape."""
    return TICKETS.restore(snapshot)  # type: ignore[no-any-return]
