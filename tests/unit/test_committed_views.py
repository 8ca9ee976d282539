"""Views held in memory per service instance (shared/persistence/views.py, issue 13): read once, read again after
this instance commits a change, or once older than max_age (another instance may have changed the table)."""

from __future__ import annotations

import asyncio

from shared.persistence.views import CommittedViews


class Table:
    """Stands in for a table: `load` counts its reads and can pause mid-read."""

    def __init__(self) -> None:
        self.rows, self.reads = ["a"], 0
        self.reading = asyncio.Event()
        self.finish = asyncio.Event()
        self.finish.set()

    async def load(self, conn: object) -> list[str]:
        self.reads += 1
        snapshot = list(self.rows)
        self.reading.set()
        await self.finish.wait()
        return snapshot


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_held_until_a_committed_change_then_read_again() -> None:
    table, views = Table(), CommittedViews(max_age=60, clock=Clock())
    assert await views.get("districts", None, table.load) == ["a"]
    assert await views.get("districts", None, table.load) == ["a"]
    assert table.reads == 1
    table.rows.append("b")
    views.bump("districts")
    assert await views.get("districts", None, table.load) == ["a", "b"]
    assert table.reads == 2


async def test_read_again_once_older_than_max_age() -> None:
    clock, table = Clock(), Table()
    views = CommittedViews(max_age=1.0, clock=clock)
    await views.get("districts", None, table.load)
    clock.now += 0.9
    await views.get("districts", None, table.load)
    assert table.reads == 1
    clock.now += 0.2
    await views.get("districts", None, table.load)
    assert table.reads == 2


async def test_a_change_committed_during_a_read_is_not_lost() -> None:
    table, views = Table(), CommittedViews(max_age=60, clock=Clock())
    table.finish.clear()
    reading = asyncio.create_task(views.get("districts", None, table.load))
    await table.reading.wait()  # the read took its snapshot...
    table.rows.append("b")
    views.bump("districts")  # ...and a change commits before it is held
    table.finish.set()
    assert await reading == ["a"]
    assert await views.get("districts", None, table.load) == ["a", "b"]  # held value was already stale


async def test_views_are_independent_and_negative_max_age_never_holds() -> None:
    table = Table()
    views = CommittedViews(max_age=60, clock=Clock())
    await views.get("districts", None, table.load)
    views.bump("incidents")
    await views.get("districts", None, table.load)
    assert table.reads == 1
    uncached = CommittedViews(max_age=-1.0, clock=Clock())
    await uncached.get("districts", None, table.load)
    await uncached.get("districts", None, table.load)
    assert table.reads == 3
