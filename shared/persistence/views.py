"""Small tables a service reads on every request and changes rarely (intake: the directory's districts, the active
outages), kept in memory per service instance instead of read again for each request (issue 13).

A view is read again when this instance committed a change to it (`UnitOfWork.changed`, which takes effect when
that transaction commits), or when it is older than `max_age`: another instance of the service may have changed
it. So one instance always answers from what it has committed, and several see each other's changes within
`max_age` — on top of the broker's own delay, since these tables are copies fed by events anyway."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

Loader = Callable[[AsyncConnection], Awaitable[Any]]


@dataclass
class _Held:
    value: Any
    generation: int  # of the view when the value was read
    read_at: float


class CommittedViews:
    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_age, self._clock = max_age, clock
        self._generation: dict[str, int] = {}
        self._held: dict[str, _Held] = {}

    async def get(self, name: str, conn: AsyncConnection, load: Loader) -> Any:
        """The view `name`, read with `load` on `conn` when not held, changed since, or too old."""
        generation, now = self._generation.get(name, 0), self._clock()
        held = self._held.get(name)
        if held is None or held.generation != generation or now - held.read_at > self._max_age:
            # the generation is taken before reading: a change committed meanwhile makes the next call read again
            held = _Held(await load(conn), generation, now)
            self._held[name] = held
        return held.value

    def bump(self, name: str) -> None:
        """A change to `name` was committed: the next `get` reads it again."""
        self._generation[name] = self._generation.get(name, 0) + 1
